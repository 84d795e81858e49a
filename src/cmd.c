/* cmd.c - the table of commands and the code that runs one: find it, check
 * the role, load the forms and open the store it needs. */
#include "tcrm.h"

#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

const struct cmd_entry cmd_table[] = {
	{ "find", "f", "QUERY [--form ENTITY] [--limit N] [--format F]",
	  N_("search phones, emails, names and companies"),
	  ROLE_ALL, CMD_STORE, cmd_find_exec },
	{ "show", NULL, "ENTITY ID [--format F]",
	  N_("show one record with its related records"),
	  ROLE_ALL, CMD_STORE, cmd_show_exec },
	{ "add", NULL, "ENTITY FIELD=VALUE...",
	  N_("create a record"),
	  ROLE_ALL, CMD_STORE, cmd_add_exec },
	{ "set", NULL, "ENTITY ID [--if-version N] FIELD=VALUE...",
	  N_("change fields of a record"),
	  ROLE_ALL, CMD_STORE, cmd_set_exec },
	{ "delete", "rm", "ENTITY ID [--if-version N]",
	  N_("delete a record, applying reference policies"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_delete_exec },
	{ "history", NULL, "[ENTITY ID] [--limit N] [--format F]",
	  N_("show the audit trail of a record or of everything"),
	  ROLE_ALL, CMD_STORE, cmd_history_exec },
	{ "ticket new", NULL, "--customer ID|PHONE|EMAIL|NAME --subject TEXT "
	  "[--priority P] [--queue Q] [--category C] [--description TEXT] "
	  "[--contact ID] [--assignee USER | --mine]",
	  N_("open a ticket; prints its number"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_new_exec },
	{ "ticket show", NULL, "NUMBER|ID [--format F]",
	  N_("show a ticket with its service-level timers and timeline"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_show_exec },
	{ "ticket list", NULL, "[--mine | --assignee USER | --unassigned] "
	  "[--queue Q] [--status S,S] [--customer C] [--breached] "
	  "[--open | --all] [--limit N] [--format F]",
	  N_("list tickets by due time, with their timers"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_list_exec },
	{ "ticket assign", NULL, "NUMBER USER|--auto|--none",
	  N_("give a ticket to an agent, or by its queue's rule"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_ticket_assign_exec },
	{ "ticket take", NULL, "NUMBER",
	  N_("take an unassigned ticket for yourself"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_take_exec },
	{ "ticket status", NULL, "NUMBER STATUS [--note TEXT] "
	  "[--resolution TEXT]",
	  N_("move a ticket along its status flow"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_status_exec },
	{ "ticket note", NULL, "NUMBER TEXT|-",
	  N_("add a note to a ticket's timeline"),
	  ROLE_ALL, CMD_STORE, cmd_ticket_note_exec },
	{ "callback add", NULL, "--customer ID|PHONE|EMAIL|NAME --at TIME "
	  "[--for USER] [--queue Q] [--phone N] [--note TEXT] [--ticket T]",
	  N_("promise a customer a call back; prints its id"),
	  ROLE_ALL, CMD_STORE, cmd_callback_add_exec },
	{ "callback list", NULL, "[--mine | --for USER] [--queue Q] "
	  "[--customer C] [--due] [--missed] [--all] [--limit N] [--format F]",
	  N_("list pending callbacks by due time"),
	  ROLE_ALL, CMD_STORE, cmd_callback_list_exec },
	{ "callback done", NULL, "ID [--note TEXT]",
	  N_("mark a callback made"),
	  ROLE_ALL, CMD_STORE, cmd_callback_done_exec },
	{ "agent state", NULL, "[STATE [REASON]] [--agent USER] "
	  "[--call-id ID] [--caller N] [--format F]",
	  N_("show or change an agent's state (ready, paused...)"),
	  ROLE_ALL, CMD_STORE, cmd_agent_state_exec },
	{ "agent list", NULL, "[--queue Q] [--state S] [--format F]",
	  N_("the board: every agent's state, calls and open tickets"),
	  ROLE_ALL, CMD_STORE, cmd_agent_list_exec },
	{ "sla run", NULL, "[--format F]",
	  N_("mark breaches, escalate, flag missed callbacks now"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_sla_run_exec },
	{ "sla show", NULL, "NUMBER|ID [--format F]",
	  N_("show a ticket's service-level timers"),
	  ROLE_ALL, CMD_STORE, cmd_sla_show_exec },
	{ "import", NULL, "[FILE|-] --form ENTITY [--format F] "
	  "[--encoding E] [--delimiter C] [--map C=F] [--ignore C] "
	  "[--keep-unknown] [--key F] [--on-duplicate update|skip|fail] "
	  "[--link E.F=C] [--default F=V] [--partial] [--reject FILE] "
	  "[--batch N] [--again] "
	  "[--dry-run] | --list [--output F] | --revert ID [--force]",
	  N_("import records from CSV, TSV, JSON Lines, YAML or vCard"),
	  ROLE_ADMIN, CMD_STORE, cmd_import_exec },
	{ "export", NULL, "--form ENTITY [--where F=V] [--fields A,B] "
	  "[--format csv|tsv|jsonl|yaml|vcard] [--labels en|zh] [--bom] "
	  "[--raw-cells]",
	  N_("export records, streamed, in a format import reads back"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_export_exec },
	{ "forms check", NULL, "[DIR]",
	  N_("check form definitions and report every error"),
	  ROLE_ALL, 0, cmd_forms_check_exec },
	{ "db verify", NULL, "",
	  N_("check files, every index and every reference"),
	  ROLE_ADMIN, CMD_STORE, cmd_db_verify_exec },
	{ "db stat", NULL, "",
	  N_("show record counts, logs, locks and cache"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_db_stat_exec },
	{ "db checkpoint", NULL, "",
	  N_("write a checkpoint and remove logs no longer needed"),
	  ROLE_ADMIN, CMD_STORE, cmd_db_checkpoint_exec },
	{ "db backup", NULL, "DIR",
	  N_("make a hot, consistent backup in DIR"),
	  ROLE_ADMIN, CMD_STORE, cmd_db_backup_exec },
	{ "db restore", NULL, "DIR",
	  N_("restore a backup into the (new) environment directory"),
	  ROLE_ADMIN, 0, cmd_db_restore_exec },
	{ "db reindex", NULL, "[ENTITY]",
	  N_("rebuild indexes from the records"),
	  ROLE_ADMIN, CMD_STORE, cmd_db_reindex_exec },
	{ "user add", NULL, "NAME --role ROLE [--team T] [--name FULL] "
	  "[--key KEY | --key-file FILE]...",
	  N_("add a user who may sign in through tcrmd"),
	  ROLE_ADMIN, CMD_STORE, cmd_user_add_exec },
	{ "user set", NULL, "NAME [--role ROLE] [--team T] [--name FULL]",
	  N_("change a user's role, team or full name"),
	  ROLE_ADMIN, CMD_STORE, cmd_user_set_exec },
	{ "user key", NULL, "add NAME KEY... | add NAME --key-file FILE | "
	  "remove NAME FINGERPRINT|COMMENT|N | list NAME",
	  N_("add, remove or list a user's public keys"),
	  ROLE_ADMIN, CMD_STORE, cmd_user_key_exec },
	{ "user disable", NULL, "NAME",
	  N_("stop a user from signing in"),
	  ROLE_ADMIN, CMD_STORE, cmd_user_disable_exec },
	{ "user enable", NULL, "NAME",
	  N_("let a disabled user sign in again"),
	  ROLE_ADMIN, CMD_STORE, cmd_user_enable_exec },
	{ "user list", NULL, "[--format F]",
	  N_("list users with role, team and keys"),
	  ROLE_SUPERVISOR | ROLE_ADMIN, CMD_STORE, cmd_user_list_exec },
	{ "pop", NULL, "--agent USER --caller NUMBER [--called NUMBER] "
	  "[--call-id ID] [--timeout MS]",
	  N_("push an incoming call into an agent's running desk"),
	  ROLE_ALL, CMD_STORE, cmd_pop_exec },
	{ "agi", NULL, "[USER]",
	  N_("look the caller up for Asterisk, speaking AGI on stdin/stdout"),
	  ROLE_ALL, CMD_STORE, cmd_agi_exec },
	{ "desk", NULL, "[ENTITY ID]",
	  N_("open the desk (what tcrm with no command does)"),
	  ROLE_ALL, CMD_STORE, cmd_desk_exec },
	{ "help", NULL, "[COMMAND]",
	  N_("list commands, or show one command's usage"),
	  ROLE_ALL, 0, cmd_help_exec },
	{ NULL, NULL, NULL, NULL, 0, 0, NULL }
};

/* Two-word names ("db verify") first, then one word and aliases. */
const struct cmd_entry *
cmd_lookup(int argc, char **argv, int *used)
{
	const struct cmd_entry *ce;
	char two[256];

	if (argc >= 2) {
		snprintf(two, sizeof two, "%s %s", argv[0], argv[1]);
		for (ce = cmd_table; ce->name != NULL; ce++) {
			if (strcmp(ce->name, two) == 0) {
				*used = 2;
				return ce;
			}
		}
	}
	for (ce = cmd_table; argc >= 1 && ce->name != NULL; ce++) {
		if (strcmp(ce->name, argv[0]) == 0 ||
		    (ce->alias != NULL && strcmp(ce->alias, argv[0]) == 0)) {
			*used = 1;
			return ce;
		}
	}
	return NULL;
}

void
cmd_error(const struct cmd_ctx *ctx, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	fprintf(stderr, "tcrm: %s%s", ctx->name ? ctx->name : "",
	    ctx->name ? ": " : "");
	out_safe(stderr, msg);
	fputc('\n', stderr);
	free(msg);
}

int
cmd_store_error(const struct cmd_ctx *ctx, int rc)
{
	cmd_error(ctx, "%s", store_error(ctx->store));
	return store_rc_exit(rc);
}

const struct entity *
cmd_entity(struct cmd_ctx *ctx, const char *name)
{
	const struct entity *e = forms_entity(ctx->forms, name);
	struct strv names;
	char *all;

	if (e != NULL)
		return e;
	strv_init(&names);
	for (size_t i = 0; i < ctx->forms->n; i++)
		strv_push(&names, ctx->forms->entities[i].name);
	all = strv_join(&names, ", ");
	cmd_error(ctx, _("unknown entity '%s' (one of: %s)"), name, all);
	free(all);
	strv_free(&names);
	return NULL;
}

bool
cmd_parse_id(const char *s, uint32_t *id)
{
	unsigned long v;
	char *end;

	errno = 0;
	if (*s < '0' || *s > '9')
		return false;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v == 0 || v > UINT32_MAX)
		return false;
	*id = (uint32_t)v;
	return true;
}

int
cmd_format_option(struct cmd_ctx *ctx, const char *arg, enum out_format *f)
{
	if (out_format_parse(arg, f) == 0)
		return 0;
	cmd_error(ctx, _("unknown format '%s' (table, tsv or json)"), arg);
	return EX_USAGE;
}

int
cmd_limit_option(struct cmd_ctx *ctx, const char *arg, long most,
    size_t *limit)
{
	char *end;
	long n = strtol(arg, &end, 10);

	if (*end != '\0' || end == arg || n < 1 || n > most) {
		cmd_error(ctx, _("--limit wants a number from 1 to %ld, not "
		    "'%s'"), most, arg);
		return EX_USAGE;
	}
	*limit = (size_t)n;
	return 0;
}

void
cmd_usage(FILE *fp, const struct cmd_entry *ce)
{
	fprintf(fp, "usage: tcrm %s%s%s\n", ce->name, *ce->usage ? " " : "",
	    ce->usage);
}

static bool
is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --forms, TCRM_FORMS, the environment's own forms/, the installed set. */
char *
cmd_forms_dir(const struct cmd_ctx *ctx)
{
	const char *env = getenv("TCRM_FORMS");
	char *local;

	if (ctx->forms_dir != NULL)
		return xstrdup(ctx->forms_dir);
	if (env != NULL && *env != '\0')
		return xstrdup(env);
	if (ctx->home != NULL) {
		local = xasprintf("%s/forms", ctx->home);
		if (is_dir(local))
			return local;
		free(local);
	}
	return xstrdup(PKGDATADIR "/forms");
}

static int
cmd_load_forms(struct cmd_ctx *ctx)
{
	char *dir = cmd_forms_dir(ctx);
	struct strv diags;
	int rc = 0;

	strv_init(&diags);
	if (forms_load(dir, &ctx->forms, &diags) != 0) {
		for (size_t i = 0; i < diags.n; i++) {
			out_safe(stderr, diags.v[i]);
			fputc('\n', stderr);
		}
		fprintf(stderr, "tcrm: %s: %zu error%s in the form "
		    "definitions\n", dir, diags.n, diags.n == 1 ? "" : "s");
		rc = EX_CONFIG;
	}
	strv_free(&diags);
	free(dir);
	return rc;
}

static void
say_waiting(pid_t holder, bool stopped)
{
	fputs("tcrm: ", stderr);
	if (stopped)
		fprintf(stderr, _("process %ld, another tcrm, is stopped (Ctrl-Z) "
		    "while it opens the environment: waiting until it goes on "
		    "(fg in its shell, or kill -CONT %ld)"), (long)holder,
		    (long)holder);
	else
		fprintf(stderr, _("waiting for process %ld, another tcrm, to "
		    "finish opening the environment"), (long)holder);
	fputc('\n', stderr);
}

static int
cmd_open_store(struct cmd_ctx *ctx)
{
	struct store_opts o = { 0 };
	char **notice;
	int rc;

	o.home = ctx->home;
	o.forms = ctx->forms;
	o.user = ctx->user;
	o.waiting = say_waiting;
	if ((rc = store_open(&ctx->store, &o)) != ST_OK) {
		cmd_error(ctx, "%s", store_error(ctx->store));
		store_close(ctx->store);
		ctx->store = NULL;
		return rc == ST_BUSY ? EX_TEMPFAIL : EX_UNAVAILABLE;
	}
	for (notice = store_notices(ctx->store); *notice != NULL; notice++)
		fprintf(stderr, "tcrm: %s\n", *notice);
	return 0;
}

/* Forms and store for a caller outside the table (who is this user?). */
int
cmd_open(struct cmd_ctx *ctx)
{
	int rc;

	if (ctx->forms == NULL && (rc = cmd_load_forms(ctx)) != 0)
		return rc;
	if (ctx->store == NULL && (rc = cmd_open_store(ctx)) != 0)
		return rc;
	return 0;
}

static char *
command_line(int argc, char **argv)
{
	struct strv words;
	char *line;

	strv_init(&words);
	for (int i = 0; i < argc; i++)
		strv_push(&words, argv[i]);
	line = strv_join(&words, " ");
	strv_free(&words);
	return line;
}

static void
audit_refusal(struct cmd_ctx *ctx, const struct entity *e, uint32_t id,
    const char *field, const char *what)
{
	if (ctx->store == NULL)
		return;
	if (store_audit_refusal(ctx->store, e, id, field, what) != ST_OK)
		cmd_error(ctx, _("could not audit the refusal: %s"),
		    store_error(ctx->store));
}

/* The role check: one place, the table. A command that would have used
 * the store records the refusal there. */
static int
cmd_refuse_command(struct cmd_ctx *ctx, const struct cmd_entry *ce,
    int argc, char **argv)
{
	char *need = roles_text(ce->roles), *line;

	cmd_error(ctx, _("no permission: %s needs the %s role (you are %s)"),
	    ce->name, need, role_name(ctx->role));
	free(need);
	if ((ce->flags & CMD_STORE) && (ctx->forms != NULL ||
	    cmd_load_forms(ctx) == 0) && (ctx->store != NULL ||
	    cmd_open_store(ctx) == 0)) {
		line = command_line(argc, argv);
		audit_refusal(ctx, NULL, 0, ce->name, line);
		free(line);
	}
	return EX_NOPERM;
}

int
cmd_refuse(struct cmd_ctx *ctx, const struct entity *e, uint32_t id,
    const char *field, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	cmd_error(ctx, "%s: %s", _("no permission"), msg);
	audit_refusal(ctx, e, id, field, msg);
	free(msg);
	return EX_NOPERM;
}

int
cmd_run(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *ce;
	int used = 0, rc;

	if (argc == 0)
		return cmd_help_exec(ctx, 0, argv);
	if ((ce = cmd_lookup(argc, argv, &used)) == NULL) {
		char *safe = utf8_sanitize(argv[0]);

		fprintf(stderr, "tcrm: unknown command '%s' (try: tcrm help)\n",
		    safe);
		free(safe);
		return EX_USAGE;
	}
	ctx->name = ce->name;
	for (int i = used; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0) {
			cmd_usage(stdout, ce);
			printf("%s\n", _(ce->summary));
			return 0;
		}
	}
	if ((ce->roles & ctx->role) == 0)
		return cmd_refuse_command(ctx, ce, argc, argv);
	if ((ce->flags & (CMD_FORMS | CMD_STORE)) && ctx->forms == NULL &&
	    (rc = cmd_load_forms(ctx)) != 0)
		return rc;
	if ((ce->flags & CMD_STORE) && ctx->store == NULL &&
	    (rc = cmd_open_store(ctx)) != 0)
		return rc;
	/* Commands see their own arguments as argv[1..], like main(). */
	return ce->exec(ctx, argc - used + 1, argv + used - 1);
}

int
cmd_help_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct cmd_entry *ce;
	int used;

	if (argc > 1) {
		if ((ce = cmd_lookup(argc - 1, argv + 1, &used)) == NULL) {
			cmd_error(ctx, _("no command '%s'"), argv[1]);
			return EX_USAGE;
		}
		cmd_usage(stdout, ce);
		printf("%s\n", _(ce->summary));
		return 0;
	}
	printf("%s\n", _("usage: tcrm [--home DIR] [--forms DIR] COMMAND "
	    "[ARGS]\n       tcrm (no command: open the desk)\n\ncommands:"));
	for (ce = cmd_table; ce->name != NULL; ce++) {
		char *pad = utf8_pad(ce->name, 15);

		printf("  %s %s\n", pad, _(ce->summary));
		free(pad);
	}
	return 0;
}
