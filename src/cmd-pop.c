/* cmd-pop.c - tcrm pop: a call pushed into an agent's running desk; and
 * tcrm agi: the same lookup for Asterisk, speaking AGI on stdin/stdout so
 * a dialplan can route by who is calling. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define POP_TIMEOUT_MS 3000
#define AGI_TIMEOUT_MS 1000
#define AGI_LINE_MAX 1024
#define AGI_HEADER_MAX 200	/* lines */
#define AGI_VALUE_MAX 200	/* bytes of a value we send */

/* ---- shared ------------------------------------------------------- */

/* An agent pops calls to their own desk only; supervisors and admins to
 * anyone the store knows. Returns 0 or an exit status (said). */
static int
pop_check_agent(struct cmd_ctx *ctx, const char *agent)
{
	struct user u;
	int rc;

	if ((ctx->role & (ROLE_SUPERVISOR | ROLE_ADMIN)) == 0 &&
	    strcmp(agent, ctx->user) != 0)
		return cmd_refuse(ctx, NULL, 0, "pop", _("an agent may pop "
		    "calls only to their own desk, not to %s"), agent);
	rc = store_user_get(ctx->store, agent, &u);
	if ((rc == ST_NOTFOUND || rc == ST_INVALID) &&
	    strcmp(agent, ctx->user) == 0)
		return 0;	/* the environment's owner, not a store user */
	if (rc == ST_NOTFOUND || rc == ST_INVALID) {
		cmd_error(ctx, _("no user '%s' (tcrm user list shows them)"),
		    agent);
		return EX_NOUSER;
	}
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	rc = u.disabled ? EX_NOUSER : 0;
	if (u.disabled)
		cmd_error(ctx, _("user '%s' is disabled"), agent);
	user_free(&u);
	return rc;
}

static char *
pop_phones_line(const char *phones)
{
	char *s = xstrdup(phones);

	for (char *p = s; *p != '\0'; p++)
		*p = *p == '\n' ? ',' : *p;
	return s;
}

/* A number as a script gives it, without the spaces around it. */
static char *
pop_trimmed(const char *s)
{
	size_t n;

	while (*s == ' ' || *s == '\t')
		s++;
	n = strlen(s);
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return xstrndup(s, n);
}

static void
pop_print_matches(const char *caller, const struct pop_matches *ms)
{
	printf(ngettext("caller %s: %zu match\n", "caller %s: %zu matches\n",
	    ms->n), caller, ms->n);
	for (size_t i = 0; i < ms->n; i++) {
		const struct pop_match *m = &ms->v[i];
		char *phones = pop_phones_line(m->phones), *line;

		if (m->contact != 0)
			line = xasprintf("  customer %u  %s  %s  %s  (contact "
			    "#%u %s)", m->customer, m->name, m->company, phones,
			    m->contact, m->contact_name);
		else
			line = xasprintf("  customer %u  %s  %s  %s",
			    m->customer, m->name, m->company, phones);
		out_safe(stdout, line);
		fputc('\n', stdout);
		free(line);
		free(phones);
	}
}

static void
pop_print_desk(const struct pop_delivery *d, int timeout_ms)
{
	switch (d->state) {
	case POP_DRAWN:
		printf(_("  desk %ld: %s drawn in %.3f ms (finding the caller "
		    "%.3f, opening the screen %.3f, drawing %.3f)\n"), d->pid,
		    d->ack.screen, (double)d->ack.us / 1000.0,
		    (double)d->ack.lookup_us / 1000.0,
		    (double)d->ack.open_us / 1000.0,
		    (double)(d->ack.us - d->ack.lookup_us - d->ack.open_us) /
		    1000.0);
		break;
	case POP_SENT:
		printf(_("  desk %ld: sent; no answer within %d ms (the agent "
		    "may be outside the desk's screens)\n"), d->pid, timeout_ms);
		break;
	default:
		printf(_("  desk %ld: not reached: "), d->pid);
		out_safe(stdout, d->error ? d->error : "?");
		fputc('\n', stdout);
		break;
	}
}

