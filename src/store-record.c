/* store-record.c - create, read, update and delete records, with the
 * form's rules (required, unique, references, versions) and the audit
 * record written in the same transaction. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

static int64_t
now_us(void)
{
	return clock_now_us();
}

static void
dbt_u32(DBT *dbt, unsigned char buf[4], uint32_t id)
{
	memset(dbt, 0, sizeof *dbt);
	st_key_u32(buf, id);
	dbt->data = buf;
	dbt->size = 4;
}

static int
primary_get(struct store *s, DB_TXN *tid, struct store_entity *se,
    uint32_t id, struct record *r, u_int32_t flags)
{
	unsigned char kb[4];
	DBT k, d;
	int ret;

	dbt_u32(&k, kb, id);
	memset(&d, 0, sizeof d);
	d.flags = DB_DBT_MALLOC;
	ret = se->primary->get(se->primary, tid, &k, &d, flags);
	if (ret == DB_NOTFOUND)
		return st_fail(s, ST_NOTFOUND, _("%s %u does not exist"),
		    entity_word(se->entity), id);
	if (ret != 0)
		return st_dberr(s, ret, se->entity->name);
	ret = record_decode(d.data, d.size, r);
	free(d.data);
	if (ret != 0)
		return st_fail(s, ST_IO, "%s %u: damaged record",
		    se->entity->name, id);
	r->id = id;
	return ST_OK;
}

int
store_get(struct store *s, struct txn *t, const struct entity *e,
    uint32_t id, struct record *r)
{
	struct store_entity *se = st_entity(s, e);

	record_init(r);
	return primary_get(s, st_tid(t), se, id, r, 0);
}

int
store_get_for_update(struct store *s, struct txn *t, const struct entity *e,
    uint32_t id, struct record *r)
{
	struct store_entity *se = st_entity(s, e);

	record_init(r);
	return primary_get(s, st_tid(t), se, id, r, t != NULL ? DB_RMW : 0);
}

/* The id sequence of an entity is read once per transaction (with a
 * write lock) and written back once, just before the commit: a batch of
 * creates costs two sequence operations, not two per record. */
static int
seq_load(struct store *s, DB_TXN *tid, struct store_entity *se)
{
	char *key;
	struct buf val;
	int rc;

	if (se->seq_loaded)
		return ST_OK;
	key = xasprintf("seq:%s", se->entity->name);
	buf_init(&val);
	rc = st_meta_get(s, tid, key, &val, DB_RMW);
	if (rc == ST_NOTFOUND) {
		se->seq_next = 1;
		rc = ST_OK;
	} else if (rc == ST_OK && val.len == 4)
		se->seq_next = st_u32_key(val.data);
	else if (rc == ST_OK)
		rc = st_fail(s, ST_IO, "%s: damaged sequence", key);
	se->seq_loaded = rc == ST_OK;
	buf_free(&val);
	free(key);
	return rc;
}

void
st_seq_reset(struct store *s)
{
	for (size_t i = 0; i < s->nentities; i++)
		s->entities[i].seq_loaded = s->entities[i].seq_dirty = false;
}

int
st_seq_flush(struct store *s, DB_TXN *tid)
{
	int rc = ST_OK;

	for (size_t i = 0; i < s->nentities && rc == ST_OK; i++) {
		struct store_entity *se = &s->entities[i];
		unsigned char next[4];
		char *key;

		if (!se->seq_dirty)
			continue;
		key = xasprintf("seq:%s", se->entity->name);
		st_key_u32(next, se->seq_next);
		rc = st_meta_put(s, tid, key, next, 4);
		se->seq_dirty = false;
		free(key);
	}
	return rc;
}

static int
next_id(struct store *s, DB_TXN *tid, struct store_entity *se, uint32_t *id)
{
	int rc = seq_load(s, tid, se);

	if (rc == ST_OK) {
		*id = se->seq_next++;
		se->seq_dirty = true;
	}
	return rc;
}

/* A preset id (an export imported back keeps its ids, so references
 * still meet): free, and the sequence moves past it. */
