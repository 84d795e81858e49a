/* test-form.c - forms: the shipped YAML, the loader's errors, and values. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

static struct forms *forms;

static const char *
forms_dir(void)
{
	const char *dir = getenv("TCRM_FORMS");

	return dir != NULL && *dir != '\0' ? dir : "forms";
}

static char *
bad_dir(const char *name)
{
	const char *src = getenv("TESTS_SRCDIR");

	if (src != NULL && *src != '\0')
		return xasprintf("%s/data/forms-bad/%s", src, name);
	return xasprintf("tests/data/forms-bad/%s", name);
}

static void
load_repo_forms(void)
{
	struct strv diags;
	char *all;

	strv_init(&diags);
	if (forms_load(forms_dir(), &forms, &diags) != 0) {
		all = strv_join(&diags, "\n");
		cr_assert_fail("%s does not load:\n%s", forms_dir(), all);
	}
	strv_free(&diags);
}

static void
free_repo_forms(void)
{
	forms_free(forms);
	forms = NULL;
}

/*
 * Load a fixture directory and compare every diagnostic with want, each
 * given without the "dir/" prefix the loader puts in front.
 */
static void
expect_diags(const char *name, const char *const *want, size_t n)
{
	char *dir = bad_dir(name), *all;
	struct forms *f = (struct forms *)1;
	struct strv diags;
	int rc;

	strv_init(&diags);
	rc = forms_load(dir, &f, &diags);
	all = strv_join(&diags, "\n");
	cr_assert_neq(rc, 0, "%s loaded without error", name);
	cr_assert_null(f, "forms set although loading failed");
	cr_assert_eq(diags.n, n, "%s: want %zu problems, got %zu:\n%s", name,
	    n, diags.n, all);
	for (size_t i = 0; i < n; i++) {
		char *line = xasprintf("%s/%s", dir, want[i]);

		cr_expect_str_eq(diags.v[i], line, "problem %zu of %s", i,
		    name);
		free(line);
	}
	free(all);
	strv_free(&diags);
	free(dir);
}

#define EXPECT_DIAGS(name, ...) do {					\
	static const char *const want_[] = { __VA_ARGS__ };		\
	expect_diags(name, want_, sizeof want_ / sizeof want_[0]);	\
} while (0)

TestSuite(shipped, .init = load_repo_forms, .fini = free_repo_forms);

Test(shipped, every_entity_loads)
{
	static const char *names[] = {
		"agent", "article", "callback", "campaign", "contact",
		"contract", "customer", "interaction", "lead", "opportunity",
		"order", "order_line", "payment", "product", "ticket", "user"
	};

	cr_assert_eq(forms->n, sizeof names / sizeof names[0]);
	for (size_t i = 0; i < forms->n; i++) {
		cr_expect_str_eq(forms->entities[i].name, names[i]);
		cr_expect_not_null(forms_entity(forms, names[i]));
	}
	cr_expect_null(forms_entity(forms, "customers"));
}

Test(shipped, only_customer_and_contact_are_searched)
{
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *e = &forms->entities[i];
		bool want = strcmp(e->name, "customer") == 0 ||
		    strcmp(e->name, "contact") == 0;

		cr_expect_eq(e->searchable, want, "%s searchable", e->name);
	}
}

Test(shipped, everything_is_labelled_in_both_languages)
{
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *e = &forms->entities[i];

		cr_expect_not_null(e->label.zh, "%s has no zh label", e->name);
		for (size_t j = 0; j < e->nfields; j++) {
			const struct field *f = &e->fields[j];

			cr_expect_not_null(f->label.zh, "%s.%s", e->name,
			    f->name);
			cr_expect_str_neq(f->label.en, f->name, "%s.%s has no "
			    "en label", e->name, f->name);
			for (size_t k = 0; k < f->nvalues; k++) {
				cr_expect_not_null(f->values[k].label.zh,
				    "%s.%s=%s", e->name, f->name,
				    f->values[k].value);
			}
		}
	}
}

/* A field missing from the layout could not be edited on the desk. */
Test(shipped, layouts_show_every_field_once)
{
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *e = &forms->entities[i];

		for (size_t j = 0; j < e->nfields; j++) {
			size_t seen = 0;

			for (size_t r = 0; r < e->nlayout; r++) {
				for (size_t c = 0; c < e->layout[r].n; c++)
					seen += strcmp(e->layout[r].v[c],
					    e->fields[j].name) == 0;
			}
			cr_expect_eq(seen, 1, "%s.%s is %zu times in the "
			    "layout", e->name, e->fields[j].name, seen);
		}
	}
}

