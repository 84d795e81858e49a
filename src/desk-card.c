/* desk-card.c - the card: one record with everything that refers to it.
 * For a customer that is the 360 view: its fields, contacts, the timeline
 * of interactions newest first, open tickets, and a section for every
 * other entity whose form refers to customers. Every line that names a
 * record opens it with Enter. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define CARD_SECTION_MAX 100
#define CARD_LABEL_MAX 16
#define CARD_CELL_MAX 22

struct card_section {
	const struct entity *from;
	const struct field *via;	/* from's field that points here */
	struct record *recs;
	size_t n;
	size_t total;			/* all that refer, shown or not */
	size_t closed;			/* left out as closed */
};

struct card_ref {
	const struct field *field;
	uint32_t id;
	char *title;
};

struct card {
	const struct entity *entity;
	uint32_t id;
	struct record rec;
	bool loaded;
	struct card_ref *refs;
	size_t nrefs;
	struct card_section *sections;
	size_t nsections;
	size_t sel;		/* among the lines that open something */
	size_t top;		/* first row shown */
	int label_width;	/* of the widest label; 0: not measured */
};

/* Sections that show only what is still open. */
static const struct {
	const char *entity;
	const char *field;
	const char *closed[3];
} card_open_only[] = {
	{ "ticket", "status", { "resolved", "closed", NULL } },
};

static bool
card_is_closed(const struct entity *e, const struct record *r)
{
	for (size_t i = 0; i < sizeof card_open_only / sizeof *card_open_only;
	    i++) {
		const char *v;

		if (strcmp(card_open_only[i].entity, e->name) != 0)
			continue;
		v = record_get(r, card_open_only[i].field);
		for (size_t j = 0; card_open_only[i].closed[j] != NULL; j++) {
			if (strcmp(v, card_open_only[i].closed[j]) == 0)
				return true;
		}
	}
	return false;
}

static void
card_clear(struct card *c)
{
	record_free(&c->rec);
	for (size_t i = 0; i < c->nrefs; i++)
		free(c->refs[i].title);
	free(c->refs);
	for (size_t i = 0; i < c->nsections; i++) {
		for (size_t j = 0; j < c->sections[i].n; j++)
			record_free(&c->sections[i].recs[j]);
		free(c->sections[i].recs);
	}
	free(c->sections);
	c->refs = NULL;
	c->sections = NULL;
	c->nrefs = c->nsections = 0;
	c->loaded = false;
}

/* Newest first: by the first list field when it is a date, else by id. */
static const struct field *
card_sort_field(const struct entity *e)
{
	const struct field *f;

	if (e->list.n == 0 || (f = entity_field(e, e->list.v[0])) == NULL)
		return NULL;
	return f->type == FT_DATE || f->type == FT_DATETIME ? f : NULL;
}

static const struct field *card_sorting;

static int
card_cmp_newest(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	int c = 0;

	if (card_sorting != NULL)
		c = strcmp(record_get(y, card_sorting->name),
		    record_get(x, card_sorting->name));
	if (c == 0)
		c = x->id < y->id ? 1 : x->id > y->id ? -1 : 0;
	return c;
}

static int
card_load_section(struct store *s, struct txn *t, struct card *c,
    struct card_section *sec)
{
	uint32_t *ids;
	size_t n, from;
	int rc;

	if ((rc = store_referrers(s, t, sec->via, c->id, &ids, &n)) != ST_OK)
		return rc;
	sec->total = n;
	from = n > CARD_SECTION_MAX ? n - CARD_SECTION_MAX : 0;
	sec->recs = xcalloc(n - from + 1, sizeof *sec->recs);
	for (size_t i = n; i > from && rc == ST_OK; i--) {
		struct record r;

		rc = store_get(s, t, sec->from, ids[i - 1], &r);
		if (rc == ST_NOTFOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc != ST_OK)
			break;
		if (card_is_closed(sec->from, &r)) {
			sec->closed++;
			record_free(&r);
			continue;
		}
		sec->recs[sec->n++] = r;
	}
	free(ids);
	card_sorting = card_sort_field(sec->from);
	qsort(sec->recs, sec->n, sizeof *sec->recs, card_cmp_newest);
	return rc;
}

struct card_run {
	struct desk *desk;
	struct card *card;
};

/* Who the caller is, what was said, what is open; the rest after. */
static const char *const card_first_sections[] = {
	"contact", "interaction", "ticket", NULL
};

