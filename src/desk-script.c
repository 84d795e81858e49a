/* desk-script.c - the call script, in a panel below a card or a form
 * while a call is worked: the script of the call's campaign when
 * service.yaml has one, else that of the ticket's queue, else that of
 * the agent's first queue with a script; {{field}} merged from the
 * customer ({{last_order}} and {{last_call}} too). A toggle (F8, ^X) shows and hides it; the screen above the
 * panel keeps the rest of the lines, so 80x24 still works. */
#define TCRM_DESK_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define SCRIPT_REREAD_MS 5000

static bool script_shown;
static int script_rows;		/* lines the panel takes now, 0: none */
static char *script_key;	/* what the text was merged for */
static char *script_text;	/* merged; NULL: no script applies */
static int64_t script_read_ms;

int
desk_script_rows(void)
{
	return script_rows;
}

void
desk_script_toggle(struct desk *d)
{
	script_shown = !script_shown;
	desk_message(d, "%s", script_shown ? _("Call script shown (F8 or ^X "
	    "hides it).") : _("Call script hidden."));
	free(script_key);
	script_key = NULL;
}

/* What the screen is about: its customer, campaign and queue. */
struct script_ctx {
	char *customer;
	char *campaign;
	char *queue;
};

static char *
text_or_null(const char *s)
{
	return s != NULL && *s != '\0' ? xstrdup(s) : NULL;
}

static bool
script_context(struct desk_screen *s, struct script_ctx *c)
{
	const struct entity *e = NULL;
	const struct record *r;
	char id[16];

	memset(c, 0, sizeof *c);
	if ((r = desk_card_record(s, &e)) != NULL) {
		if (strcmp(e->name, "customer") == 0) {
			snprintf(id, sizeof id, "%u", r->id);
			c->customer = xstrdup(id);
		} else
			c->customer = text_or_null(record_get(r, "customer"));
		c->campaign = text_or_null(record_get(r, "campaign"));
		c->queue = text_or_null(record_get(r, "queue"));
		return true;
	}
	if (desk_form_text(s, "customer", &e) == NULL)
		return false;
	c->customer = text_or_null(desk_form_text(s, "customer", NULL));
	c->campaign = text_or_null(desk_form_text(s, "campaign", NULL));
	c->queue = text_or_null(desk_form_text(s, "queue", NULL));
	return true;
}

static void
script_ctx_free(struct script_ctx *c)
{
	free(c->customer);
	free(c->campaign);
	free(c->queue);
}

struct script_run {
	struct desk *desk;
	const struct script_ctx *ctx;
	struct record customer;
	bool have_customer;
	char *campaign_name;	/* a campaign reference's name */
};

static int
script_txn(struct store *s, struct txn *t, void *arg)
{
	struct script_run *sr = arg;
	const struct forms *forms = store_forms(s);
	const struct entity *ce = forms_entity(forms, "customer");
	const struct entity *ke = forms_entity(forms, "campaign");
	struct record r;
	uint32_t id;
	int rc;

	record_free(&sr->customer);
	record_init(&sr->customer);
	sr->have_customer = false;
	free(sr->campaign_name);
	sr->campaign_name = NULL;
	if (ce != NULL && sr->ctx->customer != NULL &&
	    cmd_parse_id(sr->ctx->customer, &id)) {
		/* The customer's fields, and last_order and last_call. */
		rc = svc_script_fields(s, t, id, &sr->customer);
		if (rc != ST_OK && rc != ST_NOTFOUND)
			return rc;
		sr->have_customer = rc == ST_OK;
	}
	if (ke != NULL && ke->title != NULL && sr->ctx->campaign != NULL &&
	    cmd_parse_id(sr->ctx->campaign, &id) &&
	    store_get(s, t, ke, id, &r) == ST_OK) {
		sr->campaign_name = xstrdup(record_get(&r, ke->title));
		record_free(&r);
	}
	return ST_OK;
}

