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
	char *searched;		/* the query of the hits; NULL: none */
	size_t limit;		/* how many the last search asked for */
	struct hits hits;
	char **last;		/* each hit's last interaction, or NULL */
	size_t sel;
	size_t top;
	bool in_list;
	struct last_seen *seen;	/* last interactions already looked up */
	size_t nseen;
	size_t seen_next;
};

/* Each key mostly shows rows the previous key showed: their last
 * interaction is remembered, not read again. */
#define SEARCH_SEEN_MAX 256
struct last_seen {
	const struct entity *entity;
	uint32_t id;
	char *text;		/* NULL: none */
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

static struct last_seen *
seen_find(struct search *se, const struct hit *h)
{
	for (size_t i = 0; i < se->nseen; i++) {
		if (se->seen[i].entity == h->entity && se->seen[i].id == h->id)
			return &se->seen[i];
	}
	return NULL;
}

static void
seen_add(struct search *se, const struct hit *h, const char *text)
{
	struct last_seen *ls;

	if (se->seen == NULL)
		se->seen = xcalloc(SEARCH_SEEN_MAX, sizeof *se->seen);
	if (se->nseen < SEARCH_SEEN_MAX)
		ls = &se->seen[se->nseen++];
	else {
		ls = &se->seen[se->seen_next];
		se->seen_next = (se->seen_next + 1) % SEARCH_SEEN_MAX;
		free(ls->text);
	}
	ls->entity = h->entity;
	ls->id = h->id;
	ls->text = text ? xstrdup(text) : NULL;
}

/* A save may have logged a call: forget what was looked up. */
static void
seen_clear(struct search *se)
{
	for (size_t i = 0; i < se->nseen; i++)
		free(se->seen[i].text);
	se->nseen = se->seen_next = 0;
}

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

static int
this_year(void)
{
	time_t now = time(NULL);
	struct tm tm;

	localtime_r(&now, &tm);
	return tm.tm_year + 1900;
}

/* "03-05 Answered" this year, "2025-03-05 Answered" before: the list is
 * redrawn on every key, so every cell counts on a slow link. */
static char *
last_text(struct desk *d, const struct record *r, const struct entity *ie,
    int year)
{
	const struct field *disp = entity_field(ie, "disposition");
	const struct field *chan = entity_field(ie, "channel");
	const char *when = record_get(r, "started");
	char *what, *out;

	what = disp && *record_get(r, disp->name) ?
	    desk_value(d, disp, record_get(r, disp->name)) :
	    chan ? desk_value(d, chan, record_get(r, chan->name)) :
	    xstrdup("");
	if (strlen(when) >= 10 && atoi(when) == year)
		out = xasprintf("%.5s %s", when + 5, what);
	else
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
	int year = this_year();

	for (size_t i = 0; i < se->hits.n && i < rows; i++) {
		const struct hit *h = &se->hits.v[i];
		const struct field *f = interaction_ref(ie, h->entity);
		uint32_t *ids = NULL, best = 0;
		struct record r;
		size_t n = 0;
		int rc;

		free(se->last[i]);
		se->last[i] = NULL;
		if (f == NULL || seen_find(se, h) != NULL)
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
		se->last[i] = last_text(lr->desk, &r, ie, year);
		record_free(&r);
	}
	return ST_OK;
}

static bool
search_needs_lookup(struct search *se)
{
	for (size_t i = 0; i < se->hits.n && i < search_rows(); i++) {
		if (seen_find(se, &se->hits.v[i]) == NULL)
			return true;
	}
	return false;
}

static void
search_last_interactions(struct desk *d, struct search *se)
{
	struct last_run lr = { d, se };
	int rc;

	se->last = xcalloc(se->hits.n + 1, sizeof *se->last);
	if (search_needs_lookup(se)) {
		if ((rc = store_run(d->store, last_txn, &lr)) != ST_OK) {
			desk_store_error(d, rc);
			return;
		}
		for (size_t i = 0; i < se->hits.n && i < search_rows(); i++) {
			if (seen_find(se, &se->hits.v[i]) == NULL)
				seen_add(se, &se->hits.v[i], se->last[i]);
		}
	}
	for (size_t i = 0; i < se->hits.n && i < search_rows(); i++) {
		struct last_seen *ls = seen_find(se, &se->hits.v[i]);

		if (se->last[i] == NULL && ls != NULL && ls->text != NULL)
			se->last[i] = xstrdup(ls->text);
	}
}

/*
 * A surname, a letter or a mobile prefix matches a good part of a
 * million customers and paints a list nobody reads (over a slow link, on
 * every key): a search starts at two characters (Chinese or Latin) or
 * five digits.
 */
static bool
search_worth_it(const char *q)
{
	size_t digits = 0, letters = 0, len = strlen(q);

	while (len > 0) {
		int32_t cp;
		size_t n = utf8_decode(q, len, &cp);

		if (cp >= '0' && cp <= '9')
			digits++;
		else if (cp > ' ' && cp != '-' && cp != '+' && cp != '(' &&
		    cp != ')' && cp != '.')
			letters++;
		q += n;
		len -= n;
	}
	return letters >= 2 || digits >= 5 || (letters >= 1 && digits >= 1);
}

/* Records of entities the role may not read are not listed at all; the
 * fields it may not read are blanked. */
static void
search_keep_readable(struct desk *d, struct hits *hits)
{
	size_t kept = 0;

	for (size_t i = 0; i < hits->n; i++) {
		struct hit *h = &hits->v[i];

		if (!entity_readable(h->entity, d->ctx->role)) {
			free(h->title);
			free(h->subtitle);
			free(h->phones);
			free(h->email);
			continue;
		}
		hit_hide_unreadable(h, d->ctx->role);
		hits->v[kept++] = *h;
	}
	hits->n = kept;
}

static void
search_run(struct desk *d, struct search *se)
{
	const char *q = dfield_text(&se->query);
	int rc;

	search_clear_hits(se);
	free(se->searched);
	se->searched = xstrdup(q);
	se->limit = search_rows();
	if (!search_worth_it(q))
		return;
	rc = store_find(d->store, q, NULL, se->limit, &se->hits);
	if (rc != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	search_keep_readable(d, &se->hits);
	search_last_interactions(d, se);
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
	seen_clear(se);
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

static const char *
search_country(void)
{
	const char *cc = getenv("TCRM_COUNTRY");

	return cc != NULL && *cc != '\0' ? cc : "86";
}

/* One number as a list shows it, the same way whatever spelling it was
 * stored in: "138 0013 8000", "010 6552 1234", "+1 5550100". */
static char *
phone_shown(const char *text)
{
	const char *cc = search_country(), *n, *why;
	struct phone ph;
	size_t ccl = strlen(cc), len;
	char *out;

	if (phone_parse(text, cc, &ph, &why) != 0)
		return xstrdup(text);
	if (strncmp(ph.digits, cc, ccl) != 0)
		out = xasprintf("+%s", ph.digits);
	else {
		n = ph.digits + ccl;
		len = strlen(n);
		if (len == 11 && n[0] == '1')
			out = xasprintf("%.3s %.4s %.4s", n, n + 3, n + 7);
		else if (len >= 9 && (n[0] == '1' || n[0] == '2'))
			out = xasprintf("0%.2s %.4s %s", n, n + 2, n + 6);
		else if (len >= 9)
			out = xasprintf("0%.3s %s", n, n + 3);
		else
			out = xstrdup(n);
	}
	if (*ph.ext != '\0') {
		char *with = xasprintf("%s#%s", out, ph.ext);

		free(out);
		out = with;
	}
	return out;
}

static char *
hit_phones(const struct hit *h)
{
	const char *nl = strchr(h->phones, '\n');
	size_t more = 0;
	char *first, *out;

	if (*h->phones == '\0')
		return xstrdup("");
	first = nl ? xstrndup(h->phones, (size_t)(nl - h->phones)) :
	    xstrdup(h->phones);
	out = phone_shown(first);
	free(first);
	if (nl == NULL)
		return out;
	for (const char *p = nl; p != NULL; p = strchr(p + 1, '\n'))
		more++;
	first = out;
	out = xasprintf("%s +%zu", first, more);
	free(first);
	return out;
}

/* "华信科技有限公司" is 华信科技 in a list, "Acme Trading Ltd." Acme
 * Trading: the legal form says nothing there and costs a redraw. */
static char *
short_company(const char *s)
{
	static const char *const forms[] = { "股份有限公司", "集团有限公司",
	    "有限责任公司", "有限公司", "公司", " Co., Ltd.", " Co., Ltd",
	    " Ltd.", " Ltd", " Inc.", " Inc", " GmbH", " LLC", " S.A.",
	    " Pte Ltd", " B.V.", " Corp.", " Corporation", NULL };
	size_t len = strlen(s);

	for (size_t i = 0; forms[i] != NULL; i++) {
		size_t n = strlen(forms[i]);

		if (len > n + 2 && strcmp(s + len - n, forms[i]) == 0) {
			len -= n;
			while (len > 0 && (s[len - 1] == ',' ||
			    s[len - 1] == ' '))
				len--;
			break;
		}
	}
	return xstrndup(s, len);
}

static char *
hit_company(struct desk *d, const struct hit *h)
{
	char *co, *out;

	if (strcmp(h->entity->name, "customer") == 0)
		return short_company(h->subtitle);
	/* Anything else says what it is: a contact shows its customer. */
	co = short_company(h->subtitle);
	out = xasprintf("%s%s(%s)", co, *co ? " " : "",
	    desk_label(d, &h->entity->label));
	free(co);
	return out;
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
	/* Nothing else in the column: every cell of a list that is drawn
	 * again on each key costs the slow link. */
	if (se->last != NULL && se->last[i] != NULL)
		desk_put(d, y, x, c->last, se->last[i], a);
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
	} else if (!search_worth_it(q)) {
		desk_put(d, SEARCH_LIST_Y, 2, COLS - 4, _("Keep typing: a "
		    "search starts at two characters or five digits."), DA_DIM);
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
	struct desk_form_opts o = { NULL, false, NULL, NULL, false };
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

static void
search_work(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_work_open(d);
}

static void
search_board(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_board_open(d);
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
	{ "my-work", N_("My work"), N_("my tickets and callbacks"),
	  search_work },
	{ "board", N_("Board"), N_("the supervisor's board"), search_board },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding query_bindings[] = {
	{ DK_ENTER, "open", true },
	{ DK(KEY_DOWN), "list", false },
	{ DK_TAB, "list", false },
	{ DK_CTRL('n'), "new-customer", false },
	{ DK(KEY_F(4)), "new-customer", true },
	{ DK_ESC, "clear", true },
	{ DK(KEY_F(3)), "my-work", true },
	{ DK_CTRL('t'), "my-work", false },
	{ DK(KEY_F(6)), "board", false },
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
	{ DK(KEY_F(3)), "my-work", true },
	{ DK_CTRL('t'), "my-work", false },
	{ DK(KEY_F(6)), "board", false },
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
	seen_clear(se);
	free(se->seen);
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
