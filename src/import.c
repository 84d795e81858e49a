/* import.c - batch import: columns mapped to fields, every row checked by
 * the form, duplicates found by key, batches committed with a journal so
 * a killed import resumes exactly where it stopped, and every change
 * audited under the import's id so it can be reverted. */
#include "tcrm.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#define ERRORS_SHOWN 100
#define CHUNK_BYTES (8 * 1024 * 1024)
#define ROW_IGNORED ((const struct field *)-1)

struct link {
	const struct field *ref;	/* our field that holds the id */
	const struct field *key;	/* the target's field looked up */
	char *col;
};

/* --default: the value a created record gets where its row has none. */
struct fixed {
	const struct field *field;
	char *value;			/* normalised */
};

struct target {
	char *col;
	const struct field *field;	/* NULL: kept as unknown */
	char *unknown;
	int join;			/* position in A+B=field, or -1 */
	bool is_id;
	bool ignore;
	struct link *link;
};

struct pending {
	size_t line;
	struct record rec;
	struct strv linkvals;		/* parallel to importer links */
	struct row raw;			/* as read, for the reject file */
	struct strv errs;		/* why the row was refused, if it was:
					 * the reading thread checks rows, the
					 * writing one reports them in order */
	bool rejected;
};

/* A set of key hashes (0 stands for itself as 1). */
struct hashset {
	uint64_t *v;
	size_t n, size;
};

static bool
hashset_has(const struct hashset *hs, uint64_t h)
{
	if (hs->size == 0)
		return false;
	h = h ? h : 1;
	for (size_t i = h & (hs->size - 1); hs->v[i] != 0;
	    i = (i + 1) & (hs->size - 1)) {
		if (hs->v[i] == h)
			return true;
	}
	return false;
}

static void
hashset_add(struct hashset *hs, uint64_t h)
{
	h = h ? h : 1;
	if (hashset_has(hs, h))
		return;
	if ((hs->n + 1) * 2 > hs->size) {
		struct hashset bigger = { NULL, 0, hs->size ? hs->size * 2 : 64 };

		bigger.v = xcalloc(bigger.size, sizeof *bigger.v);
		for (size_t i = 0; i < hs->size; i++) {
			if (hs->v[i] != 0)
				hashset_add(&bigger, hs->v[i]);
		}
		free(hs->v);
		*hs = bigger;
	}
	for (size_t i = h & (hs->size - 1);; i = (i + 1) & (hs->size - 1)) {
		if (hs->v[i] == 0) {
			hs->v[i] = h;
			hs->n++;
			return;
		}
	}
}

static void
hashset_clear(struct hashset *hs)
{
	free(hs->v);
	memset(hs, 0, sizeof *hs);
}

struct importer {
	struct cmd_ctx *ctx;
	struct store *store;
	const struct entity *e;
	struct import_opts *o;
	struct reader *rd;
	struct source src;
	struct target *targets;
	size_t ntargets;
	struct link *links;
	size_t nlinks;
	struct fixed *defaults;
	size_t ndefaults;
	const struct field **keys;
	size_t nkeys;
	struct pending *rows;
	size_t nrows;
	struct import_stats st;
	size_t consumed;	/* rows read from the input */
	size_t skip;		/* rows an earlier run committed */
	bool started;		/* journal written */
	uint64_t fp;
	uint64_t whole;		/* every row read so far */
	json_t *finished;	/* a finished import whose first rows these are */
	json_t *dry_finished;	/* the same, seen by a dry run */
	bool already;		/* ... and whose every row: nothing to do */
	json_t *stored_by;	/* an import that stored most of this
				 * input's first rows (its own first batch
				 * fixed, or the file renamed): refused */
	size_t stored_hits, stored_sampled;
	FILE *rejects;
	bool rejects_header;
	size_t errors;
	double t0;
	double last_progress;
	int progress_width;	/* of the progress line last shown */
	off_t input_size;	/* a regular file's size, for the ETA */
	uint64_t read_offset;	/* input bytes read by the rows stored */
	/* per batch attempt */
	size_t failed;		/* index of the row that failed, or -1 */
	char *failed_why;
	struct import_stats attempt;
	/* A dry run throws each batch away: the keys of the rows it made
	 * are kept here, so a later row with the same key is still seen as
	 * a duplicate. */
	struct hashset dry_seen;
	struct hashset dry_attempt;
	struct hashset dry_ids;	/* ids this batch's thrown-away rows got */
};

#define DRY_EARLIER UINT32_MAX	/* a duplicate of a row a dry run made */
#define KEY_HASHES_MAX 8

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* One line on stderr about a place in the input ("FILE:LINE: ..."),
 * with the control characters that file names and headers may hold made
 * visible, as cmd_error does for the rest. */
static void
say(const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	out_safe(stderr, msg);
	fputc('\n', stderr);
	free(msg);
}

static void
report(struct importer *im, size_t line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	im->errors++;
	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	if (im->errors <= ERRORS_SHOWN)
		say("%s:%zu: %s", im->src.name, line, msg);
	free(msg);
}

/* Keys compared the way forms compare aliases: case, width and spacing
 * do not matter. */
static bool
same_column(const char *a, const char *b)
{
	char *ka = field_match_key(a), *kb = field_match_key(b);
	bool same = strcmp(ka, kb) == 0;

	free(ka);
	free(kb);
	return same;
}

static bool
is_reject_column(const char *col)
{
	return strcmp(col, "_reject_reason") == 0 ||
	    strcmp(col, "_reject_raw") == 0 || strcmp(col, "reject_reason") == 0;
}

/* --map 'A=field' or 'A+B=field': fills t for column col if it is named. */
static int
map_option(struct importer *im, const char *col, struct target *t)
{
	for (size_t i = 0; i < im->o->maps.n; i++) {
		const char *m = im->o->maps.v[i], *eq = strrchr(m, '=');
		struct strv cols;
		int found = -1;

		if (eq == NULL)
			continue;
		strv_init(&cols);
		{
			char *lhs = xstrndup(m, (size_t)(eq - m));

			strv_split(&cols, lhs, "+");
			free(lhs);
		}
		for (size_t j = 0; j < cols.n && found < 0; j++) {
			if (strcmp(cols.v[j], col) == 0 ||
			    same_column(cols.v[j], col))
				found = (int)j;
		}
		if (found >= 0) {
			t->field = entity_field_by_alias(im->e, eq + 1);
			t->join = cols.n > 1 ? found : -1;
			if (strcmp(eq + 1, "id") == 0) {
				t->is_id = true;
				t->field = NULL;
			}
			strv_free(&cols);
			if (t->field == NULL && !t->is_id) {
				cmd_error(im->ctx, _("--map %s: %s has no "
				    "field '%s'"), m, im->e->name, eq + 1);
				return -1;
			}
			return 1;
		}
		strv_free(&cols);
	}
	return 0;
}

static char *
unknown_name(const char *col)
{
	char *key = field_match_key(col);

	for (char *p = key; *p != '\0'; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		    (unsigned char)*p >= 0x80))
			*p = '_';
	}
	return key;
}

/* What a column feeds; decided once per distinct column name. Returns
 * NULL (with a message) when the column is refused. */
static struct target *
target_for(struct importer *im, const char *col, char **why)
{
	struct target *t;
	int rc;

	*why = NULL;
	for (size_t i = 0; i < im->ntargets; i++) {
		if (strcmp(im->targets[i].col, col) == 0)
			return &im->targets[i];
	}
	im->targets = xreallocarray(im->targets, im->ntargets + 1,
	    sizeof *im->targets);
	t = &im->targets[im->ntargets];
	memset(t, 0, sizeof *t);
	t->col = xstrdup(col);
	t->join = -1;
	for (size_t i = 0; i < im->nlinks; i++) {
		if (strcmp(im->links[i].col, col) == 0 ||
		    same_column(im->links[i].col, col))
			t->link = &im->links[i];
	}
	for (size_t i = 0; i < im->o->ignores.n && !t->ignore; i++)
		t->ignore = strcmp(im->o->ignores.v[i], col) == 0 ||
		    same_column(im->o->ignores.v[i], col);
	if (t->link != NULL || t->ignore || is_reject_column(col) ||
	    *col == '\0')
		t->ignore = true;
	else if ((rc = map_option(im, col, t)) < 0) {
		*why = xstrdup("bad --map");
		free(t->col);
		return NULL;
	} else if (rc == 0) {
		if (strcmp(col, "id") == 0)
			t->is_id = true;
		else if ((t->field = entity_field_by_alias(im->e, col)) == NULL) {
			if (!im->o->keep_unknown) {
				*why = xasprintf(_("column \"%s\" matches no "
				    "field of %s (map it with --map "
				    "'%s=FIELD', keep it with --keep-unknown, "
				    "or --ignore it)"),
				    col, im->e->name, col);
				free(t->col);
				return NULL;
			}
			t->unknown = unknown_name(col);
		}
	}
	im->ntargets++;
	return t;
}

static bool
field_is_list(const struct field *f)
{
	return f->type == FT_PHONES || f->type == FT_LONGTEXT;
}

/* "First" + "Last" joined with a space, but 欧阳 + 娜娜 with none. */
static bool
joins_without_space(const char *left, const char *right)
{
	size_t n = strlen(left);
	int32_t a = -1, b = -1;
	size_t back = n;

	while (back > 0 && ((unsigned char)left[back - 1] & 0xc0) == 0x80)
		back--;
	if (back > 0)
		back--;
	if (n > 0)
		utf8_decode(left + back, n - back, &a);
	if (*right != '\0')
		utf8_decode(right, strlen(right), &b);
	return a > 0 && b > 0 && utf8_cpwidth(a) == 2 && utf8_cpwidth(b) == 2;
}

struct piece {
	const struct field *field;
	int join;
	size_t col;		/* 1-based column, for messages */
	const char *colname;
	const char *value;
};

static int
piece_cmp(const void *a, const void *b)
{
	const struct piece *x = a, *y = b;

	if (x->field != y->field)
		return x->field < y->field ? -1 : 1;
	if (x->join != y->join)
		return x->join < y->join ? -1 : 1;
	return x->col < y->col ? -1 : x->col > y->col;
}

static int
set_field(struct importer *im, struct pending *p, struct piece *first,
    const char *value)
{
	const struct field *f = first->field;
	char *out = NULL, *why = NULL;

	if ((f->write_roles & im->ctx->role) == 0) {
		strv_pushf(&p->errs, _("column \"%s\" (%zu): your role may not "
		    "write %s"), first->colname, first->col, f->name);
		return -1;
	}
	if (field_normalise(f, value, &out, &why) != 0) {
		strv_pushf(&p->errs, _("column \"%s\" (%zu): %s"),
		    first->colname, first->col, why);
		free(why);
		return -1;
	}
	record_set(&p->rec, f->name, out);
	free(out);
	return 0;
}

/* Several columns for one field: lists take them all, A+B joins; two
 * plain columns for one single-valued field take the first non-empty. */
