/* store-index.c - secondary indexes derived from the forms.
 *
 * Every index is a Berkeley DB secondary associated with its primary at
 * every open (callbacks live in code, so a process that skipped this would
 * leave the index stale). A second, unassociated handle on the same file
 * reads keys and primary ids directly for searches.
 */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* Bump when the key layout changes: indexes with an older signature are
 * rebuilt by the first process to open the environment. */
#define INDEX_LAYOUT 3

void
keyset_free(struct keyset *ks)
{
	for (size_t i = 0; i < ks->n; i++)
		buf_free(&ks->v[i]);
	free(ks->v);
	ks->v = NULL;
	ks->n = 0;
}

static void
keyset_add(struct keyset *ks, const void *p, size_t len)
{
	for (size_t i = 0; i < ks->n; i++) {
		if (ks->v[i].len == len && memcmp(ks->v[i].data, p, len) == 0)
			return;
	}
	ks->v = xreallocarray(ks->v, ks->n + 1, sizeof *ks->v);
	buf_init(&ks->v[ks->n]);
	buf_add(&ks->v[ks->n], p, len);
	ks->n++;
}

static const char *
default_country(void)
{
	const char *cc = getenv("TCRM_COUNTRY");

	return cc && *cc ? cc : "86";
}

static const struct field *
entity_first_of_type(const struct entity *e, enum field_type a,
    enum field_type b)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (e->fields[i].type == a || e->fields[i].type == b)
			return &e->fields[i];
	}
	return NULL;
}

static char *
peeked(const void *data, size_t size, const char *name, int *bad)
{
	const char *v;
	size_t len;
	int rc;

	if (name == NULL)
		return xstrdup("");
	rc = record_peek(data, size, name, &v, &len);
	if (rc < 0)
		*bad = -1;
	return rc == 0 ? xstrndup(v, len) : xstrdup("");
}

/* A search result row: the record's title, subtitle, phones and email,
 * read from its encoded bytes. Non-zero if the bytes are damaged. */
int
st_hit_from_bytes(const struct store_entity *se, uint32_t id,
    const void *data, size_t size, struct hit *h)
{
	const struct entity *e = se->entity;
	const struct field *ph = entity_first_of_type(e, FT_PHONES, FT_PHONE);
	const struct field *em = entity_first_of_type(e, FT_EMAIL, FT_EMAIL);
	int bad = 0;

	memset(h, 0, sizeof *h);
	h->entity = e;
	h->id = id;
	h->title = peeked(data, size, e->title, &bad);
	h->subtitle = peeked(data, size, e->subtitle, &bad);
	h->phones = peeked(data, size, ph ? ph->name : NULL, &bad);
	h->email = peeked(data, size, em ? em->name : NULL, &bad);
	return bad;
}

static bool
is_word_break(unsigned char c)
{
	return c == ' ' || c == '-' || c == '.' || c == ',' || c == '(' ||
	    c == ')' || c == '/' || c == '&' || c == '_' || c == '\'';
}

/* "Acme Trading Co., Ltd." is found by acme and trading; nobody searches
 * for ltd. */
static bool
is_legal_form(const char *word)
{
	static const char *forms[] = { "ltd", "co", "inc", "llc", "corp",
	    "gmbh", "plc", "limited", "company", "corporation", "sa", "ag",
	    "bv", "pty", "有限公司", "股份有限公司", "公司", NULL };

	for (size_t i = 0; forms[i] != NULL; i++) {
		size_t n = strlen(forms[i]);

		if (strncmp(word, forms[i], n) == 0 && (word[n] == '\0' ||
		    is_word_break((unsigned char)word[n])))
			return true;
	}
	return false;
}

/* A key for each word start: the folded value from there on, ended by a
 * NUL, so the whole value is also an exact key. Keys carry no result row:
 * a search reads the few records it shows, and keys this short keep the
 * index a fifth of the size, which is what a bulk load pays for. */
static void
prefix_keys(const char *value, struct keyset *ks)
{
	char *folded = utf8_fold(value);

	if (folded == NULL)
		folded = xstrdup(value);
	for (size_t i = 0; folded[i] != '\0'; i++) {
		if (i > 0 && !is_word_break((unsigned char)folded[i - 1]))
			continue;
		if (is_word_break((unsigned char)folded[i]))
			continue;
		if (i > 0 && is_legal_form(folded + i))
			continue;
		keyset_add(ks, folded + i, strlen(folded + i) + 1);
	}
	free(folded);
}

