/* test-utf8.c - display width, folding, sanitising, clipping, trimming. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "tcrm.h"

#define REPLACEMENT "\xef\xbf\xbd"	/* U+FFFD */

Test(utf8, cpwidth)
{
	cr_expect_eq(utf8_cpwidth('a'), 1);
	cr_expect_eq(utf8_cpwidth(' '), 1);
	cr_expect_eq(utf8_cpwidth(0xe9), 1);		/* é */
	cr_expect_eq(utf8_cpwidth(0x4e2d), 2);		/* 中 */
	cr_expect_eq(utf8_cpwidth(0x6b27), 2);		/* 欧 */
	cr_expect_eq(utf8_cpwidth(0xac00), 2);		/* 가 */
	cr_expect_eq(utf8_cpwidth(0x3000), 2);		/* ideographic space */
	cr_expect_eq(utf8_cpwidth(0xff21), 2);		/* Ａ */
	cr_expect_eq(utf8_cpwidth(0x1f600), 2);	/* 😀 */
	cr_expect_eq(utf8_cpwidth(0x301), 0);		/* combining acute */
	cr_expect_eq(utf8_cpwidth(0x20dd), 0);		/* enclosing circle */
	cr_expect_eq(utf8_cpwidth(0x200b), 0);		/* zero width space */
	cr_expect_eq(utf8_cpwidth(0x200d), 0);		/* zero width joiner */
	cr_expect_eq(utf8_cpwidth(0xfe0f), 0);		/* variation selector */
	cr_expect_eq(utf8_cpwidth(0x1b), 1);		/* shown as a picture */
	cr_expect_eq(utf8_cpwidth(0x9b), 1);
	cr_expect_eq(utf8_cpwidth(-1), 1);		/* invalid byte */
}

Test(utf8, width)
{
	cr_expect_eq(utf8_width(""), 0);
	cr_expect_eq(utf8_width("abc"), 3);
	cr_expect_eq(utf8_width("中文"), 4);
	cr_expect_eq(utf8_width("张三 Zhang"), 10);
	cr_expect_eq(utf8_width("e\u0301"), 1);
	cr_expect_eq(utf8_width("Ame\u0301lie"), 6);
	cr_expect_eq(utf8_width("😀"), 2);
	cr_expect_eq(utf8_width("ＡＢＣ"), 6);
	cr_expect_eq(utf8_width("ｶﾀｶﾅ"), 4);		/* half-width kana */
	cr_expect_eq(utf8_width("a\xff" "b"), 3);
	cr_expect_eq(utf8_width("\xe4\xb8"), 2);	/* truncated 中 */
}

Test(utf8, decode)
{
	int32_t cp;

	cr_expect_eq(utf8_decode("a", 1, &cp), 1);
	cr_expect_eq(cp, 'a');
	cr_expect_eq(utf8_decode("é", 2, &cp), 2);
	cr_expect_eq(cp, 0xe9);
	cr_expect_eq(utf8_decode("中", 3, &cp), 3);
	cr_expect_eq(cp, 0x4e2d);
	cr_expect_eq(utf8_decode("😀", 4, &cp), 4);
	cr_expect_eq(cp, 0x1f600);
	cr_expect_eq(utf8_decode("\xff", 1, &cp), 1);
	cr_expect_eq(cp, -1);
	cr_expect_eq(utf8_decode("中", 2, &cp), 1);	/* cut short */
	cr_expect_eq(cp, -1);
	cr_expect_eq(utf8_decode("\x80", 1, &cp), 1);	/* lone continuation */
	cr_expect_eq(cp, -1);
	cr_expect_eq(utf8_decode("\xe4" "a" "\xad", 3, &cp), 1);
	cr_expect_eq(cp, -1);
	cr_expect_eq(utf8_decode("", 0, &cp), 0);
	cr_expect_eq(cp, -1);
}

