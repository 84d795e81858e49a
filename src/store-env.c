/* store-env.c - the Berkeley DB environment: open, recover, close, and the
 * transaction wrapper that retries deadlocks and survives a dead peer. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <fcntl.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TXN_RETRIES 50
#define LOCK_TIMEOUT_US (10 * 1000 * 1000)
#define DEFAULT_CACHE_BYTES (128 * 1024 * 1024)
#define BULK_TRIM_SECONDS 5.0

volatile int store_stop_signal;

static void
store_on_signal(int sig)
{
	store_stop_signal = sig;
}

void
store_catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = store_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
}

int
st_fail(struct store *s, int rc, const char *fmt, ...)
{
	va_list ap;

	free(s->err);
	va_start(ap, fmt);
	s->err = xvasprintf(fmt, ap);
	va_end(ap);
	return rc;
}

/* Map a Berkeley DB error to a store result; deadlocks and a panicked
 * environment become ST_AGAIN so store_run tries again. */
int
st_dberr(struct store *s, int ret, const char *what)
{
	switch (ret) {
	case 0:
		return ST_OK;
	case DB_LOCK_DEADLOCK:
	case DB_LOCK_NOTGRANTED:
		st_fail(s, ST_AGAIN, "%s: %s", what, db_strerror(ret));
		return ST_AGAIN;
	case DB_RUNRECOVERY:
		s->need_reopen = true;
		st_fail(s, ST_AGAIN, "%s: %s", what, db_strerror(ret));
		return ST_AGAIN;
	case DB_NOTFOUND:
		return st_fail(s, ST_NOTFOUND, "%s: not found", what);
	case ENOMEM:
		return st_fail(s, ST_NOSPACE,
		    "%s: out of lock entries or memory (raise the limits in "
		    "DB_CONFIG)", what);
	case ENOSPC:
		return st_fail(s, ST_NOSPACE, "%s: disk full", what);
	default:
		return st_fail(s, ST_IO, "%s: %s", what, db_strerror(ret));
	}
}

const char *
store_error(const struct store *s)
{
	return s->err ? s->err : "no error";
}

char **
store_notices(const struct store *s)
{
	static char *none[] = { NULL };

	return s->notices.v ? s->notices.v : none;
}

const struct forms *
store_forms(const struct store *s)
{
	return s->forms;
}

const char *
store_home(const struct store *s)
{
	return s->home;
}

DB_TXN *
st_tid(struct txn *t)
{
	return t ? t->tid : NULL;
}

void
st_key_u32(unsigned char out[4], uint32_t v)
{
	out[0] = (unsigned char)(v >> 24);
	out[1] = (unsigned char)(v >> 16);
	out[2] = (unsigned char)(v >> 8);
	out[3] = (unsigned char)v;
}

uint32_t
st_u32_key(const void *p)
{
	const unsigned char *k = p;

	return (uint32_t)k[0] << 24 | (uint32_t)k[1] << 16 |
	    (uint32_t)k[2] << 8 | k[3];
}

struct store_entity *
st_entity(struct store *s, const struct entity *e)
{
	for (size_t i = 0; i < s->nentities; i++) {
		if (s->entities[i].entity == e)
			return &s->entities[i];
	}
	return NULL;
}

static void
store_errcall(const DB_ENV *env, const char *prefix, const char *msg)
{
	struct store *s = env->app_private;

	(void)prefix;
	if (s != NULL && s->err == NULL)
		s->err = xstrdup(msg);
}

/* A new environment gets the DB_CONFIG shipped with tcrm, so its limits
 * can be tuned in one obvious file. */
static void
store_install_db_config(const char *home)
{
	const char *src = getenv("TCRM_DB_CONFIG");
	char *dst = xasprintf("%s/DB_CONFIG", home);
	char *fallback = xasprintf("%s/DB_CONFIG", PKGDATADIR);
	FILE *in, *out;
	char chunk[4096];
	size_t n;

	if (access(dst, F_OK) == 0)
		goto done;
	if (src == NULL || access(src, R_OK) != 0)
		src = fallback;
	if ((in = fopen(src, "r")) == NULL)
		goto done;
	if ((out = fopen(dst, "w")) != NULL) {
		while ((n = fread(chunk, 1, sizeof chunk, in)) > 0)
			fwrite(chunk, 1, n, out);
		fclose(out);
	}
	fclose(in);
done:
	free(dst);
	free(fallback);
}

