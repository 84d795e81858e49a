/* test-phone.c - phone numbers as people write them, and their keys. */
#include <criterion/criterion.h>
#include <criterion/parameterized.h>

#include <stdlib.h>
#include <string.h>

#include "tcrm.h"

/*
 * Criterion copies parameters into a child that may sit at other
 * addresses, so the cases hold their strings rather than pointers. An
 * empty cc stands for NULL, the default "86".
 */
struct valid_case {
	char text[96];
	char cc[8];
	char key[40];
};

static const char *
cc_of(const char *cc)
{
	return cc[0] != '\0' ? cc : NULL;
}

static struct valid_case valid_cases[] = {
	/* Chinese mobiles. */
	{ "13800138000", "", "8613800138000" },
	{ "138-0013-8000", "", "8613800138000" },
	{ "138 0013 8000", "", "8613800138000" },
	{ "138.0013.8000", "", "8613800138000" },
	{ "+86 138-0013-8000", "", "8613800138000" },
	{ "+86 138 0013 8000", "", "8613800138000" },
	{ "+8613800138000", "", "8613800138000" },
	{ "+86-138-0013-8000", "", "8613800138000" },
	{ "+86 (138) 0013-8000", "", "8613800138000" },
	{ "0086 138 0013 8000", "", "8613800138000" },
	{ "008613800138000", "", "8613800138000" },
	{ "(+86)13800138000", "", "8613800138000" },
	{ "(+86) 138 0013 8000", "", "8613800138000" },
	{ "(0086)13800138000", "", "8613800138000" },
	{ "8613800138000", "", "8613800138000" },
	{ "+86\u00a0138\u00a00013\u00a08000", "", "8613800138000" },
	{ "+86\u2013138\u20130013\u20138000", "", "8613800138000" },
	/* Full-width digits, signs and ideographic spaces. */
	{ "１３８００１３８０００", "", "8613800138000" },
	{ "＋８６１３８００１３８０００", "", "8613800138000" },
	{ "＋８６　１３８－００１３－８０００", "", "8613800138000" },
	{ "１３８　００１３　８０００", "", "8613800138000" },
	{ "（０１０）６５５２－１２３４", "", "861065521234" },
	/* Chinese landlines with area codes. */
	{ "010-6552-1234", "", "861065521234" },
	{ "(010) 6552 1234", "", "861065521234" },
	{ "010 65521234", "", "861065521234" },
	{ "+86 10 6552 1234", "", "861065521234" },
	{ "+86 010 6552 1234", "", "861065521234" },
	{ "0086-10-65521234", "", "861065521234" },
	{ "021-6888-1234", "", "862168881234" },
	{ "+86 21 6888 1234", "", "862168881234" },
	{ "(021)68881234", "", "862168881234" },
	{ "0755 8888 6666", "", "8675588886666" },
	{ "0755-88886666", "", "8675588886666" },
	{ "(0755)88886666", "", "8675588886666" },
	{ "+86 755 8888 6666", "", "8675588886666" },
	{ "+86 (0755) 8888 6666", "", "8675588886666" },
	{ "6552 1234", "", "8665521234" },
	{ "655-1234", "", "866551234" },
	{ "400-810-8888", "", "864008108888" },
	/* Extensions, kept apart from the number. */
	{ "13800138000 ext 89", "", "8613800138000#89" },
	{ "13800138000转89", "", "8613800138000#89" },
	{ "010-6552-1234转8001", "", "861065521234#8001" },
	{ "010-6552-1234 分机 8001", "", "861065521234#8001" },
	{ "0755-88886666#12", "", "8675588886666#12" },
	{ "0755-88886666,12", "", "8675588886666#12" },
	{ "+86 755 8888 6666 ext. 12", "", "8675588886666#12" },
	{ "+86 21 6888 1234 EXT 5", "", "862168881234#5" },
	{ "（０２１）６８８８１２３４＃５", "", "862168881234#5" },
	/* North America. */
	{ "+1 (555) 123-4567 x89", "", "15551234567#89" },
	{ "+1 (555) 123-4567 extension 89", "", "15551234567#89" },
	{ "+1 555-123-4567;ext=89", "", "15551234567#89" },
	{ "+1.555.123.4567", "", "15551234567" },
	{ "001-680-204-8312x3780", "", "16802048312#3780" },
	{ "(555) 123-4567", "1", "15551234567" },
	{ "555-123-4567", "1", "15551234567" },
	{ "1-555-123-4567", "1", "15551234567" },
	{ "(555) 123-4567 X89", "1", "15551234567#89" },
	/* United Kingdom. */
	{ "+44 20 7946 0958", "", "442079460958" },
	{ "020 7946 0958", "44", "442079460958" },
	{ "+44 (0)20 7946 0958", "", "442079460958" },
	{ "+44(0)20 7946 0958", "", "442079460958" },
	{ "0044 20 7946 0958", "", "442079460958" },
	{ "(020) 7946 0958", "44", "442079460958" },
	{ "07700 900123", "44", "447700900123" },
	{ "+44 7700 900123", "", "447700900123" },
	/* Elsewhere. */
	{ "+41 (0)44 668 18 00", "", "41446681800" },
	{ "+31 (0)20 123 4567", "", "31201234567" },
	{ "+49 (0)30 123456", "", "4930123456" },
	{ "030 123456", "49", "4930123456" },
	{ "+852 2345 6789", "", "85223456789" },
	{ "+81 3-1234-5678", "", "81312345678" },
	{ "+886 2 2345 6789", "", "886223456789" },
};