/* Deliver and say what happened; *reached counts desks that took it. */
static int
pop_push(struct cmd_ctx *ctx, const char *agent, const struct pop_event *ev,
    int timeout_ms, bool print, size_t *reached)
{
	struct pop_delivery *v;
	size_t n, stale;

	*reached = 0;
	if (pop_deliver(store_home(ctx->store), agent, ev, timeout_ms, &v, &n,
	    &stale) != 0) {
		cmd_error(ctx, _("cannot read the desks' directory in %s"),
		    store_home(ctx->store));
		return EX_IOERR;
	}
	for (size_t i = 0; i < n; i++)
		*reached += v[i].state != POP_FAILED;
	if (print && n > 0) {
		printf(ngettext("%s: %zu of %zu desk reached\n",
		    "%s: %zu of %zu desks reached\n", n), agent, *reached, n);
		for (size_t i = 0; i < n; i++)
			pop_print_desk(&v[i], timeout_ms);
	}
	if (print && stale > 0)
		printf(ngettext("  (%zu desk that had ended without tidying "
		    "up was removed)\n", "  (%zu desks that had ended without "
		    "tidying up were removed)\n", stale), stale);
	pop_deliveries_free(v, n);
	return 0;
}

/* ---- tcrm pop ------------------------------------------------------ */

static int
pop_text_option(struct cmd_ctx *ctx, const char *what, const char *value)
{
	if (pop_text_ok(value, POP_TEXT_MAX))
		return 0;
	cmd_error(ctx, _("%s must be printable text of at most %d bytes"),
	    what, POP_TEXT_MAX);
	return EX_USAGE;
}

static int
pop_parse_args(struct cmd_ctx *ctx, int argc, char **argv,
    struct pop_event *ev, const char **agent, int *timeout_ms)
{
	static const struct option opts[] = {
		{ "agent", required_argument, NULL, 'a' },
		{ "caller", required_argument, NULL, 'c' },
		{ "called", required_argument, NULL, 'd' },
		{ "call-id", required_argument, NULL, 'i' },
		{ "timeout", required_argument, NULL, 't' },
		{ NULL, 0, NULL, 0 }
	};
	char *end;
	long v;
	int c, rc = 0;

	optind = 0;
	while (rc == 0 && (c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			*agent = optarg;
			break;
		case 'c':
			free(ev->caller);
			ev->caller = pop_trimmed(optarg);
			rc = pop_text_option(ctx, "--caller", optarg);
			break;
		case 'd':
			free(ev->called);
			ev->called = xstrdup(optarg);
			rc = pop_text_option(ctx, "--called", optarg);
			break;
		case 'i':
			free(ev->call_id);
			ev->call_id = xstrdup(optarg);
			rc = pop_text_option(ctx, "--call-id", optarg);
			break;
		case 't':
			v = strtol(optarg, &end, 10);
			if (*end != '\0' || end == optarg || v < 0 ||
			    v > 60000) {
				cmd_error(ctx, _("--timeout wants milliseconds "
				    "from 0 to 60000, not '%s'"), optarg);
				return EX_USAGE;
			}
			*timeout_ms = (int)v;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (rc != 0)
		return rc;
	if (optind < argc) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[optind]);
		return EX_USAGE;
	}
	if (*agent == NULL || ev->caller == NULL) {
		cmd_error(ctx, "%s", _("usage: tcrm pop --agent USER --caller "
		    "NUMBER [--called NUMBER] [--call-id ID]"));
		return EX_USAGE;
	}
	return 0;
}

static int
pop_check_caller(struct cmd_ctx *ctx, const char *caller)
{
	struct phone ph;
	const char *why = NULL;

	if (phone_parse(caller, getenv("TCRM_COUNTRY"), &ph, &why) == 0)
		return 0;
	cmd_error(ctx, _("--caller '%s' is not a phone number (%s)"), caller,
	    why ? why : "?");
	return EX_USAGE;
}

/* Without --call-id the desks of one agent still record one interaction:
 * the call gets an id of its own. */
