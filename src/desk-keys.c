/* desk-keys.c - key tables: a key names an action, an action names the
 * function that does it. The key bar, the help screen and `tcrm desk
 * --keys` (which the man page is checked against) read the same tables;
 * no screen decides what a key does in a switch statement. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

int
desk_normal_key(int key)
{
	switch (key) {
	case 127:
	case 8:
		return DK_BACKSPACE;
	case '\n':
	case DK(KEY_ENTER):
		return DK_ENTER;
	default:
		return key;
	}
}

bool
desk_printable(int key)
{
	return key >= 0x20 && key != 0x7f && (key & DK_FN) == 0 &&
	    !(key >= 0x80 && key < 0xa0);
}

static const struct {
	int key;
	const char *name;
} key_names[] = {
	{ DK(KEY_UP), "Up" }, { DK(KEY_DOWN), "Down" },
	{ DK(KEY_LEFT), "Left" }, { DK(KEY_RIGHT), "Right" },
	{ DK(KEY_HOME), "Home" }, { DK(KEY_END), "End" },
	{ DK(KEY_PPAGE), "PgUp" }, { DK(KEY_NPAGE), "PgDn" },
	{ DK(KEY_DC), "Del" }, { DK(KEY_IC), "Ins" },
	{ DK(KEY_BTAB), "S-Tab" }, { DK_BACKSPACE, "BS" },
	{ DK_ENTER, "Enter" }, { DK_ESC, "Esc" }, { DK_TAB, "Tab" },
	{ ' ', "Space" }
};

char *
desk_key_name(int key)
{
	utf8proc_uint8_t b[5];
	utf8proc_ssize_t n;

	for (size_t i = 0; i < sizeof key_names / sizeof *key_names; i++) {
		if (key_names[i].key == key)
			return xstrdup(key_names[i].name);
	}
	if ((key & DK_FN) && (key & ~DK_FN) >= KEY_F(1) &&
	    (key & ~DK_FN) <= KEY_F(24))
		return xasprintf("F%d", (key & ~DK_FN) - KEY_F0);
	if (key > 0 && key < 0x20)
		return xasprintf("^%c", key + '@');
	if (key & DK_FN)
		return xasprintf("key-%d", key & ~DK_FN);
	n = utf8proc_encode_char(key, b);
	b[n > 0 ? n : 0] = '\0';
	return xstrdup((const char *)b);
}

void
desk_keychain_add(struct desk_keychain *kc, const struct desk_keymap *km)
{
	if (kc->n < DESK_KEYMAPS_MAX)
		kc->v[kc->n++] = km;
}

static void
desk_keychain_of(struct desk_screen *s, struct desk_keychain *kc)
{
	kc->n = 0;
	s->ops->keys(s, kc);
	desk_keychain_add(kc, &desk_agent_keys);
	desk_keychain_add(kc, &desk_global_keys);
}

static const struct desk_action *
desk_keymap_action(const struct desk_keymap *km, const char *name)
{
	for (const struct desk_action *a = km->actions; a->name != NULL; a++) {
		if (strcmp(a->name, name) == 0)
			return a;
	}
	return NULL;
}

bool
desk_keys_dispatch(struct desk *d, struct desk_screen *s, int key)
{
	struct desk_keychain kc;

	desk_keychain_of(s, &kc);
	for (size_t i = 0; i < kc.n; i++) {
		const struct desk_keymap *km = kc.v[i];

		for (const struct desk_binding *b = km->bindings; b->action;
		    b++) {
			const struct desk_action *a;

			if (b->key != key)
				continue;
			if ((a = desk_keymap_action(km, b->action)) == NULL)
				continue;
			a->fn(d, s);
			return true;
		}
	}
	return false;
}

static bool
desk_bar_seen(struct strv *seen, const char *action)
{
	for (size_t i = 0; i < seen->n; i++) {
		if (strcmp(seen->v[i], action) == 0)
			return true;
	}
	strv_push(seen, action);
	return false;
}

/* The key bar: the bound keys marked for it, in table order, as many as
 * fit whole. */
