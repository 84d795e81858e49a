/* cmd-callback.c - tcrm callback: promise a customer a call back at a
 * time, for one agent or anyone in a queue; list what is due or missed;
 * mark one done. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define CALLBACK_ENTITY "callback"

/* --- tcrm callback add --- */

struct cb_add {
	const struct entity *entity;
	struct record draft;
	struct record rec;
};

/* The customer's first phone when none was given. */
static int
add_txn(struct store *s, struct txn *t, void *arg)
{
	struct cb_add *ca = arg;
	const struct field *f = entity_field(ca->entity, "customer");
	struct record c;
	uint32_t cid;
	int rc;

	record_free(&ca->rec);
	record_copy(&ca->rec, &ca->draft);
	if (*record_get(&ca->rec, "phone") == '\0' && f != NULL &&
	    f->ref_entity != NULL &&
	    cmd_parse_id(record_get(&ca->rec, "customer"), &cid)) {
		if ((rc = store_get(s, t, f->ref_entity, cid, &c)) != ST_OK)
			return rc;
		{
			const char *phones = record_get(&c, "phones");
			char *first = xstrndup(phones, strcspn(phones, "\n"));

			record_set(&ca->rec, "phone", first);
			free(first);
		}
		record_free(&c);
	}
	return store_create(s, t, ca->entity, &ca->rec);
}

