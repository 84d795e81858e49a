/* desk-form.c - forms for every entity, laid out from its YAML: create
 * and edit, checked field by field as the agent leaves each one, saved
 * with the version it was opened at so a concurrent change is merged or
 * shown, never overwritten. The form's text is kept as a draft whenever
 * typing pauses, so a lost session loses nothing. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#define FORM_LABEL_MAX 16
#define FORM_AREA_ROWS 3
#define FORM_DUPS_MAX 3
#define FORM_MERGE_TRIES 5

enum slot_kind {
	SK_TEXT,
	SK_AREA,	/* several lines */
	SK_CHOICE,	/* enum or yes/no: picked, not typed */
	SK_REF		/* a record number, or picked by search */
};

struct slot {
	const struct field *field;
	enum slot_kind kind;
	struct dfield edit;
	char *initial;
	char *error;
	bool readonly;
	size_t row;
	size_t col;
	size_t ncols;
	uint32_t ref_for;	/* the id ref_title names */
	char *ref_title;
	char *checked;		/* the text error is about */
	char *kept;		/* the text in the draft */
	char *dup_query;	/* what dup_hits were found for */
	struct hits dup_hits;
};

struct form {
	const struct entity *entity;
	uint32_t id;			/* 0: a new record */
	struct record base;		/* as the form opened it */
	struct slot *slots;
	size_t n;
	size_t nrows;
	size_t focus;
	size_t top;			/* first layout row shown */
	char *draft_key;
	bool drafted;			/* a draft is in the store */
	bool log_call;
	desk_form_saved_fn saved;	/* told of the saved record */
	void *saved_arg;
	struct hits dups;		/* of every field, a few */
	struct record theirs;		/* in a merge: the stored record */
	struct record merged;
};

static bool
slot_editable(const struct slot *sl)
{
	return !sl->readonly;
}

static const char *
slot_text(const struct slot *sl)
{
	return dfield_text(&sl->edit);
}

static bool
form_dirty(const struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(slot_text(&f->slots[i]), f->slots[i].initial) != 0)
			return true;
	}
	return false;
}

static bool
form_draft_stale(const struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct slot *sl = &f->slots[i];

		if (strcmp(slot_text(sl), sl->kept ? sl->kept : sl->initial))
			return true;
	}
	return false;
}

static void
form_mark_kept(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->slots[i].kept);
		f->slots[i].kept = xstrdup(slot_text(&f->slots[i]));
	}
}

/* An error stays until the text it was about changes. */
static void
form_drop_stale_errors(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];

		if (sl->error != NULL && sl->checked != NULL &&
		    strcmp(sl->checked, slot_text(sl)) != 0) {
			free(sl->error);
			sl->error = NULL;
		}
	}
}

static void
slot_error(struct slot *sl, char *why)
{
	free(sl->error);
	sl->error = why;
	free(sl->checked);
	sl->checked = xstrdup(slot_text(sl));
}

/* ---- values that require other fields ------------------------------ */

static struct slot *
form_slot_named(struct form *f, const char *field)
{
	for (size_t i = 0; i < f->n; i++) {
		if (strcmp(f->slots[i].field->name, field) == 0)
			return &f->slots[i];
	}
	return NULL;
}

/* The enum value a choice slot holds now, or NULL. */
static const struct enum_value *
slot_choice(const struct slot *sl)
{
	if (sl->kind != SK_CHOICE || sl->field->type != FT_ENUM)
		return NULL;
	return field_enum_value(sl->field, slot_text(sl));
}

/* Is sl required by what another field of the form holds ("callback"
 * requires the call-back time)? */
static bool
slot_required_now(struct form *f, const struct slot *sl)
{
	for (size_t i = 0; i < f->n; i++) {
		const struct enum_value *ev = slot_choice(&f->slots[i]);

		for (size_t j = 0; ev != NULL && j < ev->requires.n; j++) {
			if (strcmp(ev->requires.v[j], sl->field->name) == 0)
				return true;
		}
	}
	return false;
}

/* The first empty field the value in slot i requires. */
static bool
form_required_empty(struct form *f, size_t i, size_t *to)
{
	const struct enum_value *ev = slot_choice(&f->slots[i]);

	for (size_t j = 0; ev != NULL && j < ev->requires.n; j++) {
		struct slot *sl = form_slot_named(f, ev->requires.v[j]);

		if (sl != NULL && !sl->readonly && *slot_text(sl) == '\0') {
			*to = (size_t)(sl - f->slots);
			return true;
		}
	}
	return false;
}

static void slot_error(struct slot *, char *);

/* Every field a chosen value requires, filled: as the store will check,
 * but beside the field. Returns how many are missing. */
static size_t
form_check_requires(struct desk *d, struct form *f, const struct record *out,
    size_t *bad)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		const struct enum_value *ev;

		if (sl->kind != SK_CHOICE || sl->field->type != FT_ENUM ||
		    (ev = field_enum_value(sl->field,
		    record_get(out, sl->field->name))) == NULL)
			continue;
		for (size_t j = 0; j < ev->requires.n; j++) {
			const char *need = ev->requires.v[j];
			struct slot *to = form_slot_named(f, need);
			const struct field *nf = entity_field(f->entity, need);

			if (*record_get(out, need) != '\0')
				continue;
			n++;
			if (to == NULL || to->readonly) {
				slot_error(sl, xasprintf(_("%s requires %s, "
				    "which you cannot fill in here"),
				    desk_label(d, &ev->label), nf ?
				    desk_label(d, &nf->label) : need));
				to = sl;
			} else
				slot_error(to, xasprintf(_("required when %s "
				    "is %s"), desk_label(d, &sl->field->label),
				    desk_label(d, &ev->label)));
			if (*bad == (size_t)-1 ||
			    (size_t)(to - f->slots) < *bad)
				*bad = (size_t)(to - f->slots);
		}
	}
	return n;
}

/* ---- building ------------------------------------------------------- */

static enum slot_kind
slot_kind_of(const struct field *fl)
{
	switch (fl->type) {
	case FT_LONGTEXT:
		return SK_AREA;
	case FT_ENUM:
	case FT_BOOL:
		return SK_CHOICE;
	case FT_REF:
		return SK_REF;
	default:
		return SK_TEXT;
	}
}

/* What the agent edits for a stored value (reads back through
 * field_normalise to the same value). */
static char *
slot_text_of(const struct field *fl, const char *stored)
{
	switch (slot_kind_of(fl)) {
	case SK_TEXT:
		return field_display(fl, stored);
	default:
		return xstrdup(stored ? stored : "");
	}
}

static bool
form_has_slot(const struct form *f, const struct field *fl)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->slots[i].field == fl)
			return true;
	}
	return false;
}

static void
form_add_slot(struct desk *d, struct form *f, const struct field *fl,
    size_t row, size_t col, size_t ncols)
{
	struct slot *sl;

	if (fl == NULL || !field_readable(fl, d->ctx->role) ||
	    form_has_slot(f, fl))
		return;
	f->slots = xreallocarray(f->slots, f->n + 1, sizeof *f->slots);
	sl = &f->slots[f->n++];
	memset(sl, 0, sizeof *sl);
	sl->field = fl;
	sl->kind = slot_kind_of(fl);
	sl->row = row;
	sl->col = col;
	sl->ncols = ncols;
	sl->readonly = !field_writable(fl, d->ctx->role);
	dfield_init(&sl->edit, "", sl->kind == SK_AREA);
	sl->initial = xstrdup("");
}

