/* store-service.c - the service desk's rules on tickets, agents and
 * callbacks, kept inside the store's transactions so the desk, the
 * command line and import all get them. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#define LOOKUP_MAX 100000

const struct service *
store_service(struct store *s)
{
	return s->forms != NULL ? s->forms->service : NULL;
}

static const struct entity *
entity_named(struct store *s, const char *name)
{
	const struct entity *e = forms_entity(s->forms, name);

	if (e == NULL)
		st_fail(s, ST_INVALID, "the forms have no '%s' entity", name);
	return e;
}

static void
set_time(struct record *r, const char *field, time_t t)
{
	char *v = datetime_format(t);

	record_set(r, field, v);
	free(v);
}

static bool
get_time(const struct record *r, const char *field, time_t *t)
{
	const char *v = record_get(r, field);

	return *v != '\0' && datetime_parse(v, t) == 0;
}

static long
get_long(const struct record *r, const char *field)
{
	return strtol(record_get(r, field), NULL, 10);
}

static void
set_long(struct record *r, const char *field, long v)
{
	char num[32];

	if (v == 0) {
		record_set(r, field, "");
		return;
	}
	snprintf(num, sizeof num, "%ld", v);
	record_set(r, field, num);
}

static bool
is_done(const char *status)
{
	return strcmp(status, "resolved") == 0 || strcmp(status, "closed") == 0;
}

static bool
differs(const struct record *old, const struct record *r, const char *f)
{
	return old == NULL || strcmp(record_get(old, f), record_get(r, f)) != 0;
}

static void
add_breach(struct record *r, const char *kind)
{
	const char *cur = record_get(r, "breach");

	if (*cur == '\0' || strcmp(cur, kind) == 0)
		record_set(r, "breach", kind);
	else if (strcmp(cur, "both") != 0)
		record_set(r, "breach", "both");
}

static bool
has_breach(const struct record *r, const char *kind)
{
	const char *cur = record_get(r, "breach");

	return strcmp(cur, kind) == 0 || strcmp(cur, "both") == 0;
}

/* ---- agents ---- */

static int
find_one(struct store *s, struct txn *t, const struct entity *e,
    const char *field, const char *value, struct record *rec,
    bool for_update)
{
	const struct field *f = entity_field(e, field);
	uint32_t id;
	size_t n = 0;
	int rc;

	if (f == NULL)
		return st_fail(s, ST_INVALID, "%s has no field %s", e->name,
		    field);
	rc = for_update ? store_lookup_for_update(s, t, f, value, &id, 1, &n) :
	    store_lookup(s, t, f, value, &id, 1, &n);
	if (rc != ST_OK)
		return rc;
	if (n == 0)
		return ST_NOTFOUND;
	return for_update ? store_get_for_update(s, t, e, id, rec) :
	    store_get(s, t, e, id, rec);
}

int
svc_agent_find(struct store *s, struct txn *t, const char *user,
    struct record *rec)
{
	const struct entity *e = entity_named(s, "agent");

	record_init(rec);
	return e != NULL ? find_one(s, t, e, "name", user, rec, false) :
	    ST_INVALID;
}

int
svc_agent_get(struct store *s, struct txn *t, const char *user,
    struct record *rec)
{
	const struct entity *e = entity_named(s, "agent");
	int rc;

	if (e == NULL)
		return ST_INVALID;
	/* Write locks from the start: a shift signing on at once would
	 * otherwise read together and deadlock on the upgrade. */
	record_init(rec);
	rc = find_one(s, t, e, "name", user, rec, true);
	if (rc != ST_NOTFOUND)
		return rc;
	record_free(rec);
	record_init(rec);
	record_set(rec, "name", user);
	record_set(rec, "state", "offline");
	set_time(rec, "since", clock_now());
	return store_create(s, t, e, rec);
}

