/* demo.c - fill a new environment with realistic generated data: Chinese
 * and Latin customers with several phones each, organisations with their
 * contacts, interactions and tickets. Deterministic: the same seed gives
 * the same data.  usage: demo-gen HOME [CUSTOMERS] */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

static const char *surnames[] = { "王", "李", "张", "刘", "陈", "杨", "黄",
    "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "林", "罗",
    "欧阳", "司马", "诸葛", "上官", "东方" };
static const char *given[] = { "伟", "芳", "娜娜", "秀英", "敏", "静", "丽",
    "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰",
    "霞", "平", "刚", "桂英", "修", "子涵", "浩然", "雨桐", "梓萱" };
static const char *first[] = { "James", "Mary", "Robert", "Patricia", "John",
    "Jennifer", "Michael", "Linda", "David", "Elizabeth", "Wei", "Min",
    "Olivia", "Noah", "Emma", "Liam", "Sophia", "Lucas", "Chloé", "José" };
static const char *last[] = { "Smith", "Johnson", "Williams", "Brown",
    "Jones", "Garcia", "Miller", "Davis", "Zhang", "Wang", "Li", "Chen",
    "Müller", "Martin", "Bernard", "O'Brien", "Nguyen", "Tanaka" };
static const char *companies[] = { "华为技术有限公司", "腾讯科技", "阿里巴巴",
    "北京小米科技", "比亚迪股份", "中国平安保险", "招商银行", "美团点评",
    "京东物流", "海尔智家", "Acme Corporation", "Globex Ltd", "Initech",
    "Umbrella Trading", "Stark Industries", "Wayne Enterprises" };
static const char *cities[] = { "北京", "上海", "广州", "深圳", "杭州", "成都",
    "武汉", "西安", "南京", "London", "New York", "Singapore" };
static const char *areas[] = { "010", "021", "020", "0755", "0571", "028" };
static const char *subjects[] = { "咨询账单", "投诉物流延迟", "产品使用问题",
    "续约意向", "Invoice question", "Delivery delayed", "Upgrade request",
    "密码重置", "退款申请", "预约上门" };
static const char *dispositions[] = { "answered", "answered", "answered",
    "no_answer", "busy", "voicemail", "callback", "sale", "complaint" };
static const char *agents[] = { "alice", "bob", "chen", "dong", "li.na" };

#define PICK(a) (a[(size_t)random() % (sizeof a / sizeof *a)])

static struct forms *forms;
static const struct entity *customer, *contact, *interaction, *ticket;

static const char *queues[] = { "billing", "technical" };
static const char *demo_user;	/* who runs the demo: some work is theirs */

static char *
mobile(void)
{
	long n = 13000000000L + random() % 999999999L;

	switch (random() % 4) {
	case 0:
		return xasprintf("+86 %ld-%04ld-%04ld", n / 100000000,
		    n / 10000 % 10000, n % 10000);
	case 1:
		return xasprintf("%ld", n);
	case 2:
		return xasprintf("0086 %ld %04ld %04ld", n / 100000000,
		    n / 10000 % 10000, n % 10000);
	default:
		return xasprintf("(+86)%ld", n);
	}
}

static char *
phones(void)
{
	struct strv v;
	char *s;
	int n = 1 + (int)(random() % 3);

	strv_init(&v);
	for (int i = 0; i < n; i++) {
		if (i == 1 && random() % 2)
			strv_pushf(&v, "%s-%04ld %04ld", PICK(areas),
			    1000 + random() % 9000, random() % 10000);
		else {
			s = mobile();
			strv_push(&v, s);
			free(s);
		}
	}
	s = strv_join(&v, "\n");
	strv_free(&v);
	return s;
}

static void
set_normalised(struct record *r, const struct entity *e, const char *field,
    const char *value)
{
	const struct field *f = entity_field(e, field);
	char *out = NULL, *why = NULL;

	if (f == NULL)
		return;
	if (field_normalise(f, value, &out, &why) == 0)
		record_set(r, field, out);
	free(out);
	free(why);
}

struct batch {
	int from;
	int to;
	int total;
	uint32_t *ids;
};

static void
make_customer(struct record *r, int i)
{
	char *name, *ph, *email;
	bool chinese = random() % 3 != 0, org = random() % 5 == 0;

	if (org)
		name = xstrdup(PICK(companies));
	else if (chinese)
		name = xasprintf("%s%s", PICK(surnames), PICK(given));
	else
		name = xasprintf("%s %s", PICK(first), PICK(last));
	ph = phones();
	email = xasprintf("c%d.%ld@example.%s", i, random() % 1000,
	    chinese ? "cn" : "com");
	record_set(r, "name", name);
	record_set(r, "kind", org ? "organisation" : "person");
	record_set(r, "phones", ph);
	record_set(r, "email", email);
	if (!org && random() % 2)
		record_set(r, "company", PICK(companies));
	set_normalised(r, customer, "city", PICK(cities));
	if (random() % 10 == 0)
		set_normalised(r, customer, "status", "vip");
	free(name);
	free(ph);
	free(email);
}