static const char *
script_pick(struct desk *d, const struct script_ctx *c, const char *cname)
{
	const struct service *svc = store_service(d->store);
	const struct svc_queue *q, **mine;

	if (svc == NULL)
		return NULL;
	for (size_t i = 0; c->campaign != NULL && i < svc->nscripts; i++) {
		const char *sc = svc->scripts[i].campaign;

		if (strcmp(sc, c->campaign) == 0 ||
		    (cname != NULL && strcmp(sc, cname) == 0))
			return svc->scripts[i].text;
	}
	if (c->queue != NULL && (q = service_queue(svc, c->queue)) != NULL &&
	    q->script != NULL)
		return q->script;
	mine = desk_my_queues(d);
	for (size_t i = 0; mine[i] != NULL; i++) {
		if (mine[i]->script != NULL)
			return mine[i]->script;
	}
	return NULL;
}

static void
script_read(struct desk *d, const struct script_ctx *c)
{
	struct script_run sr;
	const char *tmpl;
	int rc;

	memset(&sr, 0, sizeof sr);
	sr.desk = d;
	sr.ctx = c;
	record_init(&sr.customer);
	rc = store_run(d->store, script_txn, &sr);
	free(script_text);
	script_text = NULL;
	if (rc == ST_OK && (tmpl = script_pick(d, c, sr.campaign_name)))
		script_text = service_merge(tmpl, forms_entity(d->forms,
		    "customer"), sr.have_customer ? &sr.customer : NULL);
	record_free(&sr.customer);
	free(sr.campaign_name);
}

/* The lines of text wrapped to width columns. */
static void
script_wrap(const char *text, int width, struct strv *lines)
{
	const char *p = text;

	strv_init(lines);
	while (*p != '\0') {
		size_t len = strcspn(p, "\n"), off = 0;

		if (len == 0)
			strv_push(lines, "");
		while (off < len) {
			char *piece = xstrndup(p + off, len - off);
			size_t n = utf8_clip(piece, (size_t)width);
			char *line;

			if (n == 0)
				n = strlen(piece);
			line = xstrndup(piece, n);
			strv_push(lines, line);
			free(line);
			free(piece);
			off += n;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
}

static struct desk_screen *
script_screen(struct desk *d)
{
	struct desk_screen *s = d->top;

	while (s != NULL && s->ops->overlay)
		s = s->below;
	return s;
}

/* Before the screens draw: does the panel show, and how tall is it. */
void
desk_script_layout(struct desk *d)
{
	struct desk_screen *s;
	struct script_ctx c;
	struct strv lines;
	char *key;
	int max;

	script_rows = 0;
	if (!script_shown || d->store == NULL ||
	    (s = script_screen(d)) == NULL || !script_context(s, &c))
		return;
	key = xasprintf("%s/%s/%s", c.customer ? c.customer : "",
	    c.campaign ? c.campaign : "", c.queue ? c.queue : "");
	if (script_key == NULL || strcmp(key, script_key) != 0 ||
	    clock_mono_ms() - script_read_ms >= SCRIPT_REREAD_MS) {
		free(script_key);
		script_key = key;
		script_read_ms = clock_mono_ms();
		script_read(d, &c);
	} else
		free(key);
	script_ctx_free(&c);
	max = LINES >= 40 ? 12 : 7;
	if (script_text == NULL) {
		script_rows = 2;
		return;
	}
	script_wrap(script_text, COLS - 2, &lines);
	script_rows = (int)lines.n + 1 > max ? max : (int)lines.n + 1;
	strv_free(&lines);
}

void
desk_script_draw(struct desk *d)
{
	int y0 = LINES - 2 - script_rows;
	struct strv lines;

	if (script_rows == 0)
		return;
	desk_fill(d, y0, 0, COLS, DA_HEADER);
	desk_put(d, y0, 1, COLS - 2, _("── Call script (F8 hides) ──"),
	    DA_HEADER);
	if (script_text == NULL) {
		desk_put(d, y0 + 1, 2, COLS - 3, _("No call script applies "
		    "here (service.yaml: scripts, or a queue's script)."),
		    DA_DIM);
		return;
	}
	script_wrap(script_text, COLS - 2, &lines);
	for (size_t i = 0; i < lines.n && (int)i + 1 < script_rows; i++)
		desk_put(d, y0 + 1 + (int)i, 1, COLS - 2, lines.v[i],
		    DA_NORMAL);
	if ((int)lines.n + 1 > script_rows)
		desk_put(d, LINES - 3, COLS - 2, 1, "↓", DA_DIM);
	strv_free(&lines);
}
