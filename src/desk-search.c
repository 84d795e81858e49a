/* desk-search.c - home: one search line over customers and contacts that
 * refreshes with every keystroke (phone in any format, name and company
 * prefixes, email), and the list of what it found. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define SEARCH_LIST_Y 3

struct search {
	struct dfield query;
	char *searched;		/* the query the hits answer; NULL: none */
	size_t limit;		/* how many the last search asked for */
	struct hits hits;
	char **last;		/* each hit's last interaction, or NULL */
	size_t sel;
	size_t top;
	bool in_list;
};

static size_t
search_rows(void)
{
	int n = desk_body_rows() - (SEARCH_LIST_Y - desk_body_top());

	return n > 1 ? (size_t)n : 1;
}

static void
search_clear_hits(struct search *se)
{
	for (size_t i = 0; i < se->hits.n && se->last; i++)
		free(se->last[i]);
	free(se->last);
	se->last = NULL;
	hits_free(&se->hits);
	se->sel = se->top = 0;
}

/* ---- the last interaction of each hit ------------------------------- */

struct last_run {
	struct desk *desk;
	struct search *se;
};

static const struct field *
interaction_ref(const struct entity *ie, const struct entity *to)
{
	for (size_t i = 0; ie != NULL && i < ie->nfields; i++) {
		if (ie->fields[i].type == FT_REF &&
		    ie->fields[i].ref_entity == to)
			return &ie->fields[i];
	}
	return NULL;
}

static char *
last_text(struct desk *d, const struct record *r, const struct entity *ie)
{
	const struct field *disp = entity_field(ie, "disposition");
	const struct field *chan = entity_field(ie, "channel");
	const char *when = record_get(r, "started");
	char *what, *out;

	what = disp && *record_get(r, disp->name) ?
	    desk_value(d, disp, record_get(r, disp->name)) :
	    chan ? desk_value(d, chan, record_get(r, chan->name)) :
	    xstrdup("");
	out = xasprintf("%.10s %s", when, what);
	free(what);
	return out;
}