static char *
pop_make_call_id(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return xasprintf("pop-%lld%03ld-%ld", (long long)ts.tv_sec,
	    ts.tv_nsec / 1000000, (long)getpid());
}

int
cmd_pop_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct pop_event ev;
	struct pop_matches ms;
	const char *agent = NULL;
	int timeout_ms = POP_TIMEOUT_MS, rc;
	size_t reached;

	pop_event_init(&ev);
	if ((rc = pop_parse_args(ctx, argc, argv, &ev, &agent,
	    &timeout_ms)) != 0 || (rc = pop_check_caller(ctx, ev.caller)) ||
	    (rc = pop_check_agent(ctx, agent)) != 0) {
		pop_event_free(&ev);
		return rc;
	}
	if (ev.call_id == NULL || *ev.call_id == '\0') {
		free(ev.call_id);
		ev.call_id = pop_make_call_id();
	}
	ev.from = xstrdup(ctx->user);
	if ((rc = pop_lookup(ctx->store, ev.caller, ctx->role, &ms)) != ST_OK) {
		pop_event_free(&ev);
		return cmd_store_error(ctx, rc);
	}
	pop_print_matches(ev.caller, &ms);
	if (ms.n == 1) {
		pop_warm(ctx->store, ms.v[0].customer);
		ev.customer = ms.v[0].customer;
		ev.contact = ms.v[0].contact;
	}
	pop_matches_free(&ms);
	fflush(stdout);
	rc = pop_push(ctx, agent, &ev, timeout_ms, true, &reached);
	if (rc == 0 && reached == 0) {
		cmd_error(ctx, _("%s has no desk open: the call was not "
		    "popped"), agent);
		rc = EX_UNAVAILABLE;
	}
	pop_event_free(&ev);
	return rc;
}

/* ---- tcrm agi ------------------------------------------------------ */

struct agi {
	struct cmd_ctx *ctx;
	FILE *in;
	FILE *out;
	size_t lineno;
	char *callerid;
	char *dnid;
	char *extension;
	char *uniqueid;
	char *agent;		/* agi_arg_1 */
	bool hungup;
	bool dead;		/* Asterisk went away, or the stream broke */
};

/* One line without its end; false at the end of input. A line longer
 * than AGI_LINE_MAX is cut and *long_line set. */
static bool
agi_read_line(struct agi *a, char *line, bool *long_line)
{
	size_t n = 0;
	int ch;

	*long_line = false;
	while ((ch = getc(a->in)) != EOF && ch != '\n') {
		if (n < AGI_LINE_MAX)
			line[n++] = (char)ch;
		else
			*long_line = true;
	}
	if (ch == EOF && n == 0)
		return false;
	if (n > 0 && line[n - 1] == '\r')
		n--;
	line[n] = '\0';
	a->lineno++;
	return true;
}

static void
agi_take(char **slot, const char *value)
{
	free(*slot);
	*slot = xstrdup(value);
}

static int
agi_header_line(struct agi *a, char *line)
{
	char *colon = strchr(line, ':'), *value;

	if (strncmp(line, "agi_", 4) != 0 || colon == NULL ||
	    colon[1] != ' ') {
		cmd_error(a->ctx, _("malformed AGI header at line %zu: "
		    "expected 'agi_NAME: value'"), a->lineno);
		return EX_PROTOCOL;
	}
	*colon = '\0';
	value = colon + 2;
	if (!pop_text_ok(value, AGI_LINE_MAX))
		value = "";	/* bytes we will not carry anywhere */
	if (strcmp(line, "agi_callerid") == 0)
		agi_take(&a->callerid, value);
	else if (strcmp(line, "agi_dnid") == 0)
		agi_take(&a->dnid, value);
	else if (strcmp(line, "agi_extension") == 0)
		agi_take(&a->extension, value);
	else if (strcmp(line, "agi_uniqueid") == 0)
		agi_take(&a->uniqueid, value);
	else if (strcmp(line, "agi_arg_1") == 0)
		agi_take(&a->agent, value);
	return 0;
}

