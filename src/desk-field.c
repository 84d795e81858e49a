/* desk-field.c - the desk's own input field: a UTF-8 buffer measured in
 * grapheme clusters, each with its byte offset and display column, so the
 * cursor never lands inside a character and a double-width character is
 * never cut at the field's edge. No curses here: the screens draw the
 * slice dfield_view() picks, and the tests drive it directly. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

/* Rebuild the cluster tables after every change to the text. */
static void
dfield_measure(struct dfield *f)
{
	const char *s = f->text.data ? f->text.data : "";
	size_t len = f->text.len, off = 0, n = 0, col = 0, cw = 0;
	utf8proc_int32_t state = 0, prev = -1;
	bool first = true;

	free(f->off);
	free(f->col);
	f->off = xcalloc(len + 2, sizeof *f->off);
	f->col = xcalloc(len + 2, sizeof *f->col);
	while (off < len) {
		int32_t cp;
		size_t used = utf8_decode(s + off, len - off, &cp);
		bool brk = first || cp < 0 || prev < 0 ||
		    utf8proc_grapheme_break_stateful(prev, cp, &state);

		if (brk) {
			col += cw;
			f->off[n] = off;
			f->col[n] = col;
			n++;
			cw = 0;
		}
		/* A newline is a cluster of its own with no width. */
		if (cp != '\n')
			cw += (size_t)utf8_cpwidth(cp);
		prev = cp;
		first = false;
		off += used;
	}
	f->off[n] = len;
	f->col[n] = col + cw;
	f->n = n;
	if (f->cur > n)
		f->cur = n;
}

void
dfield_init(struct dfield *f, const char *text, bool multiline)
{
	memset(f, 0, sizeof *f);
	buf_init(&f->text);
	f->multiline = multiline;
	dfield_set(f, text);
}

void
dfield_free(struct dfield *f)
{
	buf_free(&f->text);
	free(f->off);
	free(f->col);
	memset(f, 0, sizeof *f);
}

void
dfield_set(struct dfield *f, const char *text)
{
	buf_reset(&f->text);
	f->cur = 0;
	dfield_insert(f, text ? text : "");
	f->scroll = 0;
	f->top = 0;
}

const char *
dfield_text(const struct dfield *f)
{
	return f->text.data ? f->text.data : "";
}

size_t
dfield_cursor(const struct dfield *f)
{
	return f->off[f->cur];
}

size_t
dfield_cursor_column(const struct dfield *f)
{
	return f->col[f->cur];
}

size_t
dfield_width(const struct dfield *f)
{
	return f->col[f->n];
}

static bool
dfield_keeps(const struct dfield *f, int32_t cp)
{
	if (cp == '\n')
		return f->multiline;
	if (cp == '\t')
		return f->multiline;
	return cp >= 0x20 && cp != 0x7f && !(cp >= 0x80 && cp < 0xa0);
}

/* Insert at the cursor; control characters (and line breaks in a one-line
 * field) are dropped, invalid bytes become U+FFFD. */
void
dfield_insert(struct dfield *f, const char *s)
{
	size_t at = f->off ? f->off[f->cur] : 0, len = strlen(s), off = 0;
	size_t added = 0;
	struct buf clean, tail;

	buf_init(&clean);
	while (off < len) {
		int32_t cp;
		size_t used = utf8_decode(s + off, len - off, &cp);

		if (cp < 0)
			buf_adds(&clean, "\xef\xbf\xbd");
		else if (cp == '\r' && f->multiline)
			buf_addc(&clean, '\n');
		else if (dfield_keeps(f, cp))
			buf_add(&clean, s + off, used);
		off += used;
	}
	buf_init(&tail);
	buf_add(&tail, f->text.data ? f->text.data + at : "", f->text.len - at);
	f->text.len = at;
	buf_add(&f->text, clean.data ? clean.data : "", clean.len);
	added = clean.len;
	buf_add(&f->text, tail.data ? tail.data : "", tail.len);
	buf_free(&tail);
	buf_free(&clean);
	dfield_measure(f);
	/* The cursor goes to the cluster that starts where the insert ended;
	 * a combining mark typed after a letter joins that letter. */
	f->cur = 0;
	while (f->cur < f->n && f->off[f->cur] < at + added)
		f->cur++;
}

