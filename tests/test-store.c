/* test-store.c - the transactional store: indexes, rules, versions, audit
 * and recovery, each on a fresh environment. */
#define TCRM_STORE_INTERNAL
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fixture.h"

TestSuite(store, .init = fx_setup, .fini = fx_teardown, .timeout = 60);

static struct hits
find(const char *query, const char *only)
{
	struct hits h;

	cr_assert_eq(store_find(fx_store, query, only ? fx_entity(only) : NULL,
	    20, &h), ST_OK, "find %s: %s", query, store_error(fx_store));
	return h;
}

static bool
hits_have(const struct hits *h, const char *entity, uint32_t id)
{
	for (size_t i = 0; i < h->n; i++) {
		if (strcmp(h->v[i].entity->name, entity) == 0 &&
		    h->v[i].id == id)
			return true;
	}
	return false;
}

struct getter {
	const struct entity *e;
	uint32_t id;
	struct record r;
};

static int
get_txn(struct store *s, struct txn *t, void *arg)
{
	struct getter *g = arg;

	record_free(&g->r);
	return store_get(s, t, g->e, g->id, &g->r);
}

static int
get(const char *entity, uint32_t id, struct record *out)
{
	struct getter g = { fx_entity(entity), id, { 0 } };
	int rc;

	record_init(&g.r);
	rc = store_run(fx_store, get_txn, &g);
	*out = g.r;
	return rc;
}

struct setter {
	const struct entity *e;
	uint32_t id;
	uint32_t if_version;
	const char *field;
	const char *value;
	struct record r;
};

static int
set_txn(struct store *s, struct txn *t, void *arg)
{
	struct setter *st = arg;
	int rc;

	record_free(&st->r);
	if ((rc = store_get(s, t, st->e, st->id, &st->r)) != ST_OK)
		return rc;
	record_set(&st->r, st->field, st->value);
	return store_update(s, t, st->e, &st->r, st->if_version);
}

static int
set(struct store *s, const char *entity, uint32_t id, uint32_t if_version,
    const char *field, const char *value)
{
	struct setter st = { fx_entity(entity), id, if_version, field, value,
	    { 0 } };
	int rc;

	record_init(&st.r);
	rc = store_run(s, set_txn, &st);
	record_free(&st.r);
	return rc;
}

struct deleter {
	const struct entity *e;
	uint32_t id;
};

static int
del_txn(struct store *s, struct txn *t, void *arg)
{
	struct deleter *d = arg;

	return store_delete(s, t, d->e, d->id, 0);
}

static int
del(const char *entity, uint32_t id)
{
	struct deleter d = { fx_entity(entity), id };

	return store_run(fx_store, del_txn, &d);
}

static size_t
verify_problems(void)
{
	struct verify_report rep;
	size_t n;

	cr_assert_eq(store_verify(fx_store, &rep), ST_OK);
	for (size_t i = 0; i < rep.problems.n; i++)
		fprintf(stderr, "verify: %s\n", rep.problems.v[i]);
	n = rep.problems.n;
	strv_free(&rep.problems);
	return n;
}

Test(store, create_assigns_ids_versions_and_times)
{
	uint32_t a = fx_add("customer", "name", "张伟", NULL);
	uint32_t b = fx_add("customer", "name", "李娜", NULL);
	struct record r;

	cr_assert_eq(a, 1);
	cr_assert_eq(b, 2);
	cr_assert_eq(get("customer", a, &r), ST_OK);
	cr_assert_eq(r.version, 1);
	cr_assert_str_eq(r.created_by, "tester");
	cr_assert_gt(r.created, 0);
	cr_assert_eq(r.created, r.updated);
	/* Defaults from the form are applied on create. */
	cr_assert_str_eq(record_get(&r, "kind"), "person");
	record_free(&r);
	cr_assert_eq(get("customer", 99, &r), ST_NOTFOUND);
}

Test(store, required_field_is_enforced)
{
	cr_assert_eq(fx_add("customer", "company", "华为", NULL), 0);
	cr_assert_eq(fx_rc, ST_INVALID);
	cr_assert(strstr(store_error(fx_store), "name") != NULL,
	    "%s", store_error(fx_store));
}

Test(store, phone_in_any_format_finds_the_customer)
{
	static const char *spellings[] = { "+86 138-0013-8000", "13800138000",
	    "0086 138 0013 8000", "(+86)13800138000", "８６１３８００１３８０００",
	    "+86 (138) 0013 8000", "138 0013 8000" };
	uint32_t id = fx_add("customer", "name", "张伟", "phones",
	    "+86 138-0013-8000, 010-6552 1234", NULL);
	uint32_t other = fx_add("customer", "name", "王芳", "phones",
	    "13900001111", NULL);

	for (size_t i = 0; i < sizeof spellings / sizeof *spellings; i++) {
		struct hits h = find(spellings[i], NULL);

		cr_assert(hits_have(&h, "customer", id), "%s", spellings[i]);
		cr_assert(!hits_have(&h, "customer", other), "%s",
		    spellings[i]);
		hits_free(&h);
	}
	/* The second phone of the list is indexed too. */
	struct hits h = find("+86 10 6552 1234", NULL);
	cr_assert(hits_have(&h, "customer", id));
	hits_free(&h);
}

