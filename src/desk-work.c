/* desk-work.c - "My work": the agent's open tickets, nearest deadline
 * first with their service-level timers (negative and marked once
 * breached), and the callbacks waiting for the agent or for anyone in the
 * agent's queues, missed ones flagged. The lists are index lookups, read
 * again twice a second while the screen shows, so a change made in
 * another session appears within a second without a key. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define WORK_IDS_MAX 2000
#define WORK_FULL_MS 5000	/* finished records are read again this often */

struct wk_ticket {
	uint32_t id;
	char *number;
	char *subject;
	char *priority;
	char *status;
	time_t deadline;	/* 0: none */
	long left;		/* seconds to the deadline */
	int kind;		/* 0 none, 1 respond, 2 resolve, 3 due */
	bool breached;
	bool paused;
};

struct wk_callback {
	uint32_t id;
	uint32_t customer;
	char *name;
	char *phone;
	char *queue;		/* for anyone in it; NULL: mine */
	time_t due;
	bool missed;
};

struct wk_data {
	struct wk_ticket *t;
	size_t nt;
	struct wk_callback *c;
	size_t nc;
};

struct work {
	struct wk_data data;
	size_t sel;		/* among tickets, then callbacks */
	size_t top;
	bool loaded;
};

/* ---- ids already read ------------------------------------------------ */

