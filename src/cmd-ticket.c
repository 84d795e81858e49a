/* cmd-ticket.c - tcrm ticket: open a ticket for a customer, show it with
 * its service-level timers and timeline, list the work by due time, hand
 * it out (assign, take), move it through its status flow and note it.
 * The store keeps the rules (numbers, due times, the flow, first
 * response); these commands check roles, ask and say what happened. */
#include "tcrm.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define TICKET_ENTITY "ticket"

static const char *
ticket_name(const struct record *r)
{
	const char *n = record_get(r, "number");

	return *n != '\0' ? n : "?";
}

/* --- the service-level timers --- */

struct timer {
	const char *state;	/* "", running, paused, breached, met, late */
	long left;
	bool has_left;
	const char *due;	/* stored */
	const char *done;	/* stored */
};

static void
timer_of(const struct sla_state *st, const struct record *r, bool response,
    struct timer *tm)
{
	bool has = response ? st->has_response : st->has_resolution;
	bool breached = response ? st->response_breached :
	    st->resolution_breached;
	time_t due, done;

	memset(tm, 0, sizeof *tm);
	tm->state = "";
	tm->due = record_get(r, response ? "response_due" : "due");
	tm->done = record_get(r, response ? "responded" : "resolved_at");
	tm->left = response ? st->response_left : st->resolution_left;
	if (*tm->done != '\0') {
		tm->state = "met";
		if (*tm->due != '\0' && datetime_parse(tm->due, &due) == 0 &&
		    datetime_parse(tm->done, &done) == 0 && done > due)
			tm->state = "late";
		return;
	}
	if (!has)
		return;
	tm->has_left = true;
	if (st->paused)
		tm->state = "paused";
	else if (breached || tm->left < 0)
		tm->state = "breached";
	else
		tm->state = "running";
}

/* Short form for a list column: "1h20m", "-35m", "paused", "met". */
static char *
timer_cell(const struct timer *tm)
{
	if (strcmp(tm->state, "paused") == 0 || strcmp(tm->state, "met") == 0 ||
	    strcmp(tm->state, "late") == 0 || !tm->has_left)
		return xstrdup(tm->state);
	return service_duration_text(tm->left);
}

/* Long form for show: "1h20m left", "late at 2026-11-23 10:00". */
static char *
timer_line(const struct timer *tm)
{
	char *done = cmd_time_text(tm->done);
	char *left = tm->has_left ? service_duration_text(tm->left) : NULL;
	char *out;

	if (strcmp(tm->state, "met") == 0 || strcmp(tm->state, "late") == 0)
		out = xasprintf("%s at %s", tm->state, done);
	else if (strcmp(tm->state, "paused") == 0)
		out = xasprintf("paused (pending), %s left", left);
	else if (strcmp(tm->state, "breached") == 0)
		out = xasprintf("%s, breached", left);
	else if (strcmp(tm->state, "running") == 0)
		out = xasprintf("%s left", left);
	else
		out = xstrdup("no target");
	free(left);
	free(done);
	return out;
}

static void
ticket_timers(struct cmd_ctx *ctx, const struct record *r, time_t now,
    struct timer *resp, struct timer *reso, struct sla_state *st)
{
	const struct service *svc = store_service(ctx->store);

	memset(st, 0, sizeof *st);
	if (svc != NULL)
		sla_state_of(svc, r, now, st);
	timer_of(st, r, true, resp);
	timer_of(st, r, false, reso);
}

/* --- one ticket, read with its customer --- */

struct one {
	const struct entity *entity;
	uint32_t id;
	struct record rec;
	char *customer;		/* the customer's name */
};

static int
one_txn(struct store *s, struct txn *t, void *arg)
{
	struct one *o = arg;
	const struct field *f = entity_field(o->entity, "customer");
	struct record c;
	uint32_t cid;
	int rc;

	record_free(&o->rec);
	free(o->customer);
	o->customer = NULL;
	if ((rc = store_get(s, t, o->entity, o->id, &o->rec)) != ST_OK)
		return rc;
	if (f == NULL || f->ref_entity == NULL || !cmd_parse_id(
	    record_get(&o->rec, "customer"), &cid))
		return ST_OK;
	if (store_get(s, t, f->ref_entity, cid, &c) == ST_OK) {
		if (f->ref_entity->title != NULL)
			o->customer = xstrdup(record_get(&c,
			    f->ref_entity->title));
		record_free(&c);
	}
	return ST_OK;
}

static void
one_free(struct one *o)
{
	record_free(&o->rec);
	free(o->customer);
}

/* --- tcrm ticket new --- */

struct create {
	const struct entity *entity;
	struct record draft;
	struct record rec;
};

