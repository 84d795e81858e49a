/* bench/ssh.c - tcrmd as agents meet it, measured with a libssh client:
 *
 *   1. connect -> first screen drawn: a new connection, public-key login,
 *      a PTY and the desk, until its key bar has arrived; N in a row.
 *   2. C desk sessions open at once, T of them typing a key every 100 ms
 *      into the search line: time from a key sent to its echo.
 *   3. private memory per session (both processes of it), from
 *      /proc/PID/smaps_rollup while the C sessions are open.
 *
 * usage: bench/ssh -p PORT -i KEY -u USER -H HOME [-n 50] [-c 200] [-t 10]
 *        [-k 100] [-- SSH-COMMAND...]
 * HOME is tcrmd's environment: its sessions/ directory names the session
 * processes. With an SSH command (OpenSSH's ssh -tt ... user@host), the
 * first figure is taken with that client too. bench/ssh.sh starts a
 * tcrmd and runs this.
 */
#include "tcrm.h"

#include <dirent.h>
#include <errno.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *port;
	const char *user;
	const char *home;
	ssh_key key;
	int connects;
	int sessions;
	int typists;
	int keys;
};

struct desk_session {
	ssh_session ssh;
	ssh_channel ch;
};

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static TCRM_ATTR_NORETURN void
die(const char *what, ssh_session s)
{
	fprintf(stderr, "bench/ssh: %s: %s\n", what, s ? ssh_get_error(s) :
	    strerror(errno));
	exit(1);
}

/* Read until the buffer holds text (or time runs out). */
static int
read_until(ssh_channel ch, struct buf *seen, const char *text, int ms)
{
	double end = now_ms() + ms;
	char chunk[16384];

	while (strstr(seen->data ? seen->data : "", text) == NULL) {
		int left = (int)(end - now_ms()), n;

		if (left <= 0)
			return -1;
		n = ssh_channel_read_timeout(ch, chunk, sizeof chunk, 0, left);
		if (n < 0 || (n == 0 && ssh_channel_is_eof(ch)))
			return -1;
		buf_add(seen, chunk, (size_t)n);
	}
	return 0;
}

/* Connect, log in, open the desk and wait for its key bar. */
static int
desk_open(const struct opts *o, struct desk_session *d)
{
	struct buf seen;
	int yes = 1, no = 0, rc = -1;

	d->ssh = ssh_new();
	ssh_options_set(d->ssh, SSH_OPTIONS_HOST, "127.0.0.1");
	ssh_options_set(d->ssh, SSH_OPTIONS_PORT_STR, o->port);
	ssh_options_set(d->ssh, SSH_OPTIONS_USER, o->user);
	ssh_options_set(d->ssh, SSH_OPTIONS_PROCESS_CONFIG, &no);
	ssh_options_set(d->ssh, SSH_OPTIONS_NODELAY, &yes);
	if (ssh_connect(d->ssh) != SSH_OK)
		die("connect", d->ssh);
	if (ssh_userauth_publickey(d->ssh, NULL, o->key) != SSH_AUTH_SUCCESS)
		die("public key refused", d->ssh);
	if ((d->ch = ssh_channel_new(d->ssh)) == NULL ||
	    ssh_channel_open_session(d->ch) != SSH_OK ||
	    ssh_channel_request_pty_size(d->ch, "xterm", 80, 24) != SSH_OK ||
	    ssh_channel_request_shell(d->ch) != SSH_OK)
		die("desk", d->ssh);
	buf_init(&seen);
	if (read_until(d->ch, &seen, "F10", 10000) == 0)
		rc = 0;
	buf_free(&seen);
	return rc;
}

static void
desk_close(struct desk_session *d)
{
	ssh_channel_close(d->ch);
	ssh_channel_free(d->ch);
	ssh_disconnect(d->ssh);
	ssh_free(d->ssh);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
percentile(double *v, size_t n, double p)
{
	size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);

	return n ? v[i < n ? i : n - 1] : 0;
}

