/* store-find.c - one search box over customers and contacts: phone in any
 * format, email, and name or company prefix. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

struct found {
	struct hits *hits;
	size_t limit;
	char **sortkeys;	/* parallel to hits->v, for merging */
};

static void
hit_free(struct hit *h)
{
	free(h->title);
	free(h->subtitle);
	free(h->phones);
	free(h->email);
}

void
hits_free(struct hits *h)
{
	for (size_t i = 0; i < h->n; i++)
		hit_free(&h->v[i]);
	free(h->v);
	memset(h, 0, sizeof *h);
}

/* One result row, read from the record's bytes in place; d is a
 * DB_DBT_REALLOC buffer the caller reuses and frees. */
static int
read_hit(struct store *s, DB_TXN *tid, struct store_entity *se, uint32_t id,
    DBT *d, struct hit *h)
{
	unsigned char kb[4];
	DBT k;
	int ret;

	memset(&k, 0, sizeof k);
	st_key_u32(kb, id);
	k.data = kb;
	k.size = 4;
	ret = se->primary->get(se->primary, tid, &k, d, 0);
	if (ret == DB_NOTFOUND)
		return ST_NOTFOUND;
	if (ret != 0)
		return st_dberr(s, ret, se->entity->name);
	if (st_hit_from_bytes(se, id, d->data, d->size, h) != 0) {
		hit_free(h);
		return st_fail(s, ST_IO, "%s %u: damaged record",
		    se->entity->name, id);
	}
	return ST_OK;
}

static bool
found_has(const struct found *f, const struct entity *e, uint32_t id)
{
	for (size_t i = 0; i < f->hits->n; i++) {
		if (f->hits->v[i].entity == e && f->hits->v[i].id == id)
			return true;
	}
	return false;
}

static void
found_add(struct found *f, struct hit *h, const char *sortkey)
{
	struct hits *hs = f->hits;

	if (hs->n == hs->size) {
		hs->size = hs->size ? hs->size * 2 : 16;
		hs->v = xreallocarray(hs->v, hs->size, sizeof *hs->v);
		f->sortkeys = xreallocarray(f->sortkeys, hs->size,
		    sizeof *f->sortkeys);
	}
	f->sortkeys[hs->n] = xstrdup(sortkey);
	hs->v[hs->n++] = *h;
}

static const char *default_cc(void)
{
	const char *cc = getenv("TCRM_COUNTRY");

	return cc && *cc ? cc : "86";
}

static bool
index_searchable(const struct store_index *ix, const struct entity *only)
{
	const struct entity *e = ix->owner->entity;

	return only ? e == only : e->searchable;
}

/* Records whose key in ix starts with prefix; data is the primary id. */
static int
walk_ids(struct store *s, DB_TXN *tid, struct store_index *ix,
    const char *prefix, struct found *f)
{
	size_t plen = strlen(prefix);
	DBT k, d, rec;
	DBC *c;
	int ret;

	if ((ret = ix->raw->cursor(ix->raw, tid, &c, DB_READ_COMMITTED)) != 0)
		return st_dberr(s, ret, ix->name);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)prefix;
	k.size = (u_int32_t)plen;
	memset(&rec, 0, sizeof rec);
	rec.flags = DB_DBT_REALLOC;
	for (ret = c->get(c, &k, &d, DB_SET_RANGE); ret == 0 &&
	    f->hits->n < f->limit; ret = c->get(c, &k, &d, DB_NEXT)) {
		struct hit h;
		char *sortkey;
		uint32_t id;
		int rc;

		if (k.size < plen || memcmp(k.data, prefix, plen) != 0)
			break;
		if (d.size != 4)
			continue;
		id = st_u32_key(d.data);
		if (found_has(f, ix->owner->entity, id))
			continue;
		rc = read_hit(s, tid, ix->owner, id, &rec, &h);
		if (rc == ST_NOTFOUND)
			continue;
		if (rc != ST_OK) {
			c->close(c);
			free(rec.data);
			return rc;
		}
		sortkey = xstrndup(k.data, k.size);
		found_add(f, &h, sortkey);
		free(sortkey);
	}
	c->close(c);
	free(rec.data);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, ix->name);
	return ST_OK;
}

/* A name search gathers index keys first and reads only the records it
 * will show: each index gives up to room candidates, the lot is put in
 * key order, and the first room of them are read. */
struct cand {
	struct store_entity *se;
	uint32_t id;
	char *key;		/* the word start it matched, up to its NUL */
};

struct cands {
	struct cand *v;
	size_t n, size;
};

