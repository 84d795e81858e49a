/* store-admin.c - verify, checkpoint, backup, restore and statistics. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool
is_store_file(const char *name)
{
	size_t n = strlen(name);

	return (n > 3 && strcmp(name + n - 3, ".db") == 0) ||
	    (n > 4 && strcmp(name + n - 4, ".idx") == 0);
}

static int
verify_files(struct store *s, struct verify_report *rep)
{
	DIR *d = opendir(s->home);
	struct dirent *de;
	int ret;

	if (d == NULL)
		return st_fail(s, ST_IO, "%s: %s", s->home, strerror(errno));
	/* Verification reads the files themselves: flush the cache first. */
	s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE);
	while ((de = readdir(d)) != NULL) {
		DB *db;

		if (!is_store_file(de->d_name))
			continue;
		if (db_create(&db, s->env, 0) != 0)
			continue;
		free(s->err);
		s->err = NULL;
		ret = db->verify(db, de->d_name, NULL, NULL, 0);
		rep->checked++;
		if (ret != 0)
			strv_pushf(&rep->problems, "%s: structure: %s%s%s",
			    de->d_name, db_strerror(ret), s->err ? ": " : "",
			    s->err ? s->err : "");
	}
	closedir(d);
	free(s->err);
	s->err = NULL;
	return ST_OK;
}

static bool
index_has(struct store_index *ix, const struct buf *key, uint32_t id)
{
	unsigned char kb[4];
	DBT k, d;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key->data;
	k.size = (u_int32_t)key->len;
	st_key_u32(kb, id);
	if (ix->unique) {
		d.flags = DB_DBT_MALLOC;
		if (ix->raw->get(ix->raw, NULL, &k, &d, 0) != 0)
			return false;
		bool ok = d.size == 4 && memcmp(d.data, kb, 4) == 0;
		free(d.data);
		return ok;
	}
	d.data = kb;
	d.size = 4;
	return ix->raw->get(ix->raw, NULL, &k, &d, DB_GET_BOTH) == 0;
}

static char *
printable_key(const struct buf *key)
{
	char *text = xstrndup(key->data, strnlen(key->data, key->len));
	char *shown = utf8_sanitize(text);

	free(text);
	return shown;
}

struct verify_walk {
	struct store *store;
	struct store_entity *se;
	struct verify_report *rep;
	size_t *expected;	/* index entries per index */
};

static void
verify_references(struct verify_walk *w, const struct record *r)
{
	const struct entity *e = w->se->entity;

	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *v = record_get(r, f->name);
		struct record target;
		unsigned long id;

		if (f->type != FT_REF || *v == '\0')
			continue;
		id = strtoul(v, NULL, 10);
		if (id == 0 || id > UINT32_MAX || store_get(w->store, NULL,
		    f->ref_entity, (uint32_t)id, &target) != ST_OK) {
			strv_pushf(&w->rep->problems, "%s %u: %s refers to "
			    "missing %s %s", e->name, r->id, f->name, f->ref, v);
			continue;
		}
		record_free(&target);
	}
}

static int
verify_record(const struct record *r, void *arg)
{
	struct verify_walk *w = arg;

	w->rep->checked++;
	for (size_t i = 0; i < w->se->nindexes; i++) {
		struct store_index *ix = &w->se->indexes[i];
		struct keyset ks;

		st_index_keys(ix, r, &ks);
		w->expected[i] += ks.n;
		for (size_t j = 0; j < ks.n; j++) {
			char *shown;

			if (index_has(ix, &ks.v[j], r->id))
				continue;
			shown = printable_key(&ks.v[j]);
			strv_pushf(&w->rep->problems, "%s: %s %u is missing "
			    "under key '%s'", ix->name, w->se->entity->name,
			    r->id, shown);
			free(shown);
		}
		keyset_free(&ks);
	}
	verify_references(w, r);
	return 0;
}