static int
claim_id(struct store *s, DB_TXN *tid, struct store_entity *se, uint32_t id)
{
	struct record old;
	int rc;

	rc = primary_get(s, tid, se, id, &old, DB_RMW);
	if (rc == ST_OK) {
		record_free(&old);
		return st_fail(s, ST_EXISTS, _("%s %u already exists"),
		    entity_word(se->entity), id);
	}
	if (rc != ST_NOTFOUND || (rc = seq_load(s, tid, se)) != ST_OK)
		return rc;
	if (se->seq_next <= id) {
		se->seq_next = id + 1;
		se->seq_dirty = true;
	}
	return ST_OK;
}

static int
check_required(struct store *s, const struct entity *e,
    const struct record *r)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];

		const struct enum_value *ev;

		if (f->required && *record_get(r, f->name) == '\0')
			return st_fail(s, ST_INVALID, _("%s: a value is required"),
			    field_word(f));
		if (f->type != FT_ENUM ||
		    (ev = field_enum_value(f, record_get(r, f->name))) == NULL)
			continue;
		for (size_t j = 0; j < ev->requires.n; j++) {
			const char *need = ev->requires.v[j];
			const struct field *nf = entity_field(e, need);

			if (*record_get(r, need) == '\0')
				return st_fail(s, ST_INVALID, _("%s: %s requires "
				    "%s"), field_word(f), enum_word(f, ev->value),
				    nf ? field_word(nf) : need);
		}
	}
	return ST_OK;
}

/* An enum whose old value declares a flow may only move along it. */
static int
check_flow(struct store *s, const struct entity *e, const struct record *old,
    const struct record *r)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *from = record_get(old, f->name);
		const char *to = record_get(r, f->name);
		const struct enum_value *ev;
		struct strv words;
		char *allowed;
		int rc;

		if (f->type != FT_ENUM || strcmp(from, to) == 0 ||
		    (ev = field_enum_value(f, from)) == NULL || !ev->has_next)
			continue;
		if (*to == '\0')
			continue;	/* required or not is checked apart */
		bool ok = false;
		for (size_t j = 0; j < ev->next.n; j++)
			ok |= strcmp(ev->next.v[j], to) == 0;
		if (ok)
			continue;
		strv_init(&words);
		for (size_t j = 0; j < ev->next.n; j++)
			strv_push(&words, enum_word(f, ev->next.v[j]));
		allowed = strv_join(&words, ", ");
		strv_free(&words);
		rc = st_fail(s, ST_INVALID, _("%s: %s cannot go to %s (from %s: "
		    "%s)"), field_word(f), enum_word(f, from), enum_word(f, to),
		    enum_word(f, from), *allowed ? allowed : _("nowhere"));
		free(allowed);
		return rc;
	}
	return ST_OK;
}

static bool
is_ticket(const struct entity *e)
{
	return strcmp(e->name, "ticket") == 0;
}

static bool
changed(const struct record *old, const struct record *new,
    const char *field)
{
	return old == NULL || strcmp(record_get(old, field),
	    record_get(new, field)) != 0;
}

static int
check_references(struct store *s, DB_TXN *tid, const struct entity *e,
    const struct record *old, const struct record *r)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *v;
		struct store_entity *target;
		struct record ref;
		unsigned long id;
		char *end;
		int rc;

		if (f->type != FT_REF)
			continue;
		v = record_get(r, f->name);
		if (*v == '\0' || !changed(old, r, f->name))
			continue;
		errno = 0;
		id = strtoul(v, &end, 10);
		if (*end != '\0' || id == 0 || id > UINT32_MAX || errno != 0)
			return st_fail(s, ST_INVALID, _("%s: '%s' is not a record "
			    "id"), field_word(f), v);
		target = st_entity(s, f->ref_entity);
		rc = primary_get(s, tid, target, (uint32_t)id, &ref, 0);
		if (rc == ST_NOTFOUND)
			return st_fail(s, ST_INVALID, _("%s: %s %lu does not exist"),
			    field_word(f), entity_word(f->ref_entity), id);
		if (rc != ST_OK)
			return rc;
		record_free(&ref);
	}
	return ST_OK;
}

