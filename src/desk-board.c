/* desk-board.c - the supervisor's board: every agent with state, time in
 * state, calls handled today, open tickets and missed callbacks; every
 * queue of service.yaml with its open tickets, those waiting for an
 * agent, the oldest of them, breaches today and missed callbacks. Read
 * again each second while it shows (index lookups, one short
 * transaction); scrolls when it is longer than the screen. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define BOARD_IDS_MAX 10000
#define BOARD_REFRESH_MS 1000
#define BOARD_FULL_MS 30000	/* records cached are read again this often */

struct bd_agent {
	char *name;
	char *state;
	char *reason;
	time_t since;		/* 0: unknown */
	size_t calls;
	size_t open;
	size_t missed;
};

struct bd_queue {
	const struct svc_queue *q;
	size_t open;
	size_t waiting;		/* open with nobody assigned */
	int64_t oldest_us;	/* created, of the oldest waiting; 0: none */
	size_t breaches;
	size_t missed;
};

struct bd_data {
	struct bd_agent *a;
	size_t na;
	struct bd_queue *q;
	size_t nq;
	size_t breaches;
	size_t missed;
	uint32_t *missed_ids;	/* counted once across agents and queues */
	size_t nmissed_ids;
};

struct board {
	struct bd_data data;
	size_t top;
	int64_t loaded_ms;
};

static void
bd_data_free(struct bd_data *b)
{
	for (size_t i = 0; i < b->na; i++) {
		free(b->a[i].name);
		free(b->a[i].state);
		free(b->a[i].reason);
	}
	free(b->a);
	free(b->q);
	free(b->missed_ids);
	memset(b, 0, sizeof *b);
}

/* Interactions with the day they started (yyyymmdd), closed tickets with
 * the day of the deadline they broke (0: none), callbacks no longer
 * pending: read once, not every second. One desk per process. */
static struct desk_idmap call_days, closed_breaches, done_callbacks;
static int64_t board_full_ms;

/* "2026-11-23": the date part of a stored datetime. */
static void
today_text(time_t now, char out[11])
{
	struct tm tm;

	localtime_r(&now, &tm);
	strftime(out, 11, "%Y-%m-%d", &tm);
}

static int
lookup(struct store *s, struct txn *t, const struct entity *e,
    const char *field, const char *value, uint32_t **ids, size_t *n)
{
	const struct field *f = e ? entity_field(e, field) : NULL;

	*ids = NULL;
	*n = 0;
	if (f == NULL || *value == '\0')
		return ST_OK;
	*ids = xcalloc(BOARD_IDS_MAX, sizeof **ids);
	return store_lookup(s, t, f, value, *ids, BOARD_IDS_MAX, n);
}

struct board_run {
	struct desk *desk;
	struct bd_data *data;
	time_t now;
	char today[11];
	int32_t today_n;	/* yyyymmdd */
};

/* yyyymmdd of a stored date or datetime; 0 if it is none. */
static int32_t
day_number(const char *s)
{
	int y, m, d;

	if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	return (int32_t)(y * 10000 + m * 100 + d);
}