/* Entries in the index that no record gives: counted, then found. */
static void
verify_index_extra(struct verify_walk *w, struct store_index *ix,
    size_t expected)
{
	size_t actual = 0;
	DBT k, d;
	DBC *c;

	if (ix->raw->cursor(ix->raw, NULL, &c, 0) != 0)
		return;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while (c->get(c, &k, &d, DB_NEXT) == 0) {
		struct record r;
		struct keyset ks;
		bool found = false;
		uint32_t id;

		actual++;
		if (d.size != 4) {
			strv_pushf(&w->rep->problems, "%s: damaged entry",
			    ix->name);
			continue;
		}
		id = st_u32_key(d.data);
		if (store_get(w->store, NULL, w->se->entity, id, &r) != ST_OK) {
			strv_pushf(&w->rep->problems, "%s: entry for missing "
			    "%s %u", ix->name, w->se->entity->name, id);
			continue;
		}
		st_index_keys(ix, &r, &ks);
		for (size_t j = 0; j < ks.n && !found; j++)
			found = ks.v[j].len == k.size &&
			    memcmp(ks.v[j].data, k.data, k.size) == 0;
		if (!found)
			strv_pushf(&w->rep->problems, "%s: stale entry for %s "
			    "%u", ix->name, w->se->entity->name, id);
		keyset_free(&ks);
		record_free(&r);
	}
	c->close(c);
	if (actual != expected && w->rep->problems.n == 0)
		strv_pushf(&w->rep->problems, "%s: %zu entries, %zu expected",
		    ix->name, actual, expected);
}

int
store_verify(struct store *s, struct verify_report *rep)
{
	int rc;

	strv_init(&rep->problems);
	rep->checked = 0;
	if ((rc = verify_files(s, rep)) != ST_OK)
		return rc;
	st_audit_verify(s, rep);
	for (size_t i = 0; i < s->nentities; i++) {
		struct verify_walk w = { s, &s->entities[i], rep, NULL };

		w.expected = xcalloc(w.se->nindexes + 1, sizeof *w.expected);
		rc = store_each(s, NULL, w.se->entity, verify_record, &w);
		for (size_t j = 0; j < w.se->nindexes && rc == ST_OK; j++)
			verify_index_extra(&w, &w.se->indexes[j], w.expected[j]);
		free(w.expected);
		if (rc != ST_OK)
			return rc;
	}
	return ST_OK;
}

int
store_checkpoint(struct store *s, size_t *removed)
{
	char **list = NULL;
	int ret;

	*removed = 0;
	ret = s->env->txn_checkpoint(s->env, 0, 0, DB_FORCE);
	if (ret != 0)
		return st_dberr(s, ret, "checkpoint");
	ret = s->env->log_archive(s->env, &list, 0);
	if (ret != 0)
		return st_dberr(s, ret, "log_archive");
	if (list != NULL) {
		for (char **p = list; *p != NULL; p++)
			(*removed)++;
		free(list);
	}
	ret = s->env->log_archive(s->env, NULL, DB_ARCH_REMOVE);
	return st_dberr(s, ret, "log_archive");
}

static int
copy_file(const char *from, const char *to)
{
	char chunk[65536];
	ssize_t n;
	int in, out, rc = 0;

	if ((in = open(from, O_RDONLY)) < 0)
		return -1;
	if ((out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0600)) < 0) {
		close(in);
		return -1;
	}
	while ((n = read(in, chunk, sizeof chunk)) > 0) {
		if (write(out, chunk, (size_t)n) != n) {
			rc = -1;
			break;
		}
	}
	if (n < 0 || fsync(out) != 0)
		rc = -1;
	close(in);
	if (close(out) != 0)
		rc = -1;
	return rc;
}

static bool
dir_empty_or_backup(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	bool empty = true, backup = false;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		empty = false;
		backup = backup || strcmp(de->d_name, "meta.db") == 0;
	}
	closedir(d);
	return empty || backup;
}

int
store_backup(struct store *s, const char *dir)
{
	char *from, *to;
	int ret;

	if (mkdir(dir, 0700) != 0 && errno != EEXIST)
		return st_fail(s, ST_IO, "%s: %s", dir, strerror(errno));
	/* DB_BACKUP_CLEAN empties the target: only ever a former backup. */
	if (!dir_empty_or_backup(dir))
		return st_fail(s, ST_EXISTS, "%s is not empty and holds no "
		    "earlier backup: refusing to overwrite it", dir);
	/* A hot backup: database pages first, then every log file, so
	 * catastrophic recovery at restore makes the copy consistent. */
	ret = s->env->backup(s->env, dir, DB_CREATE | DB_BACKUP_CLEAN);
	if (ret != 0)
		return st_dberr(s, ret, dir);
	from = xasprintf("%s/DB_CONFIG", s->home);
	to = xasprintf("%s/DB_CONFIG", dir);
	if (access(from, R_OK) == 0)
		copy_file(from, to);
	free(from);
	free(to);
	return ST_OK;
}

