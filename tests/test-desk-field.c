/* test-desk-field.c - the desk's input field: insert, delete, cursor
 * moves and clipping, with CJK, combining marks and emoji. */
#include <criterion/criterion.h>

#include <stdlib.h>
#include <string.h>

#include "tcrm.h"

static struct dfield f;

static void
setup(void)
{
	dfield_init(&f, "", false);
}

static void
teardown(void)
{
	dfield_free(&f);
}

TestSuite(dfield, .init = setup, .fini = teardown);

/* The text a view shows. */
static char *
shown(struct dfield *fl, size_t width, struct dfield_view *v)
{
	dfield_view(fl, width, v);
	return strndup(dfield_text(fl) + v->start, v->end - v->start);
}

Test(dfield, insert_ascii)
{
	dfield_insert(&f, "abc");
	cr_assert_str_eq(dfield_text(&f), "abc");
	cr_expect_eq(f.n, 3);
	cr_expect_eq(dfield_cursor(&f), 3);
	dfield_edit(&f, DF_LEFT);
	dfield_insert(&f, "X");
	cr_expect_str_eq(dfield_text(&f), "abXc");
	cr_expect_eq(dfield_cursor(&f), 3);
}

Test(dfield, insert_cjk_moves_by_character)
{
	dfield_insert(&f, "欧阳娜娜");
	cr_expect_eq(f.n, 4);
	cr_expect_eq(dfield_width(&f), 8);
	cr_expect_eq(dfield_cursor(&f), 12);
	cr_expect_eq(dfield_cursor_column(&f), 8);
	dfield_edit(&f, DF_LEFT);
	cr_expect_eq(dfield_cursor(&f), 9, "one character is three bytes");
	cr_expect_eq(dfield_cursor_column(&f), 6, "and two columns");
	dfield_edit(&f, DF_HOME);
	cr_expect_eq(dfield_cursor(&f), 0);
	dfield_edit(&f, DF_RIGHT);
	cr_expect_eq(dfield_cursor(&f), 3);
	dfield_insert(&f, "a");
	cr_expect_str_eq(dfield_text(&f), "欧a阳娜娜");
}

Test(dfield, backspace_and_delete_take_whole_characters)
{
	dfield_insert(&f, "张三abc");
	dfield_edit(&f, DF_HOME);
	dfield_edit(&f, DF_RIGHT);
	cr_assert(dfield_edit(&f, DF_BACKSPACE));
	cr_expect_str_eq(dfield_text(&f), "三abc");
	cr_expect(dfield_edit(&f, DF_DELETE));
	cr_expect_str_eq(dfield_text(&f), "abc");
	dfield_edit(&f, DF_HOME);
	cr_expect_not(dfield_edit(&f, DF_BACKSPACE), "nothing before");
	dfield_edit(&f, DF_END);
	cr_expect_not(dfield_edit(&f, DF_DELETE), "nothing after");
}

Test(dfield, combining_mark_joins_its_letter)
{
	dfield_insert(&f, "Ame\xcc\x81lie");	/* e + U+0301 */
	cr_expect_eq(f.n, 6, "the e and its accent are one");
	cr_expect_eq(dfield_width(&f), 6);
	dfield_edit(&f, DF_HOME);
	for (int i = 0; i < 3; i++)
		dfield_edit(&f, DF_RIGHT);
	cr_expect_eq(dfield_cursor(&f), 5, "past e and its mark");
	dfield_edit(&f, DF_BACKSPACE);
	cr_expect_str_eq(dfield_text(&f), "Amlie", "both go together");
}

Test(dfield, mark_typed_after_letter_joins_it)
{
	dfield_insert(&f, "e");
	dfield_insert_cp(&f, 0x301);
	cr_expect_eq(f.n, 1);
	cr_expect_eq(dfield_cursor(&f), 3);
	cr_expect_eq(dfield_cursor_column(&f), 1);
}

Test(dfield, emoji_sequences_are_one)
{
	dfield_insert(&f, "a😀b");
	cr_expect_eq(f.n, 3);
	cr_expect_eq(dfield_width(&f), 4);
	dfield_set(&f, "👨\u200d👩\u200d👧");	/* a family: ZWJ sequence */
	cr_expect_eq(f.n, 1, "a ZWJ sequence is one cluster");
	dfield_edit(&f, DF_BACKSPACE);
	cr_expect_str_eq(dfield_text(&f), "");
	dfield_set(&f, "🇨🇳x");			/* a flag: two indicators */
	cr_expect_eq(f.n, 2);
	dfield_set(&f, "👍🏽");			/* skin tone modifier */
	cr_expect_eq(f.n, 1);
}

Test(dfield, control_characters_never_enter)
{
	dfield_insert(&f, "a\x1b[2Jb\nc\t");
	cr_expect_str_eq(dfield_text(&f), "a[2Jbc");
	dfield_set(&f, "x\xff" "y");
	cr_expect_str_eq(dfield_text(&f), "x\xef\xbf\xbdy",
	    "an invalid byte becomes U+FFFD");
}