static size_t
card_section_rank(const struct forms *forms, const struct card_section *sec)
{
	size_t i;

	for (i = 0; card_first_sections[i] != NULL; i++) {
		if (strcmp(sec->from->name, card_first_sections[i]) == 0)
			return i;
	}
	return i + (size_t)(sec->from - forms->entities);
}

static void
card_order_sections(const struct forms *forms, struct card *c)
{
	for (size_t i = 1; i < c->nsections; i++) {
		struct card_section key = c->sections[i];
		size_t j = i;

		while (j > 0 && card_section_rank(forms, &c->sections[j - 1]) >
		    card_section_rank(forms, &key)) {
			c->sections[j] = c->sections[j - 1];
			j--;
		}
		c->sections[j] = key;
	}
}

static int
card_load_refs(struct store *s, struct txn *t, struct desk *d,
    struct card *c)
{
	const struct entity *e = c->entity;

	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		struct card_ref *ref;
		struct record r;
		uint32_t id;
		int rc;

		if (f->type != FT_REF || !field_readable(f, d->ctx->role) ||
		    !cmd_parse_id(record_get(&c->rec, f->name), &id))
			continue;
		c->refs = xreallocarray(c->refs, c->nrefs + 1,
		    sizeof *c->refs);
		ref = &c->refs[c->nrefs++];
		ref->field = f;
		ref->id = id;
		ref->title = NULL;
		rc = store_get(s, t, f->ref_entity, id, &r);
		if (rc == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		if (f->ref_entity->title != NULL)
			ref->title = xstrdup(record_get(&r,
			    f->ref_entity->title));
		record_free(&r);
	}
	return ST_OK;
}

static int
card_txn(struct store *s, struct txn *t, void *arg)
{
	struct card_run *cr = arg;
	struct card *c = cr->card;
	const struct forms *forms = cr->desk->forms;
	int rc;

	card_clear(c);
	if ((rc = store_get(s, t, c->entity, c->id, &c->rec)) != ST_OK)
		return rc;
	if ((rc = card_load_refs(s, t, cr->desk, c)) != ST_OK)
		return rc;
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *from = &forms->entities[i];

		if (!entity_readable(from, cr->desk->ctx->role))
			continue;
		for (size_t j = 0; j < from->nfields; j++) {
			const struct field *f = &from->fields[j];
			struct card_section *sec;

			if (f->type != FT_REF || f->ref_entity != c->entity)
				continue;
			c->sections = xreallocarray(c->sections,
			    c->nsections + 1, sizeof *c->sections);
			sec = &c->sections[c->nsections++];
			memset(sec, 0, sizeof *sec);
			sec->from = from;
			sec->via = f;
			if ((rc = card_load_section(s, t, c, sec)) != ST_OK)
				return rc;
		}
	}
	card_order_sections(forms, c);
	c->loaded = true;
	return ST_OK;
}

static void
card_load(struct desk *d, struct card *c)
{
	struct card_run cr = { d, c };
	int rc = store_run(d->store, card_txn, &cr);

	if (rc == ST_NOTFOUND) {
		card_clear(c);
		desk_error(d, _("%s %u no longer exists."),
		    desk_label(d, &c->entity->label), c->id);
	} else if (rc != ST_OK) {
		card_clear(c);
		desk_store_error(d, rc);
	}
}

/* ---- rows ----------------------------------------------------------- */

enum card_row_kind {
	CR_TITLE,
	CR_FIELDS,	/* a and b: field indexes (b may be none) */
	CR_NOTE,	/* a: field index, b: line of it */
	CR_REF,		/* a: ref index */
	CR_BLANK,
	CR_SECTION,	/* a: section */
	CR_ITEM,	/* a: section, b: record */
	CR_NONE,	/* a: section with nothing to show */
	CR_EMPTY	/* the sections with nothing at all */
};

struct card_row {
	enum card_row_kind kind;
	size_t a;
	size_t b;
	long pick;	/* index among openable rows, or -1 */
};

struct card_rows {
	struct card_row *v;
	size_t n;
	size_t picks;
};

static void
rows_add(struct card_rows *rs, enum card_row_kind kind, size_t a, size_t b)
{
	bool openable = kind == CR_REF || kind == CR_ITEM;

	rs->v = xreallocarray(rs->v, rs->n + 1, sizeof *rs->v);
	rs->v[rs->n].kind = kind;
	rs->v[rs->n].a = a;
	rs->v[rs->n].b = b;
	rs->v[rs->n].pick = openable ? (long)rs->picks++ : -1;
	rs->n++;
}