/* Rows as the YAML lays them out; fields it leaves out follow, one a
 * row. */
static void
form_layout(struct desk *d, struct form *f)
{
	const struct entity *e = f->entity;
	size_t row = 0;

	for (size_t i = 0; i < e->nlayout; i++) {
		size_t before = f->n, k = 0;

		for (size_t j = 0; j < e->layout[i].n; j++)
			form_add_slot(d, f, entity_field(e, e->layout[i].v[j]),
			    row, k, e->layout[i].n);
		/* Columns count only the fields this role sees. */
		for (size_t j = before; j < f->n; j++) {
			f->slots[j].col = j - before;
			f->slots[j].ncols = f->n - before;
			k++;
		}
		if (f->n > before)
			row++;
	}
	for (size_t i = 0; i < e->nfields; i++) {
		size_t before = f->n;

		form_add_slot(d, f, &e->fields[i], row, 0, 1);
		if (f->n > before)
			row++;
	}
	f->nrows = row;
}

static void
slot_set_initial(struct slot *sl, const char *text)
{
	free(sl->initial);
	sl->initial = xstrdup(text);
	dfield_set(&sl->edit, text);
}

/* A preset or default as the agent would have typed it ("now" becomes
 * the time the form opened). */
static void
slot_preset(struct slot *sl, const char *raw)
{
	char *out = NULL, *why = NULL, *text;

	if (field_normalise(sl->field, raw, &out, &why) == 0) {
		text = slot_text_of(sl->field, out);
		slot_set_initial(sl, text);
		free(text);
	} else
		slot_set_initial(sl, raw);
	free(out);
	free(why);
}

static void
form_fill_new(struct form *f, const struct record *preset)
{
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		const char *v = preset ? record_get(preset, sl->field->name) :
		    "";

		if (*v != '\0')
			slot_preset(sl, v);
		else if (sl->field->def != NULL)
			slot_preset(sl, sl->field->def);
	}
}

static void
form_fill_record(struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		char *text = slot_text_of(sl->field,
		    record_get(&f->base, sl->field->name));

		slot_set_initial(sl, text);
		free(text);
	}
}

static size_t
form_next_editable(const struct form *f, size_t from, int dir)
{
	size_t i = from;

	for (size_t tries = 0; tries < f->n; tries++) {
		i = (i + f->n + (size_t)(dir < 0 ? -1 : 1)) % f->n;
		if (slot_editable(&f->slots[i]))
			return i;
	}
	return from;
}

/* The call's outcome first: the first enum still empty. */
static size_t
form_first_focus(const struct form *f)
{
	if (f->log_call) {
		for (size_t i = 0; i < f->n; i++) {
			const struct slot *sl = &f->slots[i];

			if (sl->field->type == FT_ENUM && slot_editable(sl) &&
			    *slot_text(sl) == '\0')
				return i;
		}
	}
	for (size_t i = 0; i < f->n; i++) {
		if (slot_editable(&f->slots[i]))
			return i;
	}
	return 0;
}

static char *
form_new_key(const struct entity *e)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return xasprintf("%s/new/%lld%06ld", e->name, (long long)tv.tv_sec,
	    (long)tv.tv_usec);
}

static struct form *
form_alloc(struct desk *d, const struct entity *e, uint32_t id)
{
	struct form *f = xcalloc(1, sizeof *f);

	f->entity = e;
	f->id = id;
	record_init(&f->base);
	record_init(&f->theirs);
	record_init(&f->merged);
	form_layout(d, f);
	f->draft_key = id ? xasprintf("%s/%u", e->name, id) : form_new_key(e);
	return f;
}

/* ---- drafts --------------------------------------------------------- */

static void
form_draft_forget(struct desk *d, struct form *f)
{
	if (f->drafted)
		store_draft_del(d->store, d->ctx->user, f->draft_key);
	f->drafted = false;
}

static void
form_keep(struct desk *d, struct desk_screen *s, bool force)
{
	struct form *f = s->data;
	struct draft dr;
	int rc;

	if (!form_dirty(f)) {
		if (f->drafted)
			form_draft_forget(d, f);
		return;
	}
	if (!force && !form_draft_stale(f))
		return;
	draft_init(&dr);
	dr.user = xstrdup(d->ctx->user);
	dr.key = xstrdup(f->draft_key);
	dr.entity = xstrdup(f->entity->name);
	dr.id = f->id;
	dr.focus = xstrdup(f->slots[f->focus].field->name);
	record_copy(&dr.base, &f->base);
	for (size_t i = 0; i < f->n; i++)
		record_set(&dr.edit, f->slots[i].field->name,
		    slot_text(&f->slots[i]));
	rc = store_draft_put(d->store, &dr);
	draft_free(&dr);
	if (rc == ST_OK) {
		f->drafted = true;
		form_mark_kept(f);
	}
}

/* ---- checking ------------------------------------------------------- */

/* Check one slot's text; a value the agent changed is shown again as
 * the form reads it ("+3d" becomes the date). */
static bool
slot_check(struct slot *sl, char **stored)
{
	char *out = NULL, *why = NULL;

	free(sl->error);
	sl->error = NULL;
	if (field_normalise(sl->field, slot_text(sl), &out, &why) != 0) {
		slot_error(sl, why);
		return false;
	}
	if (strcmp(slot_text(sl), sl->initial) != 0 && sl->kind == SK_TEXT) {
		char *shown = slot_text_of(sl->field, out);

		if (strcmp(shown, slot_text(sl)) != 0)
			dfield_set(&sl->edit, shown);
		free(shown);
	}
	if (stored != NULL)
		*stored = out;
	else
		free(out);
	return true;
}

static void
form_leave_slot(struct form *f)
{
	struct slot *sl = &f->slots[f->focus];

	if (slot_editable(sl) && strcmp(slot_text(sl), sl->initial) != 0)
		slot_check(sl, NULL);
}

static void
form_focus(struct form *f, size_t to)
{
	if (to == f->focus)
		return;
	form_leave_slot(f);
	f->focus = to;
}

/* ---- drawing -------------------------------------------------------- */

static int
form_label_width(struct desk *d, const struct form *f)
{
	size_t w = 0;

	for (size_t i = 0; i < f->n; i++) {
		size_t lw = utf8_width(desk_label(d, &f->slots[i].field->label))
		    + (f->slots[i].field->required ? 1 : 0);

		w = lw > w ? lw : w;
	}
	return w > FORM_LABEL_MAX ? FORM_LABEL_MAX : (int)w;
}

static bool
row_is_area(const struct form *f, size_t row)
{
	for (size_t i = 0; i < f->n; i++) {
		if (f->slots[i].row == row && f->slots[i].kind == SK_AREA &&
		    f->slots[i].ncols == 1)
			return true;
	}
	return false;
}