/* The cache DB_CONFIG asks for, or the default. */
static uint64_t
db_config_cache_bytes(const char *home)
{
	char *path = xasprintf("%s/DB_CONFIG", home), line[256];
	uint64_t bytes = DEFAULT_CACHE_BYTES;
	unsigned long long gb, b;
	FILE *fp = fopen(path, "r");

	free(path);
	if (fp == NULL)
		return bytes;
	while (fgets(line, sizeof line, fp) != NULL) {
		if (sscanf(line, " set_cachesize %llu %llu", &gb, &b) == 2)
			bytes = (uint64_t)gb * 1024 * 1024 * 1024 + b;
	}
	fclose(fp);
	return bytes;
}

/* Mutexes for the sessions (about 400 each, 500 of them) and two for
 * every page of cache (its buffer and a hash bucket). A fixed count ran
 * out once a 1 GiB cache filled, and then no process could open the
 * environment at all. */
static uint32_t
mutexes_wanted(const char *home)
{
	uint64_t pages = db_config_cache_bytes(home) / 4096;

	if (pages > 16 * 1024 * 1024)
		pages = 16 * 1024 * 1024;
	return (uint32_t)(200000 + pages * 9 / 4);
}

static int
store_open_env(struct store *s)
{
	u_int32_t flags = DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_REGISTER | DB_RECOVER;
	int ret;

	if ((ret = db_env_create(&s->env, 0)) != 0)
		return st_dberr(s, ret, "db_env_create");
	s->env->app_private = s;
	s->env->set_errcall(s->env, store_errcall);
	/* Defaults sized for a call centre; DB_CONFIG overrides them. */
	s->env->set_cachesize(s->env, 0, DEFAULT_CACHE_BYTES, 1);
	s->env->set_lk_max_locks(s->env, 100000);
	s->env->set_lk_max_objects(s->env, 100000);
	/* Every process opens every database: about 140 lockers and 400
	 * mutexes each; room for 500 tcrmd sessions. */
	s->env->set_lk_max_lockers(s->env, 100000);
	s->env->mutex_set_max(s->env, mutexes_wanted(s->home));
	s->env->set_tx_max(s->env, 1000);
	s->env->set_lg_max(s->env, 16 * 1024 * 1024);
	s->env->set_lg_bsize(s->env, 1024 * 1024);
	s->env->set_lk_detect(s->env, DB_LOCK_DEFAULT);
	s->env->set_timeout(s->env, LOCK_TIMEOUT_US, DB_SET_LOCK_TIMEOUT);
	if (s->nosync)
		s->env->set_flags(s->env, DB_TXN_WRITE_NOSYNC, 1);
	ret = s->env->open(s->env, s->home, flags, s->mode);
	if (ret != 0) {
		int rc = st_dberr(s, ret, s->home);

		s->env->close(s->env, 0);
		s->env = NULL;
		return rc == ST_AGAIN ? ST_IO : rc;
	}
	return ST_OK;
}

static int
store_open_meta(struct store *s, DB_TXN *tid)
{
	int ret;

	if ((ret = db_create(&s->meta, s->env, 0)) != 0)
		return st_dberr(s, ret, "meta");
	ret = s->meta->open(s->meta, tid, "meta.db", NULL, DB_BTREE,
	    DB_CREATE, s->mode);
	return st_dberr(s, ret, "meta.db");
}

static int
store_open_entity(struct store *s, struct store_entity *se, DB_TXN *tid)
{
	char *file = xasprintf("%s.db", se->entity->name);
	int ret, rc;

	se->store = s;
	if ((ret = db_create(&se->primary, s->env, 0)) != 0) {
		free(file);
		return st_dberr(s, ret, "db_create");
	}
	se->primary->app_private = se;
	se->primary->set_pagesize(se->primary, ST_PAGE_SIZE);
	ret = se->primary->open(se->primary, tid, file, NULL, DB_BTREE,
	    DB_CREATE, s->mode);
	rc = st_dberr(s, ret, file);
	free(file);
	if (rc != ST_OK)
		return rc;
	return st_open_indexes(s, se, tid);
}

