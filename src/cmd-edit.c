/* cmd-edit.c - tcrm add, set and delete: FIELD=VALUE assignments checked
 * by the form, written in one transaction each. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

/* Apply FIELD=VALUE (or FIELD+=VALUE, to add to a list) arguments to r.
 * Every bad argument is reported; returns the worst exit status. */
static int
apply_assignments(struct cmd_ctx *ctx, const struct entity *e, int argc,
    char **argv, struct record *r)
{
	struct strv touched;
	int status = 0;

	strv_init(&touched);
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		const struct field *f;
		char *name, *out = NULL, *why = NULL;
		bool append, seen = false;

		if (eq == NULL || eq == argv[i]) {
			cmd_error(ctx, _("'%s' is not FIELD=VALUE"), argv[i]);
			status = EX_USAGE;
			continue;
		}
		append = eq[-1] == '+';
		name = xstrndup(argv[i], (size_t)(eq - argv[i] - append));
		if ((f = entity_field(e, name)) == NULL) {
			cmd_error(ctx, _("%s has no field '%s'"), e->name, name);
			status = EX_USAGE;
			free(name);
			continue;
		}
		free(name);
		if ((f->write_roles & ctx->role) == 0) {
			cmd_error(ctx, _("%s: your role may not change this "
			    "field"), f->name);
			status = EX_NOPERM;
			continue;
		}
		if (field_normalise(f, eq + 1, &out, &why) != 0) {
			cmd_error(ctx, "%s: %s", f->name, why);
			if (status == 0)
				status = EX_DATAERR;
			free(why);
			continue;
		}
		for (size_t j = 0; j < touched.n; j++)
			seen = seen || strcmp(touched.v[j], f->name) == 0;
		if ((seen || append) && f->type == FT_PHONES &&
		    *record_get(r, f->name) != '\0' && *out != '\0') {
			char *joined = xasprintf("%s\n%s", record_get(r, f->name),
			    out);

			/* Normalised again so a number given twice is kept
			 * once. */
			free(out);
			out = NULL;
			if (field_normalise(f, joined, &out, &why) == 0)
				record_set(r, f->name, out);
			free(why);
			free(joined);
		} else
			record_set(r, f->name, out);
		if (!seen)
			strv_push(&touched, f->name);
		free(out);
	}
	strv_free(&touched);
	return status;
}

/* Permissions first, outside any transaction, so a refusal changes
 * nothing and can be audited on its own. */
static int
check_writable(struct cmd_ctx *ctx, const struct entity *e, uint32_t id,
    int argc, char **argv)
{
	if (!entity_writable(e, ctx->role))
		return cmd_refuse(ctx, e, id, "write",
		    _("the %s role may not change %s records"),
		    role_name(ctx->role), e->name);
	for (int i = 0; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		const struct field *f;
		char *name;

		if (eq == NULL || eq == argv[i])
			continue;
		name = xstrndup(argv[i], (size_t)(eq - argv[i] -
		    (eq[-1] == '+')));
		f = entity_field(e, name);
		free(name);
		if (f != NULL && !field_writable(f, ctx->role))
			return cmd_refuse(ctx, e, id, f->name,
			    _("the %s role may not change %s.%s"),
			    role_name(ctx->role), e->name, f->name);
	}
	return 0;
}

struct edit {
	const struct entity *entity;
	struct record draft;	/* the assignments, unchanged by retries */
	struct record result;
	uint32_t id;
	uint32_t if_version;
	struct cmd_ctx *ctx;
	int argc;
	char **argv;
	int status;
};

static int
add_txn(struct store *s, struct txn *t, void *arg)
{
	struct edit *ed = arg;

	record_free(&ed->result);
	record_copy(&ed->result, &ed->draft);
	return store_create(s, t, ed->entity, &ed->result);
}

static int
entity_arg(struct cmd_ctx *ctx, int argc, char **argv, int need,
    const char *usage, const struct entity **e)
{
	if (argc < need) {
		cmd_error(ctx, "usage: tcrm %s %s", ctx->name, usage);
		return EX_USAGE;
	}
	if ((*e = cmd_entity(ctx, argv[0])) == NULL)
		return EX_USAGE;
	return 0;
}

int
cmd_add_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct edit ed;
	int rc;

	memset(&ed, 0, sizeof ed);
	if ((rc = entity_arg(ctx, argc - 1, argv + 1, 1,
	    "ENTITY FIELD=VALUE...", &ed.entity)) != 0)
		return rc;
	if ((rc = check_writable(ctx, ed.entity, 0, argc - 2, argv + 2)) != 0)
		return rc;
	record_init(&ed.draft);
	record_init(&ed.result);
	rc = apply_assignments(ctx, ed.entity, argc - 2, argv + 2, &ed.draft);
	if (rc == 0) {
		rc = store_run(ctx->store, add_txn, &ed);
		if (rc == ST_OK)
			printf("%u\n", ed.result.id);
		else
			rc = cmd_store_error(ctx, rc);
	}
	record_free(&ed.draft);
	record_free(&ed.result);
	return rc;
}