int
svc_agent_set_state(struct store *s, struct txn *t, const char *user,
    const char *state, const char *reason, const char *call_id,
    const char *caller)
{
	const struct entity *e = entity_named(s, "agent");
	struct record rec;
	bool same;
	int rc;

	if (e == NULL)
		return ST_INVALID;
	if ((rc = svc_agent_get(s, t, user, &rec)) != ST_OK)
		return rc;
	same = strcmp(record_get(&rec, "state"), state) == 0;
	record_set(&rec, "state", state);
	record_set(&rec, "reason", strcmp(state, "paused") == 0 && reason ?
	    reason : "");
	if (strcmp(state, "on_call") == 0 || strcmp(state, "wrap_up") == 0) {
		if (call_id != NULL)
			record_set(&rec, "call_id", call_id);
		if (caller != NULL)
			record_set(&rec, "caller", caller);
	} else {
		record_set(&rec, "call_id", "");
		record_set(&rec, "caller", "");
	}
	if (!same)
		set_time(&rec, "since", clock_now());
	rc = store_update(s, t, e, &rec, 0);
	record_free(&rec);
	return rc;
}

int
svc_open_load(struct store *s, struct txn *t, const char *user, size_t *n)
{
	const struct entity *e = entity_named(s, "ticket");
	const struct field *f;
	uint32_t *ids;
	size_t nids = 0;
	int rc;

	*n = 0;
	if (e == NULL || (f = entity_field(e, "assignee")) == NULL)
		return ST_INVALID;
	ids = xcalloc(LOOKUP_MAX, sizeof *ids);
	rc = store_lookup(s, t, f, user, ids, LOOKUP_MAX, &nids);
	for (size_t i = 0; rc == ST_OK && i < nids; i++) {
		struct record r;

		record_init(&r);
		rc = store_get(s, t, e, ids[i], &r);
		if (rc == ST_OK && !is_done(record_get(&r, "status")))
			(*n)++;
		record_free(&r);
		if (rc == ST_NOTFOUND)
			rc = ST_OK;
	}
	free(ids);
	return rc;
}

/* Members of a queue: those it names, then the users of its team. */
static int
queue_members(struct store *s, struct txn *t, const struct svc_queue *q,
    struct strv *out)
{
	const struct entity *ue;
	const struct field *f;
	uint32_t *ids;
	size_t n = 0;
	int rc = ST_OK;

	for (size_t i = 0; i < q->members.n; i++)
		strv_push(out, q->members.v[i]);
	if (q->team == NULL || (ue = forms_entity(s->forms, "user")) == NULL ||
	    (f = entity_field(ue, "team")) == NULL)
		return ST_OK;
	ids = xcalloc(LOOKUP_MAX, sizeof *ids);
	rc = store_lookup(s, t, f, q->team, ids, LOOKUP_MAX, &n);
	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		struct record r;
		const char *name;
		bool dup = false;

		record_init(&r);
		if ((rc = store_get(s, t, ue, ids[i], &r)) == ST_OK &&
		    strcmp(record_get(&r, "disabled"), "true") != 0) {
			name = record_get(&r, "name");
			for (size_t j = 0; j < out->n; j++)
				dup |= strcmp(out->v[j], name) == 0;
			if (!dup && *name != '\0')
				strv_push(out, name);
		}
		record_free(&r);
		if (rc == ST_NOTFOUND)
			rc = ST_OK;
	}
	free(ids);
	return rc;
}

struct candidate {
	const char *name;
	time_t last;		/* last assigned, 0 never */
	size_t load;
};

static bool
better(const struct candidate *a, const struct candidate *b,
    enum svc_assign rule)
{
	if (rule == ASSIGN_LEAST_LOADED && a->load != b->load)
		return a->load < b->load;
	if (a->last != b->last)
		return a->last < b->last;
	return strcmp(a->name, b->name) < 0;
}

/* Round-robin keeps, per queue, who got the last ticket; the turn passes
 * to the next ready member in the queue's order, so tickets arriving in
 * the same second still go round. */
