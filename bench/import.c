/* bench/import.c - `tcrm import` of a generated CRM export against SQLite
 * loading the same rows with the same indexes in transactions of the
 * same size, in one run. Prints rows/s of both, the ratio, and the peak
 * memory of the importer at each size.
 *
 *   bench/import [-k] [-n ROWS,ROWS...] [-r RUNS] [-d DIR] [--batch N] TCRM
 *
 * -k keeps the generated file and both databases in DIR, to look into.
 * -r runs each size RUNS times, both sides one after the other, and ends
 * with the median ratio: on a shared machine one run can be off by a
 * third.
 */
#include "tcrm.h"

#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *surnames[] = { "王", "李", "张", "刘", "陈", "欧阳",
    "司马", "Smith", "Garcia", "Müller", "Nguyen" };
static const char *given[] = { "伟", "芳", "娜娜", "秀英", "John", "Mary",
    "Wei", "Olivia" };
static const char *cities[] = { "北京", "上海", "深圳", "London", "New York" };

#define MAX_RUNS 25

static int
by_value(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
now_s(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return (double)tv.tv_sec + tv.tv_usec / 1e6;
}

/* Twelve columns as a real CRM export has them: quoted commas in
 * companies and addresses, two phone columns in mixed spellings. */
static void
generate(const char *path, long rows)
{
	FILE *fp = fopen(path, "w");

	if (fp == NULL) {
		perror(path);
		exit(1);
	}
	srandom(42);
	fputs("Customer ID,Full Name,Company,Job Title,Phone 1,Phone 2,E-mail,"
	    "Address,City,Country,Status,Notes\n", fp);
	for (long i = 1; i <= rows; i++) {
		long m = 13000000000L + random() % 999999999L;

		fprintf(fp, "C%08ld,%s%s,\"%s Trading, Ltd.\",Manager,"
		    "+86 %ld-%04ld-%04ld,010-%04ld %04ld,c%ld@example.cn,"
		    "\"%ld Road, Block %ld\",%s,CN,active,\"called, will "
		    "call back\"\n", i, surnames[i % 11], given[random() % 8],
		    given[i % 8], m / 100000000, m / 10000 % 10000, m % 10000,
		    random() % 10000, random() % 10000, i, i % 999, i % 20,
		    cities[i % 5]);
	}
	fclose(fp);
}

struct run {
	double secs;
	long own_kb;		/* peak RSS without the shared regions */
	long shared_kb;		/* peak RSS of the shared regions */
	long hwm_kb;		/* VmHWM: both */
};

/*
 * The importer's resident memory in two parts: the environment's shared
 * regions (__db.001 to __db.00N: the cache, whose size DB_CONFIG fixes
 * for every process, the lock table, the mutexes) and the rest, which is
 * the importer's own: heap, stacks, its program and libraries.
 */
static void
rss_split(pid_t pid, long *own_kb, long *shared_kb)
{
	char path[64], line[512];
	bool shared = false;
	FILE *fp;

	*own_kb = *shared_kb = 0;
	snprintf(path, sizeof path, "/proc/%d/smaps", (int)pid);
	if ((fp = fopen(path, "r")) == NULL)
		return;
	while (fgets(line, sizeof line, fp) != NULL) {
		long kb;

		if (strncmp(line, "Rss:", 4) == 0) {
			kb = strtol(line + 4, NULL, 10);
			*(shared ? shared_kb : own_kb) += kb;
		} else if (line[0] != '\0' &&
		    strchr("0123456789abcdef", line[0]) != NULL &&
		    line[strcspn(line, " -")] == '-')	/* a mapping */
			shared = strstr(line, "/__db.0") != NULL;
	}
	fclose(fp);
}

/* The environment an import goes into exists already, as a running
 * CRM's does (and SQLite's tables are made before its clock starts):
 * creating its 90 databases is not the import's work. */
static int
make_env(const char *tcrm, const char *home)
{
	int status;
	pid_t pid;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		if (freopen("/dev/null", "w", stdout) == NULL)
			_exit(127);
		execl(tcrm, tcrm, "--home", home, "db", "stat", (char *)NULL);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return 1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static int
run_tcrm(const char *tcrm, const char *home, const char *csv, long batch,
    struct run *r)
{
	char b[32];
	double t0;
	int status;
	pid_t pid;
	struct rusage ru;

	snprintf(b, sizeof b, "%ld", batch);
	memset(r, 0, sizeof *r);
	if (make_env(tcrm, home) != 0)
		return 1;
	t0 = now_s();
	if ((pid = fork()) == 0) {
		execl(tcrm, tcrm, "--home", home, "import", csv, "--form",
		    "customer", "--batch", b, (char *)NULL);
		_exit(127);
	}
	/* Reading smaps walks the importer's page tables (some 5 ms with
	 * the cache mapped): four times a second, not to slow it down. */
	for (int tick = 0; wait4(pid, &status, WNOHANG, &ru) == 0; tick++) {
		long own, shared;

		if (tick % 12 == 0) {
			rss_split(pid, &own, &shared);
			if (own > r->own_kb)
				r->own_kb = own;
			if (shared > r->shared_kb)
				r->shared_kb = shared;
		}
		usleep(20000);
	}
	r->secs = now_s() - t0;
	r->hwm_kb = ru.ru_maxrss;	/* VmHWM */
	return WIFEXITED(status) ? WEXITSTATUS(status) : 1;
}

static void
sql(sqlite3 *db, const char *stmt)
{
	char *err = NULL;

	if (sqlite3_exec(db, stmt, NULL, NULL, &err) != SQLITE_OK) {
		fprintf(stderr, "sqlite: %s: %s\n", stmt, err);
		exit(1);
	}
}

/* A prefix index's entries as tcrm makes them: one per word start
 * (store_word_keys), so "trading" finds "王 Trading, Ltd." on both sides. */
static void
insert_words(sqlite3_stmt *st, const char *value, sqlite3_int64 id)
{
	struct strv words;

	strv_init(&words);
	store_word_keys(value, &words);
	for (size_t i = 0; i < words.n; i++) {
		sqlite3_bind_text(st, 1, words.v[i], -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, id);
		if (sqlite3_step(st) != SQLITE_DONE)
			fprintf(stderr, "sqlite: word: %s\n",
			    sqlite3_errmsg(sqlite3_db_handle(st)));
		sqlite3_reset(st);
	}
	strv_free(&words);
}

/* The same rows, the same parse (tcrm's CSV reader) and the same
 * indexes: name and company by word start for prefix search, email
 * unique, external id unique, phones in their own table by digits. */
static int
run_sqlite(const char *path, const char *csvpath, long batch, struct run *r)
{
	sqlite3 *db;
	sqlite3_stmt *ins, *ph, *word[2];
	struct source src;
	struct csv c;
	char *err;
	long n = 0;
	int fd;
	double t0;

	unlink(path);
	if (sqlite3_open(path, &db) != SQLITE_OK)
		return 1;
	sql(db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
	    "CREATE TABLE customer (id INTEGER PRIMARY KEY, external_id TEXT,"
	    " name TEXT, company TEXT, title TEXT, email TEXT, address TEXT,"
	    " city TEXT, country TEXT, status TEXT, notes TEXT);"
	    "CREATE UNIQUE INDEX c_ext ON customer(external_id);"
	    "CREATE UNIQUE INDEX c_email ON customer(email);"
	    "CREATE TABLE name_word (word TEXT, customer INTEGER,"
	    " PRIMARY KEY (word, customer)) WITHOUT ROWID;"
	    "CREATE TABLE company_word (word TEXT, customer INTEGER,"
	    " PRIMARY KEY (word, customer)) WITHOUT ROWID;"
	    "CREATE TABLE phone (customer INTEGER, digits TEXT);"
	    "CREATE INDEX p_digits ON phone(digits);");
	sqlite3_prepare_v2(db, "INSERT INTO customer (external_id, name, "
	    "company, title, email, address, city, country, status, notes) "
	    "VALUES (?,?,?,?,?,?,?,?,?,?)", -1, &ins, NULL);
	sqlite3_prepare_v2(db, "INSERT INTO phone VALUES (?,?)", -1, &ph,
	    NULL);
	sqlite3_prepare_v2(db, "INSERT INTO name_word VALUES (?,?)", -1,
	    &word[0], NULL);
	sqlite3_prepare_v2(db, "INSERT INTO company_word VALUES (?,?)", -1,
	    &word[1], NULL);
	t0 = now_s();
	fd = open(csvpath, O_RDONLY);
	source_open(&src, fd, csvpath, NULL, &err);
	csv_init(&c, &src, ',');
	csv_read(&c);		/* header */
	sql(db, "BEGIN");
	while (csv_read(&c) == 1 && c.cells.n == 12) {
		char **v = c.cells.v;
		int col[] = { 0, 1, 2, 3, 6, 7, 8, 9, 10, 11 };
		sqlite3_int64 id;

		for (int i = 0; i < 10; i++)
			sqlite3_bind_text(ins, i + 1, v[col[i]], -1,
			    SQLITE_TRANSIENT);
		if (sqlite3_step(ins) != SQLITE_DONE)
			fprintf(stderr, "sqlite: %s\n", sqlite3_errmsg(db));
		sqlite3_reset(ins);
		id = sqlite3_last_insert_rowid(db);
		for (int w = 0; w < 2; w++)
			insert_words(word[w], v[w + 1], id);
		for (int p = 4; p <= 5; p++) {
			struct phone phn;
			char key[40];
			const char *why;

			if (phone_parse(v[p], "86", &phn, &why) != 0)
				continue;
			phone_key(&phn, key, sizeof key);
			sqlite3_bind_int64(ph, 1, id);
			sqlite3_bind_text(ph, 2, key, -1, SQLITE_TRANSIENT);
			sqlite3_step(ph);
			sqlite3_reset(ph);
		}
		if (++n % batch == 0) {
			sql(db, "COMMIT");
			sql(db, "BEGIN");
		}
	}
	sql(db, "COMMIT");
	sql(db, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_finalize(ins);
	sqlite3_finalize(ph);
	sqlite3_finalize(word[0]);
	sqlite3_finalize(word[1]);
	sqlite3_close(db);
	csv_free(&c);
	source_close(&src);
	close(fd);
	r->secs = now_s() - t0;
	return 0;
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "batch", required_argument, NULL, 'b' },
		{ NULL, 0, NULL, 0 }
	};
	const char *dir = "/tmp", *sizes = "100000,1000000";
	long batch = 2000;
	int runs = 1;
	bool keep = false;
	struct strv list;
	int c;

	while ((c = getopt_long(argc, argv, "kn:d:r:", opts, NULL)) != -1) {
		if (c == 'k')
			keep = true;
		else if (c == 'r')
			runs = atoi(optarg);
		else if (c == 'n')
			sizes = optarg;
		else if (c == 'd')
			dir = optarg;
		else if (c == 'b')
			batch = atol(optarg);
		else
			return 64;
	}
	if (optind != argc - 1 || runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: bench/import [-k] [-n ROWS,...] [-r RUNS] "
		    "[-d DIR] [--batch N] TCRM\n");
		return 64;
	}
	strv_init(&list);
	strv_split(&list, sizes, ",");
	printf("%-10s %12s %12s %7s %14s %14s %14s\n", "rows", "tcrm rows/s",
	    "sqlite rows/s", "ratio", "peak RSS MiB", "shared MiB",
	    "VmHWM MiB");
	for (size_t i = 0; i < list.n; i++) {
		long rows = atol(list.v[i]);
		char *csv = xasprintf("%s/import-%ld.csv", dir, rows);
		char *home = xasprintf("%s/tcrm-%ld", dir, rows);
		char *lite = xasprintf("%s/sqlite-%ld.db", dir, rows);
		char *rm = xasprintf("rm -rf '%s' '%s' '%s'*", home, csv, lite);
		char *rmhome = xasprintf("rm -rf '%s'", home);
		double ratios[MAX_RUNS];

		if (system(rm) != 0)	/* what an earlier -k run left */
			fprintf(stderr, "bench/import: could not clean %s\n", dir);
		generate(csv, rows);
		for (int r = 0; r < runs; r++) {
			struct run t, s;

			if (r > 0 && system(rmhome) != 0)
				fprintf(stderr, "bench/import: could not clean "
				    "%s\n", home);
			if (run_tcrm(argv[optind], home, csv, batch, &t) != 0) {
				fprintf(stderr, "bench/import: tcrm import "
				    "failed\n");
				return 1;
			}
			run_sqlite(lite, csv, batch, &s);
			ratios[r] = s.secs / t.secs;
			printf("%-10ld %12.0f %12.0f %7.2f %14.1f %14.1f "
			    "%14.1f\n", rows, rows / t.secs, rows / s.secs,
			    ratios[r], t.own_kb / 1024.0, t.shared_kb / 1024.0,
			    t.hwm_kb / 1024.0);
			fflush(stdout);
		}
		if (runs > 1) {
			qsort(ratios, (size_t)runs, sizeof *ratios, by_value);
			printf("%-10ld %25s %7.2f  (median of %d runs; %.2f to "
			    "%.2f)\n", rows, "", ratios[runs / 2], runs,
			    ratios[0], ratios[runs - 1]);
		}
		free(rmhome);
		if (!keep && system(rm) != 0)
			fprintf(stderr, "bench/import: could not clean %s\n", dir);
		free(csv);
		free(home);
		free(lite);
		free(rm);
	}
	printf("(ratio = tcrm rate / sqlite rate; both durable at the end, "
	    "batches of %ld,\n into an environment and tables made before "
	    "the clock starts. peak RSS = the\n importer's own resident "
	    "memory: heap, stacks, program and libraries; shared =\n the "
	    "environment's regions it touched, which every tcrm shares and "
	    "whose size\n DB_CONFIG fixes (the cache); VmHWM counts both)\n",
	    batch);
	strv_free(&list);
	return 0;
}
