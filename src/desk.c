/* desk.c - the desk: the curses session an agent lives in. A stack of
 * screens, each with its key tables; one frame around them (the top line,
 * the message line, the key bar); and the loop that reads keys. No
 * transaction is ever open while it waits for one. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <langinfo.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#define DESK_TICK_MS 1000	/* at most: desk_poll_wait() says when sooner */
#define DESK_TYPEAHEAD_MAX 256

static int64_t
desk_now_us(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

/* The language part of a locale name: "zh_CN.UTF-8" -> "zh_CN". */
static char *
locale_language(const char *name)
{
	size_t n = strcspn(name, ".@");

	return xstrndup(name, n);
}

static const char *
locale_requested(void)
{
	const char *vars[] = { "LC_ALL", "LC_CTYPE", "LANG" };

	for (size_t i = 0; i < 3; i++) {
		const char *v = getenv(vars[i]);

		if (v != NULL && *v != '\0')
			return v;
	}
	return NULL;
}

static bool
names_utf8(const char *name)
{
	return strcasestr(name, "utf-8") != NULL ||
	    strcasestr(name, "utf8") != NULL;
}

/* A UTF-8 locale named but not installed: gettext still speaks its
 * language under C.UTF-8 when LANGUAGE names it. */
void
locale_keep_language(void)
{
	const char *want = locale_requested();
	const char *language = getenv("LANGUAGE");
	char *lang;

	if (want == NULL || !names_utf8(want) ||
	    (language != NULL && *language != '\0'))
		return;
	lang = locale_language(want);
	setenv("LANGUAGE", lang, 1);
	free(lang);
}

/*
 * The desk draws CJK text and reads it with wget_wch: it needs a UTF-8
 * codeset. A UTF-8 locale that is named but not installed (a fresh
 * server without zh_CN.UTF-8) still gets UTF-8 and its messages through
 * C.UTF-8 and LANGUAGE; with no locale set at all, C.UTF-8 is the sane
 * default. Any other character set is refused with the fix.
 */
int
desk_locale(char **why)
{
	const char *want = locale_requested();

	*why = NULL;
	if (strcmp(nl_langinfo(CODESET), "UTF-8") == 0)
		return 0;
	if (want != NULL && !names_utf8(want) && strcmp(want, "C") != 0 &&
	    strcmp(want, "POSIX") != 0) {
		*why = xasprintf(_("the desk needs a UTF-8 locale, and %s is "
		    "not one (the character set in use is %s).\nSet a UTF-8 "
		    "locale, for example:\n  export LANG=zh_CN.UTF-8    (or "
		    "en_US.UTF-8, C.UTF-8)"), want, nl_langinfo(CODESET));
		return -1;
	}
	locale_keep_language();
	if (setlocale(LC_ALL, "C.UTF-8") == NULL ||
	    strcmp(nl_langinfo(CODESET), "UTF-8") != 0) {
		*why = xasprintf(_("the desk needs a UTF-8 locale and none is "
		    "installed.\nInstall one, for example:\n"
		    "  localedef -i zh_CN -f UTF-8 zh_CN.UTF-8\n"
		    "  export LANG=zh_CN.UTF-8"));
		return -1;
	}
	return 0;
}

int
desk_body_top(void)
{
	return 1;
}

int
desk_body_rows(void)
{
	return LINES - 3 - desk_script_rows();
}

void
desk_push(struct desk *d, const struct desk_screen_ops *ops, void *data)
{
	struct desk_screen *s = xcalloc(1, sizeof *s);

	s->ops = ops;
	s->data = data;
	s->below = d->top;
	d->top = s;
}

/* The top screen off and freed; the one below is not told. */
static void
desk_drop(struct desk *d)
{
	struct desk_screen *s = d->top;

	d->top = s->below;
	if (s->ops->free != NULL)
		s->ops->free(d, s);
	free(s);
}

void
desk_pop(struct desk *d)
{
	if (d->top == NULL)
		return;
	desk_drop(d);
	if (d->top != NULL && d->top->ops->resume != NULL)
		d->top->ops->resume(d, d->top);
}

/* Close the screens on top that hold nothing unsaved, down to the first
 * one that does or to the bottom screen: a call coming in takes the desk
 * over, and a day of calls must not pile up a day of cards. The screens
 * below are not resumed; the caller opens its own at once. */
void
desk_unwind_clean(struct desk *d)
{
	struct desk_screen *s;

	while ((s = d->top) != NULL && s->below != NULL &&
	    (s->ops->dirty == NULL || !s->ops->dirty(s)))
		desk_drop(d);
}

static void
desk_set_message(struct desk *d, bool error, const char *fmt, va_list ap)
{
	free(d->msg);
	d->msg = xvasprintf(fmt, ap);
	d->msg_error = error;
	d->msg_seq++;
}

void
desk_message(struct desk *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	desk_set_message(d, false, fmt, ap);
	va_end(ap);
}

void
desk_error(struct desk *d, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	desk_set_message(d, true, fmt, ap);
	va_end(ap);
	beep();
}

void
desk_store_error(struct desk *d, int rc)
{
	const char *what;

	switch (rc) {
	case ST_BUSY:
		what = _("busy: another session holds the record, try again");
		break;
	case ST_CONFLICT:
		what = _("changed by someone else");
		break;
	case ST_EXISTS:
		what = _("already taken");
		break;
	case ST_INVALID:
		what = _("not accepted");
		break;
	case ST_NOTFOUND:
		what = _("not found");
		break;
	case ST_RESTRICT:
		what = _("still referenced");
		break;
	case ST_NOSPACE:
		what = _("out of space");
		break;
	default:
		what = _("database error");
		break;
	}
	desk_error(d, "%s: %s", what, store_error(d->store));
}

/* ---- questions ---------------------------------------------------- */

struct ask {
	char *question;
	char *keys;
	desk_answer_fn fn;
	void *arg;
};

static void
ask_draw(struct desk *d, struct desk_screen *s)
{
	struct ask *a = s->data;

	desk_fill(d, LINES - 2, 0, COLS, DA_SELECT);
	desk_put(d, LINES - 2, 1, COLS - 2, a->question, DA_SELECT);
	d->cursor_y = -1;
}

static bool
ask_text(struct desk *d, struct desk_screen *s, int key)
{
	struct ask *a = s->data;
	desk_answer_fn fn = a->fn;
	void *arg = a->arg;
	int answer = DK_NONE;

	if (key == DK_ESC || key == DK_CTRL('g'))
		answer = DK_ESC;
	else if (key > 0 && key < 0x80 && strchr(a->keys, key) != NULL)
		answer = key;
	else if (key > 0 && key < 0x80 && strchr(a->keys, key | 0x20) != NULL)
		answer = key | 0x20;
	if (answer == DK_NONE)
		return true;
	desk_pop(d);
	fn(d, arg, answer);
	return true;
}

static void
ask_free(struct desk *d, struct desk_screen *s)
{
	struct ask *a = s->data;

	free(a->question);
	free(a->keys);
	free(a);
}

static void
ask_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	(void)kc;
}

