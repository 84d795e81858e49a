/* test-sla.c - working time, service.yaml, and the service desk's rules
 * the store keeps on tickets, agents and callbacks. */
#include "fixture.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A week of 09:00-18:00, Monday to Friday, in Shanghai; 2026-10-01 a
 * holiday and Saturday 2026-10-10 worked instead. */
static const char *const office_yaml =
    "calendar:\n"
    "  timezone: Asia/Shanghai\n"
    "  hours: {mon: 09:00-18:00, tue: 09:00-18:00, wed: 09:00-18:00,\n"
    "          thu: 09:00-18:00, fri: 09:00-18:00}\n"
    "  holidays: [2026-10-01]\n"
    "  workdays: [2026-10-10]\n"
    "targets:\n"
    "  normal: {response: 1h, resolution: 4h}\n"
    "  urgent: {response: 15m, resolution: 1h}\n"
    "queues:\n"
    "  - {name: billing, assign: round_robin, members: [ann, bob, cat]}\n"
    "  - {name: tech, assign: least_loaded, members: [ann, bob]}\n"
    "  - {name: tier2, assign: manual}\n"
    "escalation:\n"
    "  - {at: 50%, action: notify}\n"
    "  - {at: 100%, action: raise_priority}\n"
    "  - {at: 200%, action: reassign, queue: tier2}\n"
    "callbacks: {grace: 10m}\n";

static char dir[64];