static int
create_txn(struct store *s, struct txn *t, void *arg)
{
	struct create *cr = arg;
	uint32_t id;
	int rc;

	record_free(&cr->rec);
	record_copy(&cr->rec, &cr->draft);
	if ((rc = store_create(s, t, cr->entity, &cr->rec)) != ST_OK)
		return rc;
	/* As stored: the number, due times and assignee the store gave. */
	id = cr->rec.id;
	record_free(&cr->rec);
	return store_get(s, t, cr->entity, id, &cr->rec);
}

int
cmd_ticket_new_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "customer", required_argument, NULL, 'c' },
		{ "subject", required_argument, NULL, 's' },
		{ "priority", required_argument, NULL, 'p' },
		{ "queue", required_argument, NULL, 'q' },
		{ "category", required_argument, NULL, 'C' },
		{ "description", required_argument, NULL, 'd' },
		{ "assignee", required_argument, NULL, 'a' },
		{ "mine", no_argument, NULL, 'm' },
		{ "contact", required_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 }
	};
	struct create cr;
	const char *customer = NULL, *assignee = NULL, *queue = NULL;
	char *text;
	uint32_t cid;
	bool mine = false;
	int c, rc = 0;

	memset(&cr, 0, sizeof cr);
	if ((cr.entity = cmd_entity(ctx, TICKET_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			customer = optarg;
			break;
		case 's':
			rc = cmd_field_value(ctx, cr.entity, "subject", optarg,
			    &cr.draft);
			break;
		case 'p':
			rc = cmd_field_value(ctx, cr.entity, "priority", optarg,
			    &cr.draft);
			break;
		case 'q':
			queue = optarg;
			rc = cmd_field_value(ctx, cr.entity, "queue", optarg,
			    &cr.draft);
			break;
		case 'C':
			rc = cmd_field_value(ctx, cr.entity, "category", optarg,
			    &cr.draft);
			break;
		case 'd':
			text = cmd_text_arg(optarg);
			rc = cmd_field_value(ctx, cr.entity, "description",
			    text, &cr.draft);
			free(text);
			break;
		case 'a':
			assignee = optarg;
			break;
		case 'm':
			mine = true;
			break;
		case 'k':
			rc = cmd_field_value(ctx, cr.entity, "contact", optarg,
			    &cr.draft);
			break;
		default:
			rc = cmd_bad_option(ctx);
		}
	}
	if (rc != 0)
		goto out;
	rc = EX_USAGE;
	if (optind != argc) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[optind]);
		goto out;
	}
	if (customer == NULL || *record_get(&cr.draft, "subject") == '\0') {
		cmd_error(ctx, _("a ticket needs --customer ID|PHONE|EMAIL|NAME "
		    "and --subject TEXT"));
		goto out;
	}
	if (mine && assignee != NULL) {
		cmd_error(ctx, _("--mine or --assignee, not both"));
		goto out;
	}
	if (!entity_writable(cr.entity, ctx->role)) {
		rc = cmd_refuse(ctx, cr.entity, 0, "write",
		    _("the %s role may not change %s records"),
		    role_name(ctx->role), cr.entity->name);
		goto out;
	}
	if (assignee != NULL) {
		if ((rc = cmd_check_user(ctx, assignee)) != 0 ||
		    (rc = cmd_field_value(ctx, cr.entity, "assignee", assignee,
		    &cr.draft)) != 0)
			goto out;
	}
	if (queue != NULL && (rc = cmd_check_queue(ctx, queue)) != 0)
		goto out;
	if ((rc = cmd_find_customer(ctx, customer, &cid)) != 0)
		goto out;
	text = xasprintf("%u", cid);
	record_set(&cr.draft, "customer", text);
	free(text);
	/* The form's permissions for what the user typed; --mine is the
	 * one assignment an agent makes, of a ticket nobody has yet. */
	if ((rc = cmd_check_fields(ctx, cr.entity, 0, &cr.draft)) != 0)
		goto out;
	if (mine)
		record_set(&cr.draft, "assignee", ctx->user);
	rc = store_run(ctx->store, create_txn, &cr);
	if (rc != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	out_safe(stdout, ticket_name(&cr.rec));
	fputc('\n', stdout);
	rc = 0;
out:
	record_free(&cr.draft);
	record_free(&cr.rec);
	return rc;
}

/* --- tcrm ticket show, tcrm sla show --- */

struct line {
	int64_t time;
	char *user;
	char *field;
	char *old;
	char *new;
};

struct timeline {
	const struct entity *entity;
	unsigned role;
	struct line *v;
	size_t n;
};