static bool
cands_have(const struct cands *cs, const struct store_entity *se,
    uint32_t id)
{
	for (size_t i = 0; i < cs->n; i++) {
		if (cs->v[i].se == se && cs->v[i].id == id)
			return true;
	}
	return false;
}

static void
cands_add(struct cands *cs, struct store_entity *se, uint32_t id,
    const char *key, size_t len)
{
	if (cs->n == cs->size) {
		cs->size = cs->size ? cs->size * 2 : 32;
		cs->v = xreallocarray(cs->v, cs->size, sizeof *cs->v);
	}
	cs->v[cs->n].se = se;
	cs->v[cs->n].id = id;
	cs->v[cs->n].key = xstrndup(key, len);
	cs->n++;
}

static void
cands_free(struct cands *cs)
{
	for (size_t i = 0; i < cs->n; i++)
		free(cs->v[i].key);
	free(cs->v);
	memset(cs, 0, sizeof *cs);
}

/* Ties (the same name) go by entity, then by id: the oldest first. */
static int
cand_cmp(const void *pa, const void *pb)
{
	const struct cand *a = pa, *b = pb;
	int c = strcmp(a->key, b->key);

	if (c != 0)
		return c;
	if (a->se != b->se)
		return a->se < b->se ? -1 : 1;
	return a->id < b->id ? -1 : a->id > b->id;
}

/* In order, and no more than room of them. */
static void
cands_cut(struct cands *cs, size_t room)
{
	if (cs->n > 1)
		qsort(cs->v, cs->n, sizeof *cs->v, cand_cmp);
	while (cs->n > room)
		free(cs->v[--cs->n].key);
}

/* Up to limit records of ix whose key starts with prefix. A key is the
 * folded word start and its NUL (an older layout adds the result row
 * after the NUL, which is ignored); the data is the record's id. Keys
 * after bound cannot make the cut. */
static int
walk_prefix(struct store *s, DB_TXN *tid, struct store_index *ix,
    const char *prefix, const char *bound, const struct found *f,
    struct cands *cs, size_t limit)
{
	size_t plen = strlen(prefix), taken = 0;
	DBT k, d;
	DBC *c;
	int ret;

	if ((ret = ix->raw->cursor(ix->raw, tid, &c, DB_READ_COMMITTED)) != 0)
		return st_dberr(s, ret, ix->name);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)prefix;
	k.size = (u_int32_t)plen;
	for (ret = c->get(c, &k, &d, DB_SET_RANGE); ret == 0 && taken < limit;
	    ret = c->get(c, &k, &d, DB_NEXT)) {
		const char *key = k.data, *nul;
		uint32_t id;

		if (k.size < plen || memcmp(key, prefix, plen) != 0)
			break;
		nul = memchr(key, '\0', k.size);
		if (d.size != 4 || nul == NULL)
			continue;
		if (bound != NULL && strcmp(key, bound) > 0)
			break;	/* past the last one that can still be shown */
		id = st_u32_key(d.data);
		if (found_has(f, ix->owner->entity, id) ||
		    cands_have(cs, ix->owner, id))
			continue;
		cands_add(cs, ix->owner, id, key, (size_t)(nul - key));
		taken++;
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, ix->name);
	return ST_OK;
}

static int
find_by_kind(struct store *s, DB_TXN *tid, const char *key,
    const struct entity *only, enum index_kind kind, enum field_type type,
    struct found *f)
{
	for (size_t i = 0; i < s->nentities; i++) {
		struct store_entity *se = &s->entities[i];

		for (size_t j = 0; j < se->nindexes; j++) {
			struct store_index *ix = &se->indexes[j];
			int rc;

			if (ix->kind != kind || !index_searchable(ix, only))
				continue;
			if (kind == IX_EXACT && ix->field->type != type)
				continue;
			if ((rc = walk_ids(s, tid, ix, key, f)) != ST_OK)
				return rc;
		}
	}
	return ST_OK;
}

static bool
hit_after(const struct found *f, size_t a, size_t b)
{
	int c = strcmp(f->sortkeys[a], f->sortkeys[b]);

	if (c != 0)
		return c > 0;
	return strcmp(f->hits->v[a].title, f->hits->v[b].title) > 0;
}

/* The same word start (every "Wang") goes by name: the list an agent
 * reads down. Twenty rows at most, so an insertion sort. */
