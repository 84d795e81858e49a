/* test-record.c - the record codec. */
#include <criterion/criterion.h>
#include <string.h>

#include "tcrm.h"

static void
roundtrip(const struct record *in, struct record *out)
{
	struct buf b;

	buf_init(&b);
	record_encode(in, &b);
	cr_assert_eq(record_decode(b.data, b.len, out), 0);
	buf_free(&b);
}

Test(record, roundtrip_keeps_every_field_and_meta)
{
	struct record r, back;

	record_init(&r);
	r.version = 7;
	r.created = 1763884800123456LL;
	r.updated = 1763884900654321LL;
	r.created_by = xstrdup("alice");
	r.updated_by = xstrdup("鲍勃");
	record_set(&r, "name", "张伟");
	record_set(&r, "phones", "+86 138-0013-8000\n010-6552 1234");
	record_set(&r, "a_field_no_form_knows", "kept \x01 as is");
	roundtrip(&r, &back);
	cr_assert_eq(back.version, 7);
	cr_assert_eq(back.created, r.created);
	cr_assert_eq(back.updated, r.updated);
	cr_assert_str_eq(back.created_by, "alice");
	cr_assert_str_eq(back.updated_by, "鲍勃");
	cr_assert_eq(back.n, 3);
	cr_assert_str_eq(record_get(&back, "name"), "张伟");
	cr_assert_str_eq(record_get(&back, "phones"),
	    "+86 138-0013-8000\n010-6552 1234");
	cr_assert_str_eq(record_get(&back, "a_field_no_form_knows"),
	    "kept \x01 as is");
	cr_assert_str_eq(record_get(&back, "missing"), "");
	record_free(&r);
	record_free(&back);
}

Test(record, empty_value_removes_field)
{
	struct record r;

	record_init(&r);
	record_set(&r, "a", "1");
	record_set(&r, "b", "2");
	record_set(&r, "a", "");
	cr_assert_eq(r.n, 1);
	cr_assert_str_eq(record_get(&r, "a"), "");
	cr_assert_str_eq(record_get(&r, "b"), "2");
	record_free(&r);
}

Test(record, large_values_and_many_fields)
{
	struct record r, back;
	char name[32], *big = xmalloc(100001);

	memset(big, 'x', 100000);
	big[100000] = '\0';
	record_init(&r);
	for (int i = 0; i < 300; i++) {
		snprintf(name, sizeof name, "f%d", i);
		record_set(&r, name, i == 150 ? big : name);
	}
	roundtrip(&r, &back);
	cr_assert_eq(back.n, 300);
	cr_assert_eq(strlen(record_get(&back, "f150")), 100000);
	cr_assert_str_eq(record_get(&back, "f299"), "f299");
	free(big);
	record_free(&r);
	record_free(&back);
}

Test(record, truncated_or_garbage_input_is_refused)
{
	struct record r, back;
	struct buf b;

	record_init(&r);
	record_set(&r, "name", "张伟");
	buf_init(&b);
	record_encode(&r, &b);
	for (size_t cut = 0; cut < b.len; cut++)
		cr_assert_neq(record_decode(b.data, cut, &back), 0,
		    "accepted a record cut at %zu of %zu", cut, b.len);
	cr_assert_neq(record_decode("\xff\xff\xff", 3, &back), 0);
	/* Trailing bytes are damage too. */
	buf_addc(&b, 'x');
	cr_assert_neq(record_decode(b.data, b.len, &back), 0);
	buf_free(&b);
	record_free(&r);
}

Test(record, copy_is_deep)
{
	struct record a, b;

	record_init(&a);
	a.created_by = xstrdup("u");
	record_set(&a, "k", "v");
	record_copy(&b, &a);
	record_set(&a, "k", "changed");
	cr_assert_str_eq(record_get(&b, "k"), "v");
	cr_assert_str_eq(b.created_by, "u");
	record_free(&a);
	record_free(&b);
}

/* A search reads four fields in place; a cut record never yields a value
 * that runs past its end. */
