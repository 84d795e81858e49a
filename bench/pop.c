/*
 * bench/pop.c - the screen pop at scale: COUNT customers, SESSIONS desks
 * open (each a real `tcrm` on its own pty, agents pop001...), then POPS
 * runs of `tcrm pop --agent popNNN --caller PHONE` for random agents and
 * customers, one after another, as a phone system would run them.
 *
 * For each pop it measures
 *   end to end:   from starting tcrm pop to its exit, which comes after
 *                 the desk's "drawn" answer (process start, environment
 *                 open, lookup, delivery, the desk's work, the answer);
 *   on screen:    from starting tcrm pop to the first bytes of the
 *                 desk's screen update reaching the agent's terminal
 *                 (read from the desk's pty; the desks are otherwise
 *                 idle, so those bytes are the pop's);
 *   in session:   what the desk reports: from reading the event to the
 *                 end of its screen update.
 *
 * The customers are loaded by bench/desk (the same generated data) unless
 * DIR already holds them.
 *
 * usage: pop [-n COUNT] [-d DIR] [-s SESSIONS] [-p POPS] [--seed S]
 *            [--keep] TCRM
 */
#include "tcrm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <locale.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TARGET_E2E_MS 100.0
#define TARGET_SESSION_US 1000.0

struct opts {
	uint32_t n;
	unsigned sessions;
	unsigned pops;
	uint32_t seed;
	const char *dir;
	const char *tcrm;
	const char *loader;
	bool keep;
};

struct desk_proc {
	pid_t pid;
	int master;
};

struct sample {
	double e2e_ms;
	double screen_ms;	/* < 0: not seen */
	double session_us;	/* < 0: no answer */
	double lookup_us;	/* of which: finding the caller */
	double open_us;		/* opening the screen */
	double draw_us;		/* drawing it */
	size_t matches;
};