static char *
rr_key(const char *queue)
{
	return xasprintf("rr:%s", queue);
}

static int
rr_pick(struct store *s, struct txn *t, const char *queue,
    const struct strv *members, const bool *ready, char **user)
{
	struct buf last;
	char *key = rr_key(queue);
	size_t start = 0;
	int rc;

	buf_init(&last);
	rc = store_meta_get(s, t, key, &last);
	if (rc == ST_OK) {
		for (size_t i = 0; i < members->n; i++) {
			if (strcmp(members->v[i], last.data) == 0)
				start = i + 1;
		}
	} else if (rc == ST_NOTFOUND)
		rc = ST_OK;
	for (size_t k = 0; rc == ST_OK && k < members->n; k++) {
		size_t i = (start + k) % members->n;

		if (ready[i]) {
			*user = xstrdup(members->v[i]);
			rc = store_meta_put(s, t, key, *user);
			break;
		}
	}
	buf_free(&last);
	free(key);
	return rc;
}

int
svc_pick_agent(struct store *s, struct txn *t, const char *queue,
    char **user)
{
	const struct service *sv = store_service(s);
	const struct svc_queue *q = service_queue(sv, queue);
	const struct entity *ae = entity_named(s, "agent");
	struct candidate best = { NULL, 0, 0 };
	struct strv members;
	bool *ready;
	int rc;

	*user = NULL;
	if (q == NULL || ae == NULL)
		return ST_OK;
	strv_init(&members);
	rc = queue_members(s, t, q, &members);
	ready = xcalloc(members.n + 1, sizeof *ready);
	for (size_t i = 0; rc == ST_OK && i < members.n; i++) {
		struct candidate c = { members.v[i], 0, 0 };
		struct record a;

		record_init(&a);
		rc = find_one(s, t, ae, "name", c.name, &a,
		    false);
		if (rc == ST_OK &&
		    strcmp(record_get(&a, "state"), "ready") == 0) {
			ready[i] = true;
			get_time(&a, "last_assigned", &c.last);
			if (q->assign == ASSIGN_LEAST_LOADED)
				rc = svc_open_load(s, t, c.name, &c.load);
			if (rc == ST_OK && (best.name == NULL ||
			    better(&c, &best, q->assign)))
				best = c;
		}
		record_free(&a);
		if (rc == ST_NOTFOUND)
			rc = ST_OK;
	}
	if (rc == ST_OK && q->assign == ASSIGN_ROUND_ROBIN)
		rc = rr_pick(s, t, q->name, &members, ready, user);
	else if (rc == ST_OK && best.name != NULL)
		*user = xstrdup(best.name);
	free(ready);
	strv_free(&members);
	return rc;
}

/* Round-robin turns on the agent's last assignment. */
static int
stamp_assigned(struct store *s, struct txn *t, const char *user)
{
	const struct entity *ae = entity_named(s, "agent");
	struct record a;
	int rc;

	if (ae == NULL)
		return ST_INVALID;
	if ((rc = svc_agent_get(s, t, user, &a)) != ST_OK)
		return rc;
	set_time(&a, "last_assigned", clock_now());
	rc = store_update(s, t, ae, &a, 0);
	record_free(&a);
	return rc;
}

static int
auto_assign(struct store *s, struct txn *t, struct record *r)
{
	const struct svc_queue *q;
	char *user = NULL;
	int rc;

	q = service_queue(store_service(s), record_get(r, "queue"));
	if (q == NULL || q->assign == ASSIGN_MANUAL ||
	    *record_get(r, "assignee") != '\0' ||
	    is_done(record_get(r, "status")))
		return ST_OK;
	if ((rc = svc_pick_agent(s, t, q->name, &user)) != ST_OK ||
	    user == NULL)
		return rc;
	record_set(r, "assignee", user);
	rc = stamp_assigned(s, t, user);
	free(user);
	return rc;
}