static const struct desk_screen_ops ask_ops = {
	.name = "ask",
	.overlay = true,
	.keys = ask_keys,
	.draw = ask_draw,
	.text = ask_text,
	.free = ask_free,
};

void
desk_ask(struct desk *d, const char *question, const char *keys,
    desk_answer_fn fn, void *arg)
{
	struct ask *a = xcalloc(1, sizeof *a);

	a->question = xstrdup(question);
	a->keys = xstrdup(keys);
	a->fn = fn;
	a->arg = arg;
	desk_push(d, &ask_ops, a);
}

/* ---- the frame ------------------------------------------------------ */

static const char *
desk_role_name(unsigned role)
{
	if (role & ROLE_ADMIN)
		return _("admin");
	if (role & ROLE_SUPERVISOR)
		return _("supervisor");
	return _("agent");
}

static char *
desk_home_name(struct desk *d)
{
	const char *home = store_home(d->store), *h = getenv("HOME");
	size_t n = h ? strlen(h) : 0;

	if (n > 1 && strncmp(home, h, n) == 0 && home[n] == '/')
		return xasprintf("~%s", home + n);
	return xstrdup(home);
}

/* The clock changes once a minute; localtime() costs a stat of the time
 * zone file, so it runs only then. */
static const char *
desk_clock(struct desk *d)
{
	const char *fixed = getenv("TCRM_NOW");
	time_t now = time(NULL);
	char *s;

	if (fixed != NULL && *fixed != '\0')
		now = (time_t)strtoll(fixed, NULL, 10);
	if (now / 60 != d->clock_minute || d->clock[0] == '\0') {
		d->clock_minute = now / 60;
		s = desk_time((int64_t)now * 1000000, true);
		snprintf(d->clock, sizeof d->clock, "%s", s);
		free(s);
	}
	return d->clock;
}