Test(shipped, refs_are_resolved)
{
	size_t refs = 0;

	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *e = &forms->entities[i];

		for (size_t j = 0; j < e->nfields; j++) {
			const struct field *f = &e->fields[j];

			if (f->type != FT_REF)
				continue;
			refs++;
			cr_assert_not_null(f->ref_entity, "%s.%s", e->name,
			    f->name);
			cr_expect_str_eq(f->ref_entity->name, f->ref);
			cr_expect_eq(f->index, IX_REF);
		}
	}
	cr_expect_eq(refs, 19);
}

Test(shipped, delete_policies)
{
	const struct entity *contact = forms_entity(forms, "contact");
	const struct entity *inter = forms_entity(forms, "interaction");
	const struct entity *ticket = forms_entity(forms, "ticket");
	const struct entity *line = forms_entity(forms, "order_line");

	cr_expect_eq(entity_field(contact, "customer")->on_delete, REF_CASCADE);
	cr_expect_eq(entity_field(contact, "customer")->ref_entity,
	    forms_entity(forms, "customer"));
	cr_expect_eq(entity_field(inter, "customer")->on_delete, REF_CASCADE);
	cr_expect_eq(entity_field(inter, "contact")->on_delete,
	    REF_SET_EMPTY);
	cr_expect_eq(entity_field(ticket, "customer")->on_delete,
	    REF_RESTRICT);
	cr_expect_eq(entity_field(ticket, "contact")->on_delete,
	    REF_SET_EMPTY);
	cr_expect_eq(entity_field(line, "order")->on_delete, REF_CASCADE);
	cr_expect_eq(entity_field(line, "product")->on_delete, REF_RESTRICT);
}

Test(shipped, customer_fields)
{
	const struct entity *e = forms_entity(forms, "customer");
	const struct field *f;

	cr_assert_not_null(e);
	cr_expect_str_eq(e->title, "name");
	cr_expect_str_eq(e->subtitle, "company");
	cr_expect_eq(e->delete_roles, ROLE_ADMIN);
	cr_expect_str_eq(e->file + strlen(e->file) - 14, "/customer.yaml");
	cr_expect_eq(e->line, 2);

	f = entity_field(e, "name");
	cr_expect(f->required);
	cr_expect_eq(f->index, IX_PREFIX);
	cr_expect_eq(f->max, 200);
	cr_expect_eq(entity_field(e, "phones")->index, IX_PHONE);
	cr_expect_eq(entity_field(e, "phones")->type, FT_PHONES);
	cr_expect(entity_field(e, "email")->unique);
	cr_expect_eq(entity_field(e, "email")->index, IX_EXACT);

	f = entity_field(e, "external_id");
	cr_expect(f->unique);
	cr_expect_eq(f->index, IX_EXACT);
	cr_expect_eq(entity_field_by_alias(e, "CRM ID"), f);

	f = entity_field(e, "id_number");
	cr_expect_eq(f->read_roles, ROLE_SUPERVISOR | ROLE_ADMIN);
	cr_expect_eq(f->write_roles, ROLE_ADMIN);
	cr_expect_eq(entity_field(e, "name")->read_roles, ROLE_ALL);

	f = entity_field(e, "kind");
	cr_expect_eq(f->line, 13);
	cr_expect_eq(f->column, 5);
	cr_expect_str_eq(f->def, "person");
	cr_assert_eq(f->nvalues, 2);
	cr_expect_str_eq(f->values[1].value, "organisation");
	cr_expect_str_eq(f->values[1].label.zh, "组织");
	cr_expect_str_eq(f->values[1].key, "o");
	cr_expect_str_eq(label_get(&f->values[1].label, "zh_CN.UTF-8"),
	    "组织");
	cr_expect_eq(entity_field(e, "birthday")->type, FT_DATE);
	cr_expect_eq(entity_field(e, "notes")->type, FT_LONGTEXT);
}