static struct service *
load_yaml(const char *text, struct strv *diags)
{
	struct service *sv = NULL;
	char *path;
	FILE *f;

	snprintf(dir, sizeof dir, "/tmp/tcrm-sla.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	path = xasprintf("%s/service.yaml", dir);
	f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
	service_load(dir, fx_forms, &sv, diags);
	unlink(path);
	rmdir(dir);
	free(path);
	return sv;
}

/* Shanghai wall time -> time_t. */
static time_t
at(const char *when)
{
	time_t t;

	cr_assert_eq(datetime_parse(when, &t), 0, "%s", when);
	return t;
}

static char *
shown(time_t t)
{
	return datetime_format(t);
}

static void
setup(void)
{
	struct strv diags;

	setenv("TZ", "Asia/Shanghai", 1);
	tzset();
	unsetenv("TCRM_NOW");
	fx_setup();
	strv_init(&diags);
	service_free(fx_forms->service);
	fx_forms->service = load_yaml(office_yaml, &diags);
	cr_assert_not_null(fx_forms->service, "%s", diags.n ? diags.v[0] : "");
	strv_free(&diags);
}

TestSuite(cal, .init = setup, .fini = fx_teardown);

Test(cal, friday_evening_plus_four_hours_is_monday_noon)
{
	const struct calendar *c = &fx_forms->service->cal;
	char *s = shown(cal_add(c, at("2026-11-20T17:00:00"), 4 * 3600));

	cr_expect_str_eq(s, "2026-11-23T12:00:00");
	free(s);
	/* Before opening counts from 09:00. */
	s = shown(cal_add(c, at("2026-11-23T07:30:00"), 30 * 60));
	cr_expect_str_eq(s, "2026-11-23T09:30:00");
	free(s);
}

Test(cal, holiday_skipped_makeup_saturday_worked)
{
	const struct calendar *c = &fx_forms->service->cal;
	char *s = shown(cal_add(c, at("2026-09-30T17:00:00"), 2 * 3600));

	/* Thursday 1 October is a holiday: Friday 10:00. */
	cr_expect_str_eq(s, "2026-10-02T10:00:00");
	free(s);
	s = shown(cal_add(c, at("2026-10-09T17:00:00"), 2 * 3600));
	cr_expect_str_eq(s, "2026-10-10T10:00:00");
	free(s);
}

Test(cal, between_counts_only_open_hours)
{
	const struct calendar *c = &fx_forms->service->cal;

	cr_expect_eq(cal_between(c, at("2026-11-20T17:00:00"),
	    at("2026-11-23T10:00:00")), 2 * 3600);
	cr_expect_eq(cal_between(c, at("2026-11-23T10:00:00"),
	    at("2026-11-20T17:00:00")), -2 * 3600);
	cr_expect_eq(cal_between(c, at("2026-11-21T10:00:00"),
	    at("2026-11-22T20:00:00")), 0);
}

Test(cal, durations)
{
	char *s;

	cr_expect_eq(service_duration("30m"), 1800);
	cr_expect_eq(service_duration("1h30m"), 5400);
	cr_expect_eq(service_duration("2d"), 172800);
	cr_expect_eq(service_duration("90s"), 90);
	cr_expect_eq(service_duration("4x"), -1);
	cr_expect_eq(service_duration(""), -1);
	s = service_duration_text(-3900);
	cr_expect_str_eq(s, "-1h05m");
	free(s);
}

static void
expect_diag(const char *yaml, const char *want)
{
	struct strv diags;
	struct service *sv;

	strv_init(&diags);
	sv = load_yaml(yaml, &diags);
	cr_expect_null(sv);
	cr_assert_geq(diags.n, 1, "no error for %s", want);
	cr_expect(strstr(diags.v[0], want) != NULL, "got '%s', want '%s'",
	    diags.v[0], want);
	strv_free(&diags);
	service_free(sv);
}

Test(cal, bad_settings_name_line_and_column)
{
	expect_diag("calendar:\n  hours: {mon: 9-18}\n",
	    "service.yaml:2:16: bad hours '9-18'");
	expect_diag("targets:\n  asap: {response: 1h}\n",
	    "service.yaml:2:3: 'asap' is not a ticket priority");
	expect_diag("targets:\n  low: {response: soon}\n",
	    "service.yaml:2:19: response: 'soon' is not a duration");
	expect_diag("escalation:\n  - {at: 50%, action: reassign, queue: x}\n",
	    "service.yaml:2:5: reassign needs the 'queue'");
	expect_diag("calender: {}\n", "service.yaml:1:1: unknown key 'calender'");
	expect_diag("calendar:\n  hours: {sun: closed}\n",
	    "no open hours on any day");
}

/* ---- tickets in the store ---- */

static void
now_is(const char *when)
{
	char num[32];

	snprintf(num, sizeof num, "%lld", (long long)at(when));
	setenv("TCRM_NOW", num, 1);
}

static uint32_t
customer(void)
{
	uint32_t id = fx_add("customer", "name", "王小明", NULL);

	cr_assert_neq(id, 0, "%s", store_error(fx_store));
	return id;
}

static struct record
get(const char *entity, uint32_t id)
{
	struct record r;

	record_init(&r);
	cr_assert_eq(store_get(fx_store, NULL, fx_entity(entity), id, &r),
	    ST_OK);
	return r;
}

struct set_arg {
	const char *entity;
	uint32_t id;
	const char *const *kv;
};

static int
set_txn(struct store *s, struct txn *t, void *arg)
{
	struct set_arg *a = arg;
	struct record r;
	int rc;

	record_init(&r);
	if ((rc = store_get(s, t, fx_entity(a->entity), a->id, &r)) ==
	    ST_OK) {
		for (size_t i = 0; a->kv[i] != NULL; i += 2)
			record_set(&r, a->kv[i], a->kv[i + 1]);
		rc = store_update(s, t, fx_entity(a->entity), &r, 0);
	}
	record_free(&r);
	return rc;
}

#define SET(entity, id, ...) set_fields(entity, id, \
    (const char *const []){ __VA_ARGS__, NULL })
static int
set_fields(const char *entity, uint32_t id, const char *const *kv)
{
	struct set_arg a = { entity, id, kv };

	return store_run(fx_store, set_txn, &a);
}

