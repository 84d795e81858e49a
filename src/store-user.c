/* store-user.c - the people who may sign in: records of the "user" entity
 * (forms/user.yaml), found by name through its unique index. Also the
 * audit notes that are not changes, such as a refusal. */
#define TCRM_STORE_INTERNAL
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

void
store_set_user(struct store *s, const char *user)
{
	free(s->user);
	s->user = xstrdup(user);
}

static struct store_index *
exact_index(struct store_entity *se, const char *field)
{
	for (size_t i = 0; i < se->nindexes; i++) {
		struct store_index *ix = &se->indexes[i];

		if (ix->kind == IX_EXACT && strcmp(ix->field->name, field) == 0)
			return ix;
	}
	return NULL;
}

static int
user_lookup(struct store *s, struct txn *t, const struct entity *e,
    const char *field, const char *value, struct record *r)
{
	struct store_entity *se = st_entity(s, e);
	struct store_index *ix;
	char *key;
	DBT k, d;
	uint32_t id;
	int ret;

	record_init(r);
	if (se == NULL || (ix = exact_index(se, field)) == NULL)
		return st_fail(s, ST_INVALID, "%s.%s has no exact index",
		    e->name, field);
	if ((key = utf8_fold(value)) == NULL)
		return st_fail(s, ST_NOTFOUND, _("no %s '%s'"), entity_word(e),
		    value);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = key;
	k.size = (u_int32_t)strlen(key);
	d.flags = DB_DBT_MALLOC;
	ret = ix->raw->get(ix->raw, st_tid(t), &k, &d, 0);
	free(key);
	if (ret == DB_NOTFOUND)
		return st_fail(s, ST_NOTFOUND, _("no %s '%s'"), entity_word(e),
		    value);
	if (ret != 0)
		return st_dberr(s, ret, ix->name);
	id = d.size == 4 ? st_u32_key(d.data) : 0;
	free(d.data);
	return store_get(s, t, e, id, r);
}

const struct entity *
store_user_entity(struct store *s)
{
	const struct entity *e = forms_entity(s->forms, USER_ENTITY);

	if (e == NULL) {
		st_fail(s, ST_INVALID, "the forms define no '%s' entity (copy "
		    "user.yaml from the shipped forms)", USER_ENTITY);
		return NULL;
	}
	return e;
}

/* Names are matched exactly: the index folds case, a login name does
 * not. */
int
store_user_find(struct store *s, struct txn *t, const char *name,
    struct record *r)
{
	const struct entity *e = store_user_entity(s);
	int rc;

	record_init(r);
	if (e == NULL)
		return ST_INVALID;
	rc = user_lookup(s, t, e, "name", name, r);
	if (rc == ST_OK && strcmp(record_get(r, "name"), name) != 0) {
		record_free(r);
		record_init(r);
		rc = st_fail(s, ST_NOTFOUND, _("no user '%s'"), name);
	}
	return rc;
}

struct user_find {
	const char *name;
	struct record rec;
};

static int
user_find_txn(struct store *s, struct txn *t, void *arg)
{
	struct user_find *uf = arg;

	record_free(&uf->rec);
	return store_user_find(s, t, uf->name, &uf->rec);
}

void
user_from_record(const struct record *r, struct user *u)
{
	struct strv lines;

	memset(u, 0, sizeof *u);
	u->id = r->id;
	u->version = r->version;
	u->name = xstrdup(record_get(r, "name"));
	u->team = xstrdup(record_get(r, "team"));
	if (role_parse(record_get(r, "role"), &u->role) != 0)
		u->role = 0;
	u->disabled = strcmp(record_get(r, "disabled"), "true") == 0;
	strv_init(&u->keys);
	strv_init(&lines);
	strv_split(&lines, record_get(r, "keys"), "\n");
	for (size_t i = 0; i < lines.n; i++) {
		char *line = utf8_trim(lines.v[i]);

		if (*line != '\0' && *line != '#')
			strv_push(&u->keys, line);
		free(line);
	}
	strv_free(&lines);
}

int
store_user_get(struct store *s, const char *name, struct user *u)
{
	struct user_find uf = { name, { 0 } };
	int rc;

	memset(u, 0, sizeof *u);
	record_init(&uf.rec);
	rc = store_run(s, user_find_txn, &uf);
	if (rc == ST_OK)
		user_from_record(&uf.rec, u);
	record_free(&uf.rec);
	return rc;
}

void
user_free(struct user *u)
{
	free(u->name);
	free(u->team);
	strv_free(&u->keys);
	memset(u, 0, sizeof *u);
}

struct note {
	const struct entity *entity;
	struct record rec;
};

static int
note_txn(struct store *s, struct txn *t, void *arg)
{
	struct note *n = arg;

	return st_audit_write(s, st_tid(t), "refused", n->entity, NULL,
	    &n->rec);
}

/* A refusal is audited like a change: what was asked sits in the new
 * value of the field (or command) refused. Commands are filed under a
 * pseudo-entity "command", id 0. */
int
store_audit_refusal(struct store *s, const struct entity *e, uint32_t id,
    const char *field, const char *what)
{
	static const struct entity command = { .name = (char *)"command" };
	struct note n;
	char *safe = utf8_sanitize(what);
	int rc;

	n.entity = e ? e : &command;
	record_init(&n.rec);
	n.rec.id = e ? id : 0;
	record_set(&n.rec, field, *safe ? safe : "-");
	rc = store_run(s, note_txn, &n);
	record_free(&n.rec);
	free(safe);
	return rc;
}