void
store_word_keys(const char *value, struct strv *words)
{
	struct keyset ks = { NULL, 0 };

	prefix_keys(value, &ks);
	for (size_t i = 0; i < ks.n; i++)
		strv_push(words, ks.v[i].data);	/* each ends with its NUL */
	keyset_free(&ks);
}

static void
phone_keys(const char *value, struct keyset *ks)
{
	struct strv items;
	struct phone ph;
	char key[PHONE_DIGITS_MAX + PHONE_EXT_MAX + 2];
	const char *why;

	strv_init(&items);
	strv_split(&items, value, "\n");
	for (size_t i = 0; i < items.n; i++) {
		if (phone_parse(items.v[i], default_country(), &ph, &why) != 0)
			continue;
		phone_key(&ph, key, sizeof key);
		keyset_add(ks, key, strlen(key));
	}
	strv_free(&items);
}

void
st_index_keys(const struct store_index *ix, const struct record *r,
    struct keyset *ks)
{
	const char *value = record_get(r, ix->field->name);
	unsigned char k[4];
	char *end, *folded;
	unsigned long id;

	ks->v = NULL;
	ks->n = 0;
	if (*value == '\0')
		return;
	switch (ix->kind) {
	case IX_PREFIX:
		prefix_keys(value, ks);
		break;
	case IX_PHONE:
		phone_keys(value, ks);
		break;
	case IX_REF:
		id = strtoul(value, &end, 10);
		if (*end == '\0' && id > 0 && id <= UINT32_MAX) {
			st_key_u32(k, (uint32_t)id);
			keyset_add(ks, k, 4);
		}
		break;
	default:
		folded = utf8_fold(value);
		if (folded == NULL)
			folded = xstrdup(value);
		keyset_add(ks, folded, strlen(folded));
		free(folded);
		break;
	}
}

/* The record a primary put is storing, and the bytes encoded from it:
 * its secondaries' callbacks read the record, not the bytes again. */
static _Thread_local const struct record *putting;
static _Thread_local const void *putting_bytes;
static _Thread_local size_t putting_size;

void
st_index_putting(const struct record *r, const void *bytes, size_t size)
{
	putting = r;
	putting_bytes = bytes;
	putting_size = size;
}

/* One put calls every secondary's callback with the same record: decode
 * it once. The bytes are compared, not just the pointer, since a buffer
 * can be reused for the next record. */
static const struct record *
decoded(const DBT *pkey, const DBT *pdata)
{
	static struct record r;
	static struct buf bytes;

	if (putting != NULL && pdata->data == putting_bytes &&
	    pdata->size == putting_size && st_u32_key(pkey->data) == putting->id)
		return putting;
	if (bytes.data != NULL && bytes.len == pdata->size &&
	    memcmp(bytes.data, pdata->data, pdata->size) == 0 &&
	    r.id == st_u32_key(pkey->data))
		return &r;
	record_free(&r);
	buf_reset(&bytes);
	if (record_decode(pdata->data, pdata->size, &r) != 0) {
		buf_free(&bytes);
		return NULL;
	}
	buf_add(&bytes, pdata->data, pdata->size);
	r.id = st_u32_key(pkey->data);
	return &r;
}

static int
index_callback(DB *sec, const DBT *pkey, const DBT *pdata, DBT *skey)
{
	const struct store_index *ix = sec->app_private;
	const struct record *r;
	struct keyset ks;
	DBT *multi;

	if (pkey->size != 4 || (r = decoded(pkey, pdata)) == NULL)
		return DB_DONOTINDEX;
	st_index_keys(ix, r, &ks);
	memset(skey, 0, sizeof *skey);
	if (ks.n == 0) {
		keyset_free(&ks);
		return DB_DONOTINDEX;
	}
	if (ks.n == 1) {
		skey->size = (u_int32_t)ks.v[0].len;
		skey->data = buf_detach(&ks.v[0]);
		skey->flags = DB_DBT_APPMALLOC;
		keyset_free(&ks);
		return 0;
	}
	multi = xcalloc(ks.n, sizeof *multi);
	for (size_t i = 0; i < ks.n; i++) {
		multi[i].size = (u_int32_t)ks.v[i].len;
		multi[i].data = buf_detach(&ks.v[i]);
		multi[i].flags = DB_DBT_APPMALLOC;
	}
	skey->data = multi;
	skey->size = (u_int32_t)ks.n;
	skey->flags = DB_DBT_MULTIPLE | DB_DBT_APPMALLOC;
	keyset_free(&ks);
	return 0;
}