static uint32_t
ticket(const char *queue, const char *priority)
{
	char cid[16];
	uint32_t id;

	snprintf(cid, sizeof cid, "%u", customer());
	id = fx_add("ticket", "subject", "发票开错了", "customer", cid,
	    "queue", queue, "priority", priority, NULL);
	cr_assert_neq(id, 0, "%s", store_error(fx_store));
	return id;
}

Test(cal, ticket_gets_number_and_due_times)
{
	struct record r;
	uint32_t id;

	now_is("2026-11-20T17:00:00");
	id = ticket("", "normal");
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "number"), "T000001");
	cr_expect_str_eq(record_get(&r, "status"), "new");
	cr_expect_str_eq(record_get(&r, "response_due"), "2026-11-20T18:00:00");
	cr_expect_str_eq(record_get(&r, "due"), "2026-11-23T12:00:00");
	record_free(&r);
}

Test(cal, pending_stops_the_clock)
{
	struct record r;
	uint32_t id;

	now_is("2026-11-23T09:00:00");
	id = ticket("", "normal");
	now_is("2026-11-23T10:00:00");
	cr_assert_eq(SET("ticket", id, "status", "pending"), ST_OK, "%s",
	    store_error(fx_store));
	/* Two working hours waiting on the customer. */
	now_is("2026-11-23T12:00:00");
	r = get("ticket", id);
	{
		struct sla_state st;

		sla_state_of(fx_forms->service, &r, at("2026-11-23T12:00:00"),
		    &st);
		cr_expect(st.paused);
		cr_expect_eq(st.resolution_left, 3 * 3600);
	}
	record_free(&r);
	cr_assert_eq(SET("ticket", id, "status", "open"), ST_OK);
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "due"), "2026-11-23T15:00:00");
	cr_expect_str_eq(record_get(&r, "paused_work"), "7200");
	/* Leaving new was the first response, in time. */
	cr_expect_str_eq(record_get(&r, "responded"), "2026-11-23T10:00:00");
	cr_expect_str_eq(record_get(&r, "breach"), "");
	record_free(&r);
}

Test(cal, status_flow_and_required_resolution)
{
	uint32_t id;

	now_is("2026-11-23T09:00:00");
	id = ticket("", "normal");
	cr_expect_eq(SET("ticket", id, "status", "resolved"), ST_INVALID);
	cr_expect(strstr(store_error(fx_store), "requires resolution") != NULL,
	    "%s", store_error(fx_store));
	cr_assert_eq(SET("ticket", id, "status", "resolved", "resolution",
	    "重开发票"), ST_OK, "%s", store_error(fx_store));
	cr_expect_eq(SET("ticket", id, "status", "pending"), ST_INVALID);
	cr_expect(strstr(store_error(fx_store), "resolved cannot go to "
	    "pending (from resolved: open, closed)") != NULL, "%s",
	    store_error(fx_store));
	cr_expect_eq(SET("ticket", id, "status", "open"), ST_OK);
}

Test(cal, late_resolution_is_a_breach)
{
	struct record r;
	uint32_t id;

	now_is("2026-11-23T09:00:00");
	id = ticket("", "urgent");
	now_is("2026-11-23T11:00:00");
	cr_assert_eq(SET("ticket", id, "status", "resolved", "resolution",
	    "done"), ST_OK);
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "breach"), "both");
	cr_expect_str_eq(record_get(&r, "resolved_at"), "2026-11-23T11:00:00");
	record_free(&r);
}

struct state_arg {
	const char *name, *state, *reason;
};

static int
state_txn(struct store *s, struct txn *t, void *arg)
{
	struct state_arg *a = arg;

	return svc_agent_set_state(s, t, a->name, a->state, a->reason, NULL,
	    NULL);
}

static void
set_state(const char *name, const char *state, const char *reason)
{
	struct state_arg a = { name, state, reason };

	cr_assert_eq(store_run(fx_store, state_txn, &a), ST_OK, "%s",
	    store_error(fx_store));
}

