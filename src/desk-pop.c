/* desk-pop.c - calls pushed into the desk by `tcrm pop`: the desk listens
 * on its socket beside the keyboard; a call opens the caller's card (one
 * match), a chooser (several) or a new customer with the number filled in
 * (none). Whatever the agent had open stays underneath, and goes to the
 * drafts too. The screen is drawn and acknowledged first; the call is
 * recorded as an interaction after, so the pop itself costs only the
 * drawing. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define POP_CONNS 8
#define POP_RECENT 8
#define POP_IDLE_MS 5000
#define POP_ACK_WAIT_MS 200

/* A call the desk took in, kept until its interaction is recorded and
 * for logging it from the card afterwards. */
struct desk_call {
	unsigned serial;	/* 0: free */
	struct pop_event ev;
	char *popped_at;	/* stored datetime */
	size_t matches;
	uint32_t customer;
	uint32_t contact;
	uint32_t interaction;
};

struct desk_pop {
	struct notify_listener l;
	struct notify_conn conns[POP_CONNS];
	int ack_conn;		/* the connection waiting for "drawn" */
	int64_t t0_us;		/* when its event was read */
	struct pop_ack ack;
	unsigned record;	/* serial of a call to record after drawing */
	bool keep;		/* forms underneath go to the drafts */
	struct desk_call recent[POP_RECENT];
	unsigned serial;
};

static int64_t
pop_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void
call_clear(struct desk_call *c)
{
	pop_event_free(&c->ev);
	free(c->popped_at);
	memset(c, 0, sizeof *c);
}

static struct desk_call *
call_of(struct desk *d, unsigned serial)
{
	struct desk_call *c;

	if (d->pop == NULL || serial == 0)
		return NULL;
	c = &d->pop->recent[serial % POP_RECENT];
	return c->serial == serial ? c : NULL;
}

/* ---- recording the call --------------------------------------------- */

struct record_run {
	struct desk *desk;
	struct desk_call *call;
	const struct entity *e;
	uint32_t id;
};

static void
call_fields(struct desk *d, const struct desk_call *c, struct record *r)
{
	char id[16];

	snprintf(id, sizeof id, "%u", c->customer);
	record_set(r, "customer", id);
	if (c->contact != 0) {
		snprintf(id, sizeof id, "%u", c->contact);
		record_set(r, "contact", id);
	}
	record_set(r, "channel", "call");
	record_set(r, "direction", "inbound");
	record_set(r, "agent", d->ctx->user);
	record_set(r, "call_id", c->ev.call_id);
	record_set(r, "caller", c->ev.caller);
	record_set(r, "called", c->ev.called);
	record_set(r, "popped_at", c->popped_at);
	snprintf(id, sizeof id, "%zu", c->matches);
	record_set(r, "matches", id);
}

/* The interaction this call made already (another desk of the agent,
 * or the same call popped again), by its call id. */
static int
record_find(struct store *s, struct txn *t, struct record_run *rr,
    struct record *found)
{
	const struct field *f = entity_field(rr->e, "call_id");
	uint32_t ids[4];
	size_t n;
	int rc;

	if (f == NULL || f->index == IX_NONE || *rr->call->ev.call_id == '\0')
		return ST_NOTFOUND;
	if ((rc = store_lookup(s, t, f, rr->call->ev.call_id, ids, 4, &n)))
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint32_t cust;

		if ((rc = store_get(s, t, rr->e, ids[i], found)) == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		if (cmd_parse_id(record_get(found, "customer"), &cust) &&
		    cust == rr->call->customer)
			return ST_OK;
		record_free(found);
	}
	return ST_NOTFOUND;
}

static int
record_txn(struct store *s, struct txn *t, void *arg)
{
	struct record_run *rr = arg;
	struct record r;
	int rc;

	rc = record_find(s, t, rr, &r);
	if (rc == ST_NOTFOUND) {
		record_init(&r);
		record_set(&r, "started", rr->call->popped_at);
		call_fields(rr->desk, rr->call, &r);
		rc = store_create(s, t, rr->e, &r);
	} else if (rc == ST_OK) {
		call_fields(rr->desk, rr->call, &r);
		rc = store_update(s, t, rr->e, &r, 0);
	} else
		return rc;
	if (rc == ST_OK)
		rr->id = r.id;
	record_free(&r);
	return rc;
}