void
desk_keys_bar(struct desk *d, struct desk_screen *s, int y)
{
	struct desk_keychain kc;
	struct strv seen;
	int x = 0;

	desk_keychain_of(s, &kc);
	strv_init(&seen);
	desk_fill(d, y, 0, COLS, DA_BAR);
	for (size_t i = 0; i < kc.n; i++) {
		const struct desk_keymap *km = kc.v[i];

		for (const struct desk_binding *b = km->bindings; b->action;
		    b++) {
			const struct desk_action *a;
			const char *label;
			char *name;
			int need;

			if (!b->bar || desk_bar_seen(&seen, b->action) ||
			    (a = desk_keymap_action(km, b->action)) == NULL)
				continue;
			name = desk_key_name(b->key);
			label = _(a->label);
			need = (int)(utf8_width(name) + 1 + utf8_width(label));
			if (x + need > COLS - 1) {
				free(name);
				continue;
			}
			x += desk_put(d, y, x, need, name, DA_KEY);
			x += desk_put(d, y, x, 1, " ", DA_BAR);
			x += desk_put(d, y, x, COLS - x, label, DA_BAR);
			x += 2;
			free(name);
		}
	}
	strv_free(&seen);
}

/* Every key bound to one action in a table, "Enter, Right, l". */
static char *
desk_keys_of(const struct desk_keymap *km, const char *action)
{
	struct strv names;
	char *joined;

	strv_init(&names);
	for (const struct desk_binding *b = km->bindings; b->action; b++) {
		if (strcmp(b->action, action) == 0) {
			char *name = desk_key_name(b->key);

			strv_push(&names, name);
			free(name);
		}
	}
	joined = strv_join(&names, ", ");
	strv_free(&names);
	return joined;
}

/* Lines of the help screen for s: each table's title, then its actions
 * with every key that runs them. */
void
desk_keys_help(struct desk_screen *s, struct strv *lines)
{
	struct desk_keychain kc;

	desk_keychain_of(s, &kc);
	for (size_t i = 0; i < kc.n; i++) {
		const struct desk_keymap *km = kc.v[i];
		struct strv seen;

		strv_init(&seen);
		if (i > 0)
			strv_push(lines, "");
		strv_pushf(lines, "\x01%s", _(km->title));
		for (const struct desk_binding *b = km->bindings; b->action;
		    b++) {
			const struct desk_action *a;
			char *keys, *pad;

			if (desk_bar_seen(&seen, b->action) ||
			    (a = desk_keymap_action(km, b->action)) == NULL)
				continue;
			keys = desk_keys_of(km, b->action);
			pad = utf8_pad(keys, 18);
			strv_pushf(lines, "  %s %s", pad, _(a->help));
			free(pad);
			free(keys);
		}
		strv_free(&seen);
	}
}

int
desk_print_keys(FILE *fp)
{
	for (size_t i = 0; desk_keymaps[i] != NULL; i++) {
		const struct desk_keymap *km = desk_keymaps[i];

		for (const struct desk_binding *b = km->bindings; b->action;
		    b++) {
			const struct desk_action *a =
			    desk_keymap_action(km, b->action);
			char *name = desk_key_name(b->key);

			fprintf(fp, "%s\t%s\t%s\t%s\n", km->name, name,
			    b->action, a ? a->help : "(unknown action)");
			free(name);
		}
	}
	return 0;
}

/* ---- keys every screen has ----------------------------------------- */

static void
global_help(struct desk *d, struct desk_screen *s)
{
	desk_help_open(d, s);
}

static void
global_quit_answer(struct desk *d, void *arg, int answer)
{
	(void)arg;
	if (answer == 'y')
		d->quit = true;
}

static void
global_quit(struct desk *d, struct desk_screen *s)
{
	size_t dirty = 0;

	(void)s;
	for (struct desk_screen *t = d->top; t != NULL; t = t->below) {
		if (t->ops->dirty != NULL && t->ops->dirty(t))
			dirty++;
	}
	if (dirty == 0) {
		d->quit = true;
		return;
	}
	desk_ask(d, _("Quit? Unsaved forms are kept as drafts and offered "
	    "next time. (y/n)"), "yn", global_quit_answer, NULL);
}

static void
global_redraw(struct desk *d, struct desk_screen *s)
{
	(void)d;
	(void)s;
	clearok(curscr, TRUE);
}

static void
global_palette(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_palette_open(d);
}