int
svc_ticket_take(struct store *s, struct txn *t, uint32_t id,
    const char *user)
{
	const struct entity *e = entity_named(s, "ticket");
	struct record r;
	const char *holder;
	int rc;

	if (e == NULL)
		return ST_INVALID;
	record_init(&r);
	if ((rc = store_get(s, t, e, id, &r)) != ST_OK) {
		record_free(&r);
		return rc;
	}
	holder = record_get(&r, "assignee");
	if (is_done(record_get(&r, "status")))
		rc = st_fail(s, ST_INVALID, _("ticket %s is %s: reopen it first"),
		    record_get(&r, "number"), record_get(&r, "status"));
	else if (*holder != '\0' && strcmp(holder, user) != 0)
		rc = st_fail(s, ST_CONFLICT, _("ticket %s is already taken by "
		    "%s"), record_get(&r, "number"), holder);
	else if (*holder == '\0') {
		record_set(&r, "assignee", user);
		if ((rc = store_update(s, t, e, &r, r.version)) == ST_OK)
			rc = stamp_assigned(s, t, user);
	}
	record_free(&r);
	return rc;
}

/* ---- the ticket rules ---- */

static time_t
created_time(const struct record *r)
{
	return (time_t)(r->created / 1000000);
}

/* Due times from the targets, counted from when the ticket was opened
 * plus the working time it spent pending. */
static void
set_due_times(const struct service *sv, struct record *r, bool keep_given)
{
	struct svc_target tg = service_target(sv, record_get(r, "queue"),
	    record_get(r, "priority"));
	long paused = get_long(r, "paused_work");
	time_t opened = created_time(r);

	if (tg.response > 0 && !(keep_given &&
	    *record_get(r, "response_due") != '\0') &&
	    *record_get(r, "responded") == '\0')
		set_time(r, "response_due", cal_add(&sv->cal, opened,
		    tg.response + paused));
	if (tg.resolution > 0 && !(keep_given &&
	    *record_get(r, "due") != '\0'))
		set_time(r, "due", cal_add(&sv->cal, opened,
		    tg.resolution + paused));
}

static void
status_change(const struct service *sv, const struct record *old,
    struct record *r, time_t now)
{
	const char *from = old ? record_get(old, "status") : "";
	const char *to = record_get(r, "status");
	time_t paused_at, due;

	if (strcmp(to, "pending") == 0 && strcmp(from, "pending") != 0)
		set_time(r, "paused_at", now);
	if (strcmp(from, "pending") == 0 && strcmp(to, "pending") != 0 &&
	    get_time(r, "paused_at", &paused_at)) {
		long work = cal_between(&sv->cal, paused_at, now);

		set_long(r, "paused_work", get_long(r, "paused_work") + work);
		if (*record_get(r, "responded") == '\0' &&
		    get_time(r, "response_due", &due))
			set_time(r, "response_due", cal_add(&sv->cal, due,
			    work));
		if (get_time(r, "due", &due))
			set_time(r, "due", cal_add(&sv->cal, due, work));
		record_set(r, "paused_at", "");
	}
	if (is_done(to) && !is_done(from)) {
		set_time(r, "resolved_at", now);
		if (get_time(r, "due", &due) && now > due)
			add_breach(r, "resolution");
	} else if (!is_done(to) && is_done(from))
		record_set(r, "resolved_at", "");
}

static void
first_response(const struct record *old, struct record *r, time_t now)
{
	time_t due;

	if (old == NULL || *record_get(r, "responded") != '\0')
		return;
	if (strcmp(record_get(r, "status"), "new") == 0 &&
	    !(differs(old, r, "note") && *record_get(r, "note") != '\0'))
		return;
	set_time(r, "responded", now);
	if (get_time(r, "response_due", &due) && now > due)
		add_breach(r, "response");
}