static void
store_close_handles(struct store *s)
{
	for (size_t i = 0; i < s->nentities; i++) {
		struct store_entity *se = &s->entities[i];

		st_close_indexes(se);
		if (se->primary != NULL)
			se->primary->close(se->primary, DB_NOSYNC);
		se->primary = NULL;
	}
	if (s->audit_by_import != NULL)
		s->audit_by_import->close(s->audit_by_import, DB_NOSYNC);
	s->audit_by_import = NULL;
	if (s->audit_creates != NULL)
		s->audit_creates->close(s->audit_creates, DB_NOSYNC);
	s->audit_creates = NULL;
	if (s->drafts != NULL)
		s->drafts->close(s->drafts, DB_NOSYNC);
	s->drafts = NULL;
	if (s->audit_by_record != NULL)
		s->audit_by_record->close(s->audit_by_record, DB_NOSYNC);
	if (s->audit != NULL)
		s->audit->close(s->audit, DB_NOSYNC);
	if (s->meta != NULL)
		s->meta->close(s->meta, DB_NOSYNC);
	s->audit_by_record = s->audit = s->meta = NULL;
	if (s->env != NULL)
		s->env->close(s->env, 0);
	s->env = NULL;
}

/* The process named in the gate file, and whether it is stopped. */
static pid_t
open_gate_holder(int fd, bool *stopped)
{
	char buf[64], *path;
	ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
	long pid;
	FILE *fp;

	*stopped = false;
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	if ((pid = strtol(buf, NULL, 10)) <= 0)
		return 0;
	path = xasprintf("/proc/%ld/stat", pid);
	if ((fp = fopen(path, "r")) != NULL) {
		/* "PID (COMM) STATE ...": the name may hold spaces. */
		char *end = fgets(buf, sizeof buf, fp) ? strrchr(buf, ')') : NULL;

		*stopped = end != NULL && end[1] == ' ' && end[2] == 'T';
		fclose(fp);
	}
	free(path);
	return (pid_t)pid;
}

/* Most waits at the gate last milliseconds: the user hears of one only
 * when it lasts a second, or at once when the holder is stopped. */
static bool
open_gate_wait(struct store *s, int fd)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	struct timespec start, now;
	bool stopped = false;
	pid_t holder = 0;

	clock_gettime(CLOCK_MONOTONIC, &start);
	do {
		nanosleep(&tick, NULL);
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return true;
		holder = open_gate_holder(fd, &stopped);
		clock_gettime(CLOCK_MONOTONIC, &now);
	} while (!stopped && now.tv_sec - start.tv_sec +
	    (now.tv_nsec - start.tv_nsec) / 1e9 < 1.0);
	if (s->waiting != NULL && holder > 0)
		s->waiting(holder, stopped);
	while (flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR)
			return false;
	}
	return true;
}

/* Processes open the environment one at a time. Each open takes the
 * library's environment-wide lock once per database (about a hundred
 * here); a hundred desks opening together handed that lock from sleeper
 * to sleeper and took a minute, where one after another takes a second
 * or two. The lock goes with the process if it dies. The holder writes
 * its pid in the file, so a process that has to wait can say on whom. */
static int
open_gate_enter(struct store *s)
{
	char *path = xasprintf("%s/__tcrm.open", s->home);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, s->mode);
	char pid[24];
	bool written;
	int n;

	free(path);
	if (fd < 0)
		return -1;	/* a read-only home: open without the gate */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0 && !open_gate_wait(s, fd)) {
		close(fd);
		return -1;
	}
	/* The pid is only for the message above: a failure to write it
	 * changes nothing else. */
	n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
	written = ftruncate(fd, 0) == 0 && pwrite(fd, pid, (size_t)n, 0) == n;
	(void)written;
	return fd;
}

static void
open_gate_leave(int fd)
{
	if (fd >= 0)
		close(fd);
}