int
st_meta_get(struct store *s, DB_TXN *tid, const char *key, struct buf *val,
    u_int32_t flags)
{
	DBT k, d;
	int ret;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	d.flags = DB_DBT_MALLOC;
	ret = s->meta->get(s->meta, tid, &k, &d, flags);
	if (ret != 0)
		return st_dberr(s, ret, key);
	buf_reset(val);
	buf_add(val, d.data, d.size);
	free(d.data);
	return ST_OK;
}

int
st_meta_put(struct store *s, DB_TXN *tid, const char *key, const void *val,
    size_t len)
{
	DBT k, d;

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	d.data = (void *)val;
	d.size = (u_int32_t)len;
	return st_dberr(s, s->meta->put(s->meta, tid, &k, &d, 0), key);
}

int
store_meta_get(struct store *s, struct txn *t, const char *key,
    struct buf *val)
{
	return st_meta_get(s, st_tid(t), key, val, t ? DB_RMW : 0);
}

int
store_meta_put(struct store *s, struct txn *t, const char *key,
    const char *value)
{
	return st_meta_put(s, st_tid(t), key, value, strlen(value));
}

int
store_meta_del(struct store *s, struct txn *t, const char *key)
{
	DBT k;
	int ret;

	memset(&k, 0, sizeof k);
	k.data = (void *)key;
	k.size = (u_int32_t)strlen(key);
	ret = s->meta->del(s->meta, st_tid(t), &k, 0);
	return ret == DB_NOTFOUND ? ST_OK : st_dberr(s, ret, key);
}

int
store_meta_each(struct store *s, struct txn *t, const char *prefix,
    int (*fn)(const char *, const char *, void *), void *arg)
{
	size_t plen = strlen(prefix);
	DBT k, d;
	DBC *c;
	int ret, stop = 0;

	if ((ret = s->meta->cursor(s->meta, st_tid(t), &c, 0)) != 0)
		return st_dberr(s, ret, "meta");
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)prefix;
	k.size = (u_int32_t)plen;
	for (ret = c->get(c, &k, &d, DB_SET_RANGE); ret == 0 && stop == 0;
	    ret = c->get(c, &k, &d, DB_NEXT)) {
		char *key, *value;

		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		key = xstrndup(k.data, k.size);
		value = xstrndup(d.data, d.size);
		stop = fn(key, value, arg);
		free(key);
		free(value);
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, "meta");
	return ST_OK;
}

static void
index_add(struct store_entity *se, const struct field *f,
    enum index_kind kind, bool unique, const char *suffix)
{
	struct store_index *ix;

	se->indexes = xreallocarray(se->indexes, se->nindexes + 1,
	    sizeof *se->indexes);
	ix = &se->indexes[se->nindexes++];
	memset(ix, 0, sizeof *ix);
	ix->name = xasprintf("%s.%s%s", se->entity->name, f->name, suffix);
	ix->field = f;
	ix->owner = se;
	ix->kind = kind;
	ix->unique = unique;
}

static void
index_plan(struct store_entity *se)
{
	const struct entity *e = se->entity;

	if (se->indexes != NULL)
		return;
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		enum index_kind kind = f->index;

		if (f->type == FT_PHONE || f->type == FT_PHONES)
			kind = IX_PHONE;
		else if (f->type == FT_REF)
			kind = IX_REF;
		else if (f->unique && kind == IX_NONE)
			kind = IX_EXACT;
		if (kind == IX_NONE)
			continue;
		if (f->unique && kind == IX_PREFIX) {
			index_add(se, f, IX_PREFIX, false, "");
			index_add(se, f, IX_EXACT, true, "!");
		} else
			index_add(se, f, kind, f->unique && kind == IX_EXACT, "");
	}
}

static char *
index_file(const struct store_index *ix)
{
	char *file = xasprintf("%s.idx", ix->name);

	for (char *p = file; *p != '\0'; p++) {
		if (*p == '!')
			*p = '+';
	}
	return file;
}

