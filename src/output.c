/* output.c - results as an aligned table (by display column, so CJK lines
 * up), as TSV, or as JSON. Every cell is sanitised before it is printed. */
#include "tcrm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define CELL_WIDTH_MAX 40

int
out_format_parse(const char *s, enum out_format *f)
{
	if (strcmp(s, "table") == 0)
		*f = OUT_TABLE;
	else if (strcmp(s, "tsv") == 0)
		*f = OUT_TSV;
	else if (strcmp(s, "json") == 0)
		*f = OUT_JSON;
	else
		return -1;
	return 0;
}

void
table_init(struct table *t, const char *const *header)
{
	strv_init(&t->header);
	for (; *header != NULL; header++)
		strv_push(&t->header, *header);
	t->rows = NULL;
	t->nrows = 0;
}

void
table_row(struct table *t, const char *const *cells)
{
	struct strv *row;

	t->rows = xreallocarray(t->rows, t->nrows + 1, sizeof *t->rows);
	row = &t->rows[t->nrows++];
	strv_init(row);
	for (size_t i = 0; i < t->header.n; i++)
		strv_push(row, cells[i] ? cells[i] : "");
}

void
table_free(struct table *t)
{
	for (size_t i = 0; i < t->nrows; i++)
		strv_free(&t->rows[i]);
	free(t->rows);
	strv_free(&t->header);
}

void
out_safe(FILE *fp, const char *s)
{
	char *safe = utf8_sanitize(s);

	fputs(safe, fp);
	free(safe);
}

/* A cell on one line: list items joined by ", ", then sanitised. */
static char *
cell_text(const char *s)
{
	struct buf b;
	char *safe;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == '\n')
			buf_adds(&b, ", ");
		else
			buf_addc(&b, *s);
	}
	safe = utf8_sanitize(b.data ? b.data : "");
	buf_free(&b);
	return safe;
}

static char *
cell_clipped(const char *s, size_t width)
{
	char *text = cell_text(s), *out;
	size_t cut;

	if (utf8_width(text) <= width)
		return text;
	cut = utf8_clip(text, width - 1);
	out = xasprintf("%.*s…", (int)cut, text);
	free(text);
	return out;
}

static void
print_table(FILE *fp, const struct table *t)
{
	size_t ncol = t->header.n, *w = xcalloc(ncol, sizeof *w);

	for (size_t c = 0; c < ncol; c++) {
		w[c] = utf8_width(t->header.v[c]);
		for (size_t r = 0; r < t->nrows; r++) {
			char *text = cell_text(t->rows[r].v[c]);
			size_t cw = utf8_width(text);

			free(text);
			if (cw > w[c])
				w[c] = cw > CELL_WIDTH_MAX ? CELL_WIDTH_MAX : cw;
		}
	}
	for (size_t r = 0; r <= t->nrows; r++) {
		const struct strv *row = r == 0 ? &t->header : &t->rows[r - 1];

		for (size_t c = 0; c < ncol; c++) {
			char *clip = cell_clipped(row->v[c], w[c]);
			char *pad = utf8_pad(clip, w[c]);

			/* No padding after the last column. */
			fputs(c + 1 < ncol ? pad : clip, fp);
			if (c + 1 < ncol)
				fputs("  ", fp);
			free(pad);
			free(clip);
		}
		fputc('\n', fp);
	}
	free(w);
}

static void
print_tsv_cell(FILE *fp, const char *s)
{
	char *safe;
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == '\t')
			buf_adds(&b, "\\t");
		else if (*s == '\n')
			buf_adds(&b, "\\n");
		else if (*s == '\\')
			buf_adds(&b, "\\\\");
		else
			buf_addc(&b, *s);
	}
	safe = utf8_sanitize(b.data ? b.data : "");
	fputs(safe, fp);
	free(safe);
	buf_free(&b);
}

static void
print_tsv(FILE *fp, const struct table *t)
{
	for (size_t r = 0; r <= t->nrows; r++) {
		const struct strv *row = r == 0 ? &t->header : &t->rows[r - 1];

		for (size_t c = 0; c < row->n; c++) {
			if (c > 0)
				fputc('\t', fp);
			print_tsv_cell(fp, row->v[c]);
		}
		fputc('\n', fp);
	}
}

/* JSON keeps values exact (escaped by jansson); lists become arrays. */
static void
print_json(FILE *fp, const struct table *t)
{
	json_t *arr = json_array();

	for (size_t r = 0; r < t->nrows; r++) {
		json_t *obj = json_object();

		for (size_t c = 0; c < t->header.n; c++) {
			const char *v = t->rows[r].v[c];

			if (strchr(v, '\n') != NULL) {
				struct strv items;
				json_t *list = json_array();

				strv_init(&items);
				strv_split(&items, v, "\n");
				for (size_t i = 0; i < items.n; i++)
					json_array_append_new(list,
					    json_string(items.v[i]));
				strv_free(&items);
				json_object_set_new(obj, t->header.v[c], list);
			} else
				json_object_set_new(obj, t->header.v[c],
				    json_string(v));
		}
		json_array_append_new(arr, obj);
	}
	json_dumpf(arr, fp, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', fp);
	json_decref(arr);
}

void
table_print(FILE *fp, const struct table *t, enum out_format f)
{
	switch (f) {
	case OUT_TABLE:
		print_table(fp, t);
		break;
	case OUT_TSV:
		print_tsv(fp, t);
		break;
	case OUT_JSON:
		print_json(fp, t);
		break;
	}
}