static size_t
row_errors(const struct form *f, size_t row)
{
	size_t n = 0;

	for (size_t i = 0; i < f->n; i++)
		n += f->slots[i].row == row && f->slots[i].error != NULL;
	return n;
}

static size_t
row_height(const struct form *f, size_t row)
{
	return (row_is_area(f, row) ? FORM_AREA_ROWS : 1) + row_errors(f, row);
}

static char *
slot_shown(struct desk *d, const struct slot *sl, bool focus)
{
	const char *t = slot_text(sl);

	if (sl->kind == SK_CHOICE) {
		char *v = desk_value(d, sl->field, t);
		char *out = xasprintf("%s%s", v, focus ? " ▾" : "");

		free(v);
		return out;
	}
	if (sl->kind == SK_REF && !focus && *t != '\0')
		return xasprintf("#%s %s", t, sl->ref_title ? sl->ref_title :
		    "");
	return xstrdup(t);
}

static void
form_draw_slot(struct desk *d, struct form *f, size_t i, int y, int x,
    int width, int lw)
{
	struct slot *sl = &f->slots[i];
	bool focus = i == f->focus;
	enum desk_attr a = sl->readonly ? DA_DIM : focus ? DA_FOCUS : DA_FIELD;
	char *label = xasprintf("%s%s", desk_label(d, &sl->field->label),
	    sl->field->required || slot_required_now(f, sl) ? "*" : "");
	int fx = x + lw + 1, fw = width - lw - 2;

	desk_put(d, y, x, lw, label, sl->error ? DA_ERROR :
	    focus ? DA_TITLE : DA_LABEL);
	free(label);
	if (sl->kind == SK_AREA && sl->ncols == 1)
		desk_draw_area(d, &sl->edit, y, fx, fw, FORM_AREA_ROWS, focus);
	else if (focus && (sl->kind == SK_TEXT || sl->kind == SK_REF ||
	    sl->kind == SK_AREA)) {
		int tw = fw;

		if (sl->kind == SK_REF && sl->ref_title != NULL) {
			tw = fw / 3;
			desk_put(d, y, fx + tw + 1, fw - tw - 1, sl->ref_title,
			    DA_DIM);
		}
		desk_draw_field(d, &sl->edit, y, fx, tw, true, a);
	} else {
		char *shown = slot_shown(d, sl, focus);

		desk_put_pad(d, y, fx, fw, shown, a);
		free(shown);
		if (focus) {
			d->cursor_y = y;
			d->cursor_x = fx;
		}
	}
}

static void
form_draw_title(struct desk *d, struct form *f)
{
	const struct entity *e = f->entity;
	const char *name = e->title ? record_get(&f->base, e->title) : "";
	char *t;

	if (f->log_call)
		t = xasprintf("%s", _("Log a call"));
	else if (f->id == 0)
		t = xasprintf(_("New %s"), desk_label(d, &e->label));
	else
		t = xasprintf(_("Edit %s #%u %s (version %u)"),
		    desk_label(d, &e->label), f->id, name, f->base.version);
	desk_put(d, 1, 1, COLS - 4, t, DA_TITLE);
	if (form_dirty(f))
		desk_put(d, 1, COLS - 2, 1, "*", DA_TITLE);
	free(t);
}

static int
form_dups_height(const struct form *f)
{
	return f->dups.n > 0 ? (int)f->dups.n + 1 : 0;
}

static void
form_draw_dups(struct desk *d, struct form *f, int y)
{
	desk_put(d, y, 1, COLS - 2, _("Possible duplicates (^O opens the "
	    "first instead):"), DA_ERROR);
	for (size_t i = 0; i < f->dups.n; i++) {
		const struct hit *h = &f->dups.v[i];
		char *line = xasprintf("#%u  %s  %s  %s  %s", h->id, h->title,
		    h->subtitle, h->phones, h->email);

		for (char *p = line; *p != '\0'; p++)
			*p = *p == '\n' ? ' ' : *p;
		desk_put(d, y + 1 + (int)i, 3, COLS - 4, line,
		    i == 0 ? DA_TITLE : DA_NORMAL);
		free(line);
	}
}

/* Keep the focused row on screen, scrolling whole rows. */
static void
form_scroll(struct form *f, int height)
{
	size_t frow = f->slots[f->focus].row, used = 0;

	if (frow < f->top)
		f->top = frow;
	for (;;) {
		used = 0;
		for (size_t r = f->top; r <= frow; r++)
			used += row_height(f, r);
		if ((int)used <= height || f->top == frow)
			break;
		f->top++;
	}
}

static void
form_draw_errors(struct desk *d, struct form *f, size_t row, int *y,
    int limit)
{
	for (size_t i = 0; i < f->n && *y < limit; i++) {
		const struct slot *sl = &f->slots[i];
		char *msg;

		if (sl->row != row || sl->error == NULL)
			continue;
		msg = xasprintf("↳ %s: %s", desk_label(d, &sl->field->label),
		    sl->error);
		desk_put(d, (*y)++, 3, COLS - 4, msg, DA_ERROR);
		free(msg);
	}
}

static void
form_draw(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	int lw = form_label_width(d, f), top = 2;
	int limit = desk_body_top() + desk_body_rows() - form_dups_height(f);
	int y = top;

	form_draw_title(d, f);
	form_scroll(f, limit - top);
	for (size_t r = f->top; r < f->nrows && y < limit; r++) {
		for (size_t i = 0; i < f->n; i++) {
			const struct slot *sl = &f->slots[i];
			int cw = (COLS - 2) / (int)sl->ncols;

			if (sl->row == r)
				form_draw_slot(d, f, i, y,
				    1 + (int)sl->col * cw, cw, lw);
		}
		y += row_is_area(f, r) ? FORM_AREA_ROWS : 1;
		form_draw_errors(d, f, r, &y, limit);
	}
	if (f->top > 0)
		desk_put(d, top, COLS - 2, 1, "↑", DA_DIM);
	if (y >= limit && f->nrows > 0)
		desk_put(d, limit - 1, COLS - 2, 1, "↓", DA_DIM);
	if (f->dups.n > 0)
		form_draw_dups(d, f, limit);
}

/* ---- saving --------------------------------------------------------- */

struct save_run {
	struct form *form;
	struct record rec;
	uint32_t if_version;
};

static int
save_txn(struct store *s, struct txn *t, void *arg)
{
	struct save_run *sr = arg;
	struct record r;
	int rc;

	/* Repeatable: work on a copy, so a retry starts from the same. */
	record_copy(&r, &sr->rec);
	if (sr->form->id == 0) {
		r.id = 0;
		rc = store_create(s, t, sr->form->entity, &r);
	} else
		rc = store_update(s, t, sr->form->entity, &r, sr->if_version);
	if (rc == ST_OK) {
		record_free(&sr->rec);
		sr->rec = r;
	} else
		record_free(&r);
	return rc;
}