Test(store, several_customers_share_a_phone)
{
	uint32_t a = fx_add("customer", "name", "张伟", "phones", "010-88886666",
	    NULL);
	uint32_t b = fx_add("customer", "name", "张丽", "phones",
	    "+86 10 8888 6666", NULL);
	struct hits h = find("01088886666", NULL);

	cr_assert(hits_have(&h, "customer", a));
	cr_assert(hits_have(&h, "customer", b));
	hits_free(&h);
}

Test(store, extensions_are_kept_apart)
{
	uint32_t a = fx_add("customer", "name", "Acme", "phones",
	    "+1 (555) 123-4567 x89", NULL);
	uint32_t b = fx_add("customer", "name", "Acme Sales", "phones",
	    "+1 555 123 4567 x12", NULL);
	struct hits h = find("+1 555 123 4567 x89", NULL);

	/* The exact extension ranks first; the bare number finds both. */
	cr_assert(h.n >= 1);
	cr_assert(hits_have(&h, "customer", a));
	hits_free(&h);
	h = find("+15551234567", NULL);
	cr_assert(hits_have(&h, "customer", a));
	cr_assert(hits_have(&h, "customer", b));
	hits_free(&h);
}

Test(store, name_prefix_works_for_chinese_and_latin)
{
	uint32_t oy = fx_add("customer", "name", "欧阳娜娜", NULL);
	uint32_t oy2 = fx_add("customer", "name", "欧阳修", NULL);
	uint32_t ou = fx_add("customer", "name", "欧丽", NULL);
	uint32_t zm = fx_add("customer", "name", "Zhang Min", NULL);
	uint32_t zw = fx_add("customer", "name", "ZHANG Wei", NULL);
	struct hits h = find("欧阳", NULL);

	cr_assert_eq(h.n, 2);
	cr_assert(hits_have(&h, "customer", oy));
	cr_assert(hits_have(&h, "customer", oy2));
	cr_assert(!hits_have(&h, "customer", ou));
	hits_free(&h);
	h = find("zha", NULL);
	cr_assert(hits_have(&h, "customer", zm));
	cr_assert(hits_have(&h, "customer", zw));
	hits_free(&h);
	/* Full-width letters and a later word of the name. */
	h = find("ＺＨＡＮＧ", NULL);
	cr_assert_eq(h.n, 2);
	hits_free(&h);
	h = find("min", NULL);
	cr_assert(hits_have(&h, "customer", zm));
	cr_assert(!hits_have(&h, "customer", zw));
	hits_free(&h);
}

Test(store, company_prefix_and_contacts_are_searched)
{
	uint32_t c = fx_add("customer", "name", "李雷", "company", "华为技术",
	    NULL);
	char cid[16];
	uint32_t k;

	snprintf(cid, sizeof cid, "%u", c);
	k = fx_add("contact", "customer", cid, "name", "韩梅梅", "phones",
	    "13700001234", NULL);
	cr_assert_neq(k, 0, "%s", store_error(fx_store));
	struct hits h = find("华为", NULL);
	cr_assert(hits_have(&h, "customer", c));
	cr_assert_str_eq(h.v[0].subtitle, "华为技术");
	hits_free(&h);
	h = find("韩", NULL);
	cr_assert(hits_have(&h, "contact", k));
	hits_free(&h);
	h = find("13700001234", NULL);
	cr_assert(hits_have(&h, "contact", k));
	hits_free(&h);
	h = find("韩", "customer");
	cr_assert_eq(h.n, 0);
	hits_free(&h);
}

Test(store, index_follows_changes)
{
	uint32_t id = fx_add("customer", "name", "张伟", "phones", "13800138000",
	    NULL);
	struct hits h;

	cr_assert_eq(set(fx_store, "customer", id, 0, "name", "Wang Fang"),
	    ST_OK);
	cr_assert_eq(set(fx_store, "customer", id, 0, "phones", "13900009999"),
	    ST_OK);
	h = find("张", NULL);
	cr_assert_eq(h.n, 0);
	hits_free(&h);
	h = find("wang", NULL);
	cr_assert(hits_have(&h, "customer", id));
	/* Result rows come from the index payload: it must be current. */
	cr_assert_str_eq(h.v[0].phones, "13900009999");
	hits_free(&h);
	h = find("13800138000", NULL);
	cr_assert_eq(h.n, 0);
	hits_free(&h);
	cr_assert_eq(verify_problems(), 0);
}