static int
assemble(struct importer *im, struct pending *p, struct piece *pc, size_t n)
{
	int bad = 0;

	qsort(pc, n, sizeof *pc, piece_cmp);
	for (size_t i = 0; i < n; ) {
		size_t j = i;
		struct buf v;

		buf_init(&v);
		for (; j < n && pc[j].field == pc[i].field; j++) {
			const char *val = pc[j].value;

			if (*val == '\0')
				continue;
			if (v.len == 0)
				buf_adds(&v, val);
			else if (field_is_list(pc[i].field))
				buf_printf(&v, "\n%s", val);
			else if (pc[j].join >= 0) {
				if (!joins_without_space(v.data, val))
					buf_addc(&v, ' ');
				buf_adds(&v, val);
			}
		}
		if (set_field(im, p, &pc[i], v.data ? v.data : "") != 0)
			bad = -1;
		buf_free(&v);
		i = j;
	}
	return bad;
}

static bool
has_default(const struct importer *im, const struct field *f)
{
	for (size_t i = 0; i < im->ndefaults; i++) {
		if (im->defaults[i].field == f && *im->defaults[i].value)
			return true;
	}
	return false;
}

/* Where the row left a field empty; never over an existing record's
 * value, so only for the records an import creates. */
static void
fill_defaults(const struct importer *im, struct record *r)
{
	for (size_t i = 0; i < im->ndefaults; i++) {
		const char *name = im->defaults[i].field->name;

		if (*record_get(r, name) == '\0')
			record_set(r, name, im->defaults[i].value);
	}
}

static int
check_required(struct importer *im, struct pending *p)
{
	for (size_t i = 0; i < im->e->nfields; i++) {
		const struct field *f = &im->e->fields[i];

		bool linked = false;

		for (size_t k = 0; k < im->nlinks; k++)
			linked = linked || (im->links[k].ref == f &&
			    *p->linkvals.v[k] != '\0');
		if (f->required && f->def == NULL && !linked &&
		    !has_default(im, f) &&
		    *record_get(&p->rec, f->name) == '\0') {
			strv_pushf(&p->errs, _("%s: a value is required"),
			    f->name);
			return -1;
		}
	}
	return 0;
}

/* A column --keep-unknown keeps is text of any length and lines, but
 * no more than that: no terminal's control characters. */
static int
keep_unknown(struct pending *p, const struct target *t, size_t col,
    const char *val)
{
	static const struct field kept = { .name = (char *)"kept",
	    .type = FT_LONGTEXT };
	char *out = NULL, *why = NULL;

	if (field_normalise(&kept, val, &out, &why) != 0) {
		strv_pushf(&p->errs, _("column \"%s\" (%zu): %s"), t->col,
		    col, why);
		free(why);
		return -1;
	}
	record_set(&p->rec, t->unknown, out);
	free(out);
	return 0;
}

/* Turn one input row into a record, or report why it cannot be. */
static int
prepare(struct importer *im, struct row *row, struct pending *p)
{
	const struct strv *header = reader_header(im->rd);
	struct piece *pc = xcalloc(row->cols.n + 1, sizeof *pc);
	size_t npc = 0;
	int bad = 0;

	record_init(&p->rec);
	strv_init(&p->linkvals);
	for (size_t i = 0; i < im->nlinks; i++)
		strv_push(&p->linkvals, "");
	p->line = row->line;
	if (row->error != NULL) {
		strv_pushf(&p->errs, "%s", row->error);
		bad = -1;
	} else if (header != NULL && row->vals.n != header->n) {
		strv_pushf(&p->errs, _("%zu cells, but the header has %zu"),
		    row->vals.n, header->n);
		bad = -1;
	}
	for (size_t i = 0; i < row->cols.n && bad == 0; i++) {
		const char *val = row->vals.v[i];
		struct target *t;
		char *why;

		if ((t = target_for(im, row->cols.v[i], &why)) == NULL) {
			strv_pushf(&p->errs, "%s", why);
			free(why);
			bad = -1;
			break;
		}
		if (t->link != NULL) {
			size_t k = (size_t)(t->link - im->links);

			free(p->linkvals.v[k]);
			p->linkvals.v[k] = utf8_trim(val);
		}
		if (*t->col == '\0' && *val != '\0') {
			strv_pushf(&p->errs, "column %zu has a value but no "
			    "header: name it, or --map it", i + 1);
			bad = -1;
			break;
		}
		if (t->ignore || t->link != NULL)
			continue;
		if (t->is_id) {
			uint32_t id;

			if (*val != '\0' && !cmd_parse_id(val, &id)) {
				strv_pushf(&p->errs, _("column \"%s\" (%zu): "
				    "'%s' is not a record id"), t->col, i + 1,
				    val);
				bad = -1;
			} else if (*val != '\0')
				p->rec.id = id;
			continue;
		}
		if (t->field == NULL) {
			if (keep_unknown(p, t, i + 1, val) != 0)
				bad = -1;
			continue;
		}
		pc[npc++] = (struct piece){ t->field, t->join, i + 1, t->col,
		    val };
	}
	if (bad == 0)
		bad = assemble(im, p, pc, npc);
	/* With --key a row may update a record that has the values the
	 * file leaves out; the store checks those that are created. */
	if (bad == 0 && im->nkeys == 0)
		bad = check_required(im, p);
	free(pc);
	return bad;
}

/* --- reject file --- */

static void
reject_csv(struct importer *im, struct pending *p, const char *why)
{
	const struct strv *h = reader_header(im->rd);
	int delim = im->o->format == FMT_TSV ? '\t' : im->o->delimiter ?
	    im->o->delimiter : ',';

	if (!im->rejects_header && h != NULL) {
		for (size_t i = 0; i < h->n; i++) {
			csv_write_cell(im->rejects, h->v[i], delim, false);
			fputc(delim, im->rejects);
		}
		fputs("_reject_reason\n", im->rejects);
		im->rejects_header = true;
	}
	for (size_t i = 0; i < p->raw.vals.n; i++) {
		csv_write_cell(im->rejects, p->raw.vals.v[i], delim, false);
		fputc(delim, im->rejects);
	}
	/* A short row is padded so the reason stays in its column. */
	for (size_t i = p->raw.vals.n; h != NULL && i < h->n; i++)
		fputc(delim, im->rejects);
	csv_write_cell(im->rejects, why, delim, false);
	fputc('\n', im->rejects);
}

static void
reject_other(struct importer *im, struct pending *p, const char *why)
{
	const char *raw = p->raw.raw ? p->raw.raw : "";
	json_t *doc, *r = json_string(why);
	char *text, *end;

	switch (im->o->format) {
	case FMT_JSONL:
		doc = json_loads(raw, 0, NULL);
		if (!json_is_object(doc)) {
			json_decref(doc);
			doc = json_pack("{s:s}", "_reject_raw", raw);
		}
		json_object_set(doc, "_reject_reason", r);
		text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(im->rejects, "%s\n", text);
		free(text);
		json_decref(doc);
		break;
	case FMT_YAML:
		text = json_dumps(r, JSON_ENCODE_ANY);
		fprintf(im->rejects, "%s  _reject_reason: %s\n", raw, text);
		free(text);
		break;
	default:	/* vCard: the reason as a property before the end */
		end = strstr(raw, "END:VCARD");
		fprintf(im->rejects, "%.*sX-TCRM-REJECT-REASON:", end ?
		    (int)(end - raw) : (int)strlen(raw), raw);
		for (const char *q = why; *q != '\0'; q++)
			fputs(*q == ',' ? "\\," : *q == ';' ? "\\;" : *q == '\n' ?
			    "\\n" : (char[]){ *q, '\0' }, im->rejects);
		fprintf(im->rejects, "\n%s", end ? end : "END:VCARD\n");
		break;
	}
	json_decref(r);
}

static void
reject(struct importer *im, struct pending *p, const char *why)
{
	p->rejected = true;
	im->st.rejected++;
	if (im->rejects == NULL)
		return;
	if (im->o->format == FMT_CSV || im->o->format == FMT_TSV)
		reject_csv(im, p, why);
	else
		reject_other(im, p, why);
}

static void
pending_free(struct pending *p)
{
	record_free(&p->rec);
	strv_free(&p->linkvals);
	strv_free(&p->errs);
	row_free(&p->raw);
}

/* --- the journal: progress committed with each batch --- */

static char *
journal_key(const char *id)
{
	return xasprintf("import:%08lu", strtoul(id, NULL, 10));
}

static json_t *
journal_doc(struct importer *im, const char *status)
{
	json_t *doc = json_object();

	json_object_set_new(doc, "id", json_string(im->st.id));
	json_object_set_new(doc, "user", json_string(im->ctx->user));
	json_object_set_new(doc, "started", json_integer((json_int_t)im->t0));
	json_object_set_new(doc, "file", json_string(im->src.name));
	json_object_set_new(doc, "form", json_string(im->e->name));
	json_object_set_new(doc, "status", json_string(status));
	json_object_set_new(doc, "fp", json_integer((json_int_t)im->fp));
	json_object_set_new(doc, "whole", json_integer((json_int_t)im->whole));
	if (im->rejects != NULL && fflush(im->rejects) == 0)
		json_object_set_new(doc, "rejects_at", json_integer(
		    (json_int_t)ftell(im->rejects)));
	json_object_set_new(doc, "rows_done", json_integer(
	    (json_int_t)im->st.read));
	json_object_set_new(doc, "created", json_integer(
	    (json_int_t)im->st.created));
	json_object_set_new(doc, "updated", json_integer(
	    (json_int_t)im->st.updated));
	json_object_set_new(doc, "unchanged", json_integer(
	    (json_int_t)im->st.unchanged));
	json_object_set_new(doc, "skipped", json_integer(
	    (json_int_t)im->st.skipped));
	json_object_set_new(doc, "rejected", json_integer(
	    (json_int_t)im->st.rejected));
	return doc;
}

static int
journal_put(struct importer *im, struct txn *t, const char *status)
{
	json_t *doc = journal_doc(im, status);
	char *text = json_dumps(doc, JSON_COMPACT), *key = journal_key(im->st.id);
	int rc = store_meta_put(im->store, t, key, text);

	free(text);
	free(key);
	json_decref(doc);
	return rc;
}

