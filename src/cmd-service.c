/* cmd-service.c - what the service desk's commands (ticket, callback,
 * agent, sla) share: a customer or a ticket found the way people name
 * them, users checked, times and timers shown. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define LOOKUP_MAX 8

struct lookup {
	const struct entity *entity;
	const struct field *field;	/* NULL: the text is an id */
	const char *text;
	uint32_t ids[LOOKUP_MAX];
	size_t n;
};

static int
lookup_txn(struct store *s, struct txn *t, void *arg)
{
	struct lookup *lk = arg;
	struct record r;
	int rc;

	lk->n = 0;
	if (lk->field != NULL)
		return store_lookup(s, t, lk->field, lk->text, lk->ids,
		    LOOKUP_MAX, &lk->n);
	if (!cmd_parse_id(lk->text, &lk->ids[0]))
		return ST_OK;
	if ((rc = store_get(s, t, lk->entity, lk->ids[0], &r)) == ST_OK) {
		lk->n = 1;
		record_free(&r);
	}
	return rc == ST_NOTFOUND ? ST_OK : rc;
}

static int
lookup_run(struct cmd_ctx *ctx, struct lookup *lk)
{
	int rc = store_run(ctx->store, lookup_txn, lk);

	return rc == ST_OK ? 0 : cmd_store_error(ctx, rc);
}

/* Several records answer to what was given: name them, so the user can
 * give an id instead. */
static int
ambiguous(struct cmd_ctx *ctx, const char *what, const char *text,
    const uint32_t *ids, size_t n)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < n; i++)
		buf_printf(&b, "%s%u", i ? ", " : "", ids[i]);
	cmd_error(ctx, _("'%s' names several %ss (ids %s%s): give the id"),
	    text, what, b.data, n >= LOOKUP_MAX ? ", …" : "");
	buf_free(&b);
	return EX_DATAERR;
}

static int
customer_by_name(struct cmd_ctx *ctx, const struct entity *e,
    const char *text, uint32_t *id)
{
	struct hits hits;
	uint32_t ids[LOOKUP_MAX];
	size_t n = 0, exact = 0;
	char *want = utf8_fold(text);
	int rc;

	if ((rc = store_find(ctx->store, text, e, LOOKUP_MAX, &hits)) != ST_OK) {
		free(want);
		return cmd_store_error(ctx, rc);
	}
	for (size_t i = 0; i < hits.n; i++) {
		char *title = utf8_fold(hits.v[i].title ? hits.v[i].title : "");

		/* A whole name beats the names it is a prefix of. */
		if (want != NULL && title != NULL && strcmp(title, want) == 0) {
			*id = hits.v[i].id;
			exact++;
		}
		free(title);
		if (n < LOOKUP_MAX)
			ids[n++] = hits.v[i].id;
	}
	hits_free(&hits);
	free(want);
	if (exact == 1 || (exact == 0 && n == 1)) {
		if (exact == 0)
			*id = ids[0];
		return 0;
	}
	if (n == 0) {
		cmd_error(ctx, _("no customer '%s' (give an id, a phone, an "
		    "email or a name)"), text);
		return EX_NOINPUT;
	}
	return ambiguous(ctx, "customer", text, ids, n);
}

int
cmd_find_customer(struct cmd_ctx *ctx, const char *text, uint32_t *id)
{
	const struct entity *e = forms_entity(ctx->forms, "customer");
	struct lookup lk;
	int rc;

	if (e == NULL) {
		cmd_error(ctx, _("the forms have no customer entity"));
		return EX_CONFIG;
	}
	memset(&lk, 0, sizeof lk);
	lk.entity = e;
	lk.text = text;
	/* An id first: a phone number is longer than any id. */
	if ((rc = lookup_run(ctx, &lk)) != 0 || lk.n == 1) {
		*id = lk.ids[0];
		return rc;
	}
	if (strchr(text, '@') != NULL)
		lk.field = entity_field(e, "email");
	else if (phone_like(text))
		lk.field = entity_field(e, "phones");
	if (lk.field == NULL || lk.field->index == IX_NONE)
		return customer_by_name(ctx, e, text, id);
	if ((rc = lookup_run(ctx, &lk)) != 0)
		return rc;
	if (lk.n == 1) {
		*id = lk.ids[0];
		return 0;
	}
	if (lk.n == 0) {
		cmd_error(ctx, _("no customer with %s '%s'"), lk.field->name,
		    text);
		return EX_NOINPUT;
	}
	return ambiguous(ctx, "customer", text, lk.ids, lk.n);
}