Test(shipped, dispositions_have_hotkeys)
{
	const struct field *f = entity_field(forms_entity(forms,
	    "interaction"), "disposition");
	static const char *values[] = {
		"answered", "no_answer", "busy", "voicemail", "callback",
		"sale", "complaint", "wrong_number", "do_not_call"
	};

	cr_assert_eq(f->nvalues, sizeof values / sizeof values[0]);
	for (size_t i = 0; i < f->nvalues; i++) {
		cr_expect_str_eq(f->values[i].value, values[i]);
		cr_expect_not_null(f->values[i].key, "%s", values[i]);
	}
	cr_expect_not_null(field_enum_value(f, "busy"));
	cr_expect_str_eq(field_enum_value(f, "busy")->label.zh, "占线");
	cr_expect_null(field_enum_value(f, "Busy"));
}

Test(shipped, money_fields_default_to_yuan)
{
	const struct field *f = entity_field(forms_entity(forms, "product"),
	    "price");

	cr_expect_eq(f->type, FT_MONEY);
	cr_expect_str_eq(f->currency, "CNY");
	cr_expect(entity_field(forms_entity(forms, "product"), "sku")->unique);
}

Test(shipped, default_list_and_layout)
{
	const struct entity *e = forms_entity(forms, "contact");

	cr_assert_eq(e->list.n, 5);
	cr_expect_str_eq(e->list.v[0], "name");
	cr_expect_str_eq(e->subtitle, "customer");
	cr_expect_str_eq(e->layout[0].v[1], "primary");
}

Test(shipped, aliases_ignore_case_and_spacing)
{
	const struct entity *e = forms_entity(forms, "customer");
	const struct field *phones = entity_field(e, "phones");

	cr_expect_eq(entity_field_by_alias(e, "phone 1"), phones);
	cr_expect_eq(entity_field_by_alias(e, "PHONE1"), phones);
	cr_expect_eq(entity_field_by_alias(e, "  Phone_1 "), phones);
	cr_expect_eq(entity_field_by_alias(e, "手机"), phones);
	cr_expect_eq(entity_field_by_alias(e, "Ｐｈｏｎｅ　１"), phones);
	cr_expect_eq(entity_field_by_alias(e, "phones"), phones);
	cr_expect_eq(entity_field_by_alias(e, "E-Mail"),
	    entity_field(e, "email"));
	cr_expect_eq(entity_field_by_alias(e, "email address"),
	    entity_field(e, "email"));
	cr_expect_eq(entity_field_by_alias(e, "Full  Name"),
	    entity_field(e, "name"));
	cr_expect_eq(entity_field_by_alias(e, "客户编号"),
	    entity_field(e, "external_id"));
	cr_expect_eq(entity_field_by_alias(e, "External-ID"),
	    entity_field(e, "external_id"));
	cr_expect_eq(entity_field_by_alias(e, "*姓名："),
	    entity_field(e, "name"));
	cr_expect_eq(entity_field_by_alias(e, "Customer No."),
	    entity_field(e, "external_id"));
	cr_expect_null(entity_field_by_alias(e, "Fax"));
	cr_expect_null(entity_field_by_alias(e, ""));
	cr_expect_null(entity_field(e, "Phones"));
}

/* Exported files carry label headers; they must read back. */
Test(shipped, labels_match_last)
{
	const struct entity *e = forms_entity(forms, "customer");

	cr_expect_eq(entity_field_by_alias(e, "身份证号"),
	    entity_field(e, "id_number"));
	cr_expect_eq(entity_field_by_alias(e, "job title"),
	    entity_field(e, "title"));
	cr_expect_eq(entity_field_by_alias(e, "负责坐席"),
	    entity_field(e, "owner_agent"));
}

Test(loader, unknown_key)
{
	EXPECT_DIAGS("unknown-key",
	    "thing.yaml:6:5: unknown key 'requird' (did you mean "
	    "'required'?)");
}

Test(loader, unknown_type)
{
	EXPECT_DIAGS("unknown-type",
	    "thing.yaml:7:11: unknown type 'strnig'");
}

Test(loader, missing_name)
{
	EXPECT_DIAGS("missing-name", "thing.yaml:6:5: missing 'name'");
}

Test(loader, duplicate_field)
{
	EXPECT_DIAGS("duplicate-field",
	    "thing.yaml:8:11: duplicate field 'email' (first at line 6)");
}

Test(loader, enum_without_values)
{
	EXPECT_DIAGS("enum-no-values",
	    "thing.yaml:6:5: enum field 'kind' has no values");
}

Test(loader, unknown_role)
{
	EXPECT_DIAGS("unknown-role",
	    "thing.yaml:3:46: unknown role 'boss' (roles are agent, "
	    "supervisor and admin)");
}

