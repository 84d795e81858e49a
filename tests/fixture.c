/* fixture.c - a fresh environment per Criterion test. */
#include "fixture.h"

#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct forms *fx_forms;
struct store *fx_store;
char fx_home[256];
int fx_rc;

static const char *
forms_dir(void)
{
	const char *d = getenv("TCRM_FORMS");

	return d && *d ? d : "forms";
}

struct store *
fx_open(const char *user)
{
	struct store_opts o = { 0 };
	struct store *s;

	o.home = fx_home;
	o.forms = fx_forms;
	o.user = user;
	cr_assert_eq(store_open(&s, &o), ST_OK, "open: %s", store_error(s));
	return s;
}

void
fx_setup(void)
{
	struct strv diags;

	strv_init(&diags);
	if (forms_load(forms_dir(), &fx_forms, &diags) != 0)
		cr_assert_fail("forms: %s", diags.n ? diags.v[0] : "?");
	strv_free(&diags);
	snprintf(fx_home, sizeof fx_home, "/tmp/tcrm-test.XXXXXX");
	cr_assert_not_null(mkdtemp(fx_home));
	fx_store = fx_open("tester");
}

void
fx_teardown(void)
{
	char *cmd;

	store_close(fx_store);
	fx_store = NULL;
	forms_free(fx_forms);
	cmd = xasprintf("rm -rf '%s'", fx_home);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", fx_home);
	free(cmd);
}

const struct entity *
fx_entity(const char *name)
{
	const struct entity *e = forms_entity(fx_forms, name);

	cr_assert_not_null(e, "no entity %s", name);
	return e;
}

struct fx_add_arg {
	const struct entity *e;
	struct record draft;
	uint32_t id;
};

static int
fx_add_txn(struct store *s, struct txn *t, void *arg)
{
	struct fx_add_arg *a = arg;
	struct record r;
	int rc;

	record_copy(&r, &a->draft);
	rc = store_create(s, t, a->e, &r);
	a->id = r.id;
	record_free(&r);
	return rc;
}

uint32_t
fx_add(const char *entity, ...)
{
	struct fx_add_arg a;
	const char *name;
	va_list ap;

	a.e = fx_entity(entity);
	record_init(&a.draft);
	va_start(ap, entity);
	while ((name = va_arg(ap, const char *)) != NULL) {
		const char *value = va_arg(ap, const char *);
		const struct field *f = entity_field(a.e, name);
		char *out = NULL, *why = NULL;

		if (f != NULL && field_normalise(f, value, &out, &why) == 0) {
			record_set(&a.draft, name, out);
			free(out);
		} else {
			record_set(&a.draft, name, value);
			free(why);
		}
	}
	va_end(ap);
	fx_rc = store_run(fx_store, fx_add_txn, &a);
	record_free(&a.draft);
	return fx_rc == ST_OK ? a.id : 0;
}