void
dfield_insert_cp(struct dfield *f, int32_t cp)
{
	utf8proc_uint8_t b[5];
	utf8proc_ssize_t n = utf8proc_encode_char(cp, b);

	b[n > 0 ? n : 0] = '\0';
	dfield_insert(f, (const char *)b);
}

/* Remove clusters [from, to). */
static bool
dfield_cut(struct dfield *f, size_t from, size_t to)
{
	size_t a = f->off[from], b = f->off[to];

	if (from >= to)
		return false;
	memmove(f->text.data + a, f->text.data + b, f->text.len - b + 1);
	f->text.len -= b - a;
	f->cur = from;
	dfield_measure(f);
	f->cur = from;
	return true;
}

static bool
dfield_is_space(const struct dfield *f, size_t i)
{
	const char *p = f->text.data + f->off[i];

	return *p == ' ' || *p == '\t' || *p == '\n' ||
	    strncmp(p, "\xe3\x80\x80", 3) == 0;
}

static size_t
dfield_word_start(const struct dfield *f, size_t i)
{
	while (i > 0 && dfield_is_space(f, i - 1))
		i--;
	while (i > 0 && !dfield_is_space(f, i - 1))
		i--;
	return i;
}

static size_t
dfield_word_end(const struct dfield *f, size_t i)
{
	while (i < f->n && dfield_is_space(f, i))
		i++;
	while (i < f->n && !dfield_is_space(f, i))
		i++;
	return i;
}

/* Start and end (before its newline) of the logical line holding i. */
static size_t
dfield_line_start(const struct dfield *f, size_t i)
{
	while (i > 0 && f->text.data[f->off[i - 1]] != '\n')
		i--;
	return i;
}

static size_t
dfield_line_end(const struct dfield *f, size_t i)
{
	while (i < f->n && f->text.data[f->off[i]] != '\n')
		i++;
	return i;
}

bool
dfield_edit(struct dfield *f, enum dfield_op op)
{
	size_t was = f->cur;

	switch (op) {
	case DF_LEFT:
		if (f->cur > 0)
			f->cur--;
		break;
	case DF_RIGHT:
		if (f->cur < f->n)
			f->cur++;
		break;
	case DF_HOME:
		f->cur = f->multiline ? dfield_line_start(f, f->cur) : 0;
		break;
	case DF_END:
		f->cur = f->multiline ? dfield_line_end(f, f->cur) : f->n;
		break;
	case DF_WORD_LEFT:
		f->cur = dfield_word_start(f, f->cur);
		break;
	case DF_WORD_RIGHT:
		f->cur = dfield_word_end(f, f->cur);
		break;
	case DF_BACKSPACE:
		return f->cur > 0 && dfield_cut(f, f->cur - 1, f->cur);
	case DF_DELETE:
		return f->cur < f->n && dfield_cut(f, f->cur, f->cur + 1);
	case DF_KILL_END:
		return dfield_cut(f, f->cur, f->multiline ?
		    dfield_line_end(f, f->cur) : f->n);
	case DF_KILL_START:
		return dfield_cut(f, f->multiline ?
		    dfield_line_start(f, f->cur) : 0, f->cur);
	case DF_KILL_WORD:
		return dfield_cut(f, dfield_word_start(f, f->cur), f->cur);
	}
	return f->cur != was;
}

/*
 * Which part of a one-line field shows in width columns. The cursor stays
 * visible; scrolling stops at cluster starts, and a wide character that
 * would straddle either edge is left out, its cell drawn blank.
 */
void
dfield_view(struct dfield *f, size_t width, struct dfield_view *v)
{
	size_t c = f->col[f->cur], total = f->col[f->n], need, i, j;
	size_t max_scroll = total + 1 > width ? total + 1 - width : 0;

	memset(v, 0, sizeof *v);
	if (width == 0)
		return;
	if (f->scroll > max_scroll)
		f->scroll = max_scroll;
	if (c < f->scroll)
		f->scroll = c;
	need = f->cur < f->n ? f->col[f->cur + 1] : c + 1;
	/* A character wider than the field: at least the cursor shows. */
	if (need - c > width)
		need = c + 1;
	if (need > f->scroll + width)
		f->scroll = need - width;
	for (i = 0; i < f->n && f->col[i] < f->scroll; i++)
		;
	for (j = i; j < f->n && f->col[j + 1] <= f->scroll + width; j++)
		;
	v->start = f->off[i];
	v->end = f->off[j];
	v->lead = f->col[i] - f->scroll;
	v->used = f->col[j] - f->scroll;
	v->cursor_x = c - f->scroll;
	v->more_left = f->scroll > 0;
	v->more_right = j < f->n;
}