static int
unique_holder(struct store *s, DB_TXN *tid, struct store_index *ix,
    const struct buf *key, uint32_t self, uint32_t *holder)
{
	DBT k, d;
	int ret;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key->data;
	k.size = (u_int32_t)key->len;
	d.flags = DB_DBT_MALLOC;
	ret = ix->raw->get(ix->raw, tid, &k, &d, 0);
	if (ret == DB_NOTFOUND)
		return ST_NOTFOUND;
	if (ret != 0)
		return st_dberr(s, ret, ix->name);
	*holder = d.size == 4 ? st_u32_key(d.data) : 0;
	free(d.data);
	return *holder == self ? ST_NOTFOUND : ST_OK;
}

/* Look each unique key up first: a duplicate in a unique secondary makes
 * the put fail with a bare EINVAL, and the user needs to know who holds
 * the value. */
static int
check_unique(struct store *s, DB_TXN *tid, struct store_entity *se,
    const struct record *old, const struct record *r)
{
	for (size_t i = 0; i < se->nindexes; i++) {
		struct store_index *ix = &se->indexes[i];
		struct keyset ks;
		struct record other;
		uint32_t holder = 0;
		int rc = ST_NOTFOUND;

		if (!ix->unique || !changed(old, r, ix->field->name))
			continue;
		st_index_keys(ix, r, &ks);
		for (size_t j = 0; j < ks.n && rc == ST_NOTFOUND; j++)
			rc = unique_holder(s, tid, ix, &ks.v[j], r->id, &holder);
		keyset_free(&ks);
		if (rc == ST_NOTFOUND)
			continue;
		if (rc != ST_OK)
			return rc;
		rc = primary_get(s, tid, se, holder, &other, 0);
		if (rc != ST_OK && rc != ST_NOTFOUND)
			return rc;
		rc = st_fail(s, ST_EXISTS, _("%s '%s' already belongs to %s %u "
		    "(%s)"), field_word(ix->field),
		    record_get(r, ix->field->name), entity_word(se->entity),
		    holder, se->entity->title ?
		    record_get(&other, se->entity->title) : "");
		record_free(&other);
		return rc;
	}
	return ST_OK;
}

static void
apply_defaults(const struct entity *e, struct record *r)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		char *out = NULL, *why = NULL;

		if (f->def == NULL || *record_get(r, f->name) != '\0')
			continue;
		if (field_normalise(f, f->def, &out, &why) == 0)
			record_set(r, f->name, out);
		free(out);
		free(why);
	}
}

static int
primary_put(struct store *s, DB_TXN *tid, struct store_entity *se,
    const struct record *r, u_int32_t flags)
{
	unsigned char kb[4];
	struct buf val;
	DBT k, d;
	int ret;

	dbt_u32(&k, kb, r->id);
	buf_init(&val);
	record_encode(r, &val);
	memset(&d, 0, sizeof d);
	d.data = val.data;
	d.size = (u_int32_t)val.len;
	st_index_putting(r, val.data, val.len);
	ret = se->primary->put(se->primary, tid, &k, &d, flags);
	st_index_putting(NULL, NULL, 0);
	buf_free(&val);
	if (ret == EINVAL)
		return st_fail(s, ST_EXISTS, _("%s %u: a unique value is already "
		    "taken"), entity_word(se->entity), r->id);
	return st_dberr(s, ret, se->entity->name);
}

static void
set_writer(struct store *s, struct record *r)
{
	free(r->updated_by);
	r->updated_by = xstrdup(s->user);
	r->updated = now_us();
}

int
store_create(struct store *s, struct txn *t, const struct entity *e,
    struct record *r)
{
	struct store_entity *se = st_entity(s, e);
	DB_TXN *tid = st_tid(t);
	bool fresh = r->id == 0;	/* the sequence gives it one */
	int rc;