static bool
file_exists(const char *home, const char *file)
{
	char *path = xasprintf("%s/%s", home, file);
	struct stat st;
	bool yes = stat(path, &st) == 0;

	free(path);
	return yes;
}

static bool
primary_empty(DB *primary, DB_TXN *tid)
{
	DBC *c;
	DBT k, d;
	int ret;

	if (primary->cursor(primary, tid, &c, 0) != 0)
		return true;
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	d.flags = DB_DBT_PARTIAL;
	ret = c->get(c, &k, &d, DB_FIRST);
	c->close(c);
	return ret != 0;
}

static int
index_open_handle(struct store *s, struct store_index *ix, DB **dbp,
    const char *file, DB_TXN *tid, u_int32_t flags)
{
	int ret;

	if ((ret = db_create(dbp, s->env, 0)) != 0)
		return st_dberr(s, ret, ix->name);
	(*dbp)->app_private = ix;
	if (!ix->unique)
		(*dbp)->set_flags(*dbp, DB_DUP | DB_DUPSORT);
	(*dbp)->set_pagesize(*dbp, ST_PAGE_SIZE);
	ret = (*dbp)->open(*dbp, tid, file, NULL, DB_BTREE, flags,
	    s->mode);
	return st_dberr(s, ret, file);
}

static char *
index_signature(const struct store_index *ix)
{
	return xasprintf("%d/%d/%d", INDEX_LAYOUT, (int)ix->kind,
	    (int)ix->unique);
}

static int
index_check_signature(struct store *s, struct store_index *ix, DB_TXN *tid,
    bool created)
{
	char *key = xasprintf("index:%s", ix->name);
	char *sig = index_signature(ix);
	struct buf old;
	int rc;

	buf_init(&old);
	rc = st_meta_get(s, tid, key, &old, 0);
	ix->stale = false;
	if (rc == ST_NOTFOUND || created)
		rc = st_meta_put(s, tid, key, sig, strlen(sig));
	else if (rc == ST_OK && strcmp(old.data, sig) != 0)
		ix->stale = true;
	buf_free(&old);
	free(sig);
	free(key);
	return rc;
}

static int
index_open(struct store *s, struct store_index *ix, DB_TXN *tid)
{
	char *file = index_file(ix);
	bool existed = file_exists(s->home, file);
	u_int32_t build = 0;
	int rc, ret;

	rc = index_open_handle(s, ix, &ix->db, file, tid, DB_CREATE);
	if (rc != ST_OK)
		goto out;
	/* DB_CREATE walks the primary when the secondary is empty: only do
	 * that for a new index, or an optional field would cost a full scan
	 * at every open. */
	if (!existed && !primary_empty(ix->owner->primary, tid)) {
		build = DB_CREATE;
		strv_pushf(&s->notices, "building new index %s", ix->name);
	}
	ret = ix->owner->primary->associate(ix->owner->primary, tid, ix->db,
	    index_callback, build);
	if ((rc = st_dberr(s, ret, ix->name)) != ST_OK)
		goto out;
	rc = index_open_handle(s, ix, &ix->raw, file, tid, 0);
	if (rc == ST_OK)
		rc = index_check_signature(s, ix, tid, !existed);
out:
	free(file);
	return rc;
}

int
st_open_indexes(struct store *s, struct store_entity *se, DB_TXN *tid)
{
	int rc;

	index_plan(se);
	for (size_t i = 0; i < se->nindexes; i++) {
		if ((rc = index_open(s, &se->indexes[i], tid)) != ST_OK)
			return rc;
	}
	return ST_OK;
}

void
st_close_indexes(struct store_entity *se)
{
	for (size_t i = 0; i < se->nindexes; i++) {
		struct store_index *ix = &se->indexes[i];

		if (ix->raw != NULL)
			ix->raw->close(ix->raw, DB_NOSYNC);
		if (ix->db != NULL)
			ix->db->close(ix->db, DB_NOSYNC);
		ix->raw = ix->db = NULL;
	}
}