static bool
card_shows_field(struct desk *d, const struct card *c,
    const struct field *f)
{
	return field_readable(f, d->ctx->role) && f->type != FT_REF &&
	    f->type != FT_LONGTEXT && *record_get(&c->rec, f->name) != '\0' &&
	    (c->entity->title == NULL || strcmp(f->name, c->entity->title));
}

static size_t
card_note_lines(const char *v)
{
	size_t n = 1;

	for (; *v != '\0'; v++)
		n += *v == '\n';
	return n > 4 ? 4 : n;
}

static void
card_build_rows(struct desk *d, struct card *c, struct card_rows *rs)
{
	const struct entity *e = c->entity;
	size_t per_row = COLS >= 100 ? 3 : 2, in_row = 0;

	memset(rs, 0, sizeof *rs);
	rows_add(rs, CR_TITLE, 0, 0);
	/* A grid row starts at field a and holds the next per_row shown. */
	for (size_t i = 0; i < e->nfields; i++) {
		if (!card_shows_field(d, c, &e->fields[i]))
			continue;
		if (in_row == 0)
			rows_add(rs, CR_FIELDS, i, 0);
		in_row = (in_row + 1) % per_row;
	}
	for (size_t i = 0; i < c->nrefs; i++)
		rows_add(rs, CR_REF, i, 0);
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *v = record_get(&c->rec, f->name);

		if (f->type != FT_LONGTEXT || *v == '\0' ||
		    !field_readable(f, d->ctx->role))
			continue;
		for (size_t j = 0; j < card_note_lines(v); j++)
			rows_add(rs, CR_NOTE, i, j);
	}
	for (size_t s = 0; s < c->nsections; s++) {
		if (c->sections[s].n == 0 && c->sections[s].closed == 0)
			continue;
		rows_add(rs, CR_BLANK, 0, 0);
		rows_add(rs, CR_SECTION, s, 0);
		for (size_t j = 0; j < c->sections[s].n; j++)
			rows_add(rs, CR_ITEM, s, j);
		if (c->sections[s].n == 0)
			rows_add(rs, CR_NONE, s, 0);
	}
	for (size_t s = 0; s < c->nsections; s++) {
		if (c->sections[s].n == 0 && c->sections[s].closed == 0) {
			rows_add(rs, CR_BLANK, 0, 0);
			rows_add(rs, CR_EMPTY, 0, 0);
			break;
		}
	}
}

/* One line for every section with nothing in it. */
static void
card_draw_empty(struct desk *d, struct card *c, int y)
{
	struct strv names;
	char *list, *line;

	strv_init(&names);
	for (size_t s = 0; s < c->nsections; s++) {
		if (c->sections[s].n == 0 && c->sections[s].closed == 0)
			strv_push(&names, desk_label(d,
			    &c->sections[s].from->label));
	}
	list = strv_join(&names, _(", "));
	line = xasprintf(_("None yet: %s"), list);
	desk_put(d, y, 1, COLS - 2, line, DA_DIM);
	free(line);
	free(list);
	strv_free(&names);
}

/* ---- drawing -------------------------------------------------------- */

static void
card_draw_title(struct desk *d, struct card *c, int y)
{
	const struct entity *e = c->entity;
	const char *title = e->title ? record_get(&c->rec, e->title) : "";
	const char *sub = e->subtitle ? record_get(&c->rec, e->subtitle) : "";
	const struct field *sf = e->subtitle ? entity_field(e, e->subtitle) :
	    NULL;
	char *subv = sf && sf->type != FT_REF ? desk_value(d, sf, sub) :
	    xstrdup("");
	char *head = xasprintf("%s #%u  %s%s%s", desk_label(d, &e->label),
	    c->id, title, *subv ? "  ·  " : "", subv);
	char *when = desk_time(c->rec.updated, true);
	char *ver = xasprintf(_("v%u · %s · %s"), c->rec.version, when,
	    c->rec.updated_by ? c->rec.updated_by : "");
	int vw;

	vw = (int)utf8_width(ver);
	desk_put(d, y, 1, COLS - vw - 4, head, DA_TITLE);
	desk_put(d, y, COLS - vw - 1, vw, ver, DA_DIM);
	free(when);
	free(ver);
	free(head);
	free(subv);
}