	apply_defaults(e, r);
	if ((rc = check_required(s, e, r)) != ST_OK ||
	    (rc = check_references(s, tid, e, NULL, r)) != ST_OK ||
	    (rc = r->id ? claim_id(s, tid, se, r->id) :
	    next_id(s, tid, se, &r->id)) != ST_OK)
		return rc;
	r->version = 1;
	set_writer(s, r);
	r->created = r->updated;
	free(r->created_by);
	r->created_by = xstrdup(s->user);
	if (is_ticket(e) && (rc = st_ticket_prepare(s, t, NULL, r)) != ST_OK)
		return rc;
	/* Unique values are looked up only when the put says one is taken:
	 * the common case costs no extra reads. The caller aborts. */
	rc = primary_put(s, tid, se, r, DB_NOOVERWRITE);
	if (rc == ST_EXISTS && check_unique(s, tid, se, NULL, r) != ST_OK)
		return ST_EXISTS;
	if (rc != ST_OK)
		return rc;
	if (fresh && s->import_id != NULL)
		return st_audit_import_create(s, tid, e, r->id);
	return st_audit_write(s, tid, "create", e, NULL, r);
}

static int
conflict(struct store *s, DB_TXN *tid, const struct entity *e,
    const struct record *cur, uint32_t since)
{
	struct strv fields, users;
	char *f, *u;
	int rc;

	if (since > cur->version)
		return st_fail(s, ST_CONFLICT, _("%s %u has no version %u yet "
		    "(now version %u)"), entity_word(e), cur->id, since,
		    cur->version);
	strv_init(&fields);
	strv_init(&users);
	rc = st_changed_since(s, tid, e, cur->id, since, &fields, &users);
	if (rc != ST_OK)
		return rc;
	f = strv_join(&fields, ", ");
	u = strv_join(&users, ", ");
	rc = st_fail(s, ST_CONFLICT, _("%s %u changed since version %u (now "
	    "version %u): %s changed by %s"), entity_word(e), cur->id, since,
	    cur->version, *f ? f : _("(deleted fields)"), *u ? u : _("someone"));
	free(f);
	free(u);
	strv_free(&fields);
	strv_free(&users);
	return rc;
}

static bool
same_fields(const struct record *a, const struct record *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++) {
		if (strcmp(a->fields[i].value,
		    record_get(b, a->fields[i].name)) != 0)
			return false;
	}
	return true;
}

int
store_update(struct store *s, struct txn *t, const struct entity *e,
    struct record *r, uint32_t if_version)
{
	struct store_entity *se = st_entity(s, e);
	DB_TXN *tid = st_tid(t);
	struct record old;
	int rc;

	if ((rc = primary_get(s, tid, se, r->id, &old, DB_RMW)) != ST_OK)
		return rc;
	if (if_version != 0 && old.version != if_version) {
		rc = conflict(s, tid, e, &old, if_version);
		goto out;
	}
	if (same_fields(&old, r)) {
		uint32_t id = r->id;

		record_free(r);
		record_copy(r, &old);
		r->id = id;
		goto out;
	}
	if ((rc = check_flow(s, e, &old, r)) != ST_OK)
		goto out;
	r->created = old.created;
	if (is_ticket(e) && (rc = st_ticket_prepare(s, t, &old, r)) != ST_OK)
		goto out;
	if ((rc = check_required(s, e, r)) != ST_OK ||
	    (rc = check_references(s, tid, e, &old, r)) != ST_OK ||
	    (rc = check_unique(s, tid, se, &old, r)) != ST_OK)
		goto out;
	r->version = old.version + 1;
	r->created = old.created;
	free(r->created_by);
	r->created_by = xstrdup(old.created_by ? old.created_by : "");
	set_writer(s, r);
	if ((rc = primary_put(s, tid, se, r, 0)) == ST_OK)
		rc = st_audit_write(s, tid, "update", e, &old, r);
out:
	record_free(&old);
	return rc;
}

