/* test-split.c - SSH command lines split as a shell quotes them, and
 * refused where a shell would do more than quote. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <criterion/criterion.h>

static void
expect_words(const char *line, const char *const *want, size_t n)
{
	struct strv words;
	char *why = NULL;

	cr_assert_eq(split_command(line, &words, &why), 0, "%s: %s", line,
	    why ? why : "");
	cr_assert_eq(words.n, n, "%s: %zu words", line, words.n);
	for (size_t i = 0; i < n; i++)
		cr_expect_str_eq(words.v[i], want[i], "%s: word %zu", line, i);
	strv_free(&words);
}

static void
expect_refused(const char *line, const char *reason)
{
	struct strv words;
	char *why = NULL;

	cr_assert_eq(split_command(line, &words, &why), -1, "%s", line);
	cr_assert_not_null(why);
	cr_expect(strstr(why, reason) != NULL, "%s: %s", line, why);
	cr_expect_eq(words.n, 0);
	free(why);
	strv_free(&words);
}

Test(split, plain_words)
{
	expect_words("tcrm find 张伟", (const char *[]){ "tcrm", "find",
	    "张伟" }, 3);
	expect_words("  find\t x  \n", (const char *[]){ "find", "x" }, 2);
	expect_words("", NULL, 0);
}

Test(split, quotes)
{
	expect_words("add customer name='Zhang Wei' company=\"华为 技术\"",
	    (const char *[]){ "add", "customer", "name=Zhang Wei",
	    "company=华为 技术" }, 4);
	expect_words("find 'it''s'", (const char *[]){ "find", "its" }, 2);
	expect_words("find \"say \\\"hi\\\" \\\\ \\n\"", (const char *[]){
	    "find", "say \"hi\" \\ \\n" }, 2);
	expect_words("find a\\ b ''", (const char *[]){ "find", "a b", "" },
	    3);
	expect_words("find '$HOME | `x`'", (const char *[]){ "find",
	    "$HOME | `x`" }, 2);
	expect_words("find \"$\" \"a$\"", (const char *[]){ "find", "$",
	    "a$" }, 3);
}

Test(split, shell_syntax_is_refused)
{
	expect_refused("find x | head", "'|'");
	expect_refused("find x; rm -rf /", "';'");
	expect_refused("import < file", "'<'");
	expect_refused("find $HOME", "'$'");
	expect_refused("find `id`", "'`'");
	expect_refused("find \"$(id)\"", "expansion");
	expect_refused("find x &", "'&'");
	expect_refused("find 'open", "single quote");
	expect_refused("find \"open", "double quote");
	expect_refused("find x\\", "backslash");
}

Test(split, program_name)
{
	struct strv w;
	char *why;

	split_command("tcrm find x", &w, &why);
	cr_expect_eq(split_skip_program(&w), 1);
	strv_free(&w);
	split_command("/usr/local/bin/tcrm find x", &w, &why);
	cr_expect_eq(split_skip_program(&w), 1);
	strv_free(&w);
	split_command("find tcrm", &w, &why);
	cr_expect_eq(split_skip_program(&w), 0);
	strv_free(&w);
	split_command("", &w, &why);
	cr_expect_eq(split_skip_program(&w), 0);
	strv_free(&w);
}