Test(loader, ref_to_unknown_entity)
{
	EXPECT_DIAGS("unknown-ref",
	    "contact.yaml:8:10: ref to unknown entity 'custmer' (did you "
	    "mean 'customer'?)");
}

Test(loader, title_names_unknown_field)
{
	EXPECT_DIAGS("title-unknown",
	    "thing.yaml:2:8: title names unknown field 'nmae' (did you mean "
	    "'name'?)");
}

Test(loader, layout_names_unknown_field)
{
	EXPECT_DIAGS("layout-unknown",
	    "thing.yaml:9:12: layout names unknown field 'phone' (did you "
	    "mean 'phones'?)");
}

Test(loader, bad_boolean)
{
	EXPECT_DIAGS("bad-bool",
	    "thing.yaml:6:15: bad boolean 'yes please' for 'required' (use "
	    "true or false)");
}

Test(loader, max_not_positive)
{
	EXPECT_DIAGS("bad-max",
	    "thing.yaml:6:10: max must be a positive integer, not '-3'");
}

Test(loader, yaml_syntax_error)
{
	EXPECT_DIAGS("syntax",
	    "thing.yaml:6:4: did not find expected '-' indicator while "
	    "parsing a block collection");
}

Test(loader, not_utf8)
{
	EXPECT_DIAGS("bad-utf8",
	    "thing.yaml:6:28: invalid leading UTF-8 octet");
}

Test(loader, entity_does_not_match_file)
{
	EXPECT_DIAGS("entity-mismatch",
	    "thing.yaml:1:9: entity 'things' does not match the file name "
	    "'thing.yaml'");
}

Test(loader, file_not_a_mapping)
{
	EXPECT_DIAGS("not-mapping",
	    "thing.yaml:1:1: the top level must be a mapping (entity: ..., "
	    "fields: ...), not a list");
}

Test(loader, empty_file)
{
	EXPECT_DIAGS("empty-file", "thing.yaml:1:1: the file is empty");
}

Test(loader, two_documents)
{
	EXPECT_DIAGS("two-documents",
	    "thing.yaml:7:1: more than one YAML document (remove the second "
	    "'---')");
}

Test(loader, duplicate_key)
{
	EXPECT_DIAGS("duplicate-key", "thing.yaml:7:5: duplicate key 'label'");
}

Test(loader, bad_default)
{
	EXPECT_DIAGS("bad-default",
	    "thing.yaml:9:14: bad default: 'robot' is not one of: person, "
	    "organisation");
}

Test(loader, alias_names_two_fields)
{
	EXPECT_DIAGS("alias-clash",
	    "thing.yaml:7:5: alias 'FULL_NAME' of field 'nickname' already "
	    "names field 'name'");
}

Test(loader, keys_that_do_not_fit_the_type)
{
	EXPECT_DIAGS("misplaced-keys",
	    "thing.yaml:6:13: 'values' does not apply to text fields",
	    "thing.yaml:9:15: 'currency' does not apply to int fields",
	    "thing.yaml:10:12: index prefix does not apply to int fields",
	    "thing.yaml:13:13: 'unique' does not apply to phones fields",
	    "thing.yaml:16:15: bad currency 'RMBX' (use a three-letter code "
	    "such as CNY)",
	    "thing.yaml:20:16: bad on_delete 'nullify' (use restrict, "
	    "cascade or set_empty)");
}

Test(loader, missing_required_keys)
{
	EXPECT_DIAGS("missing-keys",
	    "thing.yaml:1:1: missing 'entity'",
	    "thing.yaml:1:1: missing 'fields'",
	    "thing.yaml:1:1: missing 'title'");
}

Test(loader, every_error_in_a_file_at_once)
{
	EXPECT_DIAGS("many",
	    "customer.yaml:5:11: subtitle names unknown field 'compnay'",
	    "customer.yaml:6:9: bad boolean 'maybe' for 'search' (use true "
	    "or false)",
	    "customer.yaml:8:45: unknown role 'boss' (roles are agent, "
	    "supervisor and admin)",
	    "customer.yaml:14:62: hotkey 'p' is already used by 'person'",
	    "customer.yaml:18:5: unknown key 'requird' (did you mean "
	    "'required'?)",
	    "customer.yaml:19:10: max must be a positive integer, not 'many'",
	    "customer.yaml:23:11: unknown type 'emial' (did you mean "
	    "'email'?)",
	    "customer.yaml:24:11: duplicate field 'email' (first at line 22)",
	    "customer.yaml:26:11: field name 'id' is reserved",
	    "customer.yaml:30:10: ref to unknown entity 'custmer' (did you "
	    "mean 'customer'?)",
	    "customer.yaml:33:21: layout names unknown field 'fax'");
}

