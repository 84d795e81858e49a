/* cmd-agent.c - tcrm agent: an agent's presence on the floor (ready, on
 * a call, wrap-up, paused with a reason), shown and changed; and the
 * board of every agent for supervisors. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#define AGENT_ENTITY "agent"

/* "lunch, break, training" from an enum field. */
static char *
enum_values_text(const struct field *f)
{
	struct strv names;
	char *all;

	strv_init(&names);
	for (size_t i = 0; f != NULL && i < f->nvalues; i++)
		strv_push(&names, f->values[i].value);
	all = strv_join(&names, ", ");
	strv_free(&names);
	return all;
}

static bool
requires_field(const struct enum_value *v, const char *field)
{
	for (size_t i = 0; v != NULL && i < v->requires.n; i++) {
		if (strcmp(v->requires.v[i], field) == 0)
			return true;
	}
	return false;
}

static int
check_enum(struct cmd_ctx *ctx, const struct entity *e, const char *field,
    const char *value)
{
	const struct field *f = entity_field(e, field);
	char *all;

	if (f == NULL || field_enum_value(f, value) != NULL)
		return 0;
	all = enum_values_text(f);
	cmd_error(ctx, _("no %s '%s' (one of: %s)"), field, value, all);
	free(all);
	return EX_USAGE;
}

/* The state and reason as the form defines them; paused wants a reason
 * and nothing else takes one. */
static int
check_state(struct cmd_ctx *ctx, const struct entity *e, const char *state,
    const char *reason)
{
	const struct field *fs = entity_field(e, "state");
	const struct field *fr = entity_field(e, "reason");
	const struct enum_value *v;
	char *all;
	int rc;

	if ((rc = check_enum(ctx, e, "state", state)) != 0 ||
	    (reason != NULL && (rc = check_enum(ctx, e, "reason",
	    reason)) != 0))
		return rc;
	v = fs != NULL ? field_enum_value(fs, state) : NULL;
	if (reason == NULL && requires_field(v, "reason")) {
		all = enum_values_text(fr);
		cmd_error(ctx, _("%s needs a reason: one of %s"), state, all);
		free(all);
		return EX_USAGE;
	}
	if (reason != NULL && !requires_field(v, "reason")) {
		cmd_error(ctx, _("a reason goes with paused, not with %s"),
		    state);
		return EX_USAGE;
	}
	return 0;
}

struct agent_change {
	const char *user;
	const char *state;	/* NULL: only read */
	const char *reason;
	const char *call_id;
	const char *caller;
	struct record before;
	struct record after;
};

/* The agent's record without making one: looking is not signing on. */
static int
agent_peek(struct store *s, struct txn *t, const char *user,
    struct record *r)
{
	int rc = svc_agent_find(s, t, user, r);

	if (rc != ST_NOTFOUND)
		return rc;
	record_free(r);
	record_init(r);
	record_set(r, "name", user);
	record_set(r, "state", "offline");
	return ST_OK;
}

static int
state_txn(struct store *s, struct txn *t, void *arg)
{
	struct agent_change *ac = arg;
	int rc;

	record_free(&ac->before);
	record_free(&ac->after);
	if (ac->state == NULL)
		return agent_peek(s, t, ac->user, &ac->after);
	if ((rc = svc_agent_get(s, t, ac->user, &ac->before)) != ST_OK)
		return rc;
	if ((rc = svc_agent_set_state(s, t, ac->user, ac->state, ac->reason,
	    ac->call_id, ac->caller)) != ST_OK)
		return rc;
	return svc_agent_get(s, t, ac->user, &ac->after);
}

static char *
state_text(const struct record *r)
{
	const char *reason = record_get(r, "reason");

	return *reason ? xasprintf("%s (%s)", record_get(r, "state"), reason) :
	    xstrdup(record_get(r, "state"));
}

static void
print_agent(const struct record *r, time_t now, enum out_format fmt)
{
	static const char *const header[] = { "agent", "state", "reason",
	    "since", "in_state", "call", "caller", NULL };
	char *since = cmd_time_text(record_get(r, "since"));
	char *age = cmd_age_text(record_get(r, "since"), now);
	struct table t;

	table_init(&t, header);
	table_row(&t, (const char *[]){ record_get(r, "name"),
	    record_get(r, "state"), record_get(r, "reason"), since, age,
	    record_get(r, "call_id"), record_get(r, "caller") });
	table_print(stdout, &t, fmt);
	table_free(&t);
	free(since);
	free(age);
}

