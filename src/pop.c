/* pop.c - the screen pop: who is calling (customers and contacts by any
 * spelling of the number), the one-line messages between `tcrm pop` and
 * a desk (JSON, each value checked: a desk treats every byte it receives
 * as hostile), and the delivery to every desk an agent has open. */
#include "tcrm.h"

#include <errno.h>
#include <jansson.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POP_VERSION 1

/* ---- checked text --------------------------------------------------- */

/* Short, valid UTF-8, and nothing a terminal or a log would act on. */
bool
pop_text_ok(const char *s, size_t max)
{
	size_t len = strlen(s), off = 0;

	if (len > max || !utf8_valid(s, len, NULL))
		return false;
	while (off < len) {
		int32_t cp;

		off += utf8_decode(s + off, len - off, &cp);
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			return false;
	}
	return true;
}

void
pop_event_init(struct pop_event *ev)
{
	memset(ev, 0, sizeof *ev);
}

void
pop_event_free(struct pop_event *ev)
{
	free(ev->caller);
	free(ev->called);
	free(ev->call_id);
	free(ev->from);
	pop_event_init(ev);
}

static void
json_set_text(json_t *o, const char *key, const char *value)
{
	if (value != NULL && *value != '\0')
		json_object_set_new(o, key, json_string(value));
}

/* A message of this protocol: its version and what it is. */
static json_t *
pop_object(const char *event)
{
	json_t *o = json_object();

	json_object_set_new(o, "v", json_integer(POP_VERSION));
	json_object_set_new(o, "event", json_string(event));
	return o;
}

/* The message as one line (without its newline); o is used up. */
static char *
pop_line(json_t *o)
{
	char *s = json_dumps(o, JSON_COMPACT), *out;

	json_decref(o);
	out = xstrdup(s != NULL ? s : "{}");
	free(s);
	return out;
}

char *
pop_event_encode(const struct pop_event *ev)
{
	json_t *o = pop_object("call");

	json_set_text(o, "caller", ev->caller);
	json_set_text(o, "called", ev->called);
	json_set_text(o, "call_id", ev->call_id);
	json_set_text(o, "from", ev->from);
	if (ev->customer != 0) {
		json_t *m = json_object();

		json_object_set_new(m, "customer", json_integer(ev->customer));
		json_object_set_new(m, "contact", json_integer(ev->contact));
		json_object_set_new(o, "match", m);
	}
	return pop_line(o);
}

static json_t *
pop_parse(const char *line, const char *event, char **why)
{
	json_error_t err;
	json_t *o, *v;

	if (strlen(line) > NOTIFY_LINE_MAX) {
		*why = xstrdup("message too long");
		return NULL;
	}
	o = json_loads(line, JSON_REJECT_DUPLICATES, &err);
	if (o == NULL || !json_is_object(o)) {
		*why = xasprintf("not a JSON object (%s)", o ? "other value" :
		    err.text);
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, "v");
	if (!json_is_integer(v) || json_integer_value(v) != POP_VERSION) {
		*why = xstrdup("unknown message version");
		json_decref(o);
		return NULL;
	}
	v = json_object_get(o, "event");
	if (!json_is_string(v) || strcmp(json_string_value(v), event) != 0) {
		*why = xasprintf("not a '%s' message", event);
		json_decref(o);
		return NULL;
	}
	return o;
}

/* An optional text member: absent is "", wrong is an error. */
static int
pop_member(json_t *o, const char *key, size_t max, char **out, char **why)
{
	json_t *v = json_object_get(o, key);

	*out = NULL;
	if (v == NULL) {
		*out = xstrdup("");
		return 0;
	}
	if (!json_is_string(v) || !pop_text_ok(json_string_value(v), max)) {
		*why = xasprintf("bad '%s'", key);
		return -1;
	}
	*out = xstrdup(json_string_value(v));
	return 0;
}

/* An id in a hint: 0 .. 2^32-1 (0 only where allowed). */
static int
pop_hint_id(json_t *m, const char *key, bool zero_ok, uint32_t *out)
{
	json_t *v = json_object_get(m, key);

	if (!json_is_integer(v) || json_integer_value(v) < (zero_ok ? 0 : 1) ||
	    json_integer_value(v) > (json_int_t)UINT32_MAX)
		return -1;
	*out = (uint32_t)json_integer_value(v);
	return 0;
}