static int
form_write(struct desk *d, struct form *f, struct record *rec,
    uint32_t if_version)
{
	struct save_run sr = { f, { 0 }, if_version };
	int rc;

	record_copy(&sr.rec, rec);
	sr.rec.id = f->id;
	rc = store_run(d->store, save_txn, &sr);
	record_free(rec);
	*rec = sr.rec;
	return rc;
}

/* The form's values over the record it opened; fields it does not show
 * or may not write keep theirs. */
static bool
form_collect(struct desk *d, struct form *f, struct record *out)
{
	size_t bad = (size_t)-1, nbad = 0;

	record_copy(out, &f->base);
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		char *v = NULL;

		if (sl->readonly)
			continue;
		if (!slot_check(sl, &v)) {
			nbad++;
			bad = bad == (size_t)-1 ? i : bad;
			continue;
		}
		if (sl->field->required && *v == '\0') {
			slot_error(sl, xstrdup(_("a value is required")));
			nbad++;
			bad = bad == (size_t)-1 ? i : bad;
		}
		record_set(out, sl->field->name, v);
		free(v);
	}
	nbad += form_check_requires(d, f, out, &bad);
	if (nbad > 0) {
		f->focus = bad;
		desk_error(d, ngettext("%zu field needs attention.",
		    "%zu fields need attention.", nbad), nbad);
		record_free(out);
		return false;
	}
	return true;
}

/* A store message naming a field ("email 'x' already belongs...") goes
 * beside that field too. */
static void
form_blame_field(struct desk *d, struct form *f)
{
	const char *msg = store_error(d->store);

	for (size_t i = 0; i < f->n; i++) {
		const char *name = field_word(f->slots[i].field);
		size_t n = strlen(name);
		const char *rest;

		if (strncmp(msg, name, n) != 0)
			continue;
		rest = msg + n;
		/* "email: ...", "email '...' ..." or, translated,
		 * "email：..." */
		if (strncmp(rest, ": ", 2) == 0)
			rest += 2;
		else if (strncmp(rest, "\xef\xbc\x9a", 3) == 0)
			rest += 3;
		else if (*rest == ' ')
			rest++;
		else
			continue;
		slot_error(&f->slots[i], xstrdup(rest));
		f->focus = i;
		return;
	}
}

static void
form_saved(struct desk *d, struct desk_screen *s, const struct record *r,
    const char *how)
{
	struct form *f = s->data;
	const struct entity *e = f->entity;
	bool open_card = f->id == 0 && !f->log_call &&
	    strcmp(e->name, "customer") == 0;
	uint32_t id = r->id;
	desk_form_saved_fn saved = f->saved;
	void *saved_arg = f->saved_arg;
	struct record copy;

	form_draft_forget(d, f);
	desk_message(d, _("Saved %s #%u (version %u)%s"),
	    desk_label(d, &e->label), r->id, r->version, how);
	while (d->top != NULL && d->top != s)
		desk_pop(d);
	record_copy(&copy, r);
	desk_pop(d);
	if (open_card)
		desk_card_open(d, e, id);
	if (saved != NULL)
		saved(d, saved_arg, &copy);
	record_free(&copy);
}

static void form_conflict(struct desk *, struct desk_screen *,
    struct record *mine, int tries);

static void
form_save_record(struct desk *d, struct desk_screen *s, struct record *rec,
    uint32_t if_version, const char *how, int tries)
{
	struct form *f = s->data;
	int rc = form_write(d, f, rec, if_version);

	if (rc == ST_OK && f->log_call) {
		struct record call;

		/* The form is gone after form_saved; the call is kept. */
		record_copy(&call, rec);
		form_saved(d, s, rec, how);
		desk_call_logged(d, &call);
		record_free(&call);
	} else if (rc == ST_OK)
		form_saved(d, s, rec, how);
	else if (rc == ST_CONFLICT && tries < FORM_MERGE_TRIES)
		form_conflict(d, s, rec, tries + 1);
	else {
		if (rc == ST_EXISTS || rc == ST_INVALID)
			form_blame_field(d, f);
		desk_store_error(d, rc);
	}
	record_free(rec);
}

static void
form_save(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	struct record rec;

	if (!form_collect(d, f, &rec))
		return;
	if (f->id != 0 && !form_dirty(f)) {
		desk_message(d, "%s", _("Nothing changed."));
		record_free(&rec);
		form_draft_forget(d, f);
		desk_pop(d);
		return;
	}
	form_save_record(d, s, &rec, f->id ? f->base.version : 0, "", 0);
}

/* ---- conflicts ------------------------------------------------------ */

struct get_run {
	const struct entity *entity;
	uint32_t id;
	struct record *out;
};

static int
get_txn(struct store *s, struct txn *t, void *arg)
{
	struct get_run *g = arg;

	record_free(g->out);
	return store_get(s, t, g->entity, g->id, g->out);
}

static void
form_merge_done(struct desk *d, void *arg, struct desk_merge_field *fields,
    size_t n, bool save)
{
	struct desk_screen *s = arg;
	struct form *f = s->data;
	struct record rec;
	char *how;

	if (!save) {
		desk_message(d, "%s", _("Not saved: the form is as you left "
		    "it."));
		return;
	}
	record_copy(&rec, &f->merged);
	for (size_t i = 0; i < n; i++)
		record_set(&rec, fields[i].field->name, fields[i].pick == 1 ?
		    fields[i].mine : fields[i].theirs);
	how = xasprintf(_(", after choosing between your values and %s's"),
	    f->theirs.updated_by ? f->theirs.updated_by : "?");
	/* The version now current is the base of any further merge. */
	record_free(&f->base);
	record_copy(&f->base, &f->theirs);
	form_save_record(d, s, &rec, f->theirs.version, how, 1);
	free(how);
}

/*
 * The record changed since the form opened it. Fields changed on one
 * side only are merged; if both sides changed a field, the agent sees
 * both values and picks. Never a silent overwrite.
 */
static void
form_conflict(struct desk *d, struct desk_screen *s, struct record *mine,
    int tries)
{
	struct form *f = s->data;
	struct get_run g = { f->entity, f->id, &f->theirs };
	struct desk_merge_field *conf = NULL;
	size_t nconf = 0;
	char *how;
	int rc;

	record_free(&f->theirs);
	if ((rc = store_run(d->store, get_txn, &g)) != ST_OK) {
		desk_store_error(d, rc);
		return;
	}
	record_free(&f->merged);
	desk_merge_records(f->entity, &f->base, mine, &f->theirs, &f->merged,
	    &conf, &nconf);
	if (nconf > 0) {
		desk_merge_open(d, f->entity, f->id, f->theirs.updated_by, conf,
		    nconf, form_merge_done, s);
		return;
	}
	how = xasprintf(_(", merged with the changes %s made meanwhile"),
	    f->theirs.updated_by ? f->theirs.updated_by : "?");
	record_free(&f->base);
	record_copy(&f->base, &f->theirs);
	record_free(mine);
	record_copy(mine, &f->merged);
	form_save_record(d, s, mine, f->theirs.version, how, tries);
	free(how);
}

/* ---- duplicates ----------------------------------------------------- */