Test(store, unique_violation_names_the_holder)
{
	uint32_t id = fx_add("customer", "name", "张伟", "email",
	    "zw@example.cn", NULL);
	char expect[128];

	cr_assert_eq(fx_add("customer", "name", "李娜", "email",
	    "ZW@Example.CN", NULL), 0);
	cr_assert_eq(fx_rc, ST_EXISTS);
	snprintf(expect, sizeof expect, "email 'ZW@example.cn' already belongs "
	    "to customer %u (张伟)", id);
	cr_assert_str_eq(store_error(fx_store), expect);
	/* Changing a record to another's value is refused the same way. */
	uint32_t other = fx_add("customer", "name", "李娜", NULL);
	cr_assert_eq(set(fx_store, "customer", other, 0, "email",
	    "zw@example.cn"), ST_EXISTS);
	/* Saving the holder itself with its own value is fine. */
	cr_assert_eq(set(fx_store, "customer", id, 0, "company", "华为"), ST_OK);
}

Test(store, stale_version_is_a_conflict_listing_fields)
{
	uint32_t id = fx_add("customer", "name", "张伟", NULL);
	struct record r;
	int status;
	pid_t pid;

	/* Another agent's process changes the record meanwhile. */
	if ((pid = fork()) == 0) {
		struct store *other = fx_open("alice");

		_exit(set(other, "customer", id, 1, "company", "华为") != ST_OK ||
		    set(other, "customer", id, 2, "email", "a@b.cn") != ST_OK);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert_eq(status, 0);
	cr_assert_eq(set(fx_store, "customer", id, 1, "name", "张伟伟"),
	    ST_CONFLICT);
	cr_assert_str_eq(store_error(fx_store), "customer 1 changed since "
	    "version 1 (now version 3): company, email changed by alice");
	cr_assert_eq(get("customer", id, &r), ST_OK);
	cr_assert_str_eq(record_get(&r, "name"), "张伟");
	cr_assert_eq(r.version, 3);
	record_free(&r);
	cr_assert_eq(set(fx_store, "customer", id, 3, "name", "张伟伟"), ST_OK);
}

Test(store, unknown_fields_survive_updates)
{
	uint32_t id = fx_add("customer", "name", "张伟", "legacy_code", "X-17",
	    NULL);
	struct record r;

	cr_assert_eq(set(fx_store, "customer", id, 0, "name", "张伟伟"), ST_OK);
	cr_assert_eq(get("customer", id, &r), ST_OK);
	cr_assert_str_eq(record_get(&r, "legacy_code"), "X-17");
	record_free(&r);
}

struct audit_count {
	size_t n;
	size_t changes;
	char last_action[16];
};

static int
count_audit(const struct audit *a, void *arg)
{
	struct audit_count *c = arg;

	c->n++;
	c->changes += a->nchanges;
	snprintf(c->last_action, sizeof c->last_action, "%s", a->action);
	return 0;
}

static struct audit_count
history(const char *entity, uint32_t id)
{
	struct audit_count c = { 0, 0, "" };

	cr_assert_eq(store_history(fx_store, entity, id, count_audit, &c),
	    ST_OK);
	return c;
}

Test(store, every_change_is_audited_with_old_and_new_values)
{
	uint32_t id = fx_add("customer", "name", "张伟", "company", "华为",
	    NULL);
	struct audit_count c;

	cr_assert_eq(set(fx_store, "customer", id, 0, "name", "张伟伟"), ST_OK);
	/* Writing the same value changes nothing and audits nothing. */
	cr_assert_eq(set(fx_store, "customer", id, 0, "name", "张伟伟"), ST_OK);
	c = history("customer", id);
	cr_assert_eq(c.n, 2);
	cr_assert_str_eq(c.last_action, "update");
	cr_assert_eq(del("customer", id), ST_OK);
	c = history("customer", id);
	cr_assert_eq(c.n, 3);
	cr_assert_str_eq(c.last_action, "delete");
}

/* The create's own values, as "field=value" in order, per create. */
struct creates_seen {
	char text[4][256];
	size_t n;
	size_t total;		/* entries walked */
	size_t stop_at;		/* 0: all */
};

static int
creates_collect(const struct audit *a, void *arg)
{
	struct creates_seen *cs = arg;

	cs->total++;
	if (strcmp(a->action, "create") == 0 && cs->n < 4) {
		char *p = cs->text[cs->n++];

		*p = '\0';
		for (size_t i = 0; i < a->nchanges; i++) {
			if (strcmp(a->changes[i].field, "name") != 0 &&
			    strcmp(a->changes[i].field, "company") != 0)
				continue;
			snprintf(p + strlen(p), 256 - strlen(p), "%s%s=%s",
			    *p ? " " : "", a->changes[i].field,
			    a->changes[i].new);
			cr_assert_str_empty(a->changes[i].old);
		}
	}
	return cs->stop_at != 0 && cs->total == cs->stop_at;
}

static int
recreate_txn(struct store *s, struct txn *t, void *arg)
{
	struct record r;
	int rc;

	record_init(&r);
	r.id = *(uint32_t *)arg;
	record_set(&r, "name", "李娜");
	rc = store_create(s, t, fx_entity("customer"), &r);
	record_free(&r);
	return rc;
}

/* A create is stored without its values; history gives them back as they
 * were at the create, through later changes, a delete, and a record made
 * again under the same id. */
Test(store, history_gives_a_create_its_first_values)
{
	uint32_t id = fx_add("customer", "name", "张伟", "company", "华为",
	    NULL);
	struct creates_seen cs = { .n = 0 };

	cr_assert_eq(set(fx_store, "customer", id, 0, "name", "张伟伟"), ST_OK);
	cr_assert_eq(set(fx_store, "customer", id, 0, "company", ""), ST_OK);
	cr_assert_eq(store_history(fx_store, "customer", id, creates_collect,
	    &cs), ST_OK);
	cr_assert_eq(cs.n, 1);
	cr_expect_str_eq(cs.text[0], "name=张伟 company=华为");

	cr_assert_eq(del("customer", id), ST_OK);
	cr_assert_eq(store_run(fx_store, recreate_txn, &id), ST_OK, "%s",
	    store_error(fx_store));
	memset(&cs, 0, sizeof cs);
	cr_assert_eq(store_history(fx_store, "customer", id, creates_collect,
	    &cs), ST_OK);
	cr_assert_eq(cs.n, 2);
	cr_expect_str_eq(cs.text[0], "name=张伟 company=华为");
	cr_expect_str_eq(cs.text[1], "name=李娜");

	/* The whole trail comes newest first: the second create is met
	 * first, and a caller can stop there. */
	memset(&cs, 0, sizeof cs);
	cs.stop_at = 1;
	cr_assert_eq(store_history(fx_store, NULL, 0, creates_collect, &cs),
	    ST_OK);
	cr_assert_eq(cs.total, 1);
	cr_assert_eq(cs.n, 1);
	cr_expect_str_eq(cs.text[0], "name=李娜");
}

static int
create_then_fail(struct store *s, struct txn *t, void *arg)
{
	struct record r;
	int rc;

	record_init(&r);
	record_set(&r, "name", "幽灵");
	rc = store_create(s, t, fx_entity("customer"), &r);
	*(uint32_t *)arg = r.id;
	record_free(&r);
	cr_assert_eq(rc, ST_OK);
	return ST_INVALID;	/* something later in the transaction failed */
}

Test(store, aborted_transaction_leaves_no_record_and_no_audit)
{
	uint32_t id = 0;
	struct record r;
	struct hits h;

	cr_assert_eq(store_run(fx_store, create_then_fail, &id), ST_INVALID);
	cr_assert_neq(id, 0);
	cr_assert_eq(get("customer", id, &r), ST_NOTFOUND);
	cr_assert_eq(history("customer", id).n, 0);
	cr_assert_eq(history(NULL, 0).n, 0);
	h = find("幽灵", NULL);
	cr_assert_eq(h.n, 0);
	hits_free(&h);
	/* The id was not consumed either. */
	cr_assert_eq(fx_add("customer", "name", "真人", NULL), id);
}

Test(store, references_must_exist)
{
	cr_assert_eq(fx_add("contact", "customer", "42", "name", "孤儿", NULL),
	    0);
	cr_assert_eq(fx_rc, ST_INVALID);
	cr_assert(strstr(store_error(fx_store), "customer 42 does not exist"),
	    "%s", store_error(fx_store));
}

Test(store, delete_policies_restrict_cascade_set_empty)
{
	uint32_t cust = fx_add("customer", "name", "张伟", NULL);
	char cid[16], kid[16];
	uint32_t contact, inter, ticket;
	struct record r;

	snprintf(cid, sizeof cid, "%u", cust);
	contact = fx_add("contact", "customer", cid, "name", "韩梅梅", NULL);
	snprintf(kid, sizeof kid, "%u", contact);
	inter = fx_add("interaction", "customer", cid, "contact", kid,
	    "channel", "call", NULL);
	cr_assert_neq(inter, 0, "%s", store_error(fx_store));
	ticket = fx_add("ticket", "customer", cid, "subject", "坏了", "number",
	    "T-1", NULL);
	cr_assert_neq(ticket, 0, "%s", store_error(fx_store));
	/* A ticket restricts deleting its customer; nothing changes. */
	cr_assert_eq(del("customer", cust), ST_RESTRICT);
	cr_assert_eq(get("contact", contact, &r), ST_OK);
	record_free(&r);
	/* Deleting the contact empties the interaction's reference. */
	cr_assert_eq(del("contact", contact), ST_OK);
	cr_assert_eq(get("interaction", inter, &r), ST_OK);
	cr_assert_str_eq(record_get(&r, "contact"), "");
	record_free(&r);
	/* Without the ticket the customer goes, and its interactions too. */
	cr_assert_eq(del("ticket", ticket), ST_OK);
	cr_assert_eq(del("customer", cust), ST_OK);
	cr_assert_eq(get("interaction", inter, &r), ST_NOTFOUND);
	cr_assert_eq(verify_problems(), 0);
}

Test(store, referrers_come_from_the_reverse_index)
{
	uint32_t cust = fx_add("customer", "name", "张伟", NULL);
	char cid[16];
	uint32_t *ids;
	size_t n;

	snprintf(cid, sizeof cid, "%u", cust);
	for (int i = 0; i < 5; i++)
		cr_assert_neq(fx_add("interaction", "customer", cid, "channel",
		    "call", NULL), 0);
	cr_assert_eq(store_referrers(fx_store, NULL, entity_field(
	    fx_entity("interaction"), "customer"), cust, &ids, &n), ST_OK);
	cr_assert_eq(n, 5);
	free(ids);
}

/* A process that writes without associating the secondaries (as a
 * careless tool would) leaves the index stale: verify must say so. */
Test(store, verify_finds_a_stale_index)
{
	uint32_t id = fx_add("customer", "name", "张伟", "phones",
	    "13800138000", NULL);
	DB_ENV *env;
	DB *db;
	DBT k, d;
	unsigned char key[4];
	struct record r;
	struct buf val;

	cr_assert_eq(verify_problems(), 0);
	cr_assert_eq(get("customer", id, &r), ST_OK);
	record_set(&r, "phones", "13900001111");
	buf_init(&val);
	record_encode(&r, &val);
	cr_assert_eq(db_env_create(&env, 0), 0);
	cr_assert_eq(env->open(env, fx_home, DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL, 0), 0);
	cr_assert_eq(db_create(&db, env, 0), 0);
	cr_assert_eq(db->open(db, NULL, "customer.db", NULL, DB_BTREE,
	    DB_AUTO_COMMIT, 0), 0);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	st_key_u32(key, id);
	k.data = key;
	k.size = 4;
	d.data = val.data;
	d.size = (u_int32_t)val.len;
	cr_assert_eq(db->put(db, NULL, &k, &d, DB_AUTO_COMMIT), 0);
	db->close(db, 0);
	env->close(env, 0);
	buf_free(&val);
	record_free(&r);
	cr_assert_geq(verify_problems(), 2);
}

/* When another process dies inside the library the environment panics:
 * the next call in every survivor must recover and carry on. */
Test(store, survives_a_panicked_environment)
{
	uint32_t id = fx_add("customer", "name", "张伟", NULL);
	DB_ENV *env;
	struct record r;

	cr_assert_eq(db_env_create(&env, 0), 0);
	cr_assert_eq(env->open(env, fx_home, DB_JOINENV, 0), 0);
	env->set_flags(env, DB_PANIC_ENVIRONMENT, 1);
	env->close(env, 0);
	cr_assert_eq(set(fx_store, "customer", id, 0, "company", "华为"), ST_OK,
	    "%s", store_error(fx_store));
	cr_assert_eq(get("customer", id, &r), ST_OK);
	cr_assert_str_eq(record_get(&r, "company"), "华为");
	record_free(&r);
	cr_assert_eq(fx_add("customer", "name", "李娜", NULL), id + 1);
}

Test(store, backup_and_restore_bring_back_every_record)
{
	char backup[300], restored[300];
	struct store *s;
	struct store_opts o = { 0 };
	struct record r;
	char *err;

	for (int i = 0; i < 50; i++)
		cr_assert_neq(fx_add("customer", "name", "张伟", NULL), 0);
	snprintf(backup, sizeof backup, "%s/backup", fx_home);
	snprintf(restored, sizeof restored, "%s/restored", fx_home);
	cr_assert_eq(store_backup(fx_store, backup), ST_OK, "%s",
	    store_error(fx_store));
	/* Written after the backup: must not be in the restored copy. */
	cr_assert_eq(fx_add("customer", "name", "后来", NULL), 51);
	cr_assert_eq(store_restore(backup, restored, &err), ST_OK, "%s", err);
	o.home = restored;
	o.forms = fx_forms;
	o.user = "tester";
	cr_assert_eq(store_open(&s, &o), ST_OK);
	cr_assert_eq(store_count(s, fx_entity("customer")), 50);
	cr_assert_eq(store_get(s, NULL, fx_entity("customer"), 50, &r), ST_OK);
	record_free(&r);
	store_close(s);
	/* Restoring over a live environment is refused. */
	cr_assert_eq(store_restore(backup, fx_home, &err), ST_EXISTS);
	free(err);
}

Test(store, reindex_rebuilds_and_verify_stays_clean)
{
	for (int i = 0; i < 20; i++)
		cr_assert_neq(fx_add("customer", "name", "欧阳娜娜", "phones",
		    "13800138000", NULL), 0);
	cr_assert_eq(store_reindex(fx_store, "customer"), ST_OK, "%s",
	    store_error(fx_store));
	struct hits h = find("欧阳", NULL);
	cr_assert_eq(h.n, 20);
	hits_free(&h);
	cr_assert_eq(verify_problems(), 0);
}

static void
raw_put(DB_ENV *env, const char *file, u_int32_t flags, const void *key,
    size_t klen, const void *data, size_t dlen)
{
	DB *db;
	DBT k, d;

	cr_assert_eq(db_create(&db, env, 0), 0);
	if (flags)
		db->set_flags(db, flags);
	cr_assert_eq(db->open(db, NULL, file, NULL, DB_BTREE, DB_AUTO_COMMIT,
	    0), 0);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = (void *)key;
	k.size = (u_int32_t)klen;
	d.data = (void *)data;
	d.size = (u_int32_t)dlen;
	if (flags) {
		u_int32_t n;

		cr_assert_eq(db->truncate(db, NULL, &n, DB_AUTO_COMMIT), 0);
	}
	cr_assert_eq(db->put(db, NULL, &k, &d, DB_AUTO_COMMIT), 0);
	db->close(db, 0);
}

/* An index written by an older key layout (here layout 2: the result row
 * after the NUL) made every update of its records fail; the next open
 * rebuilds it, says so, and the record can be changed again. */
Test(store, an_index_of_an_older_layout_is_rebuilt_at_open)
{
	uint32_t id = fx_add("customer", "name", "张伟", NULL);
	const char old_key[] = "张伟\0张伟\x1f\x1f\x1f";
	unsigned char idkey[4];
	struct store_opts o = { 0 };
	char **notice;
	bool told = false;
	struct store *s;
	DB_ENV *env;
	struct hits h;

	st_key_u32(idkey, id);
	cr_assert_eq(db_env_create(&env, 0), 0);
	cr_assert_eq(env->open(env, fx_home, DB_CREATE | DB_INIT_TXN |
	    DB_INIT_LOCK | DB_INIT_LOG | DB_INIT_MPOOL, 0), 0);
	raw_put(env, "customer.name.idx", DB_DUP | DB_DUPSORT, old_key,
	    sizeof old_key - 1, idkey, 4);
	raw_put(env, "meta.db", 0, "index:customer.name", 19, "2/2/0", 5);
	env->close(env, 0);
	cr_assert_neq(verify_problems(), 0, "the old keys are not the new ones");

	store_close(fx_store);
	o.home = fx_home;
	o.forms = fx_forms;
	o.user = "tester";
	cr_assert_eq(store_open(&s, &o), ST_OK, "%s", store_error(s));
	fx_store = s;
	for (notice = store_notices(s); *notice != NULL; notice++)
		told |= strstr(*notice, "rebuilt index customer.name") != NULL;
	cr_expect(told, "the rebuild is reported");
	cr_assert_eq(set(s, "customer", id, 0, "name", "李娜"), ST_OK, "%s",
	    store_error(s));
	cr_assert_eq(verify_problems(), 0);
	h = find("李娜", NULL);
	cr_expect(hits_have(&h, "customer", id));
	hits_free(&h);
}

struct import_rows {
	uint32_t ids[16];
	size_t n;
};

static int
import_row(const struct audit *a, void *arg)
{
	struct import_rows *rows = arg;

	if (rows->n < 16)
		rows->ids[rows->n++] = a->id;
	return 0;
}

/* With ids given, as an export imported back has them: one audit
 * record a row (fresh ids would make one for the batch). */
static int
add_three_slowly(struct store *s, struct txn *t, void *arg)
{
	const struct entity *e = fx_entity("customer");
	uint32_t *next = arg;

	for (int i = 0; i < 3; i++) {
		struct record r;
		int rc;

		record_init(&r);
		r.id = (*next)++;
		record_set(&r, "name", "分批");
		rc = store_create(s, t, e, &r);
		record_free(&r);
		if (rc != ST_OK)
			return rc;
		usleep(3000);
	}
	return ST_OK;
}

static int
rows_txn(struct store *s, struct txn *t, void *arg)
{
	return store_import_audit(s, t, "imp-1", import_row, arg);
}

static int
imp2_rows_txn(struct store *s, struct txn *t, void *arg)
{
	return store_import_audit(s, t, "imp-2", import_row, arg);
}

/* An import files one span of audit keys per transaction, not one entry
 * per row: its rows come back newest first, and an audit record inside a
 * span that another process wrote is not taken for one of them. */
Test(store, an_import_is_found_by_its_spans)
{
	struct import_rows rows = { { 0 }, 0 };
	unsigned char lo[16], hi[16], mid[16], doc[1024];
	DBT k, d;
	DBC *c;
	uint64_t tlo = 0, thi = 0, tmid;
	uint32_t next = 1;

	store_set_import(fx_store, "imp-1");
	cr_assert_eq(store_run(fx_store, add_three_slowly, &next), ST_OK);
	cr_assert_eq(store_run(fx_store, add_three_slowly, &next), ST_OK);
	store_set_import(fx_store, NULL);
	cr_assert_eq(fx_add("customer", "name", "不是导入的", NULL), 7);

	/* A forged record of the same import, from another process, timed
	 * between the first span's first and last keys. */
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	cr_assert_eq(fx_store->audit->cursor(fx_store->audit, NULL, &c, 0), 0);
	cr_assert_eq(c->get(c, &k, &d, DB_FIRST), 0);
	memcpy(lo, k.data, 16);
	cr_assert_eq(c->get(c, &k, &d, DB_NEXT), 0);
	cr_assert_eq(c->get(c, &k, &d, DB_NEXT), 0);
	memcpy(hi, k.data, 16);
	for (int i = 0; i < 8; i++) {
		tlo = tlo << 8 | lo[i];
		thi = thi << 8 | hi[i];
	}
	cr_assert_gt(thi, tlo + 1);
	tmid = (tlo + thi) / 2;
	memcpy(mid, lo, 16);
	for (int i = 0; i < 8; i++)
		mid[i] = (unsigned char)(tmid >> (56 - 8 * i));
	mid[11] ^= 1;
	memcpy(doc, d.data, d.size < sizeof doc ? d.size : sizeof doc);
	cr_assert_leq(d.size, sizeof doc);
	c->close(c);
	k.data = mid;
	k.size = 16;
	d.data = doc;
	cr_assert_eq(fx_store->audit->put(fx_store->audit, NULL, &k, &d,
	    DB_AUTO_COMMIT), 0);

	cr_assert_eq(store_run(fx_store, rows_txn, &rows), ST_OK, "%s",
	    store_error(fx_store));
	cr_assert_eq(rows.n, 6, "%zu rows", rows.n);
	for (size_t i = 0; i < rows.n; i++)
		cr_expect_eq(rows.ids[i], 6 - i, "row %zu: customer %u", i,
		    rows.ids[i]);
}

static int
add_three(struct store *s, struct txn *t, void *arg)
{
	(void)arg;
	for (int i = 0; i < 3; i++) {
		struct record r;
		int rc;

		record_init(&r);
		record_set(&r, "name", i == 1 ? "中间" : "两边");
		rc = store_create(s, t, fx_entity("customer"), &r);
		record_free(&r);
		if (rc != ST_OK)
			return rc;
	}
	return ST_OK;
}

static int
count_records(const struct audit *a, void *arg)
{
	(void)a;
	++*(size_t *)arg;
	return 0;
}

static int
first_time(const struct audit *a, void *arg)
{
	int64_t *t = arg;

	if (*t == 0)
		*t = a->time;
	return 0;
}

/* An import's creates of new ids in one transaction are one audit
 * record, and still each record's first event: its history, the whole
 * trail and the import's own rows give one create a record. */
Test(store, an_import_files_its_creates_in_one_record)
{
	struct import_rows rows = { { 0 }, 0 };
	struct creates_seen cs = { .n = 0 };
	struct { size_t n; } ac = { 0 };
	size_t stored = 0;
	DBT k, d;
	DBC *c;
	int ret;

	fx_add("customer", "name", "之前", NULL);
	store_set_import(fx_store, "imp-2");
	cr_assert_eq(store_run(fx_store, add_three, NULL), ST_OK, "%s",
	    store_error(fx_store));
	store_set_import(fx_store, NULL);
	cr_assert_eq(set(fx_store, "customer", 3, 0, "name", "中间改"), ST_OK);

	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	cr_assert_eq(fx_store->audit->cursor(fx_store->audit, NULL, &c, 0), 0);
	while ((ret = c->get(c, &k, &d, DB_NEXT)) == 0)
		stored++;
	c->close(c);
	cr_expect_eq(stored, 3, "%zu audit records: one create, the batch, "
	    "one update", stored);

	cr_assert_eq(store_history(fx_store, "customer", 3, creates_collect,
	    &cs), ST_OK);
	cr_assert_eq(cs.total, 2, "create and update");
	cr_expect_str_eq(cs.text[0], "name=中间");
	cr_assert_eq(store_history(fx_store, "customer", 4, count_records,
	    &ac.n), ST_OK);
	cr_expect_eq(ac.n, 1, "the last of the batch: its create");
	{
		int64_t when = 0;
		struct record r;

		cr_assert_eq(store_history(fx_store, "customer", 4, first_time,
		    &when), ST_OK);
		cr_assert_eq(get("customer", 4, &r), ST_OK);
		cr_expect_eq(when, r.created, "its create dated when it was "
		    "made, not when its batch began");
		record_free(&r);
	}
	ac.n = 0;
	cr_assert_eq(store_history(fx_store, "customer", 5, count_records,
	    &ac.n), ST_OK);
	cr_expect_eq(ac.n, 0, "no record 5, no history");
	ac.n = 0;
	cr_assert_eq(store_history(fx_store, NULL, 0, count_records, &ac.n),
	    ST_OK);
	cr_expect_eq(ac.n, 5, "the whole trail: four creates, one update");

	cr_assert_eq(store_run(fx_store, imp2_rows_txn, &rows), ST_OK);
	cr_assert_eq(rows.n, 3);
	for (size_t i = 0; i < rows.n; i++)
		cr_expect_eq(rows.ids[i], 4 - i, "row %zu: customer %u", i,
		    rows.ids[i]);
}

static bool
verify_says(const char *text)
{
	struct verify_report rep;
	bool found = false;

	cr_assert_eq(store_verify(fx_store, &rep), ST_OK);
	for (size_t i = 0; i < rep.problems.n; i++) {
		fprintf(stderr, "verify: %s\n", rep.problems.v[i]);
		found = found || strstr(rep.problems.v[i], text) != NULL;
	}
	strv_free(&rep.problems);
	return found;
}

static void
drop_audit_entry(DB *db, const char *entity, uint32_t id)
{
	struct buf rk;
	DBT k;

	buf_init(&rk);
	buf_adds(&rk, entity);
	buf_addc(&rk, '\0');
	buf_add(&rk, (unsigned char[4]){ 0 }, 4);
	st_key_u32((unsigned char *)rk.data + rk.len - 4, id);
	memset(&k, 0, sizeof k);
	k.data = rk.data;
	k.size = (u_int32_t)rk.len;
	cr_assert_eq(db->del(db, NULL, &k, 0), 0);
	buf_free(&rk);
}

/* History finds a record's changes through the audit's indexes: db
 * verify checks that each audit record is filed there, and no more. */
Test(store, verify_checks_the_audit_indexes)
{
	unsigned char stray[2 * 16];
	DBT k, d;

	fx_add("customer", "name", "之前", NULL);
	store_set_import(fx_store, "imp-2");
	cr_assert_eq(store_run(fx_store, add_three, NULL), ST_OK);
	store_set_import(fx_store, NULL);
	cr_assert_eq(set(fx_store, "customer", 3, 0, "name", "中间改"), ST_OK);
	cr_assert_eq(verify_problems(), 0);

	drop_audit_entry(fx_store->audit_creates, "customer", 2);
	cr_expect(verify_says("audit-create.idx: the creates of customer 2 "
	    "to 4 are not filed"));
	cr_expect(verify_says("audit-create.idx: 0 entries, 1 expected"));
	drop_audit_entry(fx_store->audit_by_record, "customer", 3);
	cr_expect(verify_says("audit-record.idx: customer 3's update is not "
	    "filed"));

	memset(stray, 0x7f, sizeof stray);
	memset(&k, 0, sizeof k);
	memset(&d, 0, sizeof d);
	k.data = "imp-9";
	k.size = 5;
	d.data = stray;
	d.size = sizeof stray;
	cr_assert_eq(fx_store->audit_by_import->put(fx_store->audit_by_import,
	    NULL, &k, &d, 0), 0);
	cr_expect(verify_says("audit-import.idx: entry for missing audit "
	    "record"));
}

/* Two mutexes per page of cache besides the sessions': a fixed count ran
 * out once a 1 GiB cache filled, and then nothing could open the store. */
Test(store, mutexes_grow_with_the_cache)
{
	char *path, *cmd;
	u_int32_t max = 0;
	FILE *fp;

	cr_assert_eq(fx_store->env->mutex_get_max(fx_store->env, &max), 0);
	cr_expect_geq(max, 200000u + 2u * (128u * 1024 * 1024 / 4096),
	    "default cache: %u mutexes", max);
	store_close(fx_store);
	fx_store = NULL;
	cmd = xasprintf("rm -f '%s'/__db.0*", fx_home);
	cr_assert_eq(system(cmd), 0);
	free(cmd);
	path = xasprintf("%s/DB_CONFIG", fx_home);
	fp = fopen(path, "a");
	cr_assert_not_null(fp);
	fputs("set_cachesize 1 0 1\n", fp);
	fclose(fp);
	free(path);
	fx_store = fx_open("tester");
	cr_assert_eq(fx_store->env->mutex_get_max(fx_store->env, &max), 0);
	cr_expect_geq(max, 200000u + 2u * (1024u * 1024 * 1024 / 4096),
	    "1 GiB cache: %u mutexes", max);
	cr_expect_neq(fx_add("customer", "name", "张三", NULL), 0u,
	    "and the store works");
}
