/* stress.c - a helper for the concurrency and fault tests: drives the
 * store from several processes and checks what they acknowledged.
 *
 *   stress init HOME N             create N customers (counter 0)
 *   stress counter HOME SECS N ACK increment random counters for SECS
 *                                  seconds; write the count done to ACK
 *   stress sum HOME                print the sum of all counters
 *   stress writer HOME ACK         create customers forever; append the
 *                                  id of each committed one to ACK
 *   stress check HOME ACK          every acknowledged id must be there
 *   stress touch HOME              one write; prints its time in ms
 *   stress raw HOME F=V...         create a customer with exactly these
 *                                  values, unchecked (hostile text that
 *                                  `tcrm add` refuses); prints its id
 *   stress send HOME SOCKET        standard input, byte for byte, to a
 *                                  desk's socket in HOME/run; prints
 *                                  what comes back before it closes
 *   stress stale HOME USER         leave a desk socket of USER nobody
 *                                  listens on, as a desk killed with -9
 *                                  does; prints its name
 *   stress drafts HOME USER        the user's drafts, one a line: the
 *                                  key, then the form's text per field
 */
#include "tcrm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

static struct forms *forms;
static const struct entity *customer;

static TCRM_ATTR_NORETURN void
die(const char *what, struct store *s)
{
	fprintf(stderr, "stress: %s: %s\n", what, s ? store_error(s) : "");
	exit(1);
}

static struct store *
open_store(const char *home)
{
	struct store_opts o = { 0 };
	struct strv diags;
	struct store *s;
	const char *dir = getenv("TCRM_FORMS");

	strv_init(&diags);
	if (forms_load(dir ? dir : "forms", &forms, &diags) != 0)
		die(diags.n ? diags.v[0] : "forms", NULL);
	customer = forms_entity(forms, "customer");
	o.home = home;
	o.forms = forms;
	o.user = "stress";
	if (store_open(&s, &o) != ST_OK)
		die("open", s);
	return s;
}

static double
now_ms(void)
{
	struct timeval tv;

	gettimeofday(&tv, NULL);
	return tv.tv_sec * 1000.0 + tv.tv_usec / 1000.0;
}

struct create {
	const char *name;
	uint32_t id;
};

static int
create_txn(struct store *s, struct txn *t, void *arg)
{
	struct create *c = arg;
	struct record r;
	int rc;

	record_init(&r);
	record_set(&r, "name", c->name);
	record_set(&r, "phones", "13800138000");
	record_set(&r, "counter", "0");
	rc = store_create(s, t, customer, &r);
	c->id = r.id;
	record_free(&r);
	return rc;
}

static uint32_t
create(struct store *s, const char *name)
{
	struct create c = { name, 0 };

	if (store_run(s, create_txn, &c) != ST_OK)
		die("create", s);
	return c.id;
}

struct bump {
	uint32_t id;
};

static int
bump_txn(struct store *s, struct txn *t, void *arg)
{
	struct bump *b = arg;
	struct record r;
	char next[32];
	int rc;

	if ((rc = store_get(s, t, customer, b->id, &r)) != ST_OK)
		return rc;
	snprintf(next, sizeof next, "%ld",
	    strtol(record_get(&r, "counter"), NULL, 10) + 1);
	record_set(&r, "counter", next);
	rc = store_update(s, t, customer, &r, r.version);
	record_free(&r);
	return rc;
}

static int
cmd_counter(const char *home, int secs, uint32_t n, const char *ack)
{
	struct store *s = open_store(home);
	double end = now_ms() + secs * 1000.0;
	unsigned long done = 0;
	FILE *fp;

	srandom((unsigned)getpid());
	while (now_ms() < end) {
		struct bump b = { (uint32_t)(random() % n) + 1 };

		if (store_run(s, bump_txn, &b) != ST_OK)
			die("bump", s);
		done++;
	}
	store_close(s);
	if ((fp = fopen(ack, "w")) == NULL)
		die(ack, NULL);
	fprintf(fp, "%lu\n", done);
	fclose(fp);
	return 0;
}

static int
sum_one(const struct record *r, void *arg)
{
	*(long *)arg += strtol(record_get(r, "counter"), NULL, 10);
	return 0;
}

static int
cmd_sum(const char *home)
{
	struct store *s = open_store(home);
	long sum = 0;

	if (store_each(s, NULL, customer, sum_one, &sum) != ST_OK)
		die("sum", s);
	printf("%ld\n", sum);
	store_close(s);
	return 0;
}

/* Each acknowledgement goes out with write(2) only after the commit
 * returned: a SIGKILL can lose an acknowledgement, never invent one. */
static int
cmd_writer(const char *home, const char *ack)
{
	struct store *s = open_store(home);
	int fd = open(ack, O_WRONLY | O_CREAT | O_APPEND, 0600);
	char name[64], line[32];

	if (fd < 0)
		die(ack, NULL);
	for (unsigned long i = 0;; i++) {
		uint32_t id;
		int len;

		snprintf(name, sizeof name, "writer %d %lu", (int)getpid(), i);
		id = create(s, name);
		len = snprintf(line, sizeof line, "%u\n", id);
		if (write(fd, line, (size_t)len) != len)
			die("ack", NULL);
	}
}