static const char *
dup_query_of(const struct slot *sl, char **owned)
{
	const char *t = slot_text(sl), *last = t;
	size_t digits = 0;

	*owned = NULL;
	switch (sl->field->type) {
	case FT_PHONES:
	case FT_PHONE:
		/* The number being typed: the last one in the list. */
		for (const char *p = t; *p != '\0'; p++) {
			if (*p == ',' || *p == ';')
				last = p + 1;
		}
		for (const char *p = last; *p != '\0'; p++)
			digits += *p >= '0' && *p <= '9';
		if (digits < 6)
			return NULL;
		*owned = utf8_trim(last);
		return *owned;
	case FT_EMAIL:
		return strchr(t, '@') != NULL && strlen(t) >= 4 ? t : NULL;
	case FT_TEXT:
		return sl->edit.n >= 2 ? t : NULL;
	default:
		return NULL;
	}
}

static bool
form_checks_dups(const struct form *f, const struct slot *sl)
{
	const struct entity *e = f->entity;

	if (f->id != 0 || !e->searchable || e->title == NULL)
		return false;
	return sl->field->type == FT_PHONES || sl->field->type == FT_PHONE ||
	    sl->field->type == FT_EMAIL ||
	    strcmp(sl->field->name, e->title) == 0;
}

static void
hits_add_copy(struct hits *to, const struct hit *h)
{
	struct hit *c;

	for (size_t i = 0; i < to->n; i++) {
		if (to->v[i].id == h->id)
			return;
	}
	to->v = xreallocarray(to->v, to->n + 1, sizeof *to->v);
	c = &to->v[to->n++];
	c->entity = h->entity;
	c->id = h->id;
	c->title = xstrdup(h->title);
	c->subtitle = xstrdup(h->subtitle);
	c->phones = xstrdup(h->phones);
	c->email = xstrdup(h->email);
}

static int
dup_rank(const struct slot *sl)
{
	switch (sl->field->type) {
	case FT_PHONES:
	case FT_PHONE:
		return 0;
	case FT_EMAIL:
		return 1;
	default:
		return 2;
	}
}

/* Each of phone, email and name is searched as it is typed; the
 * strongest matches of all of them (phone first) are shown. */
static void
form_find_dups(struct desk *d, struct form *f)
{
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		const char *q;
		char *owned;
		int rc;

		if (!form_checks_dups(f, sl))
			continue;
		q = dup_query_of(sl, &owned);
		if (q == NULL) {
			hits_free(&sl->dup_hits);
			free(sl->dup_query);
			sl->dup_query = NULL;
		} else if (sl->dup_query == NULL || strcmp(sl->dup_query, q)) {
			free(sl->dup_query);
			sl->dup_query = xstrdup(q);
			hits_free(&sl->dup_hits);
			rc = store_find(d->store, q, f->entity, FORM_DUPS_MAX,
			    &sl->dup_hits);
			if (rc != ST_OK)
				desk_store_error(d, rc);
			for (size_t j = 0; j < sl->dup_hits.n; j++)
				hit_hide_unreadable(&sl->dup_hits.v[j],
				    d->ctx->role);
		}
		free(owned);
	}
	hits_free(&f->dups);
	for (int rank = 0; rank < 3; rank++) {
		for (size_t i = 0; i < f->n; i++) {
			struct slot *sl = &f->slots[i];

			if (dup_rank(sl) != rank || !form_checks_dups(f, sl))
				continue;
			for (size_t j = 0; j < sl->dup_hits.n &&
			    f->dups.n < FORM_DUPS_MAX; j++)
				hits_add_copy(&f->dups, &sl->dup_hits.v[j]);
		}
	}
}

/* ---- references ----------------------------------------------------- */

struct titles_run {
	struct form *form;
};

static int
titles_txn(struct store *s, struct txn *t, void *arg)
{
	struct form *f = ((struct titles_run *)arg)->form;

	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];
		const struct entity *to = sl->field->ref_entity;
		struct record r;
		uint32_t id;
		int rc;

		if (sl->kind != SK_REF || !cmd_parse_id(slot_text(sl), &id) ||
		    id == sl->ref_for)
			continue;
		free(sl->ref_title);
		sl->ref_title = NULL;
		sl->ref_for = id;
		rc = store_get(s, t, to, id, &r);
		if (rc == ST_NOTFOUND) {
			sl->ref_title = xstrdup(_("(no such record)"));
			continue;
		}
		if (rc != ST_OK)
			return rc;
		sl->ref_title = xstrdup(to->title ? record_get(&r, to->title) :
		    "");
		record_free(&r);
	}
	return ST_OK;
}

static void
form_settle(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	struct titles_run tr = { f };
	int rc;

	form_drop_stale_errors(f);
	if ((rc = store_run(d->store, titles_txn, &tr)) != ST_OK)
		desk_store_error(d, rc);
	form_find_dups(d, f);
}

/* ---- picking -------------------------------------------------------- */

static void
form_after_pick(struct form *f)
{
	size_t to = form_next_editable(f, f->focus, 1);

	/* A value that requires fields ("callback": the time) goes there. */
	if (form_required_empty(f, f->focus, &to)) {
		form_focus(f, to);
		return;
	}
	/* Logging a call: the outcome, then straight to the note. */
	if (f->log_call) {
		for (size_t i = 0; i < f->n; i++) {
			if (f->slots[i].kind == SK_AREA &&
			    slot_editable(&f->slots[i])) {
				to = i;
				break;
			}
		}
	}
	form_focus(f, to);
}

static void
form_set_choice(struct form *f, const char *value)
{
	struct slot *sl = &f->slots[f->focus];

	dfield_set(&sl->edit, value);
}

struct pick_ctx {
	struct desk_screen *screen;
	size_t slot;
};

static void
form_picked(struct desk *d, void *arg, const char *value)
{
	struct pick_ctx *pc = arg;
	struct form *f = pc->screen->data;

	(void)d;
	if (value != NULL && d->top == pc->screen) {
		f->focus = pc->slot;
		form_set_choice(f, value);
		form_after_pick(f);
	}
	free(pc);
}

static void
choice_items(struct desk *d, const struct slot *sl,
    struct desk_pick_item **items, size_t *n)
{
	const struct field *fl = sl->field;

	*n = 0;
	*items = NULL;
	if (fl->type == FT_BOOL) {
		*items = xcalloc(2, sizeof **items);
		(*items)[0] = (struct desk_pick_item){ xstrdup(_("yes")),
		    xstrdup("true"), xstrdup("y") };
		(*items)[1] = (struct desk_pick_item){ xstrdup(_("no")),
		    xstrdup("false"), xstrdup("n") };
		*n = 2;
		return;
	}
	*items = xcalloc(fl->nvalues + 1, sizeof **items);
	for (size_t i = 0; i < fl->nvalues; i++) {
		const struct enum_value *ev = &fl->values[i];

		(*items)[i].label = xstrdup(desk_label(d, &ev->label));
		(*items)[i].value = xstrdup(ev->value);
		(*items)[i].key = ev->key ? xstrdup(ev->key) : NULL;
	}
	*n = fl->nvalues;
}

