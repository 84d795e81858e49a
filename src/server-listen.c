/* server-listen.c - tcrmd's listener: accept, fork a session process per
 * connection, reap, and start a checkpoint now and then. It never opens
 * the environment itself (Berkeley DB handles must not cross a fork), and
 * its per-connection work is an accept and a fork.
 *
 * SIGTERM or SIGINT: stop accepting and exit; sessions are processes of
 * their own and end when their clients leave. SIGHUP: read the forms
 * again for new sessions.
 *
 * A process killed inside Berkeley DB (SIGKILL) may die holding a mutex
 * or locks. The next open recovers the environment: it makes new region
 * files, and every other process gets DB_RUNRECOVERY at its next call and
 * reopens, except one already waiting for the dead process: it waits on
 * the old regions forever (and, while it does, every open recovers
 * again). So when a child dies of a signal a checkpoint child runs at once
 * (its open recovers), and a watchdog kills a child that keeps waiting in
 * a futex while it still maps a region file that recovery deleted. A
 * child that waits long on the current regions makes it check for a
 * dead process (a local tcrm killed, say) the same way. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#define STUCK_OLD 2	/* seconds waiting on deleted regions: kill */
#define STUCK_LONG 5	/* seconds waiting at all: look for the dead */

struct child {
	pid_t pid;
	unsigned stuck;		/* consecutive checks found waiting */
};

struct listener {
	const struct server_config *cfg;
	struct forms **forms;
	ssh_bind bind;
	int fd;
	struct child *kids;	/* sessions and the checkpoint child */
	size_t nkids;
	unsigned sessions;
	pid_t maint;
	int64_t next_maint;	/* the next of these two: */
	int64_t next_checkpoint;
	int64_t next_sweep;
	int64_t next_watch;
	sigset_t waitmask;	/* what ppoll lets in */
};

static volatile sig_atomic_t got_stop;
static volatile sig_atomic_t got_reload;

static void
on_stop(int sig)
{
	got_stop = sig;
}

static void
on_reload(int sig)
{
	(void)sig;
	got_reload = 1;
}

static void
on_child(int sig)
{
	(void)sig;
}

/* Signals are blocked except while waiting in ppoll, so none is lost
 * between a check and the wait. */
static void
listener_signals(struct listener *l)
{
	struct sigaction sa;
	sigset_t block;

	memset(&sa, 0, sizeof sa);
	sigemptyset(&sa.sa_mask);
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = on_reload;
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &l->waitmask);
}

static void
child_signals(void)
{
	sigset_t none;

	signal(SIGTERM, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Sessions outlive the listener: they must not hold its standard
 * descriptors (a terminal, a pipe someone waits on). The log has its own
 * copy of stderr. */
static void
detach_stdio(void)
{
	int fd = open("/dev/null", O_RDWR);

	if (fd < 0)
		return;
	dup2(fd, 0);
	dup2(fd, 1);
	dup2(fd, 2);
	if (fd > 2)
		close(fd);
}

static void
format_peer(const struct sockaddr_storage *sa, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;

	if (sa->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const void *)sa;

		inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
		port = ntohs(in->sin_port);
	} else if (sa->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const void *)sa;

		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof host);
		port = ntohs(in6->sin6_port);
	}
	snprintf(out, size, "%s:%u", host, port);
}

static void
kid_add(struct listener *l, pid_t pid)
{
	l->kids = xreallocarray(l->kids, l->nkids + 1, sizeof *l->kids);
	l->kids[l->nkids].pid = pid;
	l->kids[l->nkids].stuck = 0;
	l->nkids++;
}

static void
kid_remove(struct listener *l, pid_t pid)
{
	for (size_t i = 0; i < l->nkids; i++) {
		if (l->kids[i].pid == pid) {
			l->kids[i] = l->kids[--l->nkids];
			return;
		}
	}
}

static void
reap(struct listener *l)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool maint = pid == l->maint;

		kid_remove(l, pid);
		if (maint)
			l->maint = 0;
		else if (l->sessions > 0)
			l->sessions--;
		if (!WIFSIGNALED(status))
			continue;
		server_log(LOG_WARNING, "%s process %ld killed by signal %d; "
		    "recovering the environment", maint ? "checkpoint" :
		    "session", (long)pid, WTERMSIG(status));
		l->next_maint = l->next_checkpoint = 0;
	}
}

