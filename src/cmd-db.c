/* cmd-db.c - tcrm db verify|stat|checkpoint|backup|restore|reindex. */
#include "tcrm.h"

#include <stdlib.h>

static int
no_arguments(struct cmd_ctx *ctx, int argc, char **argv)
{
	if (argc <= 1)
		return 0;
	cmd_error(ctx, _("unexpected argument '%s'"), argv[1]);
	return EX_USAGE;
}

int
cmd_db_verify_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct verify_report rep;
	int rc;

	if ((rc = no_arguments(ctx, argc, argv)) != 0)
		return rc;
	if ((rc = store_verify(ctx->store, &rep)) != ST_OK)
		return cmd_store_error(ctx, rc);
	for (size_t i = 0; i < rep.problems.n; i++) {
		out_safe(stdout, rep.problems.v[i]);
		fputc('\n', stdout);
	}
	printf("%zu checked, %zu problem%s\n", rep.checked, rep.problems.n,
	    rep.problems.n == 1 ? "" : "s");
	rc = rep.problems.n == 0 ? 0 : EX_DATAERR;
	strv_free(&rep.problems);
	return rc;
}

int
cmd_db_stat_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct buf out;
	int rc;

	if ((rc = no_arguments(ctx, argc, argv)) != 0)
		return rc;
	buf_init(&out);
	rc = store_stat(ctx->store, &out);
	if (rc == ST_OK)
		fputs(out.data ? out.data : "", stdout);
	buf_free(&out);
	return rc == ST_OK ? 0 : cmd_store_error(ctx, rc);
}

int
cmd_db_checkpoint_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	size_t removed;
	int rc;

	if ((rc = no_arguments(ctx, argc, argv)) != 0)
		return rc;
	if ((rc = store_checkpoint(ctx->store, &removed)) != ST_OK)
		return cmd_store_error(ctx, rc);
	printf("checkpoint written, %zu log file%s removed\n", removed,
	    removed == 1 ? "" : "s");
	return 0;
}

int
cmd_db_backup_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	int rc;

	if (argc != 2) {
		cmd_error(ctx, "usage: tcrm db backup DIR");
		return EX_USAGE;
	}
	if ((rc = store_backup(ctx->store, argv[1])) == ST_EXISTS) {
		cmd_error(ctx, "%s", store_error(ctx->store));
		return EX_CANTCREAT;
	}
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	printf("backup written to %s\n", argv[1]);
	return 0;
}

int
cmd_db_restore_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	char *err = NULL, *home;
	int rc;

	if (argc != 2) {
		cmd_error(ctx, "usage: tcrm [--home DIR] db restore BACKUP");
		return EX_USAGE;
	}
	home = ctx->home ? xstrdup(ctx->home) : NULL;
	if (home == NULL) {
		cmd_error(ctx, _("say where to restore to: tcrm --home DIR db "
		    "restore BACKUP"));
		return EX_USAGE;
	}
	rc = store_restore(argv[1], home, &err);
	if (rc != ST_OK) {
		cmd_error(ctx, "%s", err ? err : "restore failed");
		free(err);
		free(home);
		return rc == ST_NOTFOUND ? EX_NOINPUT : rc == ST_EXISTS ?
		    EX_CANTCREAT : EX_IOERR;
	}
	printf("restored %s into %s\n", argv[1], home);
	free(home);
	return 0;
}

int
cmd_db_reindex_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const struct entity *e = NULL;
	int rc;

	if (argc > 2) {
		cmd_error(ctx, "usage: tcrm db reindex [ENTITY]");
		return EX_USAGE;
	}
	if (argc == 2 && (e = cmd_entity(ctx, argv[1])) == NULL)
		return EX_USAGE;
	if ((rc = store_reindex(ctx->store, e ? e->name : NULL)) != ST_OK)
		return cmd_store_error(ctx, rc);
	printf("indexes rebuilt\n");
	return 0;
}
