/* desk-draw.c - the one place the desk puts text on the screen. Every
 * string is sanitised first (control characters, escape sequences and
 * bidi overrides become visible placeholders), clipped by display column
 * and never split inside a character. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <wchar.h>

#define DESK_LINE_MAX 1024

/*
 * Where utf8proc's idea of a character's width and the C library's
 * (which curses uses to place it) differ, the character is drawn as
 * U+FFFD padded to our width, so columns never drift.
 */
static size_t
desk_cell(int32_t cp, int ours, wchar_t *out, size_t room)
{
	int theirs;

	if (room == 0)
		return 0;
	if (cp >= 0x20 && cp < 0x7f) {
		out[0] = (wchar_t)cp;
		return 1;
	}
	theirs = wcwidth((wchar_t)cp);
	if (theirs == ours) {
		out[0] = (wchar_t)cp;
		return 1;
	}
	if (ours == 0)
		return 0;
	out[0] = L'\xfffd';
	if (ours == 2 && room > 1) {
		out[1] = L' ';
		return 2;
	}
	return 1;
}

int
desk_put(struct desk *d, int y, int x, int width, const char *s,
    enum desk_attr attr)
{
	wchar_t line[DESK_LINE_MAX];
	size_t len, off = 0, n = 0, fit_n = 0;
	int used = 0, fit_used = 0;
	bool clipped = false;

	if (width <= 0 || y < 0 || y >= LINES || x >= COLS || s == NULL)
		return 0;
	if (x + width > COLS)
		width = COLS - x;
	/* One pass: each character made safe to show, measured and placed;
	 * fit_n remembers where an ellipsis would still fit. */
	len = strlen(s);
	while (off < len && n < DESK_LINE_MAX - 2) {
		int32_t cp;
		size_t step = utf8_decode(s + off, len - off, &cp);
		int w;

		cp = utf8_safe_cp(cp);
		w = utf8_cpwidth(cp);
		/* A mark with nothing before it would join the cell to the
		 * left, outside this text. */
		if (w == 0 && n == 0) {
			off += step;
			continue;
		}
		if (used + w > width) {
			clipped = true;
			break;
		}
		n += desk_cell(cp, w, line + n, DESK_LINE_MAX - 2 - n);
		used += w;
		off += step;
		if (used <= width - 1) {
			fit_n = n;
			fit_used = used;
		}
	}
	/* Cut text ends in an ellipsis: a phone number must never look
	 * whole when it is not. */
	if (clipped) {
		n = fit_n;
		used = fit_used;
		line[n++] = L'\x2026';
		used++;
	}
	if (n > 0) {
		wattr_set(stdscr, d->attrs[attr], 0, NULL);
		mvwaddnwstr(stdscr, y, x, line, (int)n);
		wattr_set(stdscr, A_NORMAL, 0, NULL);
	}
	return used;
}

void
desk_fill(struct desk *d, int y, int x, int width, enum desk_attr attr)
{
	if (y < 0 || y >= LINES || x >= COLS || width <= 0)
		return;
	if (x + width > COLS)
		width = COLS - x;
	wattr_set(stdscr, d->attrs[attr], 0, NULL);
	mvwhline(stdscr, y, x, ' ', width);
	wattr_set(stdscr, A_NORMAL, 0, NULL);
}

/* A frame of line-drawing characters around a pop-up, its title in the
 * top edge; the inside is cleared. */
void
desk_box(struct desk *d, int y, int x, int h, int w, const char *title)
{
	if (h < 2 || w < 2)
		return;
	for (int i = 1; i < h - 1; i++) {
		desk_fill(d, y + i, x, w, DA_NORMAL);
		mvwaddch(stdscr, y + i, x, ACS_VLINE);
		mvwaddch(stdscr, y + i, x + w - 1, ACS_VLINE);
	}
	mvwaddch(stdscr, y, x, ACS_ULCORNER);
	mvwhline(stdscr, y, x + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y, x + w - 1, ACS_URCORNER);
	mvwaddch(stdscr, y + h - 1, x, ACS_LLCORNER);
	mvwhline(stdscr, y + h - 1, x + 1, ACS_HLINE, w - 2);
	mvwaddch(stdscr, y + h - 1, x + w - 1, ACS_LRCORNER);
	if (title != NULL && *title != '\0') {
		int tw = desk_put(d, y, x + 2, w - 4, title, DA_TITLE);

		(void)tw;
	}
}

void
desk_put_pad(struct desk *d, int y, int x, int width, const char *s,
    enum desk_attr attr)
{
	int used = desk_put(d, y, x, width, s, attr);

	desk_fill(d, y, x + used, width - used, attr);
}

void
desk_draw_field(struct desk *d, struct dfield *f, int y, int x, int width,
    bool focus, enum desk_attr attr)
{
	struct dfield_view v;
	char *shown;

	if (width <= 0)
		return;
	dfield_view(f, (size_t)width, &v);
	desk_fill(d, y, x, width, attr);
	shown = xstrndup(dfield_text(f) + v.start, v.end - v.start);
	desk_put(d, y, x + (int)v.lead, width - (int)v.lead, shown, attr);
	free(shown);
	if (focus) {
		d->cursor_y = y;
		d->cursor_x = x + (int)v.cursor_x;
	}
}

void
desk_draw_area(struct desk *d, struct dfield *f, int y, int x, int width,
    int height, bool focus)
{
	struct dfield_row rows[64];
	size_t n, cy, cx;

	if (height > 64)
		height = 64;
	if (width <= 1 || height <= 0)
		return;
	n = dfield_view_rows(f, (size_t)width, (size_t)height, rows, &cy,
	    &cx);
	for (int i = 0; i < height; i++) {
		desk_fill(d, y + i, x, width, focus ? DA_FOCUS : DA_FIELD);
		if ((size_t)i < n) {
			char *line = xstrndup(dfield_text(f) + rows[i].start,
			    rows[i].end - rows[i].start);

			desk_put(d, y + i, x, width, line,
			    focus ? DA_FOCUS : DA_FIELD);
			free(line);
		}
	}
	if (focus) {
		d->cursor_y = y + (int)cy;
		d->cursor_x = x + (int)cx;
	}
}

char *
desk_time(int64_t us, bool with_date)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char out[32];

	localtime_r(&t, &tm);
	strftime(out, sizeof out, with_date ? "%Y-%m-%d %H:%M" : "%H:%M",
	    &tm);
	return xstrdup(out);
}

const char *
desk_label(struct desk *d, const struct label *l)
{
	return label_get(l, d->lang);
}

/* Stored values as people read them: an enum's label in the desk's
 * language, yes or no, money with its decimals, phones joined. */
char *
desk_value(struct desk *d, const struct field *f, const char *stored)
{
	const struct enum_value *ev;

	if (stored == NULL || *stored == '\0')
		return xstrdup("");
	switch (f->type) {
	case FT_ENUM:
		if ((ev = field_enum_value(f, stored)) != NULL)
			return xstrdup(desk_label(d, &ev->label));
		return xstrdup(stored);
	case FT_BOOL:
		if (strcmp(stored, "true") == 0)
			return xstrdup(_("yes"));
		if (strcmp(stored, "false") == 0)
			return xstrdup(_("no"));
		return xstrdup(stored);
	case FT_DATETIME:
		/* Seconds are noise on a screen. */
		if (strlen(stored) == 19 && stored[10] == 'T')
			return xasprintf("%.10s %.5s", stored, stored + 11);
		return field_display(f, stored);
	default:
		return field_display(f, stored);
	}
}
