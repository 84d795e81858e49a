/* store-audit.c - the audit trail: one JSON record per create, update and
 * delete, written in the transaction of the change itself.
 *
 * Keys are time, process id and a counter, so concurrent writers never
 * contend for a shared sequence. A second database maps entity and id to
 * the audit keys of that record's history.
 */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define AUDIT_KEY_SIZE 16

int
st_audit_open(struct store *s, DB_TXN *tid)
{
	int ret;

	if ((ret = db_create(&s->audit, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	ret = s->audit->open(s->audit, tid, "audit.db", NULL, DB_BTREE,
	    DB_CREATE, 0600);
	if (ret != 0)
		return st_dberr(s, ret, "audit.db");
	if ((ret = db_create(&s->audit_by_record, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	s->audit_by_record->set_flags(s->audit_by_record, DB_DUP | DB_DUPSORT);
	ret = s->audit_by_record->open(s->audit_by_record, tid,
	    "audit-record.idx", NULL, DB_BTREE, DB_CREATE, 0600);
	if (ret != 0)
		return st_dberr(s, ret, "audit-record.idx");
	if ((ret = db_create(&s->audit_by_import, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	s->audit_by_import->set_flags(s->audit_by_import, DB_DUP | DB_DUPSORT);
	ret = s->audit_by_import->open(s->audit_by_import, tid,
	    "audit-import.idx", NULL, DB_BTREE, DB_CREATE, 0600);
	return st_dberr(s, ret, "audit-import.idx");
}

static void
audit_key(struct store *s, unsigned char key[AUDIT_KEY_SIZE], int64_t *t)
{
	struct timeval tv;
	uint64_t us;

	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	*t = (int64_t)us;
	for (int i = 0; i < 8; i++)
		key[i] = (unsigned char)(us >> (56 - 8 * i));
	st_key_u32(key + 8, (uint32_t)getpid());
	st_key_u32(key + 12, s->audit_counter++);
}

static void
record_key(struct buf *b, const char *entity, uint32_t id)
{
	unsigned char k[4];

	buf_adds(b, entity);
	buf_addc(b, '\0');
	st_key_u32(k, id);
	buf_add(b, k, 4);
}

static json_t *
audit_changes(const struct record *old, const struct record *new)
{
	json_t *changes = json_array();
	const struct record *sides[] = { old, new };

	/* Every field of either side, each once. */
	for (int side = 0; side < 2; side++) {
		const struct record *r = sides[side];

		if (r == NULL)
			continue;
		for (size_t i = 0; i < r->n; i++) {
			const char *name = r->fields[i].name;
			const char *a = old ? record_get(old, name) : "";
			const char *b = new ? record_get(new, name) : "";

			if (side == 1 && old != NULL && *record_get(old, name))
				continue;
			if (strcmp(a, b) == 0)
				continue;
			json_array_append_new(changes, json_pack("[sss]", name,
			    a, b));
		}
	}
	return changes;
}

static int
audit_put(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    json_t *doc)
{
	unsigned char key[AUDIT_KEY_SIZE];
	struct buf rk;
	char *text;
	int64_t t;
	DBT k, d;
	int ret;

	audit_key(s, key, &t);
	json_object_set_new(doc, "t", json_integer(t));
	text = json_dumps(doc, JSON_COMPACT);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key;
	k.size = AUDIT_KEY_SIZE;
	d.data = text;
	d.size = (u_int32_t)strlen(text);
	ret = s->audit->put(s->audit, tid, &k, &d, 0);
	free(text);
	if (ret != 0)
		return st_dberr(s, ret, "audit");
	buf_init(&rk);
	record_key(&rk, entity, id);
	k.data = rk.data;
	k.size = (u_int32_t)rk.len;
	d.data = key;
	d.size = AUDIT_KEY_SIZE;
	ret = s->audit_by_record->put(s->audit_by_record, tid, &k, &d, 0);
	buf_free(&rk);
	if (ret == 0 && s->import_id != NULL) {
		k.data = s->import_id;
		k.size = (u_int32_t)strlen(s->import_id);
		ret = s->audit_by_import->put(s->audit_by_import, tid, &k, &d,
		    0);
	}
	return st_dberr(s, ret, "audit");
}

void
store_set_import(struct store *s, const char *import_id)
{
	free(s->import_id);
	s->import_id = import_id ? xstrdup(import_id) : NULL;
}

void
audit_free(struct audit *a)
{
	for (size_t i = 0; i < a->nchanges; i++) {
		free(a->changes[i].field);
		free(a->changes[i].old);
		free(a->changes[i].new);
	}
	free(a->changes);
	free(a->user);
	free(a->action);
	free(a->entity);
	free(a->import_id);
	memset(a, 0, sizeof *a);
}

static char *
json_strdup(json_t *doc, const char *key)
{
	const char *v = json_string_value(json_object_get(doc, key));

	return v ? xstrdup(v) : NULL;
}

static int
audit_decode(const void *key, const void *data, size_t size, struct audit *a)
{
	json_t *doc = json_loadb(data, size, 0, NULL), *c;
	size_t i;

	memset(a, 0, sizeof *a);
	if (doc == NULL)
		return -1;
	for (int b = 0; b < 8; b++)
		a->seq = a->seq << 8 | ((const unsigned char *)key)[b];
	a->time = json_integer_value(json_object_get(doc, "t"));
	a->user = json_strdup(doc, "u");
	a->action = json_strdup(doc, "a");
	a->entity = json_strdup(doc, "e");
	a->import_id = json_strdup(doc, "m");
	a->id = (uint32_t)json_integer_value(json_object_get(doc, "i"));
	a->version = (uint32_t)json_integer_value(json_object_get(doc, "v"));
	c = json_object_get(doc, "c");
	a->nchanges = json_array_size(c);
	a->changes = xcalloc(a->nchanges, sizeof *a->changes);
	for (i = 0; i < a->nchanges; i++) {
		json_t *ch = json_array_get(c, i);
		const char *parts[3];

		for (size_t j = 0; j < 3; j++) {
			parts[j] = json_string_value(json_array_get(ch, j));
			if (parts[j] == NULL)
				parts[j] = "";
		}
		a->changes[i].field = xstrdup(parts[0]);
		a->changes[i].old = xstrdup(parts[1]);
		a->changes[i].new = xstrdup(parts[2]);
	}
	json_decref(doc);
	if (a->user == NULL)
		a->user = xstrdup("");
	if (a->action == NULL)
		a->action = xstrdup("");
	if (a->entity == NULL)
		a->entity = xstrdup("");
	return 0;
}

static int
audit_fetch(struct store *s, DB_TXN *tid, const DBT *key, struct audit *a)
{
	DBT k, d;
	int ret;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key->data;
	k.size = key->size;
	d.flags = DB_DBT_MALLOC;
	ret = s->audit->get(s->audit, tid, &k, &d, 0);
	if (ret != 0)
		return st_dberr(s, ret, "audit");
	ret = audit_decode(k.data, d.data, d.size, a);
	free(d.data);
	return ret == 0 ? ST_OK : st_fail(s, ST_IO, "damaged audit record");
}

/* Walk one record's history (entity set) or all history. */
static int
audit_walk(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    store_audit_fn fn, void *arg)
{
	DB *db = entity ? s->audit_by_record : s->audit;
	struct buf rk;
	struct audit a;
	DBT k, d;
	DBC *c;
	int ret, rc = ST_OK, stop = 0;
	u_int32_t first = entity ? DB_SET : DB_FIRST;
	u_int32_t next = entity ? DB_NEXT_DUP : DB_NEXT;

	buf_init(&rk);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	if (entity != NULL) {
		record_key(&rk, entity, id);
		k.data = rk.data;
		k.size = (u_int32_t)rk.len;
	}
	if ((ret = db->cursor(db, tid, &c, 0)) != 0) {
		buf_free(&rk);
		return st_dberr(s, ret, "audit");
	}
	for (ret = c->get(c, &k, &d, first); ret == 0 && stop == 0 &&
	    rc == ST_OK; ret = c->get(c, &k, &d, next)) {
		if (entity != NULL) {
			DBT ak = { .data = d.data, .size = d.size };

			rc = audit_fetch(s, tid, &ak, &a);
		} else
			rc = audit_decode(k.data, d.data, d.size, &a) == 0 ?
			    ST_OK : st_fail(s, ST_IO, "damaged audit record");
		if (rc != ST_OK)
			break;
		stop = fn(&a, arg);
		audit_free(&a);
	}
	c->close(c);
	buf_free(&rk);
	if (rc == ST_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = st_dberr(s, ret, "audit");
	return rc;
}

/* Newest first, so a revert undoes later changes before earlier ones. */
int
store_import_audit(struct store *s, struct txn *t, const char *import_id,
    store_audit_fn fn, void *arg)
{
	DBT k, d;
	DBC *c;
	struct audit a;
	int ret, rc = ST_OK, stop = 0;

	if ((ret = s->audit_by_import->cursor(s->audit_by_import, st_tid(t), &c,
	    0)) != 0)
		return st_dberr(s, ret, "audit");
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)import_id;
	k.size = (u_int32_t)strlen(import_id);
	/* The last duplicate: step past the key, then back one. */
	ret = c->get(c, &k, &d, DB_SET);
	if (ret == 0) {
		ret = c->get(c, &k, &d, DB_NEXT_NODUP);
		if (ret == DB_NOTFOUND)
			ret = c->get(c, &k, &d, DB_LAST);
		else if (ret == 0)
			ret = c->get(c, &k, &d, DB_PREV);
	}
	for (; ret == 0 && stop == 0 && rc == ST_OK;
	    ret = c->get(c, &k, &d, DB_PREV_DUP)) {
		if (k.size != strlen(import_id) ||
		    memcmp(k.data, import_id, k.size) != 0)
			break;
		DBT ak = { .data = d.data, .size = d.size };

		if ((rc = audit_fetch(s, st_tid(t), &ak, &a)) != ST_OK)
			break;
		stop = fn(&a, arg);
		audit_free(&a);
	}
	c->close(c);
	if (rc == ST_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = st_dberr(s, ret, "audit");
	return rc;
}

int
st_audit_write(struct store *s, DB_TXN *tid, const char *action,
    const struct entity *e, const struct record *old,
    const struct record *new)
{
	const struct record *r = new ? new : old;
	json_t *doc;
	int rc;

	doc = json_pack("{s:s, s:s, s:s, s:i, s:i}", "u", s->user, "a", action,
	    "e", e->name, "i", (json_int_t)r->id, "v", (json_int_t)r->version);
	if (s->import_id != NULL)
		json_object_set_new(doc, "m", json_string(s->import_id));
	json_object_set_new(doc, "c", audit_changes(old, new));
	rc = audit_put(s, tid, e->name, r->id, doc);
	json_decref(doc);
	return rc;
}

struct history_run {
	const char *entity;
	uint32_t id;
	store_audit_fn fn;
	void *arg;
};

static int
history_txn(struct store *s, struct txn *t, void *arg)
{
	struct history_run *h = arg;

	return audit_walk(s, st_tid(t), h->entity, h->id, h->fn, h->arg);
}

int
store_history(struct store *s, const char *entity, uint32_t id,
    store_audit_fn fn, void *arg)
{
	struct history_run h = { entity, id, fn, arg };

	return store_run(s, history_txn, &h);
}

struct since {
	uint32_t version;
	struct strv *fields;
	struct strv *users;
};

static void
strv_add_once(struct strv *sv, const char *s)
{
	for (size_t i = 0; i < sv->n; i++) {
		if (strcmp(sv->v[i], s) == 0)
			return;
	}
	strv_push(sv, s);
}

static int
since_collect(const struct audit *a, void *arg)
{
	struct since *since = arg;

	if (a->version <= since->version)
		return 0;
	strv_add_once(since->users, a->user);
	for (size_t i = 0; i < a->nchanges; i++)
		strv_add_once(since->fields, a->changes[i].field);
	return 0;
}

int
st_changed_since(struct store *s, DB_TXN *tid, const struct entity *e,
    uint32_t id, uint32_t version, struct strv *fields, struct strv *users)
{
	struct since since = { version, fields, users };

	return audit_walk(s, tid, e->name, id, since_collect, &since);
}