static char *
assignee(uint32_t id)
{
	struct record r = get("ticket", id);
	char *s = xstrdup(record_get(&r, "assignee"));

	record_free(&r);
	return s;
}

Test(cal, round_robin_among_ready_members)
{
	char *a[4];

	now_is("2026-11-23T09:00:00");
	set_state("ann", "ready", NULL);
	set_state("bob", "ready", NULL);
	set_state("cat", "paused", "lunch");
	for (int i = 0; i < 4; i++) {
		char when[32];

		snprintf(when, sizeof when, "2026-11-23T09:0%d:00", i + 1);
		now_is(when);
		a[i] = assignee(ticket("billing", "normal"));
	}
	cr_expect_str_eq(a[0], "ann");
	cr_expect_str_eq(a[1], "bob");
	cr_expect_str_eq(a[2], "ann");
	cr_expect_str_eq(a[3], "bob");
	for (int i = 0; i < 4; i++)
		free(a[i]);
}

Test(cal, least_loaded_member_gets_it)
{
	uint32_t t1;
	char *who;

	now_is("2026-11-23T09:00:00");
	set_state("ann", "ready", NULL);
	set_state("bob", "paused", "training");
	t1 = ticket("tech", "normal");
	who = assignee(t1);
	cr_expect_str_eq(who, "ann");
	free(who);
	set_state("bob", "ready", NULL);
	who = assignee(ticket("tech", "normal"));
	cr_expect_str_eq(who, "bob");
	free(who);
	/* ann closes hers: she is the least loaded again. */
	cr_assert_eq(SET("ticket", t1, "status", "closed"), ST_OK);
	who = assignee(ticket("tech", "normal"));
	cr_expect_str_eq(who, "ann");
	free(who);
	/* Paused and offline agents get nothing; nobody ready leaves it open. */
	set_state("ann", "paused", "lunch");
	set_state("bob", "offline", NULL);
	who = assignee(ticket("tech", "normal"));
	cr_expect_str_eq(who, "");
	free(who);
}

struct take_arg {
	uint32_t id;
	const char *user;
};

static int
take_txn(struct store *s, struct txn *t, void *arg)
{
	struct take_arg *a = arg;

	return svc_ticket_take(s, t, a->id, a->user);
}

Test(cal, a_taken_ticket_names_its_holder)
{
	struct take_arg a;
	uint32_t id;

	now_is("2026-11-23T09:00:00");
	id = ticket("tier2", "normal");
	a.id = id;
	a.user = "ann";
	cr_expect_eq(store_run(fx_store, take_txn, &a), ST_OK);
	a.user = "bob";
	cr_expect_eq(store_run(fx_store, take_txn, &a), ST_CONFLICT);
	cr_expect_str_eq(store_error(fx_store),
	    "ticket T000001 is already taken by ann");
}