static uint64_t
fnv(uint64_t h, const char *s)
{
	for (; *s != '\0'; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return (h ^ 0xff) * 1099511628211ULL;
}

static uint64_t
hash_rows(uint64_t h, const struct pending *rows, size_t n)
{
	char num[32];

	for (size_t i = 0; i < n; i++) {
		for (size_t j = 0; j < rows[i].raw.vals.n; j++)
			h = fnv(h, rows[i].raw.vals.v[j]);
		snprintf(num, sizeof num, "%zu", rows[i].line);
		h = fnv(h, num);
	}
	return h;
}

/* What makes two runs "the same import": the form, the flags and the
 * rows of the first batch. Whether they are the same to the last row is
 * known only at the end (im->whole). */
static uint64_t
fingerprint(struct importer *im)
{
	uint64_t h = 14695981039346656037ULL;
	char num[32];

	h = fnv(h, im->e->name);
	h = fnv(h, im->src.name);
	h = fnv(h, im->o->options_text);
	snprintf(num, sizeof num, "%zu", im->o->batch);
	h = fnv(h, num);
	return hash_rows(h, im->rows, im->nrows);
}

static const char *
journal_status(json_t *doc)
{
	const char *st = json_string_value(json_object_get(doc, "status"));

	return st != NULL ? st : "";
}

/* A few rows of each import's first batch are filed under a hash of
 * their values (not their line, nor the file's name), so that a run
 * whose fingerprint is new but whose rows are mostly an earlier
 * finished import's is caught before it stores them twice: the same
 * file with a bad row of its first batch fixed, or under another name. */
#define SAMPLE_ROWS 16

static uint64_t
row_sample_hash(const struct importer *im, const struct pending *p)
{
	uint64_t h = fnv(14695981039346656037ULL, im->e->name);

	for (size_t j = 0; j < p->raw.vals.n; j++)
		h = fnv(h, p->raw.vals.v[j]);
	return h;
}

/* The keys of the first SAMPLE_ROWS rows read without an error; how many. */
static size_t
sample_keys(const struct importer *im, char keys[SAMPLE_ROWS][48])
{
	size_t n = 0;

	for (size_t i = 0; i < im->nrows && n < SAMPLE_ROWS; i++) {
		if (im->rows[i].errs.n == 0)
			snprintf(keys[n++], sizeof keys[0], "import-row:%016llx",
			    (unsigned long long)row_sample_hash(im,
			    &im->rows[i]));
	}
	return n;
}

static int
sample_put(struct store *s, struct txn *t, struct importer *im)
{
	char keys[SAMPLE_ROWS][48];
	size_t n = sample_keys(im, keys);
	int rc = ST_OK;

	for (size_t i = 0; i < n && rc == ST_OK; i++)
		rc = store_meta_put(s, t, keys[i], im->st.id);
	return rc;
}

/* Whether an import's rows are in the store: it ran to the end, or it
 * was stopped (killed, or still running) after committing some. */
static bool
stored_rows(json_t *doc)
{
	const char *st = journal_status(doc);

	return (strcmp(st, "done") == 0 || strcmp(st, "running") == 0) &&
	    json_integer_value(json_object_get(doc, "created")) +
	    json_integer_value(json_object_get(doc, "updated")) > 0;
}

static bool
unfinished(json_t *doc)
{
	return strcmp(journal_status(doc), "running") == 0;
}

/* The import, finished or stopped, that filed at least half of this
 * input's sampled rows and stored rows, or NULL (*doc) when there is
 * none. */
static int
sample_match(struct store *s, struct txn *t, struct importer *im,
    json_t **doc, size_t *hits, size_t *sampled)
{
	char keys[SAMPLE_ROWS][48], ids[SAMPLE_ROWS][24];
	size_t count[SAMPLE_ROWS] = { 0 }, nids = 0, best = 0;
	struct buf val;
	int rc = ST_OK;

	*doc = NULL;
	*hits = 0;
	*sampled = sample_keys(im, keys);
	buf_init(&val);
	for (size_t i = 0; i < *sampled; i++) {
		size_t j;

		if ((rc = store_meta_get(s, t, keys[i], &val)) == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			break;
		for (j = 0; j < nids && strcmp(ids[j], val.data) != 0; j++)
			;
		if (j == nids)
			snprintf(ids[nids++], sizeof ids[0], "%s", val.data);
		if (++count[j] > count[best])
			best = j;
	}
	if (rc == ST_NOTFOUND)
		rc = ST_OK;
	if (rc == ST_OK && nids > 0 && 2 * count[best] >= *sampled) {
		char *jkey = journal_key(ids[best]);

		rc = store_meta_get(s, t, jkey, &val);
		free(jkey);
		if (rc == ST_OK && (*doc = json_loads(val.data, 0, NULL)) !=
		    NULL && !stored_rows(*doc)) {
			json_decref(*doc);	/* undone, or stored nothing */
			*doc = NULL;
		}
		*hits = count[best];
		if (rc == ST_NOTFOUND)
			rc = ST_OK;
	}
	buf_free(&val);
	return rc;
}

/* The reject file holds what the committed batches rejected: an earlier
 * run's rows past its last commit are cut off, and this run goes on
 * from there (rows it skips are not written again). */
static void
rejects_resume(struct importer *im, json_t *old)
{
	json_int_t at = old != NULL ? json_integer_value(json_object_get(old,
	    "rejects_at")) : 0;

	if (im->rejects == NULL || ftruncate(fileno(im->rejects), at) != 0)
		return;
	im->rejects_header = at > 0;
}

struct journal_start {
	struct importer *im;
	size_t skip;
	json_t *old;
	json_t *finished;
};

static int
journal_start_txn(struct store *s, struct txn *t, void *arg)
{
	struct journal_start *js = arg;
	struct importer *im = js->im;
	char fpkey[48], *key;
	struct buf val;
	unsigned long seq = 0;
	int rc;

	buf_init(&val);
	js->skip = 0;
	json_decref(js->old);	/* from an attempt that deadlocked */
	json_decref(js->finished);
	js->old = js->finished = NULL;
	snprintf(fpkey, sizeof fpkey, "import-fp:%016llx",
	    (unsigned long long)im->fp);
	rc = store_meta_get(s, t, fpkey, &val);
	if (rc == ST_OK) {
		/* This import ran before: cut short, or to the end. */
		snprintf(im->st.id, sizeof im->st.id, "%s", val.data);
		key = journal_key(im->st.id);
		if ((rc = store_meta_get(s, t, key, &val)) == ST_OK)
			js->old = json_loads(val.data, 0, NULL);
		free(key);
		buf_free(&val);
		if (rc != ST_OK || js->old == NULL)
			return rc;
		if (strcmp(journal_status(js->old), "done") != 0) {
			js->skip = (size_t)json_integer_value(json_object_get(
			    js->old, "rows_done"));
			return rc;
		}
		/* It ran to the end. Without --key a second run would store
		 * every row twice: the whole input decides (import_finish). */
		if (im->nkeys == 0 && !im->o->again) {
			js->finished = js->old;
			js->old = NULL;
			return rc;
		}
		json_decref(js->old);
		js->old = NULL;
		buf_init(&val);
	} else if (rc != ST_NOTFOUND) {
		buf_free(&val);
		return rc;
	}
	if (im->nkeys == 0 && !im->o->again) {
		json_decref(im->stored_by);
		if ((rc = sample_match(s, t, im, &im->stored_by,
		    &im->stored_hits, &im->stored_sampled)) != ST_OK) {
			buf_free(&val);
			return rc;
		}
		if (im->stored_by != NULL) {
			buf_free(&val);
			return ST_OK;
		}
	}
	if ((rc = store_meta_get(s, t, "seq:import", &val)) == ST_OK)
		seq = strtoul(val.data, NULL, 10);
	else if (rc != ST_NOTFOUND) {
		buf_free(&val);
		return rc;
	}
	buf_free(&val);
	snprintf(im->st.id, sizeof im->st.id, "%lu", seq + 1);
	if ((rc = store_meta_put(s, t, "seq:import", im->st.id)) != ST_OK ||
	    (rc = store_meta_put(s, t, fpkey, im->st.id)) != ST_OK ||
	    (rc = sample_put(s, t, im)) != ST_OK)
		return rc;
	return journal_put(im, t, "running");
}

/* A dry run only looks: is its input that of an import that ran to the
 * end, which a real run would not import again? */
static int
finished_peek_txn(struct store *s, struct txn *t, void *arg)
{
	struct importer *im = arg;
	char fpkey[48], *key;
	struct buf val;
	json_t *doc;
	int rc;

	json_decref(im->dry_finished);
	im->dry_finished = NULL;
	buf_init(&val);
	snprintf(fpkey, sizeof fpkey, "import-fp:%016llx",
	    (unsigned long long)im->fp);
	json_decref(im->stored_by);
	im->stored_by = NULL;
	if ((rc = store_meta_get(s, t, fpkey, &val)) != ST_OK) {
		buf_free(&val);
		if (rc != ST_NOTFOUND)
			return rc;
		return sample_match(s, t, im, &im->stored_by,
		    &im->stored_hits, &im->stored_sampled);
	}
	key = journal_key(val.data);
	rc = store_meta_get(s, t, key, &val);
	free(key);
	if (rc == ST_OK && (doc = json_loads(val.data, 0, NULL)) != NULL) {
		if (strcmp(journal_status(doc), "done") == 0)
			im->dry_finished = doc;
		else
			json_decref(doc);
	}
	buf_free(&val);
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

static void
restore_counts(struct importer *im, json_t *old)
{
	im->st.created = (size_t)json_integer_value(json_object_get(old,
	    "created"));
	im->st.updated = (size_t)json_integer_value(json_object_get(old,
	    "updated"));
	im->st.unchanged = (size_t)json_integer_value(json_object_get(old,
	    "unchanged"));
	im->st.skipped = (size_t)json_integer_value(json_object_get(old,
	    "skipped"));
	im->st.rejected = (size_t)json_integer_value(json_object_get(old,
	    "rejected"));
	im->st.resumed_at = (size_t)json_integer_value(json_object_get(old,
	    "rows_done"));
	im->st.committed = im->st.resumed_at;
}

static int
journal_start(struct importer *im)
{
	struct journal_start js = { im, 0, NULL, NULL };
	int rc;

	im->fp = fingerprint(im);
	rc = store_run(im->store, journal_start_txn, &js);
	if (rc != ST_OK)
		return rc;
	if (js.finished != NULL) {
		im->finished = js.finished;
		return ST_OK;
	}
	if (im->stored_by != NULL)
		return ST_EXISTS;	/* nothing written: stored_report */
	im->started = true;
	store_set_import(im->store, im->st.id);
	if (js.old != NULL) {
		restore_counts(im, js.old);
		im->skip = js.skip;
		fprintf(stderr, "tcrm: import %s: resuming after row %zu of an "
		    "earlier run\n", im->st.id, im->skip);
	}
	rejects_resume(im, js.old);
	json_decref(js.old);
	return ST_OK;
}

/* --- writing a batch --- */

static int
resolve_links(struct importer *im, struct store *s, struct txn *t,
    struct pending *p, char **why)
{
	for (size_t i = 0; i < im->nlinks; i++) {
		const struct link *l = &im->links[i];
		const char *v = p->linkvals.v[i];
		uint32_t ids[2];
		size_t n;
		char num[16];
		int rc;

		if (*v == '\0')
			continue;
		rc = store_lookup(s, t, l->key, v, ids, 2, &n);
		if (rc != ST_OK)
			return rc;
		if (n != 1) {
			if (n > 1)
				*why = xasprintf(_("column \"%s\": more than "
				    "one %s with %s '%s'"), l->col,
				    l->ref->ref, l->key->name, v);
			else
				*why = xasprintf(_("column \"%s\": no %s with "
				    "%s '%s'"), l->col, l->ref->ref,
				    l->key->name, v);
			return ST_INVALID;
		}
		snprintf(num, sizeof num, "%u", ids[0]);
		record_set(&p->rec, l->ref->name, num);
	}
	return ST_OK;
}

static bool
dry_made(struct importer *im, struct store *s, const struct field *f,
    const char *value)
{
	uint64_t h[KEY_HASHES_MAX];
	size_t n = store_key_hashes(s, f, value, h, KEY_HASHES_MAX);

	for (size_t i = 0; i < n; i++) {
		if (hashset_has(&im->dry_seen, h[i]))
			return true;
	}
	return false;
}

/* A dry run's new row: its keys, kept if the batch gets through. */
static void
dry_remember(struct importer *im, struct store *s, const struct record *r)
{
	for (size_t i = 0; i < im->nkeys; i++) {
		const struct field *f = im->keys[i];
		struct strv values;

		if (f == NULL)
			continue;
		strv_init(&values);
		strv_split(&values, record_get(r, f->name), "\n");
		for (size_t j = 0; j < values.n; j++) {
			uint64_t h[KEY_HASHES_MAX];
			size_t n = store_key_hashes(s, f, values.v[j], h,
			    KEY_HASHES_MAX);

			for (size_t k = 0; k < n; k++)
				hashset_add(&im->dry_attempt, h[k]);
		}
		strv_free(&values);
	}
}

/* The existing record this row duplicates, by the first key that
 * matches; 0 when none. */
static int
find_duplicate(struct importer *im, struct store *s, struct txn *t,
    struct pending *p, uint32_t *dup, char **which)
{
	*dup = 0;
	for (size_t i = 0; i < im->nkeys && *dup == 0; i++) {
		const struct field *f = im->keys[i];
		struct strv values;
		int rc = ST_OK;

		if (f == NULL) {	/* --key id */
			struct record r;

			if (p->rec.id != 0 && store_get(s, t, im->e, p->rec.id,
			    &r) == ST_OK) {
				*dup = p->rec.id;
				*which = xasprintf("id %u", p->rec.id);
				record_free(&r);
			}
			continue;
		}
		strv_init(&values);
		strv_split(&values, record_get(&p->rec, f->name), "\n");
		for (size_t j = 0; j < values.n && *dup == 0; j++) {
			uint32_t ids[2];
			size_t n;

			rc = store_lookup(s, t, f, values.v[j], ids, 2, &n);
			if (rc != ST_OK)
				break;
			if (n > 1) {
				/* Which to update? Not a guess to make. */
				*which = xasprintf(_("%s '%s' is held by %s "
				    "%u and %u"), f->name, values.v[j],
				    im->e->name, ids[0], ids[1]);
				rc = ST_INVALID;
				break;
			}
			if (n == 1) {
				*dup = ids[0];
				*which = xasprintf("%s '%s'", f->name,
				    values.v[j]);
			} else if (im->o->dry_run &&
			    dry_made(im, s, f, values.v[j])) {
				*dup = DRY_EARLIER;
				*which = xasprintf(_("%s '%s' (an earlier row "
				    "of this file)"), f->name, values.v[j]);
			}
		}
		strv_free(&values);
		if (rc != ST_OK)
			return rc;
	}
	return ST_OK;
}

static int
update_existing(struct importer *im, struct store *s, struct txn *t,
    struct pending *p, uint32_t id)
{
	struct record cur;
	uint32_t before;
	int rc;

	if ((rc = store_get(s, t, im->e, id, &cur)) != ST_OK)
		return rc;
	before = cur.version;
	/* Empty cells leave what is stored; a list gains what is new. */
	for (size_t i = 0; i < p->rec.n; i++) {
		const char *name = p->rec.fields[i].name;
		const char *v = p->rec.fields[i].value;
		const struct field *f = entity_field(im->e, name);

		if (f != NULL && f->type == FT_PHONES &&
		    *record_get(&cur, name) != '\0') {
			char *joined = xasprintf("%s\n%s", record_get(&cur, name),
			    v), *out = NULL, *why = NULL;

			if (field_normalise(f, joined, &out, &why) == 0)
				record_set(&cur, name, out);
			free(out);
			free(why);
			free(joined);
		} else
			record_set(&cur, name, v);
	}
	rc = store_update(s, t, im->e, &cur, before);
	if (rc == ST_OK) {
		if (cur.version == before)
			im->attempt.unchanged++;
		else
			im->attempt.updated++;
	}
	record_free(&cur);
	return rc;
}

/* Forms that record how a record came in get "import" here. */
static void
mark_imported(const struct entity *e, struct record *r)
{
	const struct field *f = entity_field(e, "created_via");

	if (f != NULL && *record_get(r, f->name) == '\0' &&
	    field_enum_value(f, "import") != NULL)
		record_set(r, f->name, "import");
}

static int
write_row(struct importer *im, struct store *s, struct txn *t,
    struct pending *p, char **why)
{
	struct record r;
	uint32_t dup;
	char *which = NULL;
	int rc;

	if ((rc = resolve_links(im, s, t, p, why)) != ST_OK)
		return rc;
	if ((rc = find_duplicate(im, s, t, p, &dup, &which)) != ST_OK) {
		if (rc == ST_INVALID && which != NULL)
			*why = xasprintf(_("ambiguous key: %s"), which);
		free(which);
		return rc;
	}
	if (dup != 0) {
		switch (im->o->on_dup) {
		case DUP_SKIP:
			im->attempt.skipped++;
			free(which);
			return ST_OK;
		case DUP_FAIL:
			/* A dry run's own row has an id that will never be. */
			if (dup == DRY_EARLIER)
				*why = xasprintf(_("duplicate: %s"), which);
			else if (im->o->dry_run &&
			    hashset_has(&im->dry_ids, dup))
				*why = xasprintf(_("duplicate: %s (an earlier "
				    "row of this file)"), which);
			else
				*why = xasprintf(_("duplicate: %s already "
				    "belongs to %s %u"), which, im->e->name,
				    dup);
			free(which);
			return ST_EXISTS;
		case DUP_UPDATE:
			free(which);
			if (dup == DRY_EARLIER) {
				im->attempt.updated++;
				return ST_OK;
			}
			return update_existing(im, s, t, p, dup);
		}
	}
	free(which);
	/* A copy: a batch tried again must find the row as it was read, not
	 * with the defaults and the id this attempt gave it. */
	record_copy(&r, &p->rec);
	fill_defaults(im, &r);
	mark_imported(im->e, &r);
	rc = store_create(s, t, im->e, &r);
	if (rc == ST_OK && im->o->dry_run) {
		dry_remember(im, s, &r);
		hashset_add(&im->dry_ids, r.id);
	}
	record_free(&r);
	if (rc == ST_OK)
		im->attempt.created++;
	return rc;
}

struct batch {
	struct importer *im;
	size_t from;
	size_t to;
	bool last;
};

static int
batch_txn(struct store *s, struct txn *t, void *arg)
{
	struct batch *b = arg;
	struct importer *im = b->im;
	int rc = ST_OK;

	memset(&im->attempt, 0, sizeof im->attempt);
	hashset_clear(&im->dry_attempt);
	hashset_clear(&im->dry_ids);
	for (size_t i = b->from; i < b->to; i++) {
		struct pending *p = &im->rows[i];
		char *why = NULL;

		if (p->rejected)
			continue;
		rc = write_row(im, s, t, p, &why);
		if (rc == ST_AGAIN || rc == ST_INTERRUPTED || rc == ST_NOSPACE ||
		    rc == ST_IO) {
			free(why);
			return rc;
		}
		if (rc != ST_OK) {
			im->failed = i;
			free(im->failed_why);
			im->failed_why = why ? why : xstrdup(store_error(s));
			return ST_INVALID;
		}
	}
	if (im->o->dry_run)
		return ST_OK;
	/* The journal moves with the rows it covers. */
	im->st.created += im->attempt.created;
	im->st.updated += im->attempt.updated;
	im->st.unchanged += im->attempt.unchanged;
	im->st.skipped += im->attempt.skipped;
	rc = journal_put(im, t, "running");
	if (rc != ST_OK) {
		im->st.created -= im->attempt.created;
		im->st.updated -= im->attempt.updated;
		im->st.unchanged -= im->attempt.unchanged;
		im->st.skipped -= im->attempt.skipped;
	}
	return rc;
}

/* Dry runs write into a transaction that is always thrown away. */
static int
dry_txn(struct store *s, struct txn *t, void *arg)
{
	struct batch *b = arg;
	int rc = batch_txn(s, t, arg);

	if (rc == ST_OK) {
		struct hashset *made = &b->im->dry_attempt;

		b->im->st.created += b->im->attempt.created;
		b->im->st.updated += b->im->attempt.updated;
		b->im->st.unchanged += b->im->attempt.unchanged;
		b->im->st.skipped += b->im->attempt.skipped;
		for (size_t i = 0; i < made->size; i++) {
			if (made->v[i] != 0)
				hashset_add(&b->im->dry_seen, made->v[i]);
		}
		hashset_clear(made);
		return ST_NOTFOUND;	/* anything but OK: abort */
	}
	return rc;
}

static int
write_range(struct importer *im, size_t from, size_t to)
{
	struct batch b = { im, from, to, false };
	int rc;

	for (;;) {
		im->failed = (size_t)-1;
		rc = store_run(im->store, im->o->dry_run ? dry_txn : batch_txn,
		    &b);
		if (im->o->dry_run && rc == ST_NOTFOUND && im->failed ==
		    (size_t)-1)
			return ST_OK;
		if (rc == ST_INVALID && im->failed != (size_t)-1) {
			/* One row failed in the store: reject it, redo the
			 * rest of the batch without it. */
			struct pending *p = &im->rows[im->failed];

			report(im, p->line, "%s", im->failed_why);
			reject(im, p, im->failed_why);
			continue;
		}
		if (rc == ST_NOSPACE && to - from > 1) {
			/* Out of locks: halve the batch, as DESIGN says. */
			size_t mid = from + (to - from) / 2;

			if ((rc = write_range(im, from, mid)) != ST_OK)
				return rc;
			return write_range(im, mid, to);
		}
		return rc;
	}
}

static void
progress(struct importer *im, bool done)
{
	double t = now_s();
	char line[160];
	int n;

	if (!im->o->progress || (!done && t - im->last_progress < 0.5))
		return;
	im->last_progress = t;
	n = snprintf(line, sizeof line, "%zu rows, %.0f rows/s", im->st.read,
	    (double)(im->st.read - im->st.resumed_at) / (t - im->t0 + 1e-9));
	/* A file (not a pipe) has a size to reach: say when. */
	if (im->input_size > 0 && im->read_offset > 0 && !done) {
		double rate = (double)im->read_offset / (t - im->t0 + 1e-9);
		double left = (double)(im->input_size - (off_t)
		    im->read_offset) / rate;

		n += snprintf(line + n, sizeof line - (size_t)n,
		    ", %.0f%%, about %.0f s left",
		    100.0 * (double)im->read_offset / (double)im->input_size,
		    left > 0 ? left : 0);
	}
	if (n >= (int)sizeof line)
		n = (int)sizeof line - 1;
	/* Blanks over what a longer line before left behind. */
	fprintf(stderr, "\r%s%*s%s", line, im->progress_width > n ?
	    im->progress_width - n : 0, "", done ? "\n" : "");
	im->progress_width = n;
}

static int
flush_batch(struct importer *im)
{
	int rc = ST_OK;

	if (im->finished != NULL) {
		/* Only read on, to compare with the finished import. */
		for (size_t i = 0; i < im->nrows; i++)
			pending_free(&im->rows[i]);
		im->nrows = 0;
		im->st.read = im->consumed;
		progress(im, false);
		return ST_OK;
	}
	/* Rows an earlier, killed run already committed. */
	while (im->nrows > 0 && im->consumed - im->nrows < im->skip) {
		size_t drop = im->skip - (im->consumed - im->nrows);

		if (drop > im->nrows)
			drop = im->nrows;
		for (size_t i = 0; i < drop; i++)
			pending_free(&im->rows[i]);
		memmove(im->rows, im->rows + drop, (im->nrows - drop) *
		    sizeof *im->rows);
		im->nrows -= drop;
	}
	/* Only past the rows already committed: the journal must never go
	 * back. */
	if (im->nrows > 0) {
		im->st.read = im->consumed;
		rc = write_range(im, 0, im->nrows);
		if (rc == ST_OK && !im->o->dry_run)
			im->st.committed = im->st.read;
	}
	progress(im, false);
	return rc;
}

static int check_header(struct importer *);

/* --- reading ahead ---
 * A second thread reads and checks the next batch while this one stores
 * the last: parsing and checking cost about a third of an import, and
 * the store is busy the rest of the time. Only this thread touches the
 * store, the counts and stderr; rows carry their errors across. */

enum chunk_end {
	CHUNK_MORE,
	CHUNK_EOF,
	CHUNK_UNREADABLE,	/* the reader failed: reader_error says why */
	CHUNK_BAD_HEADER,
	CHUNK_STOPPED		/* a signal came */
};

struct chunk {
	struct pending *rows;
	size_t nrows;
	size_t consumed;	/* rows read from the input up to here */
	uint64_t offset;	/* input bytes read up to here */
	uint64_t whole;		/* every row up to here (hash_rows) */
	enum chunk_end end;
};

struct feed {
	struct importer *im;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct chunk *ready;	/* read and checked, to be stored */
	struct chunk *spent;	/* stored, its rows to be freed */
	atomic_bool halt;	/* the writer wants no more */
};

static void
chunk_empty(struct chunk *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		pending_free(&c->rows[i]);
	c->nrows = 0;
}

static void
chunk_free(struct chunk *c)
{
	if (c == NULL)
		return;
	chunk_empty(c);
	free(c->rows);
	free(c);
}

/* The chunk the writer gave back, emptied here and not in the writer's
 * time, or a new one. */
static struct chunk *
feed_blank(struct feed *f)
{
	struct chunk *c;

	pthread_mutex_lock(&f->lock);
	c = f->spent;
	f->spent = NULL;
	pthread_mutex_unlock(&f->lock);
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		c->rows = xcalloc(f->im->o->batch, sizeof *c->rows);
	}
	chunk_empty(c);
	return c;
}

/* False when the writer has stopped and will take no more. */
static bool
feed_put(struct feed *f, struct chunk *c)
{
	bool taken;

	pthread_mutex_lock(&f->lock);
	while (f->ready != NULL && !atomic_load(&f->halt))
		pthread_cond_wait(&f->cond, &f->lock);
	taken = !atomic_load(&f->halt);
	if (taken) {
		f->ready = c;
		pthread_cond_broadcast(&f->cond);
	}
	pthread_mutex_unlock(&f->lock);
	return taken;
}

static struct chunk *
feed_take(struct feed *f)
{
	struct chunk *c;

	pthread_mutex_lock(&f->lock);
	while (f->ready == NULL)
		pthread_cond_wait(&f->cond, &f->lock);
	c = f->ready;
	f->ready = NULL;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	return c;
}

static void
feed_give_back(struct feed *f, struct chunk *c)
{
	struct chunk *old;

	pthread_mutex_lock(&f->lock);
	old = f->spent;
	f->spent = c;
	pthread_mutex_unlock(&f->lock);
	chunk_free(old);
}

static size_t
row_bytes(const struct row *row)
{
	size_t n = row->raw ? strlen(row->raw) : 0;

	for (size_t i = 0; i < row->vals.n; i++)
		n += strlen(row->vals.v[i]);
	return n;
}

/* A CSV or TSV input without even a header: most often an export
 * upstream that failed, so it is refused rather than imported as no
 * rows. A header alone is an empty export, and imports. */
static bool
no_header(struct importer *im)
{
	if ((im->o->format != FMT_CSV && im->o->format != FMT_TSV) ||
	    reader_header(im->rd) != NULL)
		return false;
	say(_("%s: the file is empty: it has no header line naming its "
	    "columns"), im->src.name);
	return true;
}

/* Fill one chunk and say how it ended. A chunk ends early once its rows
 * hold CHUNK_BYTES: three chunks are alive at once, and rows of megabyte
 * cells must not make that gigabytes. */
static enum chunk_end
fill_chunk(struct feed *f, struct chunk *c, size_t *consumed)
{
	struct importer *im = f->im;
	struct row row;
	size_t bytes = 0;
	int n;

	memset(&row, 0, sizeof row);
	while (c->nrows < im->o->batch && bytes < CHUNK_BYTES &&
	    (n = reader_next(im->rd, &row)) == 1) {
		struct pending *p = &c->rows[c->nrows];

		if (*consumed == 0 && check_header(im) != 0) {
			row_free(&row);
			return CHUNK_BAD_HEADER;
		}
		++*consumed;
		bytes += row_bytes(&row);
		memset(p, 0, sizeof *p);
		if (prepare(im, &row, p) != 0 && p->errs.n == 0)
			strv_push(&p->errs, "invalid");
		p->raw = row;
		memset(&row, 0, sizeof row);
		c->nrows++;
		if (store_stop_signal || atomic_load(&f->halt))
			return CHUNK_STOPPED;
	}
	if (c->nrows == im->o->batch || bytes >= CHUNK_BYTES)
		return CHUNK_MORE;
	row_free(&row);
	if (n < 0 && (store_stop_signal || atomic_load(&f->halt)))
		return CHUNK_STOPPED;	/* the read gave up, it did not fail */
	if (n == 0 && *consumed == 0 && (check_header(im) != 0 ||
	    no_header(im)))
		return CHUNK_BAD_HEADER;
	return n == 0 ? CHUNK_EOF : CHUNK_UNREADABLE;
}

static void *
read_ahead(void *arg)
{
	struct feed *f = arg;
	size_t consumed = 0;
	uint64_t whole = 0;
	enum chunk_end end;

	do {
		struct chunk *c = feed_blank(f);

		end = c->end = fill_chunk(f, c, &consumed);
		c->consumed = consumed;
		c->offset = f->im->src.raw_offset;
		c->whole = whole = hash_rows(whole, c->rows, c->nrows);
		if (!feed_put(f, c)) {
			chunk_free(c);
			break;
		}
	} while (end == CHUNK_MORE);
	return NULL;
}

/* Store one chunk: its refused rows first, in the order read, as they
 * were before the rows were read ahead. Returns a store result, or -1
 * when the header is refused. */
static int
store_chunk(struct importer *im, struct chunk *c)
{
	size_t first = c->consumed - c->nrows;	/* the rows' place in the input */
	int rc;

	if (c->end == CHUNK_BAD_HEADER)
		return -1;
	if (c->end == CHUNK_STOPPED || store_stop_signal)
		return ST_INTERRUPTED;
	im->rows = c->rows;
	im->nrows = c->nrows;
	if (!im->started && im->finished == NULL && !im->o->dry_run &&
	    (rc = journal_start(im)) != ST_OK) {
		im->rows = NULL;
		im->nrows = 0;
		return rc;
	}
	if (im->o->dry_run && first == 0 && im->nkeys == 0 && !im->o->again) {
		im->fp = fingerprint(im);
		if ((rc = store_run(im->store, finished_peek_txn, im)) !=
		    ST_OK) {
			im->rows = NULL;
			im->nrows = 0;
			return rc;
		}
	}
	for (size_t i = 0; i < c->nrows && im->finished == NULL; i++) {
		struct pending *p = &c->rows[i];

		for (size_t j = 0; j < p->errs.n; j++)
			report(im, p->line, "%s", p->errs.v[j]);
		/* A row an earlier run committed is counted and in the
		 * reject file already. The reason names every error, so
		 * one fix-up pass mends the row. */
		if (p->errs.n > 0 && first + i >= im->skip) {
			char *why = strv_join(&p->errs, "; ");

			reject(im, p, why);
			free(why);
		}
	}
	im->consumed = c->consumed;
	im->read_offset = c->offset;
	im->whole = c->whole;
	if (c->end != CHUNK_MORE && im->consumed > im->st.read &&
	    im->consumed >= im->skip)
		im->st.read = im->consumed;
	if (c->end == CHUNK_UNREADABLE) {
		cmd_error(im->ctx, "%s", reader_error(im->rd));
		flush_batch(im);
		rc = ST_INVALID;
	} else
		rc = flush_batch(im);
	c->nrows = im->nrows;
	im->rows = NULL;
	im->nrows = 0;
	return rc;
}

static bool
feed_gives_up(void *arg)
{
	struct feed *f = arg;

	return store_stop_signal || atomic_load(&f->halt);
}

/* Returns a store result, or -1 when the header is refused. */
static int
read_rows_checked(struct importer *im)
{
	struct feed f;
	sigset_t stops, old;
	pthread_t reader;
	bool more = true;
	int rc = ST_OK;

	memset(&f, 0, sizeof f);
	f.im = im;
	pthread_mutex_init(&f.lock, NULL);
	pthread_cond_init(&f.cond, NULL);
	atomic_init(&f.halt, false);
	im->src.give_up = feed_gives_up;
	im->src.give_up_arg = &f;
	if ((rc = pthread_create(&reader, NULL, read_ahead, &f)) != 0) {
		im->src.give_up = NULL;
		fprintf(stderr, "tcrm: import: no thread: %s\n", strerror(rc));
		return ST_IO;
	}
	/* Signals go to the reader, which may wait in read(2) on a pipe:
	 * it stops there and hands over a stopped chunk. */
	sigemptyset(&stops);
	sigaddset(&stops, SIGHUP);
	sigaddset(&stops, SIGINT);
	sigaddset(&stops, SIGTERM);
	pthread_sigmask(SIG_BLOCK, &stops, &old);
	while (more) {
		struct chunk *c = feed_take(&f);

		if (c->end != CHUNK_MORE)
			pthread_sigmask(SIG_SETMASK, &old, NULL);
		rc = store_chunk(im, c);
		more = rc == ST_OK && c->end == CHUNK_MORE;
		feed_give_back(&f, c);
	}
	atomic_store(&f.halt, true);
	pthread_mutex_lock(&f.lock);
	pthread_cond_broadcast(&f.cond);
	pthread_mutex_unlock(&f.lock);
	pthread_join(reader, NULL);
	im->src.give_up = NULL;
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	chunk_free(f.ready);
	chunk_free(f.spent);
	pthread_cond_destroy(&f.cond);
	pthread_mutex_destroy(&f.lock);
	return rc;
}

/* --- setting up --- */

static int
parse_links(struct importer *im)
{
	im->links = xcalloc(im->o->links.n + 1, sizeof *im->links);
	for (size_t i = 0; i < im->o->links.n; i++) {
		const char *spec = im->o->links.v[i];
		const char *eq = strchr(spec, '='), *dot;
		struct link *l = &im->links[im->nlinks];
		char *ref = NULL, *key = NULL;

		dot = eq ? memchr(spec, '.', (size_t)(eq - spec)) : NULL;
		if (dot == NULL || eq[1] == '\0')
			goto bad;
		ref = xstrndup(spec, (size_t)(dot - spec));
		key = xstrndup(dot + 1, (size_t)(eq - dot - 1));
		l->ref = entity_field(im->e, ref);
		for (size_t j = 0; l->ref == NULL && j < im->e->nfields; j++) {
			const struct field *f = &im->e->fields[j];

			if (f->type == FT_REF && strcmp(f->ref, ref) == 0)
				l->ref = f;
		}
		if (l->ref == NULL || l->ref->type != FT_REF)
			goto bad;
		l->key = entity_field(l->ref->ref_entity, key);
		if (l->key == NULL)
			l->key = entity_field_by_alias(l->ref->ref_entity, key);
		if (l->key == NULL || l->key->index == IX_NONE) {
			cmd_error(im->ctx, _("--link %s: %s has no indexed "
			    "field '%s' to look records up by"), spec,
			    l->ref->ref, key);
			free(ref);
			free(key);
			return -1;
		}
		l->col = xstrdup(eq + 1);
		im->nlinks++;
		free(ref);
		free(key);
		continue;
bad:
		cmd_error(im->ctx, _("--link %s: want REF.FIELD=COLUMN, where "
		    "REF is a reference of %s"), spec, im->e->name);
		free(ref);
		free(key);
		return -1;
	}
	return 0;
}

static int
parse_keys(struct importer *im)
{
	im->keys = xcalloc(im->o->keys.n + 1, sizeof *im->keys);
	for (size_t i = 0; i < im->o->keys.n; i++) {
		const char *k = im->o->keys.v[i];
		const struct field *f;

		if (strcmp(k, "id") == 0) {
			im->keys[im->nkeys++] = NULL;
			continue;
		}
		f = entity_field_by_alias(im->e, k);
		if (f == NULL || f->index == IX_NONE) {
			cmd_error(im->ctx, _("--key %s: %s has no indexed "
			    "field of that name"), k, im->e->name);
			return -1;
		}
		im->keys[im->nkeys++] = f;
	}
	return 0;
}

/* Each --default checked as the form checks a value, before any row. */
static int
parse_defaults(struct importer *im)
{
	im->defaults = xcalloc(im->o->defaults.n + 1, sizeof *im->defaults);
	for (size_t i = 0; i < im->o->defaults.n; i++) {
		const char *spec = im->o->defaults.v[i];
		const char *eq = strchr(spec, '=');
		char *name = xstrndup(spec, (size_t)(eq - spec));
		const struct field *f = entity_field_by_alias(im->e, name);
		char *out = NULL, *why = NULL;

		free(name);
		if (f == NULL) {
			cmd_error(im->ctx, _("--default %s: %s has no field of "
			    "that name"), spec, im->e->name);
			return -1;
		}
		if ((f->write_roles & im->ctx->role) == 0) {
			cmd_error(im->ctx, _("--default %s: your role may not "
			    "write %s"), spec, f->name);
			return -1;
		}
		if (field_normalise(f, eq + 1, &out, &why) != 0) {
			cmd_error(im->ctx, "--default %s: %s", spec, why);
			free(why);
			return -1;
		}
		im->defaults[im->ndefaults++] = (struct fixed){ f, out };
	}
	return 0;
}

static void
print_mapping(struct importer *im)
{
	const struct strv *h = reader_header(im->rd);
	size_t n = h ? h->n : im->ntargets;

	for (size_t i = 0; i < n; i++) {
		const char *col = h ? h->v[i] : im->targets[i].col;
		struct target *t = NULL;
		char *why = NULL;

		for (size_t j = 0; j < im->ntargets && t == NULL; j++) {
			if (strcmp(im->targets[j].col, col) == 0)
				t = &im->targets[j];
		}
		if (t == NULL)
			t = target_for(im, col, &why);
		free(why);
		fprintf(stdout, "column \"");
		out_safe(stdout, col);
		fprintf(stdout, "\" (%zu) -> ", i + 1);
		if (t == NULL)
			fputs("refused\n", stdout);
		else if (t->link != NULL)
			printf("%s (by %s.%s)\n", t->link->ref->name,
			    t->link->ref->ref, t->link->key->name);
		else if (t->ignore)
			fputs("ignored\n", stdout);
		else if (t->is_id)
			fputs("id\n", stdout);
		else if (t->field == NULL)
			printf("%s (kept, not in the form)\n", t->unknown);
		else
			printf("%s%s\n", t->field->name, t->join >= 0 ?
			    " (joined)" : "");
	}
	for (size_t i = 0; i < im->ndefaults; i++) {
		printf("--default -> %s = ", im->defaults[i].field->name);
		out_safe(stdout, im->defaults[i].value);
		fputs(_(" (for the records created, where the row has none)\n"),
		    stdout);
	}
}

/* A CSV header is checked whole before any row is stored. */
static int
check_header(struct importer *im)
{
	const struct strv *h = reader_header(im->rd);
	int bad = 0;

	for (size_t i = 0; h != NULL && i < h->n; i++) {
		struct target *t, *u;
		char *why = NULL;

		if ((t = target_for(im, h->v[i], &why)) == NULL) {
			say("%s:1: %s", im->src.name, why);
			if (h->n == 1 && strpbrk(h->v[i], ";\t|") != NULL)
				say(_("%s:1: one column only: is the "
				    "delimiter '%c'? say so with --delimiter"),
				    im->src.name, *strpbrk(h->v[i], ";\t|"));
			free(why);
			bad = -1;
			continue;
		}
		for (size_t j = 0; j < i && t->field != NULL; j++) {
			u = target_for(im, h->v[j], &why);
			free(why);
			if (u == NULL || u->field != t->field ||
			    t->join >= 0 || field_is_list(t->field))
				continue;
			say(_("%s:1: columns \"%s\" (%zu) and \"%s\" (%zu) "
			    "both map to %s: join them with --map '%s+%s=%s' "
			    "or --ignore one"), im->src.name, h->v[j], j + 1,
			    h->v[i], i + 1, t->field->name, h->v[j], h->v[i],
			    t->field->name);
			bad = -1;
		}
	}
	return bad;
}

struct journal_end {
	struct importer *im;
	const char *status;
};

static int
journal_end_txn(struct store *s, struct txn *t, void *arg)
{
	struct journal_end *je = arg;
	char fpkey[48];
	int rc;

	snprintf(fpkey, sizeof fpkey, "import-fp:%016llx",
	    (unsigned long long)je->im->fp);
	/* A finished import keeps its key: a second run of the same input
	 * finds it (journal_start_txn). */
	if (strcmp(je->status, "done") != 0 &&
	    (rc = store_meta_del(s, t, fpkey)) != ST_OK)
		return rc;
	return journal_put(je->im, t, je->status);
}

/* stopped: the store failed or a signal came before the end; what the
 * committed batches hold stays, and a re-run goes on after them. */
static void
summary(struct importer *im, bool stopped)
{
	struct buf b;

	buf_init(&b);
	if (im->o->dry_run)
		buf_adds(&b, "dry run, nothing written: ");
	else if (stopped) {
		buf_printf(&b, "import %s stopped after row %zu: %zu created, "
		    "%zu updated, %zu rejected in %.2f s\n", im->st.id,
		    im->st.committed, im->st.created, im->st.updated,
		    im->st.rejected, now_s() - im->t0);
		goto out;
	} else if (im->st.rolled_back) {
		buf_printf(&b, "import %s rolled back, nothing stored: %zu "
		    "read, %zu rejected in %.2f s\n", im->st.id, im->st.read,
		    im->st.rejected, now_s() - im->t0);
		goto out;
	} else if (*im->st.id != '\0')
		buf_printf(&b, "import %s: ", im->st.id);
	buf_printf(&b, "%zu read, %zu created, %zu updated", im->st.read,
	    im->st.created, im->st.updated);
	if (im->st.unchanged > 0)
		buf_printf(&b, ", %zu unchanged", im->st.unchanged);
	if (im->st.skipped > 0)
		buf_printf(&b, ", %zu skipped", im->st.skipped);
	buf_printf(&b, ", %zu rejected in %.2f s\n", im->st.rejected,
	    now_s() - im->t0);
out:
	if (im->errors > ERRORS_SHOWN)
		fprintf(stderr, "... and %zu more errors\n",
		    im->errors - ERRORS_SHOWN);
	fputs(b.data, stderr);
	buf_free(&b);
}

static void
importer_free(struct importer *im)
{
	for (size_t i = 0; i < im->ntargets; i++) {
		free(im->targets[i].col);
		free(im->targets[i].unknown);
	}
	free(im->targets);
	for (size_t i = 0; i < im->nlinks; i++)
		free(im->links[i].col);
	free(im->links);
	for (size_t i = 0; i < im->ndefaults; i++)
		free(im->defaults[i].value);
	free(im->defaults);
	free(im->keys);
	for (size_t i = 0; i < im->nrows; i++)
		pending_free(&im->rows[i]);
	free(im->rows);
	free(im->failed_why);
	hashset_clear(&im->dry_seen);
	hashset_clear(&im->dry_attempt);
	hashset_clear(&im->dry_ids);
	json_decref(im->finished);
	json_decref(im->dry_finished);
	json_decref(im->stored_by);
	reader_close(im->rd);
	source_close(&im->src);
	if (im->rejects != NULL && im->rejects != stdout)
		fclose(im->rejects);
}

static int revert_run(struct cmd_ctx *, const char *, bool, bool, size_t *);

static const char *
doc_string(json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));

	return v != NULL ? v : "?";
}