static int
add(struct store *s, struct txn *t, const struct entity *e, struct record *r,
    uint32_t *id)
{
	int rc = store_create(s, t, e, r);

	if (id != NULL)
		*id = r->id;
	record_free(r);
	return rc;
}

/* Tickets in the queues of service.yaml; the store numbers them and
 * works out their due times. A few are the demo user's. */
static int
make_ticket(struct store *s, struct txn *t, const char *ref)
{
	static const char *statuses[] = { "new", "new", "open", "open",
	    "pending" };
	struct record r;

	record_init(&r);
	record_set(&r, "customer", ref);
	record_set(&r, "subject", PICK(subjects));
	set_normalised(&r, ticket, "priority", random() % 8 == 0 ? "urgent" :
	    random() % 4 ? "normal" : "high");
	record_set(&r, "queue", PICK(queues));
	record_set(&r, "assignee", random() % 5 == 0 ? demo_user :
	    PICK(agents));
	record_set(&r, "status", PICK(statuses));
	return add(s, t, ticket, &r, NULL);
}

static int
make_callback(struct store *s, struct txn *t, uint32_t customer_id,
    const char *due, const char *who)
{
	const struct entity *e = forms_entity(forms, "callback");
	char ref[16];
	struct record r;

	snprintf(ref, sizeof ref, "%u", customer_id);
	record_init(&r);
	record_set(&r, "customer", ref);
	set_normalised(&r, e, "due", due);
	record_set(&r, "assignee", who);
	record_set(&r, "note", "客户要求回电确认退款进度");
	return add(s, t, e, &r, NULL);
}

/* The campaign of service.yaml's script, and the first customers on its
 * call list: their cards show the script (F8). */
static int
make_campaign(struct store *s, struct txn *t, const uint32_t *ids)
{
	const struct entity *ke = forms_entity(forms, "campaign");
	char ref[16];
	struct record r;
	uint32_t id;
	int rc;

	record_init(&r);
	record_set(&r, "name", "spring-renewal");
	set_normalised(&r, ke, "status", "active");
	if ((rc = add(s, t, ke, &r, &id)) != ST_OK)
		return rc;
	snprintf(ref, sizeof ref, "%u", id);
	for (int i = 0; i < 20 && rc == ST_OK; i++) {
		record_init(&r);
		if ((rc = store_get(s, t, customer, ids[i], &r)) == ST_OK) {
			record_set(&r, "campaign", ref);
			rc = store_update(s, t, customer, &r, 0);
		}
		record_free(&r);
	}
	return rc;
}

/* The floor: users with teams, their agent states, and a few callbacks. */
static int
staff_txn(struct store *s, struct txn *t, void *arg)
{
	static const struct {
		const char *name, *full, *role, *team, *state, *reason;
	} staff[] = {
		{ "alice", "Alice 王", "agent", "billing", "ready", NULL },
		{ "bob", "Bob 李", "agent", "billing", "on_call", NULL },
		{ "chen", "陈静", "agent", "technical", "paused", "lunch" },
		{ "dong", "董强", "agent", "technical", "ready", NULL },
		{ "li.na", "李娜", "supervisor", "billing", "ready", NULL },
	};
	const struct entity *ue = forms_entity(forms, "user");
	const uint32_t *ids = arg;
	struct record r;
	int rc = ST_OK;

	for (size_t i = 0; i < sizeof staff / sizeof *staff && rc == ST_OK;
	    i++) {
		record_init(&r);
		record_set(&r, "name", staff[i].name);
		record_set(&r, "full_name", staff[i].full);
		record_set(&r, "role", staff[i].role);
		record_set(&r, "team", staff[i].team);
		if ((rc = add(s, t, ue, &r, NULL)) == ST_OK)
			rc = svc_agent_set_state(s, t, staff[i].name,
			    staff[i].state, staff[i].reason, NULL, NULL);
	}
	if (rc == ST_OK && strcmp(demo_user, "alice") != 0) {
		record_init(&r);
		record_set(&r, "name", demo_user);
		record_set(&r, "role", "admin");
		record_set(&r, "team", "billing");
		if ((rc = add(s, t, ue, &r, NULL)) == ST_OK)
			rc = svc_agent_set_state(s, t, demo_user, "ready",
			    NULL, NULL, NULL);
	}
	if (rc == ST_OK)
		rc = make_campaign(s, t, ids);
	if (rc == ST_OK)
		rc = make_callback(s, t, ids[0], "+30min", demo_user);
	if (rc == ST_OK)
		rc = make_callback(s, t, ids[1], "-2h", demo_user);
	if (rc == ST_OK)
		rc = make_callback(s, t, ids[2], "tomorrow 10:00", "");
	return rc;
}