Test(dfield, kill_keys)
{
	dfield_insert(&f, "hello big world");
	cr_assert(dfield_edit(&f, DF_KILL_WORD));
	cr_expect_str_eq(dfield_text(&f), "hello big ");
	dfield_edit(&f, DF_KILL_WORD);
	cr_expect_str_eq(dfield_text(&f), "hello ");
	dfield_edit(&f, DF_HOME);
	dfield_edit(&f, DF_RIGHT);
	dfield_edit(&f, DF_RIGHT);
	dfield_edit(&f, DF_KILL_END);
	cr_expect_str_eq(dfield_text(&f), "he");
	dfield_edit(&f, DF_KILL_START);
	cr_expect_str_eq(dfield_text(&f), "");
	dfield_set(&f, "欧阳 娜娜");
	dfield_edit(&f, DF_KILL_WORD);
	cr_expect_str_eq(dfield_text(&f), "欧阳 ", "a CJK word");
	dfield_edit(&f, DF_WORD_LEFT);
	cr_expect_eq(dfield_cursor(&f), 0);
	dfield_edit(&f, DF_WORD_RIGHT);
	cr_expect_eq(dfield_cursor(&f), 6);
}

Test(dfield, view_scrolls_to_keep_cursor)
{
	struct dfield_view v;
	char *s;

	dfield_insert(&f, "abcdefghij");
	s = shown(&f, 5, &v);
	cr_expect_str_eq(s, "ghij", "the end shows, with room for the cursor");
	cr_expect_eq(v.cursor_x, 4);
	cr_expect(v.more_left);
	free(s);
	dfield_edit(&f, DF_HOME);
	s = shown(&f, 5, &v);
	cr_expect_str_eq(s, "abcde");
	cr_expect_eq(v.cursor_x, 0);
	cr_expect(v.more_right);
	free(s);
}

Test(dfield, wide_character_never_split_at_the_right_edge)
{
	struct dfield_view v;
	char *s;

	dfield_insert(&f, "ab中文");
	dfield_edit(&f, DF_HOME);
	s = shown(&f, 3, &v);
	cr_expect_str_eq(s, "ab", "中 would need columns 2 and 3");
	cr_expect_eq(v.used, 2);
	cr_expect(v.more_right);
	free(s);
}

Test(dfield, wide_character_never_split_at_the_left_edge)
{
	struct dfield_view v;
	char *s;

	dfield_insert(&f, "中文字");	/* columns 0, 2, 4; ends at 6 */
	s = shown(&f, 4, &v);
	cr_expect_str_eq(s, "字");
	cr_expect_eq(v.lead, 1, "the half of 文 is a blank cell");
	cr_expect_eq(v.used, 3);
	cr_expect_eq(v.cursor_x, 3);
	free(s);
}

Test(dfield, views_always_fit)
{
	const char *texts[] = { "中a文b字c", "e\xcc\x81中😀x", "ｶﾀｶﾅ漢字abc",
	    "😀😀😀😀😀", "a", "" };

	for (size_t t = 0; t < sizeof texts / sizeof *texts; t++) {
		for (size_t width = 1; width < 12; width++) {
			dfield_set(&f, texts[t]);
			dfield_edit(&f, DF_HOME);
			for (size_t i = 0; i <= f.n; i++) {
				struct dfield_view v;
				char *s = shown(&f, width, &v);
				size_t w = utf8_width(s);

				cr_expect_leq(v.lead + w, width,
				    "'%s' in %zu columns", texts[t], width);
				cr_expect_eq(v.used, v.lead + w);
				cr_expect_lt(v.cursor_x, width + (width == 1));
				free(s);
				dfield_edit(&f, DF_RIGHT);
			}
		}
	}
}

Test(dfield, several_lines)
{
	struct dfield g;
	struct dfield_row rows[8];
	size_t n, cy, cx;

	dfield_init(&g, "first\nsecond line\n中文", true);
	cr_expect_eq(dfield_cursor(&g), strlen(dfield_text(&g)));
	n = dfield_view_rows(&g, 20, 8, rows, &cy, &cx);
	cr_expect_eq(n, 3);
	cr_expect_eq(cy, 2);
	cr_expect_eq(cx, 4);
	cr_expect(dfield_vertical(&g, 20, -1));
	n = dfield_view_rows(&g, 20, 8, rows, &cy, &cx);
	cr_expect_eq(cy, 1);
	cr_expect_eq(cx, 4, "same column one line up");
	dfield_edit(&g, DF_END);
	cr_expect_eq(dfield_cursor(&g), strlen("first\nsecond line"));
	dfield_edit(&g, DF_HOME);
	cr_expect_eq(dfield_cursor(&g), strlen("first\n"));
	cr_expect(dfield_vertical(&g, 20, -1));
	cr_expect_not(dfield_vertical(&g, 20, -1), "already at the top");
	dfield_insert(&g, "\n");
	cr_expect_str_eq(dfield_text(&g), "\nfirst\nsecond line\n中文");
	dfield_free(&g);
}

Test(dfield, several_lines_wrap_without_splitting)
{
	struct dfield g;
	struct dfield_row rows[8];
	size_t n, cy, cx;

	/* 9 columns leave 8 for text: four CJK characters a row. */
	dfield_init(&g, "一二三四五六七八九", true);
	n = dfield_view_rows(&g, 9, 8, rows, &cy, &cx);
	cr_expect_eq(n, 3);
	cr_expect_eq(rows[0].end - rows[0].start, 12);
	cr_expect_eq(rows[1].end - rows[1].start, 12);
	cr_expect_eq(cy, 2);
	cr_expect_eq(cx, 2);
	n = dfield_view_rows(&g, 9, 2, rows, &cy, &cx);
	cr_expect_eq(n, 2, "scrolled to the cursor's row");
	cr_expect_eq(cy, 1);
	dfield_free(&g);
}