static void
desk_draw_top(struct desk *d)
{
	char *home = desk_home_name(d), *left;
	const char *clock = desk_clock(d);
	char *state = desk_state_text(d);
	int cw, sw;

	left = xasprintf(" tcrm  %s (%s)  %s", d->ctx->user,
	    desk_role_name(d->ctx->role), home);
	desk_fill(d, 0, 0, COLS, DA_BAR);
	cw = (int)utf8_width(clock);
	sw = state != NULL ? (int)utf8_width(state) + 2 : 0;
	desk_put(d, 0, 0, COLS - cw - sw - 2, left, DA_BAR);
	if (state != NULL)
		desk_put(d, 0, COLS - cw - sw - 1, sw - 1, state, DA_KEY);
	desk_put(d, 0, COLS - cw - 1, cw, clock, DA_BAR);
	free(state);
	free(left);
	free(home);
}

static void
desk_draw_message(struct desk *d)
{
	if (d->msg == NULL)
		return;
	desk_put(d, LINES - 2, 1, COLS - 2, d->msg,
	    d->msg_error ? DA_ERROR : DA_OK);
}

static void
desk_draw_too_small(struct desk *d)
{
	char *msg = xasprintf(_("The desk needs at least %dx%d; this terminal "
	    "is %dx%d. Please make it larger (Ctrl-Q quits)."), DESK_MIN_COLS,
	    DESK_MIN_ROWS, COLS, LINES);
	int w = COLS > 2 ? COLS - 2 : COLS, y;
	size_t len = strlen(msg), off = 0;
	struct strv lines;

	/* Wrapped by display width, centred, so even a tiny window shows as
	 * much of it as fits. */
	strv_init(&lines);
	while (off < len) {
		size_t n = utf8_clip(msg + off, (size_t)w);
		char *line;

		if (n == 0)
			break;
		line = xstrndup(msg + off, n);
		strv_push(&lines, line);
		free(line);
		off += n;
	}
	y = LINES > (int)lines.n ? (LINES - (int)lines.n) / 2 : 0;
	for (size_t i = 0; i < lines.n && y < LINES; i++)
		desk_put(d, y++, COLS > 2 ? 1 : 0, w, lines.v[i], DA_NORMAL);
	strv_free(&lines);
	free(msg);
}

static bool
desk_too_small(void)
{
	return COLS < DESK_MIN_COLS || LINES < DESK_MIN_ROWS;
}

static void
desk_draw_screens(struct desk *d, struct desk_screen *s)
{
	if (s == NULL)
		return;
	if (s->ops->overlay)
		desk_draw_screens(d, s->below);
	s->ops->draw(d, s);
}

static void
desk_show(struct desk *d)
{
	if (d->cursor_y >= 0) {
		wmove(stdscr, d->cursor_y, d->cursor_x);
		curs_set(1);
	} else {
		wmove(stdscr, LINES - 1, COLS - 1);
		curs_set(0);
	}
	wnoutrefresh(stdscr);
	doupdate();
}

void
desk_draw(struct desk *d)
{
	werase(stdscr);
	d->cursor_y = -1;
	if (desk_too_small())
		desk_draw_too_small(d);
	else {
		desk_script_layout(d);
		desk_draw_top(d);
		desk_draw_screens(d, d->top);
		desk_script_draw(d);
		if (d->top != NULL && d->top->ops != &ask_ops)
			desk_draw_message(d);
		if (d->top != NULL)
			desk_keys_bar(d, d->top, LINES - 1);
	}
	desk_show(d);
}

/* Only the top line: a second went by and nothing else changed. A
 * hundred idle desks each redrawing the whole screen every second cost
 * the one taking a call its time. */
static void
desk_draw_clock(struct desk *d)
{
	if (desk_too_small()) {
		desk_draw(d);
		return;
	}
	desk_draw_top(d);
	desk_show(d);
}

/* ---- keys ----------------------------------------------------------- */

/* A key within ms, or DK_NONE; DK_EVENT when a call came in instead. */
static int
desk_read_key(struct desk *d, int ms)
{
	wint_t ch;
	int r;

	if (ms > 0 && d->pop != NULL) {
		wtimeout(stdscr, 0);
		if ((r = wget_wch(stdscr, &ch)) != ERR)
			return desk_normal_key(r == KEY_CODE_YES ?
			    DK((int)ch) : (int)ch);
		if (desk_pop_wait(d, ms))
			return DK_EVENT;
		ms = 0;
	}
	wtimeout(stdscr, ms);
	r = wget_wch(stdscr, &ch);
	if (r == ERR)
		return DK_NONE;
	if (r == KEY_CODE_YES)
		return desk_normal_key(DK((int)ch));
	return desk_normal_key((int)ch);
}