static struct store_index *
index_of(struct store *s, const struct field *f, bool want_exact)
{
	struct store_index *found = NULL;

	for (size_t i = 0; i < s->nentities; i++) {
		struct store_entity *se = &s->entities[i];

		for (size_t j = 0; j < se->nindexes; j++) {
			struct store_index *ix = &se->indexes[j];

			if (ix->field != f)
				continue;
			if (!want_exact || ix->kind != IX_PREFIX)
				return ix;
			found = ix;
		}
	}
	return found;
}

/* Keys to look a value up by: the index's own keys of a record holding
 * just that value (a prefix index matches the whole folded value). */
static void
lookup_keys(struct store_index *ix, const char *value, struct keyset *ks)
{
	struct record probe;

	record_init(&probe);
	record_set(&probe, ix->field->name, value);
	if (ix->kind == IX_PREFIX) {
		char *folded = utf8_fold(value);

		ks->v = xcalloc(1, sizeof *ks->v);
		ks->n = 1;
		buf_init(&ks->v[0]);
		buf_adds(&ks->v[0], folded ? folded : value);
		buf_addc(&ks->v[0], '\0');
		free(folded);
	} else
		st_index_keys(ix, &probe, ks);
	record_free(&probe);
}

/* FNV-1a of each index key store_lookup would look for: how a dry run
 * remembers the keys of rows it wrote and threw away. */
static void
value_keys(struct store *s, const struct field *f, const char *value,
    struct keyset *ks)
{
	struct store_index *ix = index_of(s, f, true);

	ks->v = NULL;
	ks->n = 0;
	if (ix != NULL)
		lookup_keys(ix, value, ks);
}

bool
store_values_meet(struct store *s, const struct field *f, const char *a,
    const char *b)
{
	struct keyset ka, kb;
	bool meet = false;

	value_keys(s, f, a, &ka);
	value_keys(s, f, b, &kb);
	for (size_t i = 0; i < ka.n && !meet; i++) {
		for (size_t j = 0; j < kb.n && !meet; j++)
			meet = ka.v[i].len == kb.v[j].len &&
			    memcmp(ka.v[i].data, kb.v[j].data, ka.v[i].len) == 0;
	}
	keyset_free(&ka);
	keyset_free(&kb);
	return meet;
}

size_t
store_key_hashes(struct store *s, const struct field *f, const char *value,
    uint64_t *out, size_t max)
{
	struct keyset ks;
	size_t n = 0;

	value_keys(s, f, value, &ks);
	for (size_t i = 0; i < ks.n && n < max; i++) {
		const unsigned char *p = (const unsigned char *)ks.v[i].data;
		uint64_t h = 1469598103934665603ULL ^ (uint64_t)(uintptr_t)f;

		for (size_t j = 0; j < ks.v[i].len; j++)
			h = (h ^ p[j]) * 1099511628211ULL;
		out[n++] = h;
	}
	keyset_free(&ks);
	return n;
}

static int
lookup_ids(struct store *s, struct txn *t, const struct field *f,
    const char *value, uint32_t *ids, size_t max, size_t *n,
    u_int32_t rmw)
{
	struct store_index *ix = index_of(s, f, true);
	struct keyset ks;
	DBT k, d;
	DBC *c;
	int ret = DB_NOTFOUND;

	*n = 0;
	if (ix == NULL)
		return st_fail(s, ST_INVALID, "%s is not indexed: it cannot "
		    "be a key", f->name);
	lookup_keys(ix, value, &ks);
	if ((ret = ix->raw->cursor(ix->raw, st_tid(t), &c, 0)) != 0) {
		keyset_free(&ks);
		return st_dberr(s, ret, ix->name);
	}
	for (size_t i = 0; i < ks.n && *n < max; i++) {
		size_t plen = ks.v[i].len;

		memset(&k, 0, sizeof k);
		memset(&d, 0, sizeof d);
		k.data = ks.v[i].data;
		k.size = (u_int32_t)plen;
		for (ret = c->get(c, &k, &d, (ix->kind == IX_PREFIX ?
		    DB_SET_RANGE : DB_SET) | rmw); ret == 0 && *n < max;
		    ret = c->get(c, &k, &d, (ix->kind == IX_PREFIX ? DB_NEXT :
		    DB_NEXT_DUP) | rmw)) {
			bool dup = false;

			if (k.size < plen || memcmp(k.data, ks.v[i].data, plen))
				break;
			if (d.size != 4)
				continue;
			for (size_t j = 0; j < *n; j++)
				dup = dup || ids[j] == st_u32_key(d.data);
			if (!dup)
				ids[(*n)++] = st_u32_key(d.data);
		}
		if (ret != 0 && ret != DB_NOTFOUND)
			break;
	}
	c->close(c);
	keyset_free(&ks);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, ix->name);
	return ST_OK;
}