static int
card_label_width(struct desk *d, const struct entity *e)
{
	size_t w = 0;

	for (size_t i = 0; i < e->nfields; i++) {
		size_t lw = utf8_width(desk_label(d, &e->fields[i].label));

		w = lw > w ? lw : w;
	}
	return w > CARD_LABEL_MAX ? CARD_LABEL_MAX : (int)w;
}

/* Measured once per card: every field, note and reference uses it. */
static int
card_lw(struct desk *d, struct card *c)
{
	if (c->label_width == 0)
		c->label_width = card_label_width(d, c->entity);
	return c->label_width;
}

static void
card_draw_field(struct desk *d, struct card *c, const struct field *f,
    int y, int x, int width)
{
	int lw = card_lw(d, c);
	char *v = desk_value(d, f, record_get(&c->rec, f->name));

	desk_put(d, y, x, lw, desk_label(d, &f->label), DA_LABEL);
	desk_put(d, y, x + lw + 1, width - lw - 2, v, DA_NORMAL);
	free(v);
}

static void
card_draw_fields(struct desk *d, struct card *c, const struct card_row *r,
    int y)
{
	const struct entity *e = c->entity;
	size_t per_row = COLS >= 100 ? 3 : 2, done = 0;
	int cw = (COLS - 2) / (int)per_row;

	for (size_t i = r->a; i < e->nfields && done < per_row; i++) {
		if (!card_shows_field(d, c, &e->fields[i]))
			continue;
		card_draw_field(d, c, &e->fields[i], y, 1 + (int)done * cw,
		    cw);
		done++;
	}
}

static void
card_draw_note(struct desk *d, struct card *c, const struct card_row *r,
    int y)
{
	const struct field *f = &c->entity->fields[r->a];
	const char *v = record_get(&c->rec, f->name), *end;
	int lw = card_lw(d, c);
	char *line;

	for (size_t j = 0; j < r->b && v != NULL; j++)
		v = (v = strchr(v, '\n')) ? v + 1 : NULL;
	if (v == NULL)
		return;
	end = strchr(v, '\n');
	line = end ? xstrndup(v, (size_t)(end - v)) : xstrdup(v);
	if (r->b == 0)
		desk_put(d, y, 1, lw, desk_label(d, &f->label), DA_LABEL);
	desk_put(d, y, 2 + lw, COLS - lw - 3, line, DA_NORMAL);
	free(line);
}

static void
card_draw_ref(struct desk *d, struct card *c, const struct card_row *r,
    int y, bool sel)
{
	const struct card_ref *ref = &c->refs[r->a];
	enum desk_attr a = sel ? DA_SELECT : DA_NORMAL;
	int lw = card_lw(d, c);
	char *text = xasprintf("→ %s #%u  %s",
	    desk_label(d, &ref->field->ref_entity->label), ref->id,
	    ref->title ? ref->title : _("(missing)"));

	desk_fill(d, y, 0, COLS, a);
	desk_put(d, y, 1, lw, desk_label(d, &ref->field->label),
	    sel ? a : DA_LABEL);
	desk_put(d, y, 2 + lw, COLS - lw - 3, text, a);
	free(text);
}

static void
card_draw_section(struct desk *d, struct card *c, size_t s, int y)
{
	const struct card_section *sec = &c->sections[s];
	char *head;

	if (sec->closed > 0)
		head = xasprintf(_("%s: %zu open (%zu closed not shown)"),
		    desk_label(d, &sec->from->label), sec->n, sec->closed);
	else if (sec->total > sec->n)
		head = xasprintf(_("%s: newest %zu of %zu"),
		    desk_label(d, &sec->from->label), sec->n, sec->total);
	else
		head = xasprintf("%s (%zu)", desk_label(d, &sec->from->label),
		    sec->n);
	desk_put(d, y, 1, COLS - 2, head, DA_HEADER);
	free(head);
}

/* The cells of an item: its entity's list fields (without the one that
 * points back here), and its text when it has no title. */
