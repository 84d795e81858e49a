/* test-perm.c - roles and permissions as the shipped forms give them,
 * and public key lines. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

static struct forms *forms;

static void
load(void)
{
	const char *dir = getenv("TCRM_FORMS");
	struct strv diags;

	strv_init(&diags);
	cr_assert_eq(forms_load(dir && *dir ? dir : "forms", &forms, &diags),
	    0);
	strv_free(&diags);
}

static void
unload(void)
{
	forms_free(forms);
}

static const struct field *
field(const char *entity, const char *name)
{
	const struct entity *e = forms_entity(forms, entity);

	cr_assert_not_null(e, "%s", entity);
	return entity_field(e, name);
}

TestSuite(perm, .init = load, .fini = unload);

Test(perm, roles_by_name)
{
	unsigned r = 0;

	cr_expect_eq(role_parse("agent", &r), 0);
	cr_expect_eq(r, ROLE_AGENT);
	cr_expect_eq(role_parse("admin", &r), 0);
	cr_expect_eq(r, ROLE_ADMIN);
	cr_expect_eq(role_parse("root", &r), -1);
	cr_expect_str_eq(role_name(ROLE_SUPERVISOR), "supervisor");
	cr_expect_str_eq(role_name(ROLE_ALL), "admin");
	cr_expect_str_eq(role_name(0), "none");
	char *t = roles_text(ROLE_SUPERVISOR | ROLE_ADMIN);
	cr_expect_str_eq(t, "supervisor or admin");
	free(t);
}

Test(perm, id_number_is_hidden_from_agents)
{
	const struct field *f = field("customer", "id_number");

	cr_expect_not(field_readable(f, ROLE_AGENT));
	cr_expect(field_readable(f, ROLE_SUPERVISOR));
	cr_expect_not(field_writable(f, ROLE_SUPERVISOR));
	cr_expect(field_writable(f, ROLE_ADMIN));
	cr_expect(field_writable(field("customer", "name"), ROLE_AGENT));
}

/* A field may not grant more than its entity: articles are written by
 * supervisors, so no article field is writable by agents. */
Test(perm, entity_roles_narrow_fields)
{
	const struct entity *e = forms_entity(forms, "article");

	cr_assert_not_null(e);
	cr_expect_not(entity_writable(e, ROLE_AGENT));
	for (size_t i = 0; i < e->nfields; i++)
		cr_expect_not(field_writable(&e->fields[i], ROLE_AGENT), "%s",
		    e->fields[i].name);
}

Test(perm, users_are_admin_business)
{
	const struct entity *e = forms_entity(forms, USER_ENTITY);

	cr_assert_not_null(e);
	cr_expect_not(entity_readable(e, ROLE_AGENT));
	cr_expect(entity_readable(e, ROLE_SUPERVISOR));
	cr_expect_not(entity_writable(e, ROLE_SUPERVISOR));
	cr_expect_not(field_readable(field(USER_ENTITY, "keys"),
	    ROLE_SUPERVISOR));
	cr_expect_not(entity_deletable(forms_entity(forms, "customer"),
	    ROLE_SUPERVISOR));
	cr_expect(entity_deletable(forms_entity(forms, "contact"),
	    ROLE_SUPERVISOR));
}

Test(perm, hidden_values)
{
	const struct entity *e = forms_entity(forms, "customer");
	struct record r;
	struct hit h = { e, 1, xstrdup("张伟"), xstrdup("华为"),
	    xstrdup("13800138000"), xstrdup("zw@example.cn") };

	record_init(&r);
	record_set(&r, "name", "张伟");
	record_set(&r, "id_number", "110101199001011234");
	record_hide_unreadable(e, &r, ROLE_AGENT);
	cr_expect_str_eq(record_get(&r, "name"), "张伟");
	cr_expect_str_eq(record_get(&r, "id_number"), "");
	record_free(&r);
	hit_hide_unreadable(&h, ROLE_AGENT);
	cr_expect_str_eq(h.phones, "13800138000");
	free(h.title);
	free(h.subtitle);
	free(h.phones);
	free(h.email);
}

Test(pubkey, parse)
{
	struct pubkey k;
	char *why = NULL, *line;

	cr_assert_eq(pubkey_parse("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt4"
	    "msg7DAYYMuvThRdxJWnr+6ra/N9Vs6JlFnCwEBGw  王 小丽 ", &k, &why), 0,
	    "%s", why ? why : "");
	cr_expect_str_eq(k.type, "ssh-ed25519");
	cr_expect_str_eq(k.comment, "王 小丽");
	/* As ssh-keygen -l prints it. */
	cr_expect_str_eq(k.fingerprint,
	    "SHA256:vi+Hnfw+NozKjUrpM4RsaF3P6gCdwCrsFhMqy0naOxM");
	line = pubkey_line(&k);
	cr_expect_str_eq(line, "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt4msg7"
	    "DAYYMuvThRdxJWnr+6ra/N9Vs6JlFnCwEBGw 王 小丽");
	free(line);
	pubkey_free(&k);
}

Test(pubkey, refused)
{
	static const char *bad[] = {
		"",
		"hello",
		"ssh-ed25519",
		"ssh-ed25519 AAAAnotbase64!!",
		"from=\"10.0.0.1\" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBt4msg7"
		    "DAYYMuvThRdxJWnr+6ra/N9Vs6JlFnCwEBGw",
		"ssh-dss AAAAB3NzaC1kc3MAAACBAP",
	};
	struct pubkey k;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *why = NULL;

		cr_expect_eq(pubkey_parse(bad[i], &k, &why), -1, "%s", bad[i]);
		cr_expect_not_null(why);
		free(why);
	}
}