/* In futex(FUTEX_WAIT or FUTEX_WAIT_BITSET): in our processes, only ever
 * a Berkeley DB mutex or lock wait. */
static bool
in_futex_wait(pid_t pid)
{
	char path[64], line[256];
	unsigned long nr, addr, op;
	bool waiting = false;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%ld/syscall", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	if (fgets(line, sizeof line, fp) != NULL &&
	    sscanf(line, "%lu %lx %lx", &nr, &addr, &op) == 3)
		waiting = nr == 202 && ((op & 0x7f) == 0 || (op & 0x7f) == 9);
	fclose(fp);
	return waiting;
}

/* Still mapping region files of the environment that recovery deleted. */
static bool
on_old_regions(const struct listener *l, pid_t pid)
{
	char path[64], line[4096], *want;
	bool old = false;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%ld/maps", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return false;
	want = xasprintf("%s/__db.0", l->cfg->home);
	while (!old && fgets(line, sizeof line, fp) != NULL)
		old = strstr(line, want) != NULL &&
		    strstr(line, " (deleted)") != NULL;
	free(want);
	fclose(fp);
	return old;
}

static void
watchdog(struct listener *l)
{
	int64_t now = server_now_ms();

	if (now < l->next_watch)
		return;
	l->next_watch = now + 1000;
	for (size_t i = 0; i < l->nkids; i++) {
		struct child *c = &l->kids[i];

		c->stuck = in_futex_wait(c->pid) ? c->stuck + 1 : 0;
		if (c->stuck >= STUCK_OLD && on_old_regions(l, c->pid)) {
			server_log(LOG_WARNING, "process %ld waits for a process "
			    "that died, on regions recovery replaced; killing "
			    "it", (long)c->pid);
			kill(c->pid, SIGKILL);
			c->stuck = 0;
		} else if (c->stuck == STUCK_LONG && l->maint == 0)
			l->next_maint = l->next_checkpoint = 0;
	}
}

/* One pending connection to its own process; false when none waits. */
static bool
accept_one(struct listener *l)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char peer[80];
	pid_t pid;
	int fd;

	if ((fd = accept4(l->fd, (struct sockaddr *)&sa, &len, 0)) < 0)
		return false;
	format_peer(&sa, peer, sizeof peer);
	if (l->sessions >= l->cfg->max_sessions) {
		server_log(LOG_WARNING, "%s: refused: %u sessions already",
		    peer, l->sessions);
		close(fd);
		return true;
	}
	if ((pid = fork()) < 0) {
		server_log(LOG_ERR, "%s: fork: %s", peer, strerror(errno));
		close(fd);
		return true;
	}
	if (pid == 0) {
		child_signals();
		detach_stdio();
		/* A session of its own: the listener's terminal and process
		 * group signals are not the session's. */
		setsid();
		server_log(LOG_INFO, "%s: connection", peer);
		session_run(l->cfg, *l->forms, l->bind, fd, peer);
	}
	close(fd);
	l->sessions++;
	kid_add(l, pid);
	return true;
}

static void
reload_forms(struct listener *l)
{
	struct cmd_ctx ctx;
	struct forms *forms;
	struct strv diags;
	char *dir;

	got_reload = 0;
	memset(&ctx, 0, sizeof ctx);
	ctx.home = l->cfg->home;
	ctx.forms_dir = l->cfg->forms_dir;
	dir = cmd_forms_dir(&ctx);
	strv_init(&diags);
	if (forms_load(dir, &forms, &diags) != 0) {
		server_log(LOG_ERR, "%s: %zu error%s in the forms; keeping the "
		    "old ones (first: %s)", dir, diags.n, diags.n == 1 ? "" :
		    "s", diags.n ? diags.v[0] : "?");
	} else {
		forms_free(*l->forms);
		*l->forms = forms;
		server_log(LOG_INFO, "%s: forms read again", dir);
	}
	strv_free(&diags);
	free(dir);
}