static int
batch_txn(struct store *s, struct txn *t, void *arg)
{
	struct batch *b = arg;
	char ref[16], when[32];
	struct record r;
	int rc = ST_OK;

	for (int i = b->from; i < b->to && rc == ST_OK; i++) {
		record_init(&r);
		make_customer(&r, i);
		if ((rc = add(s, t, customer, &r, &b->ids[i])) != ST_OK)
			break;
		snprintf(ref, sizeof ref, "%u", b->ids[i]);
		for (int k = 0; k < (int)(random() % 3) && rc == ST_OK; k++) {
			char *name = xasprintf("%s%s", PICK(surnames),
			    PICK(given));
			char *ph = mobile();

			record_init(&r);
			record_set(&r, "customer", ref);
			record_set(&r, "name", name);
			record_set(&r, "phones", ph);
			rc = add(s, t, contact, &r, NULL);
			free(name);
			free(ph);
		}
		for (int k = 0; k < (int)(random() % 5) && rc == ST_OK; k++) {
			snprintf(when, sizeof when, "2026-%02ld-%02ld %02ld:%02ld",
			    1 + random() % 11, 1 + random() % 28,
			    8 + random() % 10, random() % 60);
			record_init(&r);
			record_set(&r, "customer", ref);
			set_normalised(&r, interaction, "channel",
			    random() % 4 ? "call" : "email");
			set_normalised(&r, interaction, "direction",
			    random() % 3 ? "inbound" : "outbound");
			set_normalised(&r, interaction, "disposition",
			    PICK(dispositions));
			if (strcmp(record_get(&r, "disposition"), "callback") ==
			    0)
				set_normalised(&r, interaction, "callback_at",
				    "+2d");
			if (strcmp(record_get(&r, "disposition"), "sale") == 0)
				set_normalised(&r, interaction, "amount",
				    "1280.00");
			set_normalised(&r, interaction, "started", when);
			snprintf(when, sizeof when, "%ld", 20 + random() % 900);
			record_set(&r, "duration", when);
			record_set(&r, "agent", PICK(agents));
			record_set(&r, "subject", PICK(subjects));
			rc = add(s, t, interaction, &r, NULL);
		}
		if (random() % 6 == 0 && rc == ST_OK)
			rc = make_ticket(s, t, ref);
	}
	return rc;
}

int
main(int argc, char **argv)
{
	struct store_opts o = { 0 };
	struct store *s;
	struct strv diags;
	const char *dir = getenv("TCRM_FORMS");
	int total = argc > 2 ? atoi(argv[2]) : 3000;
	struct batch b = { 0, 0, total, NULL };
	int rc = ST_OK;

	demo_user = getenv("DEMO_USER") && *getenv("DEMO_USER") ?
	    getenv("DEMO_USER") : "alice";
	if (argc < 2 || total < 1) {
		fprintf(stderr, "usage: demo-gen HOME [CUSTOMERS]\n");
		return EX_USAGE;
	}
	strv_init(&diags);
	if (forms_load(dir ? dir : "forms", &forms, &diags) != 0) {
		fprintf(stderr, "demo-gen: %s\n", diags.n ? diags.v[0] : "forms");
		return EX_CONFIG;
	}
	customer = forms_entity(forms, "customer");
	contact = forms_entity(forms, "contact");
	interaction = forms_entity(forms, "interaction");
	ticket = forms_entity(forms, "ticket");
	o.home = argv[1];
	o.forms = forms;
	o.user = "demo";
	o.nosync = true;
	if (store_open(&s, &o) != ST_OK) {
		fprintf(stderr, "demo-gen: %s\n", store_error(s));
		return EX_UNAVAILABLE;
	}
	srandom(20261123);
	b.ids = xcalloc((size_t)total, sizeof *b.ids);
	for (b.from = 0; b.from < total && rc == ST_OK; b.from = b.to) {
		long state = random();

		b.to = b.from + 500 < total ? b.from + 500 : total;
		/* A retried batch must generate the same rows again. */
		srandom((unsigned)state);
		rc = store_run(s, batch_txn, &b);
	}
	if (rc == ST_OK && total >= 20)
		rc = store_run(s, staff_txn, b.ids);
	if (rc != ST_OK)
		fprintf(stderr, "demo-gen: %s\n", store_error(s));
	else
		printf("demo-gen: %d customers with contacts, interactions and "
		    "tickets in %s\n", total, argv[1]);
	free(b.ids);
	store_close(s);
	forms_free(forms);
	return rc == ST_OK ? 0 : EX_SOFTWARE;
}
