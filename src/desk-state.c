/* desk-state.c - the agent on the floor: the state on the top line (ready,
 * on a call, wrap-up with its timer, paused with a reason from the agent
 * form) and the keys that change it; wrap-up after a logged call, ended
 * by the clock or a key; a callback when the call's outcome asks for one;
 * due callbacks announced wherever the agent is. The store keeps the
 * state (svc_agent_set_state audits each change); the desk only reads it
 * again every second, so a change made elsewhere shows too. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POLL_SCREEN_MS 500
#define POLL_STATE_MS 3000	/* the store; the top line ticks every second */
#define NOTIFIED_MAX 512

struct desk_svc {
	struct record agent;		/* as last read */
	bool have_agent;
	bool is_user;			/* a user of the store: on the floor */
	char *team;
	const struct svc_queue **queues;	/* mine, NULL-terminated */
	int64_t screen_ms;
	int64_t state_ms;
	uint32_t notified[NOTIFIED_MAX];	/* callbacks announced */
	size_t nnotified;
	bool poll_failed;		/* said once, not every second */
	struct cb_offer *offer;		/* a callback being asked about */
};

static void cb_offer_free(struct cb_offer *);
struct state_run {
	const char *user;
	const char *state;
	const char *reason;
	const char *only_from;	/* change only from this state, or NULL */
	const char *only_since;
	bool changed;
};

static int state_txn(struct store *, struct txn *, void *);
static void state_refresh(struct desk *);

struct call_state {
	const char *user;
	const char *call_id;
	const char *caller;
};

static int
on_call_txn(struct store *s, struct txn *t, void *arg)
{
	struct call_state *cs = arg;

	return svc_agent_set_state(s, t, cs->user, "on_call", NULL,
	    cs->call_id, cs->caller);
}

void
desk_svc_init(struct desk *d)
{
	struct desk_svc *sv = xcalloc(1, sizeof *sv);
	struct user u;

	record_init(&sv->agent);
	memset(&u, 0, sizeof u);
	if (d->store != NULL &&
	    store_user_get(d->store, d->ctx->user, &u) == ST_OK) {
		sv->is_user = true;
		if (u.team != NULL && *u.team != '\0')
			sv->team = xstrdup(u.team);
		user_free(&u);
	}
	d->svc = sv;
}

/* Signing on: an agent who was offline is ready for work. */
void
desk_sign_on(struct desk *d)
{
	struct state_run sr = { d->ctx->user, "ready", NULL, "offline", NULL,
	    false };

	if (d->svc == NULL || !d->svc->is_user)
		return;
	if (store_run(d->store, state_txn, &sr) != ST_OK)
		return;
	state_refresh(d);
}

/* Signing off: the agent's last desk closing makes them offline. */
void
desk_sign_off(struct desk *d)
{
	struct state_run sr = { d->ctx->user, "offline", NULL, NULL, NULL,
	    false };
	struct strv desks;
	size_t others = 0;
	char *mine;

	if (d->svc == NULL || !d->svc->is_user)
		return;
	strv_init(&desks);
	mine = xasprintf("desk.%s.%ld", d->ctx->user, (long)getpid());
	if (notify_desks(store_home(d->store), d->ctx->user, &desks) == 0) {
		for (size_t i = 0; i < desks.n; i++)
			others += strcmp(desks.v[i], mine) != 0;
	}
	free(mine);
	strv_free(&desks);
	if (others == 0) {
		/* A hang-up ends most sessions: this one short write still
		 * goes in before the environment is closed. */
		int sig = store_stop_signal;

		store_stop_signal = 0;
		store_run(d->store, state_txn, &sr);
		store_stop_signal = sig;
	}
}

/* A call popped up: the agent is on it. */
void
desk_call_started(struct desk *d, const char *call_id, const char *caller)
{
	struct call_state cs = { d->ctx->user, call_id, caller };

	if (d->svc == NULL || !d->svc->is_user)
		return;
	if (store_run(d->store, on_call_txn, &cs) == ST_OK)
		state_refresh(d);
}