static int
pop_hint(json_t *o, struct pop_event *ev, char **why)
{
	json_t *m = json_object_get(o, "match");

	if (m == NULL)
		return 0;
	if (!json_is_object(m) || json_object_size(m) != 2 ||
	    pop_hint_id(m, "customer", false, &ev->customer) != 0 ||
	    pop_hint_id(m, "contact", true, &ev->contact) != 0) {
		ev->customer = ev->contact = 0;
		*why = xstrdup("bad match");
		return -1;
	}
	return 0;
}

int
pop_event_decode(const char *line, struct pop_event *ev, char **why)
{
	json_t *o;
	int rc;

	pop_event_init(ev);
	*why = NULL;
	if ((o = pop_parse(line, "call", why)) == NULL)
		return -1;
	rc = pop_member(o, "caller", POP_TEXT_MAX, &ev->caller, why);
	if (rc == 0)
		rc = pop_member(o, "called", POP_TEXT_MAX, &ev->called, why);
	if (rc == 0)
		rc = pop_member(o, "call_id", POP_TEXT_MAX, &ev->call_id, why);
	if (rc == 0)
		rc = pop_member(o, "from", POP_TEXT_MAX, &ev->from, why);
	if (rc == 0)
		rc = pop_hint(o, ev, why);
	if (rc == 0 && *ev->caller == '\0') {
		*why = xstrdup("no caller");
		rc = -1;
	}
	json_decref(o);
	if (rc != 0)
		pop_event_free(ev);
	return rc;
}

static const char *const pop_screens[] = { "card", "chooser", "form",
    NULL };

char *
pop_ack_encode(const struct pop_ack *a)
{
	json_t *o = pop_object("drawn");

	json_object_set_new(o, "us", json_integer(a->us));
	json_object_set_new(o, "lookup_us", json_integer(a->lookup_us));
	json_object_set_new(o, "open_us", json_integer(a->open_us));
	json_object_set_new(o, "matches", json_integer((json_int_t)a->matches));
	json_object_set_new(o, "screen", json_string(a->screen));
	return pop_line(o);
}

/* A part of the time, if the desk said (older desks do not). */
static int64_t
pop_ack_part(json_t *o, const char *key, int64_t whole)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > whole)
		return 0;
	return (int64_t)json_integer_value(v);
}

int
pop_ack_decode(const char *line, struct pop_ack *a, char **why)
{
	json_t *o, *us, *m, *sc;

	memset(a, 0, sizeof *a);
	a->screen = "";
	*why = NULL;
	if ((o = pop_parse(line, "drawn", why)) == NULL)
		return -1;
	us = json_object_get(o, "us");
	m = json_object_get(o, "matches");
	sc = json_object_get(o, "screen");
	if (!json_is_integer(us) || json_integer_value(us) < 0 ||
	    !json_is_integer(m) || json_integer_value(m) < 0 ||
	    json_integer_value(m) > 1000000 || !json_is_string(sc)) {
		*why = xstrdup("bad acknowledgement");
		json_decref(o);
		return -1;
	}
	a->us = (int64_t)json_integer_value(us);
	a->lookup_us = pop_ack_part(o, "lookup_us", a->us);
	a->open_us = pop_ack_part(o, "open_us", a->us);
	a->matches = (size_t)json_integer_value(m);
	for (size_t i = 0; pop_screens[i] != NULL; i++) {
		if (strcmp(json_string_value(sc), pop_screens[i]) == 0)
			a->screen = pop_screens[i];
	}
	json_decref(o);
	return 0;
}

/* ---- who is calling ------------------------------------------------- */

void
pop_matches_free(struct pop_matches *ms)
{
	for (size_t i = 0; i < ms->n; i++) {
		struct pop_match *m = &ms->v[i];

		free(m->name);
		free(m->company);
		free(m->phones);
		free(m->contact_name);
		free(m->tier);
		free(m->status);
	}
	free(ms->v);
	ms->v = NULL;
	ms->n = 0;
}

struct lookup_run {
	const char *number;
	unsigned role;
	size_t max;
	struct pop_matches *out;
};

static bool
matches_have(const struct pop_matches *ms, uint32_t customer)
{
	for (size_t i = 0; i < ms->n; i++) {
		if (ms->v[i].customer == customer)
			return true;
	}
	return false;
}