static void
card_item_cells(struct desk *d, const struct card_section *sec,
    const struct record *r, struct strv *cells)
{
	const struct entity *e = sec->from;
	const char *title = e->title ? record_get(r, e->title) : "";

	strv_init(cells);
	for (size_t i = 0; i < e->list.n; i++) {
		const struct field *f = entity_field(e, e->list.v[i]);

		if (f == NULL || f == sec->via ||
		    !field_readable(f, d->ctx->role))
			continue;
		if (f->type == FT_REF) {
			const char *v = record_get(r, f->name);

			strv_pushf(cells, "%s%s", *v ? "#" : "", v);
		} else {
			char *v = desk_value(d, f, record_get(r, f->name));

			strv_push(cells, v);
			free(v);
		}
	}
	if (*title == '\0') {
		for (size_t i = 0; i < e->nfields; i++) {
			const char *v = record_get(r, e->fields[i].name);

			if (e->fields[i].type == FT_LONGTEXT && *v != '\0') {
				size_t n = strcspn(v, "\n");
				char *line = xstrndup(v, n);

				strv_push(cells, line);
				free(line);
				break;
			}
		}
	}
}

static void
card_column_widths(struct desk *d, const struct card_section *sec,
    int *w, size_t max)
{
	for (size_t i = 0; i < max; i++)
		w[i] = 0;
	for (size_t j = 0; j < sec->n; j++) {
		struct strv cells;

		card_item_cells(d, sec, &sec->recs[j], &cells);
		for (size_t i = 0; i < cells.n && i < max; i++) {
			int cw = (int)utf8_width(cells.v[i]);

			if (cw > CARD_CELL_MAX)
				cw = CARD_CELL_MAX;
			w[i] = cw > w[i] ? cw : w[i];
		}
		strv_free(&cells);
	}
}

static void
card_draw_item(struct desk *d, struct card *c, const struct card_row *r,
    int y, bool sel, const int *w)
{
	const struct card_section *sec = &c->sections[r->a];
	enum desk_attr a = sel ? DA_SELECT : DA_NORMAL;
	struct strv cells;
	int x = 3;

	card_item_cells(d, sec, &sec->recs[r->b], &cells);
	desk_fill(d, y, 0, COLS, a);
	for (size_t i = 0; i < cells.n && x < COLS - 1; i++) {
		int cw = i + 1 == cells.n || i >= 16 ? COLS - 1 - x : w[i];

		desk_put(d, y, x, cw, cells.v[i], a);
		x += cw + 2;
	}
	strv_free(&cells);
}

static long
card_row_of_pick(const struct card_rows *rs, size_t pick)
{
	for (size_t i = 0; i < rs->n; i++) {
		if (rs->v[i].pick == (long)pick)
			return (long)i;
	}
	return -1;
}

static void
card_draw(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	int top = desk_body_top(), height = desk_body_rows();
	struct card_rows rs;
	int widths[17];
	long selrow;
	size_t wsec = (size_t)-1;

	if (!c->loaded) {
		desk_put(d, top + 1, 2, COLS - 4, _("(nothing to show: Esc "
		    "goes back)"), DA_DIM);
		return;
	}
	card_build_rows(d, c, &rs);
	if (c->sel >= rs.picks)
		c->sel = rs.picks ? rs.picks - 1 : 0;
	selrow = rs.picks ? card_row_of_pick(&rs, c->sel) : 0;
	/* The title stays; rows top + 1 .. top + height - 1 show, scrolled
	 * as little as keeps the selection among them. */
	if (c->sel == 0 || selrow < 0)
		c->top = 0;
	else if ((size_t)selrow < c->top + 1)
		c->top = (size_t)selrow - 1;
	else if ((size_t)selrow > c->top + (size_t)height - 1)
		c->top = (size_t)selrow + 1 - (size_t)height;
	if (c->sel == 0 && selrow >= height)
		c->top = (size_t)selrow + 1 - (size_t)height;
	card_draw_title(d, c, top);
	for (size_t i = c->top + 1, y = (size_t)top + 1;
	    i < rs.n && y < (size_t)(top + height); i++, y++) {
		const struct card_row *r = &rs.v[i];
		bool sel = r->pick >= 0 && (size_t)r->pick == c->sel;

		switch (r->kind) {
		case CR_FIELDS:
			card_draw_fields(d, c, r, (int)y);
			break;
		case CR_NOTE:
			card_draw_note(d, c, r, (int)y);
			break;
		case CR_REF:
			card_draw_ref(d, c, r, (int)y, sel);
			break;
		case CR_SECTION:
			card_draw_section(d, c, r->a, (int)y);
			break;
		case CR_ITEM:
			if (wsec != r->a) {
				card_column_widths(d, &c->sections[r->a],
				    widths, 17);
				wsec = r->a;
			}
			card_draw_item(d, c, r, (int)y, sel, widths);
			break;
		case CR_NONE:
			desk_put(d, (int)y, 3, COLS - 4, _("none"), DA_DIM);
			break;
		case CR_EMPTY:
			card_draw_empty(d, c, (int)y);
			break;
		default:
			break;
		}
	}
	free(rs.v);
}