void
desk_svc_free(struct desk *d)
{
	struct desk_svc *sv = d->svc;

	if (sv == NULL)
		return;
	if (sv->offer != NULL)
		cb_offer_free(sv->offer);
	record_free(&sv->agent);
	free(sv->team);
	free(sv->queues);
	free(sv);
	d->svc = NULL;
}

const struct svc_queue **
desk_my_queues(struct desk *d)
{
	struct desk_svc *sv = d->svc;
	const struct service *svc;
	size_t n = 0;

	if (sv->queues != NULL)
		return sv->queues;
	svc = d->store ? store_service(d->store) : NULL;
	sv->queues = xcalloc((svc ? svc->nqueues : 0) + 1,
	    sizeof *sv->queues);
	for (size_t i = 0; svc != NULL && i < svc->nqueues; i++) {
		if (service_queue_has(&svc->queues[i], d->ctx->user, sv->team))
			sv->queues[n++] = &svc->queues[i];
	}
	return sv->queues;
}

/* ---- reading and changing the state --------------------------------- */

struct agent_read {
	const char *user;
	struct record *rec;
};

/* The agent's record if there is one: reading never creates it. */
static int
agent_read_txn(struct store *s, struct txn *t, void *arg)
{
	struct agent_read *ar = arg;

	record_free(ar->rec);
	record_init(ar->rec);
	/* Forms without agents: nobody has a state to show. */
	if (forms_entity(store_forms(s), "agent") == NULL)
		return ST_NOTFOUND;
	return svc_agent_find(s, t, ar->user, ar->rec);
}

static void
state_refresh(struct desk *d)
{
	struct desk_svc *sv = d->svc;
	struct agent_read ar = { d->ctx->user, &sv->agent };
	int rc = store_run(d->store, agent_read_txn, &ar);

	sv->have_agent = rc == ST_OK;
	if (rc != ST_OK && rc != ST_NOTFOUND && rc != ST_BUSY &&
	    !sv->poll_failed) {
		sv->poll_failed = true;
		desk_store_error(d, rc);
	}
}

static int
state_txn(struct store *s, struct txn *t, void *arg)
{
	struct state_run *sr = arg;
	struct record r;
	int rc;

	sr->changed = false;
	if (sr->only_from != NULL) {
		if ((rc = svc_agent_get(s, t, sr->user, &r)) != ST_OK)
			return rc;
		if (strcmp(record_get(&r, "state"), sr->only_from) != 0 ||
		    (sr->only_since != NULL &&
		    strcmp(record_get(&r, "since"), sr->only_since) != 0)) {
			record_free(&r);
			return ST_OK;
		}
		record_free(&r);
	}
	rc = svc_agent_set_state(s, t, sr->user, sr->state, sr->reason, NULL,
	    NULL);
	sr->changed = rc == ST_OK;
	return rc;
}

static const struct field *
agent_field(struct desk *d, const char *name)
{
	const struct entity *e = forms_entity(d->forms, "agent");

	return e != NULL ? entity_field(e, name) : NULL;
}

/* An enum value's label in the desk's language, or the value itself. */
static const char *
value_label(struct desk *d, const struct field *f, const char *value)
{
	const struct enum_value *ev = f ? field_enum_value(f, value) : NULL;

	return ev != NULL ? desk_label(d, &ev->label) : value;
}

static char *
state_label(struct desk *d, const char *state, const char *reason)
{
	const char *sl = value_label(d, agent_field(d, "state"), state);

	if (strcmp(state, "paused") == 0 && reason != NULL && *reason != '\0')
		return xasprintf(_("%s: %s"), sl,
		    value_label(d, agent_field(d, "reason"), reason));
	return xstrdup(sl);
}