void
desk_handle_key(struct desk *d, int key)
{
	struct desk_screen *s = d->top;

	d->last_key_us = desk_now_us();
	d->key = key;
	if (key == DK_RESIZE || s == NULL)
		return;
	if (desk_too_small()) {
		if (key == DK_CTRL('q') || key == DK(KEY_F(10)))
			d->quit = true;
		return;
	}
	if (s->ops != &ask_ops) {
		free(d->msg);
		d->msg = NULL;
	}
	if (desk_keys_dispatch(d, s, key))
		return;
	if (s->ops->text != NULL && s->ops->text(d, s, key))
		return;
	if (key != DK_ESC)
		beep();
}

void
desk_settle(struct desk *d)
{
	if (d->top != NULL && d->top->ops->settle != NULL)
		d->top->ops->settle(d, d->top);
}

/* Each form on the stack keeps its draft once typing pauses. */
void
desk_keep_drafts(struct desk *d, bool force)
{
	for (struct desk_screen *s = d->top; s != NULL; s = s->below) {
		if (s->ops->keep != NULL)
			s->ops->keep(d, s, force);
	}
}

static void
desk_tick(struct desk *d)
{
	if (desk_now_us() - d->last_key_us >= 900000)
		desk_keep_drafts(d, false);
}

static void
desk_loop(struct desk *d)
{
	int key, n;
	bool full = true;
	unsigned drawn_msg = d->msg_seq;

	while (!d->quit && d->top != NULL && !store_stop_signal) {
		/* A tick with no news, no message and no key moves only the
		 * top line's timer. */
		if (desk_poll(d) || full || d->msg_seq != drawn_msg) {
			desk_draw(d);
			drawn_msg = d->msg_seq;
		} else
			desk_draw_clock(d);
		full = true;
		desk_pop_drawn(d);
		key = desk_read_key(d, desk_poll_wait(d, DESK_TICK_MS));
		if (store_stop_signal)
			break;
		/* A call is drawn at once; the polling above can wait. */
		if (key == DK_EVENT) {
			desk_draw(d);
			desk_pop_drawn(d);
			continue;
		}
		if (key == DK_NONE) {
			desk_tick(d);
			full = false;
			continue;
		}
		desk_handle_key(d, key);
		/* Keys that came together over a slow link are all taken
		 * before the next search and screen update. */
		for (n = 0; n < DESK_TYPEAHEAD_MAX && !d->quit && d->top; n++) {
			if ((key = desk_read_key(d, 0)) == DK_NONE)
				break;
			desk_handle_key(d, key);
		}
		desk_settle(d);
	}
}

/* ---- colours -------------------------------------------------------- */

void
desk_colors(struct desk *d)
{
	const char *nc = getenv("NO_COLOR");
	bool color = has_colors() && (nc == NULL || *nc == '\0');

	d->attrs[DA_NORMAL] = A_NORMAL;
	d->attrs[DA_BAR] = A_REVERSE;
	d->attrs[DA_KEY] = A_REVERSE | A_BOLD;
	d->attrs[DA_SELECT] = A_REVERSE;
	d->attrs[DA_LABEL] = A_NORMAL;
	d->attrs[DA_ERROR] = A_BOLD;
	d->attrs[DA_DIM] = A_DIM;
	d->attrs[DA_FIELD] = A_UNDERLINE;
	d->attrs[DA_FOCUS] = A_UNDERLINE | A_BOLD;
	d->attrs[DA_TITLE] = A_BOLD;
	d->attrs[DA_HEADER] = A_BOLD;
	d->attrs[DA_OK] = A_NORMAL;
	if (!color || start_color() == ERR)
		return;
	use_default_colors();
	init_pair(1, COLOR_WHITE, COLOR_BLUE);
	init_pair(2, COLOR_YELLOW, COLOR_BLUE);
	init_pair(3, COLOR_RED, -1);
	init_pair(4, COLOR_CYAN, -1);
	init_pair(5, COLOR_GREEN, -1);
	d->attrs[DA_BAR] = COLOR_PAIR(1);
	d->attrs[DA_KEY] = COLOR_PAIR(2) | A_BOLD;
	d->attrs[DA_ERROR] = COLOR_PAIR(3) | A_BOLD;
	d->attrs[DA_LABEL] = COLOR_PAIR(4);
	d->attrs[DA_OK] = COLOR_PAIR(5);
}

/* ---- the session ---------------------------------------------------- */