static void
report(const char *what, double *v, size_t n)
{
	qsort(v, n, sizeof *v, cmp_double);
	printf("%-34s n=%zu  p50 %.1f ms  p99 %.1f ms  max %.1f ms\n", what,
	    n, percentile(v, n, 50), percentile(v, n, 99),
	    n ? v[n - 1] : 0.0);
}

static void
bench_connect(const struct opts *o)
{
	double *t = xcalloc((size_t)o->connects, sizeof *t);
	struct desk_session d;

	for (int i = 0; i < o->connects; i++) {
		double start = now_ms();

		if (desk_open(o, &d) != 0)
			die("no first screen", d.ssh);
		t[i] = now_ms() - start;
		desk_close(&d);
	}
	report("connect -> first screen (libssh)", t, (size_t)o->connects);
	free(t);
}

/* The same with a real client: ssh -tt on pipes, timed from its start
 * to the key bar in its output. */
static void
bench_connect_openssh(const struct opts *o, char **cmd)
{
	double *t = xcalloc((size_t)o->connects, sizeof *t);
	struct buf seen;
	char chunk[16384];

	buf_init(&seen);
	for (int i = 0; i < o->connects; i++) {
		double start = now_ms();
		int in[2], out[2];
		pid_t pid;
		ssize_t n;

		if (pipe(in) != 0 || pipe(out) != 0)
			die("pipe", NULL);
		if ((pid = fork()) == 0) {
			dup2(in[0], 0);
			dup2(out[1], 1);
			close(in[1]);
			close(out[0]);
			execvp(cmd[0], cmd);
			_exit(127);
		}
		close(in[0]);
		close(out[1]);
		buf_reset(&seen);
		while (strstr(seen.data ? seen.data : "", "F10") == NULL &&
		    (n = read(out[0], chunk, sizeof chunk)) > 0)
			buf_add(&seen, chunk, (size_t)n);
		t[i] = now_ms() - start;
		if (strstr(seen.data ? seen.data : "", "F10") == NULL)
			die("no first screen from ssh", NULL);
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		close(in[1]);
		close(out[0]);
	}
	report("connect -> first screen (OpenSSH)", t, (size_t)o->connects);
	buf_free(&seen);
	free(t);
}

/* One typist: a key every 100 ms, alternately a letter and Backspace,
 * each timed until its echo arrives; results down the pipe. */
static TCRM_ATTR_NORETURN void
typist(const struct opts *o, struct desk_session *d, int out, int nr)
{
	/* Letters no escape sequence of the redraw contains. */
	static const char letters[] = "QUVWY";
	struct buf seen;
	double next = now_ms();

	buf_init(&seen);
	for (int i = 0; i < o->keys; i++) {
		char key = (i % 2 == 0) ? letters[(i / 2 + nr) % 5] : '\177';
		char text[2] = { key, '\0' };
		double sent, took;

		next += 100;
		while (now_ms() < next)
			usleep(1000);
		buf_reset(&seen);
		sent = now_ms();
		if (ssh_channel_write(d->ch, &key, 1) != 1)
			_exit(1);
		/* The letter shows in the search line; Backspace answers with
		 * some redraw. */
		if (read_until(d->ch, &seen, key == '\177' ? "\033" : text,
		    5000) != 0)
			_exit(1);
		if (key == '\177')
			continue;
		took = now_ms() - sent;
		if (write(out, &took, sizeof took) != sizeof took)
			_exit(1);
	}
	_exit(0);
}

static long
smaps_private_kb(pid_t pid)
{
	char path[64], line[256];
	long kb = 0, v;
	FILE *fp;

	snprintf(path, sizeof path, "/proc/%ld/smaps_rollup", (long)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, "Private_Clean: %ld kB", &v) == 1 ||
		    sscanf(line, "Private_Dirty: %ld kB", &v) == 1)
			kb += v;
	}
	fclose(fp);
	return kb;
}

/* A session is two processes: the slot's pid (the worker, running the
 * desk) and its child (the bridge). */