/* The customer record r as a match (its unreadable fields emptied). */
static void
match_take(const struct entity *e, struct lookup_run *lr, uint32_t customer,
    uint32_t contact, const char *contact_name, struct record *r)
{
	struct pop_match *m;

	if (matches_have(lr->out, customer) || lr->out->n >= lr->max)
		return;
	record_hide_unreadable(e, r, lr->role);
	lr->out->v = xreallocarray(lr->out->v, lr->out->n + 1,
	    sizeof *lr->out->v);
	m = &lr->out->v[lr->out->n++];
	m->customer = customer;
	m->contact = contact;
	m->name = xstrdup(record_get(r, "name"));
	m->company = xstrdup(record_get(r, "company"));
	m->phones = xstrdup(record_get(r, "phones"));
	m->contact_name = xstrdup(contact_name ? contact_name : "");
	m->tier = xstrdup(record_get(r, "tier"));
	m->status = xstrdup(record_get(r, "status"));
}

static int
match_add(struct store *s, struct txn *t, struct lookup_run *lr,
    uint32_t customer, uint32_t contact, const char *contact_name)
{
	const struct entity *e = forms_entity(store_forms(s), "customer");
	struct record r;
	int rc;

	if (matches_have(lr->out, customer) || lr->out->n >= lr->max)
		return ST_OK;
	if ((rc = store_get(s, t, e, customer, &r)) == ST_NOTFOUND)
		return ST_OK;
	if (rc != ST_OK)
		return rc;
	match_take(e, lr, customer, contact, contact_name, &r);
	record_free(&r);
	return ST_OK;
}

/* Every phone field of e the role may read and the store indexes. */
static int
lookup_entity(struct store *s, struct txn *t, struct lookup_run *lr,
    const struct entity *e, uint32_t **ids, size_t *n)
{
	uint32_t found[POP_MATCHES_MAX];

	*ids = NULL;
	*n = 0;
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		size_t got;
		int rc;

		if ((f->type != FT_PHONES && f->type != FT_PHONE) ||
		    f->index != IX_PHONE || !field_readable(f, lr->role))
			continue;
		rc = store_lookup(s, t, f, lr->number, found, lr->max, &got);
		if (rc != ST_OK) {
			free(*ids);
			*ids = NULL;
			*n = 0;
			return rc;
		}
		*ids = xreallocarray(*ids, *n + got + 1, sizeof **ids);
		memcpy(*ids + *n, found, got * sizeof *found);
		*n += got;
	}
	return ST_OK;
}

static int
lookup_contacts(struct store *s, struct txn *t, struct lookup_run *lr)
{
	const struct entity *e = forms_entity(store_forms(s), "contact");
	const struct field *ref;
	uint32_t *ids, customer;
	size_t n;
	int rc;

	if (e == NULL || !entity_readable(e, lr->role) ||
	    (ref = entity_field(e, "customer")) == NULL || ref->type != FT_REF)
		return ST_OK;
	if ((rc = lookup_entity(s, t, lr, e, &ids, &n)) != ST_OK)
		return rc;
	for (size_t i = 0; i < n && rc == ST_OK; i++) {
		struct record r;

		if ((rc = store_get(s, t, e, ids[i], &r)) == ST_NOTFOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK)
			break;
		if (cmd_parse_id(record_get(&r, ref->name), &customer))
			rc = match_add(s, t, lr, customer, ids[i],
			    record_get(&r, "name"));
		record_free(&r);
	}
	free(ids);
	return rc;
}

static int
lookup_txn(struct store *s, struct txn *t, void *arg)
{
	struct lookup_run *lr = arg;
	const struct entity *e = forms_entity(store_forms(s), "customer");
	uint32_t *ids;
	size_t n;
	int rc;

	pop_matches_free(lr->out);
	if (e == NULL || !entity_readable(e, lr->role))
		return ST_OK;
	if ((rc = lookup_entity(s, t, lr, e, &ids, &n)) != ST_OK)
		return rc;
	for (size_t i = 0; i < n && rc == ST_OK; i++)
		rc = match_add(s, t, lr, ids[i], 0, NULL);
	free(ids);
	if (rc == ST_OK)
		rc = lookup_contacts(s, t, lr);
	return rc;
}

int
pop_lookup(struct store *s, const char *number, unsigned role,
    struct pop_matches *out)
{
	struct lookup_run lr = { number, role, POP_MATCHES_MAX, out };
	struct phone ph;

	out->v = NULL;
	out->n = 0;
	/* "anonymous", "unknown" and the like match nobody. */
	if (phone_parse(number, getenv("TCRM_COUNTRY"), &ph, NULL) != 0)
		return ST_OK;
	return store_run(s, lookup_txn, &lr);
}

