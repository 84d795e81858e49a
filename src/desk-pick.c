/* desk-pick.c - a pop-up list to choose from, narrowed as the agent
 * types: the values of an enum (by label in either language, value or
 * key), or records found by a search (references). */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

struct pick {
	char *title;
	struct desk_pick_item *items;
	size_t n;
	size_t *shown;		/* the items the filter keeps */
	size_t nshown;
	struct dfield filter;
	char *filtered;		/* the filter shown is for; NULL: none */
	size_t sel;
	size_t top;
	desk_pick_fill_fn fill;	/* NULL: a fixed list */
	desk_pick_done_fn done;
	void *arg;
};

void
desk_pick_items_free(struct desk_pick_item *items, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(items[i].label);
		free(items[i].value);
		free(items[i].key);
	}
	free(items);
}

static bool
pick_contains(const char *hay, const char *folded_needle)
{
	char *h;
	bool yes;

	if (hay == NULL)
		return false;
	if ((h = utf8_fold(hay)) == NULL)
		return false;
	yes = strstr(h, folded_needle) != NULL;
	free(h);
	return yes;
}

static void
pick_refilter(struct desk *d, struct pick *p)
{
	const char *text = dfield_text(&p->filter);
	char *folded;

	free(p->filtered);
	p->filtered = xstrdup(text);
	if (p->fill != NULL) {
		desk_pick_items_free(p->items, p->n);
		p->fill(d, p->arg, text, &p->items, &p->n);
	}
	folded = utf8_fold(text);
	free(p->shown);
	p->shown = xcalloc(p->n + 1, sizeof *p->shown);
	p->nshown = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct desk_pick_item *it = &p->items[i];

		/* A search already filtered what it found. */
		if (p->fill != NULL || folded == NULL || *folded == '\0' ||
		    pick_contains(it->label, folded) ||
		    pick_contains(it->value, folded))
			p->shown[p->nshown++] = i;
	}
	free(folded);
	if (p->sel >= p->nshown)
		p->sel = 0;
}

static void
pick_settle(struct desk *d, struct desk_screen *s)
{
	struct pick *p = s->data;

	if (p->filtered == NULL ||
	    strcmp(p->filtered, dfield_text(&p->filter)) != 0)
		pick_refilter(d, p);
}

static int
pick_width(const struct pick *p)
{
	size_t w = utf8_width(p->title) + 4;

	for (size_t i = 0; i < p->n; i++) {
		size_t iw = utf8_width(p->items[i].label) + 6;

		w = iw > w ? iw : w;
	}
	if (w < 40)
		w = 40;
	return (int)w > COLS - 4 ? COLS - 4 : (int)w;
}

static void
pick_draw(struct desk *d, struct desk_screen *s)
{
	struct pick *p = s->data;
	int w = pick_width(p) + 2, x = (COLS - w) / 2, y = 3;
	int rows = desk_body_rows() - 6;
	const char *fl = _("Filter:");
	int fw = (int)utf8_width(fl);

	if (rows < 3)
		rows = 3;
	if ((int)p->nshown < rows)
		rows = p->nshown > 0 ? (int)p->nshown : 1;
	if (p->sel < p->top)
		p->top = p->sel;
	if (p->sel >= p->top + (size_t)rows)
		p->top = p->sel + 1 - (size_t)rows;
	desk_box(d, y, x, rows + 3, w, p->title);
	desk_put(d, y + 1, x + 2, fw, fl, DA_LABEL);
	desk_draw_field(d, &p->filter, y + 1, x + fw + 3, w - fw - 5, true,
	    DA_FOCUS);
	for (int i = 0; i < rows; i++) {
		size_t k = p->top + (size_t)i;
		int ry = y + 2 + i;
		const struct desk_pick_item *it;
		enum desk_attr a;

		if (k >= p->nshown) {
			if (i == 0)
				desk_put(d, ry, x + 2, w - 4, _("(nothing "
				    "matches)"), DA_DIM);
			continue;
		}
		it = &p->items[p->shown[k]];
		a = k == p->sel ? DA_SELECT : DA_NORMAL;
		desk_fill(d, ry, x + 1, w - 2, a);
		if (it->key != NULL)
			desk_put(d, ry, x + 2, 2, it->key,
			    a == DA_SELECT ? a : DA_LABEL);
		desk_put(d, ry, x + 5, w - 7, it->label, a);
	}
}