int
cmd_callback_add_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "customer", required_argument, NULL, 'c' },
		{ "at", required_argument, NULL, 't' },
		{ "for", required_argument, NULL, 'f' },
		{ "queue", required_argument, NULL, 'q' },
		{ "phone", required_argument, NULL, 'p' },
		{ "note", required_argument, NULL, 'n' },
		{ "ticket", required_argument, NULL, 'T' },
		{ NULL, 0, NULL, 0 }
	};
	const char *customer = NULL, *who = NULL, *queue = NULL;
	const char *ticket = NULL;
	struct cb_add ca;
	uint32_t id;
	time_t due;
	char *text;
	int c, rc = 0;
	bool at = false;

	memset(&ca, 0, sizeof ca);
	if ((ca.entity = cmd_entity(ctx, CALLBACK_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			customer = optarg;
			break;
		case 't':
			at = true;
			rc = cmd_field_value(ctx, ca.entity, "due", optarg,
			    &ca.draft);
			break;
		case 'f':
			who = optarg;
			break;
		case 'q':
			queue = optarg;
			rc = cmd_field_value(ctx, ca.entity, "queue", optarg,
			    &ca.draft);
			break;
		case 'p':
			rc = cmd_field_value(ctx, ca.entity, "phone", optarg,
			    &ca.draft);
			break;
		case 'n':
			text = cmd_text_arg(optarg);
			rc = cmd_field_value(ctx, ca.entity, "note", text,
			    &ca.draft);
			free(text);
			break;
		case 'T':
			ticket = optarg;
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
	if (customer == NULL || !at) {
		cmd_error(ctx, _("a callback needs --customer ID|PHONE|EMAIL|NAME "
		    "and --at TIME"));
		goto out;
	}
	/* A promise in the past cannot be kept: "09:00" at ten is today's. */
	if (datetime_parse(record_get(&ca.draft, "due"), &due) == 0 &&
	    due < clock_now() - 60) {
		text = cmd_time_text(record_get(&ca.draft, "due"));
		cmd_error(ctx, _("--at %s is in the past"), text);
		free(text);
		rc = EX_DATAERR;
		goto out;
	}
	if (who != NULL && ((rc = cmd_check_user(ctx, who)) != 0 ||
	    (rc = cmd_field_value(ctx, ca.entity, "assignee", who,
	    &ca.draft)) != 0))
		goto out;
	if (who == NULL && queue == NULL)
		record_set(&ca.draft, "assignee", ctx->user);
	if (queue != NULL && (rc = cmd_check_queue(ctx, queue)) != 0)
		goto out;
	if ((rc = cmd_find_customer(ctx, customer, &id)) != 0)
		goto out;
	text = xasprintf("%u", id);
	record_set(&ca.draft, "customer", text);
	free(text);
	if (ticket != NULL) {
		if ((rc = cmd_find_ticket(ctx, ticket, &id)) != 0)
			goto out;
		text = xasprintf("%u", id);
		record_set(&ca.draft, "ticket", text);
		free(text);
	}
	if ((rc = cmd_check_fields(ctx, ca.entity, 0, &ca.draft)) != 0)
		goto out;
	if ((rc = store_run(ctx->store, add_txn, &ca)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	printf("%u\n", ca.rec.id);
	rc = 0;
out:
	record_free(&ca.draft);
	record_free(&ca.rec);
	return rc;
}

/* --- tcrm callback list --- */

struct cb_item {
	struct record rec;
	char *customer;		/* the customer's name */
};

struct cb_list {
	const struct service *svc;
	const char *user;	/* --mine */
	char *team;		/* the user's team, for queue membership */
	const char *assignee;
	const char *queue;
	uint32_t customer;
	bool due;
	bool missed;
	bool all;
	time_t now;
	const struct entity *customers;
	struct cb_item *v;
	size_t n;
};

static bool
cb_due(const struct cb_list *l, const struct record *r)
{
	time_t due;

	return strcmp(record_get(r, "status"), "pending") == 0 &&
	    datetime_parse(record_get(r, "due"), &due) == 0 && due <= l->now;
}

/* Mine: for me, or for anyone in a queue I am in. */
static bool
cb_mine(const struct cb_list *l, const struct record *r)
{
	const char *who = record_get(r, "assignee");
	const struct svc_queue *q;

	if (*who != '\0')
		return strcmp(who, l->user) == 0;
	q = l->svc ? service_queue(l->svc, record_get(r, "queue")) : NULL;
	return q != NULL && service_queue_has(q, l->user, l->team);
}

static bool
cb_wants(const struct cb_list *l, const struct record *r)
{
	if (!l->all && strcmp(record_get(r, "status"), "pending") != 0)
		return false;
	if (l->user != NULL && !cb_mine(l, r))
		return false;
	if (l->assignee != NULL && strcmp(record_get(r, "assignee"),
	    l->assignee) != 0)
		return false;
	if (l->queue != NULL && strcmp(record_get(r, "queue"), l->queue) != 0)
		return false;
	if (l->customer != 0 && (uint32_t)strtoul(record_get(r, "customer"),
	    NULL, 10) != l->customer)
		return false;
	if (l->due && !cb_due(l, r))
		return false;
	if (l->missed && !svc_callback_missed(l->svc, r, l->now))
		return false;
	return true;
}

static int
cb_keep(const struct record *r, void *arg)
{
	struct cb_list *l = arg;

	if (!cb_wants(l, r))
		return 0;
	l->v = xreallocarray(l->v, l->n + 1, sizeof *l->v);
	record_copy(&l->v[l->n].rec, r);
	l->v[l->n++].customer = NULL;
	return 0;
}

static void
cb_clear(struct cb_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		record_free(&l->v[i].rec);
		free(l->v[i].customer);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static int
cb_list_txn(struct store *s, struct txn *t, void *arg)
{
	struct cb_list *l = arg;
	const struct entity *e = forms_entity(store_forms(s), CALLBACK_ENTITY);
	const struct entity *ce = l->customers;
	int rc;

	cb_clear(l);
	if ((rc = store_each(s, t, e, cb_keep, l)) != ST_OK)
		return rc;
	for (size_t i = 0; i < l->n; i++) {
		const char *ref = record_get(&l->v[i].rec, "customer");
		struct record c;
		uint32_t id;

		if (ce == NULL || ce->title == NULL || !cmd_parse_id(ref, &id) ||
		    (rc = store_get(s, t, ce, id, &c)) == ST_NOTFOUND) {
			l->v[i].customer = xstrdup(ref);
			continue;
		}
		if (rc != ST_OK)
			return rc;
		l->v[i].customer = xstrdup(record_get(&c, ce->title));
		record_free(&c);
	}
	return ST_OK;
}

static int
cmp_due(const void *a, const void *b)
{
	const struct record *x = &((const struct cb_item *)a)->rec;
	const struct record *y = &((const struct cb_item *)b)->rec;
	int c = strcmp(record_get(x, "due"), record_get(y, "due"));

	return c != 0 ? c : (x->id > y->id) - (x->id < y->id);
}

static const char *
cb_flag(const struct cb_list *l, const struct record *r)
{
	if (svc_callback_missed(l->svc, r, l->now))
		return "missed";
	if (cb_due(l, r))
		return "due";
	return record_get(r, "status");
}

static void
cb_print(const struct cb_list *l, enum out_format fmt, size_t limit)
{
	static const char *const header[] = { "id", "due", "state",
	    "customer", "phone", "for", "queue", "note", NULL };
	struct table t;

	table_init(&t, header);
	for (size_t i = 0; i < l->n && i < limit; i++) {
		const struct record *r = &l->v[i].rec;
		char id[16], *due = cmd_time_text(record_get(r, "due"));

		snprintf(id, sizeof id, "%u", r->id);
		table_row(&t, (const char *[]){ id, due, cb_flag(l, r),
		    l->v[i].customer ? l->v[i].customer : "",
		    record_get(r, "phone"), record_get(r, "assignee"),
		    record_get(r, "queue"), record_get(r, "note") });
		free(due);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
}

int
cmd_callback_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "mine", no_argument, NULL, 'm' },
		{ "for", required_argument, NULL, 'f' },
		{ "queue", required_argument, NULL, 'q' },
		{ "customer", required_argument, NULL, 'c' },
		{ "due", no_argument, NULL, 'd' },
		{ "missed", no_argument, NULL, 'M' },
		{ "all", no_argument, NULL, 'A' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const struct entity *e;
	enum out_format fmt = OUT_TABLE;
	const char *customer = NULL;
	struct cb_list l;
	size_t limit = SIZE_MAX;
	int c, rc = 0;

	memset(&l, 0, sizeof l);
	if ((e = cmd_entity(ctx, CALLBACK_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			l.user = ctx->user;
			break;
		case 'f':
			l.assignee = optarg;
			break;
		case 'q':
			l.queue = optarg;
			break;
		case 'c':
			customer = optarg;
			break;
		case 'd':
			l.due = true;
			break;
		case 'M':
			l.missed = true;
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
	if (rc == 0 && !entity_readable(e, ctx->role))
		rc = cmd_refuse(ctx, e, 0, "read",
		    _("the %s role may not read %s records"),
		    role_name(ctx->role), e->name);
	if (rc == 0 && customer != NULL)
		rc = cmd_find_customer(ctx, customer, &l.customer);
	if (rc != 0)
		goto out;
	if (l.user != NULL) {
		struct user u;

		if (store_user_get(ctx->store, l.user, &u) == ST_OK) {
			l.team = u.team ? xstrdup(u.team) : NULL;
			user_free(&u);
		}
	}
	l.svc = store_service(ctx->store);
	l.now = clock_now();
	l.customers = entity_field(e, "customer") ?
	    entity_field(e, "customer")->ref_entity : NULL;
	if ((rc = store_run(ctx->store, cb_list_txn, &l)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	qsort(l.v, l.n, sizeof *l.v, cmp_due);
	for (size_t i = 0; i < l.n; i++)
		record_hide_unreadable(e, &l.v[i].rec, ctx->role);
	cb_print(&l, fmt, limit);
	if (l.n > limit)
		cmd_error(ctx, _("%zu more not shown (--limit)"), l.n - limit);
	rc = 0;
out:
	cb_clear(&l);
	free(l.team);
	return rc;
}

/* --- tcrm callback done --- */

struct cb_done {
	struct cmd_ctx *ctx;
	const struct entity *entity;
	uint32_t id;
	const char *note;
	struct record rec;
	int status;
};

static int
done_txn(struct store *s, struct txn *t, void *arg)
{
	struct cb_done *cd = arg;
	char *now, *text, *who;
	int rc;

	cd->status = 0;
	record_free(&cd->rec);
	if ((rc = store_get(s, t, cd->entity, cd->id, &cd->rec)) != ST_OK)
		return rc;
	if (strcmp(record_get(&cd->rec, "status"), "done") == 0) {
		text = cmd_time_text(record_get(&cd->rec, "done_at"));
		who = xstrdup(record_get(&cd->rec, "done_by"));
		cmd_error(cd->ctx, _("callback %u is done already (%s%s%s)"),
		    cd->id, who, *who && *text ? ", " : "", text);
		free(text);
		free(who);
		cd->status = EX_DATAERR;
		return ST_INVALID;
	}
	now = cmd_now_text();
	record_set(&cd->rec, "status", "done");
	record_set(&cd->rec, "done_at", now);
	record_set(&cd->rec, "done_by", cd->ctx->user);
	free(now);
	if (cd->note != NULL && *cd->note != '\0') {
		const char *old = record_get(&cd->rec, "note");

		text = *old ? xasprintf("%s\n%s", old, cd->note) :
		    xstrdup(cd->note);
		record_set(&cd->rec, "note", text);
		free(text);
	}
	return store_update(s, t, cd->entity, &cd->rec, 0);
}

int
cmd_callback_done_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "note", required_argument, NULL, 'n' },
		{ NULL, 0, NULL, 0 }
	};
	struct cb_done cd;
	struct record check;
	char *note = NULL;
	int c, rc = 0;

	memset(&cd, 0, sizeof cd);
	cd.ctx = ctx;
	if ((cd.entity = cmd_entity(ctx, CALLBACK_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 'n') {
			free(note);
			return cmd_bad_option(ctx);
		}
		free(note);
		note = cmd_text_arg(optarg);
	}
	if (argc - optind != 1 || !cmd_parse_id(argv[optind], &cd.id)) {
		cmd_error(ctx, "usage: tcrm %s ID [--note TEXT]", ctx->name);
		free(note);
		return EX_USAGE;
	}
	cd.note = note;
	record_init(&check);
	record_set(&check, "status", "done");
	record_set(&check, "done_at", "x");
	record_set(&check, "done_by", "x");
	if (note != NULL)
		rc = cmd_field_value(ctx, cd.entity, "note", note, &check);
	if (rc == 0)
		rc = cmd_check_fields(ctx, cd.entity, cd.id, &check);
	record_free(&check);
	if (rc == 0) {
		rc = store_run(ctx->store, done_txn, &cd);
		if (rc == ST_OK) {
			char *at = cmd_time_text(record_get(&cd.rec, "done_at"));

			printf("callback %u: done at %s\n", cd.id, at);
			free(at);
		} else if (cd.status != 0)
			rc = cd.status;
		else
			rc = cmd_store_error(ctx, rc);
	}
	record_free(&cd.rec);
	free(note);
	return rc;
}