static void
timeline_add(struct timeline *tl, const struct audit *a, const char *field,
    const char *old, const char *new)
{
	struct line *l;

	tl->v = xreallocarray(tl->v, tl->n + 1, sizeof *tl->v);
	l = &tl->v[tl->n++];
	l->time = a->time;
	l->user = xstrdup(a->user ? a->user : "");
	l->field = xstrdup(field);
	l->old = xstrdup(old ? old : "");
	l->new = xstrdup(new ? new : "");
}

static void
timeline_clear(struct timeline *tl)
{
	for (size_t i = 0; i < tl->n; i++) {
		free(tl->v[i].user);
		free(tl->v[i].field);
		free(tl->v[i].old);
		free(tl->v[i].new);
	}
	free(tl->v);
	tl->v = NULL;
	tl->n = 0;
}

/* A creation is one line with what matters for the work; a change is a
 * line per field the reader may see. */
static int
timeline_keep(const struct audit *a, void *arg)
{
	static const char *const summary[] = { "status", "priority", "queue",
	    "assignee", NULL };
	struct timeline *tl = arg;
	struct buf b;

	if (strcmp(a->action, "create") == 0) {
		buf_init(&b);
		for (const char *const *s = summary; *s != NULL; s++) {
			for (size_t i = 0; i < a->nchanges; i++) {
				if (strcmp(a->changes[i].field, *s) == 0 &&
				    *a->changes[i].new != '\0')
					buf_printf(&b, "%s%s %s",
					    b.len ? ", " : "", *s,
					    a->changes[i].new);
			}
		}
		timeline_add(tl, a, "created", "", b.data ? b.data : "");
		buf_free(&b);
		return 0;
	}
	if (strcmp(a->action, "update") != 0) {
		timeline_add(tl, a, a->action, "", "");
		return 0;
	}
	for (size_t i = 0; i < a->nchanges; i++) {
		const struct field *f = entity_field(tl->entity,
		    a->changes[i].field);

		if (f != NULL && !field_readable(f, tl->role))
			continue;
		/* A note cleared to be written again is not a note. */
		if (strcmp(a->changes[i].field, "note") == 0 &&
		    *a->changes[i].new == '\0')
			continue;
		timeline_add(tl, a, a->changes[i].field, a->changes[i].old,
		    a->changes[i].new);
	}
	return 0;
}

static char *
stamp_text(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char out[32];

	localtime_r(&t, &tm);
	strftime(out, sizeof out, "%Y-%m-%d %H:%M", &tm);
	return xstrdup(out);
}

/* "status new → open"; a note is its text. */
static char *
change_text(const struct entity *e, const struct line *l)
{
	const struct field *f = entity_field(e, l->field);
	char *old, *new, *out;

	if (strcmp(l->field, "created") == 0)
		return xasprintf("created%s%s", *l->new ? ": " : "", l->new);
	if (f != NULL && f->type == FT_LONGTEXT)
		return xasprintf("%s: %s", l->field, l->new);
	if (f != NULL && f->type == FT_DATETIME) {
		old = cmd_time_text(l->old);
		new = cmd_time_text(l->new);
	} else {
		old = xstrdup(l->old);
		new = xstrdup(l->new);
	}
	out = xasprintf("%s: %s → %s", l->field, *old ? old : "(none)",
	    *new ? new : "(none)");
	free(old);
	free(new);
	return out;
}

static void
show_sla_rows(struct table *t, const struct timer *resp,
    const struct timer *reso)
{
	char *a = timer_line(resp), *b = timer_line(reso);

	table_row(t, (const char *[]){ "first response", a });
	table_row(t, (const char *[]){ "resolution", b });
	free(a);
	free(b);
}

static json_t *
timer_json(const struct timer *tm)
{
	json_t *o = json_object();

	json_object_set_new(o, "state", json_string(tm->state));
	json_object_set_new(o, "due", json_string(tm->due));
	if (*tm->done != '\0')
		json_object_set_new(o, "done", json_string(tm->done));
	if (tm->has_left) {
		char *text = service_duration_text(tm->left);

		json_object_set_new(o, "left_seconds", json_integer(tm->left));
		json_object_set_new(o, "left", json_string(text));
		free(text);
	}
	return o;
}