/* A broken c.yaml is one error, not one more for each ref to it. */
Test(loader, every_file_in_order)
{
	EXPECT_DIAGS("several-files",
	    "a.yaml:5:11: unknown type 'txt' (did you mean 'text'?)",
	    "c.yaml:4:1: did not find expected node content while parsing a "
	    "flow node");
}

Test(loader, directory_without_forms)
{
	char *dir = bad_dir("no-yaml"), *want;
	struct forms *f;
	struct strv diags;

	strv_init(&diags);
	cr_assert_neq(forms_load(dir, &f, &diags), 0);
	cr_assert_null(f);
	cr_assert_eq(diags.n, 1);
	want = xasprintf("%s: no .yaml files", dir);
	cr_expect_str_eq(diags.v[0], want);
	free(want);
	strv_free(&diags);
	free(dir);
}

Test(loader, missing_directory)
{
	struct forms *f;
	struct strv diags;

	strv_init(&diags);
	cr_assert_neq(forms_load("/nonexistent/forms", &f, &diags), 0);
	cr_assert_null(f);
	cr_assert_eq(diags.n, 1);
	cr_expect_str_eq(diags.v[0],
	    "/nonexistent/forms: No such file or directory");
	strv_free(&diags);
}

Test(form, type_names)
{
	enum field_type t;

	for (int i = FT_TEXT; i <= FT_REF; i++) {
		cr_assert_eq(field_type_parse(field_type_name(
		    (enum field_type)i), &t), 0);
		cr_expect_eq(t, (enum field_type)i);
	}
	cr_expect_str_eq(field_type_name(FT_PHONES), "phones");
	cr_expect_neq(field_type_parse("string", &t), 0);
}

Test(form, labels)
{
	struct label both = { "Phones", "电话" }, en_only = { "Phones", NULL };

	cr_expect_str_eq(label_get(&both, "zh"), "电话");
	cr_expect_str_eq(label_get(&both, "zh_TW.UTF-8"), "电话");
	cr_expect_str_eq(label_get(&both, "en"), "Phones");
	cr_expect_str_eq(label_get(&both, NULL), "Phones");
	cr_expect_str_eq(label_get(&en_only, "zh"), "Phones");
}

/* 2026-03-05 10:00 in Beijing; CST-8 needs no zoneinfo files. */
static void
fix_clock(void)
{
	setenv("TZ", "CST-8", 1);
	tzset();
	setenv("TCRM_NOW", "1772676000", 1);
	setenv("TCRM_COUNTRY", "86", 1);
}

TestSuite(value, .init = fix_clock);

static void
expect_value(const struct field *f, const char *in, const char *want)
{
	char *out, *why;

	if (field_normalise(f, in, &out, &why) != 0) {
		cr_expect_fail("%s '%s' refused: %s", field_type_name(f->type),
		    in, why);
		free(why);
		return;
	}
	cr_expect_null(why);
	cr_expect_str_eq(out, want, "%s '%s'", field_type_name(f->type), in);
	free(out);
}

static void
expect_refused(const struct field *f, const char *in, const char *want)
{
	char *out, *why;

	if (field_normalise(f, in, &out, &why) == 0) {
		cr_expect_fail("%s '%s' taken as '%s'",
		    field_type_name(f->type), in, out);
		free(out);
		return;
	}
	cr_expect_null(out);
	cr_expect_str_eq(why, want, "%s '%s'", field_type_name(f->type), in);
	free(why);
}

static void
expect_display(const struct field *f, const char *stored, const char *want)
{
	char *shown = field_display(f, stored);

	cr_expect_str_eq(shown, want);
	free(shown);
}

Test(value, empty_is_empty_for_every_type)
{
	for (int t = FT_TEXT; t <= FT_REF; t++) {
		struct field f = { .type = (enum field_type)t };

		expect_value(&f, "", "");
		expect_value(&f, " \t ", "");
		expect_value(&f, NULL, "");
	}
}