static int
store_open_all_gated(struct store *s)
{
	DB_TXN *tid = NULL;
	int rc, ret;

	if ((rc = store_open_env(s)) != ST_OK)
		return rc;
	if ((ret = s->env->txn_begin(s->env, NULL, &tid, 0)) != 0) {
		rc = st_dberr(s, ret, "txn_begin");
		goto fail;
	}
	if ((rc = store_open_meta(s, tid)) != ST_OK ||
	    (rc = st_audit_open(s, tid)) != ST_OK ||
	    (rc = st_draft_open(s, tid)) != ST_OK)
		goto fail;
	for (size_t i = 0; i < s->nentities; i++) {
		if ((rc = store_open_entity(s, &s->entities[i], tid)) != ST_OK)
			goto fail;
	}
	if ((ret = tid->commit(tid, 0)) != 0) {
		tid = NULL;
		rc = st_dberr(s, ret, "commit");
		goto fail;
	}
	return ST_OK;
fail:
	if (tid != NULL)
		tid->abort(tid);
	store_close_handles(s);
	return rc;
}

static int
store_open_all(struct store *s)
{
	int gate = open_gate_enter(s);
	int rc = store_open_all_gated(s);

	if (rc == ST_OK)
		st_rebuild_stale_indexes(s);
	open_gate_leave(gate);
	return rc;
}

static char *
store_default_home(void)
{
	const char *h = getenv("HOME");
	struct passwd *pw;

	if (h == NULL || *h == '\0') {
		pw = getpwuid(getuid());
		h = pw ? pw->pw_dir : "/tmp";
	}
	return xasprintf("%s/.local/share/tcrm", h);
}

static int
store_make_home(struct store *s)
{
	char *p;

	if (mkdir(s->home, 0700) == 0 || errno == EEXIST)
		return ST_OK;
	if (errno != ENOENT)
		return st_fail(s, ST_IO, "%s: %s", s->home, strerror(errno));
	/* Create parents for the per-user default (~/.local/share/tcrm). */
	for (p = s->home + 1; *p != '\0'; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		mkdir(s->home, 0700);
		*p = '/';
	}
	if (mkdir(s->home, 0700) != 0 && errno != EEXIST)
		return st_fail(s, ST_IO, "%s: %s", s->home, strerror(errno));
	return ST_OK;
}

/* A group-writable environment directory is shared by its group (each
 * agent a system user, tcrm their ForceCommand or login shell): its files
 * are made group-writable too, whatever the umask. */
static int
store_file_mode(const char *home)
{
	struct stat st;
	mode_t mask;

	if (stat(home, &st) != 0 || (st.st_mode & S_IWGRP) == 0)
		return 0600;
	mask = umask(0);
	umask(mask & ~(mode_t)0060);
	return 0660;
}

int
store_open(struct store **out, const struct store_opts *o)
{
	struct store *s = xcalloc(1, sizeof *s);
	int rc;

	*out = s;
	s->forms = o->forms;
	s->home = o->home ? xstrdup(o->home) : store_default_home();
	s->user = xstrdup(o->user ? o->user : "unknown");
	s->import_id = o->import_id ? xstrdup(o->import_id) : NULL;
	s->nosync = o->nosync;
	s->waiting = o->waiting;
	strv_init(&s->notices);
	s->nentities = o->forms->n;
	s->entities = xcalloc(s->nentities, sizeof *s->entities);
	for (size_t i = 0; i < s->nentities; i++)
		s->entities[i].entity = &o->forms->entities[i];
	if ((rc = store_make_home(s)) != ST_OK)
		return rc;
	s->mode = store_file_mode(s->home);
	store_install_db_config(s->home);
	return store_open_all(s);
}

/* After a peer died inside the library every handle is useless: close
 * them all and open again, which runs recovery. */
static int
store_reopen(struct store *s)
{
	void (*waiting)(pid_t, bool) = s->waiting;
	int rc;

	store_close_handles(s);
	s->need_reopen = false;
	free(s->err);
	s->err = NULL;
	/* Mid-command (a desk on its screens): nothing to say on stderr. */
	s->waiting = NULL;
	rc = store_open_all(s);
	s->waiting = waiting;
	return rc;
}

/* Keep the log directory from growing without an operator: checkpoint
 * once enough log has been written, then drop logs no longer needed. */
void
store_trim_logs(struct store *s)
{
	char **list = NULL;

	if (s->env->txn_checkpoint(s->env, 16 * 1024, 0, 0) != 0)
		return;
	if (s->env->log_archive(s->env, &list, DB_ARCH_REMOVE) == 0)
		free(list);
}

