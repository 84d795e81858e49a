/* store-draft.c - forms in progress, one draft per open form, kept per
 * user in draft.db. The desk writes a draft when typing pauses and at a
 * hang-up; the next session of the same user is offered it back. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

void
draft_init(struct draft *dr)
{
	memset(dr, 0, sizeof *dr);
	record_init(&dr->base);
	record_init(&dr->edit);
}

void
draft_free(struct draft *dr)
{
	free(dr->user);
	free(dr->key);
	free(dr->entity);
	free(dr->focus);
	record_free(&dr->base);
	record_free(&dr->edit);
	draft_init(dr);
}

int
st_draft_open(struct store *s, DB_TXN *tid)
{
	int ret;

	if ((ret = db_create(&s->drafts, s->env, 0)) != 0)
		return st_dberr(s, ret, "drafts");
	ret = s->drafts->open(s->drafts, tid, "draft.db", NULL, DB_BTREE,
	    DB_CREATE, s->mode);
	return st_dberr(s, ret, "draft.db");
}

static void
draft_key(struct buf *k, const char *user, const char *key)
{
	buf_init(k);
	buf_adds(k, user);
	buf_addc(k, '\0');
	buf_adds(k, key);
}

static void
put_blob(struct buf *b, const struct buf *part)
{
	unsigned char len[4];

	st_key_u32(len, (uint32_t)part->len);
	buf_add(b, len, 4);
	buf_add(b, part->data ? part->data : "", part->len);
}

/* A draft is three records: what it is (entity, id, focus, when), the
 * record as the form opened it, and the form's text. */
static void
draft_encode(const struct draft *dr, struct buf *out)
{
	struct record meta;
	struct buf part;
	char num[32];

	record_init(&meta);
	record_set(&meta, "entity", dr->entity);
	record_set(&meta, "focus", dr->focus);
	snprintf(num, sizeof num, "%u", dr->id);
	record_set(&meta, "id", num);
	snprintf(num, sizeof num, "%lld", (long long)dr->saved);
	record_set(&meta, "saved", num);
	buf_init(out);
	buf_init(&part);
	record_encode(&meta, &part);
	put_blob(out, &part);
	buf_reset(&part);
	record_encode(&dr->base, &part);
	put_blob(out, &part);
	buf_reset(&part);
	record_encode(&dr->edit, &part);
	put_blob(out, &part);
	buf_free(&part);
	record_free(&meta);
}

static int
take_blob(const unsigned char **p, const unsigned char *end,
    struct record *r)
{
	uint32_t len;

	if (end - *p < 4)
		return -1;
	len = st_u32_key(*p);
	*p += 4;
	if ((size_t)(end - *p) < len || record_decode(*p, len, r) != 0)
		return -1;
	*p += len;
	return 0;
}

static int
draft_decode(const void *data, size_t size, struct draft *dr)
{
	const unsigned char *p = data, *end = p + size;
	struct record meta;

	if (take_blob(&p, end, &meta) != 0)
		return -1;
	if (take_blob(&p, end, &dr->base) != 0 ||
	    take_blob(&p, end, &dr->edit) != 0) {
		record_free(&meta);
		return -1;
	}
	dr->entity = xstrdup(record_get(&meta, "entity"));
	dr->focus = xstrdup(record_get(&meta, "focus"));
	dr->id = (uint32_t)strtoul(record_get(&meta, "id"), NULL, 10);
	dr->saved = strtoll(record_get(&meta, "saved"), NULL, 10);
	dr->base.id = dr->id;
	record_free(&meta);
	return 0;
}

struct draft_put {
	const struct draft *draft;
};

