/* server-worker.c - the session's work, in the process that authenticated
 * the user and holds the store: the desk on a pseudo-terminal, or one
 * command from the table with stdin, stdout and stderr on pipes. The exit
 * status goes to the bridge through its own pipe, after stdout and stderr
 * are closed, so the client gets every byte before the status. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <fcntl.h>
#include <langinfo.h>
#include <locale.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

static void
on_bridge_gone(int sig)
{
	(void)sig;
	/* The bridge is our child: if it dies the client is gone, as if it
	 * had hung up. */
	store_stop_signal = SIGHUP;
}

static void
worker_signals(bool pty)
{
	struct sigaction sa;

	store_catch_signals();
	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_bridge_gone;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (pty) {
		signal(SIGTSTP, SIG_IGN);
		signal(SIGTTIN, SIG_IGN);
		signal(SIGTTOU, SIG_IGN);
	}
}

/* The desk gets a real terminal: a session of its own with the PTY as
 * its controlling terminal. */
static int
worker_tty(struct session *s)
{
	if (setsid() < 0 && getsid(0) != getpid())
		return -1;
	if (ioctl(s->pty_slave, TIOCSCTTY, 0) != 0)
		return -1;
	if (dup2(s->pty_slave, 0) < 0 || dup2(s->pty_slave, 1) < 0 ||
	    dup2(s->pty_slave, 2) < 0)
		return -1;
	if (s->pty_slave > 2)
		close(s->pty_slave);
	s->pty_slave = -1;
	return 0;
}

static void
unset_locale_env(void)
{
	struct strv names;

	strv_init(&names);
	for (char **e = environ; *e != NULL; e++) {
		if (strncmp(*e, "LC_", 3) == 0 || strncmp(*e, "LANG", 4) == 0)
			strv_push(&names, *e);
	}
	for (size_t i = 0; i < names.n; i++) {
		names.v[i][strcspn(names.v[i], "=")] = '\0';
		unsetenv(names.v[i]);
	}
	strv_free(&names);
}

/* The client's LANG and LC_* (vetted in on_env), then TERM; a locale this
 * host lacks, or one that is not UTF-8, falls back to C.UTF-8. */
static void
worker_environment(struct session *s)
{
	const char *codeset;

	unset_locale_env();
	for (size_t i = 0; i < s->env.n; i++) {
		char *eq = strchr(s->env.v[i], '=');

		*eq = '\0';
		setenv(s->env.v[i], eq + 1, 1);
		*eq = '=';
	}
	if (s->pty)
		setenv("TERM", s->term, 1);
	else
		unsetenv("TERM");
	setenv("USER", s->user.name, 1);
	setenv("LOGNAME", s->user.name, 1);
	if (setlocale(LC_ALL, "") == NULL ||
	    (codeset = nl_langinfo(CODESET)) == NULL ||
	    strcmp(codeset, "UTF-8") != 0) {
		/* A UTF-8 locale the client named but this host lacks keeps
		 * its language through LANGUAGE, as on the desk. */
		locale_keep_language();
		setenv("LC_ALL", "C.UTF-8", 1);
		setlocale(LC_ALL, "");
	}
}

/* The words of the request: a shell is the desk; `ssh -t host tcrm show
 * customer 42` is the desk open on that record. */
static int
worker_words(struct session *s, struct strv *words, size_t *skip)
{
	char *why = NULL;

	*skip = 0;
	if (s->request == REQ_SHELL) {
		strv_init(words);
		strv_push(words, "desk");
		return 0;
	}
	if (split_command(s->command, words, &why) != 0) {
		fprintf(stderr, "tcrm: %s\n", why);
		free(why);
		return EX_USAGE;
	}
	*skip = split_skip_program(words);
	if (words->n == *skip)
		strv_push(words, "desk");
	else if (words->v[*skip][0] == '-') {
		char *safe;

		if (strcmp(words->v[*skip], "--version") == 0 ||
		    strcmp(words->v[*skip], "-V") == 0) {
			printf("tcrm %s\n", PACKAGE_VERSION);
			return -1;
		}
		safe = utf8_sanitize(words->v[*skip]);
		fprintf(stderr, "tcrm: %s: global options are not available "
		    "over ssh\n", safe);
		free(safe);
		return EX_USAGE;
	}
	if (s->pty && words->n - *skip == 3 &&
	    strcmp(words->v[*skip], "show") == 0) {
		free(words->v[*skip]);
		words->v[*skip] = xstrdup("desk");
	}
	return 0;
}

static int
worker_command(struct session *s)
{
	struct cmd_ctx ctx;
	struct strv words;
	char **argv;
	size_t skip;
	int rc;

	if ((rc = worker_words(s, &words, &skip)) != 0) {
		strv_free(&words);
		return rc < 0 ? 0 : rc;
	}
	memset(&ctx, 0, sizeof ctx);
	ctx.home = s->cfg->home;
	ctx.forms_dir = s->cfg->forms_dir;
	ctx.forms = s->forms;
	ctx.store = s->store;
	ctx.user = s->user.name;
	ctx.role = s->user.role;
	store_set_user(ctx.store, s->user.name);
	/* Commands may reorder their argv, so they get a copy of it. */
	argv = xcalloc(words.n - skip + 1, sizeof *argv);
	for (size_t i = skip; i < words.n; i++)
		argv[i - skip] = words.v[i];
	rc = cmd_run(&ctx, (int)(words.n - skip), argv);
	s->store = ctx.store;
	free(argv);
	strv_free(&words);
	return rc;
}

static char *
request_text(const struct session *s)
{
	if (s->request == REQ_SHELL)
		return xstrdup(s->pty ? "shell (desk)" : "shell without a "
		    "terminal");
	return xasprintf("exec%s '%.200s'", s->pty ? " on a terminal" : "",
	    s->command);
}

void
worker_run(struct session *s, int status_fd)
{
	int64_t start = server_now_ms();
	char *what = request_text(s);
	int status, null;

	worker_signals(s->pty);
	if (s->pty && worker_tty(s) != 0) {
		server_log(LOG_ERR, "%s: %s: the terminal: %m", s->peer,
		    s->user.name);
		_exit(1);
	}
	worker_environment(s);
	server_log(LOG_INFO, "%s: %s: %s", s->peer, s->user.name, what);
	status = worker_command(s);
	if (store_stop_signal != 0 && status == 0)
		status = 128 + store_stop_signal;
	fflush(stdout);
	fflush(stderr);
	/* Closing our ends is the bridge's end of file. */
	if ((null = open("/dev/null", O_RDWR)) >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		close(null);
	}
	if (write(status_fd, &status, sizeof status) < 0)
		status = status ? status : 1;
	close(status_fd);
	server_log(LOG_INFO, "%s: %s: %s: exit %d, %.3f s", s->peer,
	    s->user.name, what, status, (server_now_ms() - start) / 1000.0);
	free(what);
	store_close(s->store);
	s->store = NULL;
	slot_release(s);
	_exit(status & 0xff);
}