Test(value, text)
{
	struct field f = { .type = FT_TEXT, .max = 5 };

	expect_value(&f, "  Zhang  ", "Zhang");
	expect_value(&f, "\u3000张三李四王\u3000", "张三李四王");
	expect_refused(&f, "张三李四王五", "longer than 5 characters");
	expect_refused(&f, "a\nb", "contains a line break (only long text "
	    "fields take several lines)");
	expect_refused(&f, "a\x07", "contains the control character U+0007");
	expect_refused(&f, "a\xff", "not valid UTF-8 text");
}

Test(value, longtext)
{
	struct field f = { .type = FT_LONGTEXT, .max = 13 };

	expect_value(&f, "one\r\ntwo\tthree\n", "one\ntwo\tthree");
	expect_value(&f, "a\rb", "a\nb");
	expect_refused(&f, "one\ntwo\nthree!", "longer than 13 characters");
	expect_refused(&f, "bell\x07", "contains the control character "
	    "U+0007");
	expect_refused(&f, "esc\x1b[2J", "contains the control character "
	    "U+001B");
}

Test(value, int)
{
	struct field f = { .type = FT_INT };

	expect_value(&f, "42", "42");
	expect_value(&f, "+7", "7");
	expect_value(&f, "-0012", "-12");
	expect_value(&f, "-0", "0");
	expect_value(&f, "１２３", "123");
	expect_value(&f, "9223372036854775807", "9223372036854775807");
	expect_value(&f, "-9223372036854775808", "-9223372036854775808");
	expect_refused(&f, "9223372036854775808",
	    "'9223372036854775808' is too large for a whole number");
	expect_refused(&f, "abc", "'abc' is not a whole number");
	expect_refused(&f, "1.5", "'1.5' is not a whole number");
	expect_refused(&f, "-", "'-' is not a whole number");
	expect_refused(&f, "1 000", "'1 000' is not a whole number");
}

Test(value, money)
{
	struct field f = { .type = FT_MONEY };
	struct field usd = { .type = FT_MONEY, .currency = "USD" };

	expect_value(&f, "123.45", "12345 CNY");
	expect_value(&f, "123.45 CNY", "12345 CNY");
	expect_value(&f, "CNY 123.45", "12345 CNY");
	expect_value(&f, "¥123.45", "12345 CNY");
	expect_value(&f, "￥ 8", "800 CNY");
	expect_value(&f, "1,234.50", "123450 CNY");
	expect_value(&f, "-5", "-500 CNY");
	expect_value(&f, "-¥5.5", "-550 CNY");
	expect_value(&f, "0.05", "5 CNY");
	expect_value(&f, "12.3 usd", "1230 USD");
	expect_value(&f, "RMB 8", "800 CNY");
	expect_value(&f, "100元", "10000 CNY");
	expect_value(&f, "1.500", "150 CNY");
	expect_value(&usd, "7", "700 USD");
	expect_value(&usd, "7 EUR", "700 EUR");
	expect_refused(&f, "1.234", "'1.234' has more than 2 decimal places");
	expect_refused(&f, "1,23", "'1,23' is not an amount of money (use "
	    "1234.50, 1,234.50 CNY or ¥1234.50)");
	expect_refused(&f, "abc", "'abc' is not an amount of money (use "
	    "1234.50, 1,234.50 CNY or ¥1234.50)");
	expect_refused(&f, "¥5 USD", "'¥5 USD' names two currencies");
	expect_refused(&f, "99999999999999999999",
	    "'99999999999999999999' is too large an amount");
}

Test(value, money_display)
{
	struct field f = { .type = FT_MONEY };
	char *out, *why, *shown;

	expect_display(&f, "12345 CNY", "123.45 CNY");
	expect_display(&f, "123450 CNY", "1234.50 CNY");
	expect_display(&f, "-5 CNY", "-0.05 CNY");
	expect_display(&f, "-500 USD", "-5.00 USD");
	expect_display(&f, "garbage", "garbage");
	cr_assert_eq(field_normalise(&f, "-1,234.5", &out, &why), 0);
	shown = field_display(&f, out);
	cr_expect_str_eq(shown, "-1234.50 CNY");
	free(out);
	cr_assert_eq(field_normalise(&f, shown, &out, &why), 0);
	cr_expect_str_eq(out, "-123450 CNY");
	free(out);
	free(shown);
}

