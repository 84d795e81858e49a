/* desk-help.c - '?' or F1: every key of the screen below, drawn from
 * the same tables that run them. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

struct help {
	struct strv lines;
	size_t top;
};

static void
help_draw(struct desk *d, struct desk_screen *s)
{
	struct help *h = s->data;
	int rows = desk_body_rows() - 1, y = desk_body_top() + 1;

	desk_put(d, desk_body_top(), 1, COLS - 2, _("Keys of this screen "
	    "(Esc closes; the man page tcrm(1) has them all)"), DA_TITLE);
	if (h->top + (size_t)rows > h->lines.n)
		h->top = h->lines.n > (size_t)rows ? h->lines.n - (size_t)rows :
		    0;
	for (size_t i = h->top; i < h->lines.n && y < desk_body_top() +
	    desk_body_rows(); i++, y++) {
		const char *l = h->lines.v[i];

		if (*l == '\x01')
			desk_put(d, y, 1, COLS - 2, l + 1, DA_HEADER);
		else
			desk_put(d, y, 1, COLS - 2, l, DA_NORMAL);
	}
}

static void
help_close(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_pop(d);
}

static void
help_scroll(struct desk_screen *s, long by)
{
	struct help *h = s->data;
	long to = (long)h->top + by;

	h->top = to < 0 ? 0 : (size_t)to;
}

#define HELP_SCROLL(fname, by) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; help_scroll(s, by); }
HELP_SCROLL(help_down, 1)
HELP_SCROLL(help_up, -1)
HELP_SCROLL(help_page_down, desk_body_rows() - 2)
HELP_SCROLL(help_page_up, -(desk_body_rows() - 2))

static const struct desk_action help_actions[] = {
	{ "close", N_("Close"), N_("close the help"), help_close },
	{ "down", N_("Down"), N_("scroll down"), help_down },
	{ "up", N_("Up"), N_("scroll up"), help_up },
	{ "page-down", N_("Page"), N_("a page down"), help_page_down },
	{ "page-up", N_("Page"), N_("a page up"), help_page_up },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding help_bindings[] = {
	{ DK_ESC, "close", true },
	{ 'q', "close", false },
	{ '?', "close", false },
	{ DK(KEY_F(1)), "close", false },
	{ DK(KEY_DOWN), "down", false },
	{ 'j', "down", false },
	{ DK(KEY_UP), "up", false },
	{ 'k', "up", false },
	{ DK(KEY_NPAGE), "page-down", true },
	{ ' ', "page-down", false },
	{ DK(KEY_PPAGE), "page-up", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_help_keys = {
	"help", N_("Help"), help_actions, help_bindings
};

static void
help_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_help_keys);
}

static void
help_free(struct desk *d, struct desk_screen *s)
{
	struct help *h = s->data;

	(void)d;
	strv_free(&h->lines);
	free(h);
}

static const struct desk_screen_ops help_ops = {
	.name = "help",
	.keys = help_keys,
	.draw = help_draw,
	.free = help_free,
};

void
desk_help_open(struct desk *d, struct desk_screen *of)
{
	struct help *h = xcalloc(1, sizeof *h);

	strv_init(&h->lines);
	if (of != NULL)
		desk_keys_help(of, &h->lines);
	desk_push(d, &help_ops, h);
}