/* ---- the sender's match, checked ---------------------------------- */

struct hint_run {
	struct lookup_run lr;
	uint32_t customer, contact;
};

/* True when a phone field of e that the role may read and the store
 * indexes holds the number, in any spelling. */
static bool
record_has_number(struct store *s, const struct entity *e,
    const struct record *r, unsigned role, const char *number)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];

		if ((f->type == FT_PHONES || f->type == FT_PHONE) &&
		    f->index == IX_PHONE && field_readable(f, role) &&
		    store_values_meet(s, f, number, record_get(r, f->name)))
			return true;
	}
	return false;
}

static int
hint_check(struct store *s, struct txn *t, struct hint_run *hr, bool *ok)
{
	const struct forms *forms = store_forms(s);
	const struct entity *cust = forms_entity(forms, "customer");
	const struct entity *ce = forms_entity(forms, "contact");
	const struct entity *e = hr->contact != 0 ? ce : cust;
	uint32_t owner = 0;
	struct record r;
	int rc;

	*ok = false;
	if (cust == NULL || e == NULL || !entity_readable(e, hr->lr.role) ||
	    !entity_readable(cust, hr->lr.role))
		return ST_OK;
	rc = store_get(s, t, e, hr->contact != 0 ? hr->contact : hr->customer,
	    &r);
	if (rc == ST_NOTFOUND)
		return ST_OK;
	if (rc != ST_OK)
		return rc;
	if (hr->contact != 0 &&
	    (!cmd_parse_id(record_get(&r, "customer"), &owner) ||
	    owner != hr->customer)) {
		record_free(&r);
		return ST_OK;
	}
	*ok = record_has_number(s, e, &r, hr->lr.role, hr->lr.number);
	/* A customer's own number: the record read is the match. */
	if (*ok && hr->contact == 0)
		match_take(cust, &hr->lr, hr->customer, 0, NULL, &r);
	else if (*ok)
		rc = match_add(s, t, &hr->lr, hr->customer, hr->contact,
		    record_get(&r, "name"));
	record_free(&r);
	return rc;
}

static int
hint_txn(struct store *s, struct txn *t, void *arg)
{
	struct hint_run *hr = arg;
	bool ok;
	int rc;

	pop_matches_free(hr->lr.out);
	if ((rc = hint_check(s, t, hr, &ok)) != ST_OK)
		return rc;
	if (ok && hr->lr.out->n == 1)
		return ST_OK;
	return lookup_txn(s, t, &hr->lr);
}

int
pop_lookup_hinted(struct store *s, const char *number, unsigned role,
    uint32_t customer, uint32_t contact, struct pop_matches *out)
{
	struct hint_run hr = { { number, role, POP_MATCHES_MAX, out },
	    customer, contact };
	struct phone ph;

	if (customer == 0)
		return pop_lookup(s, number, role, out);
	out->v = NULL;
	out->n = 0;
	/* "anonymous", "unknown" and the like match nobody. */
	if (phone_parse(number, getenv("TCRM_COUNTRY"), &ph, NULL) != 0)
		return ST_OK;
	return store_run(s, hint_txn, &hr);
}

/* ---- the card, read ahead ------------------------------------------ */

#define POP_WARM_MAX 100	/* records per section, as a card shows */

static int
warm_txn(struct store *s, struct txn *t, void *arg)
{
	const struct forms *forms = store_forms(s);
	const struct entity *cust = forms_entity(forms, "customer");
	uint32_t id = *(uint32_t *)arg, *ids;
	struct record r;
	size_t n;
	int rc;

	if (cust == NULL || (rc = store_get(s, t, cust, id, &r)) != ST_OK)
		return ST_OK;
	record_free(&r);
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *e = &forms->entities[i];

		for (size_t j = 0; j < e->nfields; j++) {
			const struct field *f = &e->fields[j];

			if (f->type != FT_REF || f->ref_entity != cust)
				continue;
			if ((rc = store_referrers(s, t, f, id, &ids, &n)))
				return rc;
			for (size_t k = n; k > 0 && n - k < POP_WARM_MAX; k--) {
				if (store_get(s, t, e, ids[k - 1], &r) == ST_OK)
					record_free(&r);
			}
			free(ids);
		}
	}
	return ST_OK;
}

/* The desks share the environment's cache: reading what the caller's
 * card will read, before the call is pushed, spares the session the
 * trips to the disk. */
void
pop_warm(struct store *s, uint32_t customer)
{
	store_run(s, warm_txn, &customer);
}