Test(value, date)
{
	struct field f = { .type = FT_DATE };

	expect_value(&f, "2026-03-05", "2026-03-05");
	expect_value(&f, "2024-02-29", "2024-02-29");
	expect_value(&f, "2026/3/5", "2026-03-05");
	expect_value(&f, "2026年3月5日", "2026-03-05");
	expect_value(&f, "２０２６－０３－０５", "2026-03-05");
	expect_value(&f, "today", "2026-03-05");
	expect_value(&f, "Yesterday", "2026-03-04");
	expect_value(&f, "tomorrow", "2026-03-06");
	expect_value(&f, "明天", "2026-03-06");
	expect_value(&f, "+3d", "2026-03-08");
	expect_value(&f, "-2w", "2026-02-19");
	expect_value(&f, "+1m", "2026-04-05");
	expect_value(&f, "+1y", "2027-03-05");
	expect_value(&f, "-365d", "2025-03-05");
	expect_refused(&f, "2026-13-01", "'2026-13-01' is not a date (use "
	    "YYYY-MM-DD, today, +3d)");
	expect_refused(&f, "2026-02-29", "'2026-02-29' is not a date (use "
	    "YYYY-MM-DD, today, +3d)");
	expect_refused(&f, "2026-03-05 10:00", "'2026-03-05 10:00' is not a "
	    "date (use YYYY-MM-DD, today, +3d)");
	expect_refused(&f, "+2h", "'+2h' is not a date (use YYYY-MM-DD, "
	    "today, +3d)");
	expect_refused(&f, "05/03/2026", "'05/03/2026' is not a date (use "
	    "YYYY-MM-DD, today, +3d)");
}

Test(value, date_month_end)
{
	struct field f = { .type = FT_DATE };

	setenv("TCRM_NOW", "1769821200", 1);	/* 2026-01-31 09:00 */
	expect_value(&f, "today", "2026-01-31");
	expect_value(&f, "+1m", "2026-02-28");
	expect_value(&f, "+1d", "2026-02-01");
	expect_value(&f, "-1y", "2025-01-31");
}

Test(value, datetime)
{
	struct field f = { .type = FT_DATETIME };

	expect_value(&f, "2026-03-05 14:30", "2026-03-05T14:30:00");
	expect_value(&f, "2026-03-05 14:30:15", "2026-03-05T14:30:15");
	expect_value(&f, "2026-03-05T14:30:15", "2026-03-05T14:30:15");
	expect_value(&f, "2026-03-05T06:30:00Z", "2026-03-05T14:30:00");
	expect_value(&f, "2026-03-05T23:30:00Z", "2026-03-06T07:30:00");
	expect_value(&f, "2026-03-05T14:30:00+08:00", "2026-03-05T14:30:00");
	expect_value(&f, "2026-03-05T01:30:00-0500", "2026-03-05T14:30:00");
	expect_value(&f, "now", "2026-03-05T10:00:00");
	expect_value(&f, "+2h", "2026-03-05T12:00:00");
	expect_value(&f, "+30min", "2026-03-05T10:30:00");
	expect_value(&f, "-90min", "2026-03-05T08:30:00");
	expect_value(&f, "+1d", "2026-03-06T10:00:00");
	expect_value(&f, "tomorrow 9:00", "2026-03-06T09:00:00");
	expect_value(&f, "16:45", "2026-03-05T16:45:00");
	expect_value(&f, "2026-03-05", "2026-03-05T00:00:00");
	expect_refused(&f, "2026-03-05 25:00", "'2026-03-05 25:00' is not a "
	    "date and time (use YYYY-MM-DD HH:MM, now, +2h)");
	expect_refused(&f, "soon", "'soon' is not a date and time (use "
	    "YYYY-MM-DD HH:MM, now, +2h)");
	expect_display(&f, "2026-03-05T14:30:00", "2026-03-05 14:30:00");
}

Test(value, bool)
{
	struct field f = { .type = FT_BOOL };
	static const char *yes[] = { "yes", "YES", "y", "true", "1", "是" };
	static const char *no[] = { "no", "N", "False", "0", "否", "０" };

	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		expect_value(&f, yes[i], "true");
		expect_value(&f, no[i], "false");
	}
	expect_refused(&f, "maybe", "'maybe' is not yes or no");
	expect_display(&f, "true", "yes");
	expect_display(&f, "false", "no");
}