int
store_lookup(struct store *s, struct txn *t, const struct field *f,
    const char *value, uint32_t *ids, size_t max, size_t *n)
{
	return lookup_ids(s, t, f, value, ids, max, n, 0);
}

int
store_lookup_for_update(struct store *s, struct txn *t,
    const struct field *f, const char *value, uint32_t *ids, size_t max,
    size_t *n)
{
	return lookup_ids(s, t, f, value, ids, max, n, t != NULL ? DB_RMW : 0);
}

int
store_referrers(struct store *s, struct txn *t, const struct field *f,
    uint32_t id, uint32_t **ids, size_t *n)
{
	struct store_index *ix;
	unsigned char kb[4];
	DBT k, d;
	DBC *c;
	int ret;

	*ids = NULL;
	*n = 0;
	if ((ix = index_of(s, f, false)) == NULL)
		return st_fail(s, ST_IO, "%s: no reverse index", f->name);
	if ((ret = ix->raw->cursor(ix->raw, st_tid(t), &c, 0)) != 0)
		return st_dberr(s, ret, ix->name);
	dbt_u32(&k, kb, id);
	memset(&d, 0, sizeof d);
	for (ret = c->get(c, &k, &d, DB_SET); ret == 0;
	    ret = c->get(c, &k, &d, DB_NEXT_DUP)) {
		if (d.size != 4)
			continue;
		*ids = xreallocarray(*ids, *n + 1, sizeof **ids);
		(*ids)[(*n)++] = st_u32_key(d.data);
	}
	c->close(c);
	if (ret != DB_NOTFOUND) {
		free(*ids);
		*ids = NULL;
		*n = 0;
		return st_dberr(s, ret, ix->name);
	}
	return ST_OK;
}

static int delete_record(struct store *, struct txn *, struct store_entity *,
    uint32_t, uint32_t, int);

/* Apply each referencing field's delete policy before the record goes. */
static int
delete_referrers(struct store *s, struct txn *t, const struct entity *e,
    uint32_t id, int depth)
{
	for (size_t i = 0; i < s->nentities; i++) {
		struct store_entity *from = &s->entities[i];

		for (size_t j = 0; j < from->entity->nfields; j++) {
			const struct field *f = &from->entity->fields[j];
			uint32_t *ids;
			size_t n;
			int rc;

			if (f->type != FT_REF || f->ref_entity != e)
				continue;
			if ((rc = store_referrers(s, t, f, id, &ids, &n)) != ST_OK)
				return rc;
			for (size_t k = 0; k < n && rc == ST_OK; k++) {
				struct record r;

				switch (f->on_delete) {
				case REF_RESTRICT:
					rc = st_fail(s, ST_RESTRICT, ngettext(
					    "%s %u is still referenced by %zu "
					    "%s record (first: %s %u)",
					    "%s %u is still referenced by %zu "
					    "%s records (first: %s %u)", n),
					    entity_word(e), id, n,
					    entity_word(from->entity),
					    entity_word(from->entity), ids[0]);
					break;
				case REF_CASCADE:
					rc = delete_record(s, t, from, ids[k], 0,
					    depth + 1);
					break;
				case REF_SET_EMPTY:
					rc = primary_get(s, st_tid(t), from,
					    ids[k], &r, DB_RMW);
					if (rc != ST_OK)
						break;
					record_set(&r, f->name, "");
					rc = store_update(s, t, from->entity, &r,
					    0);
					record_free(&r);
					break;
				}
			}
			free(ids);
			if (rc != ST_OK)
				return rc;
		}
	}
	return ST_OK;
}