ParameterizedTestParameters(phone, valid)
{
	return cr_make_param_array(struct valid_case, valid_cases,
	    sizeof valid_cases / sizeof *valid_cases);
}

ParameterizedTest(struct valid_case *c, phone, valid)
{
	struct phone ph;
	const char *why = NULL;
	char key[64];

	cr_assert_eq(phone_parse(c->text, cc_of(c->cc), &ph, &why), 0,
	    "\"%s\" rejected: %s", c->text, why != NULL ? why : "?");
	phone_key(&ph, key, sizeof key);
	cr_expect_str_eq(key, c->key, "\"%s\" gave %s, want %s", c->text, key,
	    c->key);
	cr_expect(phone_like(c->text), "\"%s\" not phone-like", c->text);
}

struct invalid_case {
	char text[96];
	char cc[8];
	char why[128];
};

static struct invalid_case invalid_cases[] = {
	{ "", "", "empty" },
	{ "   ", "", "empty" },
	{ "()-", "", "empty" },
	{ "+", "", "empty" },
	{ "Zhang 3", "", "contains letters" },
	{ "138abc00138000", "", "contains letters" },
	{ "call 13800138000", "", "contains letters" },
	{ "13800138000 mobile", "", "contains letters" },
	{ "张三 13800138000", "", "contains letters" },
	{ "x89", "", "contains letters" },
	{ "13800138000 x89 x1", "", "contains letters" },
	{ "123", "", "too short" },
	{ "23456", "", "too short" },
	{ "+86", "", "too short" },
	{ "+1 555", "", "too short" },
	{ "123456", "44", "too short" },
	{ "+86 1380013800012345678901", "", "too long" },
	{ "2345678901234567890123", "", "too long" },
	{ "+86 138 0013 800", "", "a Chinese mobile number has 11 digits" },
	{ "1380013800", "", "a Chinese mobile number has 11 digits" },
	{ "138001380001", "", "a Chinese mobile number has 11 digits" },
	{ "13800138000 x", "", "empty extension" },
	{ "13800138000 ext.", "", "empty extension" },
	{ "13800138000 ext 12345678901", "", "extension too long" },
	{ "#89", "", "extension without a number" },
	{ "138+00138000", "", "misplaced '+'" },
	{ "++8613800138000", "", "misplaced '+'" },
	{ "010-6552-1234, 010-6552-5678", "",
	    "unexpected text after the extension" },
	{ "13800138000*", "",
	    "contains a character not used in phone numbers" },
	{ "138_0013_8000", "",
	    "contains a character not used in phone numbers" },
	{ "\xff" "13800138000", "", "not valid UTF-8" },
	{ "+0 123 4567 89", "", "country code cannot begin with 0" },
	{ "00 0123 4567 89", "", "country code cannot begin with 0" },
	{ "13800138000", "abc", "bad default country code" },
	/* A spreadsheet's column of numbers: the number is not all there. */
	{ "1.38001E+10", "", "a spreadsheet wrote it in exponent form, "
	    "without its last digits: make the column text and export again" },
	{ " 8.6138E+12 ", "", "a spreadsheet wrote it in exponent form, "
	    "without its last digits: make the column text and export again" },
	{ "1.3800138000E+10", "", "contains letters" },
};

