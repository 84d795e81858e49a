/* desk-palette.c - ':' opens a command line with completion over the
 * command table. A few names mean something on the desk itself (find,
 * new, open, help, quit); every other command runs on the plain terminal
 * as it would from the shell, with the same role checks, and the desk
 * comes back after it. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PALETTE_SHOWN 8

struct palette {
	struct dfield line;
	struct strv names;	/* what can be typed */
	struct strv about;	/* a word on each */
	size_t *match;
	size_t nmatch;
	size_t sel;
	char *matched;		/* the text the matches are for */
};

static void
palette_add(struct palette *p, const char *name, const char *about)
{
	strv_push(&p->names, name);
	strv_push(&p->about, about);
}

/* Desk commands first, then the command table (which names every other
 * module's commands as they are added). */
static void
palette_names(struct desk *d, struct palette *p)
{
	palette_add(p, "find", _("search, as on the home screen"));
	for (size_t i = 0; i < d->forms->n; i++) {
		const struct entity *e = &d->forms->entities[i];
		char *name, *about;

		if (!entity_writable(e, d->ctx->role))
			continue;
		name = xasprintf("new %s", e->name);
		about = xasprintf(_("a new %s"), desk_label(d, &e->label));
		palette_add(p, name, about);
		free(name);
		free(about);
	}
	palette_add(p, "open", _("open a record: open ENTITY ID"));
	palette_add(p, "work", _("My work: my tickets and callbacks"));
	if (d->ctx->role & (ROLE_SUPERVISOR | ROLE_ADMIN))
		palette_add(p, "board", _("the supervisor's board"));
	palette_add(p, "ready", _("ready for the next call"));
	palette_add(p, "state", _("change your state (pause with a reason)"));
	palette_add(p, "script", _("show or hide the call script"));
	palette_add(p, "help", _("the keys of this screen"));
	palette_add(p, "quit", _("leave the desk"));
	for (const struct cmd_entry *ce = cmd_table; ce->name != NULL; ce++) {
		if (strcmp(ce->name, "desk") == 0 ||
		    strcmp(ce->name, "find") == 0 ||
		    strcmp(ce->name, "help") == 0 ||
		    (ce->roles & d->ctx->role) == 0)
			continue;
		palette_add(p, ce->name, _(ce->summary));
	}
}

static void
palette_refilter(struct palette *p)
{
	const char *t = dfield_text(&p->line);
	size_t len = strlen(t);

	free(p->matched);
	p->matched = xstrdup(t);
	free(p->match);
	p->match = xcalloc(p->names.n + 1, sizeof *p->match);
	p->nmatch = 0;
	for (size_t i = 0; i < p->names.n; i++) {
		const char *name = p->names.v[i];
		size_t nl = strlen(name);

		/* "new tic" matches "new ticket"; "new ticket x" still shows
		 * what it runs. */
		if (strncasecmp(name, t, len < nl ? len : nl) == 0 &&
		    (len <= nl || t[nl] == ' '))
			p->match[p->nmatch++] = i;
	}
	if (p->sel >= p->nmatch)
		p->sel = 0;
}

static void
palette_settle(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;

	(void)d;
	if (p->matched == NULL || strcmp(p->matched, dfield_text(&p->line)))
		palette_refilter(p);
}

static void
palette_draw(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;
	size_t shown = p->nmatch < PALETTE_SHOWN ? p->nmatch : PALETTE_SHOWN;
	size_t first = p->sel >= shown ? p->sel + 1 - shown : 0;
	int y = LINES - 2 - (int)shown;

	palette_settle(d, s);
	for (size_t i = 0; i < shown; i++) {
		size_t k = p->match[first + i];
		enum desk_attr a = first + i == p->sel ? DA_SELECT : DA_NORMAL;
		char *pad = utf8_pad(p->names.v[k], 18);

		desk_fill(d, y + (int)i, 0, COLS, a);
		desk_put(d, y + (int)i, 2, 18, pad, a == DA_SELECT ? a :
		    DA_TITLE);
		desk_put(d, y + (int)i, 21, COLS - 22, p->about.v[k],
		    a == DA_SELECT ? a : DA_DIM);
		free(pad);
	}
	desk_fill(d, LINES - 2, 0, COLS, DA_NORMAL);
	desk_put(d, LINES - 2, 0, 1, ":", DA_TITLE);
	desk_draw_field(d, &p->line, LINES - 2, 1, COLS - 2, true, DA_FOCUS);
}