static void
show_json(struct cmd_ctx *ctx, const struct one *o, const struct timer *resp,
    const struct timer *reso, const struct timeline *tl, bool sla_only)
{
	json_t *doc = json_object(), *fields, *sla = json_object(), *lines;

	json_object_set_new(doc, "number", json_string(ticket_name(&o->rec)));
	json_object_set_new(doc, "id", json_integer(o->id));
	json_object_set_new(sla, "response", timer_json(resp));
	json_object_set_new(sla, "resolution", timer_json(reso));
	if (!sla_only) {
		fields = json_object();
		json_object_set_new(doc, "version",
		    json_integer(o->rec.version));
		for (size_t i = 0; i < o->entity->nfields; i++) {
			const struct field *f = &o->entity->fields[i];
			const char *v = record_get(&o->rec, f->name);

			if (*v != '\0' && field_readable(f, ctx->role))
				json_object_set_new(fields, f->name,
				    json_string(v));
		}
		if (o->customer != NULL)
			json_object_set_new(fields, "customer_name",
			    json_string(o->customer));
		json_object_set_new(doc, "fields", fields);
	}
	json_object_set_new(doc, "sla", sla);
	if (!sla_only) {
		lines = json_array();
		for (size_t i = 0; i < tl->n; i++) {
			json_t *l = json_object();
			char *when = datetime_format((time_t)(tl->v[i].time /
			    1000000));

			json_object_set_new(l, "time", json_string(when));
			json_object_set_new(l, "user", json_string(
			    tl->v[i].user));
			json_object_set_new(l, "field", json_string(
			    tl->v[i].field));
			json_object_set_new(l, "old", json_string(tl->v[i].old));
			json_object_set_new(l, "new", json_string(tl->v[i].new));
			json_array_append_new(lines, l);
			free(when);
		}
		json_object_set_new(doc, "timeline", lines);
	}
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
}

static void
show_fields(struct cmd_ctx *ctx, const struct one *o, struct table *t)
{
	for (size_t i = 0; i < o->entity->nfields; i++) {
		const struct field *f = &o->entity->fields[i];
		const char *v = record_get(&o->rec, f->name);
		char *shown;

		if (*v == '\0' || !field_readable(f, ctx->role))
			continue;
		if (strcmp(f->name, "customer") == 0 && o->customer != NULL)
			shown = xasprintf("%s (%s)", o->customer, v);
		else if (f->type == FT_DATETIME)
			shown = cmd_time_text(v);
		else if (strcmp(f->name, "paused_work") == 0)
			shown = service_duration_text(strtol(v, NULL, 10));
		else
			shown = field_display(f, v);
		table_row(t, (const char *[]){ f->name, shown });
		free(shown);
	}
}

static int
ticket_show(struct cmd_ctx *ctx, int argc, char **argv, bool sla_only)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "field", "value", NULL };
	static const char *const theader[] = { "time", "user", "change",
	    NULL };
	enum out_format fmt = OUT_TABLE;
	struct timeline tl;
	struct timer resp, reso;
	struct sla_state st;
	struct table t;
	struct one o;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'o')
			return cmd_bad_option(ctx);
		if ((rc = cmd_format_option(ctx, optarg, &fmt)) != 0)
			return rc;
	}
	if (argc - optind != 1) {
		cmd_error(ctx, "usage: tcrm %s NUMBER|ID [--format F]",
		    ctx->name);
		return EX_USAGE;
	}
	memset(&o, 0, sizeof o);
	memset(&tl, 0, sizeof tl);
	if ((o.entity = cmd_entity(ctx, TICKET_ENTITY)) == NULL)
		return EX_CONFIG;
	if ((rc = cmd_find_ticket(ctx, argv[optind], &o.id)) != 0)
		return rc;
	if (!entity_readable(o.entity, ctx->role))
		return cmd_refuse(ctx, o.entity, o.id, "read",
		    _("the %s role may not read %s records"),
		    role_name(ctx->role), o.entity->name);
	if ((rc = store_run(ctx->store, one_txn, &o)) != ST_OK) {
		one_free(&o);
		return cmd_store_error(ctx, rc);
	}
	record_hide_unreadable(o.entity, &o.rec, ctx->role);
	ticket_timers(ctx, &o.rec, clock_now(), &resp, &reso, &st);
	tl.entity = o.entity;
	tl.role = ctx->role;
	if (!sla_only && (rc = store_history(ctx->store, o.entity->name, o.id,
	    timeline_keep, &tl)) != ST_OK) {
		timeline_clear(&tl);
		one_free(&o);
		return cmd_store_error(ctx, rc);
	}
	if (fmt == OUT_JSON) {
		show_json(ctx, &o, &resp, &reso, &tl, sla_only);
		goto out;
	}
	if (fmt == OUT_TABLE) {
		printf("ticket ");
		out_safe(stdout, ticket_name(&o.rec));
		printf(" (id %u)\n", o.id);
	}
	table_init(&t, header);
	if (!sla_only)
		show_fields(ctx, &o, &t);
	show_sla_rows(&t, &resp, &reso);
	table_print(stdout, &t, fmt);
	table_free(&t);
	if (sla_only || tl.n == 0)
		goto out;
	fputc('\n', stdout);
	if (fmt == OUT_TABLE)
		printf("timeline\n");
	table_init(&t, theader);
	for (size_t i = 0; i < tl.n; i++) {
		char *when = stamp_text(tl.v[i].time);
		char *what = change_text(o.entity, &tl.v[i]);

		table_row(&t, (const char *[]){ when, tl.v[i].user, what });
		free(when);
		free(what);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
out:
	timeline_clear(&tl);
	one_free(&o);
	return 0;
}