/* Called by store_create (old NULL, id assigned) and store_update. */
int
st_ticket_prepare(struct store *s, struct txn *t, const struct record *old,
    struct record *r)
{
	const struct service *sv = store_service(s);
	time_t now = clock_now();
	char num[16];

	if (*record_get(r, "number") == '\0') {
		snprintf(num, sizeof num, "T%06u", r->id);
		record_set(r, "number", num);
	}
	if (sv == NULL)
		return ST_OK;
	if (old == NULL) {
		/* Opened already being worked (on the phone with the
		 * customer): that is the first response. */
		if (strcmp(record_get(r, "status"), "new") != 0 &&
		    *record_get(r, "responded") == '\0')
			set_time(r, "responded", now);
		if (!is_done(record_get(r, "status")))
			set_due_times(sv, r, true);
		if (strcmp(record_get(r, "status"), "pending") == 0)
			set_time(r, "paused_at", now);
	} else {
		status_change(sv, old, r, now);
		first_response(old, r, now);
		if ((differs(old, r, "priority") || differs(old, r, "queue")) &&
		    !is_done(record_get(r, "status")))
			set_due_times(sv, r, false);
	}
	if (old == NULL || differs(old, r, "queue"))
		return auto_assign(s, t, r);
	return ST_OK;
}

void
sla_state_of(const struct service *sv, const struct record *r, time_t now,
    struct sla_state *st)
{
	time_t due, paused_at, at = now;

	memset(st, 0, sizeof *st);
	st->response_breached = has_breach(r, "response");
	st->resolution_breached = has_breach(r, "resolution");
	if (sv == NULL || is_done(record_get(r, "status")))
		return;
	st->paused = strcmp(record_get(r, "status"), "pending") == 0;
	if (st->paused && get_time(r, "paused_at", &paused_at))
		at = paused_at;
	if (*record_get(r, "responded") == '\0' &&
	    get_time(r, "response_due", &due)) {
		st->has_response = true;
		st->response_left = cal_between(&sv->cal, at, due);
		st->response_breached |= st->response_left < 0;
	}
	if (get_time(r, "due", &due)) {
		st->has_resolution = true;
		st->resolution_left = cal_between(&sv->cal, at, due);
		st->resolution_breached |= st->resolution_left < 0;
	}
}

/* ---- the sweep ---- */

static const char *
priority_above(const struct entity *e, const char *p)
{
	const struct field *f = entity_field(e, "priority");

	for (size_t i = 0; f != NULL && i + 1 < f->nvalues; i++) {
		if (strcmp(f->values[i].value, p) == 0)
			return f->values[i + 1].value;
	}
	return NULL;
}

struct sweep {
	const struct service *sv;
	const struct entity *e;
	time_t now;
	uint32_t *ids;		/* records to look at again in their txn */
	size_t n;
	size_t size;
	size_t cur;		/* the one being looked at */
	struct sweep_report one;	/* its changes, kept once committed */
	struct sweep_report *report;
};

void
sweep_report_free(struct sweep_report *r)
{
	for (size_t i = 0; i < r->nsteps; i++) {
		free(r->steps[i].number);
		free(r->steps[i].subject);
		free(r->steps[i].queue);
		free(r->steps[i].assignee);
	}
	free(r->steps);
	r->steps = NULL;
	r->nsteps = 0;
}

/* A transaction may run again: what it did counts once it committed. */
static void
sweep_keep(struct sweep_report *to, struct sweep_report *one)
{
	to->breached += one->breached;
	to->escalated += one->escalated;
	to->missed += one->missed;
	to->signed_off += one->signed_off;
	if (one->nsteps > 0) {
		to->steps = xreallocarray(to->steps, to->nsteps + one->nsteps,
		    sizeof *to->steps);
		memcpy(to->steps + to->nsteps, one->steps,
		    one->nsteps * sizeof *one->steps);
		to->nsteps += one->nsteps;
	}
	free(one->steps);
	memset(one, 0, sizeof *one);
}