static void
form_pick_choice(struct desk *d, struct desk_screen *s, const char *filter)
{
	struct form *f = s->data;
	struct slot *sl = &f->slots[f->focus];
	struct pick_ctx *pc = xcalloc(1, sizeof *pc);
	struct desk_pick_item *items;
	size_t n;

	pc->screen = s;
	pc->slot = f->focus;
	choice_items(d, sl, &items, &n);
	desk_pick_open(d, desk_label(d, &sl->field->label), items, n, filter,
	    form_picked, pc);
}

struct siblings_run {
	struct form *form;
	const struct field *field;
	struct hits *hits;
};

/* Records of the field's entity that refer to what this form's other
 * references name: the contacts of the call's customer. */
static int
siblings_txn(struct store *s, struct txn *t, void *arg)
{
	struct siblings_run *sr = arg;
	const struct entity *to = sr->field->ref_entity;
	struct form *f = sr->form;

	hits_free(sr->hits);
	for (size_t i = 0; i < f->n; i++) {
		const struct field *mine = f->slots[i].field;
		uint32_t id;

		if (mine == sr->field || mine->type != FT_REF ||
		    !cmd_parse_id(slot_text(&f->slots[i]), &id))
			continue;
		for (size_t j = 0; j < to->nfields; j++) {
			const struct field *g = &to->fields[j];
			uint32_t *ids;
			size_t n;
			int rc;

			if (g->type != FT_REF ||
			    g->ref_entity != mine->ref_entity)
				continue;
			rc = store_referrers(s, t, g, id, &ids, &n);
			if (rc != ST_OK)
				return rc;
			for (size_t k = 0; k < n && sr->hits->n < 50; k++) {
				struct record r;
				struct hit *h;

				if (store_get(s, t, to, ids[k], &r) != ST_OK)
					continue;
				sr->hits->v = xreallocarray(sr->hits->v,
				    sr->hits->n + 1, sizeof *sr->hits->v);
				h = &sr->hits->v[sr->hits->n++];
				memset(h, 0, sizeof *h);
				h->entity = to;
				h->id = ids[k];
				h->title = xstrdup(to->title ?
				    record_get(&r, to->title) : "");
				h->subtitle = xstrdup("");
				h->phones = xstrdup("");
				h->email = xstrdup("");
				record_free(&r);
			}
			free(ids);
		}
	}
	return ST_OK;
}

/* A reference picked by searching its entity; with nothing typed, the
 * records that share this form's other references. */
static void
ref_fill(struct desk *d, void *arg, const char *filter,
    struct desk_pick_item **items, size_t *n)
{
	struct pick_ctx *pc = arg;
	struct form *f = pc->screen->data;
	const struct field *fl = f->slots[pc->slot].field;
	struct siblings_run sr;
	struct hits hits;
	int rc;

	*items = NULL;
	*n = 0;
	memset(&hits, 0, sizeof hits);
	if (*filter != '\0')
		rc = store_find(d->store, filter, fl->ref_entity, 20, &hits);
	else {
		sr.form = f;
		sr.field = fl;
		sr.hits = &hits;
		rc = store_run(d->store, siblings_txn, &sr);
	}
	if (rc != ST_OK) {
		desk_store_error(d, rc);
		hits_free(&hits);
		return;
	}
	*items = xcalloc(hits.n + 1, sizeof **items);
	for (size_t i = 0; i < hits.n; i++) {
		hit_hide_unreadable(&hits.v[i], d->ctx->role);
		(*items)[i].label = xasprintf("#%u %s%s%s", hits.v[i].id,
		    hits.v[i].title, *hits.v[i].subtitle ? " · " : "",
		    hits.v[i].subtitle);
		(*items)[i].value = xasprintf("%u", hits.v[i].id);
		(*items)[i].key = NULL;
	}
	*n = hits.n;
	hits_free(&hits);
}

static void
form_pick_ref(struct desk *d, struct desk_screen *s, const char *filter)
{
	struct form *f = s->data;
	struct slot *sl = &f->slots[f->focus];
	struct pick_ctx *pc = xcalloc(1, sizeof *pc);

	pc->screen = s;
	pc->slot = f->focus;
	desk_pick_open_live(d, desk_label(d, &sl->field->ref_entity->label),
	    ref_fill, form_picked, pc, filter);
}

/* ---- actions -------------------------------------------------------- */

static struct slot *
form_slot(struct desk_screen *s)
{
	struct form *f = s->data;

	return &f->slots[f->focus];
}

static void
form_next(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;

	(void)d;
	form_focus(f, form_next_editable(f, f->focus, 1));
}

static void
form_prev(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;

	(void)d;
	form_focus(f, form_next_editable(f, f->focus, -1));
}

static size_t
form_area_width(struct desk *d, struct form *f)
{
	int w = COLS - 2 - form_label_width(d, f) - 2;

	return w > 2 ? (size_t)w : 2;
}

static void
form_down(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	struct slot *sl = form_slot(s);

	if (sl->kind == SK_AREA &&
	    dfield_vertical(&sl->edit, form_area_width(d, f), 1))
		return;
	form_next(d, s);
}

static void
form_up(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	struct slot *sl = form_slot(s);

	if (sl->kind == SK_AREA &&
	    dfield_vertical(&sl->edit, form_area_width(d, f), -1))
		return;
	form_prev(d, s);
}

static void
form_page(struct desk_screen *s, int dir)
{
	struct form *f = s->data;
	size_t from = f->slots[f->focus].row, to = f->focus;

	for (size_t i = 0; i < f->n; i++) {
		size_t k = dir > 0 ? i : f->n - 1 - i;
		size_t row = f->slots[k].row;

		if (!slot_editable(&f->slots[k]))
			continue;
		to = k;
		if (dir > 0 ? row >= from + 8 : row + 8 <= from)
			break;
	}
	form_focus(f, to);
}

static void
form_page_down(struct desk *d, struct desk_screen *s)
{
	(void)d;
	form_page(s, 1);
}

static void
form_page_up(struct desk *d, struct desk_screen *s)
{
	(void)d;
	form_page(s, -1);
}

static void
form_newline(struct desk *d, struct desk_screen *s)
{
	struct slot *sl = form_slot(s);

	(void)d;
	if (!sl->readonly)
		dfield_insert(&sl->edit, "\n");
}

static void
form_pick(struct desk *d, struct desk_screen *s)
{
	struct slot *sl = form_slot(s);

	if (sl->readonly)
		desk_error(d, "%s", _("Your role may not change this field."));
	else if (sl->kind == SK_REF)
		form_pick_ref(d, s, "");
	else if (sl->kind == SK_CHOICE)
		form_pick_choice(d, s, "");
	else
		form_next(d, s);
}

static void
form_ref_enter(struct desk *d, struct desk_screen *s)
{
	if (*slot_text(form_slot(s)) == '\0')
		form_pick(d, s);
	else
		form_next(d, s);
}

static void
form_clear_choice(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;

	(void)d;
	if (!form_slot(s)->readonly)
		form_set_choice(f, "");
}

static void
form_cancel_answer(struct desk *d, void *arg, int answer)
{
	struct desk_screen *s = arg;

	if (answer != 'y' || d->top != s)
		return;
	form_draft_forget(d, s->data);
	desk_pop(d);
	desk_message(d, "%s", _("Changes discarded."));
}