/* Read, apply the assignments, write: all inside one transaction, so the
 * version checked is the version changed. */
static int
set_txn(struct store *s, struct txn *t, void *arg)
{
	struct edit *ed = arg;
	int rc;

	record_free(&ed->result);
	if ((rc = store_get(s, t, ed->entity, ed->id, &ed->result)) != ST_OK)
		return rc;
	ed->status = apply_assignments(ed->ctx, ed->entity, ed->argc, ed->argv,
	    &ed->result);
	if (ed->status != 0)
		return ST_INVALID;
	return store_update(s, t, ed->entity, &ed->result,
	    ed->if_version ? ed->if_version : ed->result.version);
}

static int
parse_version(struct cmd_ctx *ctx, const char *arg, uint32_t *v)
{
	if (arg != NULL && cmd_parse_id(arg, v))
		return 0;
	cmd_error(ctx, _("--if-version wants a version number, not '%s'"),
	    arg ? arg : "");
	return EX_USAGE;
}

/* ENTITY ID and the rest, with --if-version N allowed anywhere. Values
 * start with FIELD=, so anything else starting with "--" is an error. */
static int
target_args(struct cmd_ctx *ctx, int *argc, char ***argv, struct edit *ed,
    const char *usage)
{
	char **v = *argv;
	int n = 0, rc;

	for (int i = 1; i < *argc; i++) {
		if (strcmp(v[i], "--if-version") == 0) {
			if ((rc = parse_version(ctx, i + 1 < *argc ? v[i + 1] :
			    NULL, &ed->if_version)) != 0)
				return rc;
			i++;
		} else if (strncmp(v[i], "--if-version=", 13) == 0) {
			if ((rc = parse_version(ctx, v[i] + 13,
			    &ed->if_version)) != 0)
				return rc;
		} else if (strncmp(v[i], "--", 2) == 0) {
			cmd_error(ctx, _("unknown option '%s'"), v[i]);
			return EX_USAGE;
		} else
			v[n++] = v[i];
	}
	*argc = n;
	if ((rc = entity_arg(ctx, n, v, 2, usage, &ed->entity)) != 0)
		return rc;
	if (!cmd_parse_id(v[1], &ed->id)) {
		cmd_error(ctx, _("'%s' is not a record id"), v[1]);
		return EX_USAGE;
	}
	return 0;
}

int
cmd_set_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct edit ed;
	int rc;

	memset(&ed, 0, sizeof ed);
	if ((rc = target_args(ctx, &argc, &argv, &ed,
	    "ENTITY ID [--if-version N] FIELD=VALUE...")) != 0)
		return rc;
	if (argc < 3) {
		cmd_error(ctx, _("nothing to change: give FIELD=VALUE"));
		return EX_USAGE;
	}
	if ((rc = check_writable(ctx, ed.entity, ed.id, argc - 2,
	    argv + 2)) != 0)
		return rc;
	ed.ctx = ctx;
	ed.argc = argc - 2;
	ed.argv = argv + 2;
	record_init(&ed.result);
	rc = store_run(ctx->store, set_txn, &ed);
	if (rc == ST_OK)
		printf("%s %u version %u\n", ed.entity->name, ed.id,
		    ed.result.version);
	else if (ed.status != 0)
		rc = ed.status;
	else
		rc = cmd_store_error(ctx, rc);
	record_free(&ed.result);
	return rc;
}

static int
delete_txn(struct store *s, struct txn *t, void *arg)
{
	struct edit *ed = arg;

	return store_delete(s, t, ed->entity, ed->id, ed->if_version);
}

int
cmd_delete_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct edit ed;
	int rc;

	memset(&ed, 0, sizeof ed);
	if ((rc = target_args(ctx, &argc, &argv, &ed,
	    "ENTITY ID [--if-version N]")) != 0)
		return rc;
	if (argc > 2) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[2]);
		return EX_USAGE;
	}
	if (!entity_deletable(ed.entity, ctx->role))
		return cmd_refuse(ctx, ed.entity, ed.id, "delete",
		    _("the %s role may not delete %s records"),
		    role_name(ctx->role), ed.entity->name);
	rc = store_run(ctx->store, delete_txn, &ed);
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	return 0;
}
