/* desk-merge.c - a save that met a newer version: changes that do not
 * overlap are merged; for each field both sides changed the agent sees
 * the two values and picks one. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

static void
merge_add(struct desk_merge_field **v, size_t *n, const struct field *f,
    const char *mine, const char *theirs)
{
	*v = xreallocarray(*v, *n + 1, sizeof **v);
	(*v)[*n].field = f;
	(*v)[*n].mine = xstrdup(mine);
	(*v)[*n].theirs = xstrdup(theirs);
	(*v)[*n].pick = 0;
	(*n)++;
}

static void
merge_one(const char *name, const struct record *base,
    const struct record *mine, const struct record *theirs, struct record *out,
    const struct field *f, struct desk_merge_field **v, size_t *n)
{
	const char *b = record_get(base, name), *m = record_get(mine, name);
	const char *t = record_get(theirs, name);

	if (strcmp(m, b) == 0)
		record_set(out, name, t);
	else if (strcmp(t, b) == 0 || strcmp(t, m) == 0)
		record_set(out, name, m);
	else if (f != NULL)
		merge_add(v, n, f, m, t);
	else
		record_set(out, name, m);
}

static bool
merge_known(const struct entity *e, const char *name)
{
	return entity_field(e, name) != NULL &&
	    strcmp(entity_field(e, name)->name, name) == 0;
}

void
desk_merge_records(const struct entity *e, const struct record *base,
    const struct record *mine, const struct record *theirs,
    struct record *out, struct desk_merge_field **v, size_t *n)
{
	const struct record *all[] = { base, mine, theirs };

	*v = NULL;
	*n = 0;
	record_copy(out, theirs);
	for (size_t i = 0; i < e->nfields; i++)
		merge_one(e->fields[i].name, base, mine, theirs, out,
		    &e->fields[i], v, n);
	/* Fields the forms no longer define are kept as either side left
	 * them. */
	for (size_t k = 0; k < 3; k++) {
		for (size_t i = 0; i < all[k]->n; i++) {
			const char *name = all[k]->fields[i].name;

			if (!merge_known(e, name))
				merge_one(name, base, mine, theirs, out, NULL,
				    v, n);
		}
	}
}

/* ---- the screen ----------------------------------------------------- */

struct merge {
	const struct entity *entity;
	uint32_t id;
	char *who;
	struct desk_merge_field *v;
	size_t n;
	size_t sel;	/* an option: field sel / 2, side sel % 2 */
	desk_merge_done_fn done;
	void *arg;
};

static void
merge_draw_option(struct desk *d, struct merge *m, size_t i, int side,
    int y)
{
	struct desk_merge_field *mf = &m->v[i];
	bool sel = m->sel == i * 2 + (size_t)side;
	bool picked = mf->pick == side + 1;
	char *value = desk_value(d, mf->field, side ? mf->theirs : mf->mine);
	char *who = side ? xasprintf(_("theirs (%s)"), m->who) :
	    xstrdup(_("yours"));
	char *line = xasprintf("%s %s: %s", picked ? "[x]" : "[ ]", who,
	    *value ? value : _("(empty)"));
	enum desk_attr a = sel ? DA_SELECT : picked ? DA_TITLE : DA_NORMAL;

	desk_fill(d, y, 2, COLS - 4, a);
	desk_put(d, y, 3, COLS - 6, line, a);
	free(line);
	free(who);
	free(value);
}

static void
merge_draw(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;
	size_t picked = 0;
	char *head = xasprintf(_("%s #%u was changed by %s while you edited "
	    "it."), desk_label(d, &m->entity->label), m->id, m->who);
	int y = 3, limit = desk_body_top() + desk_body_rows();

	for (size_t i = 0; i < m->n; i++)
		picked += m->v[i].pick != 0;
	desk_put(d, 1, 1, COLS - 2, head, DA_ERROR);
	desk_put(d, 2, 1, COLS - 2, _("Both of you changed these fields: pick "
	    "one value for each, then save (F2)."), DA_NORMAL);
	for (size_t i = 0; i < m->n && y + 2 < limit; i++) {
		desk_put(d, y++, 1, COLS - 2,
		    desk_label(d, &m->v[i].field->label), DA_LABEL);
		merge_draw_option(d, m, i, 0, y++);
		merge_draw_option(d, m, i, 1, y++);
	}
	free(head);
	head = xasprintf(_("%zu of %zu chosen"), picked, m->n);
	desk_put(d, limit - 1, 1, COLS - 2, head, DA_DIM);
	free(head);
}

static void
merge_pick_side(struct merge *m, int side)
{
	m->v[m->sel / 2].pick = side + 1;
	if (m->sel / 2 + 1 < m->n)
		m->sel = (m->sel / 2 + 1) * 2 + (size_t)side;
}

static void
merge_pick(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;

	(void)d;
	merge_pick_side(m, (int)(m->sel % 2));
}