static int
last_txn(struct store *s, struct txn *t, void *arg)
{
	struct last_run *lr = arg;
	struct search *se = lr->se;
	const struct entity *ie = forms_entity(lr->desk->forms, "interaction");
	size_t rows = search_rows();

	for (size_t i = 0; i < se->hits.n && i < rows; i++) {
		const struct hit *h = &se->hits.v[i];
		const struct field *f = interaction_ref(ie, h->entity);
		uint32_t *ids = NULL, best = 0;
		struct record r;
		size_t n = 0;
		int rc;

		free(se->last[i]);
		se->last[i] = NULL;
		if (f == NULL)
			continue;
		if ((rc = store_referrers(s, t, f, h->id, &ids, &n)) != ST_OK)
			return rc;
		for (size_t j = 0; j < n; j++)
			best = ids[j] > best ? ids[j] : best;
		free(ids);
		if (best == 0)
			continue;
		rc = store_get(s, t, ie, best, &r);
		if (rc == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		se->last[i] = last_text(lr->desk, &r, ie);
		record_free(&r);
	}
	return ST_OK;
}

static void
search_run(struct desk *d, struct search *se)
{
	const char *q = dfield_text(&se->query);
	struct last_run lr = { d, se };
	int rc;

	search_clear_hits(se);
	free(se->searched);
	se->searched = xstrdup(q);
	se->limit = search_rows();
	if (*q == '\0')
		return;
	rc = store_find(d->store, q, NULL, se->limit, &se->hits);
	if (rc != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	se->last = xcalloc(se->hits.n + 1, sizeof *se->last);
	if ((rc = store_run(d->store, last_txn, &lr)) != ST_OK)
		desk_store_error(d, rc);
}

static void
search_settle(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	if (se->searched == NULL || se->limit != search_rows() ||
	    strcmp(se->searched, dfield_text(&se->query)) != 0)
		search_run(d, se);
}

static void
search_resume(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	/* A save elsewhere may have changed what the list shows. */
	free(se->searched);
	se->searched = NULL;
	search_settle(d, s);
}

/* ---- drawing -------------------------------------------------------- */

struct columns {
	int name, company, phones, last;
};

static void
search_columns(struct columns *c)
{
	int avail = COLS - 2 - 3;

	c->name = avail * 24 / 100;
	c->company = avail * 24 / 100;
	c->phones = avail * 22 / 100 < 17 ? 17 : avail * 22 / 100;
	c->last = avail - c->name - c->company - c->phones;
}

static char *
hit_phones(const struct hit *h)
{
	const char *nl = strchr(h->phones, '\n');
	size_t more = 0;

	if (nl == NULL)
		return xstrdup(h->phones);
	for (const char *p = nl; p != NULL; p = strchr(p + 1, '\n'))
		more++;
	return xasprintf("%.*s +%zu", (int)(nl - h->phones), h->phones, more);
}

static char *
hit_company(struct desk *d, const struct hit *h)
{
	if (strcmp(h->entity->name, "customer") == 0)
		return xstrdup(h->subtitle);
	/* Anything else says what it is: a contact shows its customer. */
	return xasprintf("%s%s(%s)", h->subtitle, *h->subtitle ? " " : "",
	    desk_label(d, &h->entity->label));
}

static void
search_draw_hit(struct desk *d, struct search *se, size_t i, int y,
    const struct columns *c)
{
	const struct hit *h = &se->hits.v[i];
	enum desk_attr a = i == se->sel ? DA_SELECT : DA_NORMAL;
	char *company = hit_company(d, h), *phones = hit_phones(h);
	int x = 1;

	desk_fill(d, y, 0, COLS, a);
	desk_put(d, y, x, c->name, h->title, a);
	x += c->name + 1;
	desk_put(d, y, x, c->company, company, a);
	x += c->company + 1;
	desk_put(d, y, x, c->phones, phones, a);
	x += c->phones + 1;
	if (se->last != NULL && se->last[i] != NULL)
		desk_put(d, y, x, c->last, se->last[i], a);
	else if (*h->email)
		desk_put(d, y, x, c->last, h->email, a == DA_SELECT ? a : DA_DIM);
	free(company);
	free(phones);
}

static void
search_draw_hint(struct desk *d, struct search *se)
{
	const char *q = dfield_text(&se->query);

	if (*q == '\0') {
		desk_put(d, SEARCH_LIST_Y, 2, COLS - 4, _("Type a phone number "
		    "(any format), a name, a company or an email."), DA_DIM);
		desk_put(d, SEARCH_LIST_Y + 1, 2, COLS - 4, _("Enter opens the "
		    "first match; Down moves into the list; F4 makes a new "
		    "customer."), DA_DIM);
	} else if (se->searched != NULL && se->hits.n == 0) {
		char *msg = xasprintf(_("No match for \"%s\"."), q);

		desk_put(d, SEARCH_LIST_Y, 2, COLS - 4, msg, DA_DIM);
		free(msg);
	}
}

static void
search_draw(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;
	const char *prompt = _("Search:");
	size_t rows = search_rows();
	int pw = (int)utf8_width(prompt), fw;
	struct columns c;
	char *count = NULL;

	if (se->hits.n > 0)
		count = se->hits.n >= se->limit ?
		    xasprintf(_("%zu+ found"), se->hits.n) :
		    xasprintf(_("%zu found"), se->hits.n);
	fw = COLS - pw - 3 - (count ? (int)utf8_width(count) + 2 : 0);
	desk_put(d, 1, 1, pw, prompt, DA_TITLE);
	desk_draw_field(d, &se->query, 1, pw + 2, fw, !se->in_list,
	    se->in_list ? DA_FIELD : DA_FOCUS);
	if (count != NULL)
		desk_put(d, 1, COLS - (int)utf8_width(count) - 1,
		    (int)utf8_width(count), count, DA_DIM);
	free(count);
	search_columns(&c);
	desk_put(d, 2, 1, c.name, _("Name"), DA_HEADER);
	desk_put(d, 2, 2 + c.name, c.company, _("Company"), DA_HEADER);
	desk_put(d, 2, 3 + c.name + c.company, c.phones, _("Phones"),
	    DA_HEADER);
	desk_put(d, 2, 4 + c.name + c.company + c.phones, c.last,
	    _("Last contact"), DA_HEADER);
	if (se->sel < se->top)
		se->top = se->sel;
	if (se->sel >= se->top + rows)
		se->top = se->sel + 1 - rows;
	for (size_t i = se->top; i < se->hits.n && i < se->top + rows; i++)
		search_draw_hit(d, se, i, SEARCH_LIST_Y + (int)(i - se->top),
		    &c);
	if (se->hits.n == 0)
		search_draw_hint(d, se);
}

/* ---- actions -------------------------------------------------------- */

static void
search_open(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;
	const struct hit *h;

	search_settle(d, s);
	if (se->sel >= se->hits.n) {
		desk_error(d, "%s", _("Nothing to open: type a name, phone or "
		    "email first."));
		return;
	}
	h = &se->hits.v[se->sel];
	desk_card_open(d, h->entity, h->id);
}

static void
search_new(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;
	const struct entity *e = forms_entity(d->forms, "customer");
	const char *q = dfield_text(&se->query);
	struct desk_form_opts o = { NULL, false };
	struct record preset;

	if (e == NULL)
		return;
	/* What was searched for is usually what the new record holds. */
	record_init(&preset);
	if (*q != '\0')
		record_set(&preset, phone_like(q) ? "phones" :
		    strchr(q, '@') ? "email" : "name", q);
	o.preset = &preset;
	desk_form_new(d, e, &o);
	record_free(&preset);
}

static void
search_to_list(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	search_settle(d, s);
	if (se->hits.n == 0) {
		beep();
		return;
	}
	se->in_list = true;
}

static void
search_to_query(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	(void)d;
	se->in_list = false;
}

/* Erasing in the list edits the search line, as typing does. */
static void
search_edit_query(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	se->in_list = false;
	desk_keys_dispatch(d, s, d->key);
}

static void
search_clear(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	(void)d;
	dfield_set(&se->query, "");
	se->in_list = false;
}

static void
search_move(struct search *se, long by)
{
	long to = (long)se->sel + by;

	if (se->hits.n == 0)
		return;
	if (to < 0)
		to = 0;
	if (to >= (long)se->hits.n)
		to = (long)se->hits.n - 1;
	se->sel = (size_t)to;
}

#define SEARCH_MOVE(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; search_move(s->data, by); }
SEARCH_MOVE(search_down, 1)
SEARCH_MOVE(search_page_down, (long)search_rows())
SEARCH_MOVE(search_page_up, -(long)search_rows())
SEARCH_MOVE(search_first, -1000000)
SEARCH_MOVE(search_last, 1000000)

static void
search_up(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	(void)d;
	if (se->sel == 0)
		se->in_list = false;
	else
		search_move(se, -1);
}

static const struct desk_action search_actions[] = {
	{ "open", N_("Open"), N_("open the selected record"), search_open },
	{ "new-customer", N_("New"), N_("make a new customer (from what was "
	  "typed)"), search_new },
	{ "list", N_("List"), N_("move into the list of results"),
	  search_to_list },
	{ "query", N_("Search"), N_("go back to the search line"),
	  search_to_query },
	{ "clear", N_("Clear"), N_("clear the search"), search_clear },
	{ "edit-query", N_("Edit"), N_("edit the search line"),
	  search_edit_query },
	{ "down", N_("Down"), N_("next result"), search_down },
	{ "up", N_("Up"), N_("previous result"), search_up },
	{ "page-down", N_("Page"), N_("a page of results down"),
	  search_page_down },
	{ "page-up", N_("Page"), N_("a page of results up"), search_page_up },
	{ "first", N_("First"), N_("first result"), search_first },
	{ "last", N_("Last"), N_("last result"), search_last },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding query_bindings[] = {
	{ DK_ENTER, "open", true },
	{ DK(KEY_DOWN), "list", false },
	{ DK_TAB, "list", false },
	{ DK_CTRL('n'), "new-customer", false },
	{ DK(KEY_F(4)), "new-customer", true },
	{ DK_ESC, "clear", true },
	{ 0, NULL, false }
};

const struct desk_keymap desk_search_keys = {
	"search", N_("Search line"), search_actions, query_bindings
};

static const struct desk_binding list_bindings[] = {
	{ DK_ENTER, "open", true },
	{ DK(KEY_RIGHT), "open", false },
	{ 'l', "open", false },
	{ DK(KEY_DOWN), "down", false },
	{ 'j', "down", false },
	{ DK(KEY_UP), "up", false },
	{ 'k', "up", false },
	{ DK(KEY_NPAGE), "page-down", false },
	{ DK(KEY_PPAGE), "page-up", false },
	{ DK(KEY_HOME), "first", false },
	{ 'g', "first", false },
	{ DK(KEY_END), "last", false },
	{ 'G', "last", false },
	{ 'n', "new-customer", false },
	{ DK(KEY_F(4)), "new-customer", true },
	{ '/', "query", true },
	{ DK_BACKSPACE, "edit-query", false },
	{ DK_CTRL('u'), "edit-query", false },
	{ DK_CTRL('w'), "edit-query", false },
	{ DK_TAB, "query", false },
	{ DK_ESC, "query", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_results_keys = {
	"results", N_("Search results"), search_actions, list_bindings
};

static void
search_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	struct search *se = s->data;

	if (se->in_list) {
		desk_keychain_add(kc, &desk_results_keys);
		desk_keychain_add(kc, &desk_browse_keys);
	} else {
		desk_keychain_add(kc, &desk_search_keys);
		desk_keychain_add(kc, &desk_edit_keys);
	}
}

static struct dfield *
search_field(struct desk_screen *s)
{
	struct search *se = s->data;

	return se->in_list ? NULL : &se->query;
}

/* Typing goes to the search line; on an empty line '?' and ':' are the
 * help and the palette, as everywhere else. */
static bool
search_text(struct desk *d, struct desk_screen *s, int key)
{
	struct search *se = s->data;

	if (!desk_printable(key))
		return false;
	if (*dfield_text(&se->query) == '\0' && (key == '?' || key == ':')) {
		if (key == '?')
			desk_help_open(d, s);
		else
			desk_palette_open(d);
		return true;
	}
	se->in_list = false;
	dfield_insert_cp(&se->query, key);
	se->sel = 0;
	return true;
}

static void
search_free(struct desk *d, struct desk_screen *s)
{
	struct search *se = s->data;

	(void)d;
	search_clear_hits(se);
	dfield_free(&se->query);
	free(se->searched);
	free(se);
}

static const struct desk_screen_ops search_ops = {
	.name = "search",
	.keys = search_keys,
	.draw = search_draw,
	.text = search_text,
	.field = search_field,
	.settle = search_settle,
	.resume = search_resume,
	.free = search_free,
};

/* Home is the bottom of the stack; :find from anywhere comes back to it
 * with the query. */
void
desk_search_open(struct desk *d, const char *query)
{
	struct desk_screen *s = d->top;
	struct search *se;

	while (s != NULL && s->ops != &search_ops)
		s = s->below;
	if (s != NULL) {
		while (d->top != s) {
			if (d->top->ops->keep != NULL)
				d->top->ops->keep(d, d->top, true);
			desk_pop(d);
		}
		se = s->data;
	} else {
		se = xcalloc(1, sizeof *se);
		dfield_init(&se->query, "", false);
		desk_push(d, &search_ops, se);
	}
	if (query != NULL) {
		dfield_set(&se->query, query);
		se->in_list = false;
		se->sel = 0;
	}
	search_settle(d, d->top);
}