Test(record, peek_reads_one_field_in_place)
{
	struct record r;
	struct buf b;
	const char *v;
	size_t len;

	record_init(&r);
	r.created_by = xstrdup("导入");
	r.updated_by = xstrdup("导入");
	record_set(&r, "name", "张伟");
	record_set(&r, "phones", "13800138000\n010-1234 5678");
	record_set(&r, "email", "zw@example.cn");
	buf_init(&b);
	record_encode(&r, &b);
	cr_assert_eq(record_peek(b.data, b.len, "phones", &v, &len), 0);
	cr_assert_eq(len, strlen("13800138000\n010-1234 5678"));
	cr_assert_eq(memcmp(v, "13800138000\n010-1234 5678", len), 0);
	cr_assert_eq(record_peek(b.data, b.len, "name", &v, &len), 0);
	cr_assert_eq(memcmp(v, "张伟", len), 0);
	cr_assert_eq(record_peek(b.data, b.len, "company", &v, &len), 1);
	cr_assert_eq(record_peek(b.data, b.len, "nam", &v, &len), 1);
	for (size_t cut = 0; cut < b.len; cut++) {
		int rc = record_peek(b.data, cut, "email", &v, &len);

		cr_assert(rc != 0 || v + len <= (const char *)b.data + cut,
		    "a value past the end of a record cut at %zu", cut);
	}
	buf_free(&b);
	record_free(&r);
}

/* Records written before names became table places (format 0xC1) still
 * read, by decode and by peek: version 3, times 5 and 6, users "a" and
 * "b", fields name=张 and an unknown x=y. */
Test(record, the_older_format_with_names_spelt_out_still_reads)
{
	static const unsigned char old[] = { 0xC1, 3, 5, 6, 1, 'a', 1, 'b',
	    2, 4, 'n', 'a', 'm', 'e', 3, 0xE5, 0xBC, 0xA0, 1, 'x', 1, 'y' };
	struct record r;
	const char *v;
	size_t len;

	cr_assert_eq(record_decode(old, sizeof old, &r), 0);
	cr_assert_eq(r.version, 3);
	cr_assert_eq(r.created, 5);
	cr_assert_eq(r.updated, 6);
	cr_assert_str_eq(r.created_by, "a");
	cr_assert_str_eq(r.updated_by, "b");
	cr_assert_str_eq(record_get(&r, "name"), "张");
	cr_assert_str_eq(record_get(&r, "x"), "y");
	record_free(&r);
	cr_assert_eq(record_peek(old, sizeof old, "x", &v, &len), 0);
	cr_assert_eq(len, 1);
	cr_assert_eq(*v, 'y');
	cr_assert_eq(record_peek(old, sizeof old, "name", &v, &len), 0);
	cr_assert_eq(len, 3);
}

/* A name the forms ship costs one byte; any other is spelt out, and a
 * place past the table's end is damage, not a crash. */
Test(record, known_names_take_one_byte)
{
	struct record r, back;
	struct buf b;
	const char *v;
	size_t len;
	size_t plain;

	record_init(&r);
	record_set(&r, "shipping_address", "1");
	buf_init(&b);
	record_encode(&r, &b);
	plain = b.len;
	/* format, version, two times, two empty users, count, name, value */
	cr_assert_eq(plain, 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 2, "%zu", plain);
	record_free(&r);
	record_init(&r);
	record_set(&r, "shipping_addresz", "1");
	buf_reset(&b);
	record_encode(&r, &b);
	cr_assert_eq(b.len, plain + 1 + strlen("shipping_addresz"));
	cr_assert_eq(record_decode(b.data, b.len, &back), 0);
	cr_assert_str_eq(record_get(&back, "shipping_addresz"), "1");
	record_free(&back);
	cr_assert_eq(record_peek(b.data, b.len, "shipping_addresz", &v, &len),
	    0);
	buf_reset(&b);
	buf_add(&b, "\xC2\x01\x00\x00\x00\x00\x01\x7f\x01x", 10);
	cr_assert_neq(record_decode(b.data, b.len, &back), 0);
	cr_assert_eq(record_peek(b.data, b.len, "name", &v, &len), -1);
	buf_free(&b);
	record_free(&r);
}