static void
sweep_step(struct sweep_report *rep, const struct record *r, long level,
    const struct svc_escalation *esc)
{
	struct sweep_escalation *st;

	rep->steps = xreallocarray(rep->steps, rep->nsteps + 1,
	    sizeof *rep->steps);
	st = &rep->steps[rep->nsteps++];
	st->number = xstrdup(record_get(r, "number"));
	st->subject = xstrdup(record_get(r, "subject"));
	st->queue = xstrdup(record_get(r, "queue"));
	st->assignee = xstrdup(record_get(r, "assignee"));
	st->level = (int)level;
	st->percent = esc->percent;
	st->action = esc->action;
}

static int
collect_id(const struct record *r, void *arg)
{
	struct sweep *sw = arg;

	if (sw->n == sw->size) {
		sw->size = sw->size ? sw->size * 2 : 256;
		sw->ids = xreallocarray(sw->ids, sw->size, sizeof *sw->ids);
	}
	sw->ids[sw->n++] = r->id;
	return 0;
}

static void
escalate_one(struct sweep *sw, struct record *r,
    const struct svc_escalation *esc)
{
	const char *up;

	switch (esc->action) {
	case ESC_NOTIFY:
		break;
	case ESC_RAISE_PRIORITY:
		if ((up = priority_above(sw->e, record_get(r, "priority"))) !=
		    NULL)
			record_set(r, "priority", up);
		break;
	case ESC_REASSIGN:
		record_set(r, "queue", esc->queue);
		record_set(r, "assignee", "");
		break;
	}
}

/* The escalation steps passed by the share of the resolution time used. */
static bool
escalate(struct sweep *sw, struct record *r, const struct sla_state *st)
{
	struct svc_target tg = service_target(sw->sv, record_get(r, "queue"),
	    record_get(r, "priority"));
	long level = get_long(r, "escalation"), used;
	bool changed = false;

	if (!st->has_resolution || tg.resolution <= 0)
		return false;
	used = tg.resolution - st->resolution_left;
	while ((size_t)level < sw->sv->nescalations &&
	    used * 100 >= (long)sw->sv->escalations[level].percent *
	    tg.resolution) {
		const struct svc_escalation *esc = &sw->sv->escalations[level];

		escalate_one(sw, r, esc);
		level++;
		sweep_step(&sw->one, r, level, esc);
		changed = true;
	}
	if (changed) {
		set_long(r, "escalation", level);
		sw->one.escalated++;
	}
	return changed;
}

static int
sweep_ticket(struct store *s, struct txn *t, void *arg)
{
	struct sweep *sw = arg;
	struct sla_state st;
	struct record r;
	bool changed = false;
	int rc;

	sweep_report_free(&sw->one);
	memset(&sw->one, 0, sizeof sw->one);
	record_init(&r);
	if ((rc = store_get(s, t, sw->e, sw->ids[sw->cur], &r)) != ST_OK) {
		record_free(&r);
		return rc == ST_NOTFOUND ? ST_OK : rc;
	}
	sla_state_of(sw->sv, &r, sw->now, &st);
	if (st.response_left < 0 && st.has_response &&
	    !has_breach(&r, "response")) {
		add_breach(&r, "response");
		changed = true;
	}
	if (st.resolution_left < 0 && st.has_resolution &&
	    !has_breach(&r, "resolution")) {
		add_breach(&r, "resolution");
		changed = true;
	}
	if (changed)
		sw->one.breached++;
	changed |= !st.paused && escalate(sw, &r, &st);
	if (changed)
		rc = store_update(s, t, sw->e, &r, r.version);
	record_free(&r);
	return rc;
}

bool
svc_callback_missed(const struct service *sv, const struct record *r,
    time_t now)
{
	time_t due;

	if (strcmp(record_get(r, "status"), "pending") != 0)
		return false;
	if (strcmp(record_get(r, "missed"), "true") == 0)
		return true;
	return get_time(r, "due", &due) &&
	    now > due + (sv != NULL ? sv->callback_grace : 0);
}