static void
call_record(struct desk *d, struct desk_call *c)
{
	struct record_run rr = { d, c, forms_entity(d->forms, "interaction"),
	    0 };
	const struct entity *cust = forms_entity(d->forms, "customer");
	int rc;

	if (rr.e == NULL || c->customer == 0 ||
	    !entity_writable(rr.e, d->ctx->role))
		return;
	if ((rc = store_run(d->store, record_txn, &rr)) != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	c->interaction = rr.id;
	desk_card_refresh(d, cust, c->customer);
}

/* ---- what the call shows -------------------------------------------- */

static char *
match_label(const struct pop_match *m)
{
	struct buf b;
	char *phones;

	buf_init(&b);
	buf_printf(&b, "#%u %s", m->customer, m->name);
	if (*m->company != '\0')
		buf_printf(&b, " · %s", m->company);
	if (*m->phones != '\0') {
		phones = xstrdup(m->phones);
		for (char *p = phones; *p != '\0'; p++)
			*p = *p == '\n' ? ',' : *p;
		buf_printf(&b, " · %s", phones);
		free(phones);
	}
	if (m->contact != 0)
		buf_printf(&b, " · %s %s", _("contact"), m->contact_name);
	return buf_detach(&b);
}

static void
pop_chosen(struct desk *d, void *arg, const char *value)
{
	struct desk_call *c = call_of(d, (unsigned)(uintptr_t)arg);
	const struct entity *e = forms_entity(d->forms, "customer");
	unsigned long cust, contact = 0;
	char *end;

	if (value == NULL || e == NULL) {
		desk_message(d, "%s", _("No customer chosen: the call is not "
		    "recorded."));
		return;
	}
	cust = strtoul(value, &end, 10);
	if (*end == ':')
		contact = strtoul(end + 1, NULL, 10);
	desk_card_open(d, e, (uint32_t)cust);
	if (c != NULL) {
		c->customer = (uint32_t)cust;
		c->contact = (uint32_t)contact;
		call_record(d, c);
	}
}

static void
pop_customer_saved(struct desk *d, void *arg, const struct record *r)
{
	struct desk_call *c = call_of(d, (unsigned)(uintptr_t)arg);

	if (c == NULL)
		return;
	c->customer = r->id;
	call_record(d, c);
}

static const char *
pop_show_chooser(struct desk *d, struct desk_call *c, struct pop_matches *ms)
{
	struct desk_pick_item *items = xcalloc(ms->n + 1, sizeof *items);
	char *title;

	for (size_t i = 0; i < ms->n; i++) {
		items[i].label = match_label(&ms->v[i]);
		items[i].value = xasprintf("%u:%u", ms->v[i].customer,
		    ms->v[i].contact);
	}
	title = xasprintf(_("Call from %s: %zu customers have this number"),
	    c->ev.caller, ms->n);
	desk_pick_open(d, title, items, ms->n, "", pop_chosen,
	    (void *)(uintptr_t)c->serial);
	free(title);
	return "chooser";
}

static const char *
pop_show_new(struct desk *d, struct desk_call *c)
{
	const struct entity *e = forms_entity(d->forms, "customer");
	struct desk_form_opts o = { 0 };
	struct record preset;
	struct phone ph;

	if (e == NULL)
		return "form";
	record_init(&preset);
	if (phone_parse(c->ev.caller, getenv("TCRM_COUNTRY"), &ph, NULL) == 0)
		record_set(&preset, "phones", c->ev.caller);
	if (entity_field(e, "source") != NULL)
		record_set(&preset, "source", "inbound_call");
	if (entity_field(e, "created_via") != NULL)
		record_set(&preset, "created_via", "call");
	o.preset = &preset;
	o.focus_required = true;
	o.saved = pop_customer_saved;
	o.saved_arg = (void *)(uintptr_t)c->serial;
	desk_form_new(d, e, &o);
	record_free(&preset);
	return "form";
}

static bool
desk_has_unsaved(struct desk *d)
{
	for (struct desk_screen *s = d->top; s != NULL; s = s->below) {
		if (s->ops->dirty != NULL && s->ops->dirty(s))
			return true;
	}
	return false;
}

static void
pop_say(struct desk *d, struct desk_call *c, bool kept)
{
	char *what, *to;

	if (c->matches == 0)
		what = xstrdup(_("new caller"));
	else
		what = xasprintf(ngettext("%zu match", "%zu matches",
		    c->matches), c->matches);
	to = *c->ev.called ? xasprintf(_(" to %s"), c->ev.called) :
	    xstrdup("");
	desk_message(d, _("Call from %s%s: %s.%s"), c->ev.caller, to, what,
	    kept ? _(" Your unsaved form is kept: Esc returns to it.") : "");
	free(to);
	free(what);
}

static char *
pop_now_text(struct desk *d)
{
	const struct entity *e = forms_entity(d->forms, "interaction");
	const struct field *f = e ? entity_field(e, "popped_at") : NULL;
	char *out = NULL, *why = NULL;

	if (f == NULL || field_normalise(f, "now", &out, &why) != 0) {
		free(why);
		return xstrdup("");
	}
	return out;
}

/* A call came in: the screens for it, in place of the last call's (or
 * on top of a form with unsaved work). */
static void
pop_show(struct desk *d, struct pop_event *ev)
{
	struct desk_pop *p = d->pop;
	struct desk_call *c;
	struct pop_matches ms;
	bool kept = desk_has_unsaved(d);
	int64_t t;
	int rc;

	desk_unwind_clean(d);
	if (++p->serial == 0)
		p->serial = 1;
	c = &p->recent[p->serial % POP_RECENT];
	call_clear(c);
	c->serial = p->serial;
	c->ev = *ev;
	pop_event_init(ev);
	c->popped_at = pop_now_text(d);
	t = pop_now_us();
	if ((rc = pop_lookup_hinted(d->store, c->ev.caller, d->ctx->role,
	    c->ev.customer, c->ev.contact, &ms)) != ST_OK) {
		desk_store_error(d, rc);
		ms.n = 0;
	}
	p->ack.lookup_us = pop_now_us() - t;
	t = pop_now_us();
	c->matches = ms.n;
	p->ack.matches = ms.n;
	if (ms.n == 1) {
		c->customer = ms.v[0].customer;
		c->contact = ms.v[0].contact;
		desk_card_open(d, forms_entity(d->forms, "customer"),
		    c->customer);
		p->ack.screen = "card";
		p->record = c->serial;
	} else if (ms.n > 1)
		p->ack.screen = pop_show_chooser(d, c, &ms);
	else
		p->ack.screen = pop_show_new(d, c);
	pop_matches_free(&ms);
	p->ack.open_us = pop_now_us() - t;
	p->keep = kept;
	pop_say(d, c, kept);
}

/* ---- the socket ----------------------------------------------------- */

void
desk_pop_start(struct desk *d)
{
	struct desk_pop *p = xcalloc(1, sizeof *p);
	char *why;

	for (size_t i = 0; i < POP_CONNS; i++)
		p->conns[i].fd = -1;
	p->ack_conn = -1;
	if (notify_listen(store_home(d->store), d->ctx->user, &p->l,
	    &why) != 0) {
		desk_error(d, _("Calls cannot pop up on this desk: %s"), why);
		free(why);
		free(p);
		return;
	}
	d->pop = p;
}

void
desk_pop_stop(struct desk *d)
{
	struct desk_pop *p = d->pop;

	if (p == NULL)
		return;
	for (size_t i = 0; i < POP_CONNS; i++)
		notify_conn_close(&p->conns[i]);
	for (size_t i = 0; i < POP_RECENT; i++)
		call_clear(&p->recent[i]);
	notify_unlisten(&p->l);
	free(p);
	d->pop = NULL;
}

static void
pop_accept(struct desk_pop *p)
{
	int fd;

	while ((fd = accept4(p->l.fd, NULL, NULL, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) >= 0) {
		size_t i;

		for (i = 0; i < POP_CONNS && p->conns[i].fd >= 0; i++)
			;
		if (i == POP_CONNS) {
			close(fd);	/* busy: tcrm pop says so */
			continue;
		}
		notify_conn_init(&p->conns[i], fd);
	}
}

/* An escalation step from the sweep, for a supervisor: said on the
 * message line, wherever they are. */
static bool
pop_notice_take(struct desk *d, const char *line)
{
	struct sweep_escalation st;
	char *why, *what;

	if (pop_notice_decode(line, &st, &why) != 0) {
		free(why);
		return false;
	}
	switch (st.action) {
	case ESC_RAISE_PRIORITY:
		what = xstrdup(_("priority raised"));
		break;
	case ESC_REASSIGN:
		what = xasprintf(_("moved to queue %s"), st.queue);
		break;
	default:
		what = xstrdup(*st.assignee != '\0' ? st.assignee :
		    _("nobody assigned"));
		break;
	}
	desk_message(d, _("Escalated %s %s: %d%% of its resolution time "
	    "used (%s)"), st.number, st.subject, st.percent, what);
	free(what);
	pop_notice_free(&st);
	return true;
}

/* A line from connection i: a call to show, or the connection goes. */
static bool
pop_take(struct desk *d, int i)
{
	struct desk_pop *p = d->pop;
	struct pop_event ev;
	char *line, *why = NULL;
	int r = notify_read_line(&p->conns[i], &line);
	int64_t t0 = pop_now_us();

	if (r == 0)
		return false;
	/* A call, as tcrm pop writes it, is read once, not first tried as
	 * a supervisor's notice; anything else is tried both ways. */
	if (r > 0 && (strstr(line, "\"event\":\"call\"") == NULL ||
	    pop_event_decode(line, &ev, &why) != 0)) {
		free(why);
		why = NULL;
		if (pop_notice_take(d, line)) {
			free(line);
			notify_conn_close(&p->conns[i]);
			return true;
		}
		if (pop_event_decode(line, &ev, &why) != 0)
			r = -1;
	}
	if (r < 0) {
		free(why);
		free(line);
		notify_conn_close(&p->conns[i]);
		return false;
	}
	free(line);
	p->t0_us = t0;
	p->ack_conn = i;
	memset(&p->ack, 0, sizeof p->ack);
	pop_show(d, &ev);
	pop_event_free(&ev);
	return true;
}

static void
pop_expire(struct desk_pop *p, int64_t now_ms)
{
	for (int i = 0; i < POP_CONNS; i++) {
		if (p->conns[i].fd >= 0 && i != p->ack_conn &&
		    now_ms - p->conns[i].opened_ms > POP_IDLE_MS)
			notify_conn_close(&p->conns[i]);
	}
}

bool
desk_pop_wait(struct desk *d, int ms)
{
	struct desk_pop *p = d->pop;
	struct pollfd pf[POP_CONNS + 2];
	int map[POP_CONNS + 2];
	int64_t until = pop_now_us() / 1000 + ms;

	for (;;) {
		nfds_t n = 2;
		int64_t left = until - pop_now_us() / 1000;

		pf[0] = (struct pollfd){ STDIN_FILENO, POLLIN, 0 };
		pf[1] = (struct pollfd){ p->l.fd, POLLIN, 0 };
		for (int i = 0; i < POP_CONNS; i++) {
			if (p->conns[i].fd < 0 || i == p->ack_conn)
				continue;
			map[n] = i;
			pf[n++] = (struct pollfd){ p->conns[i].fd, POLLIN, 0 };
		}
		if (poll(pf, n, left > 0 ? (int)left : 0) <= 0)
			return false;	/* time's up, or a signal (resize) */
		if (pf[1].revents & POLLIN)
			pop_accept(p);
		for (nfds_t k = 2; k < n; k++) {
			if (pf[k].revents != 0 && pop_take(d, map[k]))
				return true;
		}
		pop_expire(p, pop_now_us() / 1000);
		if (pf[0].revents != 0 || left <= 0)
			return false;
	}
}

void
desk_pop_drawn(struct desk *d)
{
	struct desk_pop *p = d->pop;
	struct desk_call *c;
	char *line;

	if (p == NULL || p->ack_conn < 0)
		return;
	p->ack.us = pop_now_us() - p->t0_us;
	line = pop_ack_encode(&p->ack);
	notify_write_line(p->conns[p->ack_conn].fd, line, POP_ACK_WAIT_MS);
	free(line);
	notify_conn_close(&p->conns[p->ack_conn]);
	p->ack_conn = -1;
	if (p->keep)
		desk_keep_drafts(d, true);
	p->keep = false;
	if ((c = call_of(d, p->serial)) != NULL)
		desk_call_started(d, c->ev.call_id, c->ev.caller);
	if ((c = call_of(d, p->record)) != NULL) {
		p->record = 0;
		call_record(d, c);
		desk_draw(d);
	}
}

uint32_t
desk_pop_interaction(struct desk *d, uint32_t customer)
{
	uint32_t found = 0;
	unsigned best = 0;

	if (d->pop == NULL)
		return 0;
	for (size_t i = 0; i < POP_RECENT; i++) {
		const struct desk_call *c = &d->pop->recent[i];

		if (c->serial > best && c->customer == customer &&
		    c->interaction != 0) {
			best = c->serial;
			found = c->interaction;
		}
	}
	return found;
}