/* Visual rows of a multi-line field wrapped at width - 1 columns (the
 * last column keeps room for the cursor): how many, and where the first
 * max of them start. */
static size_t
dfield_rows(const struct dfield *f, size_t width, size_t *row_start,
    size_t max)
{
	size_t rows = 0, x = 0, i, limit = width > 1 ? width - 1 : 1;

	if (max > 0)
		row_start[0] = 0;
	rows = 1;
	for (i = 0; i < f->n; i++) {
		size_t w = f->col[i + 1] - f->col[i];
		bool nl = f->text.data[f->off[i]] == '\n';

		if (!nl && x + w > limit && x > 0) {
			if (rows < max)
				row_start[rows] = i;
			rows++;
			x = 0;
		}
		if (nl) {
			if (rows < max)
				row_start[rows] = i + 1;
			rows++;
			x = 0;
			continue;
		}
		x += w;
	}
	return rows;
}

static size_t
dfield_row_of(const size_t *starts, size_t rows, size_t cur)
{
	size_t r = 0;

	while (r + 1 < rows && starts[r + 1] <= cur)
		r++;
	return r;
}

static size_t *
dfield_row_table(const struct dfield *f, size_t width, size_t *rows)
{
	size_t *starts;

	*rows = dfield_rows(f, width, NULL, 0);
	starts = xcalloc(*rows + 1, sizeof *starts);
	dfield_rows(f, width, starts, *rows);
	starts[*rows] = f->n + 1;
	return starts;
}

static size_t
dfield_row_end(const struct dfield *f, const size_t *starts, size_t rows,
    size_t r)
{
	size_t end = r + 1 < rows ? starts[r + 1] : f->n;

	/* A row ended by a newline ends before it. */
	if (end > starts[r] && end <= f->n && end > 0 &&
	    f->text.data[f->off[end - 1]] == '\n')
		end--;
	return end;
}

/* Move up or down a visual row keeping the column; false at the edge. */
bool
dfield_vertical(struct dfield *f, size_t width, int dir)
{
	size_t rows, *starts = dfield_row_table(f, width, &rows);
	size_t r = dfield_row_of(starts, rows, f->cur), x, target, i, end;

	if ((dir < 0 && r == 0) || (dir > 0 && r + 1 >= rows)) {
		free(starts);
		return false;
	}
	x = f->col[f->cur] - f->col[starts[r]];
	target = dir < 0 ? r - 1 : r + 1;
	end = dfield_row_end(f, starts, rows, target);
	for (i = starts[target]; i < end; i++) {
		if (f->col[i + 1] - f->col[starts[target]] > x)
			break;
	}
	f->cur = i;
	free(starts);
	return true;
}

/* The rows of a multi-line field that show in height rows, scrolled so
 * the cursor's row is among them. */
size_t
dfield_view_rows(struct dfield *f, size_t width, size_t height,
    struct dfield_row *out, size_t *cursor_row, size_t *cursor_x)
{
	size_t rows, *starts = dfield_row_table(f, width, &rows), r, n = 0;

	r = dfield_row_of(starts, rows, f->cur);
	if (r < f->top)
		f->top = r;
	if (height > 0 && r >= f->top + height)
		f->top = r + 1 - height;
	if (f->top >= rows)
		f->top = rows - 1;
	for (size_t i = f->top; i < rows && n < height; i++, n++) {
		size_t end = dfield_row_end(f, starts, rows, i);

		out[n].start = f->off[starts[i]];
		out[n].end = f->off[end];
	}
	*cursor_row = r - f->top;
	*cursor_x = f->col[f->cur] - f->col[starts[r]];
	free(starts);
	return n;
}