/* ---- actions -------------------------------------------------------- */

static void
card_move(struct desk *d, struct desk_screen *s, long by)
{
	struct card *c = s->data;
	struct card_rows rs;
	long to = (long)c->sel + by;

	card_build_rows(d, c, &rs);
	free(rs.v);
	if (rs.picks == 0)
		return;
	if (to < 0)
		to = 0;
	if (to >= (long)rs.picks)
		to = (long)rs.picks - 1;
	c->sel = (size_t)to;
}

#define CARD_MOVE(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ card_move(d, s, by); }
CARD_MOVE(card_down, 1)
CARD_MOVE(card_up, -1)
CARD_MOVE(card_page_down, desk_body_rows() - 2)
CARD_MOVE(card_page_up, -(desk_body_rows() - 2))
CARD_MOVE(card_first, -1000000)
CARD_MOVE(card_last, 1000000)

/* Jump to the first line of the next (dir 1) or previous section. */
static void
card_section_jump(struct desk *d, struct desk_screen *s, int dir)
{
	struct card *c = s->data;
	struct card_rows rs;
	long row, i, cur_section = -1;

	card_build_rows(d, c, &rs);
	row = card_row_of_pick(&rs, c->sel);
	if (row >= 0 && rs.v[row].kind == CR_ITEM)
		cur_section = (long)rs.v[row].a;
	for (i = row + dir; i >= 0 && i < (long)rs.n; i += dir) {
		const struct card_row *r = &rs.v[i];

		if (r->kind == CR_ITEM && (long)r->a != cur_section &&
		    (dir > 0 || r->b == 0)) {
			c->sel = (size_t)r->pick;
			break;
		}
	}
	free(rs.v);
}

static void
card_next_section(struct desk *d, struct desk_screen *s)
{
	card_section_jump(d, s, 1);
}

static void
card_prev_section(struct desk *d, struct desk_screen *s)
{
	card_section_jump(d, s, -1);
}

static void
card_open(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	struct card_rows rs;
	long row;

	card_build_rows(d, c, &rs);
	row = rs.picks ? card_row_of_pick(&rs, c->sel) : -1;
	if (row < 0)
		desk_error(d, "%s", _("Nothing here to open."));
	else if (rs.v[row].kind == CR_REF)
		desk_card_open(d, c->refs[rs.v[row].a].field->ref_entity,
		    c->refs[rs.v[row].a].id);
	else {
		const struct card_section *sec = &c->sections[rs.v[row].a];

		desk_card_open(d, sec->from, sec->recs[rs.v[row].b].id);
	}
	free(rs.v);
}

static void
card_edit(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;

	if (c->loaded)
		desk_form_edit(d, c->entity, c->id);
}

static void
card_back(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_pop(d);
}

static void
card_reload(struct desk *d, struct desk_screen *s)
{
	card_load(d, s->data);
}

/*
 * Values a new record of `to` takes from this card: its references to
 * this record, and to whatever this record itself refers to (a call
 * logged on a contact's card belongs to the contact's customer too).
 */
static void
card_preset(struct card *c, const struct entity *to, struct record *r)
{
	char id[16];

	record_init(r);
	snprintf(id, sizeof id, "%u", c->id);
	for (size_t i = 0; i < to->nfields; i++) {
		const struct field *f = &to->fields[i];

		if (f->type != FT_REF)
			continue;
		if (f->ref_entity == c->entity) {
			record_set(r, f->name, id);
			continue;
		}
		for (size_t j = 0; j < c->nrefs; j++) {
			if (c->refs[j].field->ref_entity == f->ref_entity) {
				char rid[16];

				snprintf(rid, sizeof rid, "%u", c->refs[j].id);
				record_set(r, f->name, rid);
			}
		}
	}
}

static bool
card_relates(const struct card *c, const struct entity *to)
{
	for (size_t i = 0; i < to->nfields; i++) {
		const struct field *f = &to->fields[i];

		if (f->type != FT_REF)
			continue;
		if (f->ref_entity == c->entity)
			return true;
		for (size_t j = 0; j < c->nrefs; j++) {
			if (c->refs[j].field->ref_entity == f->ref_entity &&
			    f->required)
				return true;
		}
	}
	return false;
}