Test(cal, sweep_marks_escalates_and_flags_missed_callbacks)
{
	struct sweep_report rep;
	struct record r;
	char cid[16];
	uint32_t id, cb;

	now_is("2026-11-23T09:00:00");
	id = ticket("", "normal");	/* 1 h response, 4 h resolution */
	snprintf(cid, sizeof cid, "%u", customer());
	cb = fx_add("callback", "customer", cid, "due", "2026-11-23T10:00:00",
	    "assignee", "ann", NULL);
	cr_assert_neq(cb, 0, "%s", store_error(fx_store));

	cr_assert_eq(svc_sweep(fx_store, at("2026-11-23T10:05:00"), &rep),
	    ST_OK);
	cr_expect_eq(rep.breached, 1);	/* response */
	cr_expect_eq(rep.escalated, 0);
	cr_expect_eq(rep.missed, 0);	/* 5 minutes late: within grace */
	cr_expect_eq(rep.nsteps, 0);
	sweep_report_free(&rep);

	cr_assert_eq(svc_sweep(fx_store, at("2026-11-23T11:30:00"), &rep),
	    ST_OK);
	cr_expect_eq(rep.breached, 0);
	cr_expect_eq(rep.escalated, 1);	/* 62% used: notify */
	cr_expect_eq(rep.missed, 1);
	/* The step taken, for the supervisors' desks. */
	cr_assert_eq(rep.nsteps, 1);
	cr_expect_str_eq(rep.steps[0].number, "T000001");
	cr_expect_str_eq(rep.steps[0].subject, "发票开错了");
	cr_expect_eq(rep.steps[0].level, 1);
	cr_expect_eq(rep.steps[0].percent, 50);
	cr_expect_eq(rep.steps[0].action, ESC_NOTIFY);
	sweep_report_free(&rep);
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "escalation"), "1");
	cr_expect_str_eq(record_get(&r, "breach"), "response");
	record_free(&r);

	/* At 13:00 the 4 h are used: priority up, and urgent's 1 h target
	 * puts it long past due. */
	cr_assert_eq(svc_sweep(fx_store, at("2026-11-23T13:00:00"), &rep),
	    ST_OK);
	cr_assert_eq(rep.nsteps, 1);
	cr_expect_eq(rep.steps[0].action, ESC_RAISE_PRIORITY);
	sweep_report_free(&rep);
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "priority"), "high");
	cr_expect_str_eq(record_get(&r, "escalation"), "2");
	record_free(&r);
	r = get("callback", cb);
	cr_expect_str_eq(record_get(&r, "missed"), "true");
	record_free(&r);
}

struct script_arg {
	uint32_t customer;
	struct record r;
};

static int
script_txn(struct store *s, struct txn *t, void *arg)
{
	struct script_arg *a = arg;

	record_free(&a->r);
	record_init(&a->r);
	return svc_script_fields(s, t, a->customer, &a->r);
}

Test(cal, scripts_merge_the_last_order_and_call)
{
	struct script_arg a;
	char cid[16];
	char *text;

	a.customer = customer();
	snprintf(cid, sizeof cid, "%u", a.customer);
	cr_assert_neq(fx_add("order", "number", "SO-1", "customer", cid,
	    "ordered", "2026-09-01", "total", "99", NULL), 0, "%s",
	    store_error(fx_store));
	cr_assert_neq(fx_add("order", "number", "SO-2", "customer", cid,
	    "ordered", "2026-10-08", "total", "1280.50", NULL), 0);
	cr_assert_neq(fx_add("interaction", "customer", cid, "channel", "call",
	    "started", "2026-11-20 10:30", "subject", "问了账单", NULL), 0,
	    "%s", store_error(fx_store));
	record_init(&a.r);
	cr_assert_eq(store_run(fx_store, script_txn, &a), ST_OK);
	text = service_merge("{{name}}您好，您{{ last_order }}的订单；上次来电"
	    "{{last_call}}。{{nothing}}", fx_entity("customer"), &a.r);
	cr_expect_str_eq(text, "王小明您好，您SO-2 2026-10-08 1280.50 CNY的订单；"
	    "上次来电2026-11-20 10:30 问了账单。");
	free(text);
	record_free(&a.r);
}

Test(cal, a_ticket_opened_as_worked_is_answered)
{
	struct record r;
	char cid[16];
	uint32_t id;

	now_is("2026-11-23T10:00:00");
	snprintf(cid, sizeof cid, "%u", customer());
	id = fx_add("ticket", "subject", "电话里处理", "customer", cid, "status",
	    "open", NULL);
	cr_assert_neq(id, 0, "%s", store_error(fx_store));
	r = get("ticket", id);
	cr_expect_str_eq(record_get(&r, "responded"), "2026-11-23T10:00:00");
	cr_expect_str_eq(record_get(&r, "response_due"), "");
	record_free(&r);
}