static const struct desk_action global_actions[] = {
	{ "help", N_("Help"), N_("show every key of this screen"),
	  global_help },
	{ "palette", N_("Command"), N_("open the command palette"),
	  global_palette },
	{ "quit", N_("Quit"), N_("leave the desk"), global_quit },
	{ "redraw", N_("Redraw"), N_("redraw the whole screen"),
	  global_redraw },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding global_bindings[] = {
	{ DK(KEY_F(1)), "help", true },
	{ DK_CTRL('p'), "palette", false },
	{ DK(KEY_F(9)), "palette", false },
	{ DK(KEY_F(10)), "quit", true },
	{ DK_CTRL('q'), "quit", false },
	{ DK_CTRL('l'), "redraw", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_global_keys = {
	"global", N_("Everywhere"), global_actions, global_bindings
};

static const struct desk_binding browse_bindings[] = {
	{ '?', "help", false },
	{ ':', "palette", true },
	{ 0, NULL, false }
};

const struct desk_keymap desk_browse_keys = {
	"browse", N_("Lists and cards"), global_actions, browse_bindings
};

/* ---- editing keys of every text field ------------------------------- */

static void
edit_op(struct desk_screen *s, enum dfield_op op)
{
	struct dfield *f = s->ops->field ? s->ops->field(s) : NULL;

	if (f != NULL && !dfield_edit(f, op))
		beep();
}

#define EDIT_ACTION(fname, op) \
	static void fname(struct desk *d, struct desk_screen *s) \
	{ (void)d; edit_op(s, op); }
EDIT_ACTION(edit_left, DF_LEFT)
EDIT_ACTION(edit_right, DF_RIGHT)
EDIT_ACTION(edit_home, DF_HOME)
EDIT_ACTION(edit_end, DF_END)
EDIT_ACTION(edit_backspace, DF_BACKSPACE)
EDIT_ACTION(edit_delete, DF_DELETE)
EDIT_ACTION(edit_kill_end, DF_KILL_END)
EDIT_ACTION(edit_kill_start, DF_KILL_START)
EDIT_ACTION(edit_kill_word, DF_KILL_WORD)

static const struct desk_action edit_actions[] = {
	{ "backward-char", N_("Left"), N_("move left one character"),
	  edit_left },
	{ "forward-char", N_("Right"), N_("move right one character"),
	  edit_right },
	{ "beginning-of-line", N_("Start"), N_("go to the start of the line"),
	  edit_home },
	{ "end-of-line", N_("End"), N_("go to the end of the line"),
	  edit_end },
	{ "delete-backward", N_("Erase"),
	  N_("delete the character before the cursor"), edit_backspace },
	{ "delete-forward", N_("Delete"),
	  N_("delete the character under the cursor"), edit_delete },
	{ "kill-line", N_("Cut end"), N_("delete to the end of the line"),
	  edit_kill_end },
	{ "kill-to-start", N_("Cut start"),
	  N_("delete to the start of the line"), edit_kill_start },
	{ "kill-word", N_("Cut word"), N_("delete the word before the cursor"),
	  edit_kill_word },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding edit_bindings[] = {
	{ DK_CTRL('a'), "beginning-of-line", false },
	{ DK(KEY_HOME), "beginning-of-line", false },
	{ DK_CTRL('e'), "end-of-line", false },
	{ DK(KEY_END), "end-of-line", false },
	{ DK_CTRL('b'), "backward-char", false },
	{ DK(KEY_LEFT), "backward-char", false },
	{ DK_CTRL('f'), "forward-char", false },
	{ DK(KEY_RIGHT), "forward-char", false },
	{ DK_BACKSPACE, "delete-backward", false },
	{ DK(KEY_DC), "delete-forward", false },
	{ DK_CTRL('d'), "delete-forward", false },
	{ DK_CTRL('k'), "kill-line", false },
	{ DK_CTRL('u'), "kill-to-start", false },
	{ DK_CTRL('w'), "kill-word", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_edit_keys = {
	"edit", N_("Editing a field"), edit_actions, edit_bindings
};

const struct desk_keymap *const desk_keymaps[] = {
	&desk_global_keys, &desk_browse_keys, &desk_edit_keys,
	&desk_search_keys, &desk_results_keys, &desk_card_keys,
	&desk_form_keys, &desk_form_text_keys, &desk_form_area_keys,
	&desk_form_choice_keys, &desk_form_ref_keys, &desk_pick_keys,
	&desk_merge_keys, &desk_palette_keys, &desk_help_keys,
	&desk_agent_keys, &desk_work_keys, &desk_board_keys, NULL
};