static void
merge_mine(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;

	(void)d;
	m->sel = m->sel / 2 * 2;
	merge_pick_side(m, 0);
}

static void
merge_theirs(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;

	(void)d;
	m->sel = m->sel / 2 * 2 + 1;
	merge_pick_side(m, 1);
}

static void
merge_all(struct merge *m, int side)
{
	for (size_t i = 0; i < m->n; i++)
		m->v[i].pick = side + 1;
}

static void
merge_all_mine(struct desk *d, struct desk_screen *s)
{
	(void)d;
	merge_all(s->data, 0);
}

static void
merge_all_theirs(struct desk *d, struct desk_screen *s)
{
	(void)d;
	merge_all(s->data, 1);
}

static void
merge_move(struct desk *d, struct desk_screen *s, int by)
{
	struct merge *m = s->data;
	long to = (long)m->sel + by;

	(void)d;
	if (to >= 0 && to < (long)m->n * 2)
		m->sel = (size_t)to;
}

static void
merge_down(struct desk *d, struct desk_screen *s)
{
	merge_move(d, s, 1);
}

static void
merge_up(struct desk *d, struct desk_screen *s)
{
	merge_move(d, s, -1);
}

static void
merge_finish(struct desk *d, struct desk_screen *s, bool save)
{
	struct merge *m = s->data;
	desk_merge_done_fn done = m->done;
	void *arg = m->arg;
	struct desk_merge_field *v = m->v;
	size_t n = m->n;

	m->v = NULL;
	m->n = 0;
	desk_pop(d);
	done(d, arg, v, n, save);
	for (size_t i = 0; i < n; i++) {
		free(v[i].mine);
		free(v[i].theirs);
	}
	free(v);
}

static void
merge_save(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;

	for (size_t i = 0; i < m->n; i++) {
		if (m->v[i].pick == 0) {
			m->sel = i * 2;
			desk_error(d, _("Pick a value for %s first."),
			    desk_label(d, &m->v[i].field->label));
			return;
		}
	}
	merge_finish(d, s, true);
}

static void
merge_back(struct desk *d, struct desk_screen *s)
{
	merge_finish(d, s, false);
}

static const struct desk_action merge_actions[] = {
	{ "save", N_("Save"), N_("save with the values picked"), merge_save },
	{ "pick", N_("Pick"), N_("take the highlighted value"), merge_pick },
	{ "mine", N_("Mine"), N_("keep your value for this field"),
	  merge_mine },
	{ "theirs", N_("Theirs"), N_("take their value for this field"),
	  merge_theirs },
	{ "all-mine", N_("All mine"), N_("keep your values everywhere"),
	  merge_all_mine },
	{ "all-theirs", N_("All theirs"), N_("take their values everywhere"),
	  merge_all_theirs },
	{ "down", N_("Down"), N_("next value"), merge_down },
	{ "up", N_("Up"), N_("previous value"), merge_up },
	{ "back", N_("Back"), N_("back to the form, nothing saved"),
	  merge_back },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding merge_bindings[] = {
	{ DK(KEY_F(2)), "save", true },
	{ DK_CTRL('s'), "save", false },
	{ DK_ENTER, "pick", true },
	{ ' ', "pick", false },
	{ 'm', "mine", true },
	{ '1', "mine", false },
	{ DK(KEY_LEFT), "mine", false },
	{ 't', "theirs", true },
	{ '2', "theirs", false },
	{ DK(KEY_RIGHT), "theirs", false },
	{ 'M', "all-mine", false },
	{ 'T', "all-theirs", false },
	{ DK(KEY_DOWN), "down", false },
	{ 'j', "down", false },
	{ DK(KEY_UP), "up", false },
	{ 'k', "up", false },
	{ DK_ESC, "back", true },
	{ 0, NULL, false }
};

const struct desk_keymap desk_merge_keys = {
	"conflict", N_("Save conflict"), merge_actions, merge_bindings
};

static void
merge_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_merge_keys);
}

static void
merge_free(struct desk *d, struct desk_screen *s)
{
	struct merge *m = s->data;

	(void)d;
	for (size_t i = 0; i < m->n; i++) {
		free(m->v[i].mine);
		free(m->v[i].theirs);
	}
	free(m->v);
	free(m->who);
	free(m);
}

static const struct desk_screen_ops merge_ops = {
	.name = "conflict",
	.keys = merge_keys,
	.draw = merge_draw,
	.free = merge_free,
};

void
desk_merge_open(struct desk *d, const struct entity *e, uint32_t id,
    const char *who, struct desk_merge_field *v, size_t n,
    desk_merge_done_fn done, void *arg)
{
	struct merge *m = xcalloc(1, sizeof *m);

	m->entity = e;
	m->id = id;
	m->who = xstrdup(who && *who ? who : "?");
	m->v = v;
	m->n = n;
	m->done = done;
	m->arg = arg;
	desk_push(d, &merge_ops, m);
}