static int
set_state(struct desk *d, const char *state, const char *reason,
    bool quiet)
{
	struct state_run sr = { d->ctx->user, state, reason, NULL, NULL,
	    false };
	int rc = store_run(d->store, state_txn, &sr);
	char *label;

	if (rc != ST_OK) {
		if (!quiet || d->msg == NULL)
			desk_store_error(d, rc);
		return rc;
	}
	state_refresh(d);
	if (!quiet) {
		label = state_label(d, state, reason);
		desk_message(d, _("Now: %s"), label);
		free(label);
	}
	return ST_OK;
}

/* ---- the top line ----------------------------------------------------- */

char *
desk_elapsed_text(long secs)
{
	if (secs < 0)
		secs = 0;
	if (secs >= 3600)
		return xasprintf("%ld:%02ld:%02ld", secs / 3600,
		    secs / 60 % 60, secs % 60);
	return xasprintf("%ld:%02ld", secs / 60, secs % 60);
}

static bool
agent_since(const struct record *r, time_t *since)
{
	const char *s = record_get(r, "since");

	return *s != '\0' && datetime_parse(s, since) == 0;
}

static long
wrap_up_secs(struct desk *d)
{
	const struct service *svc = store_service(d->store);

	return svc != NULL ? svc->wrap_up : 0;
}

char *
desk_state_text(struct desk *d)
{
	struct desk_svc *sv = d->svc;
	const char *state = "offline";
	char *label, *timer, *out;
	time_t since, now = clock_now();

	if (sv == NULL || agent_field(d, "state") == NULL)
		return NULL;
	if (sv->have_agent && *record_get(&sv->agent, "state") != '\0')
		state = record_get(&sv->agent, "state");
	label = state_label(d, state, sv->have_agent ?
	    record_get(&sv->agent, "reason") : NULL);
	if (!sv->have_agent || strcmp(state, "offline") == 0 ||
	    !agent_since(&sv->agent, &since))
		return label;
	/* Wrap-up counts down to the next call; the others count up. */
	if (strcmp(state, "wrap_up") == 0)
		timer = desk_elapsed_text((long)(since + wrap_up_secs(d) - now));
	else
		timer = desk_elapsed_text((long)(now - since));
	out = xasprintf("%s %s", label, timer);
	free(label);
	free(timer);
	return out;
}

/* ---- every second ------------------------------------------------------ */

static void
wrap_up_check(struct desk *d)
{
	struct desk_svc *sv = d->svc;
	struct state_run sr = { d->ctx->user, "ready", NULL, "wrap_up", NULL,
	    false };
	time_t since;
	int rc;

	if (!sv->have_agent ||
	    strcmp(record_get(&sv->agent, "state"), "wrap_up") != 0 ||
	    !agent_since(&sv->agent, &since) ||
	    clock_now() < since + wrap_up_secs(d))
		return;
	sr.only_since = record_get(&sv->agent, "since");
	rc = store_run(d->store, state_txn, &sr);
	if (rc != ST_OK && rc != ST_BUSY)
		desk_store_error(d, rc);
	else if (sr.changed) {
		state_refresh(d);
		desk_message(d, "%s", _("Wrap-up over: ready for the next "
		    "call."));
	}
}

struct due_seen {
	size_t fresh;
	char *first;
};

static bool
notified(struct desk_svc *sv, uint32_t id)
{
	for (size_t i = 0; i < sv->nnotified; i++) {
		if (sv->notified[i] == id)
			return true;
	}
	return false;
}

static void
due_one(struct desk *d, uint32_t id, const char *what, void *arg)
{
	struct desk_svc *sv = d->svc;
	struct due_seen *ds = arg;

	if (notified(sv, id))
		return;
	if (sv->nnotified == NOTIFIED_MAX) {
		memmove(sv->notified, sv->notified + 1,
		    (NOTIFIED_MAX - 1) * sizeof *sv->notified);
		sv->nnotified--;
	}
	sv->notified[sv->nnotified++] = id;
	if (ds->fresh++ == 0)
		ds->first = xstrdup(what);
}