int
cmd_find_ticket(struct cmd_ctx *ctx, const char *text, uint32_t *id)
{
	const struct entity *e = forms_entity(ctx->forms, "ticket");
	struct lookup lk;
	int rc;

	if (e == NULL) {
		cmd_error(ctx, _("the forms have no ticket entity"));
		return EX_CONFIG;
	}
	memset(&lk, 0, sizeof lk);
	lk.entity = e;
	lk.text = text;
	/* The number people read out first; a bare id when none has it. */
	lk.field = entity_field(e, "number");
	if (lk.field != NULL && lk.field->index != IX_NONE) {
		if ((rc = lookup_run(ctx, &lk)) != 0)
			return rc;
		if (lk.n > 1)
			return ambiguous(ctx, "ticket", text, lk.ids, lk.n);
		if (lk.n == 1) {
			*id = lk.ids[0];
			return 0;
		}
	}
	lk.field = NULL;
	if ((rc = lookup_run(ctx, &lk)) != 0)
		return rc;
	if (lk.n == 1) {
		*id = lk.ids[0];
		return 0;
	}
	cmd_error(ctx, _("no ticket '%s' (give its number, e.g. T000123, or "
	    "its id)"), text);
	return EX_NOINPUT;
}

int
cmd_check_user(struct cmd_ctx *ctx, const char *name)
{
	struct user u;
	int rc = store_user_get(ctx->store, name, &u);

	if (rc == ST_NOTFOUND || rc == ST_INVALID) {
		cmd_error(ctx, _("no user '%s' (tcrm user list shows them)"),
		    name);
		return EX_NOUSER;
	}
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	rc = 0;
	if (u.disabled) {
		cmd_error(ctx, _("user '%s' is disabled"), name);
		rc = EX_NOUSER;
	}
	user_free(&u);
	return rc;
}

/* "2026-11-23T09:00:00" -> "2026-11-23 09:00"; "" stays "". */
char *
cmd_time_text(const char *stored)
{
	time_t t;
	struct tm tm;
	char out[32];

	if (stored == NULL || *stored == '\0')
		return xstrdup("");
	if (datetime_parse(stored, &t) != 0)
		return xstrdup(stored);
	localtime_r(&t, &tm);
	strftime(out, sizeof out, "%Y-%m-%d %H:%M", &tm);
	return xstrdup(out);
}

char *
cmd_now_text(void)
{
	return datetime_format(clock_now());
}

/* Whole time between a stored moment and now ("25m", "2d 3h"). */
char *
cmd_age_text(const char *stored, time_t now)
{
	time_t t;

	if (stored == NULL || *stored == '\0' || datetime_parse(stored, &t) != 0)
		return xstrdup("");
	return service_duration_text((long)(now - t));
}

/* A value checked and normalised by its field, as `tcrm set` would. */
int
cmd_field_value(struct cmd_ctx *ctx, const struct entity *e,
    const char *name, const char *in, struct record *r)
{
	const struct field *f = entity_field(e, name);
	char *out = NULL, *why = NULL;

	if (f == NULL) {
		cmd_error(ctx, _("the %s form has no field '%s'"), e->name,
		    name);
		return EX_CONFIG;
	}
	if (field_normalise(f, in, &out, &why) != 0) {
		cmd_error(ctx, "%s: %s", name, why);
		free(why);
		return EX_DATAERR;
	}
	record_set(r, f->name, out);
	free(out);
	return 0;
}

/* The form's permission for each field about to be written. */
int
cmd_check_fields(struct cmd_ctx *ctx, const struct entity *e, uint32_t id,
    const struct record *r)
{
	if (!entity_writable(e, ctx->role))
		return cmd_refuse(ctx, e, id, "write",
		    _("the %s role may not change %s records"),
		    role_name(ctx->role), e->name);
	for (size_t i = 0; i < r->n; i++) {
		const struct field *f = entity_field(e, r->fields[i].name);

		if (f != NULL && !field_writable(f, ctx->role))
			return cmd_refuse(ctx, e, id, f->name,
			    _("the %s role may not change %s.%s"),
			    role_name(ctx->role), e->name, f->name);
	}
	return 0;
}

/* The queue must be one service.yaml declares, when it declares any. */
int
cmd_check_queue(struct cmd_ctx *ctx, const char *queue)
{
	const struct service *svc = store_service(ctx->store);
	struct strv names;
	char *all;

	if (svc == NULL || svc->nqueues == 0 ||
	    service_queue(svc, queue) != NULL)
		return 0;
	strv_init(&names);
	for (size_t i = 0; i < svc->nqueues; i++)
		strv_push(&names, svc->queues[i].name);
	all = strv_join(&names, ", ");
	cmd_error(ctx, _("no queue '%s' (one of: %s)"), queue, all);
	free(all);
	strv_free(&names);
	return EX_DATAERR;
}

/* Text of a note argument: "-" reads standard input. */
char *
cmd_text_arg(const char *arg)
{
	struct buf b;
	char chunk[4096];
	size_t n;
	char *t;

	if (strcmp(arg, "-") != 0)
		return xstrdup(arg);
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, stdin)) > 0)
		buf_add(&b, chunk, n);
	t = utf8_trim(b.data ? b.data : "");
	buf_free(&b);
	return t;
}

/* Unknown option or a missing argument: getopt said which on stderr. */
int
cmd_bad_option(struct cmd_ctx *ctx)
{
	cmd_error(ctx, _("try: tcrm %s --help"), ctx->name);
	return EX_USAGE;
}