int
cmd_agent_state_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "call-id", required_argument, NULL, 'c' },
		{ "caller", required_argument, NULL, 'C' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	const struct entity *e;
	enum out_format fmt = OUT_TABLE;
	struct agent_change ac;
	int c, rc = 0, args;

	memset(&ac, 0, sizeof ac);
	ac.user = ctx->user;
	if ((e = cmd_entity(ctx, AGENT_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			ac.user = optarg;
			break;
		case 'c':
			ac.call_id = optarg;
			break;
		case 'C':
			ac.caller = optarg;
			break;
		case 'o':
			rc = cmd_format_option(ctx, optarg, &fmt);
			break;
		default:
			rc = cmd_bad_option(ctx);
		}
	}
	if (rc != 0)
		return rc;
	args = argc - optind;
	if (args > 2) {
		cmd_error(ctx, "usage: tcrm %s [STATE [REASON]] [--agent USER]",
		    ctx->name);
		return EX_USAGE;
	}
	if (args >= 1)
		ac.state = argv[optind];
	if (args == 2)
		ac.reason = argv[optind + 1];
	if (ac.state != NULL && (rc = check_state(ctx, e, ac.state,
	    ac.reason)) != 0)
		return rc;
	if (ac.state == NULL && (ac.call_id != NULL || ac.caller != NULL)) {
		cmd_error(ctx, _("--call-id and --caller go with a new state"));
		return EX_USAGE;
	}
	/* Agents change their own state; supervisors anyone's. */
	if (strcmp(ac.user, ctx->user) != 0 && ac.state != NULL &&
	    (ctx->role & (ROLE_SUPERVISOR | ROLE_ADMIN)) == 0)
		return cmd_refuse(ctx, e, 0, "state",
		    _("the %s role may change only its own state, not %s's"),
		    role_name(ctx->role), ac.user);
	/* The board holds people who sign in, not whoever ran tcrm. */
	if ((strcmp(ac.user, ctx->user) != 0 || ac.state != NULL) &&
	    (rc = cmd_check_user(ctx, ac.user)) != 0)
		return rc;
	if (ac.state != NULL && !entity_writable(e, ctx->role))
		return cmd_refuse(ctx, e, 0, "write",
		    _("the %s role may not change %s records"),
		    role_name(ctx->role), e->name);
	if ((rc = store_run(ctx->store, state_txn, &ac)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	if (ac.state == NULL)
		print_agent(&ac.after, clock_now(), fmt);
	else {
		char *a = state_text(&ac.before), *b = state_text(&ac.after);
		char *line = xasprintf("%s: %s → %s", ac.user, a, b);

		out_safe(stdout, line);
		fputc('\n', stdout);
		free(line);
		free(a);
		free(b);
	}
out:
	record_free(&ac.before);
	record_free(&ac.after);
	return rc;
}

/* --- tcrm agent list: the board --- */

struct board_row {
	struct record rec;
	char *team;
	size_t calls;
	size_t open;
};

struct board {
	const struct entity *agents;
	const struct entity *interactions;
	const struct entity *users;
	const char *state;	/* --state */
	char today[11];		/* "2026-11-23" */
	struct board_row *v;
	size_t n;
	uint32_t next;		/* interactions scan */
};

static int
board_keep(const struct record *r, void *arg)
{
	struct board *b = arg;

	if (b->state != NULL && strcmp(record_get(r, "state"), b->state) != 0)
		return 0;
	b->v = xreallocarray(b->v, b->n + 1, sizeof *b->v);
	memset(&b->v[b->n], 0, sizeof *b->v);
	record_copy(&b->v[b->n++].rec, r);
	return 0;
}

/* An agent who never signed on is on the board, offline. */
static int
board_user(const struct record *r, void *arg)
{
	struct board *b = arg;
	const char *name = record_get(r, "name");

	if (strcmp(record_get(r, "role"), "agent") != 0 ||
	    strcmp(record_get(r, "disabled"), "true") == 0)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(record_get(&b->v[i].rec, "name"), name) == 0)
			return 0;
	}
	b->v = xreallocarray(b->v, b->n + 1, sizeof *b->v);
	memset(&b->v[b->n], 0, sizeof *b->v);
	record_set(&b->v[b->n].rec, "name", name);
	record_set(&b->v[b->n++].rec, "state", "offline");
	return 0;
}

static void
board_clear(struct board *b)
{
	for (size_t i = 0; i < b->n; i++) {
		record_free(&b->v[i].rec);
		free(b->v[i].team);
	}
	free(b->v);
	b->v = NULL;
	b->n = 0;
}

static int
board_txn(struct store *s, struct txn *t, void *arg)
{
	struct board *b = arg;
	int rc;

	board_clear(b);
	if ((rc = store_each(s, t, b->agents, board_keep, b)) != ST_OK)
		return rc;
	if (b->users != NULL && (b->state == NULL ||
	    strcmp(b->state, "offline") == 0) &&
	    (rc = store_each(s, t, b->users, board_user, b)) != ST_OK)
		return rc;
	for (size_t i = 0; i < b->n && rc == ST_OK; i++)
		rc = svc_open_load(s, t, record_get(&b->v[i].rec, "name"),
		    &b->v[i].open);
	return rc;
}

/* A call the agent handled today: an interaction of theirs, a call,
 * started on today's date. */
static int
count_call(const struct record *r, void *arg)
{
	struct board *b = arg;
	const char *agent = record_get(r, "agent");
	const char *channel = record_get(r, "channel");

	if (*agent == '\0' || (*channel != '\0' && strcmp(channel, "call")) ||
	    strncmp(record_get(r, "started"), b->today, 10) != 0)
		return 0;
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(record_get(&b->v[i].rec, "name"), agent) == 0) {
			b->v[i].calls++;
			break;
		}
	}
	return 0;
}