int
cmd_ticket_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return ticket_show(ctx, argc, argv, false);
}

int
cmd_sla_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return ticket_show(ctx, argc, argv, true);
}

/* --- tcrm ticket list --- */

struct list {
	struct cmd_ctx *ctx;
	const struct entity *entity;
	const char *assignee;
	bool unassigned;
	const char *queue;
	struct strv statuses;	/* empty: the open ones, or all */
	bool all;
	bool breached;
	uint32_t customer;
	time_t now;
	struct record *v;
	size_t n;
};

static bool
is_open_status(const char *s)
{
	return strcmp(s, "resolved") != 0 && strcmp(s, "closed") != 0;
}

static bool
list_wants(struct list *l, const struct record *r)
{
	const char *status = record_get(r, "status");
	bool found = false;

	if (l->statuses.n > 0) {
		for (size_t i = 0; i < l->statuses.n && !found; i++)
			found = strcmp(l->statuses.v[i], status) == 0;
		if (!found)
			return false;
	} else if (!l->all && !is_open_status(status))
		return false;
	if (l->assignee != NULL && strcmp(record_get(r, "assignee"),
	    l->assignee) != 0)
		return false;
	if (l->unassigned && *record_get(r, "assignee") != '\0')
		return false;
	if (l->queue != NULL && strcmp(record_get(r, "queue"), l->queue) != 0)
		return false;
	if (l->customer != 0 && (uint32_t)strtoul(record_get(r, "customer"),
	    NULL, 10) != l->customer)
		return false;
	if (l->breached) {
		const struct service *svc = store_service(l->ctx->store);
		struct sla_state st;

		memset(&st, 0, sizeof st);
		if (svc != NULL)
			sla_state_of(svc, r, l->now, &st);
		if (!st.response_breached && !st.resolution_breached &&
		    *record_get(r, "breach") == '\0')
			return false;
	}
	return true;
}

static int
list_keep(const struct record *r, void *arg)
{
	struct list *l = arg;

	if (!list_wants(l, r))
		return 0;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	record_copy(&l->v[l->n++], r);
	return 0;
}