static int
delete_record(struct store *s, struct txn *t, struct store_entity *se,
    uint32_t id, uint32_t if_version, int depth)
{
	DB_TXN *tid = st_tid(t);
	unsigned char kb[4];
	struct record old;
	DBT k;
	int rc, ret;

	if (depth > 16)
		return st_fail(s, ST_RESTRICT, _("%s %u: references nest too "
		    "deep to delete"), entity_word(se->entity), id);
	if ((rc = primary_get(s, tid, se, id, &old, DB_RMW)) != ST_OK)
		return rc;
	if (if_version != 0 && old.version != if_version) {
		rc = conflict(s, tid, se->entity, &old, if_version);
		goto out;
	}
	if ((rc = delete_referrers(s, t, se->entity, id, depth)) != ST_OK)
		goto out;
	dbt_u32(&k, kb, id);
	ret = se->primary->del(se->primary, tid, &k, 0);
	if ((rc = st_dberr(s, ret, se->entity->name)) == ST_OK) {
		old.version++;
		rc = st_audit_write(s, tid, "delete", se->entity, &old, NULL);
	}
out:
	record_free(&old);
	return rc;
}

int
store_delete(struct store *s, struct txn *t, const struct entity *e,
    uint32_t id, uint32_t if_version)
{
	return delete_record(s, t, st_entity(s, e), id, if_version, 0);
}

int
store_each(struct store *s, struct txn *t, const struct entity *e,
    store_each_fn fn, void *arg)
{
	struct store_entity *se = st_entity(s, e);
	struct record r;
	DBT k, d;
	DBC *c;
	int ret, stop = 0;

	if ((ret = se->primary->cursor(se->primary, st_tid(t), &c, 0)) != 0)
		return st_dberr(s, ret, e->name);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while (stop == 0 && (ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		if (k.size != 4 || record_decode(d.data, d.size, &r) != 0)
			continue;
		r.id = st_u32_key(k.data);
		stop = fn(&r, arg);
		record_free(&r);
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, e->name);
	return ST_OK;
}

int
store_scan(struct store *s, struct txn *t, const struct entity *e,
    uint32_t from, size_t max, store_each_fn fn, void *arg, uint32_t *next)
{
	struct store_entity *se = st_entity(s, e);
	unsigned char kb[4];
	struct record r;
	size_t n = 0;
	DBT k, d;
	DBC *c;
	int ret, stop = 0;

	*next = 0;
	if ((ret = se->primary->cursor(se->primary, st_tid(t), &c, 0)) != 0)
		return st_dberr(s, ret, e->name);
	dbt_u32(&k, kb, from);
	memset(&d, 0, sizeof d);
	for (ret = c->get(c, &k, &d, DB_SET_RANGE); ret == 0 && stop == 0;
	    ret = c->get(c, &k, &d, DB_NEXT)) {
		if (n == max) {
			*next = st_u32_key(k.data);
			break;
		}
		if (k.size != 4 || record_decode(d.data, d.size, &r) != 0)
			continue;
		r.id = st_u32_key(k.data);
		stop = fn(&r, arg);
		record_free(&r);
		n++;
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, e->name);
	return ST_OK;
}

size_t
store_count(struct store *s, const struct entity *e)
{
	struct store_entity *se = st_entity(s, e);
	DBT k, d;
	DBC *c;
	size_t n = 0;

	if (se->primary->cursor(se->primary, NULL, &c, DB_READ_COMMITTED) != 0)
		return 0;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	d.flags = DB_DBT_PARTIAL;
	while (c->get(c, &k, &d, DB_NEXT) == 0)
		n++;
	c->close(c);
	return n;
}