static void
ties_by_title(struct found *f, size_t first)
{
	for (size_t i = first + 1; i < f->hits->n; i++) {
		for (size_t j = i; j > first && hit_after(f, j - 1, j); j--) {
			struct hit h = f->hits->v[j - 1];
			char *k = f->sortkeys[j - 1];

			f->hits->v[j - 1] = f->hits->v[j];
			f->sortkeys[j - 1] = f->sortkeys[j];
			f->hits->v[j] = h;
			f->sortkeys[j] = k;
		}
	}
}

/* Name hits from every prefix index, in key order, cut to the room
 * left; a record deleted since its key was read is left out. */
static int
find_by_name(struct store *s, DB_TXN *tid, const char *query,
    const struct entity *only, struct found *f)
{
	char *folded = utf8_fold(query);
	size_t room = f->limit - f->hits->n, first = f->hits->n;
	struct cands cs = { NULL, 0, 0 };
	DBT rec;
	int rc = ST_OK;

	if (folded == NULL)
		return ST_OK;
	for (size_t i = 0; i < s->nentities && rc == ST_OK; i++) {
		struct store_entity *se = &s->entities[i];

		for (size_t j = 0; j < se->nindexes && rc == ST_OK; j++) {
			struct store_index *ix = &se->indexes[j];

			if (ix->kind != IX_PREFIX || !index_searchable(ix, only))
				continue;
			cands_cut(&cs, room);
			rc = walk_prefix(s, tid, ix, folded, cs.n == room ?
			    cs.v[room - 1].key : NULL, f, &cs, room);
		}
	}
	free(folded);
	cands_cut(&cs, room);
	memset(&rec, 0, sizeof rec);
	rec.flags = DB_DBT_REALLOC;
	for (size_t i = 0; i < cs.n && f->hits->n < f->limit &&
	    rc == ST_OK; i++) {
		struct hit h;

		rc = read_hit(s, tid, cs.v[i].se, cs.v[i].id, &rec, &h);
		if (rc == ST_NOTFOUND) {
			rc = ST_OK;
			continue;
		}
		if (rc == ST_OK)
			found_add(f, &h, cs.v[i].key);
	}
	free(rec.data);
	cands_free(&cs);
	ties_by_title(f, first);
	return rc;
}

/* A contact's subtitle is its customer: show the customer's name. */
static void
resolve_subtitles(struct store *s, struct txn *t, struct hits *hits)
{
	for (size_t i = 0; i < hits->n; i++) {
		struct hit *h = &hits->v[i];
		const struct field *f = h->entity->subtitle ?
		    entity_field(h->entity, h->entity->subtitle) : NULL;
		const struct entity *target;
		struct record r;
		uint32_t id;

		if (f == NULL || f->type != FT_REF || *h->subtitle == '\0')
			continue;
		target = f->ref_entity;
		id = (uint32_t)strtoul(h->subtitle, NULL, 10);
		if (target->title == NULL ||
		    store_get(s, t, target, id, &r) != ST_OK)
			continue;
		free(h->subtitle);
		h->subtitle = xstrdup(record_get(&r, target->title));
		record_free(&r);
	}
}

struct find_run {
	const char *query;
	const struct entity *only;
	size_t limit;
	struct hits *hits;
};

static int
find_txn(struct store *s, struct txn *t, void *arg)
{
	struct find_run *run = arg;
	struct found f = { run->hits, run->limit, NULL };
	const char *q = run->query;
	DB_TXN *tid = st_tid(t);
	char *key;
	int rc = ST_OK;

	hits_free(run->hits);
	if (phone_like(q) && (key = phone_query_key(q, default_cc())) != NULL) {
		rc = find_by_kind(s, tid, key, run->only, IX_PHONE, FT_PHONE, &f);
		free(key);
	}
	if (rc == ST_OK && strchr(q, '@') != NULL &&
	    (key = utf8_fold(q)) != NULL) {
		rc = find_by_kind(s, tid, key, run->only, IX_EXACT, FT_EMAIL,
		    &f);
		free(key);
	}
	if (rc == ST_OK && f.hits->n < f.limit)
		rc = find_by_name(s, tid, q, run->only, &f);
	if (rc == ST_OK)
		resolve_subtitles(s, t, f.hits);
	for (size_t i = 0; i < f.hits->n; i++)
		free(f.sortkeys[i]);
	free(f.sortkeys);
	return rc;
}

int
store_find(struct store *s, const char *query, const struct entity *only,
    size_t limit, struct hits *hits)
{
	char *q = utf8_trim(query);
	struct find_run run = { q, only, limit ? limit : 20, hits };
	int rc = ST_OK;

	memset(hits, 0, sizeof *hits);
	if (*q != '\0')
		rc = store_run(s, find_txn, &run);
	free(q);
	return rc;
}