/* When a journal's import started, as the list and the messages show it. */
static void
doc_started(json_t *doc, char *out, size_t size)
{
	time_t t = (time_t)json_integer_value(json_object_get(doc, "started"));
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M", &tm);
}

/* The end of a second run of a finished import (finished_compare). */
static int
finished_report(struct importer *im, int rc)
{
	json_t *doc = im->finished;
	char date[32];

	if (rc == ST_INTERRUPTED) {
		cmd_error(im->ctx, "%s", _("interrupted"));
		return EX_TEMPFAIL;
	}
	if (rc != ST_OK && rc != ST_INVALID) {
		cmd_error(im->ctx, "%s", store_error(im->store));
		return store_rc_exit(rc);
	}
	doc_started(doc, date, sizeof date);
	if (!im->already) {
		cmd_error(im->ctx, _("this input begins with the rows of import "
		    "%s (started %s by %s), which ran to the end, but the rest "
		    "is not the same"), doc_string(doc, "id"), date,
		    doc_string(doc, "user"));
		cmd_error(im->ctx, "%s", _("without --key the rows they share "
		    "would be stored twice: add --key FIELD to add what is new "
		    "and update what is there, or --again to import every row "
		    "once more"));
		return EX_DATAERR;
	}
	/* In English whatever the language, as the summary is. */
	fprintf(stderr, "import %s ran to the end already (started %s by %s): "
	    "%zu read, %zu created, %zu updated, %zu rejected\n",
	    im->st.id, date, doc_string(doc, "user"), im->st.read,
	    im->st.created, im->st.updated, im->st.rejected);
	cmd_error(im->ctx, "%s", _("nothing was imported twice; add --again "
	    "to import these rows once more"));
	return rc == ST_OK && im->st.rejected == 0 ? 0 : EX_DATAERR;
}