static struct forms *forms;
static struct desk_proc *desks;
static unsigned ndesks;

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static uint64_t
mix(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void
die(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	fputs("pop: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	exit(1);
}

/* ---- the environment ------------------------------------------------- */

static struct store *
open_store(const struct opts *o)
{
	struct store_opts so = { 0 };
	struct store *s;

	so.home = o->dir;
	so.forms = forms;
	so.user = "bench";
	if (store_open(&s, &so) != ST_OK)
		die("%s: %s", o->dir, store_error(s));
	return s;
}

static int
run_wait(char *const argv[], bool quiet)
{
	pid_t pid = fork();
	int status;

	if (pid < 0)
		die("fork: %s", strerror(errno));
	if (pid == 0) {
		if (quiet) {
			int null = open("/dev/null", O_WRONLY);

			dup2(null, STDOUT_FILENO);
		}
		execv(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0)
		die("waitpid: %s", strerror(errno));
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
}

/* bench/desk loads the generated customers (and leaves the directory). */
static void
load(const struct opts *o)
{
	char n[16];
	char *argv[] = { (char *)o->loader, "-n", n, "-d", (char *)o->dir,
	    "-q", "1", "--keep", NULL };
	double t0 = now_ms();

	snprintf(n, sizeof n, "%u", o->n);
	printf("loading %u customers with %s (once)\n", o->n, o->loader);
	fflush(stdout);
	/* Its own typing afterwards may fail on its smaller lock table:
	 * what counts is the customers stored, checked after. */
	run_wait(argv, false);
	printf("loaded in %.0f s\n", (now_ms() - t0) / 1e3);
}

/* 100 desks and the pops need the shipped lock sizes (tcrm sizes the
 * mutexes from the cache), and the cache bench/desk chose; the regions
 * are made again to take them. */
static void
size_environment(const struct opts *o)
{
	const char *mb = getenv("BENCH_CACHE_MB");
	unsigned long cache = mb ? strtoul(mb, NULL, 10) : 1024;
	char *path = xasprintf("%s/DB_CONFIG", o->dir), *cmd;
	FILE *fp = fopen(path, "w");

	if (fp == NULL)
		die("%s: %s", path, strerror(errno));
	fprintf(fp, "set_cachesize %lu %lu 1\nset_lk_max_locks 100000\n"
	    "set_lk_max_objects 100000\nset_lk_max_lockers 100000\n"
	    "set_tx_max 1000\n"
	    "set_lk_detect DB_LOCK_DEFAULT\nset_lg_max 16777216\n"
	    "set_lg_bsize 1048576\n", cache / 1024,
	    (cache % 1024) * 1024 * 1024);
	fclose(fp);
	cmd = xasprintf("rm -f '%s'/__db.0*", o->dir);
	if (system(cmd) != 0)
		die("could not remove the regions");
	free(cmd);
	free(path);
}

static void
add_agents(const struct opts *o)
{
	struct store *s = open_store(o);
	unsigned missing = 0;

	for (unsigned i = 1; i <= o->sessions; i++) {
		char name[16];
		struct user u;

		snprintf(name, sizeof name, "pop%03u", i);
		if (store_user_get(s, name, &u) == ST_OK) {
			user_free(&u);
			continue;
		}
		missing++;
	}
	store_close(s);
	for (unsigned i = 1; i <= o->sessions && missing > 0; i++) {
		char name[16], home[512];
		char *argv[] = { (char *)o->tcrm, "--home", home, "user", "add",
		    name, "--role", "agent", NULL };

		snprintf(name, sizeof name, "pop%03u", i);
		snprintf(home, sizeof home, "%s", o->dir);
		run_wait(argv, true);	/* "exists" is fine */
	}
}

/* The first phone of customer id, as it is stored. */
struct call {
	unsigned desk;
	uint32_t customer;
	char phone[64];
};

static void
pick_calls(const struct opts *o, struct call *calls, unsigned n)
{
	struct store *s = open_store(o);
	const struct entity *e = forms_entity(forms, "customer");
	size_t have = store_count(s, e);

	if (have < o->n)
		die("%s holds %zu customers, not %u", o->dir, have, o->n);
	for (unsigned k = 0; k < n; k++) {
		struct call *c = &calls[k];
		uint64_t r = mix(((uint64_t)o->seed << 32) | k);
		struct record rec;

		c->desk = (unsigned)(r % o->sessions);
		c->customer = 1 + (uint32_t)((r >> 20) % o->n);
		if (store_get(s, NULL, e, c->customer, &rec) != ST_OK)
			die("customer %u: %s", c->customer, store_error(s));
		snprintf(c->phone, sizeof c->phone, "%.*s",
		    (int)strcspn(record_get(&rec, "phones"), "\n"),
		    record_get(&rec, "phones"));
		record_free(&rec);
	}
	store_close(s);
}

/* ---- desks on ptys ------------------------------------------------- */

static void
start_desk(const struct opts *o, unsigned i)
{
	struct winsize ws = { 24, 80, 0, 0 };
	struct desk_proc *d = &desks[i];
	char user[32];
	int slave;

	if (openpty(&d->master, &slave, NULL, NULL, &ws) != 0)
		die("openpty: %s", strerror(errno));
	fcntl(d->master, F_SETFL, fcntl(d->master, F_GETFL) | O_NONBLOCK);
	fcntl(d->master, F_SETFD, FD_CLOEXEC);
	snprintf(user, sizeof user, "pop%03u", i + 1);
	if ((d->pid = fork()) < 0)
		die("fork: %s", strerror(errno));
	if (d->pid == 0) {
		setsid();
		ioctl(slave, TIOCSCTTY, 0);
		dup2(slave, 0);
		dup2(slave, 1);
		dup2(slave, 2);
		if (slave > 2)
			close(slave);
		setenv("TERM", "xterm-256color", 1);
		setenv("TCRM_USER", user, 1);
		setenv("LC_ALL", "C.UTF-8", 1);
		execl(o->tcrm, o->tcrm, "--home", o->dir, (char *)NULL);
		_exit(127);
	}
	close(slave);
}

/* Read what every desk wrote (a desk that cannot write stops); true
 * when desk `watch` wrote something. */
static bool
drain_desks(int watch)
{
	char buf[65536];
	bool wrote = false;

	for (unsigned i = 0; i < ndesks; i++) {
		ssize_t n;

		while ((n = read(desks[i].master, buf, sizeof buf)) > 0)
			wrote = wrote || (int)i == watch;
	}
	return wrote;
}

static unsigned
sockets_up(const struct opts *o)
{
	struct strv names;
	unsigned up = 0;

	for (unsigned i = 1; i <= o->sessions; i++) {
		char user[16];

		snprintf(user, sizeof user, "pop%03u", i);
		if (notify_desks(o->dir, user, &names) == 0 && names.n > 0)
			up++;
		strv_free(&names);
	}
	return up;
}

static void
start_desks(const struct opts *o)
{
	double t0 = now_ms();
	unsigned up = 0;

	desks = xcalloc(o->sessions, sizeof *desks);
	for (unsigned i = 0; i < o->sessions; i++) {
		start_desk(o, i);
		ndesks++;
		drain_desks(-1);
	}
	while ((up = sockets_up(o)) < o->sessions && now_ms() - t0 < 120e3) {
		drain_desks(-1);
		usleep(20000);
	}
	if (up < o->sessions)
		die("only %u of %u desks came up", up, o->sessions);
	printf("%u desks open in %.1f s (each tcrm on its own pty, 80x24, "
	    "TERM=xterm-256color)\n", o->sessions, (now_ms() - t0) / 1e3);
}

static void
stop_desks(void)
{
	for (unsigned i = 0; i < ndesks; i++)
		kill(desks[i].pid, SIGTERM);
	for (unsigned i = 0; i < ndesks; i++) {
		double t0 = now_ms();

		while (waitpid(desks[i].pid, NULL, WNOHANG) == 0) {
			drain_desks(-1);
			if (now_ms() - t0 > 5000) {
				kill(desks[i].pid, SIGKILL);
				waitpid(desks[i].pid, NULL, 0);
				break;
			}
			usleep(10000);
		}
		close(desks[i].master);
	}
	free(desks);
}

/* ---- the pops ------------------------------------------------------- */

static pid_t
start_pop(const struct opts *o, const struct call *c, int *out)
{
	char agent[16], id[32];
	int p[2];
	pid_t pid;

	snprintf(agent, sizeof agent, "pop%03u", c->desk + 1);
	snprintf(id, sizeof id, "bench-%u-%u", c->desk, c->customer);
	if (pipe2(p, O_CLOEXEC) != 0 || (pid = fork()) < 0)
		die("pipe/fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(p[1], STDOUT_FILENO);
		execl(o->tcrm, o->tcrm, "--home", o->dir, "pop", "--agent",
		    agent, "--caller", c->phone, "--call-id", id,
		    (char *)NULL);
		_exit(127);
	}
	close(p[1]);
	fcntl(p[0], F_SETFL, fcntl(p[0], F_GETFL) | O_NONBLOCK);
	*out = p[0];
	return pid;
}

static void
parse_pop_output(const char *text, struct sample *s)
{
	const char *p = strstr(text, " drawn in ");
	const char *m = strstr(text, "caller ");

	s->session_us = p ? strtod(p + 10, NULL) * 1000.0 : -1;
	s->lookup_us = s->open_us = s->draw_us = -1;
	if (p != NULL && (p = strstr(p, "(finding the caller ")) != NULL &&
	    sscanf(p, "(finding the caller %lf, opening the screen %lf, "
	    "drawing %lf)", &s->lookup_us, &s->open_us, &s->draw_us) == 3) {
		s->lookup_us *= 1000.0;
		s->open_us *= 1000.0;
		s->draw_us *= 1000.0;
	}
	s->matches = 0;
	if (m != NULL && (m = strstr(m, ": ")) != NULL)
		s->matches = strtoul(m + 2, NULL, 10);
}

/* Wait up to ms for output of the desks or of tcrm pop (fd, -1 when it
 * ended), reading it all; true when desk `watch` (any, if -1) wrote. */
static bool
wait_output(int watch, int *fd, struct buf *out, int ms)
{
	struct pollfd *pf = xcalloc(ndesks + 1, sizeof *pf);
	bool wrote = false;
	char b[65536];
	ssize_t n;

	for (unsigned i = 0; i < ndesks; i++)
		pf[i] = (struct pollfd){ desks[i].master, POLLIN, 0 };
	pf[ndesks] = (struct pollfd){ *fd, POLLIN, 0 };
	if (poll(pf, ndesks + 1, ms) > 0) {
		for (unsigned i = 0; i < ndesks; i++) {
			if (pf[i].revents == 0)
				continue;
			while ((n = read(desks[i].master, b, sizeof b)) > 0)
				wrote = wrote || (int)i == watch || watch < 0;
		}
		if (*fd >= 0 && pf[ndesks].revents != 0) {
			while ((n = read(*fd, b, sizeof b)) > 0)
				buf_add(out, b, (size_t)n);
			if (n == 0) {
				close(*fd);
				*fd = -1;
			}
		}
	}
	free(pf);
	return wrote;
}

/* One pop: start it and wait, without spinning, for it to end and for
 * the desk's update to reach its terminal (at most 2 s). */
static void
one_pop(const struct opts *o, const struct call *c, struct sample *s)
{
	struct buf out;
	double t0, t_exit = -1;
	int fd, none = -1, status = 0;
	pid_t pid;

	buf_init(&out);
	s->screen_ms = -1;
	/* The last pop's desk records its call and redraws: not this one. */
	while (wait_output(-1, &none, &out, 5))
		;
	buf_reset(&out);
	t0 = now_ms();
	pid = start_pop(o, c, &fd);
	while (fd >= 0 || (s->screen_ms < 0 && now_ms() - t0 < 2000)) {
		if (wait_output((int)c->desk, &fd, &out, fd >= 0 ? 1000 : 10) &&
		    s->screen_ms < 0)
			s->screen_ms = now_ms() - t0;
		/* Its output ended: it is exiting. */
		if (fd < 0 && t_exit < 0) {
			waitpid(pid, &status, 0);
			t_exit = now_ms();
		}
	}
	s->e2e_ms = t_exit - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		fprintf(stderr, "pop: tcrm pop for desk %u exited %d\n",
		    c->desk + 1, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	parse_pop_output(out.data ? out.data : "", s);
	if (getenv("BENCH_TRACE") != NULL || s->session_us < 0 ||
	    s->screen_ms < 0)
		fprintf(stderr, "pop%03u customer %u: %.1f ms, screen %.1f "
		    "ms\n%s", c->desk + 1, c->customer, s->e2e_ms,
		    s->screen_ms, out.data ? out.data : "");
	buf_free(&out);
}

static int
cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double
pct(double *v, size_t n, double p)
{
	return n ? v[(size_t)(p * (double)(n - 1) + 0.5)] : 0;
}

/* p50, p99, max of one measure over the samples that have it. */
static void
report_one(const char *what, const struct sample *v, size_t n,
    size_t off, const char *unit, double *p99)
{
	double *x = xcalloc(n + 1, sizeof *x);
	size_t m = 0;

	for (size_t i = 0; i < n; i++) {
		double val = *(const double *)((const char *)&v[i] + off);

		if (val >= 0)
			x[m++] = val;
	}
	qsort(x, m, sizeof *x, cmp_double);
	printf("  %-34s %5zu  p50 %8.3f %s  p99 %8.3f %s  max %8.3f %s\n",
	    what, m, pct(x, m, 0.5), unit, pct(x, m, 0.99), unit,
	    m ? x[m - 1] : 0, unit);
	*p99 = pct(x, m, 0.99);
	free(x);
}

static int
run_pops(const struct opts *o)
{
	struct call *calls = xcalloc(o->pops + 1, sizeof *calls);
	struct sample *v = xcalloc(o->pops, sizeof *v);
	size_t by_matches[3] = { 0, 0, 0 };
	double e2e99, screen99, session99, part99, t0;
	struct sample warm;

	pick_calls(o, calls, o->pops + 1);
	start_desks(o);
	/* The first tcrm pop reads the disk: one more call, not counted. */
	one_pop(o, &calls[o->pops], &warm);
	t0 = now_ms();
	for (unsigned k = 0; k < o->pops; k++) {
		one_pop(o, &calls[k], &v[k]);
		by_matches[v[k].matches > 2 ? 2 : v[k].matches]++;
	}
	printf("%u pops to %u desks over %u customers in %.1f s (one after "
	    "another); %zu with no match, %zu with one, %zu with more\n",
	    o->pops, o->sessions, o->n, (now_ms() - t0) / 1e3,
	    by_matches[0], by_matches[1], by_matches[2]);
	report_one("end to end (start -> drawn ack)", v, o->pops,
	    offsetof(struct sample, e2e_ms), "ms", &e2e99);
	report_one("start -> update on the terminal", v, o->pops,
	    offsetof(struct sample, screen_ms), "ms", &screen99);
	report_one("in the session (event -> doupdate)", v, o->pops,
	    offsetof(struct sample, session_us), "us", &session99);
	report_one("  of which finding the caller", v, o->pops,
	    offsetof(struct sample, lookup_us), "us", &part99);
	report_one("  opening the screen (the card)", v, o->pops,
	    offsetof(struct sample, open_us), "us", &part99);
	report_one("  drawing it (to doupdate)", v, o->pops,
	    offsetof(struct sample, draw_us), "us", &part99);
	printf("targets: end to end p99 <= %.0f ms: %s; in the session p99 "
	    "<= %.0f us: %s\n", TARGET_E2E_MS, e2e99 <= TARGET_E2E_MS ?
	    "met" : "NOT MET", TARGET_SESSION_US,
	    session99 <= TARGET_SESSION_US ? "met" : "NOT MET");
	(void)screen99;
	stop_desks();
	free(calls);
	free(v);
	return 0;
}

static char *
sibling(const char *argv0, const char *name)
{
	char *copy = xstrdup(argv0), *path;

	path = xasprintf("%s/%s", dirname(copy), name);
	free(copy);
	return path;
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "keep", no_argument, NULL, 'k' },
		{ "seed", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 }
	};
	struct opts o = { 1000000, 100, 1000, 1, "bench/out/pop", NULL, NULL,
	    false };
	const char *fdir = getenv("TCRM_FORMS");
	struct strv diags;
	struct store *s;
	char *loader;
	size_t have;
	int c, rc;

	setlocale(LC_ALL, "C.UTF-8");
	signal(SIGPIPE, SIG_IGN);
	while ((c = getopt_long(argc, argv, "n:d:s:p:", longopts, NULL)) != -1) {
		switch (c) {
		case 'n':
			o.n = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'd':
			o.dir = optarg;
			break;
		case 's':
			o.sessions = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'p':
			o.pops = (unsigned)strtoul(optarg, NULL, 10);
			break;
		case 'S':
			o.seed = (uint32_t)strtoul(optarg, NULL, 10);
			break;
		case 'k':
			o.keep = true;
			break;
		default:
			goto usage;
		}
	}
	if (optind + 1 != argc || o.n == 0 || o.sessions == 0 ||
	    o.sessions > 999 || o.pops == 0)
		goto usage;
	o.tcrm = argv[optind];
	loader = sibling(argv[0], "desk");
	o.loader = loader;
	strv_init(&diags);
	if (forms_load(fdir ? fdir : "forms", &forms, &diags) != 0)
		die("forms: %s", diags.n ? diags.v[0] : "");
	if (mkdir(o.dir, 0700) != 0)
		size_environment(&o);
	s = open_store(&o);
	have = store_count(s, forms_entity(forms, "customer"));
	store_close(s);
	if (have < o.n)
		load(&o);
	size_environment(&o);
	add_agents(&o);
	rc = run_pops(&o);
	if (!o.keep) {
		char *cmd = xasprintf("rm -rf '%s'", o.dir);

		if (system(cmd) != 0)
			fprintf(stderr, "pop: could not remove %s\n", o.dir);
		free(cmd);
	}
	free(loader);
	forms_free(forms);
	strv_free(&diags);
	return rc;
usage:
	fprintf(stderr, "usage: pop [-n COUNT] [-d DIR] [-s SESSIONS] "
	    "[-p POPS] [--seed S] [--keep] TCRM\n");
	return 64;
}