static bool
home_in_use(const char *home)
{
	DIR *d = opendir(home);
	struct dirent *de;
	bool used = false;

	if (d == NULL)
		return false;
	while ((de = readdir(d)) != NULL && !used)
		used = is_store_file(de->d_name);
	closedir(d);
	return used;
}

int
store_restore(const char *backup, const char *home, char **err)
{
	DIR *d = opendir(backup);
	struct dirent *de;
	DB_ENV *env;
	int ret;

	*err = NULL;
	if (d == NULL) {
		*err = xasprintf("%s: %s", backup, strerror(errno));
		return ST_NOTFOUND;
	}
	if (home_in_use(home)) {
		closedir(d);
		*err = xasprintf("%s already holds a database: restore into "
		    "a new directory, then move it into place", home);
		return ST_EXISTS;
	}
	if (mkdir(home, 0700) != 0 && errno != EEXIST) {
		closedir(d);
		*err = xasprintf("%s: %s", home, strerror(errno));
		return ST_IO;
	}
	while ((de = readdir(d)) != NULL) {
		char *from, *to;

		if (de->d_name[0] == '.' || strncmp(de->d_name, "__db", 4) == 0)
			continue;
		from = xasprintf("%s/%s", backup, de->d_name);
		to = xasprintf("%s/%s", home, de->d_name);
		ret = copy_file(from, to);
		if (ret != 0 && *err == NULL)
			*err = xasprintf("%s: %s", to, strerror(errno));
		free(from);
		free(to);
	}
	closedir(d);
	if (*err != NULL)
		return ST_IO;
	if ((ret = db_env_create(&env, 0)) != 0) {
		*err = xstrdup(db_strerror(ret));
		return ST_IO;
	}
	ret = env->open(env, home, DB_CREATE | DB_INIT_TXN | DB_INIT_LOCK |
	    DB_INIT_LOG | DB_INIT_MPOOL | DB_RECOVER_FATAL, 0600);
	if (ret != 0)
		*err = xasprintf("recovery of %s: %s", home, db_strerror(ret));
	env->close(env, 0);
	return ret == 0 ? ST_OK : ST_IO;
}

static void
stat_logs(struct store *s, struct buf *out)
{
	char **list = NULL;
	size_t n = 0;
	off_t bytes = 0;
	struct stat st;

	if (s->env->log_archive(s->env, &list, DB_ARCH_LOG | DB_ARCH_ABS) != 0)
		return;
	for (char **p = list; p != NULL && *p != NULL; p++, n++) {
		if (stat(*p, &st) == 0)
			bytes += st.st_size;
	}
	free(list);
	buf_printf(out, "log files\t%zu (%.1f MiB)\n", n,
	    (double)bytes / (1024 * 1024));
}

int
store_stat(struct store *s, struct buf *out)
{
	DB_LOCK_STAT *lk = NULL;
	DB_MPOOL_STAT *mp = NULL;
	DB_TXN_STAT *tx = NULL;

	buf_printf(out, "environment\t%s\n", s->home);
	for (size_t i = 0; i < s->nentities; i++) {
		struct store_entity *se = &s->entities[i];

		buf_printf(out, "%s\t%zu records, %zu indexes\n",
		    se->entity->name, store_count(s, se->entity), se->nindexes);
	}
	stat_logs(s, out);
	if (s->env->lock_stat(s->env, &lk, 0) == 0) {
		buf_printf(out, "locks\t%lu in use, %lu at most, limit %lu\n",
		    (unsigned long)lk->st_nlocks, (unsigned long)lk->st_maxnlocks,
		    (unsigned long)lk->st_maxlocks);
		buf_printf(out, "deadlocks\t%lu\n",
		    (unsigned long)lk->st_ndeadlocks);
		free(lk);
	}
	if (s->env->memp_stat(s->env, &mp, NULL, 0) == 0) {
		double hits = (double)mp->st_cache_hit;
		double all = hits + (double)mp->st_cache_miss;

		buf_printf(out, "cache\t%.0f MiB, %.1f%% hits\n",
		    ((double)mp->st_gbytes * 1024 + (double)mp->st_bytes /
		    (1024 * 1024)), all > 0 ? 100 * hits / all : 100.0);
		free(mp);
	}
	if (s->env->txn_stat(s->env, &tx, 0) == 0) {
		buf_printf(out, "transactions\t%lu committed, %lu aborted, "
		    "%lu active\n", (unsigned long)tx->st_ncommits,
		    (unsigned long)tx->st_naborts, (unsigned long)tx->st_nactive);
		free(tx);
	}
	return ST_OK;
}