ParameterizedTestParameters(phone, invalid)
{
	return cr_make_param_array(struct invalid_case, invalid_cases,
	    sizeof invalid_cases / sizeof *invalid_cases);
}

ParameterizedTest(struct invalid_case *c, phone, invalid)
{
	struct phone ph;
	const char *why = NULL;

	cr_assert_eq(phone_parse(c->text, cc_of(c->cc), &ph, &why), -1,
	    "\"%s\" accepted as %s", c->text, ph.digits);
	cr_assert_not_null(why);
	cr_expect_str_eq(why, c->why, "\"%s\": %s, want %s", c->text, why,
	    c->why);
}

Test(phone, why_may_be_null)
{
	struct phone ph;

	cr_expect_eq(phone_parse("Zhang", NULL, &ph, NULL), -1);
}

Test(phone, empty_default_cc_is_refused)
{
	struct phone ph;
	const char *why = NULL;

	cr_assert_eq(phone_parse("13800138000", "", &ph, &why), -1);
	cr_expect_str_eq(why, "bad default country code");
	cr_expect_null(phone_query_key("13800138000", ""));
}

Test(phone, every_spelling_meets)
{
	static const char *spellings[] = {
		"+86 138-0013-8000", "13800138000", "0086 138 0013 8000",
		"(+86)13800138000", "＋８６１３８００１３８０００",
		"１３８　００１３　８０００", "8613800138000"
	};
	struct phone first, ph;
	size_t i;

	cr_assert_eq(phone_parse(spellings[0], NULL, &first, NULL), 0);
	for (i = 1; i < sizeof spellings / sizeof *spellings; i++) {
		cr_assert_eq(phone_parse(spellings[i], NULL, &ph, NULL), 0,
		    "%s", spellings[i]);
		cr_expect_str_eq(ph.digits, first.digits, "%s", spellings[i]);
	}
}

Test(phone, extension_kept_apart)
{
	struct phone ph;

	cr_assert_eq(phone_parse("+1 (555) 123-4567 x89", NULL, &ph, NULL),
	    0);
	cr_expect_str_eq(ph.digits, "15551234567");
	cr_expect_str_eq(ph.ext, "89");
	cr_assert_eq(phone_parse("13800138000", NULL, &ph, NULL), 0);
	cr_expect_str_eq(ph.ext, "");
}

Test(phone, default_cc_changes_national_numbers_only)
{
	struct phone ph;

	cr_assert_eq(phone_parse("020 7946 0958", "44", &ph, NULL), 0);
	cr_expect_str_eq(ph.digits, "442079460958");
	cr_assert_eq(phone_parse("020 7946 0958", NULL, &ph, NULL), 0);
	cr_expect_str_eq(ph.digits, "862079460958");
	cr_assert_eq(phone_parse("+44 20 7946 0958", "1", &ph, NULL), 0);
	cr_expect_str_eq(ph.digits, "442079460958");
}

Test(phone, key_is_truncated_to_size)
{
	struct phone ph;
	char key[5] = "zzzz";

	cr_assert_eq(phone_parse("13800138000 x89", NULL, &ph, NULL), 0);
	phone_key(&ph, key, 0);
	cr_expect_str_eq(key, "zzzz");
	phone_key(&ph, key, sizeof key);
	cr_expect_str_eq(key, "8613");
}

Test(phone, longest_number_fits)
{
	struct phone ph;
	char key[PHONE_DIGITS_MAX + PHONE_EXT_MAX + 2];

	cr_assert_eq(phone_parse("+12345678901234567890 x1234567890", NULL,
	    &ph, NULL), 0);
	phone_key(&ph, key, sizeof key);
	cr_expect_str_eq(key, "12345678901234567890#1234567890");
}

Test(phone, like)
{
	static const char *yes[] = {
		"138", "+86 138", "010-6552", "(555) 123", "１３８",
		"138 ext", "138 x", "13800138000转89", "+44 (0)20", "  138  ",
	};
	static const char *no[] = {
		"Zhang 3", "12", "", "abc", "zhang@example.com", "12:30",
		"x138", "张三 138", "+8+6", "#138",
	};
	size_t i;

	for (i = 0; i < sizeof yes / sizeof *yes; i++)
		cr_expect(phone_like(yes[i]), "\"%s\" should be phone-like",
		    yes[i]);
	for (i = 0; i < sizeof no / sizeof *no; i++)
		cr_expect(!phone_like(no[i]), "\"%s\" should not be phone-like",
		    no[i]);
}