static int
sweep_callback(struct store *s, struct txn *t, void *arg)
{
	struct sweep *sw = arg;
	struct record r;
	int rc;

	sweep_report_free(&sw->one);
	memset(&sw->one, 0, sizeof sw->one);
	record_init(&r);
	if ((rc = store_get(s, t, sw->e, sw->ids[sw->cur], &r)) != ST_OK) {
		record_free(&r);
		return rc == ST_NOTFOUND ? ST_OK : rc;
	}
	if (strcmp(record_get(&r, "missed"), "true") != 0 &&
	    svc_callback_missed(sw->sv, &r, sw->now)) {
		record_set(&r, "missed", "true");
		if ((rc = store_update(s, t, sw->e, &r, r.version)) == ST_OK)
			sw->one.missed++;
	}
	record_free(&r);
	return rc;
}

/* Desks leave a socket named desk.USER.PID in HOME/run; one killed with
 * -9 leaves it behind. An agent with sockets but no live desk behind any
 * of them is not on the floor, whatever the record says. (No socket at
 * all: the state is kept by hand or by a script, and stays.) */
static bool
desks_all_dead(const char *home, const char *user)
{
	struct strv desks;
	size_t alive = 0, n;

	if (notify_desks(home, user, &desks) != 0)
		return false;
	n = desks.n;
	for (size_t i = 0; i < desks.n; i++) {
		const char *dot = strrchr(desks.v[i], '.');
		long pid = dot != NULL ? strtol(dot + 1, NULL, 10) : 0;

		if (pid <= 0 || kill((pid_t)pid, 0) == 0 || errno == EPERM)
			alive++;
	}
	strv_free(&desks);
	return n > 0 && alive == 0;
}

static int
sweep_agent(struct store *s, struct txn *t, void *arg)
{
	struct sweep *sw = arg;
	struct record r;
	int rc;

	memset(&sw->one, 0, sizeof sw->one);
	record_init(&r);
	if ((rc = store_get(s, t, sw->e, sw->ids[sw->cur], &r)) != ST_OK) {
		record_free(&r);
		return rc == ST_NOTFOUND ? ST_OK : rc;
	}
	if (strcmp(record_get(&r, "state"), "offline") != 0 &&
	    desks_all_dead(s->home, record_get(&r, "name"))) {
		rc = svc_agent_set_state(s, t, record_get(&r, "name"),
		    "offline", NULL, NULL, NULL);
		if (rc == ST_OK)
			sw->one.signed_off++;
	}
	record_free(&r);
	return rc;
}

struct scan_arg {
	struct sweep *sw;
	uint32_t from;
	uint32_t next;
};

static int
scan_chunk(struct store *s, struct txn *t, void *arg)
{
	struct scan_arg *a = arg;

	a->sw->n = 0;
	return store_scan(s, t, a->sw->e, a->from, 500, collect_id, a->sw,
	    &a->next);
}

/* Each record in its own short transaction: a sweep never holds up the
 * agents' desks. */
static int
sweep_entity(struct store *s, struct sweep *sw, store_txn_fn one)
{
	struct scan_arg a = { sw, 1, 0 };
	int rc;

	do {
		if ((rc = store_run(s, scan_chunk, &a)) != ST_OK)
			break;
		for (sw->cur = 0; sw->cur < sw->n && rc == ST_OK; sw->cur++) {
			if ((rc = store_run(s, one, sw)) == ST_OK)
				sweep_keep(sw->report, &sw->one);
			sweep_report_free(&sw->one);
		}
		a.from = a.next;
	} while (rc == ST_OK && a.next != 0);
	return rc;
}