/* Words of a command line; quotes keep spaces. */
static void
palette_split(const char *line, struct strv *words)
{
	struct buf w;
	char quote = 0;
	bool in = false;

	strv_init(words);
	buf_init(&w);
	for (const char *c = line;; c++) {
		if (*c == '\0' || (!quote && *c == ' ')) {
			if (in)
				strv_push(words, w.data ? w.data : "");
			buf_reset(&w);
			in = false;
			if (*c == '\0')
				break;
			continue;
		}
		in = true;
		if (!quote && (*c == '"' || *c == '\''))
			quote = *c;
		else if (quote && *c == quote)
			quote = 0;
		else
			buf_addc(&w, *c);
	}
	buf_free(&w);
}

static char *
palette_rest(struct strv *w, size_t from)
{
	struct strv rest;
	char *s;

	strv_init(&rest);
	for (size_t i = from; i < w->n; i++)
		strv_push(&rest, w->v[i]);
	s = strv_join(&rest, " ");
	strv_free(&rest);
	return s;
}

static void
palette_exec_new(struct desk *d, struct strv *w)
{
	const struct entity *e = w->n > 1 ? forms_entity(d->forms, w->v[1]) :
	    NULL;

	if (e == NULL) {
		desk_error(d, "%s", _("new what? :new ENTITY, for example "
		    ":new ticket"));
		return;
	}
	if (!desk_card_new_here(d, e))
		desk_form_new(d, e, NULL);
}

static void
palette_exec_open(struct desk *d, struct strv *w)
{
	const struct entity *e = w->n > 2 ? forms_entity(d->forms, w->v[1]) :
	    NULL;
	uint32_t id;

	if (e == NULL || !cmd_parse_id(w->v[2], &id)) {
		desk_error(d, "%s", _("usage: :open ENTITY ID"));
		return;
	}
	desk_card_open(d, e, id);
}

static void
palette_exec(struct desk *d, const char *line)
{
	struct strv w;
	const struct cmd_entry *ce;
	int used, rc;
	char *rest;

	palette_split(line, &w);
	if (w.n == 0)
		goto out;
	if (strcmp(w.v[0], "find") == 0 || strcmp(w.v[0], "f") == 0) {
		rest = palette_rest(&w, 1);
		desk_search_open(d, rest);
		free(rest);
	} else if (strcmp(w.v[0], "new") == 0)
		palette_exec_new(d, &w);
	else if (strcmp(w.v[0], "open") == 0 || strcmp(w.v[0], "show") == 0)
		palette_exec_open(d, &w);
	else if (strcmp(w.v[0], "help") == 0 && w.n == 1)
		desk_help_open(d, d->top);
	else if (strcmp(w.v[0], "quit") == 0 || strcmp(w.v[0], "q") == 0)
		desk_keys_dispatch(d, d->top, DK_CTRL('q'));
	else if (strcmp(w.v[0], "desk") == 0)
		desk_message(d, "%s", _("This is the desk."));
	else if (strcmp(w.v[0], "work") == 0 && w.n == 1)
		desk_work_open(d);
	else if (strcmp(w.v[0], "board") == 0 && w.n == 1)
		desk_board_open(d);
	else if (strcmp(w.v[0], "ready") == 0 && w.n == 1)
		desk_keys_dispatch(d, d->top, DK_CTRL('r'));
	else if (strcmp(w.v[0], "state") == 0 && w.n == 1)
		desk_keys_dispatch(d, d->top, DK_CTRL('y'));
	else if (strcmp(w.v[0], "script") == 0 && w.n == 1)
		desk_keys_dispatch(d, d->top, DK_CTRL('x'));
	else if ((ce = cmd_lookup((int)w.n, w.v, &used)) == NULL)
		desk_error(d, _("No command '%s' (Tab completes)."), w.v[0]);
	else if ((rc = desk_run_outside(d, (int)w.n, w.v)) != 0)
		desk_error(d, _("%s ended with status %d."), ce->name, rc);
	else
		desk_message(d, _("%s done."), ce->name);
out:
	strv_free(&w);
}