static int
cmd_check(const char *home, const char *ack)
{
	struct store *s = open_store(home);
	FILE *fp = fopen(ack, "r");
	unsigned long id, n = 0, missing = 0;
	struct record r;

	if (fp == NULL)
		die(ack, NULL);
	while (fscanf(fp, "%lu", &id) == 1) {
		n++;
		if (store_get(s, NULL, customer, (uint32_t)id, &r) != ST_OK) {
			fprintf(stderr, "stress: acknowledged customer %lu is "
			    "missing\n", id);
			missing++;
			continue;
		}
		record_free(&r);
	}
	fclose(fp);
	store_close(s);
	printf("%lu acknowledged, %lu missing\n", n, missing);
	return missing == 0 ? 0 : 1;
}

struct raw {
	int argc;
	char **argv;
	uint32_t id;
};

static int
raw_txn(struct store *s, struct txn *t, void *arg)
{
	struct raw *rw = arg;
	struct record r;
	int rc;

	record_init(&r);
	for (int i = 0; i < rw->argc; i++) {
		char *eq = strchr(rw->argv[i], '='), *name;

		if (eq == NULL)
			continue;
		name = strndup(rw->argv[i], (size_t)(eq - rw->argv[i]));
		record_set(&r, name, eq + 1);
		free(name);
	}
	rc = store_create(s, t, customer, &r);
	rw->id = r.id;
	record_free(&r);
	return rc;
}

static int
cmd_raw(const char *home, int argc, char **argv)
{
	struct store *s = open_store(home);
	struct raw rw = { argc, argv, 0 };

	if (store_run(s, raw_txn, &rw) != ST_OK)
		die("raw", s);
	store_close(s);
	printf("%u\n", rw.id);
	return 0;
}

/* Hostile bytes for a desk: whatever the test pipes in. */
static int
cmd_send(const char *home, const char *name)
{
	char buf[65536];
	size_t n = fread(buf, 1, sizeof buf, stdin);
	struct notify_conn c;
	char *line;
	bool stale;
	int fd, r;

	if (notify_connect(home, name, &fd, &stale) != 0) {
		perror("stress: send");
		return 1;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
	if (n > 0 && write(fd, buf, n) < 0)
		perror("stress: send");
	shutdown(fd, SHUT_WR);
	notify_conn_init(&c, fd);
	while ((r = notify_read_line(&c, &line)) > 0) {
		printf("%s\n", line);
		free(line);
	}
	notify_conn_close(&c);
	return 0;
}

static int
cmd_stale(const char *home, const char *user)
{
	struct notify_listener l;
	char *why;

	if (notify_listen(home, user, &l, &why) != 0) {
		fprintf(stderr, "stress: stale: %s\n", why);
		return 1;
	}
	printf("%s\n", l.name);
	/* Closed, not removed: the process is gone, the socket stays. */
	close(l.fd);
	close(l.dirfd);
	free(l.name);
	free(l.path);
	return 0;
}

static int
cmd_drafts(const char *home, const char *user)
{
	struct store *s = open_store(home);
	struct draft *v;
	size_t n;

	if (store_draft_list(s, user, &v, &n) != ST_OK)
		die("drafts", s);
	for (size_t i = 0; i < n; i++) {
		printf("%s", v[i].key);
		for (size_t j = 0; j < v[i].edit.n; j++)
			printf(" %s=%s", v[i].edit.fields[j].name,
			    v[i].edit.fields[j].value);
		printf("\n");
		draft_free(&v[i]);
	}
	free(v);
	store_close(s);
	return 0;
}

int
main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "init") == 0) {
		struct store *s = open_store(argv[2]);

		for (long i = 0; i < atol(argv[3]); i++)
			create(s, "counter");
		store_close(s);
		return 0;
	}
	if (argc == 6 && strcmp(argv[1], "counter") == 0)
		return cmd_counter(argv[2], atoi(argv[3]),
		    (uint32_t)atol(argv[4]), argv[5]);
	if (argc == 3 && strcmp(argv[1], "sum") == 0)
		return cmd_sum(argv[2]);
	if (argc == 4 && strcmp(argv[1], "writer") == 0)
		return cmd_writer(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "check") == 0)
		return cmd_check(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "stale") == 0)
		return cmd_stale(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "drafts") == 0)
		return cmd_drafts(argv[2], argv[3]);
	if (argc == 4 && strcmp(argv[1], "send") == 0)
		return cmd_send(argv[2], argv[3]);
	if (argc >= 4 && strcmp(argv[1], "raw") == 0)
		return cmd_raw(argv[2], argc - 3, argv + 3);
	if (argc == 3 && strcmp(argv[1], "touch") == 0) {
		double t0 = now_ms();
		struct store *s = open_store(argv[2]);

		create(s, "touch");
		store_close(s);
		printf("%.0f\n", now_ms() - t0);
		return 0;
	}
	fprintf(stderr, "usage: see the comment at the top of stress.c\n");
	return 64;
}
