/* csv.c - one CSV reader and writer for import, export and reject files. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

void
csv_init(struct csv *c, struct source *src, int delim)
{
	memset(c, 0, sizeof *c);
	c->src = src;
	c->delim = delim;
	strv_init(&c->cells);
	buf_init(&c->cell);
}

void
csv_free(struct csv *c)
{
	strv_free(&c->cells);
	buf_free(&c->cell);
	free(c->err);
	c->err = NULL;
}

static void
csv_count(struct csv *c)
{
	if (c->max_bytes != 0 && ++c->bytes > c->max_bytes && !c->over) {
		c->over = true;
		c->over_cell = c->cells.n;
	}
}

static void
csv_add(struct csv *c, char ch)
{
	csv_count(c);
	if (!c->over)
		buf_addc(&c->cell, ch);
}

static void
csv_end_cell(struct csv *c)
{
	if (c->over) {
		if (c->cells.n == c->over_cell)
			strv_push(&c->cells, "");
	} else
		strv_push(&c->cells, c->cell.data ? c->cell.data : "");
	buf_reset(&c->cell);
}

static int
csv_fail(struct csv *c, const char *msg)
{
	free(c->err);
	c->err = xstrdup(msg);
	return -1;
}

static bool
record_blank(const struct csv *c)
{
	return c->cells.n == 1 && *c->cells.v[0] == '\0' && !c->over;
}

/* A quoted cell: "" is a quote; CRLF and CR inside become LF. Returns
 * the byte after the closing quote. */
static int
csv_quoted(struct csv *c)
{
	size_t started = c->src->line;
	int ch, next;

	for (;;) {
		ch = source_getc(c->src);
		if (ch == -2) {
			csv_fail(c, c->src->err);
			return -3;
		}
		if (ch == -1) {
			char *msg = xasprintf(_("%s:%zu: a quoted cell "
			    "starting on line %zu never ends"), c->src->name,
			    c->src->line, started);

			csv_fail(c, msg);
			free(msg);
			return -3;
		}
		if (ch == '"') {
			if ((next = source_getc(c->src)) != '"')
				return next;
			csv_add(c, '"');
		} else if (ch == '\r') {
			csv_add(c, '\n');
			if ((next = source_getc(c->src)) == -2) {
				csv_fail(c, c->src->err);
				return -3;
			}
			if (next >= 0 && next != '\n')
				source_ungetc(c->src, next);
		} else
			csv_add(c, (char)ch);
	}
}

int
csv_read(struct csv *c)
{
	bool at_start = true, any = false;
	int ch;

	for (;;) {
		strv_free(&c->cells);
		buf_reset(&c->cell);
		c->line = c->src->line;
		c->bytes = 0;
		c->over = false;
		at_start = true;
		any = false;
		for (;;) {
			ch = source_getc(c->src);
			if (ch == -2)
				return csv_fail(c, c->src->err);
			if (at_start && ch == '"') {
				ch = csv_quoted(c);
				if (ch == -3)
					return -1;
				if (ch == -2)
					return csv_fail(c, c->src->err);
				/* Text after the closing quote stays with the
				 * cell, as spreadsheets do. */
				while (ch >= 0 && ch != c->delim && ch != '\n' &&
				    ch != '\r') {
					csv_add(c, (char)ch);
					ch = source_getc(c->src);
				}
				if (ch == -2)
					return csv_fail(c, c->src->err);
			}
			any = any || ch >= 0;
			if (ch == -1) {
				if (!any && c->cells.n == 0 && c->cell.len == 0)
					return 0;
				csv_end_cell(c);
				break;
			}
			if (ch == c->delim) {
				csv_count(c);
				csv_end_cell(c);
				at_start = true;
				continue;
			}
			if (ch == '\r' || ch == '\n') {
				if (ch == '\r') {
					/* CRLF: take the LF now. */
					int n = source_getc(c->src);

					if (n == -2)
						return csv_fail(c, c->src->err);
					if (n >= 0 && n != '\n')
						source_ungetc(c->src, n);
				}
				csv_end_cell(c);
				break;
			}
			at_start = false;
			csv_add(c, (char)ch);
		}
		if (!record_blank(c))
			return 1;
		if (ch == -1)
			return 0;
	}
}

/* The characters OWASP lists as starting a formula (a tab or a carriage
 * return can hide the formula that follows; the reader turns a quoted
 * carriage return into a newline, so that too), and the quote that marks
 * a neutralised cell, so a value that begins with one comes back. */
static bool
needs_neutralising(const char *s)
{
	return *s != '\0' && strchr("=+-@\t\r\n'", *s) != NULL;
}

const char *
csv_unneutralise(const char *s)
{
	if (s[0] == '\'' && needs_neutralising(s + 1))
		return s + 1;
	return s;
}

void
csv_write_cell(FILE *fp, const char *s, int delim, bool neutralise)
{
	bool quote = false;

	for (const char *p = s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\n' || *p == '\r' || *p == delim) {
			quote = true;
			break;
		}
	}
	if (*s == ' ' || (*s != '\0' && s[strlen(s) - 1] == ' '))
		quote = true;
	if (quote)
		fputc('"', fp);
	if (neutralise && needs_neutralising(s))
		fputc('\'', fp);
	for (; *s != '\0'; s++) {
		if (*s == '"')
			fputc('"', fp);
		fputc(*s, fp);
	}
	if (quote)
		fputc('"', fp);
}