static void
pick_finish(struct desk *d, struct desk_screen *s, bool chosen)
{
	struct pick *p = s->data;
	desk_pick_done_fn done = p->done;
	void *arg = p->arg;
	char *value = NULL;

	if (chosen && p->sel < p->nshown)
		value = xstrdup(p->items[p->shown[p->sel]].value);
	desk_pop(d);
	done(d, arg, value);
	free(value);
}

static void
pick_choose(struct desk *d, struct desk_screen *s)
{
	struct pick *p = s->data;

	pick_settle(d, s);
	if (p->nshown == 0) {
		beep();
		return;
	}
	pick_finish(d, s, true);
}

static void
pick_cancel(struct desk *d, struct desk_screen *s)
{
	pick_finish(d, s, false);
}

static void
pick_move(struct desk_screen *s, long by)
{
	struct pick *p = s->data;
	long to = (long)p->sel + by;

	if (p->nshown == 0)
		return;
	if (to < 0)
		to = 0;
	if (to >= (long)p->nshown)
		to = (long)p->nshown - 1;
	p->sel = (size_t)to;
}

#define PICK_MOVE(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; pick_move(s, by); }
PICK_MOVE(pick_down, 1)
PICK_MOVE(pick_up, -1)
PICK_MOVE(pick_page_down, 10)
PICK_MOVE(pick_page_up, -10)

static const struct desk_action pick_actions[] = {
	{ "choose", N_("Choose"), N_("take the selected value"),
	  pick_choose },
	{ "cancel", N_("Cancel"), N_("close the list, change nothing"),
	  pick_cancel },
	{ "down", N_("Down"), N_("next value"), pick_down },
	{ "up", N_("Up"), N_("previous value"), pick_up },
	{ "page-down", N_("Page"), N_("ten values down"), pick_page_down },
	{ "page-up", N_("Page"), N_("ten values up"), pick_page_up },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding pick_bindings[] = {
	{ DK_ENTER, "choose", true },
	{ DK_TAB, "choose", false },
	{ DK_ESC, "cancel", true },
	{ DK(KEY_DOWN), "down", false },
	{ DK_CTRL('n'), "down", false },
	{ DK(KEY_UP), "up", false },
	{ DK(KEY_NPAGE), "page-down", false },
	{ DK(KEY_PPAGE), "page-up", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_pick_keys = {
	"pick", N_("Choosing from a list (type to filter)"), pick_actions,
	pick_bindings
};

static void
pick_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_pick_keys);
	desk_keychain_add(kc, &desk_edit_keys);
}

static struct dfield *
pick_field(struct desk_screen *s)
{
	return &((struct pick *)s->data)->filter;
}

static bool
pick_text(struct desk *d, struct desk_screen *s, int key)
{
	struct pick *p = s->data;

	(void)d;
	if (!desk_printable(key))
		return false;
	dfield_insert_cp(&p->filter, key);
	p->sel = 0;
	return true;
}

static void
pick_free(struct desk *d, struct desk_screen *s)
{
	struct pick *p = s->data;

	(void)d;
	desk_pick_items_free(p->items, p->n);
	free(p->shown);
	free(p->filtered);
	free(p->title);
	dfield_free(&p->filter);
	free(p);
}

static const struct desk_screen_ops pick_ops = {
	.name = "pick",
	.overlay = true,
	.keys = pick_keys,
	.draw = pick_draw,
	.text = pick_text,
	.field = pick_field,
	.settle = pick_settle,
	.free = pick_free,
};

static struct pick *
pick_new(const char *title, const char *filter, desk_pick_done_fn done,
    void *arg)
{
	struct pick *p = xcalloc(1, sizeof *p);

	p->title = xstrdup(title);
	dfield_init(&p->filter, filter ? filter : "", false);
	p->done = done;
	p->arg = arg;
	return p;
}

void
desk_pick_open(struct desk *d, const char *title,
    struct desk_pick_item *items, size_t n, const char *filter,
    desk_pick_done_fn done, void *arg)
{
	struct pick *p = pick_new(title, filter, done, arg);

	p->items = items;
	p->n = n;
	desk_push(d, &pick_ops, p);
	pick_refilter(d, p);
}

void
desk_pick_open_live(struct desk *d, const char *title,
    desk_pick_fill_fn fill, desk_pick_done_fn done, void *arg,
    const char *filter)
{
	struct pick *p = pick_new(title, filter, done, arg);

	p->fill = fill;
	desk_push(d, &pick_ops, p);
	pick_refilter(d, p);
}