static void
callbacks_check(struct desk *d)
{
	struct due_seen ds = { 0, NULL };
	int rc = desk_work_each_due(d, clock_now(), due_one, &ds);

	if (rc != ST_OK && rc != ST_BUSY && !d->svc->poll_failed) {
		d->svc->poll_failed = true;
		desk_store_error(d, rc);
	}
	if (ds.fresh == 1)
		desk_message(d, _("Callback due: %s"), ds.first);
	else if (ds.fresh > 1)
		desk_message(d, _("%zu callbacks due, first: %s (My work: "
		    "F3)"), ds.fresh, ds.first);
	if (ds.fresh > 0)
		beep();
	free(ds.first);
}

/* True when a screen ticked or the agent's record changed: the whole
 * screen is drawn again; otherwise only the top line's timer moves. */
bool
desk_poll(struct desk *d)
{
	struct desk_svc *sv = d->svc;
	int64_t now = clock_mono_ms();
	bool changed = false;

	if (sv == NULL || d->store == NULL)
		return false;
	if (now - sv->screen_ms >= POLL_SCREEN_MS) {
		sv->screen_ms = now;
		/* Every screen that shows: a pop-up over My work leaves it
		 * in view. */
		for (struct desk_screen *s = d->top; s != NULL; s = s->below) {
			if (s->ops->tick != NULL) {
				s->ops->tick(d, s);
				changed = true;
			}
			if (!s->ops->overlay)
				break;
		}
	}
	if (now - sv->state_ms >= POLL_STATE_MS) {
		uint32_t version = sv->agent.version;
		bool had = sv->have_agent;

		sv->state_ms = now;
		state_refresh(d);
		wrap_up_check(d);
		callbacks_check(d);
		/* Most polls find nothing new (a message is the loop's to
		 * see): then the top line will do. */
		changed = changed || had != sv->have_agent ||
		    version != sv->agent.version;
	}
	return changed;
}

/* A screen that ticks wakes the loop twice a second; the others let it
 * sleep until the top line's second is up. */
int
desk_poll_wait(struct desk *d, int max_ms)
{
	struct desk_svc *sv = d->svc;
	int64_t now = clock_mono_ms(), wait = max_ms;
	bool ticking = false;

	if (sv == NULL || d->store == NULL)
		return max_ms;
	for (struct desk_screen *s = d->top; s != NULL; s = s->below) {
		ticking |= s->ops->tick != NULL;
		if (!s->ops->overlay)
			break;
	}
	if (POLL_STATE_MS - (now - sv->state_ms) < wait)
		wait = POLL_STATE_MS - (now - sv->state_ms);
	if (ticking && POLL_SCREEN_MS - (now - sv->screen_ms) < wait)
		wait = POLL_SCREEN_MS - (now - sv->screen_ms);
	return wait < 1 ? 1 : (int)wait;
}

/* ---- after a call ------------------------------------------------------ */

struct cb_offer {
	uint32_t interaction;
	char *customer;
	char *contact;
	char *due;
	char *phone;
	char *queue;		/* the agent's first queue, or NULL */
	uint32_t made;
};

static void
cb_offer_free(struct cb_offer *o)
{
	free(o->customer);
	free(o->contact);
	free(o->due);
	free(o->phone);
	free(o->queue);
	free(o);
}

/* A value as the field stores it, or "" when it does not take it. */
static void
set_normalised(struct record *r, const struct entity *e, const char *name,
    const char *value)
{
	const struct field *f = entity_field(e, name);
	char *out = NULL, *why = NULL;

	if (f != NULL && value != NULL && *value != '\0' &&
	    field_normalise(f, value, &out, &why) == 0)
		record_set(r, name, out);
	free(out);
	free(why);
}