static void
card_new_of(struct desk *d, struct card *c, const struct entity *e,
    bool log_call)
{
	struct desk_form_opts o = { NULL, log_call, NULL, NULL, false };
	struct record preset;

	card_preset(c, e, &preset);
	if (log_call) {
		record_set(&preset, "agent", d->ctx->user);
		record_set(&preset, "channel", "call");
		record_set(&preset, "direction", "inbound");
		record_set(&preset, "started", "now");
	}
	o.preset = &preset;
	desk_form_new(d, e, &o);
	record_free(&preset);
}

static void
card_log_call(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	const struct entity *e = forms_entity(d->forms, "interaction");
	uint32_t popped;

	if (!c->loaded || e == NULL || !card_relates(c, e)) {
		desk_error(d, "%s", _("Calls are logged on a customer's or a "
		    "contact's card."));
		return;
	}
	/* A call that popped this card is already an interaction: the
	 * outcome and the note go on it, not on a second one. */
	if (strcmp(c->entity->name, "customer") == 0 &&
	    (popped = desk_pop_interaction(d, c->id)) != 0) {
		desk_form_log_call(d, e, popped);
		return;
	}
	card_new_of(d, c, e, true);
}

static void
card_new_ticket(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	const struct entity *e = forms_entity(d->forms, "ticket");

	if (!c->loaded || e == NULL || !card_relates(c, e)) {
		desk_error(d, "%s", _("Tickets are opened on a customer's "
		    "card."));
		return;
	}
	card_new_of(d, c, e, false);
}

/* The number to call back: the card's first phone. */
static void
card_preset_phone(struct card *c, struct record *r)
{
	const char *ph = record_get(&c->rec, "phones");
	char *first;

	if (*ph == '\0')
		ph = record_get(&c->rec, "phone");
	first = xstrndup(ph, strcspn(ph, "\n"));
	if (*first != '\0')
		record_set(r, "phone", first);
	free(first);
}

/* A callback for this card's customer: for me, or for anyone in my
 * queue; the form then asks when. */
static void
card_callback_for(struct desk *d, void *arg, int answer)
{
	struct desk_screen *s = arg;
	const struct entity *e = forms_entity(d->forms, "callback");
	const struct svc_queue **mine = desk_my_queues(d);
	struct desk_form_opts o = { NULL, false, NULL, NULL, false };
	struct record preset;

	if ((answer != 'm' && answer != 'q') || d->top != s || e == NULL)
		return;
	card_preset(s->data, e, &preset);
	card_preset_phone(s->data, &preset);
	if (answer == 'q' && mine[0] != NULL)
		record_set(&preset, "queue", mine[0]->name);
	else
		record_set(&preset, "assignee", d->ctx->user);
	record_set(&preset, "status", "pending");
	o.preset = &preset;
	desk_form_new(d, e, &o);
	record_free(&preset);
}

static void
card_callback(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	const struct entity *e = forms_entity(d->forms, "callback");
	const struct svc_queue **mine = desk_my_queues(d);
	const char *qn;
	char *q;

	if (!c->loaded || e == NULL || !card_relates(c, e)) {
		desk_error(d, "%s", _("Callbacks are made on a customer's or a "
		    "contact's card."));
		return;
	}
	if (mine[0] == NULL) {
		card_callback_for(d, s, 'm');
		return;
	}
	qn = desk_label(d, &mine[0]->label) ? desk_label(d, &mine[0]->label) :
	    mine[0]->name;
	q = xasprintf(_("Callback for: m me, q anyone in queue %s, Esc: "
	    "none"), qn);
	desk_ask(d, q, "mq", card_callback_for, s);
	free(q);
}

struct card_new_pick {
	struct desk_screen *screen;
};

static void
card_new_picked(struct desk *d, void *arg, const char *value)
{
	struct desk_screen *s = arg;
	const struct entity *e;

	if (value == NULL || d->top != s ||
	    (e = forms_entity(d->forms, value)) == NULL)
		return;
	card_new_of(d, s->data, e, false);
}

static void
card_new(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;
	struct desk_pick_item *items = NULL;
	size_t n = 0;

	if (!c->loaded)
		return;
	for (size_t i = 0; i < d->forms->n; i++) {
		const struct entity *e = &d->forms->entities[i];

		if (!card_relates(c, e) || !entity_writable(e, d->ctx->role))
			continue;
		items = xreallocarray(items, n + 1, sizeof *items);
		items[n].label = xstrdup(desk_label(d, &e->label));
		items[n].value = xstrdup(e->name);
		items[n].key = NULL;
		n++;
	}
	if (n == 0) {
		desk_error(d, "%s", _("Nothing can be added here."));
		return;
	}
	desk_pick_open(d, _("New record for this card"), items, n, "",
	    card_new_picked, s);
}