/* ---- delivery ------------------------------------------------------- */

static int64_t
pop_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
pop_deliveries_free(struct pop_delivery *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].name);
		free(v[i].error);
	}
	free(v);
}

static long
pop_desk_pid(const char *name)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL ? strtol(dot + 1, NULL, 10) : 0;
}

/* Connect to every desk of user and send the line; stale sockets go. */
static void
pop_send_all(const char *home, const struct strv *names, const char *line,
    struct pop_delivery **out, size_t *n, int *fds, size_t *stale)
{
	for (size_t i = 0; i < names->n; i++) {
		struct pop_delivery *d;
		bool gone;
		int fd = -1, err;

		err = notify_connect(home, names->v[i], &fd, &gone);
		if (gone || err == ENOENT) {
			*stale += gone;
			continue;
		}
		*out = xreallocarray(*out, *n + 1, sizeof **out);
		d = &(*out)[*n];
		memset(d, 0, sizeof *d);
		d->name = xstrdup(names->v[i]);
		d->pid = pop_desk_pid(names->v[i]);
		d->ack.screen = "";
		fds[*n] = -1;
		(*n)++;
		if (err != 0) {
			d->state = POP_FAILED;
			d->error = xstrdup(strerror(err));
			continue;
		}
		if (notify_write_line(fd, line, 1000) != 0) {
			d->state = POP_FAILED;
			d->error = xstrdup(strerror(errno));
			close(fd);
			continue;
		}
		d->state = POP_SENT;
		fds[*n - 1] = fd;
	}
}

static void
pop_take_ack(struct pop_delivery *d, struct notify_conn *c)
{
	char *line = NULL, *why = NULL;
	int r = notify_read_line(c, &line);

	if (r == 0)
		return;
	if (r > 0 && pop_ack_decode(line, &d->ack, &why) == 0)
		d->state = POP_DRAWN;
	else if (d->error == NULL)
		d->error = why != NULL ? why : xstrdup(r < 0 ?
		    "the desk closed the connection" : "bad answer");
	else
		free(why);
	free(line);
	notify_conn_close(c);
}

/* Wait for each desk's "drawn" until timeout_ms have passed. */
static void
pop_wait_acks(struct pop_delivery *v, size_t n, int *fds, int timeout_ms)
{
	struct notify_conn *cs = xcalloc(n + 1, sizeof *cs);
	struct pollfd *pf = xcalloc(n + 1, sizeof *pf);
	int64_t until = pop_now_ms() + timeout_ms;

	for (size_t i = 0; i < n; i++)
		notify_conn_init(&cs[i], fds[i]);
	for (;;) {
		size_t np = 0;
		int64_t left = until - pop_now_ms();

		for (size_t i = 0; i < n; i++) {
			if (cs[i].fd < 0)
				continue;
			pf[np].fd = cs[i].fd;
			pf[np].events = POLLIN;
			pf[np].revents = 0;
			np++;
		}
		if (np == 0 || left <= 0)
			break;
		if (poll(pf, np, (int)left) < 0 && errno != EINTR)
			break;
		for (size_t i = 0; i < n; i++) {
			if (cs[i].fd >= 0)
				pop_take_ack(&v[i], &cs[i]);
		}
	}
	for (size_t i = 0; i < n; i++)
		notify_conn_close(&cs[i]);
	free(cs);
	free(pf);
}

int
pop_deliver(const char *home, const char *user, const struct pop_event *ev,
    int timeout_ms, struct pop_delivery **out, size_t *n, size_t *stale)
{
	struct strv names;
	char *line;
	int *fds;

	*out = NULL;
	*n = 0;
	*stale = 0;
	if (notify_desks(home, user, &names) != 0) {
		strv_free(&names);
		return -1;
	}
	line = pop_event_encode(ev);
	fds = xcalloc(names.n + 1, sizeof *fds);
	pop_send_all(home, &names, line, out, n, fds, stale);
	pop_wait_acks(*out, *n, fds, timeout_ms);
	free(fds);
	free(line);
	strv_free(&names);
	return 0;
}

/* ---- notices to supervisors ----------------------------------------- */

static const char *const notice_actions[] = { "notify", "raise_priority",
    "reassign", NULL };