/* Refused before anything was written: most of the first rows are those
 * of an import that ran to the end, or that stopped (or runs still)
 * after storing some. */
static int
stored_report(struct importer *im)
{
	json_t *doc = im->stored_by;
	char date[32];

	doc_started(doc, date, sizeof date);
	if (unfinished(doc)) {
		cmd_error(im->ctx, _("import %s (started %s by %s from %s) "
		    "did not finish, or is running now, and stored these rows "
		    "already: %zu of the first %zu are the same"),
		    doc_string(doc, "id"), date, doc_string(doc, "user"),
		    doc_string(doc, "file"), im->stored_hits,
		    im->stored_sampled);
		cmd_error(im->ctx, "%s", _("without --key they would be "
		    "stored twice: to go on where it stopped, run it again "
		    "from the same file name with the same options; or add "
		    "--key FIELD to add what is new and update what is there, "
		    "or --again to import every row once more"));
		return EX_DATAERR;
	}
	cmd_error(im->ctx, _("import %s (started %s by %s) ran to the end "
	    "and stored these rows already: %zu of the first %zu are the "
	    "same"), doc_string(doc, "id"), date, doc_string(doc, "user"),
	    im->stored_hits, im->stored_sampled);
	cmd_error(im->ctx, "%s", _("without --key they would be stored "
	    "twice: add --key FIELD to add what is new and update what is "
	    "there, or --again to import every row once more; to retry only "
	    "the rows it rejected, fix its reject file and import that"));
	return EX_DATAERR;
}