static void
list_clear(struct list *l)
{
	for (size_t i = 0; i < l->n; i++)
		record_free(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
list_txn(struct store *s, struct txn *t, void *arg)
{
	struct list *l = arg;

	list_clear(l);
	return store_each(s, t, l->entity, list_keep, l);
}

/* By due time, earliest first; none last; then by number. */
static int
cmp_due(const void *a, const void *b)
{
	const struct record *x = a, *y = b;
	const char *dx = record_get(x, "due"), *dy = record_get(y, "due");
	int c;

	if (*dx == '\0' || *dy == '\0')
		c = (*dx == '\0') - (*dy == '\0');
	else
		c = strcmp(dx, dy);
	if (c == 0)
		c = strcmp(record_get(x, "number"), record_get(y, "number"));
	return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

struct names {
	const struct field *field;
	struct record *v;
	size_t n;
	struct strv out;
};

static int
names_txn(struct store *s, struct txn *t, void *arg)
{
	struct names *nm = arg;

	strv_free(&nm->out);
	strv_init(&nm->out);
	for (size_t i = 0; i < nm->n; i++) {
		const char *ref = record_get(&nm->v[i], "customer");
		const struct entity *ce = nm->field ? nm->field->ref_entity :
		    NULL;
		struct record c;
		uint32_t id;
		int rc;

		if (ce == NULL || ce->title == NULL || !cmd_parse_id(ref, &id)) {
			strv_push(&nm->out, ref);
			continue;
		}
		rc = store_get(s, t, ce, id, &c);
		if (rc == ST_OK)
			strv_push(&nm->out, record_get(&c, ce->title));
		else if (rc == ST_NOTFOUND)
			strv_push(&nm->out, ref);
		record_free(&c);
		if (rc != ST_OK && rc != ST_NOTFOUND)
			return rc;
	}
	return ST_OK;
}

static int
status_list(struct cmd_ctx *ctx, const struct entity *e, const char *arg,
    struct strv *out)
{
	const struct field *f = entity_field(e, "status");

	strv_split(out, arg, ", ");
	for (size_t i = 0; f != NULL && i < out->n; i++) {
		if (field_enum_value(f, out->v[i]) == NULL) {
			struct strv names;
			char *all;

			strv_init(&names);
			for (size_t j = 0; j < f->nvalues; j++)
				strv_push(&names, f->values[j].value);
			all = strv_join(&names, ", ");
			cmd_error(ctx, _("no status '%s' (one of: %s)"),
			    out->v[i], all);
			free(all);
			strv_free(&names);
			return EX_USAGE;
		}
	}
	return 0;
}

static void
list_print(struct cmd_ctx *ctx, struct list *l, struct names *nm,
    enum out_format fmt, size_t limit)
{
	static const char *const header[] = { "number", "status", "priority",
	    "queue", "assignee", "customer", "subject", "due", "respond",
	    "resolve", NULL };
	struct table t;

	table_init(&t, header);
	for (size_t i = 0; i < l->n && i < limit; i++) {
		const struct record *r = &l->v[i];
		struct timer resp, reso;
		struct sla_state st;
		char *due = cmd_time_text(record_get(r, "due"));
		char *a, *b;

		ticket_timers(ctx, r, l->now, &resp, &reso, &st);
		a = timer_cell(&resp);
		b = timer_cell(&reso);
		table_row(&t, (const char *[]){ ticket_name(r),
		    record_get(r, "status"), record_get(r, "priority"),
		    record_get(r, "queue"), record_get(r, "assignee"),
		    i < nm->out.n ? nm->out.v[i] : "",
		    record_get(r, "subject"), due, a, b });
		free(a);
		free(b);
		free(due);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
}

int
cmd_ticket_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mine", no_argument, NULL, 'm' },
		{ "assignee", required_argument, NULL, 'a' },
		{ "unassigned", no_argument, NULL, 'u' },
		{ "queue", required_argument, NULL, 'q' },
		{ "status", required_argument, NULL, 's' },
		{ "customer", required_argument, NULL, 'c' },
		{ "breached", no_argument, NULL, 'b' },
		{ "open", no_argument, NULL, 'O' },
		{ "all", no_argument, NULL, 'A' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	enum out_format fmt = OUT_TABLE;
	const char *customer = NULL;
	struct names nm;
	struct list l;
	size_t limit = SIZE_MAX;
	int c, rc = 0;

	memset(&l, 0, sizeof l);
	memset(&nm, 0, sizeof nm);
	strv_init(&l.statuses);
	strv_init(&nm.out);
	l.ctx = ctx;
	if ((l.entity = cmd_entity(ctx, TICKET_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			l.assignee = ctx->user;
			break;
		case 'a':
			l.assignee = optarg;
			break;
		case 'u':
			l.unassigned = true;
			break;
		case 'q':
			l.queue = optarg;
			break;
		case 's':
			strv_free(&l.statuses);
			strv_init(&l.statuses);
			rc = status_list(ctx, l.entity, optarg, &l.statuses);
			break;
		case 'c':
			customer = optarg;
			break;
		case 'b':
			l.breached = true;
			break;
		case 'O':
			l.all = false;
			break;
		case 'A':
			l.all = true;
			break;
		case 'n':
			rc = cmd_limit_option(ctx, optarg, 1000000, &limit);
			break;
		case 'o':
			rc = cmd_format_option(ctx, optarg, &fmt);
			break;
		default:
			rc = cmd_bad_option(ctx);
		}
	}
	if (rc == 0 && optind != argc) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[optind]);
		rc = EX_USAGE;
	}
	if (rc == 0 && l.assignee != NULL && l.unassigned) {
		cmd_error(ctx, _("--unassigned lists tickets nobody has: not "
		    "with --mine or --assignee"));
		rc = EX_USAGE;
	}
	if (rc == 0 && !entity_readable(l.entity, ctx->role))
		rc = cmd_refuse(ctx, l.entity, 0, "read",
		    _("the %s role may not read %s records"),
		    role_name(ctx->role), l.entity->name);
	if (rc == 0 && customer != NULL)
		rc = cmd_find_customer(ctx, customer, &l.customer);
	if (rc != 0)
		goto out;
	l.now = clock_now();
	if ((rc = store_run(ctx->store, list_txn, &l)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	qsort(l.v, l.n, sizeof *l.v, cmp_due);
	nm.field = entity_field(l.entity, "customer");
	nm.v = l.v;
	nm.n = l.n < limit ? l.n : limit;
	if ((rc = store_run(ctx->store, names_txn, &nm)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	for (size_t i = 0; i < nm.n; i++)
		record_hide_unreadable(l.entity, &l.v[i], ctx->role);
	list_print(ctx, &l, &nm, fmt, limit);
	if (l.n > limit)
		cmd_error(ctx, _("%zu more not shown (--limit)"), l.n - limit);
	rc = 0;
out:
	list_clear(&l);
	strv_free(&l.statuses);
	strv_free(&nm.out);
	return rc;
}

/* --- changes of one ticket: assign, take, status, note --- */

struct change_run {
	struct cmd_ctx *ctx;
	const struct entity *entity;
	uint32_t id;
	struct record set;	/* fields to write */
	bool pick;		/* assign --auto */
	bool take;
	bool unassign;		/* assign --none */
	struct record before;
	struct record after;
	int status;		/* exit status decided inside */
};

static void
change_init(struct change_run *cr, struct cmd_ctx *ctx)
{
	memset(cr, 0, sizeof *cr);
	cr->ctx = ctx;
}

static void
change_free(struct change_run *cr)
{
	record_free(&cr->set);
	record_free(&cr->before);
	record_free(&cr->after);
}

static int
change_txn(struct store *s, struct txn *t, void *arg)
{
	struct change_run *cr = arg;
	const char *queue, *note;
	char *who = NULL;
	int rc;

	cr->status = 0;
	record_free(&cr->before);
	record_free(&cr->after);
	if ((rc = store_get(s, t, cr->entity, cr->id, &cr->before)) != ST_OK)
		return rc;
	if (cr->take) {
		if ((rc = svc_ticket_take(s, t, cr->id, cr->ctx->user)) != ST_OK)
			return rc;
		return store_get(s, t, cr->entity, cr->id, &cr->after);
	}
	record_copy(&cr->after, &cr->before);
	if (cr->pick) {
		queue = record_get(&cr->before, "queue");
		if (*queue == '\0') {
			cmd_error(cr->ctx, _("%s has no queue: name the agent "
			    "instead of --auto"), ticket_name(&cr->before));
			cr->status = EX_DATAERR;
			return ST_INVALID;
		}
		if ((rc = svc_pick_agent(s, t, queue, &who)) != ST_OK)
			return rc;
		if (who == NULL) {
			cmd_error(cr->ctx, _("nobody in queue %s is ready"),
			    queue);
			cr->status = EX_TEMPFAIL;
			return ST_INVALID;
		}
		record_set(&cr->after, "assignee", who);
		free(who);
	}
	/* The same words again ("no answer") are a new note all the same:
	 * clear it first so the timeline keeps both. */
	note = record_get(&cr->set, "note");
	if (*note != '\0' && strcmp(note, record_get(&cr->before, "note")) ==
	    0) {
		record_set(&cr->after, "note", "");
		if ((rc = store_update(s, t, cr->entity, &cr->after, 0)) != ST_OK)
			return rc;
		record_free(&cr->after);
		if ((rc = store_get(s, t, cr->entity, cr->id, &cr->after)) !=
		    ST_OK)
			return rc;
	}
	if (cr->unassign)
		record_set(&cr->after, "assignee", "");
	for (size_t i = 0; i < cr->set.n; i++)
		record_set(&cr->after, cr->set.fields[i].name,
		    cr->set.fields[i].value);
	if ((rc = store_update(s, t, cr->entity, &cr->after, 0)) != ST_OK)
		return rc;
	/* Read back: the store's rules may have stamped more. */
	record_free(&cr->after);
	return store_get(s, t, cr->entity, cr->id, &cr->after);
}

static int
change_run(struct change_run *cr)
{
	int rc = store_run(cr->ctx->store, change_txn, cr);

	if (rc == ST_OK)
		return 0;
	if (cr->status != 0)
		return cr->status;
	return cmd_store_error(cr->ctx, rc);
}

/* NUMBER, then the ticket entity, its id and the readable check. */
static int
change_target(struct change_run *cr, const char *number)
{
	if ((cr->entity = cmd_entity(cr->ctx, TICKET_ENTITY)) == NULL)
		return EX_CONFIG;
	return cmd_find_ticket(cr->ctx, number, &cr->id);
}

static void
say_field_change(const struct change_run *cr, const char *field)
{
	const char *a = record_get(&cr->before, field);
	const char *b = record_get(&cr->after, field);
	char *line;

	line = strcmp(a, b) == 0 ? xasprintf("%s: %s %s (unchanged)",
	    ticket_name(&cr->after), field, *b ? b : "(none)") :
	    xasprintf("%s: %s %s → %s", ticket_name(&cr->after), field,
	    *a ? a : "(none)", *b ? b : "(none)");
	out_safe(stdout, line);
	fputc('\n', stdout);
	free(line);
}

int
cmd_ticket_assign_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "auto", no_argument, NULL, 'A' },
		{ "none", no_argument, NULL, 'N' },
		{ NULL, 0, NULL, 0 }
	};
	const struct field *f;
	struct change_run cr;
	bool none = false;
	int c, rc = 0, args;

	change_init(&cr, ctx);
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'A')
			cr.pick = true;
		else if (c == 'N')
			none = true;
		else
			return cmd_bad_option(ctx);
	}
	args = argc - optind;
	if (args != ((cr.pick || none) ? 1 : 2) || (cr.pick && none)) {
		cmd_error(ctx, "usage: tcrm %s NUMBER USER|--auto|--none",
		    ctx->name);
		return EX_USAGE;
	}
	if ((rc = change_target(&cr, argv[optind])) != 0)
		return rc;
	if (args == 2) {
		if ((rc = cmd_check_user(ctx, argv[optind + 1])) != 0)
			return rc;
		rc = cmd_field_value(ctx, cr.entity, "assignee",
		    argv[optind + 1], &cr.set);
	} else if (none)
		cr.unassign = true;
	/* The assignee's write roles, whatever the table allows. */
	f = entity_field(cr.entity, "assignee");
	if (rc == 0 && f != NULL && !field_writable(f, ctx->role))
		rc = cmd_refuse(ctx, cr.entity, cr.id, f->name,
		    _("the %s role may not change %s.%s (an agent takes an "
		    "unassigned ticket: tcrm ticket take)"),
		    role_name(ctx->role), cr.entity->name, f->name);
	if (rc == 0 && (rc = change_run(&cr)) == 0)
		say_field_change(&cr, "assignee");
	change_free(&cr);
	return rc;
}

int
cmd_ticket_take_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct change_run cr;
	int rc;

	if (argc != 2 || strncmp(argv[1], "--", 2) == 0) {
		cmd_error(ctx, "usage: tcrm %s NUMBER", ctx->name);
		return EX_USAGE;
	}
	change_init(&cr, ctx);
	cr.take = true;
	if ((rc = change_target(&cr, argv[1])) == 0 &&
	    !entity_writable(cr.entity, ctx->role))
		rc = cmd_refuse(ctx, cr.entity, cr.id, "write",
		    _("the %s role may not change %s records"),
		    role_name(ctx->role), cr.entity->name);
	if (rc == 0 && (rc = change_run(&cr)) == 0) {
		printf("%s: taken by ", ticket_name(&cr.after));
		out_safe(stdout, record_get(&cr.after, "assignee"));
		fputc('\n', stdout);
	}
	change_free(&cr);
	return rc;
}

int
cmd_ticket_status_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ "resolution", required_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	const char *note = NULL, *resolution = NULL;
	struct change_run cr;
	char *text;
	int c, rc;

	change_init(&cr, ctx);
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'n')
			note = optarg;
		else if (c == 'r')
			resolution = optarg;
		else
			return cmd_bad_option(ctx);
	}
	if (argc - optind != 2) {
		cmd_error(ctx, "usage: tcrm %s NUMBER STATUS [--note TEXT] "
		    "[--resolution TEXT]", ctx->name);
		return EX_USAGE;
	}
	if ((rc = change_target(&cr, argv[optind])) != 0)
		goto out;
	if ((rc = cmd_field_value(ctx, cr.entity, "status", argv[optind + 1],
	    &cr.set)) != 0)
		goto out;
	if (note != NULL) {
		text = cmd_text_arg(note);
		rc = cmd_field_value(ctx, cr.entity, "note", text, &cr.set);
		free(text);
		if (rc != 0)
			goto out;
	}
	if (resolution != NULL) {
		text = cmd_text_arg(resolution);
		rc = cmd_field_value(ctx, cr.entity, "resolution", text,
		    &cr.set);
		free(text);
		if (rc != 0)
			goto out;
	}
	if ((rc = cmd_check_fields(ctx, cr.entity, cr.id, &cr.set)) != 0)
		goto out;
	if ((rc = change_run(&cr)) == 0)
		say_field_change(&cr, "status");
out:
	change_free(&cr);
	return rc;
}

int
cmd_ticket_note_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct change_run cr;
	char *text;
	int rc;

	if (argc != 3 || strncmp(argv[1], "--", 2) == 0) {
		cmd_error(ctx, "usage: tcrm %s NUMBER TEXT|-", ctx->name);
		return EX_USAGE;
	}
	change_init(&cr, ctx);
	if ((rc = change_target(&cr, argv[1])) != 0)
		goto out;
	text = cmd_text_arg(argv[2]);
	if (*text == '\0') {
		cmd_error(ctx, _("the note is empty"));
		rc = EX_USAGE;
	} else
		rc = cmd_field_value(ctx, cr.entity, "note", text, &cr.set);
	free(text);
	if (rc == 0)
		rc = cmd_check_fields(ctx, cr.entity, cr.id, &cr.set);
	if (rc == 0 && (rc = change_run(&cr)) == 0)
		printf("%s: noted\n", ticket_name(&cr.after));
out:
	change_free(&cr);
	return rc;
}