struct query_case {
	char text[96];
	char cc[8];
	char key[40];	/* empty: not phone-like */
};

static struct query_case query_cases[] = {
	{ "138", "", "86138" },
	{ "+86 138", "", "86138" },
	{ "0086 138", "", "86138" },
	{ "１３８", "", "86138" },
	{ "010-6552", "", "86106552" },
	{ "010", "", "8610" },
	{ "010 6552 1234", "", "861065521234" },
	{ "13800138000", "", "8613800138000" },
	{ "13800138000 x89", "", "8613800138000" },
	{ "13800138000 x", "", "8613800138000" },
	{ "861380", "", "86861380" },	/* read as a local number */
	{ "8613800138000", "", "8613800138000" },
	{ "+86 0755 88", "", "8675588" },
	{ "+1 555", "", "1555" },
	{ "(555) 123", "1", "1555123" },
	{ "1 555", "1", "1555" },
	{ "+44 (0)20 79", "", "442079" },
	{ "+31 (0)20", "", "3120" },
	{ "020 79", "44", "442079" },
	{ "Zhang", "", "" },
	{ "12", "", "" },
	{ "", "", "" },
	{ "张三", "", "" },
};

ParameterizedTestParameters(phone, query_key)
{
	return cr_make_param_array(struct query_case, query_cases,
	    sizeof query_cases / sizeof *query_cases);
}

ParameterizedTest(struct query_case *c, phone, query_key)
{
	char *key = phone_query_key(c->text, cc_of(c->cc));

	if (c->key[0] == '\0')
		cr_expect_null(key, "\"%s\" gave %s", c->text, key);
	else {
		cr_assert_not_null(key, "\"%s\" gave no key", c->text);
		cr_expect_str_eq(key, c->key, "\"%s\"", c->text);
	}
	free(key);
}

ParameterizedTestParameters(phone, query_key_of_valid)
{
	return cr_make_param_array(struct valid_case, valid_cases,
	    sizeof valid_cases / sizeof *valid_cases);
}

/* A valid number's query key is its key without the extension. */
ParameterizedTest(struct valid_case *c, phone, query_key_of_valid)
{
	char *key = phone_query_key(c->text, cc_of(c->cc));
	size_t n = strcspn(c->key, "#");

	cr_assert_not_null(key, "\"%s\"", c->text);
	cr_expect_eq(strlen(key), n, "\"%s\" gave %s", c->text, key);
	cr_expect_eq(strncmp(key, c->key, n), 0, "\"%s\" gave %s", c->text,
	    key);
	free(key);
}

/* Typing a number digit by digit: each partial key must be a prefix of
 * the final key, or the prefix walk would miss the record. */
static void
expect_typing_narrows(const char *text, const char *cc)
{
	char *full = phone_query_key(text, cc), *partial, *typed;
	size_t i, len = strlen(text);

	cr_assert_not_null(full, "%s", text);
	for (i = 1; i <= len; i++) {
		typed = strndup(text, i);
		partial = phone_query_key(typed, cc);
		if (partial != NULL)
			cr_expect_eq(strncmp(full, partial, strlen(partial)),
			    0, "\"%s\" gave %s, not a prefix of %s", typed,
			    partial, full);
		free(partial);
		free(typed);
	}
	free(full);
}

Test(phone, typing_narrows)
{
	expect_typing_narrows("13800138000", NULL);
	expect_typing_narrows("138-0013-8000", NULL);
	expect_typing_narrows("+86 138 0013 8000", NULL);
	expect_typing_narrows("0086 138 0013 8000", NULL);
	expect_typing_narrows("010-6552-1234", NULL);
	expect_typing_narrows("+86 010 6552 1234", NULL);
	expect_typing_narrows("0755 8888 6666", NULL);
	expect_typing_narrows("+44 (0)20 7946 0958", NULL);
	expect_typing_narrows("(555) 123-4567", "1");
	expect_typing_narrows("+1 (555) 123-4567", NULL);
}