/* agi_NAME: value lines up to the blank line. */
static int
agi_read_header(struct agi *a)
{
	char line[AGI_LINE_MAX + 1];
	bool too_long;
	int rc;

	for (size_t n = 0; n < AGI_HEADER_MAX; n++) {
		if (!agi_read_line(a, line, &too_long)) {
			cmd_error(a->ctx, "%s", _("the AGI header ended before "
			    "its blank line"));
			return EX_PROTOCOL;
		}
		if (too_long) {
			cmd_error(a->ctx, _("AGI header line %zu is too long"),
			    a->lineno);
			return EX_PROTOCOL;
		}
		if (*line == '\0')
			return 0;
		if ((rc = agi_header_line(a, line)) != 0)
			return rc;
	}
	cmd_error(a->ctx, _("the AGI header has more than %d lines"),
	    AGI_HEADER_MAX);
	return EX_PROTOCOL;
}

/* A value inside double quotes as Asterisk reads it: quotes and
 * backslashes escaped, control characters as spaces, cut by character. */
static char *
agi_quote(const char *s)
{
	size_t len = strlen(s), off = 0;
	struct buf b;

	buf_init(&b);
	buf_addc(&b, '"');
	while (off < len && b.len < AGI_VALUE_MAX) {
		int32_t cp;
		size_t used = utf8_decode(s + off, len - off, &cp);

		if (cp < 0)
			buf_addc(&b, '?');
		else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0))
			buf_addc(&b, ' ');
		else {
			if (cp == '"' || cp == '\\')
				buf_addc(&b, '\\');
			buf_add(&b, s + off, used);
		}
		off += used;
	}
	buf_addc(&b, '"');
	return buf_detach(&b);
}

/* A 520- reply goes on with usage text up to "520 End of proper usage." */
static void
agi_skip_usage(struct agi *a)
{
	char line[AGI_LINE_MAX + 1];
	bool too_long;

	for (;;) {
		if (!agi_read_line(a, line, &too_long)) {
			a->dead = true;
			return;
		}
		if (strncmp(line, "520 ", 4) == 0)
			return;
	}
}

/* The reply to a command: 200 is fine; 510/520 are reported and the
 * script goes on; HANGUP, 511 or the end of input stop it. */
static void
agi_reply(struct agi *a, const char *command)
{
	char line[AGI_LINE_MAX + 1];
	bool too_long;

	if (!agi_read_line(a, line, &too_long))
		a->dead = true;
	else if (strcmp(line, "HANGUP") == 0 || strncmp(line, "511", 3) == 0)
		a->hungup = true;
	else if (strncmp(line, "200", 3) == 0)
		return;
	else if (strncmp(line, "510", 3) == 0 || strncmp(line, "520", 3) ==
	    0) {
		if (strncmp(line, "520-", 4) == 0)
			agi_skip_usage(a);
		cmd_error(a->ctx, _("Asterisk refused '%s': %s"), command,
		    line);
	} else {
		cmd_error(a->ctx, _("unexpected AGI reply to '%s': %s"),
		    command, line);
		a->dead = true;
	}
}

static void
agi_set(struct agi *a, const char *name, const char *value)
{
	char *q, *cmd;

	if (a->hungup || a->dead)
		return;
	q = agi_quote(value);
	cmd = xasprintf("SET VARIABLE %s %s", name, q);
	fprintf(a->out, "%s\n", cmd);
	if (fflush(a->out) != 0)
		a->dead = true;
	else
		agi_reply(a, cmd);
	free(cmd);
	free(q);
}

static int
priority_rank(const char *p)
{
	static const char *const order[] = { "standard", "silver", "gold",
	    "platinum", "vip", NULL };

	for (int i = 0; order[i] != NULL; i++) {
		if (strcmp(p, order[i]) == 0)
			return i;
	}
	return -1;
}

/* VIP by status, else the tier; the highest among several matches. */
static const char *
agi_priority(const struct pop_matches *ms)
{
	const char *best = "";

	for (size_t i = 0; i < ms->n; i++) {
		const char *p = strcmp(ms->v[i].status, "vip") == 0 ? "vip" :
		    *ms->v[i].tier ? ms->v[i].tier : "standard";

		if (priority_rank(p) > priority_rank(best))
			best = p;
	}
	return best;
}