void
store_close(struct store *s)
{
	if (s == NULL)
		return;
	if (s->env != NULL && !s->need_reopen)
		store_trim_logs(s);
	store_close_handles(s);
	for (size_t i = 0; i < s->nentities; i++) {
		for (size_t j = 0; j < s->entities[i].nindexes; j++)
			free(s->entities[i].indexes[j].name);
		free(s->entities[i].indexes);
	}
	free(s->entities);
	strv_free(&s->notices);
	free(s->home);
	free(s->user);
	free(s->import_id);
	free(s->span_import);
	free(s->creates_entity);
	free(s->creates_import);
	free(s->err);
	free(s);
}

/* A bulk load (import, the benchmark) checkpoints as it goes, as
 * SQLite's WAL does: the data files are written while the load runs,
 * the kernel puts them on disk on the other core, and the close has
 * little left to write (3 s of a 35 s million-record load otherwise),
 * and the log stays a few files long. */
static void
bulk_trim_logs(struct store *s)
{
	struct timespec ts;
	double now;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	now = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (s->last_trim == 0)
		s->last_trim = now;
	if (now - s->last_trim < BULK_TRIM_SECONDS)
		return;
	s->last_trim = now;
	store_trim_logs(s);
}

static void
store_backoff(int attempt)
{
	struct timespec ts;
	long us = (long)(1000 << (attempt < 7 ? attempt : 7));

	us += random() % us;
	ts.tv_sec = us / 1000000;
	ts.tv_nsec = (us % 1000000) * 1000;
	nanosleep(&ts, NULL);
}

int
store_run(struct store *s, store_txn_fn fn, void *arg)
{
	struct txn t;
	int rc = ST_BUSY, ret;

	for (int attempt = 0; attempt < TXN_RETRIES; attempt++) {
		if (store_stop_signal)
			return st_fail(s, ST_INTERRUPTED, "interrupted by signal %d",
			    store_stop_signal);
		if ((s->need_reopen || s->env == NULL) &&
		    (rc = store_reopen(s)) != ST_OK) {
			if (rc != ST_AGAIN)
				return rc;
			store_backoff(attempt);
			continue;
		}
		free(s->err);
		s->err = NULL;
		ret = s->env->txn_begin(s->env, NULL, &t.tid, 0);
		if (ret != 0) {
			if ((rc = st_dberr(s, ret, "txn_begin")) != ST_AGAIN)
				return rc;
			store_backoff(attempt);
			continue;
		}
		st_seq_reset(s);
		st_audit_begin(s);
		rc = fn(s, &t, arg);
		if (rc == ST_OK)
			rc = st_seq_flush(s, t.tid);
		if (rc == ST_OK)
			rc = st_audit_flush(s, t.tid);
		if (rc == ST_OK) {
			ret = t.tid->commit(t.tid, 0);
			if (ret == 0) {
				if (s->nosync)
					bulk_trim_logs(s);
				return ST_OK;
			}
			rc = st_dberr(s, ret, "commit");
		} else
			t.tid->abort(t.tid);
		if (rc != ST_AGAIN)
			return rc;
		store_backoff(attempt);
	}
	if (rc == ST_AGAIN)
		return st_fail(s, ST_BUSY,
		    "gave up after %d tries: the records stay locked by "
		    "another session", TXN_RETRIES);
	return rc;
}

void
store_set_nosync(struct store *s, bool on)
{
	s->nosync = on;
	if (s->env != NULL)
		s->env->set_flags(s->env, DB_TXN_WRITE_NOSYNC, on ? 1 : 0);
}

int
store_sync(struct store *s)
{
	return st_dberr(s, s->env->log_flush(s->env, NULL), "log flush");
}

int
store_rc_exit(int rc)
{
	switch (rc) {
	case ST_OK:
		return 0;
	case ST_NOTFOUND:
		return EX_NOINPUT;
	case ST_EXISTS:
	case ST_INVALID:
	case ST_RESTRICT:
		return EX_DATAERR;
	case ST_CONFLICT:
	case ST_BUSY:
	case ST_AGAIN:
	case ST_INTERRUPTED:
		return EX_TEMPFAIL;
	case ST_NOSPACE:
		return EX_CANTCREAT;
	default:
		return EX_IOERR;
	}
}