static bool
same_file(int fd, const char *path)
{
	struct stat a, b;

	return fstat(fd, &a) == 0 && stat(path, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* A second run of a finished import, read to the end: the same rows
 * end as the first run did; other rows are refused, since without --key
 * the rows the two have in common would be stored twice. */
static int
finished_compare(struct importer *im, int rc)
{
	json_t *doc = im->finished;

	if (rc != ST_OK && rc != ST_INVALID)
		return rc;
	if (json_integer_value(json_object_get(doc, "whole")) !=
	    (json_int_t)im->whole)
		return rc;
	im->already = true;
	snprintf(im->st.id, sizeof im->st.id, "%s", doc_string(doc, "id"));
	restore_counts(im, doc);
	im->st.read = im->st.resumed_at;
	return rc;
}

static int
import_finish(struct importer *im, int rc)
{
	struct journal_end je = { im, "done" };
	size_t kept = 0;

	if (im->finished != NULL)
		return finished_compare(im, rc);
	bool unreadable = rc == ST_INVALID;

	if (unreadable && !im->o->partial && im->started) {
		/* The rest of the file cannot be read: all or nothing. The
		 * row it stopped in is read and rejected, so the summary
		 * never has more rejected than read. */
		rc = ST_OK;
		im->st.read++;
		im->st.rejected++;
	}
	if (!im->o->dry_run && im->started) {
		int synced = store_sync(im->store);

		store_set_nosync(im->store, false);
		if (rc == ST_OK)
			rc = synced;
	}
	if (rc != ST_OK || im->o->dry_run || !im->started)
		return rc;
	if (!im->o->partial && im->st.rejected > 0) {
		/* All or nothing: take back what the good rows stored. */
		store_set_import(im->store, NULL);
		rc = revert_run(im->ctx, im->st.id, false, true, &kept);
		im->st.rolled_back = rc == ST_OK;
		je.status = "rolled back";
		/* --list then shows what the import left: nothing. */
		if (im->st.rolled_back)
			im->st.created = im->st.updated = im->st.unchanged =
			    im->st.skipped = 0;
	}
	if (rc == ST_OK)
		rc = store_run(im->store, journal_end_txn, &je);
	return rc == ST_OK && unreadable && im->o->partial ? ST_INVALID : rc;
}

int
import_run(struct cmd_ctx *ctx, const struct entity *e,
    struct import_opts *o, struct import_stats *st)
{
	struct importer im;
	struct stat sb;
	char *err = NULL;
	bool failed, stopped;
	int fd, rc, status;

	memset(&im, 0, sizeof im);
	im.ctx = ctx;
	im.store = ctx->store;
	im.e = e;
	im.o = o;
	im.t0 = now_s();
	im.last_progress = im.t0;
	if (strcmp(o->file, "-") == 0 && isatty(0)) {
		cmd_error(ctx, _("standard input is a terminal: give a file, or "
		    "pipe one in (tcrm import --form ENTITY < FILE)"));
		return EX_USAGE;
	}
	if (strcmp(o->file, "-") == 0)
		fd = 0;
	else if ((fd = open(o->file, O_RDONLY)) < 0) {
		cmd_error(ctx, "%s: %s", o->file, strerror(errno));
		return EX_NOINPUT;
	}
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		im.input_size = sb.st_size;
	if (source_open(&im.src, fd, strcmp(o->file, "-") ? o->file :
	    "(stdin)", o->encoding, &err) != 0) {
		cmd_error(ctx, "%s", err);
		free(err);
		source_close(&im.src);
		if (fd > 0)
			close(fd);
		return EX_USAGE;
	}
	if (parse_links(&im) != 0 || parse_keys(&im) != 0 ||
	    parse_defaults(&im) != 0) {
		importer_free(&im);
		return EX_USAGE;
	}
	if (o->reject_path != NULL && same_file(fd, o->reject_path)) {
		cmd_error(ctx, _("the reject file %s is the input: name another "
		    "file"), o->reject_path);
		importer_free(&im);
		close(fd);
		return EX_USAGE;
	}
	if (o->reject_path != NULL && !o->dry_run &&
	    (im.rejects = fopen(o->reject_path, "a")) == NULL) {
		cmd_error(ctx, "%s: %s", o->reject_path, strerror(errno));
		importer_free(&im);
		return EX_CANTCREAT;
	}
	if (o->sniff) {
		char head[1024];

		o->format = import_format_sniff(head, source_peek(&im.src,
		    head, sizeof head));
		if (o->format == FMT_TSV && o->delimiter != 0)
			o->format = FMT_CSV;	/* the delimiter says */
		if (o->dry_run)
			printf(_("format: %s (by its first bytes)\n"),
			    import_format_name(o->format));
	}
	im.rd = reader_open(&im.src, o->format, o->delimiter, e);
	/* Durable once, at the end (import_finish), not at every batch. */
	store_set_nosync(ctx->store, true);
	rc = read_rows_checked(&im);
	if (rc == -1) {
		importer_free(&im);
		if (fd > 0)
			close(fd);
		return EX_USAGE;
	}
	if (im.last_progress > im.t0)
		progress(&im, true);
	rc = import_finish(&im, rc);
	if (im.stored_by != NULL && !o->dry_run) {
		*st = im.st;
		status = stored_report(&im);
		importer_free(&im);
		if (fd > 0)
			close(fd);
		return status;
	}
	if (im.finished != NULL) {
		*st = im.st;
		status = finished_report(&im, rc);
		importer_free(&im);
		if (fd > 0)
			close(fd);
		return status;
	}
	if (o->dry_run)
		print_mapping(&im);
	failed = rc != ST_OK && rc != ST_INVALID;	/* not the input */
	stopped = failed && im.started && !o->dry_run;
	if (failed && rc != ST_INTERRUPTED)
		cmd_error(ctx, "%s", store_error(ctx->store));
	summary(&im, stopped);
	if (im.dry_finished != NULL)
		cmd_error(ctx, _("but this input begins with the rows of import "
		    "%s, which ran to the end: a real run imports nothing twice "
		    "(see --key and --again)"), doc_string(im.dry_finished,
		    "id"));
	if (im.stored_by != NULL && unfinished(im.stored_by))
		cmd_error(ctx, _("but import %s, which did not finish, stored "
		    "these rows already (%zu of the first %zu are the same): a "
		    "real run is refused without --key or --again"),
		    doc_string(im.stored_by, "id"), im.stored_hits,
		    im.stored_sampled);
	else if (im.stored_by != NULL)
		cmd_error(ctx, _("but import %s ran to the end and stored these "
		    "rows already (%zu of the first %zu are the same): a real "
		    "run is refused without --key or --again"),
		    doc_string(im.stored_by, "id"), im.stored_hits,
		    im.stored_sampled);
	*st = im.st;
	if (rc == ST_OK)
		status = im.st.rejected > 0 ? EX_DATAERR : 0;
	else if (rc == ST_INVALID)
		status = EX_DATAERR;	/* unreadable input */
	else if (rc == ST_INTERRUPTED) {
		if (stopped)
			cmd_error(ctx, _("interrupted after row %zu: run the "
			    "same command again to go on from there"),
			    im.st.committed);
		else
			cmd_error(ctx, "%s", _("interrupted"));
		status = EX_TEMPFAIL;
	} else {
		if (stopped)
			cmd_error(ctx, _("once that is put right, run the same "
			    "command again to go on after row %zu"),
			    im.st.committed);
		status = store_rc_exit(rc);
	}
	importer_free(&im);
	if (fd > 0)
		close(fd);
	return status;
}

/* --- revert --- */

struct undo {
	const struct entity *entity;
	uint32_t id;
	uint32_t version;	/* after the import's last change */
	uint64_t seq;		/* of the import's first change */
	bool created;
	struct strv fields;	/* updated fields ... */
	struct strv olds;	/* ... and their values before the import */
};

struct undo_set {
	struct cmd_ctx *ctx;
	struct undo *v;
	size_t n;
	size_t size;
};

static int
collect_undo(const struct audit *a, void *arg)
{
	struct undo_set *us = arg;
	const struct entity *e = forms_entity(us->ctx->forms, a->entity);
	struct undo *u;

	if (e == NULL || strcmp(a->action, "delete") == 0)
		return 0;
	if (us->n == us->size) {
		us->size = us->size ? us->size * 2 : 256;
		us->v = xreallocarray(us->v, us->size, sizeof *us->v);
	}
	u = &us->v[us->n++];
	memset(u, 0, sizeof *u);
	u->entity = e;
	u->id = a->id;
	u->version = a->version;
	u->seq = a->seq;
	u->created = strcmp(a->action, "create") == 0;
	strv_init(&u->fields);
	strv_init(&u->olds);
	if (!u->created) {
		for (size_t i = 0; i < a->nchanges; i++) {
			strv_push(&u->fields, a->changes[i].field);
			strv_push(&u->olds, a->changes[i].old);
		}
	}
	return 0;
}

static int
undo_cmp(const void *a, const void *b)
{
	const struct undo *x = a, *y = b;
	int c = strcmp(x->entity->name, y->entity->name);

	if (c != 0)
		return c;
	if (x->id != y->id)
		return x->id < y->id ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* One entry per record: the newest version, a create if any entry was
 * one, and for each field the value before the import's first change. */
static void
merge_undo(struct undo_set *us)
{
	size_t out = 0;

	if (us->n == 0)
		return;
	qsort(us->v, us->n, sizeof *us->v, undo_cmp);
	for (size_t i = 0; i < us->n; ) {
		struct undo *first = &us->v[i], merged = *first;
		size_t j = i + 1;

		for (; j < us->n && us->v[j].entity == first->entity &&
		    us->v[j].id == first->id; j++) {
			struct undo *later = &us->v[j];

			merged.version = later->version;
			for (size_t k = 0; k < later->fields.n; k++) {
				bool seen = false;

				for (size_t m = 0; m < merged.fields.n; m++)
					seen = seen || strcmp(merged.fields.v[m],
					    later->fields.v[k]) == 0;
				if (!seen) {
					strv_push(&merged.fields,
					    later->fields.v[k]);
					strv_push(&merged.olds, later->olds.v[k]);
				}
			}
			strv_free(&later->fields);
			strv_free(&later->olds);
		}
		us->v[out++] = merged;
		i = j;
	}
	us->n = out;
}

static bool
undo_has(const struct undo_set *us, const struct entity *e, uint32_t id)
{
	size_t lo = 0, hi = us->n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		int c = strcmp(us->v[mid].entity->name, e->name);

		if (c == 0 && us->v[mid].id == id)
			return us->v[mid].created;
		if (c < 0 || (c == 0 && us->v[mid].id < id))
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

/* A record someone else made to refer to one of ours is a change too. */
static bool
referenced_by_others(struct store *s, struct txn *t, struct undo_set *us,
    const struct undo *u)
{
	const struct forms *forms = store_forms(s);

	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *from = &forms->entities[i];

		for (size_t j = 0; j < from->nfields; j++) {
			const struct field *f = &from->fields[j];
			uint32_t *ids;
			size_t n;
			bool other = false;

			if (f->type != FT_REF || f->ref_entity != u->entity)
				continue;
			if (store_referrers(s, t, f, u->id, &ids, &n) != ST_OK)
				return true;
			for (size_t k = 0; k < n && !other; k++)
				other = !undo_has(us, from, ids[k]);
			free(ids);
			if (other)
				return true;
		}
	}
	return false;
}

struct revert_batch {
	struct undo_set *us;	/* by entity and id, for undo_has */
	struct undo **order;	/* the same entries in change order */
	size_t from;
	size_t to;
	bool force;
	size_t deleted;
	size_t restored;
	struct strv kept;
};

static int
revert_one(struct store *s, struct txn *t, struct revert_batch *rb,
    struct undo *u)
{
	struct record cur;
	int rc = store_get(s, t, u->entity, u->id, &cur);

	if (rc == ST_NOTFOUND)
		return ST_OK;
	if (rc != ST_OK)
		return rc;
	if (!rb->force && (cur.version != u->version ||
	    (u->created && referenced_by_others(s, t, rb->us, u)))) {
		strv_pushf(&rb->kept, "%s %u", u->entity->name, u->id);
		record_free(&cur);
		return ST_OK;
	}
	if (u->created) {
		rc = store_delete(s, t, u->entity, u->id, 0);
		if (rc == ST_NOTFOUND)
			rc = ST_OK;	/* gone with a cascade */
		else if (rc == ST_OK)
			rb->deleted++;
	} else {
		for (size_t i = 0; i < u->fields.n; i++)
			record_set(&cur, u->fields.v[i], u->olds.v[i]);
		if ((rc = store_update(s, t, u->entity, &cur, 0)) == ST_OK)
			rb->restored++;
	}
	record_free(&cur);
	return rc;
}

static int
revert_txn(struct store *s, struct txn *t, void *arg)
{
	struct revert_batch *rb = arg;
	int rc = ST_OK;

	rb->deleted = rb->restored = 0;
	strv_free(&rb->kept);
	/* Children before parents: the newest changes first. */
	for (size_t i = rb->to; i > rb->from && rc == ST_OK; i--)
		rc = revert_one(s, t, rb, rb->order[i - 1]);
	return rc;
}

static int
collect_txn(struct store *s, struct txn *t, void *arg)
{
	struct undo_set *us = ((void **)arg)[0];
	const char *id = ((void **)arg)[1];

	for (size_t i = 0; i < us->n; i++) {
		strv_free(&us->v[i].fields);
		strv_free(&us->v[i].olds);
	}
	us->n = 0;
	return store_import_audit(s, t, id, collect_undo, us);
}

/* In the order the changes were made. The creates of one batch share
 * their audit record's time: by id, the order they were made in. */
static int
seq_cmp(const void *a, const void *b)
{
	const struct undo *x = *(struct undo *const *)a;
	const struct undo *y = *(struct undo *const *)b;

	if (x->seq != y->seq)
		return x->seq < y->seq ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

#define REVERT_BATCH 500

static int
revert_run(struct cmd_ctx *ctx, const char *id, bool force, bool quiet,
    size_t *kept)
{
	struct undo_set us = { ctx, NULL, 0, 0 };
	void *args[2] = { &us, (void *)id };
	size_t deleted = 0, restored = 0;
	struct undo **order;
	struct strv all_kept;
	int rc;

	strv_init(&all_kept);
	if ((rc = store_run(ctx->store, collect_txn, args)) != ST_OK)
		return rc;
	merge_undo(&us);
	order = xcalloc(us.n + 1, sizeof *order);
	for (size_t i = 0; i < us.n; i++)
		order[i] = &us.v[i];
	if (us.n > 0)
		qsort(order, us.n, sizeof *order, seq_cmp);
	/* Batches from the newest end, so children go before parents. */
	for (size_t to = us.n; to > 0 && rc == ST_OK; ) {
		size_t from = to > REVERT_BATCH ? to - REVERT_BATCH : 0;
		struct revert_batch rb = { &us, order, from, to, force, 0, 0,
		    { NULL, 0, 0 } };

		rc = store_run(ctx->store, revert_txn, &rb);
		deleted += rb.deleted;
		restored += rb.restored;
		for (size_t i = 0; i < rb.kept.n; i++)
			strv_push(&all_kept, rb.kept.v[i]);
		strv_free(&rb.kept);
		to = from;
	}
	*kept = all_kept.n;
	if (!quiet || all_kept.n > 0) {
		fprintf(stderr, "import %s reverted: %zu deleted, %zu restored",
		    id, deleted, restored);
		if (all_kept.n > 0) {
			char *list = strv_join(&all_kept, ", ");

			fprintf(stderr, "; %zu changed since by someone else and "
			    "kept (use --force to revert them too): %.2000s",
			    all_kept.n, list);
			free(list);
		}
		fputc('\n', stderr);
	}
	for (size_t i = 0; i < us.n; i++) {
		strv_free(&us.v[i].fields);
		strv_free(&us.v[i].olds);
	}
	free(us.v);
	free(order);
	strv_free(&all_kept);
	return rc;
}

struct status_change {
	const char *id;
	const char *status;
	bool found;
	bool done;
};

static int
status_txn(struct store *s, struct txn *t, void *arg)
{
	struct status_change *sc = arg;
	char *key = journal_key(sc->id);
	struct buf val;
	json_t *doc;
	char *text;
	int rc;

	buf_init(&val);
	rc = store_meta_get(s, t, key, &val);
	sc->found = rc == ST_OK;
	if (rc == ST_OK && (doc = json_loads(val.data, 0, NULL)) != NULL) {
		const char *st = json_string_value(json_object_get(doc,
		    "status"));

		sc->done = st != NULL && strcmp(st, "reverted") == 0;
		if (sc->status != NULL) {
			char fpkey[48];

			/* A re-run of a reverted import starts afresh. */
			snprintf(fpkey, sizeof fpkey, "import-fp:%016llx",
			    (unsigned long long)json_integer_value(
			    json_object_get(doc, "fp")));
			if ((rc = store_meta_del(s, t, fpkey)) != ST_OK) {
				json_decref(doc);
				buf_free(&val);
				free(key);
				return rc;
			}
			json_object_set_new(doc, "status",
			    json_string(sc->status));
			text = json_dumps(doc, JSON_COMPACT);
			rc = store_meta_put(s, t, key, text);
			free(text);
		}
		json_decref(doc);
	} else if (rc == ST_NOTFOUND)
		rc = ST_OK;
	buf_free(&val);
	free(key);
	return rc;
}

int
import_revert(struct cmd_ctx *ctx, const char *given, bool force)
{
	struct status_change sc = { NULL, NULL, false, false };
	char id[24];
	uint32_t n;
	size_t kept = 0;
	int rc;

	if (!cmd_parse_id(given, &n)) {
		cmd_error(ctx, _("'%s' is not an import id (see tcrm import "
		    "--list)"), given);
		return EX_USAGE;
	}
	snprintf(id, sizeof id, "%u", n);
	sc.id = id;
	if ((rc = store_run(ctx->store, status_txn, &sc)) != ST_OK)
		return cmd_store_error(ctx, rc);
	if (!sc.found) {
		cmd_error(ctx, _("no import %s (see tcrm import --list)"), id);
		return EX_NOINPUT;
	}
	if (sc.done) {
		fprintf(stderr, _("import %s was reverted already\n"), id);
		return 0;
	}
	if ((rc = revert_run(ctx, id, force, false, &kept)) != ST_OK)
		return cmd_store_error(ctx, rc);
	sc.status = kept > 0 ? "partly reverted" : "reverted";
	if ((rc = store_run(ctx->store, status_txn, &sc)) != ST_OK)
		return cmd_store_error(ctx, rc);
	return kept > 0 ? EX_TEMPFAIL : 0;
}

struct listing {
	struct table *t;
};

static int
list_one(const char *key, const char *value, void *arg)
{
	struct listing *l = arg;
	json_t *doc = json_loads(value, 0, NULL);
	char when[32], n[6][24];
	const char *keys[6] = { "rows_done", "created", "updated", "unchanged",
	    "skipped", "rejected" };

	(void)key;
	if (doc == NULL)
		return 0;
	doc_started(doc, when, sizeof when);
	for (size_t i = 0; i < 6; i++)
		snprintf(n[i], sizeof n[i], "%lld", (long long)
		    json_integer_value(json_object_get(doc, keys[i])));
	table_row(l->t, (const char *[]){
	    json_string_value(json_object_get(doc, "id")),
	    json_string_value(json_object_get(doc, "user")), when,
	    json_string_value(json_object_get(doc, "form")),
	    json_string_value(json_object_get(doc, "file")),
	    json_string_value(json_object_get(doc, "status")),
	    n[0], n[1], n[2], n[3], n[4], n[5] });
	json_decref(doc);
	return 0;
}

struct list_run {
	struct listing *l;
};

static int
list_txn(struct store *s, struct txn *t, void *arg)
{
	return store_meta_each(s, t, "import:", list_one, arg);
}

int
import_list(struct cmd_ctx *ctx, enum out_format fmt)
{
	static const char *const header[] = { "id", "user", "started", "form",
	    "file", "status", "read", "created", "updated", "unchanged",
	    "skipped", "rejected", NULL };
	struct table t;
	struct listing l = { &t };
	int rc;

	table_init(&t, header);
	if ((rc = store_run(ctx->store, list_txn, &l)) != ST_OK) {
		table_free(&t);
		return cmd_store_error(ctx, rc);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
	return 0;
}
