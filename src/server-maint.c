/* server-maint.c - the work tcrmd does on the store besides sessions: the
 * first admin, and on a timer the service-level sweep (breaches,
 * escalations, missed callbacks) and checkpoints with log removal. Each runs in
 * a child of its own, so the listener never opens the environment. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static void
maint_ctx(struct cmd_ctx *ctx, const struct server_config *cfg,
    struct forms *forms)
{
	memset(ctx, 0, sizeof *ctx);
	ctx->home = cfg->home;
	ctx->forms_dir = cfg->forms_dir;
	ctx->forms = forms;
	ctx->user = "tcrmd";
	ctx->role = ROLE_ADMIN;
}

static void
maint_child_signals(void)
{
	sigset_t none;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGCHLD, SIG_DFL);
	store_catch_signals();
}

static int
find_admin(const struct record *r, void *arg)
{
	bool *found = arg;

	*found = strcmp(record_get(r, "role"), "admin") == 0 &&
	    strcmp(record_get(r, "disabled"), "true") != 0;
	return *found;
}

static int
admin_exists_txn(struct store *s, struct txn *t, void *arg)
{
	const struct entity *e = store_user_entity(s);

	*(bool *)arg = false;
	if (e == NULL)
		return ST_INVALID;
	return store_each(s, t, e, find_admin, arg);
}

/* Through the command table, so the change is checked and audited like
 * any other (as user "tcrmd"). */
static int
first_admin(struct cmd_ctx *ctx, const char *name, const char *file,
    bool only_first)
{
	char *add[] = { "user", "add", (char *)name, "--role", "admin",
	    "--key-file", (char *)file, NULL };
	char *key[] = { "user", "key", "add", (char *)name, "--key-file",
	    (char *)file, NULL };
	char *role[] = { "user", "set", (char *)name, "--role", "admin", NULL };
	bool exists = false;
	struct user u;
	int rc;

	if ((rc = cmd_open(ctx)) != 0)
		return rc;
	if (only_first) {
		if ((rc = store_run(ctx->store, admin_exists_txn, &exists)) !=
		    ST_OK)
			return cmd_store_error(ctx, rc);
		if (exists)
			return 0;
	}
	rc = store_user_get(ctx->store, name, &u);
	if (rc == ST_NOTFOUND)
		return cmd_run(ctx, 7, add);
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	rc = u.role == ROLE_ADMIN ? 0 : cmd_run(ctx, 5, role);
	user_free(&u);
	if (rc == 0)
		rc = cmd_run(ctx, 6, key);
	return rc;
}

int
server_first_admin(const struct server_config *cfg, struct forms *forms,
    const char *name, const char *file, bool only_first)
{
	struct cmd_ctx ctx;
	pid_t pid;
	int status, rc;

	fflush(NULL);
	if ((pid = fork()) < 0)
		return EX_OSERR;
	if (pid == 0) {
		maint_child_signals();
		maint_ctx(&ctx, cfg, forms);
		rc = first_admin(&ctx, name, file, only_first);
		fflush(NULL);
		store_close(ctx.store);
		_exit(rc);
	}
	while (waitpid(pid, &status, 0) < 0)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : EX_SOFTWARE;
}

int
server_checkpoint(const struct server_config *cfg, struct forms *forms,
    bool checkpoint)
{
	struct store_opts o;
	struct store *store;
	struct sweep_report rep;
	size_t removed = 0;
	pid_t pid;
	int rc, fd;

	if ((pid = fork()) != 0)
		return pid < 0 ? 0 : pid;
	maint_child_signals();
	if ((fd = open("/dev/null", O_RDWR)) >= 0) {
		dup2(fd, 0);
		dup2(fd, 1);
		dup2(fd, 2);
	}
	memset(&o, 0, sizeof o);
	o.home = cfg->home;
	o.forms = forms;
	o.user = "tcrmd";
	memset(&rep, 0, sizeof rep);
	if ((rc = store_open(&store, &o)) != ST_OK)
		server_log(LOG_ERR, "maintenance: %s", store_error(store));
	else if ((rc = svc_sweep(store, clock_now(), &rep)) != ST_OK)
		server_log(LOG_ERR, "service sweep: %s", store_error(store));
	else if (rep.breached + rep.escalated + rep.missed +
	    rep.signed_off > 0)
		server_log(LOG_INFO, "service sweep: %zu breached, %zu "
		    "escalated, %zu callbacks missed, %zu agents signed off",
		    rep.breached, rep.escalated, rep.missed, rep.signed_off);
	if (rc == ST_OK && rep.nsteps > 0)
		server_log(LOG_INFO, "service sweep: %zu escalation step%s "
		    "sent to %zu supervisor desk%s", rep.nsteps,
		    rep.nsteps == 1 ? "" : "s", pop_tell_overseers(store, &rep),
		    rep.nsteps == 1 ? "" : "s");
	sweep_report_free(&rep);
	if (rc == ST_OK && checkpoint) {
		if ((rc = store_checkpoint(store, &removed)) != ST_OK)
			server_log(LOG_ERR, "checkpoint: %s",
			    store_error(store));
		else
			server_log(LOG_INFO, "checkpoint: %zu old log file%s "
			    "removed", removed, removed == 1 ? "" : "s");
	}
	store_close(store);
	_exit(rc == ST_OK ? 0 : 1);
}