static void
maintenance(struct listener *l)
{
	int64_t now = server_now_ms();

	bool checkpoint;

	if (now < l->next_maint || l->maint != 0)
		return;
	checkpoint = now >= l->next_checkpoint;
	if (checkpoint)
		l->next_checkpoint = now + l->cfg->checkpoint_interval * 1000LL;
	if (now >= l->next_sweep)
		l->next_sweep = now + l->cfg->sla_interval * 1000LL;
	l->next_maint = l->next_checkpoint < l->next_sweep ?
	    l->next_checkpoint : l->next_sweep;
	if ((l->maint = server_checkpoint(l->cfg, *l->forms, checkpoint)) > 0)
		kid_add(l, l->maint);
}

static int
listener_bind(struct listener *l)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof sa;
	char where[80];

	if ((l->bind = ssh_bind_new()) == NULL)
		return -1;
	ssh_bind_options_set(l->bind, SSH_BIND_OPTIONS_BINDADDR,
	    l->cfg->address);
	ssh_bind_options_set(l->bind, SSH_BIND_OPTIONS_BINDPORT_STR,
	    l->cfg->port);
	ssh_bind_options_set(l->bind, SSH_BIND_OPTIONS_HOSTKEY,
	    l->cfg->host_key);
	if (ssh_bind_listen(l->bind) < 0) {
		server_log(LOG_ERR, "listen on %s port %s: %s", l->cfg->address,
		    l->cfg->port, ssh_get_error(l->bind));
		return -1;
	}
	l->fd = ssh_bind_get_fd(l->bind);
	/* libssh listens with a backlog of 10; a shift of agents signing on
	 * at nine o'clock must queue, not be turned away. */
	listen(l->fd, SOMAXCONN);
	fcntl(l->fd, F_SETFL, fcntl(l->fd, F_GETFL) | O_NONBLOCK);
	if (getsockname(l->fd, (struct sockaddr *)&sa, &len) == 0)
		format_peer(&sa, where, sizeof where);
	else
		snprintf(where, sizeof where, "%s:%s", l->cfg->address,
		    l->cfg->port);
	*strrchr(where, ':') = ' ';
	server_log(LOG_INFO, "listening on %s (port %s)", where,
	    strrchr(where, ' ') + 1);
	return 0;
}

int
server_listen(const struct server_config *cfg, struct forms **forms)
{
	struct listener l;
	struct pollfd pfd;
	struct timespec ts;

	memset(&l, 0, sizeof l);
	l.cfg = cfg;
	l.forms = forms;
	if (listener_bind(&l) != 0) {
		ssh_bind_free(l.bind);
		return EX_UNAVAILABLE;
	}
	if (!cfg->foreground && daemon(0, 0) != 0) {
		server_log(LOG_ERR, "daemon: %s", strerror(errno));
		return EX_OSERR;
	}
	listener_signals(&l);
	l.next_checkpoint = server_now_ms() + cfg->checkpoint_interval * 1000LL;
	l.next_sweep = server_now_ms() + cfg->sla_interval * 1000LL;
	l.next_maint = l.next_checkpoint < l.next_sweep ? l.next_checkpoint :
	    l.next_sweep;
	while (!got_stop) {
		int64_t wait;

		reap(&l);
		if (got_reload)
			reload_forms(&l);
		maintenance(&l);
		watchdog(&l);
		wait = (l.next_maint < l.next_watch ? l.next_maint :
		    l.next_watch) - server_now_ms();
		if (wait < 0)
			wait = 0;
		ts.tv_sec = (time_t)(wait / 1000);
		ts.tv_nsec = (long)(wait % 1000) * 1000000;
		pfd.fd = l.fd;
		pfd.events = POLLIN;
		pfd.revents = 0;
		if (ppoll(&pfd, 1, &ts, &l.waitmask) > 0 &&
		    (pfd.revents & POLLIN)) {
			for (int n = 0; n < 64 && !got_stop && accept_one(&l);
			    n++)
				;
		}
	}
	ssh_bind_free(l.bind);
	free(l.kids);
	server_log(LOG_INFO, "signal %d: no longer accepting; %u session%s "
	    "go on until their clients leave", (int)got_stop, l.sessions,
	    l.sessions == 1 ? "" : "s");
	return 0;
}