struct calls_chunk {
	struct board *b;
	uint32_t from;
	size_t *saved;		/* counts before this chunk, for a retry */
};

static int
calls_txn(struct store *s, struct txn *t, void *arg)
{
	struct calls_chunk *cc = arg;

	for (size_t i = 0; i < cc->b->n; i++)
		cc->b->v[i].calls = cc->saved[i];
	return store_scan(s, t, cc->b->interactions, cc->from, 2000,
	    count_call, cc->b, &cc->b->next);
}

/* In short transactions: the interactions are the biggest table. */
static int
board_calls(struct store *s, struct board *b)
{
	struct calls_chunk cc = { b, 1, NULL };
	int rc = ST_OK;

	if (b->interactions == NULL || b->n == 0)
		return ST_OK;
	cc.saved = xcalloc(b->n, sizeof *cc.saved);
	do {
		for (size_t i = 0; i < b->n; i++)
			cc.saved[i] = b->v[i].calls;
		if ((rc = store_run(s, calls_txn, &cc)) != ST_OK)
			break;
		cc.from = b->next;
	} while (b->next != 0);
	free(cc.saved);
	return rc;
}

static int
cmp_name(const void *a, const void *b)
{
	return strcmp(record_get(&((const struct board_row *)a)->rec, "name"),
	    record_get(&((const struct board_row *)b)->rec, "name"));
}

int
cmd_agent_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "state", required_argument, NULL, 's' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "agent", "state", "reason",
	    "in_state", "calls_today", "open_tickets", "caller", NULL };
	enum out_format fmt = OUT_TABLE;
	const struct svc_queue *q = NULL;
	const char *queue = NULL;
	struct board b;
	struct table t;
	struct tm tm;
	time_t now = clock_now();
	int c, rc = 0;

	memset(&b, 0, sizeof b);
	if ((b.agents = cmd_entity(ctx, AGENT_ENTITY)) == NULL)
		return EX_CONFIG;
	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			queue = optarg;
			break;
		case 's':
			b.state = optarg;
			rc = check_enum(ctx, b.agents, "state", optarg);
			break;
		case 'o':
			rc = cmd_format_option(ctx, optarg, &fmt);
			break;
		default:
			rc = cmd_bad_option(ctx);
		}
	}
	if (rc != 0)
		return rc;
	if (optind != argc) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[optind]);
		return EX_USAGE;
	}
	if (queue != NULL) {
		if ((rc = cmd_check_queue(ctx, queue)) != 0)
			return rc;
		if (store_service(ctx->store) != NULL)
			q = service_queue(store_service(ctx->store), queue);
	}
	if (!entity_readable(b.agents, ctx->role))
		return cmd_refuse(ctx, b.agents, 0, "read",
		    _("the %s role may not read %s records"),
		    role_name(ctx->role), b.agents->name);
	localtime_r(&now, &tm);
	strftime(b.today, sizeof b.today, "%Y-%m-%d", &tm);
	b.interactions = forms_entity(ctx->forms, "interaction");
	b.users = store_user_entity(ctx->store);
	if ((rc = store_run(ctx->store, board_txn, &b)) != ST_OK ||
	    (rc = board_calls(ctx->store, &b)) != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	qsort(b.v, b.n, sizeof *b.v, cmp_name);
	table_init(&t, header);
	for (size_t i = 0; i < b.n; i++) {
		const struct record *r = &b.v[i].rec;
		const char *name = record_get(r, "name");
		char calls[24], open[24], *age;

		if (q != NULL) {
			struct user u;
			bool member;

			if (store_user_get(ctx->store, name, &u) != ST_OK)
				member = service_queue_has(q, name, NULL);
			else {
				member = service_queue_has(q, name, u.team);
				user_free(&u);
			}
			if (!member)
				continue;
		}
		snprintf(calls, sizeof calls, "%zu", b.v[i].calls);
		snprintf(open, sizeof open, "%zu", b.v[i].open);
		age = cmd_age_text(record_get(r, "since"), now);
		table_row(&t, (const char *[]){ name, record_get(r, "state"),
		    record_get(r, "reason"), age, calls, open,
		    record_get(r, "caller") });
		free(age);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
	rc = 0;
out:
	board_clear(&b);
	return rc;
}