struct cb_run {
	struct desk *desk;
	struct cb_offer *offer;
	bool for_queue;
};

static int
cb_txn(struct store *s, struct txn *t, void *arg)
{
	struct cb_run *cr = arg;
	struct cb_offer *o = cr->offer;
	const struct forms *forms = store_forms(s);
	const struct entity *ce = forms_entity(forms, "callback");
	const struct entity *cust = forms_entity(forms, "customer");
	struct record r, c;
	char iid[16];
	uint32_t id;
	int rc;

	if (ce == NULL)
		return ST_INVALID;	/* checked before */
	record_init(&r);
	record_set(&r, "customer", o->customer);
	if (o->contact != NULL)
		record_set(&r, "contact", o->contact);
	record_set(&r, "due", o->due);
	record_set(&r, "status", "pending");
	if (cr->for_queue)
		record_set(&r, "queue", o->queue);
	else
		record_set(&r, "assignee", cr->desk->ctx->user);
	snprintf(iid, sizeof iid, "%u", o->interaction);
	if (o->interaction != 0 && entity_field(ce, "interaction") != NULL)
		record_set(&r, "interaction", iid);
	if (o->phone != NULL)
		set_normalised(&r, ce, "phone", o->phone);
	else if (cust != NULL && cmd_parse_id(o->customer, &id) &&
	    store_get(s, t, cust, id, &c) == ST_OK) {
		const char *phones = record_get(&c, "phones");
		char *first = xstrndup(phones, strcspn(phones, "\n"));

		set_normalised(&r, ce, "phone", first);
		free(first);
		record_free(&c);
	}
	rc = store_create(s, t, ce, &r);
	o->made = rc == ST_OK ? r.id : 0;
	record_free(&r);
	return rc;
}