static bool
valid(const char *s)
{
	return utf8_valid(s, strlen(s), NULL);
}

Test(utf8, valid_accepts)
{
	cr_expect(valid(""));
	cr_expect(valid("plain ASCII"));
	cr_expect(valid("欧阳 Ｚｈａｎｇ 😀 e\u0301"));
	cr_expect(valid("\x7f"));
	cr_expect(valid("\xc2\x80"));			/* U+0080 */
	cr_expect(valid("\xed\x9f\xbf"));		/* U+D7FF */
	cr_expect(valid("\xee\x80\x80"));		/* U+E000 */
	cr_expect(valid("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	cr_expect(utf8_valid("a\0b", 3, NULL));
}

Test(utf8, valid_rejects)
{
	size_t bad = 99;

	cr_expect(!valid("\xc0\xaf"));			/* overlong '/' */
	cr_expect(!valid("\xc1\xbf"));
	cr_expect(!valid("\xe0\x80\xaf"));
	cr_expect(!valid("\xe0\x9f\xbf"));		/* overlong U+07FF */
	cr_expect(!valid("\xf0\x80\x80\xaf"));
	cr_expect(!valid("\xf0\x8f\xbf\xbf"));		/* overlong U+FFFF */
	cr_expect(!valid("\xed\xa0\x80"));		/* U+D800 */
	cr_expect(!valid("\xed\xbf\xbf"));		/* U+DFFF */
	cr_expect(!valid("\xed\xa0\xbd\xed\xb8\x80"));	/* CESU-8 😀 */
	cr_expect(!valid("\xf4\x90\x80\x80"));		/* U+110000 */
	cr_expect(!valid("\xf5\x80\x80\x80"));
	cr_expect(!valid("\xf8\x88\x80\x80\x80"));
	cr_expect(!valid("\xfe"));
	cr_expect(!valid("\x80"));
	cr_expect(!valid("\xe4\xb8"));

	cr_expect(!utf8_valid("ab\xc0\xaf", 4, &bad));
	cr_expect_eq(bad, 2);
	cr_expect(!utf8_valid("中文\xe4\xb8", 8, &bad));
	cr_expect_eq(bad, 6);
	cr_expect(!utf8_valid("\xed\xa0\x80", 3, &bad));
	cr_expect_eq(bad, 0);
	/* The length bounds the check: a cut sequence is not valid. */
	cr_expect(!utf8_valid("中", 2, &bad));
	cr_expect_eq(bad, 0);
}

static void
expect_fold(const char *in, const char *want)
{
	char *got = utf8_fold(in);

	cr_assert_not_null(got, "fold(\"%s\") failed", in);
	cr_expect_str_eq(got, want, "fold(\"%s\") = \"%s\", want \"%s\"", in,
	    got, want);
	free(got);
}

Test(utf8, fold)
{
	expect_fold("ＡＢＣ", "abc");
	expect_fold("abc", "abc");
	expect_fold("ABC", "abc");
	expect_fold("欧阳", "欧阳");
	expect_fold("歐陽", "歐陽");		/* no simplification */
	expect_fold("Straße", "strasse");
	expect_fold("STRASSE", "strasse");
	expect_fold("e\u0301", "\u00e9");	/* composed */
	expect_fold("\u00c9", "\u00e9");
	expect_fold("ﬁle", "file");
	expect_fold("１３８", "138");
	expect_fold("a\u200bb\u00adc", "abc");	/* ignorables dropped */
	expect_fold("ΣΊΣΥΦΟΣ", "σίσυφοσ");
	expect_fold("", "");
}

Test(utf8, fold_meets)
{
	char *a = utf8_fold("Zhang Wei ＣＯ．");
	char *b = utf8_fold("zhang wei co.");

	cr_assert_not_null(a);
	cr_assert_not_null(b);
	cr_expect_str_eq(a, b);
	free(a);
	free(b);
}

Test(utf8, fold_rejects_invalid)
{
	cr_expect_null(utf8_fold("abc\xff"));
	cr_expect_null(utf8_fold("\xc0\xaf"));
	cr_expect_null(utf8_fold("\xed\xa0\x80"));
}

static bool
is_bidi_control(int32_t cp)
{
	return (cp >= 0x202a && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069) ||
	    cp == 0x200e || cp == 0x200f || cp == 0x061c;
}

/* What may reach the terminal: valid UTF-8, no C0, DEL, C1 or bidi. */
static void
expect_screen_safe(const char *s)
{
	size_t len = strlen(s), off = 0, n;
	int32_t cp;

	cr_assert(utf8_valid(s, len, NULL), "\"%s\" is not valid UTF-8", s);
	for (off = 0; off < len; off++) {
		cr_expect((unsigned char)s[off] >= 0x20 &&
		    (unsigned char)s[off] != 0x7f,
		    "control byte 0x%02x at %zu", (unsigned char)s[off], off);
	}
	for (off = 0; off < len; off += n) {
		n = utf8_decode(s + off, len - off, &cp);
		cr_expect(!(cp >= 0x80 && cp <= 0x9f), "C1 U+%04X left", cp);
		cr_expect(!is_bidi_control(cp), "bidi U+%04X left", cp);
	}
}

static void
expect_sanitize(const char *in, const char *want)
{
	char *got = utf8_sanitize(in);

	cr_assert_not_null(got);
	expect_screen_safe(got);
	cr_expect_str_eq(got, want, "sanitize gave \"%s\", want \"%s\"", got,
	    want);
	free(got);
}

Test(utf8, sanitize_keeps_text)
{
	expect_sanitize("", "");
	expect_sanitize("张三 Zhang ＡＢＣ e\u0301 😀", "张三 Zhang ＡＢＣ e\u0301 😀");
	expect_sanitize("~!@#$%^&*()[]{}", "~!@#$%^&*()[]{}");
}

Test(utf8, sanitize_escape_sequences)
{
	expect_sanitize("\x1b[2J", "\u241b[2J");
	expect_sanitize("a\x1b[31mred\x1b[0m", "a\u241b[31mred\u241b[0m");
	expect_sanitize("\x1b]0;title\x07", "\u241b]0;title\u2407");
	expect_sanitize("\x1b" "c", "\u241b" "c");
}

Test(utf8, sanitize_controls)
{
	expect_sanitize("a\tb\nc\r", "a\u2409b\u240ac\u240d");
	expect_sanitize("\x01\x1f", "\u2401\u241f");
	expect_sanitize("x\x7fy", "x\u2421y");
	expect_sanitize("\xc2\x9b" "2J", REPLACEMENT "2J");	/* C1 CSI */
	expect_sanitize("\xc2\x85\xc2\x80", REPLACEMENT REPLACEMENT);
}

Test(utf8, sanitize_bidi)
{
	expect_sanitize("abc\u202edcba", "abc" REPLACEMENT "dcba");
	expect_sanitize("\u202a\u202b\u202c\u202d",
	    REPLACEMENT REPLACEMENT REPLACEMENT REPLACEMENT);
	expect_sanitize("\u2066x\u2069", REPLACEMENT "x" REPLACEMENT);
	expect_sanitize("\u2067\u2068", REPLACEMENT REPLACEMENT);
	expect_sanitize("\u200e\u200f\u061c",
	    REPLACEMENT REPLACEMENT REPLACEMENT);
}

Test(utf8, sanitize_invalid_bytes)
{
	expect_sanitize("a\xff" "b", "a" REPLACEMENT "b");
	expect_sanitize("\xc0\xaf", REPLACEMENT REPLACEMENT);
	expect_sanitize("\xed\xa0\x80", REPLACEMENT REPLACEMENT REPLACEMENT);
	expect_sanitize("中\xe4\xb8", "中" REPLACEMENT REPLACEMENT);
}

Test(utf8, sanitize_every_byte)
{
	char in[256];
	char *out;
	int i;

	for (i = 1; i < 256; i++)
		in[i - 1] = (char)i;
	in[255] = '\0';
	out = utf8_sanitize(in);
	expect_screen_safe(out);
	free(out);
}

static void
expect_clip(const char *s, size_t width, size_t bytes)
{
	cr_expect_eq(utf8_clip(s, width), bytes,
	    "clip(\"%s\", %zu) = %zu, want %zu", s, width, utf8_clip(s, width),
	    bytes);
}

Test(utf8, clip)
{
	expect_clip("", 5, 0);
	expect_clip("abc", 10, 3);
	expect_clip("abc", 2, 2);
	expect_clip("abc", 0, 0);
	expect_clip("中文", 4, 6);
	expect_clip("中文", 3, 3);	/* 文 would straddle the edge */
	expect_clip("中文", 1, 0);
	expect_clip("a中", 2, 1);
	expect_clip("ab中", 3, 2);
	expect_clip("😀x", 1, 0);
	expect_clip("\xff\xff", 1, 1);
}

Test(utf8, clip_keeps_marks_with_base)
{
	expect_clip("e\u0301x", 1, 3);		/* é whole, x cut */
	expect_clip("e\u0301\u0302x", 1, 5);
	expect_clip("ae\u0301", 1, 1);
	expect_clip("中\u0301文", 2, 5);
}

static void
expect_pad(const char *s, size_t width, const char *want)
{
	char *got = utf8_pad(s, width);

	cr_expect_str_eq(got, want, "pad(\"%s\", %zu) = \"%s\", want \"%s\"",
	    s, width, got, want);
	free(got);
}

Test(utf8, pad)
{
	expect_pad("", 0, "");
	expect_pad("", 3, "   ");
	expect_pad("abc", 5, "abc  ");
	expect_pad("abcdef", 3, "abc");
	expect_pad("中文", 4, "中文");
	expect_pad("中文", 3, "中 ");
	expect_pad("中文", 1, " ");
	expect_pad("a中", 2, "a ");
	expect_pad("e\u0301", 2, "e\u0301 ");
	expect_pad("e\u0301tude", 1, "e\u0301");
}

Test(utf8, pad_is_always_exact)
{
	static const char *samples[] = {
		"", "abc", "中文字", "a中b文", "e\u0301\u0302", "😀😀x",
		"ＡＢＣ", "张三 Zhang", "\xff\x61"
	};
	size_t i, w;
	char *p;

	for (i = 0; i < sizeof samples / sizeof *samples; i++) {
		for (w = 0; w < 12; w++) {
			p = utf8_pad(samples[i], w);
			cr_expect_eq(utf8_width(p), w, "pad(\"%s\", %zu) = \"%s\"",
			    samples[i], w, p);
			cr_expect_eq(strncmp(p, samples[i], utf8_clip(samples[i],
			    w)), 0);
			free(p);
		}
	}
}

static void
expect_trim(const char *s, const char *want)
{
	char *got = utf8_trim(s);

	cr_expect_str_eq(got, want, "trim(\"%s\") = \"%s\", want \"%s\"", s,
	    got, want);
	free(got);
}

Test(utf8, trim)
{
	expect_trim("", "");
	expect_trim("   ", "");
	expect_trim("abc", "abc");
	expect_trim("  abc  ", "abc");
	expect_trim("\t\n a b \r\n", "a b");
	expect_trim("\u3000张三\u3000", "张三");
	expect_trim("\u00a0x\u00a0", "x");
	expect_trim("\u3000 \u00a0", "");
	expect_trim(" a\u3000b ", "a\u3000b");	/* inner space kept */
	expect_trim("中文\u3000", "中文");
	expect_trim("\u2003em\u2002", "em");
}