struct desk *
desk_new(struct cmd_ctx *ctx)
{
	struct desk *d = xcalloc(1, sizeof *d);

	d->ctx = ctx;
	d->store = ctx->store;
	d->forms = ctx->forms;
	d->lang = labels_lang();
	d->cursor_y = -1;
	d->last_key_us = desk_now_us();
	/* raw: Ctrl-S, Ctrl-Q, Ctrl-C and Ctrl-Z are keys, not flow control
	 * or signals; a server session must not stop on Ctrl-Z. */
	raw();
	noecho();
	nonl();
	intrflush(stdscr, FALSE);
	keypad(stdscr, TRUE);
	set_escdelay(50);
	/* The loop takes every waiting key before it draws; checking for
	 * more in the middle of an update only splits it into many small
	 * writes. */
	typeahead(-1);
	/* A refined search often shows part of the old list moved up:
	 * scrolling it costs less than drawing it again. */
	idlok(stdscr, TRUE);
	/* ncurses flushes its output at every cursor move until the screen
	 * has been through endwin once (it cannot tell a library user that
	 * never started the screen): a frame went out in dozens of writes,
	 * each a wakeup on the pty and a packet over SSH. A first
	 * endwin/refresh leaves it flushing once per update. */
	endwin();
	wrefresh(stdscr);
	desk_colors(d);
	desk_svc_init(d);
	return d;
}

void
desk_free(struct desk *d)
{
	while (d->top != NULL)
		desk_drop(d);
	desk_svc_free(d);
	free(d->msg);
	free(d);
}

int
desk_run_outside(struct desk *d, int argc, char **argv)
{
	char line[64];
	int rc;

	def_prog_mode();
	endwin();
	fflush(stdout);
	rc = cmd_run(d->ctx, argc, argv);
	d->ctx->name = NULL;
	fflush(stderr);
	printf("\n%s", _("[press Enter to return to the desk]"));
	fflush(stdout);
	if (fgets(line, sizeof line, stdin) == NULL)
		clearerr(stdin);
	reset_prog_mode();
	clearok(curscr, TRUE);
	return rc;
}

/* A hang-up or kill: the forms' work goes to drafts, even though the
 * signal stops new transactions, then the environment closes cleanly. */
static void
desk_save_on_signal(struct desk *d)
{
	int sig = store_stop_signal;

	store_stop_signal = 0;
	desk_keep_drafts(d, true);
	store_stop_signal = sig;
}

int
desk_run(struct cmd_ctx *ctx, const struct entity *open_entity,
    uint32_t open_id)
{
	SCREEN *scr;
	struct desk *d;
	char *why, id[16];

	if (ctx->store == NULL) {
		char *argv[] = { "desk", NULL, NULL, NULL };

		if (open_entity != NULL) {
			snprintf(id, sizeof id, "%u", open_id);
			argv[1] = open_entity->name;
			argv[2] = id;
		}
		return cmd_run(ctx, open_entity ? 3 : 1, argv);
	}
	if (desk_locale(&why) != 0) {
		fprintf(stderr, "tcrm: %s\n", why);
		free(why);
		return EX_CONFIG;
	}
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
		fprintf(stderr, "tcrm: %s\n", _("the desk needs a terminal; "
		    "for scripts use the commands (tcrm help)"));
		return EX_USAGE;
	}
	if ((scr = newterm(NULL, stdout, stdin)) == NULL) {
		fprintf(stderr, "tcrm: %s\n", _("this terminal type is not "
		    "known: set TERM (xterm-256color, screen, linux, vt100)"));
		return EX_CONFIG;
	}
	d = desk_new(ctx);
	desk_pop_start(d);
	desk_sign_on(d);
	desk_search_open(d, NULL);
	if (open_entity != NULL)
		desk_card_open(d, open_entity, open_id);
	desk_drafts_offer(d);
	desk_loop(d);
	if (store_stop_signal)
		desk_save_on_signal(d);
	desk_sign_off(d);
	desk_pop_stop(d);
	desk_free(d);
	endwin();
	delscreen(scr);
	return 0;
}

/* `tcrm desk [ENTITY ID]`, and `tcrm` with no command. */
int
cmd_desk_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct entity *e = NULL;
	uint32_t id = 0;

	if (argc == 2 && strcmp(argv[1], "--keys") == 0)
		return desk_print_keys(stdout);
	if (argc != 1 && argc != 3) {
		cmd_error(ctx, "usage: tcrm desk [ENTITY ID]");
		return EX_USAGE;
	}
	if (argc == 3) {
		if ((e = cmd_entity(ctx, argv[1])) == NULL)
			return EX_USAGE;
		if (!cmd_parse_id(argv[2], &id)) {
			cmd_error(ctx, _("'%s' is not a record id"), argv[2]);
			return EX_USAGE;
		}
	}
	return desk_run(ctx, e, id);
}