char *
pop_notice_encode(const struct sweep_escalation *st)
{
	json_t *o = pop_object("notice");

	json_set_text(o, "ticket", st->number);
	json_set_text(o, "subject", st->subject);
	json_set_text(o, "queue", st->queue);
	json_set_text(o, "assignee", st->assignee);
	json_object_set_new(o, "level", json_integer(st->level));
	json_object_set_new(o, "percent", json_integer(st->percent));
	json_object_set_new(o, "action",
	    json_string(notice_actions[st->action]));
	return pop_line(o);
}

static int
notice_int(json_t *o, const char *key, int max, int *out, char **why)
{
	json_t *v = json_object_get(o, key);

	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > max) {
		*why = xasprintf("bad '%s'", key);
		return -1;
	}
	*out = (int)json_integer_value(v);
	return 0;
}

int
pop_notice_decode(const char *line, struct sweep_escalation *st,
    char **why)
{
	const char *action;
	json_t *o, *v;
	int rc;

	memset(st, 0, sizeof *st);
	*why = NULL;
	if ((o = pop_parse(line, "notice", why)) == NULL)
		return -1;
	rc = pop_member(o, "ticket", POP_TEXT_MAX, &st->number, why);
	if (rc == 0)
		rc = pop_member(o, "subject", 1000, &st->subject, why);
	if (rc == 0)
		rc = pop_member(o, "queue", POP_TEXT_MAX, &st->queue, why);
	if (rc == 0)
		rc = pop_member(o, "assignee", POP_TEXT_MAX, &st->assignee,
		    why);
	if (rc == 0)
		rc = notice_int(o, "level", 1000, &st->level, why);
	if (rc == 0)
		rc = notice_int(o, "percent", 100000, &st->percent, why);
	v = json_object_get(o, "action");
	action = json_is_string(v) ? json_string_value(v) : "";
	for (size_t i = 0; rc == 0; i++) {
		if (notice_actions[i] == NULL) {
			*why = xstrdup("bad 'action'");
			rc = -1;
		} else if (strcmp(notice_actions[i], action) == 0) {
			st->action = (enum svc_action)i;
			break;
		}
	}
	json_decref(o);
	if (rc != 0)
		pop_notice_free(st);
	return rc;
}

void
pop_notice_free(struct sweep_escalation *st)
{
	free(st->number);
	free(st->subject);
	free(st->queue);
	free(st->assignee);
	memset(st, 0, sizeof *st);
}

struct overseers {
	struct strv names;
};

static int
overseer_each(const struct record *r, void *arg)
{
	struct overseers *ov = arg;
	const char *role = record_get(r, "role");

	if ((strcmp(role, "supervisor") == 0 || strcmp(role, "admin") == 0) &&
	    strcmp(record_get(r, "disabled"), "true") != 0)
		strv_push(&ov->names, record_get(r, "name"));
	return 0;
}

static int
overseers_txn(struct store *s, struct txn *t, void *arg)
{
	struct overseers *ov = arg;
	const struct entity *e = store_user_entity(s);

	strv_free(&ov->names);
	strv_init(&ov->names);
	return e != NULL ? store_each(s, t, e, overseer_each, ov) : ST_OK;
}

/* Each line to every desk of user; returns the desks reached. */
static size_t
tell_desks(const char *home, const char *user, const struct strv *lines)
{
	struct strv desks;
	size_t reached = 0;

	strv_init(&desks);
	if (notify_desks(home, user, &desks) != 0)
		return 0;
	for (size_t i = 0; i < desks.n; i++) {
		bool stale;
		int fd = -1;

		if (notify_connect(home, desks.v[i], &fd, &stale) != 0)
			continue;
		for (size_t j = 0; j < lines->n; j++) {
			if (notify_write_line(fd, lines->v[j], 200) != 0)
				break;
		}
		close(fd);
		reached++;
	}
	strv_free(&desks);
	return reached;
}

size_t
pop_tell_overseers(struct store *s, const struct sweep_report *rep)
{
	struct overseers ov;
	struct strv lines;
	size_t reached = 0;

	if (rep->nsteps == 0)
		return 0;
	strv_init(&ov.names);
	strv_init(&lines);
	for (size_t i = 0; i < rep->nsteps; i++) {
		char *line = pop_notice_encode(&rep->steps[i]);

		strv_push(&lines, line);
		free(line);
	}
	if (store_run(s, overseers_txn, &ov) == ST_OK) {
		for (size_t i = 0; i < ov.names.n; i++)
			reached += tell_desks(store_home(s), ov.names.v[i],
			    &lines);
	}
	strv_free(&ov.names);
	strv_free(&lines);
	return reached;
}
