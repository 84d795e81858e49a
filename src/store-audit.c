/* store-audit.c - the audit trail: one record per create, update and
 * delete, written in the transaction of the change itself.
 *
 * Keys are time, process id and a counter, so concurrent writers never
 * contend for a shared sequence. A second database maps entity and id to
 * the audit keys of that record's history. A third files, under an
 * import's id, the first and last audit keys of each of its transactions
 * (one entry per batch, not per row: a per-row entry cost a tenth of a
 * bulk load); an environment written before keeps one key per entry.
 */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#define AUDIT_KEY_SIZE 16
/* Audit records are compact, like records: a format byte, the time, who,
 * what, which record and version, the import, then (field, old, new). */
#define AUDIT_FORMAT 0xA1
/* An import's creates of fresh ids in one transaction, first..last: one
 * record for the batch, where one a row was a tenth of a bulk load. Fresh
 * ids only grow, so these ranges never overlap and one lookup in
 * audit-create.idx (entity, first id -> audit key, last id) finds the
 * range holding an id. */
#define AUDIT_FORMAT_CREATES 0xA2

int
st_audit_open(struct store *s, DB_TXN *tid)
{
	int ret;

	if ((ret = db_create(&s->audit, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	ret = s->audit->open(s->audit, tid, "audit.db", NULL, DB_BTREE,
	    DB_CREATE, s->mode);
	if (ret != 0)
		return st_dberr(s, ret, "audit.db");
	if ((ret = db_create(&s->audit_by_record, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	s->audit_by_record->set_flags(s->audit_by_record, DB_DUP | DB_DUPSORT);
	ret = s->audit_by_record->open(s->audit_by_record, tid,
	    "audit-record.idx", NULL, DB_BTREE, DB_CREATE, s->mode);
	if (ret != 0)
		return st_dberr(s, ret, "audit-record.idx");
	if ((ret = db_create(&s->audit_by_import, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	s->audit_by_import->set_flags(s->audit_by_import, DB_DUP | DB_DUPSORT);
	ret = s->audit_by_import->open(s->audit_by_import, tid,
	    "audit-import.idx", NULL, DB_BTREE, DB_CREATE, s->mode);
	if (ret != 0)
		return st_dberr(s, ret, "audit-import.idx");
	if ((ret = db_create(&s->audit_creates, s->env, 0)) != 0)
		return st_dberr(s, ret, "audit");
	ret = s->audit_creates->open(s->audit_creates, tid,
	    "audit-create.idx", NULL, DB_BTREE, DB_CREATE, s->mode);
	return st_dberr(s, ret, "audit-create.idx");
}

static void
audit_key(struct store *s, unsigned char key[AUDIT_KEY_SIZE], int64_t *t)
{
	struct timeval tv;
	uint64_t us;

	/* Ordered by the real time; stamped with tcrm's clock (TCRM_NOW). */
	gettimeofday(&tv, NULL);
	us = (uint64_t)tv.tv_sec * 1000000 + (uint64_t)tv.tv_usec;
	*t = clock_now_us();
	for (int i = 0; i < 8; i++)
		key[i] = (unsigned char)(us >> (56 - 8 * i));
	st_key_u32(key + 8, (uint32_t)s->pid);
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

/* A record's key in the audit's indexes, as a DBT over rk. */
static void
record_key_dbt(struct buf *rk, DBT *k, const char *entity, uint32_t id)
{
	buf_init(rk);
	record_key(rk, entity, id);
	memset(k, 0, sizeof *k);
	k->data = rk->data;
	k->size = (u_int32_t)rk->len;
}

/* Every field of either side that differs, each once. */
static void
audit_changes(const struct record *old, const struct record *new,
    struct buf *b)
{
	const struct record *sides[] = { old, new };
	size_t n = 0;
	struct buf list;

	buf_init(&list);
	for (int side = 0; side < 2; side++) {
		const struct record *r = sides[side];

		if (r == NULL)
			continue;
		for (size_t i = 0; i < r->n; i++) {
			const char *name = r->fields[i].name;
			const char *x = old ? record_get(old, name) : "";
			const char *y = new ? record_get(new, name) : "";

			if (side == 1 && old != NULL && *record_get(old, name))
				continue;
			if (strcmp(x, y) == 0)
				continue;
			codec_put_string(&list, name);
			codec_put_string(&list, x);
			codec_put_string(&list, y);
			n++;
		}
	}
	codec_put_varint(b, n);
	buf_add(b, list.data, list.len);
	buf_free(&list);
}

static void
creates_reset(struct store *s)
{
	free(s->creates_entity);
	free(s->creates_import);
	s->creates_entity = s->creates_import = NULL;
}

void
st_audit_begin(struct store *s)
{
	free(s->span_import);
	s->span_import = NULL;
	creates_reset(s);
}

static int span_note(struct store *, DB_TXN *, const unsigned char *);

/* Write the pending range of creates as one record. */
static int
creates_flush(struct store *s, DB_TXN *tid)
{
	unsigned char ck[AUDIT_KEY_SIZE + 4];
	struct buf doc, rk;
	char *import_id, *creates_import;
	DBT k, d;
	int ret, rc;

	if (s->creates_entity == NULL)
		return ST_OK;
	buf_init(&doc);
	buf_addc(&doc, (char)AUDIT_FORMAT_CREATES);
	codec_put_varint(&doc, (uint64_t)s->creates_time);
	codec_put_string(&doc, s->user);
	codec_put_string(&doc, s->creates_entity);
	codec_put_varint(&doc, s->creates_first);
	codec_put_varint(&doc, s->creates_last);
	codec_put_string(&doc, s->creates_import);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = s->creates_key;
	k.size = AUDIT_KEY_SIZE;
	d.data = doc.data;
	d.size = (u_int32_t)doc.len;
	ret = s->audit->put(s->audit, tid, &k, &d, 0);
	buf_free(&doc);
	if (ret != 0)
		return st_dberr(s, ret, "audit");
	record_key_dbt(&rk, &k, s->creates_entity, s->creates_first);
	memcpy(ck, s->creates_key, AUDIT_KEY_SIZE);
	st_key_u32(ck + AUDIT_KEY_SIZE, s->creates_last);
	d.data = ck;
	d.size = sizeof ck;
	ret = s->audit_creates->put(s->audit_creates, tid, &k, &d, 0);
	buf_free(&rk);
	if (ret != 0)
		return st_dberr(s, ret, "audit");
	/* The span is that of the import that made the creates; nothing is
	 * pending any more should span_note flush. */
	creates_import = s->creates_import;
	s->creates_import = NULL;
	creates_reset(s);
	import_id = s->import_id;
	s->import_id = creates_import;
	rc = span_note(s, tid, ck);
	s->import_id = import_id;
	free(creates_import);
	return rc;
}

/* An import's create of a fresh id joins the pending range when it
 * follows it; its audit key is the range's, taken at its first create,
 * so later changes in the same transaction sort after it. */
int
st_audit_import_create(struct store *s, DB_TXN *tid, const struct entity *e,
    uint32_t id)
{
	int rc;

	if (s->creates_entity != NULL &&
	    (strcmp(s->creates_entity, e->name) != 0 ||
	    strcmp(s->creates_import, s->import_id) != 0 ||
	    id != s->creates_last + 1) && (rc = creates_flush(s, tid)) != ST_OK)
		return rc;
	if (s->creates_entity == NULL) {
		s->creates_entity = xstrdup(e->name);
		s->creates_import = xstrdup(s->import_id);
		s->creates_first = id;
		audit_key(s, s->creates_key, &s->creates_time);
	}
	s->creates_last = id;
	return ST_OK;
}

/* File the transaction's span under its import: 16 bytes of first key,
 * 16 of last. */
int
st_audit_flush(struct store *s, DB_TXN *tid)
{
	unsigned char span[2 * AUDIT_KEY_SIZE];
	DBT k, d;
	int ret, rc;

	if ((rc = creates_flush(s, tid)) != ST_OK)
		return rc;
	if (s->span_import == NULL)
		return ST_OK;
	memcpy(span, s->span_lo, AUDIT_KEY_SIZE);
	memcpy(span + AUDIT_KEY_SIZE, s->span_hi, AUDIT_KEY_SIZE);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = s->span_import;
	k.size = (u_int32_t)strlen(s->span_import);
	d.data = span;
	d.size = sizeof span;
	ret = s->audit_by_import->put(s->audit_by_import, tid, &k, &d, 0);
	st_audit_begin(s);
	return st_dberr(s, ret, "audit");
}

/* The clock can step back within a transaction: keep the least and the
 * greatest key, not the first and the last written. */
static int
span_note(struct store *s, DB_TXN *tid, const unsigned char *key)
{
	int rc;

	if (s->span_import != NULL && strcmp(s->span_import, s->import_id)) {
		if ((rc = st_audit_flush(s, tid)) != ST_OK)
			return rc;
	}
	if (s->span_import == NULL) {
		s->span_import = xstrdup(s->import_id);
		memcpy(s->span_lo, key, AUDIT_KEY_SIZE);
		memcpy(s->span_hi, key, AUDIT_KEY_SIZE);
		return ST_OK;
	}
	if (memcmp(key, s->span_lo, AUDIT_KEY_SIZE) < 0)
		memcpy(s->span_lo, key, AUDIT_KEY_SIZE);
	if (memcmp(key, s->span_hi, AUDIT_KEY_SIZE) > 0)
		memcpy(s->span_hi, key, AUDIT_KEY_SIZE);
	return ST_OK;
}

static int
audit_put(struct store *s, DB_TXN *tid, unsigned char key[AUDIT_KEY_SIZE],
    const char *entity, uint32_t id, const struct buf *doc)
{
	struct buf rk;
	DBT k, d;
	int ret;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key;
	k.size = AUDIT_KEY_SIZE;
	d.data = doc->data;
	d.size = (u_int32_t)doc->len;
	ret = s->audit->put(s->audit, tid, &k, &d, 0);
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
	if (ret == 0 && s->import_id != NULL)
		return span_note(s, tid, key);
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

static int
creates_decode(struct codec *c, struct audit *a)
{
	uint64_t t, first, last;

	if (codec_get_varint(c, &t) != 0 ||
	    codec_get_string(c, &a->user) != 0 ||
	    codec_get_string(c, &a->entity) != 0 ||
	    codec_get_varint(c, &first) != 0 ||
	    codec_get_varint(c, &last) != 0 ||
	    codec_get_string(c, &a->import_id) != 0 ||
	    first == 0 || last < first || last > UINT32_MAX) {
		audit_free(a);
		return -1;
	}
	a->time = (int64_t)t;
	a->action = xstrdup("create");
	a->id = (uint32_t)first;
	a->last = (uint32_t)last;
	a->version = 1;
	a->changes = xcalloc(1, sizeof *a->changes);
	return 0;
}

static int
audit_decode(const void *key, const void *data, size_t size, struct audit *a)
{
	struct codec c = { data, (const unsigned char *)data + size };
	uint64_t t, id, version, n;

	memset(a, 0, sizeof *a);
	for (int b = 0; b < 8; b++)
		a->seq = a->seq << 8 | ((const unsigned char *)key)[b];
	if (size >= 1 && *c.p == AUDIT_FORMAT_CREATES) {
		c.p++;
		return creates_decode(&c, a);
	}
	if (size < 1 || *c.p++ != AUDIT_FORMAT ||
	    codec_get_varint(&c, &t) != 0 ||
	    codec_get_string(&c, &a->user) != 0 ||
	    codec_get_string(&c, &a->action) != 0 ||
	    codec_get_string(&c, &a->entity) != 0 ||
	    codec_get_varint(&c, &id) != 0 ||
	    codec_get_varint(&c, &version) != 0 ||
	    codec_get_string(&c, &a->import_id) != 0 ||
	    codec_get_varint(&c, &n) != 0 || n > size)
		goto bad;
	a->time = (int64_t)t;
	a->id = (uint32_t)id;
	a->version = (uint32_t)version;
	if (*a->import_id == '\0') {
		free(a->import_id);
		a->import_id = NULL;
	}
	a->changes = xcalloc(n ? n : 1, sizeof *a->changes);
	for (; a->nchanges < n; a->nchanges++) {
		struct change *ch = &a->changes[a->nchanges];

		if (codec_get_string(&c, &ch->field) != 0 ||
		    codec_get_string(&c, &ch->old) != 0 ||
		    codec_get_string(&c, &ch->new) != 0) {
			a->nchanges++;
			goto bad;
		}
	}
	return 0;
bad:
	audit_free(a);
	return -1;
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

/* Close a walk's cursor; its last get's failure is the walk's unless
 * the walk failed first or just ran out. */
static int
walk_end(struct store *s, DBC *c, int ret, int rc)
{
	c->close(c);
	if (rc == ST_OK && ret != 0 && ret != DB_NOTFOUND)
		rc = st_dberr(s, ret, "audit");
	return rc;
}

/* One create of a range of creates. */
static void
audit_one_of(const struct audit *range, uint32_t id, struct audit *a)
{
	memset(a, 0, sizeof *a);
	a->seq = range->seq;
	a->time = range->time;
	a->user = xstrdup(range->user);
	a->action = xstrdup(range->action);
	a->entity = xstrdup(range->entity);
	a->id = id;
	a->version = range->version;
	a->import_id = range->import_id ? xstrdup(range->import_id) : NULL;
	a->changes = xcalloc(1, sizeof *a->changes);
}

/* The range of creates that holds id, if there is one: the range with
 * the greatest first id not above it. */
static int
creates_find(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    struct audit *a, bool *found)
{
	unsigned char akey[AUDIT_KEY_SIZE];
	struct buf rk;
	uint32_t first = 0, last = 0;
	DBT k, d;
	DBC *c;
	int ret, rc = ST_OK;

	*found = false;
	if ((ret = s->audit_creates->cursor(s->audit_creates, tid, &c, 0)) !=
	    0)
		return st_dberr(s, ret, "audit");
	record_key_dbt(&rk, &k, entity, id);
	memset(&d, 0, sizeof d);
	ret = c->get(c, &k, &d, DB_SET_RANGE);
	if (ret == 0 && (k.size != rk.len || memcmp(k.data, rk.data, rk.len)))
		ret = c->get(c, &k, &d, DB_PREV);
	else if (ret == DB_NOTFOUND)
		ret = c->get(c, &k, &d, DB_LAST);
	if (ret == 0 && k.size == rk.len && d.size == AUDIT_KEY_SIZE + 4 &&
	    memcmp(k.data, rk.data, rk.len - 4) == 0) {
		first = st_u32_key((const unsigned char *)k.data + rk.len - 4);
		last = st_u32_key((const unsigned char *)d.data +
		    AUDIT_KEY_SIZE);
		memcpy(akey, d.data, AUDIT_KEY_SIZE);
	}
	buf_free(&rk);
	rc = walk_end(s, c, ret, rc);
	if (rc != ST_OK || first == 0 || id < first || id > last)
		return rc;
	DBT ak = { .data = akey, .size = AUDIT_KEY_SIZE };
	struct audit range;

	if ((rc = audit_fetch(s, tid, &ak, &range)) != ST_OK)
		return rc;
	audit_one_of(&range, id, a);
	audit_free(&range);
	*found = true;
	return ST_OK;
}

static bool
is_bare_create(const struct audit *a)
{
	return strcmp(a->action, "create") == 0 && a->nchanges == 0;
}

static void
state_reset(struct record *state)
{
	record_free(state);
	record_init(state);
}

static void
create_take_state(struct audit *a, const struct record *state)
{
	a->changes = xcalloc(state->n ? state->n : 1, sizeof *a->changes);
	for (size_t i = 0; i < state->n; i++) {
		struct change *c;

		if (*state->fields[i].value == '\0')
			continue;
		c = &a->changes[a->nchanges++];
		c->field = xstrdup(state->fields[i].name);
		c->old = xstrdup("");
		c->new = xstrdup(state->fields[i].value);
	}
}

/* A create is written without its values: they are the record's own,
 * and writing them a second time cost a fifth of a bulk load. They are
 * worked out when read: the record as it is now (or as its delete left
 * it), with every later change undone, newest first. v is one record's
 * whole history, oldest first. */
static int
creates_fill(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    struct audit *v, size_t n)
{
	const struct entity *e = forms_entity(s->forms, entity);
	struct record state;
	bool need = false, deleted = false;
	int64_t created = 0;
	int rc = ST_OK;

	for (size_t i = 0; i < n; i++) {
		need |= is_bare_create(&v[i]);
		deleted |= strcmp(v[i].action, "delete") == 0;
	}
	if (!need)
		return ST_OK;
	record_init(&state);
	if (e != NULL) {
		rc = store_get(s, &(struct txn){ tid }, e, id, &state);
		if (rc == ST_NOTFOUND) {
			state_reset(&state);
			rc = ST_OK;
		}
		created = state.created;
	}
	/* A batch of creates has one audit record, stamped when the batch
	 * began: the record itself says when it was made. */
	if (n > 0 && is_bare_create(&v[0]) && !deleted && created != 0)
		v[0].time = created;
	for (size_t i = n; i-- > 0 && rc == ST_OK;) {
		struct audit *a = &v[i];

		if (strcmp(a->action, "delete") == 0)
			state_reset(&state);
		if (strcmp(a->action, "delete") == 0 ||
		    strcmp(a->action, "update") == 0) {
			for (size_t j = 0; j < a->nchanges; j++)
				record_set(&state, a->changes[j].field,
				    a->changes[j].old);
		} else if (strcmp(a->action, "create") == 0) {
			if (a->nchanges == 0) {
				free(a->changes);
				create_take_state(a, &state);
			}
			state_reset(&state);
		}
	}
	record_free(&state);
	return rc;
}

/* One record's history, oldest first, creates filled in. */
static int
record_history(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    struct audit **out, size_t *nout)
{
	struct audit *v = NULL;
	size_t n = 0, size = 0;
	struct buf rk;
	DBT k, d;
	DBC *c;
	int ret, rc = ST_OK;

	*out = NULL;
	*nout = 0;
	record_key_dbt(&rk, &k, entity, id);
	memset(&d, 0, sizeof d);
	if ((ret = s->audit_by_record->cursor(s->audit_by_record, tid, &c,
	    0)) != 0) {
		buf_free(&rk);
		return st_dberr(s, ret, "audit");
	}
	for (ret = c->get(c, &k, &d, DB_SET); ret == 0 && rc == ST_OK;
	    ret = c->get(c, &k, &d, DB_NEXT_DUP)) {
		DBT ak = { .data = d.data, .size = d.size };

		if (n == size) {
			size = size ? size * 2 : 8;
			v = xreallocarray(v, size, sizeof *v);
		}
		if ((rc = audit_fetch(s, tid, &ak, &v[n])) == ST_OK)
			n++;
	}
	buf_free(&rk);
	rc = walk_end(s, c, ret, rc);
	if (rc == ST_OK) {
		struct audit created;
		bool found;

		/* Made by an import in a range: its first event. */
		rc = creates_find(s, tid, entity, id, &created, &found);
		if (rc == ST_OK && found) {
			v = xreallocarray(v, n + 1, sizeof *v);
			memmove(v + 1, v, n * sizeof *v);
			v[0] = created;
			n++;
		}
	}
	if (rc == ST_OK)
		rc = creates_fill(s, tid, entity, id, v, n);
	*out = v;
	*nout = n;
	return rc;
}

static void
audits_free(struct audit *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		audit_free(&v[i]);
	free(v);
}

/* A create met on its own (in the whole trail): its values from its
 * record's history. */
static int
create_fill_one(struct store *s, DB_TXN *tid, struct audit *a)
{
	struct audit *v;
	size_t n;
	int rc = record_history(s, tid, a->entity, a->id, &v, &n);

	for (size_t i = 0; i < n && rc == ST_OK; i++) {
		if (v[i].seq != a->seq || strcmp(v[i].action, "create") != 0)
			continue;
		free(a->changes);
		a->time = v[i].time;
		a->changes = v[i].changes;
		a->nchanges = v[i].nchanges;
		v[i].changes = NULL;
		v[i].nchanges = 0;
		break;
	}
	audits_free(v, n);
	return rc;
}

/* Each create of a range, newest first, with its values if fill. */
static int
range_each(struct store *s, DB_TXN *tid, const struct audit *range, bool fill,
    store_audit_fn fn, void *arg, int *stop)
{
	int rc = ST_OK;

	for (uint32_t id = range->last; *stop == 0 && rc == ST_OK; id--) {
		struct audit a;

		audit_one_of(range, id, &a);
		if (fill)
			rc = create_fill_one(s, tid, &a);
		if (rc == ST_OK)
			*stop = fn(&a, arg);
		audit_free(&a);
		if (id == range->id)
			break;
	}
	return rc;
}

/* One record's history, oldest first, or the whole trail, newest first
 * (a caller wants the last few, and a create costs a record's history to
 * fill in). */
static int
audit_walk(struct store *s, DB_TXN *tid, const char *entity, uint32_t id,
    store_audit_fn fn, void *arg)
{
	struct audit *v, a;
	size_t n;
	DBT k, d;
	DBC *c;
	int ret, rc, stop = 0;

	if (entity != NULL) {
		rc = record_history(s, tid, entity, id, &v, &n);
		for (size_t i = 0; i < n && rc == ST_OK && stop == 0; i++)
			stop = fn(&v[i], arg);
		audits_free(v, n);
		return rc;
	}
	if ((ret = s->audit->cursor(s->audit, tid, &c, 0)) != 0)
		return st_dberr(s, ret, "audit");
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	rc = ST_OK;
	for (ret = c->get(c, &k, &d, DB_LAST); ret == 0 && stop == 0 &&
	    rc == ST_OK; ret = c->get(c, &k, &d, DB_PREV)) {
		if (audit_decode(k.data, d.data, d.size, &a) != 0) {
			rc = st_fail(s, ST_IO, "damaged audit record");
			break;
		}
		if (a.last != 0) {
			rc = range_each(s, tid, &a, true, fn, arg, &stop);
			audit_free(&a);
			continue;
		}
		if (is_bare_create(&a))
			rc = create_fill_one(s, tid, &a);
		if (rc == ST_OK)
			stop = fn(&a, arg);
		audit_free(&a);
	}
	return walk_end(s, c, ret, rc);
}

/* One span, newest first: the audit records between its keys that this
 * import's process wrote (others may have written in between). */
static int
span_walk(struct store *s, DB_TXN *tid, const char *import_id,
    const unsigned char *span, store_audit_fn fn, void *arg, int *stop)
{
	const unsigned char *lo = span, *hi = span + AUDIT_KEY_SIZE;
	struct audit a;
	DBT k, d;
	DBC *c;
	int ret, rc = ST_OK;

	if ((ret = s->audit->cursor(s->audit, tid, &c, 0)) != 0)
		return st_dberr(s, ret, "audit");
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)hi;
	k.size = AUDIT_KEY_SIZE;
	ret = c->get(c, &k, &d, DB_SET);
	for (; ret == 0 && *stop == 0 && rc == ST_OK;
	    ret = c->get(c, &k, &d, DB_PREV)) {
		if (k.size != AUDIT_KEY_SIZE ||
		    memcmp(k.data, lo, AUDIT_KEY_SIZE) < 0)
			break;
		if (memcmp((const unsigned char *)k.data + 8, lo + 8, 4) != 0)
			continue;	/* another process */
		if (audit_decode(k.data, d.data, d.size, &a) != 0) {
			rc = st_fail(s, ST_IO, "damaged audit record");
			break;
		}
		if (a.import_id != NULL && strcmp(a.import_id, import_id) == 0) {
			if (a.last != 0)
				rc = range_each(s, tid, &a, false, fn, arg, stop);
			else
				*stop = fn(&a, arg);
		}
		audit_free(&a);
	}
	return walk_end(s, c, ret, rc);
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
		if (d.size == 2 * AUDIT_KEY_SIZE) {
			rc = span_walk(s, st_tid(t), import_id, d.data, fn, arg,
			    &stop);
			continue;
		}
		DBT ak = { .data = d.data, .size = d.size };

		if ((rc = audit_fetch(s, st_tid(t), &ak, &a)) != ST_OK)
			break;
		if (a.last != 0)
			rc = range_each(s, st_tid(t), &a, false, fn, arg, &stop);
		else
			stop = fn(&a, arg);
		audit_free(&a);
	}
	return walk_end(s, c, ret, rc);
}

int
st_audit_write(struct store *s, DB_TXN *tid, const char *action,
    const struct entity *e, const struct record *old,
    const struct record *new)
{
	const struct record *r = new ? new : old;
	unsigned char key[AUDIT_KEY_SIZE];
	struct buf doc;
	int64_t t;
	int rc;

	audit_key(s, key, &t);
	buf_init(&doc);
	buf_addc(&doc, (char)AUDIT_FORMAT);
	codec_put_varint(&doc, (uint64_t)t);
	codec_put_string(&doc, s->user);
	codec_put_string(&doc, action);
	codec_put_string(&doc, e->name);
	codec_put_varint(&doc, r->id);
	codec_put_varint(&doc, r->version);
	codec_put_string(&doc, s->import_id ? s->import_id : "");
	if (strcmp(action, "create") == 0)
		codec_put_varint(&doc, 0);	/* see creates_fill */
	else
		audit_changes(old, new, &doc);
	rc = audit_put(s, tid, key, e->name, r->id, &doc);
	buf_free(&doc);
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

/* --- db verify --- */

struct audit_check {
	struct store *store;
	struct verify_report *rep;
	size_t records, ranges;	/* entries each index should hold */
};

static bool
audit_has(struct store *s, const void *key, size_t size)
{
	DBT k = { .data = (void *)key, .size = (u_int32_t)size };
	DBT d = { .flags = DB_DBT_PARTIAL };

	return s->audit->get(s->audit, NULL, &k, &d, 0) == 0;
}

static char *
audit_key_text(const unsigned char *key)
{
	uint64_t us = 0;

	for (int i = 0; i < 8; i++)
		us = us << 8 | key[i];
	return xasprintf("%llu.%06llu/%u/%u",
	    (unsigned long long)(us / 1000000),
	    (unsigned long long)(us % 1000000), st_u32_key(key + 8),
	    st_u32_key(key + 12));
}

/* Each audit record is filed where history looks for it: a range of
 * creates under (entity, first id) with its last id, any other record
 * under (entity, id). */
static void
audit_check_record(struct audit_check *ac, const DBT *k, const DBT *d)
{
	struct store *s = ac->store;
	struct audit a;
	struct buf rk;
	DBT ik, id;
	int ret;

	ac->rep->checked++;
	if (k->size != AUDIT_KEY_SIZE || audit_decode(k->data, d->data,
	    d->size, &a) != 0) {
		strv_pushf(&ac->rep->problems, "audit.db: damaged record");
		return;
	}
	record_key_dbt(&rk, &ik, a.entity, a.id);
	memset(&id, 0, sizeof id);
	if (a.last != 0) {
		unsigned char want[AUDIT_KEY_SIZE + 4];

		ac->ranges++;
		id.flags = DB_DBT_MALLOC;
		ret = s->audit_creates->get(s->audit_creates, NULL, &ik, &id,
		    0);
		memcpy(want, k->data, AUDIT_KEY_SIZE);
		st_key_u32(want + AUDIT_KEY_SIZE, a.last);
		if (ret != 0 || id.size != sizeof want ||
		    memcmp(id.data, want, sizeof want) != 0)
			strv_pushf(&ac->rep->problems, "audit-create.idx: the "
			    "creates of %s %u to %u are not filed", a.entity,
			    a.id, a.last);
		free(id.data);
	} else {
		ac->records++;
		id.data = k->data;
		id.size = AUDIT_KEY_SIZE;
		if (s->audit_by_record->get(s->audit_by_record, NULL, &ik,
		    &id, DB_GET_BOTH) != 0)
			strv_pushf(&ac->rep->problems, "audit-record.idx: "
			    "%s %u's %s is not filed", a.entity, a.id,
			    a.action);
	}
	buf_free(&rk);
	audit_free(&a);
}

typedef void (*entry_check)(struct audit_check *, const char *name,
    const DBT *, const DBT *, void *);

/* Entries of one of the audit's indexes: how many; check() looks at
 * each. */
static size_t
audit_index_walk(struct audit_check *ac, DB *db, const char *name,
    entry_check check, void *arg)
{
	size_t n = 0;
	DBT k, d;
	DBC *c;
	int ret;

	if (db->cursor(db, NULL, &c, 0) != 0)
		return 0;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		n++;
		if (d.size < AUDIT_KEY_SIZE)
			strv_pushf(&ac->rep->problems, "%s: damaged entry",
			    name);
		else
			check(ac, name, &k, &d, arg);
	}
	c->close(c);
	if (ret != DB_NOTFOUND)
		strv_pushf(&ac->rep->problems, "%s: %s", name,
		    db_strerror(ret));
	return n;
}

/* The entry's data begins with the key of an audit record there is. */
static void
check_points(struct audit_check *ac, const char *name, const DBT *k,
    const DBT *d, void *arg)
{
	(void)k;
	(void)arg;
	if (!audit_has(ac->store, d->data, AUDIT_KEY_SIZE)) {
		char *at = audit_key_text(d->data);

		strv_pushf(&ac->rep->problems, "%s: entry for missing audit "
		    "record %s", name, at);
		free(at);
	}
}

struct range_prev {
	struct buf entity;
	uint32_t last;
};

/* Ranges of one entity, in order of their first id, never overlap:
 * history finds an id's range as the one with the greatest first id
 * not above it. */
static void
check_range(struct audit_check *ac, const char *name, const DBT *k,
    const DBT *d, void *arg)
{
	struct range_prev *prev = arg;
	const unsigned char *kp = k->data;
	size_t elen = k->size >= 5 ? k->size - 4 : 0;
	uint32_t first, last;

	check_points(ac, name, k, d, NULL);
	if (elen == 0 || kp[elen - 1] != '\0' ||
	    d->size != AUDIT_KEY_SIZE + 4) {
		strv_pushf(&ac->rep->problems, "%s: damaged entry", name);
		return;
	}
	first = st_u32_key(kp + elen);
	last = st_u32_key((const unsigned char *)d->data + AUDIT_KEY_SIZE);
	if (prev->entity.len == elen && memcmp(prev->entity.data, kp,
	    elen) == 0 && first <= prev->last)
		strv_pushf(&ac->rep->problems, "%s: the creates of %s %u to "
		    "%u overlap those before", name, (const char *)kp, first,
		    last);
	prev->entity.len = 0;
	buf_add(&prev->entity, kp, elen);
	prev->last = last;
}

/* A span's first and last keys, in order, both of records there are. */
static void
check_span(struct audit_check *ac, const char *name, const DBT *k,
    const DBT *d, void *arg)
{
	const unsigned char *span = d->data;
	DBT hi = { .data = (void *)(span + AUDIT_KEY_SIZE),
	    .size = AUDIT_KEY_SIZE };

	if (d->size != 2 * AUDIT_KEY_SIZE || memcmp(span, span +
	    AUDIT_KEY_SIZE, AUDIT_KEY_SIZE) > 0) {
		strv_pushf(&ac->rep->problems, "%s: damaged entry", name);
		return;
	}
	check_points(ac, name, k, d, arg);
	check_points(ac, name, k, &hi, arg);
}

static void
count_check(struct audit_check *ac, const char *name, size_t have,
    size_t want)
{
	if (have != want)
		strv_pushf(&ac->rep->problems, "%s: %zu entries, %zu expected",
		    name, have, want);
}

void
st_audit_verify(struct store *s, struct verify_report *rep)
{
	struct audit_check ac = { s, rep, 0, 0 };
	struct range_prev prev;
	size_t n;
	DBT k, d;
	DBC *c;
	int ret;

	if (s->audit->cursor(s->audit, NULL, &c, 0) != 0)
		return;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0)
		audit_check_record(&ac, &k, &d);
	c->close(c);
	if (ret != DB_NOTFOUND)
		strv_pushf(&rep->problems, "audit.db: %s", db_strerror(ret));
	n = audit_index_walk(&ac, s->audit_by_record, "audit-record.idx",
	    check_points, NULL);
	count_check(&ac, "audit-record.idx", n, ac.records);
	buf_init(&prev.entity);
	prev.last = 0;
	n = audit_index_walk(&ac, s->audit_creates, "audit-create.idx",
	    check_range, &prev);
	buf_free(&prev.entity);
	count_check(&ac, "audit-create.idx", n, ac.ranges);
	audit_index_walk(&ac, s->audit_by_import, "audit-import.idx",
	    check_span, NULL);
}