static const char *
agi_called(const struct agi *a)
{
	if (a->dnid != NULL && *a->dnid != '\0' &&
	    strcmp(a->dnid, "unknown") != 0)
		return a->dnid;
	return a->extension ? a->extension : "";
}

/* Pop agi_arg_1's desks, when the role allows; the number reached. */
static size_t
agi_pop(struct agi *a, const char *caller, const struct pop_matches *ms)
{
	struct pop_event ev;
	size_t reached = 0;

	if (a->agent == NULL || *a->agent == '\0' || *caller == '\0' ||
	    pop_check_agent(a->ctx, a->agent) != 0)
		return 0;
	pop_event_init(&ev);
	ev.caller = xstrdup(caller);
	ev.called = xstrdup(agi_called(a));
	ev.call_id = xstrdup(a->uniqueid ? a->uniqueid : "");
	ev.from = xstrdup(a->ctx->user);
	if (!pop_text_ok(ev.called, POP_TEXT_MAX))
		agi_take(&ev.called, "");
	if (!pop_text_ok(ev.call_id, POP_TEXT_MAX))
		agi_take(&ev.call_id, "");
	if (ms->n == 1) {
		ev.customer = ms->v[0].customer;
		ev.contact = ms->v[0].contact;
	}
	pop_push(a->ctx, a->agent, &ev, AGI_TIMEOUT_MS, false, &reached);
	pop_event_free(&ev);
	return reached;
}

static void
agi_free(struct agi *a)
{
	free(a->callerid);
	free(a->dnid);
	free(a->extension);
	free(a->uniqueid);
	free(a->agent);
}

int
cmd_agi_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct agi a = { ctx, stdin, stdout, 0, NULL, NULL, NULL, NULL, NULL,
	    false, false };
	struct pop_matches ms = { NULL, 0 };
	const char *caller;
	char n[24];
	size_t popped;
	int rc;

	if (argc > 2) {
		cmd_error(ctx, _("unexpected argument '%s' (usage: tcrm agi "
		    "[USER])"), argv[2]);
		return EX_USAGE;
	}
	if ((rc = agi_read_header(&a)) != 0) {
		agi_free(&a);
		return rc;
	}
	/* AGI(tcrm,agi,lina) gives agi_arg_1 "agi": the command line's
	 * user is the one meant. */
	if (argc == 2)
		agi_take(&a.agent, argv[1]);
	caller = a.callerid ? a.callerid : "";
	if (*caller != '\0' && strlen(caller) <= POP_TEXT_MAX &&
	    (rc = pop_lookup(ctx->store, caller, ctx->role, &ms)) != ST_OK) {
		agi_free(&a);
		return cmd_store_error(ctx, rc);
	}
	if (ms.n == 1 && a.agent != NULL && *a.agent != '\0')
		pop_warm(ctx->store, ms.v[0].customer);
	popped = strlen(caller) <= POP_TEXT_MAX ? agi_pop(&a, caller, &ms) : 0;
	snprintf(n, sizeof n, "%u", ms.n == 1 ? ms.v[0].customer : 0);
	agi_set(&a, "TCRM_CUSTOMER_ID", ms.n == 1 ? n : "");
	agi_set(&a, "TCRM_CUSTOMER_NAME", ms.n == 1 ? ms.v[0].name : "");
	agi_set(&a, "TCRM_PRIORITY", agi_priority(&ms));
	snprintf(n, sizeof n, "%zu", ms.n);
	agi_set(&a, "TCRM_MATCHES", n);
	snprintf(n, sizeof n, "%zu", popped);
	agi_set(&a, "TCRM_POPPED", n);
	pop_matches_free(&ms);
	rc = a.dead && !a.hungup ? EX_IOERR : 0;
	if (rc != 0)
		cmd_error(ctx, "%s", _("the AGI stream ended before the "
		    "variables were set"));
	agi_free(&a);
	return rc;
}