static const struct desk_action card_actions[] = {
	{ "open", N_("Open"), N_("open the selected record"), card_open },
	{ "log-call", N_("Log call"), N_("log a call: a new interaction, "
	  "filled in"), card_log_call },
	{ "edit", N_("Edit"), N_("edit this record"), card_edit },
	{ "new", N_("New"), N_("add a related record (contact, ticket, "
	  "order...)"), card_new },
	{ "new-ticket", N_("Ticket"), N_("open a new ticket"),
	  card_new_ticket },
	{ "callback", N_("Callback"), N_("schedule a callback, for me or "
	  "for my queue"), card_callback },
	{ "back", N_("Back"), N_("go back"), card_back },
	{ "reload", N_("Reload"), N_("read the record again"), card_reload },
	{ "down", N_("Down"), N_("next line"), card_down },
	{ "up", N_("Up"), N_("previous line"), card_up },
	{ "page-down", N_("Page"), N_("a page down"), card_page_down },
	{ "page-up", N_("Page"), N_("a page up"), card_page_up },
	{ "first", N_("First"), N_("first line"), card_first },
	{ "last", N_("Last"), N_("last line"), card_last },
	{ "next-section", N_("Section"), N_("next section"),
	  card_next_section },
	{ "previous-section", N_("Section"), N_("previous section"),
	  card_prev_section },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding card_bindings[] = {
	{ DK_ENTER, "open", true },
	{ 'c', "log-call", true },
	{ 'e', "edit", true },
	{ 'n', "new", true },
	{ 't', "new-ticket", false },
	{ 'b', "callback", false },
	{ DK_ESC, "back", true },
	{ 'q', "back", false },
	{ DK(KEY_LEFT), "back", false },
	{ 'h', "back", false },
	{ DK(KEY_RIGHT), "open", false },
	{ 'l', "open", false },
	{ 'r', "reload", false },
	{ DK(KEY_F(5)), "reload", false },
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
	{ DK_TAB, "next-section", false },
	{ DK(KEY_BTAB), "previous-section", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_card_keys = {
	"card", N_("Card"), card_actions, card_bindings
};

static void
card_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_card_keys);
	desk_keychain_add(kc, &desk_browse_keys);
}

static void
card_resume(struct desk *d, struct desk_screen *s)
{
	card_load(d, s->data);
}

static void
card_free(struct desk *d, struct desk_screen *s)
{
	struct card *c = s->data;

	(void)d;
	card_clear(c);
	free(c);
}

static const struct desk_screen_ops card_ops = {
	.name = "card",
	.keys = card_keys,
	.draw = card_draw,
	.resume = card_resume,
	.free = card_free,
};

void
desk_card_open(struct desk *d, const struct entity *e, uint32_t id)
{
	struct card *c;

	if (!entity_readable(e, d->ctx->role)) {
		desk_error(d, _("Your role may not read %s records."),
		    desk_label(d, &e->label));
		return;
	}
	c = xcalloc(1, sizeof *c);
	c->entity = e;
	c->id = id;
	record_init(&c->rec);
	desk_push(d, &card_ops, c);
	card_load(d, c);
}

void
desk_card_refresh(struct desk *d, const struct entity *e, uint32_t id)
{
	struct card *c;

	if (d->top == NULL || d->top->ops != &card_ops)
		return;
	c = d->top->data;
	if (c->entity == e && c->id == id)
		card_load(d, c);
}

const struct record *
desk_card_record(struct desk_screen *s, const struct entity **e)
{
	struct card *c;

	if (s == NULL || s->ops != &card_ops)
		return NULL;
	c = s->data;
	if (!c->loaded)
		return NULL;
	if (e != NULL)
		*e = c->entity;
	return &c->rec;
}

/* `:new ENTITY` over a card: the new record belongs to it. */
bool
desk_card_new_here(struct desk *d, const struct entity *e)
{
	struct desk_screen *s = d->top;
	struct card *c;

	if (s == NULL || s->ops != &card_ops)
		return false;
	c = s->data;
	if (!c->loaded || !card_relates(c, e))
		return false;
	card_new_of(d, c, e, false);
	return true;
}