int
svc_sweep(struct store *s, time_t now, struct sweep_report *report)
{
	struct sweep sw = { .sv = store_service(s), .now = now,
	    .report = report };
	int rc = ST_OK;

	memset(report, 0, sizeof *report);
	if (sw.sv == NULL)
		return ST_OK;
	if ((sw.e = forms_entity(s->forms, "ticket")) != NULL)
		rc = sweep_entity(s, &sw, sweep_ticket);
	if (rc == ST_OK && (sw.e = forms_entity(s->forms, "callback")) != NULL)
		rc = sweep_entity(s, &sw, sweep_callback);
	if (rc == ST_OK && (sw.e = forms_entity(s->forms, "agent")) != NULL)
		rc = sweep_entity(s, &sw, sweep_agent);
	free(sw.ids);
	return rc;
}

/* ---- call scripts ---- */

/* The referrer of `from` (by its ref field) whose `by` field is greatest:
 * the latest order, the latest call. */
static int
latest_referrer(struct store *s, struct txn *t, const char *from,
    const char *ref, const char *by, uint32_t id, struct record *out)
{
	const struct entity *e = forms_entity(s->forms, from);
	const struct field *f = e ? entity_field(e, ref) : NULL;
	uint32_t *ids = NULL;
	size_t n = 0;
	bool found = false;
	int rc;

	if (f == NULL || f->type != FT_REF)
		return ST_NOTFOUND;
	if ((rc = store_referrers(s, t, f, id, &ids, &n)) != ST_OK)
		return rc;
	for (size_t i = 0; rc == ST_OK && i < n; i++) {
		struct record r;

		record_init(&r);
		rc = store_get(s, t, e, ids[i], &r);
		if (rc == ST_OK && (!found || strcmp(record_get(&r, by),
		    record_get(out, by)) >= 0)) {
			record_free(out);
			record_copy(out, &r);
			found = true;
		}
		record_free(&r);
		if (rc == ST_NOTFOUND)
			rc = ST_OK;
	}
	free(ids);
	return rc == ST_OK && !found ? ST_NOTFOUND : rc;
}

static void
set_shown(struct record *dst, const char *name, const struct entity *e,
    const struct record *src, const char *const *fields)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; fields[i] != NULL; i++) {
		const struct field *f = entity_field(e, fields[i]);
		const char *v = record_get(src, fields[i]);
		char *shown;

		if (f == NULL || *v == '\0')
			continue;
		shown = field_display(f, v);
		/* A script reads the time to the minute. */
		if (f->type == FT_DATETIME && strlen(shown) == 19)
			shown[16] = '\0';
		if (b.len > 0)
			buf_addc(&b, ' ');
		buf_adds(&b, shown);
		free(shown);
	}
	record_set(dst, name, b.data != NULL ? b.data : "");
	buf_free(&b);
}

int
svc_script_fields(struct store *s, struct txn *t, uint32_t customer,
    struct record *out)
{
	static const char *const order_fields[] = { "number", "ordered",
	    "total", NULL };
	static const char *const call_fields[] = { "started", "subject", NULL };
	const struct entity *ce = forms_entity(s->forms, "customer");
	struct record r;
	int rc;

	if (ce == NULL)
		return st_fail(s, ST_INVALID, "the forms have no customer");
	if ((rc = store_get(s, t, ce, customer, out)) != ST_OK)
		return rc;
	record_init(&r);
	if ((rc = latest_referrer(s, t, "order", "customer", "ordered",
	    customer, &r)) == ST_OK)
		set_shown(out, "last_order", forms_entity(s->forms, "order"),
		    &r, order_fields);
	record_free(&r);
	if (rc != ST_OK && rc != ST_NOTFOUND)
		return rc;
	record_init(&r);
	if ((rc = latest_referrer(s, t, "interaction", "customer", "started",
	    customer, &r)) == ST_OK)
		set_shown(out, "last_call", forms_entity(s->forms,
		    "interaction"), &r, call_fields);
	record_free(&r);
	return rc == ST_NOTFOUND ? ST_OK : rc;
}
