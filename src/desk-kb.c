/* desk-kb.c - the knowledge base from a form: a list of articles narrowed
 * as the agent types (title and tags by their prefix indexes, then any
 * word of the title, tags or body, Chinese included, anywhere in the
 * text), and the chosen article's reply (or body) put into the form's
 * note at the cursor. The articles are read once when the list opens,
 * folded, and searched in memory while the agent types. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define KB_SHOWN_MAX 50
#define KB_ARTICLES_MAX 5000

struct kb_article {
	uint32_t id;
	char *title;
	char *about;		/* category, tags */
	char *folded;		/* title, tags, category and body, folded */
	bool published;
};

struct kb {
	struct desk_screen *form;
	const struct entity *entity;
	struct kb_article *v;
	size_t n;
};

/* The list open now: a desk that ends with it open frees it here. */
static struct kb *kb_shown;

static void
kb_free(struct kb *kb)
{
	if (kb == kb_shown)
		kb_shown = NULL;
	for (size_t i = 0; i < kb->n; i++) {
		free(kb->v[i].title);
		free(kb->v[i].about);
		free(kb->v[i].folded);
	}
	free(kb->v);
	free(kb);
}

static int
kb_each(const struct record *r, void *arg)
{
	struct kb *kb = arg;
	struct kb_article *a;
	const char *tags = record_get(r, "tags");
	const char *cat = record_get(r, "category");
	char *all;

	if (strcmp(record_get(r, "status"), "archived") == 0)
		return 0;
	kb->v = xreallocarray(kb->v, kb->n + 1, sizeof *kb->v);
	a = &kb->v[kb->n++];
	a->id = r->id;
	a->title = xstrdup(record_get(r, "title"));
	a->about = xasprintf("%s%s%s", cat, *cat && *tags ? " · " : "", tags);
	a->published = strcmp(record_get(r, "status"), "published") == 0;
	all = xasprintf("%s\n%s\n%s\n%s", a->title, tags, cat,
	    record_get(r, "body"));
	if ((a->folded = utf8_fold(all)) == NULL)
		a->folded = xstrdup(all);
	free(all);
	return kb->n >= KB_ARTICLES_MAX;
}

static int
kb_load_txn(struct store *s, struct txn *t, void *arg)
{
	struct kb *kb = arg;

	for (size_t i = 0; i < kb->n; i++) {
		free(kb->v[i].title);
		free(kb->v[i].about);
		free(kb->v[i].folded);
	}
	kb->n = 0;
	return store_each(s, t, kb->entity, kb_each, kb);
}

static struct kb_article *
kb_find(struct kb *kb, uint32_t id)
{
	for (size_t i = 0; i < kb->n; i++) {
		if (kb->v[i].id == id)
			return &kb->v[i];
	}
	return NULL;
}

/* Every word of the query somewhere in the article. */
static bool
kb_matches(const struct kb_article *a, const struct strv *words)
{
	for (size_t i = 0; i < words->n; i++) {
		if (strstr(a->folded, words->v[i]) == NULL)
			return false;
	}
	return true;
}

static void
kb_item(struct desk_pick_item **items, size_t *n, const struct kb_article *a)
{
	for (size_t i = 0; i < *n; i++) {
		if (strtoul((*items)[i].value, NULL, 10) == a->id)
			return;
	}
	*items = xreallocarray(*items, *n + 1, sizeof **items);
	(*items)[*n].label = xasprintf("#%u %s%s%s", a->id, a->title,
	    *a->about ? "  · " : "", a->about);
	(*items)[*n].value = xasprintf("%u", a->id);
	(*items)[*n].key = NULL;
	(*n)++;
}

static void
kb_fill(struct desk *d, void *arg, const char *filter,
    struct desk_pick_item **items, size_t *n)
{
	struct kb *kb = arg;
	struct strv folded;
	struct hits hits;
	struct kb_article *a;
	char *f = utf8_fold(filter);
	int rc;