static int
draft_put_txn(struct store *s, struct txn *t, void *arg)
{
	const struct draft *dr = ((struct draft_put *)arg)->draft;
	struct draft copy = *dr;
	struct timeval tv;
	struct buf k, v;
	DBT key, data;
	int ret;

	gettimeofday(&tv, NULL);
	copy.saved = (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
	draft_key(&k, dr->user, dr->key);
	draft_encode(&copy, &v);
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	key.data = k.data;
	key.size = (u_int32_t)k.len;
	data.data = v.data;
	data.size = (u_int32_t)v.len;
	ret = s->drafts->put(s->drafts, st_tid(t), &key, &data, 0);
	buf_free(&k);
	buf_free(&v);
	return st_dberr(s, ret, "draft.db");
}

int
store_draft_put(struct store *s, const struct draft *dr)
{
	struct draft_put dp = { dr };

	return store_run(s, draft_put_txn, &dp);
}

struct draft_del {
	const char *user;
	const char *key;
};

static int
draft_del_txn(struct store *s, struct txn *t, void *arg)
{
	struct draft_del *dd = arg;
	struct buf k;
	DBT key;
	int ret;

	draft_key(&k, dd->user, dd->key);
	memset(&key, 0, sizeof key);
	key.data = k.data;
	key.size = (u_int32_t)k.len;
	ret = s->drafts->del(s->drafts, st_tid(t), &key, 0);
	buf_free(&k);
	return ret == DB_NOTFOUND ? ST_OK : st_dberr(s, ret, "draft.db");
}

int
store_draft_del(struct store *s, const char *user, const char *key)
{
	struct draft_del dd = { user, key };

	return store_run(s, draft_del_txn, &dd);
}

struct draft_list {
	const char *user;
	struct draft *v;
	size_t n;
};

static void
draft_list_clear(struct draft_list *dl)
{
	for (size_t i = 0; i < dl->n; i++)
		draft_free(&dl->v[i]);
	free(dl->v);
	dl->v = NULL;
	dl->n = 0;
}

static int
draft_list_txn(struct store *s, struct txn *t, void *arg)
{
	struct draft_list *dl = arg;
	size_t plen = strlen(dl->user) + 1;
	DBT key, data;
	DBC *c;
	int ret;

	draft_list_clear(dl);
	if ((ret = s->drafts->cursor(s->drafts, st_tid(t), &c, 0)) != 0)
		return st_dberr(s, ret, "draft.db");
	memset(&key, 0, sizeof key);
	memset(&data, 0, sizeof data);
	key.data = (void *)dl->user;
	key.size = (u_int32_t)plen;
	for (ret = c->get(c, &key, &data, DB_SET_RANGE); ret == 0;
	    ret = c->get(c, &key, &data, DB_NEXT)) {
		struct draft dr;

		if (key.size <= plen || memcmp(key.data, dl->user, plen) != 0)
			break;
		draft_init(&dr);
		if (draft_decode(data.data, data.size, &dr) != 0) {
			draft_free(&dr);
			continue;
		}
		dr.user = xstrdup(dl->user);
		dr.key = xstrndup((const char *)key.data + plen,
		    key.size - plen);
		dl->v = xreallocarray(dl->v, dl->n + 1, sizeof *dl->v);
		dl->v[dl->n++] = dr;
	}
	c->close(c);
	if (ret != 0 && ret != DB_NOTFOUND)
		return st_dberr(s, ret, "draft.db");
	return ST_OK;
}

static int
draft_newest_first(const void *a, const void *b)
{
	const struct draft *x = a, *y = b;

	return x->saved < y->saved ? 1 : x->saved > y->saved ? -1 : 0;
}

int
store_draft_list(struct store *s, const char *user, struct draft **v,
    size_t *n)
{
	struct draft_list dl = { user, NULL, 0 };
	int rc = store_run(s, draft_list_txn, &dl);

	if (rc != ST_OK)
		draft_list_clear(&dl);
	if (dl.n > 1)
		qsort(dl.v, dl.n, sizeof *dl.v, draft_newest_first);
	*v = dl.v;
	*n = dl.n;
	return rc;
}