static int
index_fill(struct store *s, DB_TXN *tid, struct store_index *ix)
{
	DB *primary = ix->owner->primary;
	unsigned char id[4];
	struct record r;
	struct keyset ks;
	DBT k, d, sk, sd;
	DBC *c;
	int ret, rc = ST_OK;

	if ((ret = primary->cursor(primary, tid, &c, 0)) != 0)
		return st_dberr(s, ret, ix->name);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	while (rc == ST_OK && (ret = c->get(c, &k, &d, DB_NEXT)) == 0) {
		if (k.size != 4 || record_decode(d.data, d.size, &r) != 0)
			continue;
		r.id = st_u32_key(k.data);
		memcpy(id, k.data, 4);
		st_index_keys(ix, &r, &ks);
		for (size_t i = 0; i < ks.n && rc == ST_OK; i++) {
			memset(&sk, 0, sizeof sk);
			memset(&sd, 0, sizeof sd);
			sk.data = ks.v[i].data;
			sk.size = (u_int32_t)ks.v[i].len;
			sd.data = id;
			sd.size = 4;
			ret = ix->raw->put(ix->raw, tid, &sk, &sd, ix->unique ?
			    DB_NOOVERWRITE : DB_NODUPDATA);
			if (ret == DB_KEYEXIST && ix->unique)
				rc = st_fail(s, ST_EXISTS, "%s: %u shares a "
				    "unique value with another record",
				    ix->name, r.id);
			else if (ret != 0 && ret != DB_KEYEXIST)
				rc = st_dberr(s, ret, ix->name);
		}
		keyset_free(&ks);
		record_free(&r);
	}
	c->close(c);
	if (rc == ST_OK && ret != DB_NOTFOUND)
		rc = st_dberr(s, ret, ix->name);
	return rc;
}

/* Empty the index and fill it again from the primary, through the
 * unassociated handle, and record the layout it now has. */
static int
index_rebuild(struct store *s, DB_TXN *tid, struct store_index *ix)
{
	char *key = xasprintf("index:%s", ix->name);
	char *sig = index_signature(ix);
	u_int32_t count;
	int rc;

	rc = st_dberr(s, ix->raw->truncate(ix->raw, tid, &count, 0), ix->name);
	if (rc == ST_OK)
		rc = index_fill(s, tid, ix);
	if (rc == ST_OK)
		rc = st_meta_put(s, tid, key, sig, strlen(sig));
	free(key);
	free(sig);
	return rc;
}

struct reindex {
	const char *entity;
	bool stale_only;
};

static int
reindex_txn(struct store *s, struct txn *t, void *arg)
{
	struct reindex *ri = arg;
	int rc = ST_OK;

	for (size_t i = 0; i < s->nentities && rc == ST_OK; i++) {
		struct store_entity *se = &s->entities[i];

		if (ri->entity != NULL && strcmp(se->entity->name, ri->entity))
			continue;
		for (size_t j = 0; j < se->nindexes && rc == ST_OK; j++) {
			if (!ri->stale_only || se->indexes[j].stale)
				rc = index_rebuild(s, t->tid, &se->indexes[j]);
		}
	}
	return rc;
}

/* An index built by an older key layout or another definition in the
 * forms no longer matches what a write removes from it: every update of
 * an old record would fail. The first process to open after the change
 * rebuilds it (behind the open gate, so once); the rest find it current.
 * A rebuild that cannot finish (a unique value now shared, say) leaves
 * the index as it was and says how to finish by hand. */
int
st_rebuild_stale_indexes(struct store *s)
{
	struct reindex ri = { NULL, true };
	struct strv names;
	int rc;

	strv_init(&names);
	for (size_t i = 0; i < s->nentities; i++) {
		for (size_t j = 0; j < s->entities[i].nindexes; j++) {
			if (s->entities[i].indexes[j].stale)
				strv_push(&names, s->entities[i].indexes[j].name);
		}
	}
	if (names.n == 0) {
		strv_free(&names);
		return ST_OK;
	}
	rc = store_run(s, reindex_txn, &ri);
	for (size_t i = 0; i < names.n; i++) {
		if (rc == ST_OK)
			strv_pushf(&s->notices, "rebuilt index %s: it was built "
			    "by an older layout or another definition",
			    names.v[i]);
		else
			strv_pushf(&s->notices, "index %s was built by an "
			    "older layout or another definition and could not "
			    "be rebuilt (%s): run `tcrm db reindex`",
			    names.v[i], store_error(s));
	}
	strv_free(&names);
	return rc;
}

int
store_reindex(struct store *s, const char *entity)
{
	struct reindex ri = { entity, false };

	return store_run(s, reindex_txn, &ri);
}