	*items = NULL;
	*n = 0;
	/* Folding makes an ideographic space a space too. */
	strv_init(&folded);
	strv_split(&folded, f ? f : filter, " \t");
	free(f);
	/* Title and tag prefixes through the index first: the best. */
	memset(&hits, 0, sizeof hits);
	if (folded.n > 0) {
		rc = store_find(d->store, filter, kb->entity, KB_SHOWN_MAX,
		    &hits);
		if (rc != ST_OK)
			desk_store_error(d, rc);
		for (size_t i = 0; i < hits.n; i++) {
			if ((a = kb_find(kb, hits.v[i].id)) != NULL)
				kb_item(items, n, a);
		}
		hits_free(&hits);
	}
	/* Then any word anywhere, published articles first. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < kb->n && *n < KB_SHOWN_MAX; i++) {
			a = &kb->v[i];
			if (a->published == (pass == 0) &&
			    kb_matches(a, &folded))
				kb_item(items, n, a);
		}
	}
	strv_free(&folded);
}

struct kb_get {
	const struct entity *entity;
	uint32_t id;
	struct record rec;
};

static int
kb_get_txn(struct store *s, struct txn *t, void *arg)
{
	struct kb_get *g = arg;

	record_free(&g->rec);
	return store_get(s, t, g->entity, g->id, &g->rec);
}

/* Text for a note: no control characters but line ends; tabs as spaces. */
static char *
kb_clean(const char *s)
{
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '\t')
			buf_addc(&b, ' ');
		else if (c == '\n' || c >= 0x20) {
			if (c != 0x7f)
				buf_addc(&b, (char)c);
		}
	}
	buf_adds(&b, "");
	return buf_detach(&b);
}

static void
kb_done(struct desk *d, void *arg, const char *value)
{
	struct kb *kb = arg;
	struct kb_get g;
	const char *text;
	char *clean;
	int rc;

	if (value == NULL || d->top != kb->form) {
		kb_free(kb);
		return;
	}
	memset(&g, 0, sizeof g);
	g.entity = kb->entity;
	g.id = (uint32_t)strtoul(value, NULL, 10);
	record_init(&g.rec);
	if ((rc = store_run(d->store, kb_get_txn, &g)) != ST_OK) {
		desk_store_error(d, rc);
		record_free(&g.rec);
		kb_free(kb);
		return;
	}
	text = record_get(&g.rec, "reply");
	if (*text == '\0')
		text = record_get(&g.rec, "body");
	clean = kb_clean(text);
	if (desk_form_insert(kb->form, "note", clean))
		desk_message(d, _("Article #%u put into the note."), g.id);
	else
		desk_error(d, "%s", _("This form has no note to put an "
		    "article into."));
	free(clean);
	record_free(&g.rec);
	kb_free(kb);
}

void
desk_kb_open(struct desk *d, struct desk_screen *form)
{
	const struct entity *e = forms_entity(d->forms, "article");
	struct kb *kb;
	int rc;

	if (e == NULL || !entity_readable(e, d->ctx->role)) {
		desk_error(d, "%s", _("There is no knowledge base you may "
		    "read."));
		return;
	}
	if (desk_form_text(form, "note", NULL) == NULL) {
		desk_error(d, "%s", _("This form has no note to put an "
		    "article into."));
		return;
	}
	if (kb_shown != NULL)
		kb_free(kb_shown);
	kb = xcalloc(1, sizeof *kb);
	kb->form = form;
	kb->entity = e;
	if ((rc = store_run(d->store, kb_load_txn, kb)) != ST_OK) {
		desk_store_error(d, rc);
		kb_free(kb);
		return;
	}
	kb_shown = kb;
	desk_pick_open_live(d, _("Knowledge base: type words of the title, "
	    "tags or text"), kb_fill, kb_done, kb, "");
}