static int
agent_each(const struct record *r, void *arg)
{
	struct board_run *br = arg;
	struct bd_data *b = br->data;
	struct bd_agent *a;

	b->a = xreallocarray(b->a, b->na + 1, sizeof *b->a);
	a = &b->a[b->na++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(record_get(r, "name"));
	a->state = xstrdup(record_get(r, "state"));
	a->reason = xstrdup(record_get(r, "reason"));
	if (datetime_parse(record_get(r, "since"), &a->since) != 0)
		a->since = 0;
	return 0;
}

static bool
has_agent(const struct bd_data *b, const char *name)
{
	for (size_t i = 0; i < b->na; i++) {
		if (strcmp(b->a[i].name, name) == 0)
			return true;
	}
	return false;
}

/* A member of a queue who never set a state is on the board, offline. */
static void
add_offline(struct bd_data *b, const char *name)
{
	struct bd_agent *a;

	if (*name == '\0' || has_agent(b, name))
		return;
	b->a = xreallocarray(b->a, b->na + 1, sizeof *b->a);
	a = &b->a[b->na++];
	memset(a, 0, sizeof *a);
	a->name = xstrdup(name);
	a->state = xstrdup("offline");
	a->reason = xstrdup("");
}

static int
team_each(const struct record *r, void *arg)
{
	struct board_run *br = arg;
	const struct service *svc = store_service(br->desk->store);
	const char *team = record_get(r, "team");

	for (size_t i = 0; *team != '\0' && i < svc->nqueues; i++) {
		if (svc->queues[i].team != NULL &&
		    strcmp(svc->queues[i].team, team) == 0)
			add_offline(br->data, record_get(r, "name"));
	}
	return 0;
}

static int
add_members(struct store *s, struct txn *t, struct board_run *br)
{
	const struct service *svc = store_service(s);
	const struct entity *ue = store_user_entity(s);
	bool teams = false;

	for (size_t i = 0; svc != NULL && i < svc->nqueues; i++) {
		for (size_t j = 0; j < svc->queues[i].members.n; j++)
			add_offline(br->data, svc->queues[i].members.v[j]);
		teams |= svc->queues[i].team != NULL;
	}
	if (!teams || ue == NULL)
		return ST_OK;
	return store_each(s, t, ue, team_each, br);
}

/* Missed callbacks among ids; each counts once in the total. */
static int
count_missed(struct store *s, struct txn *t, struct board_run *br,
    const uint32_t *ids, size_t n, bool unassigned_only, size_t *out)
{
	const struct entity *ce = forms_entity(store_forms(s), "callback");
	const struct service *svc = store_service(s);
	struct bd_data *b = br->data;

	*out = 0;
	for (size_t i = 0; i < n; i++) {
		struct record r;
		bool seen = false;
		int rc;

		if (desk_idmap_get(&done_callbacks, ids[i], NULL))
			continue;
		if ((rc = store_get(s, t, ce, ids[i], &r)) == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		if (strcmp(record_get(&r, "status"), "pending") != 0)
			desk_idmap_put(&done_callbacks, r.id, 0);
		if (svc_callback_missed(svc, &r, br->now) &&
		    (!unassigned_only || *record_get(&r, "assignee") == '\0')) {
			(*out)++;
			for (size_t k = 0; k < b->nmissed_ids; k++)
				seen |= b->missed_ids[k] == ids[i];
			if (!seen) {
				b->missed_ids = xreallocarray(b->missed_ids,
				    b->nmissed_ids + 1, sizeof *b->missed_ids);
				b->missed_ids[b->nmissed_ids++] = ids[i];
			}
		}
		record_free(&r);
	}
	return ST_OK;
}

static int
agent_figures(struct store *s, struct txn *t, struct board_run *br,
    struct bd_agent *a)
{
	const struct forms *forms = store_forms(s);
	const struct entity *ie = forms_entity(forms, "interaction");
	const struct entity *ce = forms_entity(forms, "callback");
	uint32_t *ids;
	size_t n;
	int rc;

	if ((rc = lookup(s, t, ie, "agent", a->name, &ids, &n)) != ST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct record r;
		int32_t day;

		if (!desk_idmap_get(&call_days, ids[i], &day)) {
			rc = store_get(s, t, ie, ids[i], &r);
			if (rc == ST_NOTFOUND)
				continue;
			if (rc != ST_OK)
				goto out;
			day = day_number(record_get(&r, "started"));
			desk_idmap_put(&call_days, ids[i], day);
			record_free(&r);
		}
		a->calls += day == br->today_n;
	}
	free(ids);
	if ((rc = svc_open_load(s, t, a->name, &a->open)) != ST_OK)
		return rc;
	if ((rc = lookup(s, t, ce, "assignee", a->name, &ids, &n)) != ST_OK)
		goto out;
	rc = count_missed(s, t, br, ids, n, false, &a->missed);
out:
	free(ids);
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

static bool
ticket_open(const struct record *r)
{
	const char *st = record_get(r, "status");

	return strcmp(st, "resolved") != 0 && strcmp(st, "closed") != 0;
}

/* The day of the deadline a breached ticket broke; 0 if none. */
static int32_t
breach_day(struct board_run *br, const struct record *r)
{
	const struct service *svc = store_service(br->desk->store);
	const char *breach = record_get(r, "breach");
	struct sla_state st;

	if (*breach == '\0' && ticket_open(r) && svc != NULL) {
		sla_state_of(svc, r, br->now, &st);
		if (st.response_breached || (st.has_response &&
		    st.response_left < 0))
			breach = "response";
		else if (st.resolution_breached || (st.has_resolution &&
		    st.resolution_left < 0))
			breach = "resolution";
	}
	if (*breach == '\0')
		return 0;
	if (strcmp(breach, "response") == 0 ||
	    *record_get(r, "due") == '\0')
		return day_number(record_get(r, "response_due"));
	return day_number(record_get(r, "due"));
}

static int
queue_figures(struct store *s, struct txn *t, struct board_run *br,
    struct bd_queue *bq)
{
	const struct forms *forms = store_forms(s);
	const struct entity *te = forms_entity(forms, "ticket");
	const struct entity *ce = forms_entity(forms, "callback");
	uint32_t *ids;
	size_t n;
	int rc;

	if ((rc = lookup(s, t, te, "queue", bq->q->name, &ids, &n)) != ST_OK)
		goto out;
	for (size_t i = 0; i < n; i++) {
		struct record r;
		int32_t day;

		if (desk_idmap_get(&closed_breaches, ids[i], &day)) {
			bq->breaches += day == br->today_n;
			continue;
		}
		if ((rc = store_get(s, t, te, ids[i], &r)) == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			goto out;
		day = breach_day(br, &r);
		bq->breaches += day == br->today_n;
		if (!ticket_open(&r))
			desk_idmap_put(&closed_breaches, r.id, day);
		if (ticket_open(&r)) {
			bq->open++;
			if (*record_get(&r, "assignee") == '\0') {
				bq->waiting++;
				if (bq->oldest_us == 0 ||
				    r.created < bq->oldest_us)
					bq->oldest_us = r.created;
			}
		}
		record_free(&r);
	}
	free(ids);
	if ((rc = lookup(s, t, ce, "queue", bq->q->name, &ids, &n)) != ST_OK)
		goto out;
	rc = count_missed(s, t, br, ids, n, true, &bq->missed);
out:
	free(ids);
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

static int
board_txn(struct store *s, struct txn *t, void *arg)
{
	struct board_run *br = arg;
	struct bd_data *b = br->data;
	const struct entity *ae = forms_entity(store_forms(s), "agent");
	const struct service *svc = store_service(s);
	int rc = ST_OK;

	bd_data_free(b);
	if (ae != NULL && (rc = store_each(s, t, ae, agent_each, br)) != ST_OK)
		return rc;
	if ((rc = add_members(s, t, br)) != ST_OK)
		return rc;
	for (size_t i = 0; i < b->na && rc == ST_OK; i++)
		rc = agent_figures(s, t, br, &b->a[i]);
	b->nq = svc ? svc->nqueues : 0;
	b->q = xcalloc(b->nq + 1, sizeof *b->q);
	for (size_t i = 0; i < b->nq && rc == ST_OK; i++) {
		b->q[i].q = &svc->queues[i];
		rc = queue_figures(s, t, br, &b->q[i]);
		b->breaches += b->q[i].breaches;
	}
	b->missed = b->nmissed_ids;
	return rc;
}

static void
board_load(struct desk *d, struct board *bd, bool quiet)
{
	struct board_run br;
	struct bd_data fresh;
	int rc;

	memset(&fresh, 0, sizeof fresh);
	br.desk = d;
	br.data = &fresh;
	br.now = clock_now();
	today_text(br.now, br.today);
	br.today_n = day_number(br.today);
	if (clock_mono_ms() - board_full_ms >= BOARD_FULL_MS) {
		board_full_ms = clock_mono_ms();
		desk_idmap_clear(&call_days);
		desk_idmap_clear(&closed_breaches);
		desk_idmap_clear(&done_callbacks);
	}
	rc = store_run(d->store, board_txn, &br);
	bd->loaded_ms = clock_mono_ms();
	if (rc != ST_OK) {
		bd_data_free(&fresh);
		if (!quiet || rc != ST_BUSY)
			desk_store_error(d, rc);
		return;
	}
	bd_data_free(&bd->data);
	bd->data = fresh;
}

/* ---- drawing ------------------------------------------------------------ */

static const char *
agent_enum(struct desk *d, const char *field, const char *value)
{
	const struct entity *e = forms_entity(d->forms, "agent");
	const struct field *f = e ? entity_field(e, field) : NULL;
	const struct enum_value *ev = f ? field_enum_value(f, value) : NULL;

	return ev ? desk_label(d, &ev->label) : value;
}

/* A row of cells at fixed columns; the last cell takes the rest. */
static void
put_cells(struct desk *d, int y, const int *w, const char *const *cells,
    size_t n, enum desk_attr a)
{
	int x = 1;

	for (size_t i = 0; i < n && x < COLS - 1; i++) {
		int cw = i + 1 == n ? COLS - 1 - x : w[i];

		desk_put(d, y, x, cw, cells[i], a);
		x += cw + 1;
	}
}

static const int agent_w[] = { 14, 20, 8, 6, 6, 8 };
static const int queue_w[] = { 16, 6, 8, 10, 9, 8 };

struct rows {
	struct desk *desk;
	size_t at;		/* the next row's number */
	size_t top;
	int y0;
	int height;
};

/* The screen line of the next row, or -1 when it is scrolled away. */
static int
row_y(struct rows *r)
{
	size_t at = r->at++;

	if (at < r->top || at >= r->top + (size_t)r->height)
		return -1;
	return r->y0 + (int)(at - r->top);
}

static void
draw_agents(struct desk *d, struct board *bd, struct rows *r, time_t now)
{
	const char *head[] = { _("Agent"), _("State"), _("Time"),
	    _("Calls"), _("Open"), _("Missed") };
	int y;

	if ((y = row_y(r)) >= 0)
		put_cells(d, y, agent_w, head, 6, DA_HEADER);
	for (size_t i = 0; i < bd->data.na; i++) {
		const struct bd_agent *a = &bd->data.a[i];
		char *state, *time, calls[16], open[16], missed[16];
		const char *cells[6];

		if ((y = row_y(r)) < 0)
			continue;
		if (strcmp(a->state, "paused") == 0 && *a->reason != '\0')
			state = xasprintf(_("%s: %s"), agent_enum(d, "state",
			    a->state), agent_enum(d, "reason", a->reason));
		else
			state = xstrdup(agent_enum(d, "state", a->state));
		time = a->since && strcmp(a->state, "offline") != 0 ?
		    desk_elapsed_text((long)(now - a->since)) : xstrdup("");
		snprintf(calls, sizeof calls, "%zu", a->calls);
		snprintf(open, sizeof open, "%zu", a->open);
		snprintf(missed, sizeof missed, "%zu", a->missed);
		cells[0] = a->name;
		cells[1] = state;
		cells[2] = time;
		cells[3] = calls;
		cells[4] = open;
		cells[5] = missed;
		put_cells(d, y, agent_w, cells, 6, a->missed ? DA_ERROR :
		    DA_NORMAL);
		free(state);
		free(time);
	}
	if (bd->data.na == 0 && (y = row_y(r)) >= 0)
		desk_put(d, y, 3, COLS - 4, _("No agents yet (agent states, "
		    "queue members)."), DA_DIM);
}

static void
draw_queues(struct desk *d, struct board *bd, struct rows *r, time_t now)
{
	const char *head[] = { _("Queue"), _("Open"), _("Waiting"),
	    _("Oldest"), _("Breaches"), _("Missed") };
	int y;

	if ((y = row_y(r)) >= 0)
		put_cells(d, y, queue_w, head, 6, DA_HEADER);
	for (size_t i = 0; i < bd->data.nq; i++) {
		const struct bd_queue *q = &bd->data.q[i];
		char open[16], waiting[16], breaches[16], missed[16], *oldest;
		const char *cells[6];

		if ((y = row_y(r)) < 0)
			continue;
		oldest = q->oldest_us ? service_duration_text((long)(now -
		    q->oldest_us / 1000000)) : xstrdup("-");
		snprintf(open, sizeof open, "%zu", q->open);
		snprintf(waiting, sizeof waiting, "%zu", q->waiting);
		snprintf(breaches, sizeof breaches, "%zu", q->breaches);
		snprintf(missed, sizeof missed, "%zu", q->missed);
		cells[0] = desk_label(d, &q->q->label) ?
		    desk_label(d, &q->q->label) : q->q->name;
		cells[1] = open;
		cells[2] = waiting;
		cells[3] = oldest;
		cells[4] = breaches;
		cells[5] = missed;
		put_cells(d, y, queue_w, cells, 6, q->breaches || q->missed ?
		    DA_ERROR : DA_NORMAL);
		free(oldest);
	}
	if (bd->data.nq == 0 && (y = row_y(r)) >= 0)
		desk_put(d, y, 3, COLS - 4, _("No queues in service.yaml."),
		    DA_DIM);
}

static size_t
board_rows(const struct board *bd)
{
	return 1 + (bd->data.na ? bd->data.na : 1) + 1 + 1 +
	    (bd->data.nq ? bd->data.nq : 1);
}

static void
board_draw(struct desk *d, struct desk_screen *s)
{
	struct board *bd = s->data;
	int top = desk_body_top();
	struct rows r = { d, 0, 0, top + 2, desk_body_rows() - 2 };
	time_t now = clock_now();
	size_t ready = 0, on_call = 0, paused = 0, total = board_rows(bd);
	char *line;
	int y;

	for (size_t i = 0; i < bd->data.na; i++) {
		ready += strcmp(bd->data.a[i].state, "ready") == 0;
		on_call += strcmp(bd->data.a[i].state, "on_call") == 0;
		paused += strcmp(bd->data.a[i].state, "paused") == 0;
	}
	line = xasprintf(_("Board: %zu agents, %zu ready, %zu on call, %zu "
	    "paused"), bd->data.na, ready, on_call, paused);
	desk_put(d, top, 1, COLS - 2, line, DA_TITLE);
	free(line);
	line = xasprintf(_("SLA breaches today: %zu   Missed callbacks: %zu"),
	    bd->data.breaches, bd->data.missed);
	desk_put(d, top + 1, 1, COLS - 2, line, bd->data.breaches ||
	    bd->data.missed ? DA_ERROR : DA_NORMAL);
	free(line);
	if (r.height < 1)
		return;
	if (total <= (size_t)r.height)
		bd->top = 0;
	else if (bd->top > total - (size_t)r.height)
		bd->top = total - (size_t)r.height;
	r.top = bd->top;
	draw_agents(d, bd, &r, now);
	(void)row_y(&r);
	draw_queues(d, bd, &r, now);
	if (bd->top > 0)
		desk_put(d, r.y0, COLS - 1, 1, "↑", DA_DIM);
	if (bd->top + (size_t)r.height < total &&
	    (y = r.y0 + r.height - 1) > 0)
		desk_put(d, y, COLS - 1, 1, "↓", DA_DIM);
}

/* ---- actions --------------------------------------------------------------- */

static void
board_tick(struct desk *d, struct desk_screen *s)
{
	struct board *bd = s->data;

	if (clock_mono_ms() - bd->loaded_ms >= BOARD_REFRESH_MS)
		board_load(d, bd, true);
}

static void
board_scroll(struct desk_screen *s, long by)
{
	struct board *bd = s->data;
	long to = (long)bd->top + by;

	bd->top = to < 0 ? 0 : (size_t)to;	/* clamped when drawn */
}

#define BOARD_MOVE(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; board_scroll(s, by); }
BOARD_MOVE(board_down, 1)
BOARD_MOVE(board_up, -1)
BOARD_MOVE(board_page_down, desk_body_rows() - 3)
BOARD_MOVE(board_page_up, -(desk_body_rows() - 3))
BOARD_MOVE(board_first, -1000000)
BOARD_MOVE(board_last, 1000000)

static void
board_reload(struct desk *d, struct desk_screen *s)
{
	board_load(d, s->data, false);
}

static void
board_back(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_pop(d);
}

static const struct desk_action board_actions[] = {
	{ "reload", N_("Reload"), N_("read the figures again now"),
	  board_reload },
	{ "back", N_("Back"), N_("go back"), board_back },
	{ "down", N_("Down"), N_("scroll down a line"), board_down },
	{ "up", N_("Up"), N_("scroll up a line"), board_up },
	{ "page-down", N_("Page"), N_("a page down"), board_page_down },
	{ "page-up", N_("Page"), N_("a page up"), board_page_up },
	{ "first", N_("First"), N_("the top"), board_first },
	{ "last", N_("Last"), N_("the bottom"), board_last },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding board_bindings[] = {
	{ DK_ESC, "back", true },
	{ 'q', "back", false },
	{ DK(KEY_LEFT), "back", false },
	{ 'h', "back", false },
	{ 'r', "reload", false },
	{ DK(KEY_F(5)), "reload", true },
	{ DK(KEY_DOWN), "down", false },
	{ 'j', "down", false },
	{ DK(KEY_UP), "up", false },
	{ 'k', "up", false },
	{ DK(KEY_NPAGE), "page-down", false },
	{ ' ', "page-down", false },
	{ DK(KEY_PPAGE), "page-up", false },
	{ DK(KEY_HOME), "first", false },
	{ 'g', "first", false },
	{ DK(KEY_END), "last", false },
	{ 'G', "last", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_board_keys = {
	"board", N_("Supervisor's board"), board_actions, board_bindings
};

static void
board_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_board_keys);
	desk_keychain_add(kc, &desk_browse_keys);
}

static void
board_free(struct desk *d, struct desk_screen *s)
{
	struct board *bd = s->data;

	(void)d;
	bd_data_free(&bd->data);
	free(bd);
}

static const struct desk_screen_ops board_ops = {
	.name = "board",
	.keys = board_keys,
	.draw = board_draw,
	.tick = board_tick,
	.free = board_free,
};

void
desk_board_open(struct desk *d)
{
	struct board *bd;

	if ((d->ctx->role & (ROLE_SUPERVISOR | ROLE_ADMIN)) == 0) {
		desk_error(d, "%s", _("The board is for supervisors and "
		    "admins."));
		return;
	}
	if (d->top != NULL && d->top->ops == &board_ops)
		return;
	bd = xcalloc(1, sizeof *bd);
	desk_push(d, &board_ops, bd);
	board_load(d, bd, false);
}