static void
bench_memory(const struct opts *o)
{
	char *dir = xasprintf("%s/sessions", o->home), path[64], line[64];
	long total = 0, most = 0;
	int n = 0;
	struct dirent *de;
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		die(dir, NULL);
	while ((de = readdir(d)) != NULL) {
		long pid, kb, child;
		FILE *fp;

		if ((pid = atol(de->d_name)) <= 0 || kill((pid_t)pid, 0) != 0)
			continue;
		kb = smaps_private_kb((pid_t)pid);
		snprintf(path, sizeof path, "/proc/%ld/task/%ld/children", pid,
		    pid);
		if ((fp = fopen(path, "r")) != NULL) {
			while (fscanf(fp, "%ld", &child) == 1)
				kb += smaps_private_kb((pid_t)child);
			fclose(fp);
		}
		total += kb;
		most = kb > most ? kb : most;
		n++;
	}
	closedir(d);
	free(dir);
	(void)line;
	printf("%-34s n=%d  mean %.2f MiB  max %.2f MiB\n",
	    "private memory per session", n, n ? total / 1024.0 / n : 0.0,
	    most / 1024.0);
}

static void
bench_typing(const struct opts *o)
{
	struct desk_session *d = xcalloc((size_t)o->sessions, sizeof *d);
	pid_t *kids = xcalloc((size_t)o->typists, sizeof *kids);
	size_t size = (size_t)o->typists * (size_t)o->keys, n = 0;
	double *t = xcalloc(size, sizeof *t), start = now_ms(), v;
	int fds[2];

	for (int i = 0; i < o->sessions; i++) {
		if (desk_open(o, &d[i]) != 0)
			die("no first screen", d[i].ssh);
	}
	printf("%-34s %d sessions in %.1f s\n", "opened", o->sessions,
	    (now_ms() - start) / 1000);
	bench_memory(o);
	if (pipe(fds) != 0)
		die("pipe", NULL);
	for (int i = 0; i < o->typists && i < o->sessions; i++) {
		if ((kids[i] = fork()) == 0) {
			close(fds[0]);
			typist(o, &d[i], fds[1], i);
		}
	}
	close(fds[1]);
	while (n < size && read(fds[0], &v, sizeof v) == sizeof v)
		t[n++] = v;
	for (int i = 0; i < o->typists && i < o->sessions; i++)
		waitpid(kids[i], NULL, 0);
	report("keystroke -> echo", t, n);
	for (int i = 0; i < o->sessions; i++)
		desk_close(&d[i]);
	free(t);
	free(kids);
	free(d);
}

int
main(int argc, char **argv)
{
	struct opts o = { NULL, NULL, NULL, NULL, 50, 200, 10, 100 };
	const char *keyfile = NULL;
	int c;

	while ((c = getopt(argc, argv, "p:i:u:H:n:c:t:k:")) != -1) {
		switch (c) {
		case 'p': o.port = optarg; break;
		case 'i': keyfile = optarg; break;
		case 'u': o.user = optarg; break;
		case 'H': o.home = optarg; break;
		case 'n': o.connects = atoi(optarg); break;
		case 'c': o.sessions = atoi(optarg); break;
		case 't': o.typists = atoi(optarg); break;
		case 'k': o.keys = atoi(optarg); break;
		default: goto usage;
		}
	}
	if (o.port == NULL || keyfile == NULL || o.user == NULL ||
	    o.home == NULL)
		goto usage;
	signal(SIGPIPE, SIG_IGN);
	if (ssh_pki_import_privkey_file(keyfile, NULL, NULL, NULL, &o.key) !=
	    SSH_OK)
		die(keyfile, NULL);
	if (o.connects > 0)
		bench_connect(&o);
	if (o.connects > 0 && optind < argc)
		bench_connect_openssh(&o, argv + optind);
	if (o.sessions > 0)
		bench_typing(&o);
	ssh_key_free(o.key);
	return 0;
usage:
	fprintf(stderr, "usage: bench/ssh -p PORT -i KEY -u USER -H HOME "
	    "[-n CONNECTS] [-c SESSIONS] [-t TYPISTS] [-k KEYS]\n");
	return 64;
}