static void
cb_make(struct desk *d, struct cb_offer *o, bool for_queue)
{
	struct cb_run cr = { d, o, for_queue };
	int rc = store_run(d->store, cb_txn, &cr);
	const struct entity *ce = forms_entity(d->forms, "callback");
	const struct field *due = ce ? entity_field(ce, "due") : NULL;
	char *when;

	if (rc != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	when = due ? desk_value(d, due, o->due) : xstrdup(o->due);
	if (for_queue)
		desk_message(d, _("Callback #%u at %s scheduled for queue %s."),
		    o->made, when, o->queue);
	else
		desk_message(d, _("Callback #%u at %s scheduled for you."),
		    o->made, when);
	free(when);
}

static void
cb_answer(struct desk *d, void *arg, int answer)
{
	struct cb_offer *o = arg;

	if (answer == 'm')
		cb_make(d, o, false);
	else if (answer == 'q')
		cb_make(d, o, true);
	else
		desk_message(d, "%s", _("No callback scheduled."));
	d->svc->offer = NULL;
	cb_offer_free(o);
}

static void
callback_offer(struct desk *d, const struct record *ia)
{
	const struct svc_queue **mine = desk_my_queues(d);
	const struct entity *ie = forms_entity(d->forms, "interaction");
	const struct field *due = ie ? entity_field(ie, "callback_at") : NULL;
	struct cb_offer *o;
	char *when, *q;

	if (forms_entity(d->forms, "callback") == NULL)
		return;
	if (*record_get(ia, "callback_at") == '\0') {
		desk_error(d, "%s", _("No call-back time on the call: no "
		    "callback scheduled."));
		return;
	}
	o = xcalloc(1, sizeof *o);
	o->interaction = ia->id;
	o->customer = xstrdup(record_get(ia, "customer"));
	if (*record_get(ia, "contact") != '\0')
		o->contact = xstrdup(record_get(ia, "contact"));
	o->due = xstrdup(record_get(ia, "callback_at"));
	if (*record_get(ia, "caller") != '\0')
		o->phone = xstrdup(record_get(ia, "caller"));
	if (mine[0] == NULL) {
		cb_make(d, o, false);
		cb_offer_free(o);
		return;
	}
	o->queue = xstrdup(mine[0]->name);
	when = due ? desk_value(d, due, o->due) : xstrdup(o->due);
	q = xasprintf(_("Call back %s: m for me, q for anyone in queue %s, "
	    "Esc: no callback"), when, desk_label(d, &mine[0]->label) ?
	    desk_label(d, &mine[0]->label) : mine[0]->name);
	/* Kept by the desk too: freed at the end if never answered. */
	if (d->svc->offer != NULL)
		cb_offer_free(d->svc->offer);
	d->svc->offer = o;
	desk_ask(d, q, "mq", cb_answer, o);
	free(q);
	free(when);
}

void
desk_call_logged(struct desk *d, const struct record *ia)
{
	/* The "Saved" message stays: wrap-up shows on the top line. */
	set_state(d, "wrap_up", NULL, true);
	if (strcmp(record_get(ia, "disposition"), "callback") == 0)
		callback_offer(d, ia);
}

/* ---- keys ---------------------------------------------------------------- */

static void
state_picked(struct desk *d, void *arg, const char *value)
{
	(void)arg;
	if (value == NULL)
		return;
	if (strncmp(value, "paused:", 7) == 0)
		set_state(d, "paused", value + 7, false);
	else
		set_state(d, value, NULL, false);
}

static void
pick_add(struct desk_pick_item **items, size_t *n, char *label,
    char *value, const char *key)
{
	*items = xreallocarray(*items, *n + 1, sizeof **items);
	(*items)[*n].label = label;
	(*items)[*n].value = value;
	(*items)[*n].key = key ? xstrdup(key) : NULL;
	(*n)++;
}

/* Ready, a pause for each reason the agent form lists, offline. */
static void
agent_state_menu(struct desk *d, struct desk_screen *s)
{
	const struct field *sf = agent_field(d, "state");
	const struct field *rf = agent_field(d, "reason");
	const struct enum_value *ev;
	struct desk_pick_item *items = NULL;
	size_t n = 0;

	(void)s;
	if (sf == NULL) {
		desk_error(d, "%s", _("There is no agent form "
		    "(forms/agent.yaml)."));
		return;
	}
	ev = field_enum_value(sf, "ready");
	pick_add(&items, &n, xstrdup(value_label(d, sf, "ready")),
	    xstrdup("ready"), ev ? ev->key : NULL);
	for (size_t i = 0; rf != NULL && i < rf->nvalues; i++)
		pick_add(&items, &n, state_label(d, "paused",
		    rf->values[i].value), xasprintf("paused:%s",
		    rf->values[i].value), rf->values[i].key);
	ev = field_enum_value(sf, "offline");
	pick_add(&items, &n, xstrdup(value_label(d, sf, "offline")),
	    xstrdup("offline"), ev ? ev->key : NULL);
	desk_pick_open(d, _("Your state"), items, n, "", state_picked, NULL);
}

static void
agent_ready(struct desk *d, struct desk_screen *s)
{
	(void)s;
	set_state(d, "ready", NULL, false);
}

static void
agent_script(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_script_toggle(d);
}

static const struct desk_action agent_actions[] = {
	{ "agent-state", N_("State"), N_("change your state: ready, paused "
	  "with a reason, offline"), agent_state_menu },
	{ "ready", N_("Ready"), N_("ready for the next call (ends wrap-up "
	  "or a pause)"), agent_ready },
	{ "script", N_("Script"), N_("show or hide the call script"),
	  agent_script },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding agent_bindings[] = {
	{ DK(KEY_F(12)), "agent-state", false },
	{ DK_CTRL('y'), "agent-state", false },
	{ DK_CTRL('r'), "ready", false },
	{ DK(KEY_F(8)), "script", false },
	{ DK_CTRL('x'), "script", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_agent_keys = {
	"agent", N_("Your state (everywhere)"), agent_actions, agent_bindings
};