static void
palette_run(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;
	char *line;
	bool known;
	struct strv w;
	int used;

	palette_settle(d, s);
	line = xstrdup(dfield_text(&p->line));
	palette_split(line, &w);
	known = w.n > 0 && (cmd_lookup((int)w.n, w.v, &used) != NULL ||
	    strcmp(w.v[0], "new") == 0 || strcmp(w.v[0], "open") == 0 ||
	    strcmp(w.v[0], "quit") == 0);
	strv_free(&w);
	/* Half a name runs the highlighted completion. */
	if (!known && p->nmatch > 0) {
		free(line);
		line = xstrdup(p->names.v[p->match[p->sel]]);
	}
	desk_pop(d);
	palette_exec(d, line);
	free(line);
}

static void
palette_cancel(struct desk *d, struct desk_screen *s)
{
	(void)s;
	desk_pop(d);
}

/* Tab: the longest prefix every match shares, or the highlighted one. */
static void
palette_complete(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;
	const char *first;
	size_t common, typed = strlen(dfield_text(&p->line));
	char *text;

	palette_settle(d, s);
	if (p->nmatch == 0) {
		beep();
		return;
	}
	first = p->names.v[p->match[0]];
	common = strlen(first);
	for (size_t i = 1; i < p->nmatch; i++) {
		const char *o = p->names.v[p->match[i]];
		size_t k = 0;

		while (k < common && o[k] != '\0' && o[k] == first[k])
			k++;
		common = k;
	}
	if (common <= typed)
		text = xasprintf("%s ", p->names.v[p->match[p->sel]]);
	else
		text = xstrndup(first, common);
	dfield_set(&p->line, text);
	free(text);
}

static void
palette_down(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;

	(void)d;
	if (p->sel + 1 < p->nmatch)
		p->sel++;
}

static void
palette_up(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;

	(void)d;
	if (p->sel > 0)
		p->sel--;
}

static const struct desk_action palette_actions[] = {
	{ "run", N_("Run"), N_("run the command"), palette_run },
	{ "complete", N_("Complete"), N_("complete the command name"),
	  palette_complete },
	{ "cancel", N_("Cancel"), N_("close the palette"), palette_cancel },
	{ "down", N_("Down"), N_("next suggestion"), palette_down },
	{ "up", N_("Up"), N_("previous suggestion"), palette_up },
	{ NULL, NULL, NULL, NULL }
};

static const struct desk_binding palette_bindings[] = {
	{ DK_ENTER, "run", true },
	{ DK_TAB, "complete", true },
	{ DK_ESC, "cancel", true },
	{ DK(KEY_DOWN), "down", false },
	{ DK(KEY_UP), "up", false },
	{ 0, NULL, false }
};

const struct desk_keymap desk_palette_keys = {
	"palette", N_("Command palette"), palette_actions, palette_bindings
};

static void
palette_keys(struct desk_screen *s, struct desk_keychain *kc)
{
	(void)s;
	desk_keychain_add(kc, &desk_palette_keys);
	desk_keychain_add(kc, &desk_edit_keys);
}

static struct dfield *
palette_field(struct desk_screen *s)
{
	return &((struct palette *)s->data)->line;
}

static bool
palette_text(struct desk *d, struct desk_screen *s, int key)
{
	struct palette *p = s->data;

	(void)d;
	if (!desk_printable(key))
		return false;
	dfield_insert_cp(&p->line, key);
	p->sel = 0;
	return true;
}

static void
palette_free(struct desk *d, struct desk_screen *s)
{
	struct palette *p = s->data;

	(void)d;
	dfield_free(&p->line);
	strv_free(&p->names);
	strv_free(&p->about);
	free(p->match);
	free(p->matched);
	free(p);
}

static const struct desk_screen_ops palette_ops = {
	.name = "palette",
	.overlay = true,
	.keys = palette_keys,
	.draw = palette_draw,
	.text = palette_text,
	.field = palette_field,
	.settle = palette_settle,
	.free = palette_free,
};

void
desk_palette_open(struct desk *d)
{
	struct palette *p = xcalloc(1, sizeof *p);

	dfield_init(&p->line, "", false);
	strv_init(&p->names);
	strv_init(&p->about);
	palette_names(d, p);
	desk_push(d, &palette_ops, p);
	palette_refilter(p);
}