static void
form_cancel(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;

	if (!form_dirty(f)) {
		form_draft_forget(d, f);
		desk_pop(d);
		return;
	}
	desk_ask(d, _("Discard your changes? (y/n)"), "yn",
	    form_cancel_answer, s);
}

static void
form_open_dup(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;
	const struct entity *e = f->entity;
	uint32_t id;

	if (f->dups.n == 0) {
		desk_error(d, "%s", _("No possible duplicate to open."));
		return;
	}
	id = f->dups.v[0].id;
	form_draft_forget(d, f);
	desk_pop(d);
	desk_card_open(d, e, id);
}

static void
form_save_action(struct desk *d, struct desk_screen *s)
{
	form_leave_slot(s->data);
	form_save(d, s);
}

static void
form_knowledge(struct desk *d, struct desk_screen *s)
{
	form_leave_slot(s->data);
	desk_kb_open(d, s);
}

static const struct desk_action form_actions[] = {
	{ "save", N_("Save"), N_("save the record"), form_save_action },
	{ "cancel", N_("Cancel"), N_("close the form (asks first if "
	  "anything changed)"), form_cancel },
	{ "next-field", N_("Next"), N_("next field"), form_next },
	{ "previous-field", N_("Previous"), N_("previous field"), form_prev },
	{ "down", N_("Down"), N_("next line, or next field"), form_down },
	{ "up", N_("Up"), N_("previous line, or previous field"), form_up },
	{ "page-down", N_("Page"), N_("fields further down"),
	  form_page_down },
	{ "page-up", N_("Page"), N_("fields further up"), form_page_up },
	{ "pick", N_("Pick"), N_("choose from the list of values"),
	  form_pick },
	{ "reference", N_("Pick"), N_("search for the record (empty) or go "
	  "on"), form_ref_enter },
	{ "newline", N_("New line"), N_("start a new line"), form_newline },
	{ "clear", N_("Clear"), N_("clear the choice"), form_clear_choice },
	{ "open-duplicate", N_("Open dup"), N_("open the possible duplicate "
	  "instead of this new record"), form_open_dup },
	{ "knowledge", N_("Knowledge"), N_("search the knowledge base and "
	  "put an article into the note"), form_knowledge },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding form_bindings[] = {
	{ DK(KEY_F(2)), "save", true },
	{ DK_CTRL('s'), "save", false },
	{ DK_ESC, "cancel", true },
	{ DK_TAB, "next-field", true },
	{ DK(KEY_BTAB), "previous-field", false },
	{ DK(KEY_DOWN), "down", false },
	{ DK(KEY_UP), "up", false },
	{ DK(KEY_NPAGE), "page-down", false },
	{ DK(KEY_PPAGE), "page-up", false },
	{ DK_CTRL('o'), "open-duplicate", false },
	{ DK(KEY_F(6)), "open-duplicate", false },
	{ DK(KEY_F(7)), "knowledge", false },
	{ DK_CTRL('v'), "knowledge", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_form_keys = {
	"form", N_("Form"), form_actions, form_bindings
};

static const struct desk_binding form_text_bindings[] = {
	{ DK_ENTER, "next-field", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_form_text_keys = {
	"form-text", N_("Text field"), form_actions, form_text_bindings
};

static const struct desk_binding form_area_bindings[] = {
	{ DK_ENTER, "newline", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_form_area_keys = {
	"form-notes", N_("Several-line field"), form_actions,
	form_area_bindings
};

static const struct desk_binding form_choice_bindings[] = {
	{ DK_ENTER, "pick", true },
	{ DK(KEY_F(4)), "pick", false },
	{ ' ', "pick", false },
	{ DK_BACKSPACE, "clear", false },
	{ DK(KEY_DC), "clear", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_form_choice_keys = {
	"form-choice", N_("Choice field (type its key letter to pick)"),
	form_actions, form_choice_bindings
};

static const struct desk_binding form_ref_bindings[] = {
	{ DK_ENTER, "reference", false },
	{ DK(KEY_F(4)), "pick", true },
	{ 0, NULL, false }
};

const struct desk_keymap desk_form_ref_keys = {
	"form-reference", N_("Reference field (a record number)"),
	form_actions, form_ref_bindings
};

static void
form_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	struct slot *sl = form_slot(s);

	switch (sl->kind) {
	case SK_TEXT:
		desk_keychain_add(kc, &desk_form_text_keys);
		break;
	case SK_AREA:
		desk_keychain_add(kc, &desk_form_area_keys);
		break;
	case SK_CHOICE:
		desk_keychain_add(kc, &desk_form_choice_keys);
		break;
	case SK_REF:
		desk_keychain_add(kc, &desk_form_ref_keys);
		break;
	}
	desk_keychain_add(kc, &desk_form_keys);
	if (sl->kind != SK_CHOICE)
		desk_keychain_add(kc, &desk_edit_keys);
}

static struct dfield *
form_field(struct desk_screen *s)
{
	struct slot *sl = form_slot(s);

	return sl->kind == SK_CHOICE || sl->readonly ? NULL : &sl->edit;
}

static bool
key_matches(const char *hotkey, int key)
{
	char buf[8];
	int lower = key < 0x80 && key >= 'A' && key <= 'Z' ? key + 32 : key;

	if (hotkey == NULL || lower >= 0x80)
		return false;
	snprintf(buf, sizeof buf, "%c", lower);
	return strcmp(hotkey, buf) == 0;
}

/* A choice takes its value's key letter at once; any other character
 * opens the list filtered by it. */
static bool
form_choice_key(struct desk *d, struct desk_screen *s, int key)
{
	struct form *f = s->data;
	struct slot *sl = form_slot(s);
	struct desk_pick_item *items;
	char filter[8];
	size_t n;
	bool done = false;

	choice_items(d, sl, &items, &n);
	for (size_t i = 0; i < n && !done; i++) {
		if (key_matches(items[i].key, key)) {
			form_set_choice(f, items[i].value);
			form_after_pick(f);
			done = true;
		}
	}
	desk_pick_items_free(items, n);
	if (!done) {
		int len = 0;
		char *utf8 = desk_key_name(key);

		len = snprintf(filter, sizeof filter, "%s", utf8);
		free(utf8);
		(void)len;
		form_pick_choice(d, s, filter);
	}
	return true;
}

static bool
form_text(struct desk *d, struct desk_screen *s, int key)
{
	struct slot *sl = form_slot(s);

	if (!desk_printable(key))
		return false;
	if (sl->readonly) {
		desk_error(d, "%s", _("Your role may not change this field."));
		return true;
	}
	if (sl->kind == SK_CHOICE)
		return form_choice_key(d, s, key);
	dfield_insert_cp(&sl->edit, key);
	return true;
}

static bool
form_is_dirty(struct desk_screen *s)
{
	return form_dirty(s->data);
}

static void
form_free(struct desk *d, struct desk_screen *s)
{
	struct form *f = s->data;

	(void)d;
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];

		dfield_free(&sl->edit);
		free(sl->initial);
		free(sl->error);
		free(sl->ref_title);
		free(sl->checked);
		free(sl->kept);
		free(sl->dup_query);
		hits_free(&sl->dup_hits);
	}
	free(f->slots);
	record_free(&f->base);
	record_free(&f->theirs);
	record_free(&f->merged);
	hits_free(&f->dups);
	free(f->draft_key);
	free(f);
}

static const struct desk_screen_ops form_ops = {
	.name = "form",
	.keys = form_keys,
	.draw = form_draw,
	.text = form_text,
	.field = form_field,
	.settle = form_settle,
	.keep = form_keep,
	.dirty = form_is_dirty,
	.free = form_free,
};

static bool
form_may_write(struct desk *d, const struct entity *e)
{
	if (entity_writable(e, d->ctx->role))
		return true;
	desk_error(d, _("Your role may not write %s records."),
	    desk_label(d, &e->label));
	return false;
}

static void
form_show(struct desk *d, struct form *f)
{
	if (f->n == 0) {
		desk_error(d, "%s", _("This form has no field you may see."));
		form_free(d, &(struct desk_screen){ &form_ops, f, NULL });
		return;
	}
	desk_push(d, &form_ops, f);
	form_settle(d, d->top);
}

void
desk_form_new(struct desk *d, const struct entity *e,
    const struct desk_form_opts *o)
{
	struct form *f;

	if (!form_may_write(d, e))
		return;
	f = form_alloc(d, e, 0);
	f->log_call = o != NULL && o->log_call;
	f->saved = o != NULL ? o->saved : NULL;
	f->saved_arg = o != NULL ? o->saved_arg : NULL;
	form_fill_new(f, o ? o->preset : NULL);
	f->focus = form_first_focus(f);
	/* A caller's new card: start where the agent must type. */
	for (size_t i = 0; o != NULL && o->focus_required && !f->log_call &&
	    i < f->n; i++) {
		if (f->slots[i].field->required && slot_editable(&f->slots[i]) &&
		    *slot_text(&f->slots[i]) == '\0') {
			f->focus = i;
			break;
		}
	}
	form_show(d, f);
}

static void
form_edit(struct desk *d, const struct entity *e, uint32_t id, bool log_call)
{
	struct form *f;
	struct get_run g;
	int rc;

	if (!form_may_write(d, e))
		return;
	f = form_alloc(d, e, id);
	f->log_call = log_call;
	g = (struct get_run){ e, id, &f->base };
	if ((rc = store_run(d->store, get_txn, &g)) != ST_OK) {
		desk_store_error(d, rc);
		form_free(d, &(struct desk_screen){ &form_ops, f, NULL });
		return;
	}
	form_fill_record(f);
	f->focus = form_first_focus(f);
	form_show(d, f);
}

void
desk_form_edit(struct desk *d, const struct entity *e, uint32_t id)
{
	form_edit(d, e, id, false);
}

void
desk_form_log_call(struct desk *d, const struct entity *e, uint32_t id)
{
	form_edit(d, e, id, true);
}

/* The form as the lost session left it, on the version it had opened:
 * saving it still merges with whatever changed since. */
void
desk_form_restore(struct desk *d, struct draft *dr)
{
	const struct entity *e = forms_entity(d->forms, dr->entity);
	struct form *f;

	if (e == NULL)
		return;
	f = form_alloc(d, e, dr->id);
	free(f->draft_key);
	f->draft_key = xstrdup(dr->key);
	record_free(&f->base);
	record_copy(&f->base, &dr->base);
	if (dr->id != 0)
		form_fill_record(f);
	else
		form_fill_new(f, NULL);
	f->focus = form_first_focus(f);
	for (size_t i = 0; i < f->n; i++) {
		struct slot *sl = &f->slots[i];

		dfield_set(&sl->edit, record_get(&dr->edit, sl->field->name));
		if (dr->focus != NULL &&
		    strcmp(dr->focus, sl->field->name) == 0)
			f->focus = i;
	}
	f->drafted = true;
	form_mark_kept(f);
	form_show(d, f);
}

const char *
desk_form_text(struct desk_screen *s, const char *field,
    const struct entity **e)
{
	struct form *f;
	struct slot *sl;

	if (s == NULL || s->ops != &form_ops)
		return NULL;
	f = s->data;
	if (e != NULL)
		*e = f->entity;
	sl = form_slot_named(f, field);
	return sl != NULL ? slot_text(sl) : NULL;
}

/* Text into a field at its cursor (an article into the note). */
bool
desk_form_insert(struct desk_screen *s, const char *field, const char *text)
{
	struct form *f;
	struct slot *sl;
	char *flat, *p;

	if (s == NULL || s->ops != &form_ops)
		return false;
	f = s->data;
	if ((sl = form_slot_named(f, field)) == NULL || sl->readonly ||
	    (sl->kind != SK_AREA && sl->kind != SK_TEXT))
		return false;
	form_focus(f, (size_t)(sl - f->slots));
	flat = xstrdup(text);
	for (p = flat; sl->kind == SK_TEXT && *p != '\0'; p++)
		*p = *p == '\n' ? ' ' : *p;
	dfield_insert(&sl->edit, flat);
	free(flat);
	return true;
}

/* ---- drafts a lost session left ------------------------------------- */

struct offer {
	struct draft *v;
	size_t n;
	size_t next;
};

static void offer_next(struct desk *, struct offer *);

static void
offer_answer(struct desk *d, void *arg, int answer)
{
	struct offer *o = arg;
	struct draft *dr = &o->v[o->next - 1];

	if (answer == 'y')
		desk_form_restore(d, dr);
	else if (answer == 'n')
		store_draft_del(d->store, dr->user, dr->key);
	/* Restored forms stack up; the next question comes over them. */
	offer_next(d, o);
}

static void
offer_next(struct desk *d, struct offer *o)
{
	struct draft *dr;
	const struct entity *e;
	char *when, *what, *q;

	while (o->next < o->n) {
		dr = &o->v[o->next++];
		if ((e = forms_entity(d->forms, dr->entity)) == NULL)
			continue;
		when = desk_time(dr->saved, true);
		what = dr->id ? xasprintf("%s #%u %s", desk_label(d, &e->label),
		    dr->id, e->title ? record_get(&dr->base, e->title) : "") :
		    xasprintf(_("new %s %s"), desk_label(d, &e->label),
		    e->title ? record_get(&dr->edit, e->title) : "");
		q = xasprintf(_("Restore unsaved %s (%s)? y: yes, n: discard, "
		    "Esc: later"), what, when);
		desk_ask(d, q, "yn", offer_answer, o);
		free(q);
		free(what);
		free(when);
		return;
	}
	for (size_t i = 0; i < o->n; i++)
		draft_free(&o->v[i]);
	free(o->v);
	free(o);
}

void
desk_drafts_offer(struct desk *d)
{
	struct offer *o = xcalloc(1, sizeof *o);
	int rc;

	rc = store_draft_list(d->store, d->ctx->user, &o->v, &o->n);
	if (rc != ST_OK)
		desk_store_error(d, rc);
	offer_next(d, o);
}