static size_t
idmap_at(const struct desk_idmap *m, uint32_t id)
{
	size_t lo = 0, hi = m->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (m->e[mid].id < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

bool
desk_idmap_get(const struct desk_idmap *m, uint32_t id, int32_t *v)
{
	size_t i = idmap_at(m, id);

	if (i == m->n || m->e[i].id != id)
		return false;
	if (v != NULL)
		*v = m->e[i].v;
	return true;
}

void
desk_idmap_put(struct desk_idmap *m, uint32_t id, int32_t v)
{
	size_t i = idmap_at(m, id);

	if (i < m->n && m->e[i].id == id) {
		m->e[i].v = v;
		return;
	}
	if (m->n == m->size) {
		m->size = m->size ? m->size * 2 : 64;
		m->e = xreallocarray(m->e, m->size, sizeof *m->e);
	}
	memmove(m->e + i + 1, m->e + i, (m->n - i) * sizeof *m->e);
	m->e[i].id = id;
	m->e[i].v = v;
	m->n++;
}

void
desk_idmap_clear(struct desk_idmap *m)
{
	free(m->e);
	memset(m, 0, sizeof *m);
}

/* My closed tickets and finished callbacks: skipped between full passes
 * (a reopened one shows within WORK_FULL_MS). One desk per process. */
static struct desk_idmap done_tickets, done_callbacks;
static int64_t work_full_ms;

static int64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
wk_data_free(struct wk_data *w)
{
	for (size_t i = 0; i < w->nt; i++) {
		free(w->t[i].number);
		free(w->t[i].subject);
		free(w->t[i].priority);
		free(w->t[i].status);
	}
	for (size_t i = 0; i < w->nc; i++) {
		free(w->c[i].name);
		free(w->c[i].phone);
		free(w->c[i].queue);
	}
	free(w->t);
	free(w->c);
	memset(w, 0, sizeof *w);
}

static bool
ticket_closed(const struct record *r)
{
	const char *st = record_get(r, "status");

	return strcmp(st, "resolved") == 0 || strcmp(st, "closed") == 0;
}

static int
lookup(struct store *s, struct txn *t, const struct entity *e,
    const char *field, const char *value, uint32_t **ids, size_t *n)
{
	const struct field *f = e ? entity_field(e, field) : NULL;

	*ids = NULL;
	*n = 0;
	if (f == NULL || value == NULL || *value == '\0')
		return ST_OK;
	*ids = xcalloc(WORK_IDS_MAX, sizeof **ids);
	return store_lookup(s, t, f, value, *ids, WORK_IDS_MAX, n);
}

/* The deadline that comes first: the response while one is owed, else
 * the resolution, else the ticket's own due time. */
static void
ticket_timer(const struct service *svc, const struct record *r, time_t now,
    struct wk_ticket *wt)
{
	struct sla_state st;
	time_t due;

	memset(&st, 0, sizeof st);
	if (svc != NULL)
		sla_state_of(svc, r, now, &st);
	wt->paused = st.paused;
	if (st.has_response && (!st.has_resolution ||
	    st.response_left <= st.resolution_left)) {
		wt->kind = 1;
		wt->left = st.response_left;
		wt->breached = st.response_breached || st.response_left < 0;
	} else if (st.has_resolution) {
		wt->kind = 2;
		wt->left = st.resolution_left;
		wt->breached = st.resolution_breached ||
		    st.resolution_left < 0;
	} else if (datetime_parse(record_get(r, "due"), &due) == 0 &&
	    *record_get(r, "due") != '\0') {
		wt->kind = 3;
		wt->left = (long)(due - now);
		wt->breached = wt->left < 0;
	}
	/* The deadline shown is the due time itself: the timer counts
	 * working time, which the clock does not. */
	if (wt->kind == 1 && datetime_parse(record_get(r, "response_due"),
	    &due) == 0)
		wt->deadline = due;
	else if (wt->kind == 2 && datetime_parse(record_get(r, "due"),
	    &due) == 0)
		wt->deadline = due;
	else if (wt->kind != 0)
		wt->deadline = now + wt->left;
	if (*record_get(r, "breach") != '\0')
		wt->breached = true;
}

static int
load_tickets(struct desk *d, struct store *s, struct txn *t, time_t now,
    struct wk_data *w)
{
	const struct entity *te = forms_entity(d->forms, "ticket");
	const struct service *svc = store_service(s);
	uint32_t *ids;
	size_t n;
	int rc;

	if ((rc = lookup(s, t, te, "assignee", d->ctx->user, &ids, &n)))
		goto out;
	w->t = xcalloc(n + 1, sizeof *w->t);
	for (size_t i = 0; i < n; i++) {
		struct wk_ticket *wt;
		struct record r;

		if (desk_idmap_get(&done_tickets, ids[i], NULL))
			continue;
		if ((rc = store_get(s, t, te, ids[i], &r)) == ST_NOTFOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK)
			break;
		if (!ticket_closed(&r)) {
			wt = &w->t[w->nt++];
			wt->id = r.id;
			wt->number = xstrdup(record_get(&r, "number"));
			wt->subject = xstrdup(record_get(&r, "subject"));
			wt->priority = xstrdup(record_get(&r, "priority"));
			wt->status = xstrdup(record_get(&r, "status"));
			ticket_timer(svc, &r, now, wt);
		} else
			desk_idmap_put(&done_tickets, r.id, 0);
		record_free(&r);
	}
out:
	free(ids);
	return rc;
}

static bool
has_callback(const struct wk_data *w, uint32_t id)
{
	for (size_t i = 0; i < w->nc; i++) {
		if (w->c[i].id == id)
			return true;
	}
	return false;
}

/* The pending callbacks among ids; from a queue's list (queue set) only
 * those nobody has taken for themselves. */
static int
take_callbacks(struct desk *d, struct store *s, struct txn *t,
    const uint32_t *ids, size_t n, const char *queue, time_t now,
    bool names_of_due_only, struct wk_data *w)
{
	const struct entity *ce = forms_entity(d->forms, "callback");
	const struct entity *cust = forms_entity(d->forms, "customer");
	const struct service *svc = store_service(s);

	for (size_t i = 0; i < n; i++) {
		struct wk_callback *wc;
		struct record r, c;
		uint32_t cid = 0;
		int rc;

		if (has_callback(w, ids[i]) ||
		    desk_idmap_get(&done_callbacks, ids[i], NULL))
			continue;
		if ((rc = store_get(s, t, ce, ids[i], &r)) == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		if (strcmp(record_get(&r, "status"), "pending") != 0)
			desk_idmap_put(&done_callbacks, r.id, 0);
		if (strcmp(record_get(&r, "status"), "pending") != 0 ||
		    (queue != NULL && *record_get(&r, "assignee") != '\0')) {
			record_free(&r);
			continue;
		}
		w->c = xreallocarray(w->c, w->nc + 1, sizeof *w->c);
		wc = &w->c[w->nc++];
		memset(wc, 0, sizeof *wc);
		wc->id = r.id;
		if (datetime_parse(record_get(&r, "due"), &wc->due) != 0)
			wc->due = 0;
		wc->missed = svc_callback_missed(svc, &r, now);
		wc->phone = xstrdup(record_get(&r, "phone"));
		wc->queue = queue ? xstrdup(queue) : NULL;
		if (cmd_parse_id(record_get(&r, "customer"), &cid))
			wc->customer = cid;
		if (cust != NULL && cid != 0 && cust->title != NULL &&
		    (!names_of_due_only || wc->due <= now) &&
		    store_get(s, t, cust, cid, &c) == ST_OK) {
			wc->name = xstrdup(record_get(&c, cust->title));
			record_free(&c);
		}
		if (wc->name == NULL)
			wc->name = xstrdup("");
		record_free(&r);
	}
	return ST_OK;
}

static int
load_callbacks(struct desk *d, struct store *s, struct txn *t, time_t now,
    bool names_of_due_only, struct wk_data *w)
{
	const struct entity *ce = forms_entity(d->forms, "callback");
	const struct svc_queue **mine = desk_my_queues(d);
	uint32_t *ids;
	size_t n;
	int rc;

	if (ce == NULL)
		return ST_OK;
	rc = lookup(s, t, ce, "assignee", d->ctx->user, &ids, &n);
	if (rc == ST_OK)
		rc = take_callbacks(d, s, t, ids, n, NULL, now,
		    names_of_due_only, w);
	free(ids);
	for (size_t q = 0; mine[q] != NULL && rc == ST_OK; q++) {
		rc = lookup(s, t, ce, "queue", mine[q]->name, &ids, &n);
		if (rc == ST_OK)
			rc = take_callbacks(d, s, t, ids, n, mine[q]->name,
			    now, names_of_due_only, w);
		free(ids);
	}
	return rc;
}

static int
ticket_cmp(const void *a, const void *b)
{
	const struct wk_ticket *x = a, *y = b;
	int rx = x->kind == 0 ? 2 : x->paused ? 1 : 0;
	int ry = y->kind == 0 ? 2 : y->paused ? 1 : 0;

	if (rx != ry)
		return rx - ry;
	if (x->kind != 0 && x->left != y->left)
		return x->left < y->left ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int
callback_cmp(const void *a, const void *b)
{
	const struct wk_callback *x = a, *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

struct work_run {
	struct desk *desk;
	struct wk_data *data;
	time_t now;
	bool tickets;
};

static int
work_txn(struct store *s, struct txn *t, void *arg)
{
	struct work_run *wr = arg;
	int rc = ST_OK;

	wk_data_free(wr->data);
	if (wr->tickets)
		rc = load_tickets(wr->desk, s, t, wr->now, wr->data);
	if (rc == ST_OK)
		rc = load_callbacks(wr->desk, s, t, wr->now, !wr->tickets,
		    wr->data);
	return rc;
}

static int
work_load(struct desk *d, struct wk_data *w, time_t now, bool tickets)
{
	struct work_run wr = { d, w, now, tickets };
	int rc;

	if (mono_ms() - work_full_ms >= WORK_FULL_MS) {
		work_full_ms = mono_ms();
		desk_idmap_clear(&done_tickets);
		desk_idmap_clear(&done_callbacks);
	}
	rc = store_run(d->store, work_txn, &wr);

	if (rc != ST_OK) {
		wk_data_free(w);
		return rc;
	}
	if (w->nt > 1)
		qsort(w->t, w->nt, sizeof *w->t, ticket_cmp);
	if (w->nc > 1)
		qsort(w->c, w->nc, sizeof *w->c, callback_cmp);
	return ST_OK;
}

int
desk_work_each_due(struct desk *d, time_t now, desk_due_fn fn, void *arg)
{
	struct wk_data w;
	int rc;

	memset(&w, 0, sizeof w);
	if ((rc = work_load(d, &w, now, false)) != ST_OK)
		return rc;
	for (size_t i = 0; i < w.nc; i++) {
		const struct wk_callback *c = &w.c[i];
		char *what;

		if (c->due == 0 || c->due > now)
			continue;
		what = xasprintf("#%u %s %s", c->id, c->name, c->phone);
		fn(d, c->id, what, arg);
		free(what);
	}
	wk_data_free(&w);
	return ST_OK;
}

/* ---- drawing ------------------------------------------------------------ */

static size_t
work_items(const struct work *w)
{
	return w->data.nt + w->data.nc;
}

/* Rows: title, tickets header, column heads, tickets (or "none"), blank,
 * callbacks header, column heads, callbacks (or "none"). */
enum wk_row {
	WR_TICKETS,
	WR_TICKET_HEAD,
	WR_TICKET,
	WR_CALLBACKS,
	WR_CALLBACK_HEAD,
	WR_CALLBACK,
	WR_NONE,
	WR_BLANK
};

struct wk_line {
	enum wk_row kind;
	size_t i;
};

static size_t
work_lines(const struct work *w, struct wk_line **out)
{
	size_t n = 0, max = work_items(w) + 10;
	struct wk_line *v = xcalloc(max, sizeof *v);

	v[n++] = (struct wk_line){ WR_TICKETS, 0 };
	v[n++] = (struct wk_line){ WR_TICKET_HEAD, 0 };
	for (size_t i = 0; i < w->data.nt; i++)
		v[n++] = (struct wk_line){ WR_TICKET, i };
	if (w->data.nt == 0)
		v[n++] = (struct wk_line){ WR_NONE, 0 };
	v[n++] = (struct wk_line){ WR_BLANK, 0 };
	v[n++] = (struct wk_line){ WR_CALLBACKS, 0 };
	v[n++] = (struct wk_line){ WR_CALLBACK_HEAD, 0 };
	for (size_t i = 0; i < w->data.nc; i++)
		v[n++] = (struct wk_line){ WR_CALLBACK, i };
	if (w->data.nc == 0)
		v[n++] = (struct wk_line){ WR_NONE, 0 };
	*out = v;
	return n;
}

/* "10:00" today, "11-24 09:30" this year, "2025-11-24" before. */
static char *
short_time(time_t t, time_t now)
{
	struct tm tm, today;
	char out[32];

	if (t == 0)
		return xstrdup("");
	localtime_r(&t, &tm);
	localtime_r(&now, &today);
	if (tm.tm_year != today.tm_year)
		strftime(out, sizeof out, "%Y-%m-%d", &tm);
	else if (tm.tm_yday != today.tm_yday)
		strftime(out, sizeof out, "%m-%d %H:%M", &tm);
	else
		strftime(out, sizeof out, "%H:%M", &tm);
	return xstrdup(out);
}

static const char *
enum_label(struct desk *d, const char *entity, const char *field,
    const char *value)
{
	const struct entity *e = forms_entity(d->forms, entity);
	const struct field *f = e ? entity_field(e, field) : NULL;
	const struct enum_value *ev = f ? field_enum_value(f, value) : NULL;

	return ev ? desk_label(d, &ev->label) : value;
}

static char *
ticket_timer_text(const struct wk_ticket *t)
{
	const char *what = t->kind == 1 ? _("respond") : t->kind == 2 ?
	    _("resolve") : _("due");
	char *left, *out;

	if (t->kind == 0)
		return xstrdup("");
	left = service_duration_text(t->left);
	if (t->paused)
		out = xasprintf(_("%s %s paused"), what, left);
	else
		out = xasprintf("%s %s", what, left);
	free(left);
	return out;
}

/* Columns of a ticket line: mark, number, subject (the rest), priority,
 * status, deadline, timer. */
#define WT_NUM 9
#define WT_PRI 8
#define WT_STATUS 8
#define WT_DUE 11
#define WT_TIMER 16

static int
wt_subject_width(void)
{
	int w = COLS - 2 - WT_NUM - WT_PRI - WT_STATUS - WT_DUE - WT_TIMER - 6;

	return w > 6 ? w : 6;
}

static void
draw_ticket_row(struct desk *d, int y, const struct wk_ticket *t, bool sel,
    bool head)
{
	enum desk_attr a = head ? DA_HEADER : sel ? DA_SELECT :
	    t->breached ? DA_ERROR : DA_NORMAL;
	int x = 0, sw = wt_subject_width();
	char *due = head ? NULL : short_time(t->deadline, clock_now());
	char *timer = head ? NULL : ticket_timer_text(t);

	desk_fill(d, y, 0, COLS, sel ? DA_SELECT : DA_NORMAL);
	desk_put(d, y, x, 2, head ? "" : t->breached ? "!" : "", a);
	x += 2;
	desk_put(d, y, x, WT_NUM, head ? _("Number") : t->number, a);
	x += WT_NUM + 1;
	desk_put(d, y, x, sw, head ? _("Subject") : t->subject, a);
	x += sw + 1;
	desk_put(d, y, x, WT_PRI, head ? _("Priority") :
	    enum_label(d, "ticket", "priority", t->priority), a);
	x += WT_PRI + 1;
	desk_put(d, y, x, WT_STATUS, head ? _("Status") :
	    enum_label(d, "ticket", "status", t->status), a);
	x += WT_STATUS + 1;
	desk_put(d, y, x, WT_DUE, head ? _("Due") : due, a);
	x += WT_DUE + 1;
	desk_put(d, y, x, COLS - x, head ? _("Timer") : timer, a);
	free(due);
	free(timer);
}

static const char *
queue_label(struct desk *d, const char *name)
{
	const struct service *svc = store_service(d->store);
	const struct svc_queue *q = svc ? service_queue(svc, name) : NULL;

	const char *l = q != NULL ? desk_label(d, &q->label) : NULL;

	return l != NULL ? l : name;
}

#define WC_DUE 11
#define WC_PHONE 15
#define WC_FOR 12
#define WC_STATE 10

static void
draw_callback_row(struct desk *d, int y, const struct wk_callback *c,
    bool sel, bool head, time_t now)
{
	enum desk_attr a = head ? DA_HEADER : sel ? DA_SELECT :
	    c->missed ? DA_ERROR : DA_NORMAL;
	int x = 0;
	int nw = COLS - 2 - WC_DUE - WC_PHONE - WC_FOR - WC_STATE - 5;
	char *due = head ? NULL : short_time(c->due, now);
	const char *state = head ? _("State") : c->missed ? _("MISSED") :
	    c->due != 0 && c->due <= now ? _("due now") : _("later");

	desk_fill(d, y, 0, COLS, sel ? DA_SELECT : DA_NORMAL);
	desk_put(d, y, x, 2, head ? "" : c->missed ? "!" : "", a);
	x += 2;
	desk_put(d, y, x, WC_DUE, head ? _("Due") : due, a);
	x += WC_DUE + 1;
	desk_put(d, y, x, nw, head ? _("Customer") : c->name, a);
	x += nw + 1;
	desk_put(d, y, x, WC_PHONE, head ? _("Phone") : c->phone, a);
	x += WC_PHONE + 1;
	desk_put(d, y, x, WC_FOR, head ? _("For") : c->queue ?
	    queue_label(d, c->queue) : _("me"), a);
	x += WC_FOR + 1;
	desk_put(d, y, x, COLS - x, state, a);
	free(due);
}

static size_t
count_breached(const struct work *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->data.nt; i++)
		n += w->data.t[i].breached;
	return n;
}

static size_t
count_missed(const struct work *w)
{
	size_t n = 0;

	for (size_t i = 0; i < w->data.nc; i++)
		n += w->data.c[i].missed;
	return n;
}

static void
work_draw(struct desk *d, struct desk_screen *s)
{
	struct work *w = s->data;
	int top = desk_body_top(), height = desk_body_rows() - 1;
	time_t now = clock_now();
	struct wk_line *lines;
	size_t n = work_lines(w, &lines), selline = 0;
	char *title;

	title = xasprintf(_("My work: %zu open tickets (%zu breached), %zu "
	    "callbacks (%zu missed)"), w->data.nt, count_breached(w),
	    w->data.nc, count_missed(w));
	desk_put(d, top, 1, COLS - 2, title, DA_TITLE);
	free(title);
	for (size_t i = 0; i < n; i++) {
		if ((lines[i].kind == WR_TICKET && lines[i].i == w->sel) ||
		    (lines[i].kind == WR_CALLBACK &&
		    lines[i].i + w->data.nt == w->sel))
			selline = i;
	}
	if (work_items(w) == 0 || selline < 3)
		w->top = 0;
	else if (selline < w->top)
		w->top = selline;
	else if (selline >= w->top + (size_t)height)
		w->top = selline + 1 - (size_t)height;
	for (size_t i = w->top, y = (size_t)top + 1;
	    i < n && y < (size_t)(top + 1 + height); i++, y++) {
		const struct wk_line *l = &lines[i];
		char *head;

		switch (l->kind) {
		case WR_TICKETS:
			head = xasprintf(_("My tickets (%zu), nearest deadline "
			    "first"), w->data.nt);
			desk_put(d, (int)y, 1, COLS - 2, head, DA_HEADER);
			free(head);
			break;
		case WR_CALLBACKS:
			head = xasprintf(_("My callbacks (%zu)"), w->data.nc);
			desk_put(d, (int)y, 1, COLS - 2, head, DA_HEADER);
			free(head);
			break;
		case WR_TICKET_HEAD:
			draw_ticket_row(d, (int)y, NULL, false, true);
			break;
		case WR_CALLBACK_HEAD:
			draw_callback_row(d, (int)y, NULL, false, true, now);
			break;
		case WR_TICKET:
			draw_ticket_row(d, (int)y, &w->data.t[l->i],
			    w->sel == l->i, false);
			break;
		case WR_CALLBACK:
			draw_callback_row(d, (int)y, &w->data.c[l->i],
			    w->sel == l->i + w->data.nt, false, now);
			break;
		case WR_NONE:
			desk_put(d, (int)y, 3, COLS - 4, _("none"), DA_DIM);
			break;
		case WR_BLANK:
			break;
		}
	}
	free(lines);
}

/* ---- reading ------------------------------------------------------------- */

/* The selection stays on the same ticket or callback across a reload. */
static void
work_reload(struct desk *d, struct work *w, bool quiet)
{
	struct wk_data fresh;
	uint32_t id = 0;
	bool was_ticket = w->sel < w->data.nt;
	int rc;

	if (w->sel < work_items(w))
		id = was_ticket ? w->data.t[w->sel].id :
		    w->data.c[w->sel - w->data.nt].id;
	memset(&fresh, 0, sizeof fresh);
	if ((rc = work_load(d, &fresh, clock_now(), true)) != ST_OK) {
		if (!quiet || rc != ST_BUSY)
			desk_store_error(d, rc);
		return;
	}
	wk_data_free(&w->data);
	w->data = fresh;
	w->loaded = true;
	for (size_t i = 0; id != 0 && i < work_items(w); i++) {
		bool is_ticket = i < w->data.nt;
		uint32_t other = is_ticket ? w->data.t[i].id :
		    w->data.c[i - w->data.nt].id;

		if (is_ticket == was_ticket && other == id) {
			w->sel = i;
			return;
		}
	}
	if (w->sel >= work_items(w))
		w->sel = work_items(w) ? work_items(w) - 1 : 0;
}

static void
work_tick(struct desk *d, struct desk_screen *s)
{
	work_reload(d, s->data, true);
}

static void
work_resume(struct desk *d, struct desk_screen *s)
{
	work_reload(d, s->data, false);
}

/* ---- actions --------------------------------------------------------------- */

static void
work_open(struct desk *d, struct desk_screen *s)
{
	struct work *w = s->data;
	const struct entity *e;

	if (w->sel >= work_items(w)) {
		desk_error(d, "%s", _("Nothing here to open."));
		return;
	}
	if (w->sel < w->data.nt) {
		if ((e = forms_entity(d->forms, "ticket")) != NULL)
			desk_card_open(d, e, w->data.t[w->sel].id);
		return;
	}
	if ((e = forms_entity(d->forms, "customer")) != NULL &&
	    w->data.c[w->sel - w->data.nt].customer != 0)
		desk_card_open(d, e, w->data.c[w->sel - w->data.nt].customer);
}

struct done_run {
	uint32_t id;
	const char *user;
};

static int
done_txn(struct store *s, struct txn *t, void *arg)
{
	struct done_run *dr = arg;
	const struct entity *ce = forms_entity(store_forms(s), "callback");
	struct record r;
	char *now;
	int rc;

	if ((rc = store_get(s, t, ce, dr->id, &r)) != ST_OK)
		return rc;
	now = datetime_format(clock_now());
	record_set(&r, "status", "done");
	record_set(&r, "done_at", now);
	record_set(&r, "done_by", dr->user);
	rc = store_update(s, t, ce, &r, 0);
	free(now);
	record_free(&r);
	return rc;
}

static void
work_done(struct desk *d, struct desk_screen *s)
{
	struct work *w = s->data;
	struct done_run dr;
	int rc;

	if (w->sel < w->data.nt || w->sel >= work_items(w)) {
		desk_error(d, "%s", _("Select a callback to mark it done."));
		return;
	}
	dr.id = w->data.c[w->sel - w->data.nt].id;
	dr.user = d->ctx->user;
	if ((rc = store_run(d->store, done_txn, &dr)) != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	desk_message(d, _("Callback #%u done."), dr.id);
	work_reload(d, w, false);
}

static void
work_move(struct desk_screen *s, long by)
{
	struct work *w = s->data;
	long to = (long)w->sel + by;

	if (work_items(w) == 0)
		return;
	if (to < 0)
		to = 0;
	if (to >= (long)work_items(w))
		to = (long)work_items(w) - 1;
	w->sel = (size_t)to;
}

#define WORK_MOVE(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; work_move(s, by); }
WORK_MOVE(work_down, 1)
WORK_MOVE(work_up, -1)
WORK_MOVE(work_page_down, desk_body_rows() - 4)
WORK_MOVE(work_page_up, -(desk_body_rows() - 4))
WORK_MOVE(work_first, -1000000)
WORK_MOVE(work_last, 1000000)

static void
work_refresh(struct desk *d, struct desk_screen *s)
{
	work_reload(d, s->data, false);
}

static void
work_board(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_board_open(d);
}

static void
work_back(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_pop(d);
}

static const struct desk_action work_actions[] = {
	{ "open", N_("Open"), N_("open the ticket, or the callback's "
	  "customer"), work_open },
	{ "done", N_("Done"), N_("mark the selected callback done"),
	  work_done },
	{ "reload", N_("Reload"), N_("read the lists again now"),
	  work_refresh },
	{ "board", N_("Board"), N_("the supervisor's board"), work_board },
	{ "back", N_("Back"), N_("go back"), work_back },
	{ "down", N_("Down"), N_("next line"), work_down },
	{ "up", N_("Up"), N_("previous line"), work_up },
	{ "page-down", N_("Page"), N_("a page down"), work_page_down },
	{ "page-up", N_("Page"), N_("a page up"), work_page_up },
	{ "first", N_("First"), N_("first line"), work_first },
	{ "last", N_("Last"), N_("last line"), work_last },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding work_bindings[] = {
	{ DK_ENTER, "open", true },
	{ DK(KEY_RIGHT), "open", false },
	{ 'l', "open", false },
	{ 'd', "done", true },
	{ 'r', "reload", false },
	{ DK(KEY_F(5)), "reload", false },
	{ 'b', "board", false },
	{ DK(KEY_F(6)), "board", false },
	{ DK_ESC, "back", true },
	{ 'q', "back", false },
	{ DK(KEY_LEFT), "back", false },
	{ 'h', "back", false },
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

const struct desk_keymap desk_work_keys = {
	"work", N_("My work"), work_actions, work_bindings
};

static void
work_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_work_keys);
	desk_keychain_add(kc, &desk_browse_keys);
}

static void
work_free(struct desk *d, struct desk_screen *s)
{
	struct work *w = s->data;

	(void)d;
	wk_data_free(&w->data);
	free(w);
}

static const struct desk_screen_ops work_ops = {
	.name = "work",
	.keys = work_keys,
	.draw = work_draw,
	.resume = work_resume,
	.tick = work_tick,
	.free = work_free,
};

void
desk_work_open(struct desk *d)
{
	struct work *w;

	if (d->top != NULL && d->top->ops == &work_ops) {
		work_reload(d, d->top->data, false);
		return;
	}
	w = xcalloc(1, sizeof *w);
	desk_push(d, &work_ops, w);
	work_reload(d, w, false);
}