Test(value, enum)
{
	struct enum_value values[] = {
		{ .value = "person", .label = { "Person", "个人" }, .key = "p" },
		{ .value = "organisation", .label = { "Organisation", "组织" },
		  .key = "o" },
		{ .value = "no_answer", .label = { "No answer", "无人接听" } }
	};
	struct field f = { .type = FT_ENUM, .values = values, .nvalues = 3 };

	expect_value(&f, "person", "person");
	expect_value(&f, "ORGANISATION", "organisation");
	expect_value(&f, "Organisation", "organisation");
	expect_value(&f, "个人", "person");
	expect_value(&f, " 组织 ", "organisation");
	expect_value(&f, "No Answer", "no_answer");
	expect_value(&f, "no-answer", "no_answer");
	expect_refused(&f, "x", "'x' is not one of: person, organisation, "
	    "no_answer");
	expect_refused(&f, "p", "'p' is not one of: person, organisation, "
	    "no_answer");
}

Test(value, phone)
{
	struct field f = { .type = FT_PHONE };

	expect_value(&f, " 138 0013 8000 ", "138 0013 8000");
	expect_value(&f, "+86 138-0013-8000", "+86 138-0013-8000");
	expect_value(&f, "１３８００１３８０００", "13800138000");
	expect_refused(&f, "abc", "'abc' is not a phone number (contains "
	    "letters)");
}

Test(value, phones)
{
	struct field f = { .type = FT_PHONES };

	expect_value(&f, "13800138000, 010-62345678；13900139000",
	    "13800138000\n010-62345678\n13900139000");
	expect_value(&f, "13800138000/13900139000，13700137000、13600136000",
	    "13800138000\n13900139000\n13700137000\n13600136000");
	expect_value(&f, "13800138000\n\n 13900139000 ;",
	    "13800138000\n13900139000");
	expect_value(&f, "13800138000 / +86 138 0013 8000", "13800138000");
	expect_refused(&f, "13800138000, call me", "'call me' is not a phone "
	    "number (contains letters)");
	expect_display(&f, "13800138000\n13900139000",
	    "13800138000, 13900139000");
}

Test(value, email)
{
	struct field f = { .type = FT_EMAIL, .max = 30 };

	expect_value(&f, " Zhang.San@Example.COM ", "Zhang.San@example.com");
	expect_value(&f, "li＠example.cn", "li@example.cn");
	expect_refused(&f, "foo@", "'foo@' is not an email address");
	expect_refused(&f, "@example.com", "'@example.com' is not an email "
	    "address");
	expect_refused(&f, "a b@example.com", "'a b@example.com' is not an "
	    "email address");
	expect_refused(&f, "a@b@example.com", "'a@b@example.com' is not an "
	    "email address");
	expect_refused(&f, "a@localhost", "'a@localhost' is not an email "
	    "address");
	expect_refused(&f, "a@example..com", "'a@example..com' is not an "
	    "email address");
	expect_refused(&f, "a-very-long-address@example.com",
	    "longer than 30 characters");
}

Test(value, url)
{
	struct field f = { .type = FT_URL };

	expect_value(&f, "example.com/x", "https://example.com/x");
	expect_value(&f, "HTTP://Example.com", "http://Example.com");
	expect_value(&f, "https://intranet/kb?id=3",
	    "https://intranet/kb?id=3");
	expect_refused(&f, "https://", "'https://' is not a web address");
	expect_refused(&f, "ftp://example.org", "'ftp://example.org' is not "
	    "a web address (only http:// and https://)");
	expect_refused(&f, "not a url", "'not a url' is not a web address");
	expect_refused(&f, "localhost", "'localhost' is not a web address");
}

Test(value, ref)
{
	struct field f = { .type = FT_REF };

	expect_value(&f, "42", "42");
	expect_value(&f, "#7", "7");
	expect_value(&f, "007", "7");
	expect_value(&f, "4294967295", "4294967295");
	expect_refused(&f, "0", "'0' is not a record number");
	expect_refused(&f, "-1", "'-1' is not a record number");
	expect_refused(&f, "abc", "'abc' is not a record number");
	expect_refused(&f, "4294967296", "'4294967296' is not a record number");
}

Test(value, long_input_is_cut_in_messages)
{
	struct field f = { .type = FT_INT };
	char in[200];

	memset(in, 'x', sizeof in - 1);
	in[sizeof in - 1] = '\0';
	expect_refused(&f, in, "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
	    "xxxxxxxxxxxxxx...' is not a whole number");
}
