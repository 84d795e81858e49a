/* server-split.c - an SSH command line split into words the way a POSIX
 * shell would quote them, without a shell: no variables, no globbing, no
 * redirection. What a shell would treat as syntax is refused rather than
 * passed on as an argument, so nobody is surprised. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

static bool
is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_syntax(char c)
{
	return strchr("|&;<>()$`", c) != NULL;
}

/* Inside double quotes a backslash escapes only these. */
static bool
dquote_escapable(char c)
{
	return c == '"' || c == '\\' || c == '$' || c == '`' || c == '\n';
}

static const char *
split_dquoted(const char *p, struct buf *word, char **why)
{
	for (; *p != '"'; p++) {
		if (*p == '\0') {
			*why = xstrdup("a double quote is not closed");
			return NULL;
		}
		if (*p == '`' || (*p == '$' && p[1] != '\0' && !is_blank(p[1]) &&
		    p[1] != '"')) {
			*why = xasprintf("shell expansion ('%c') is not "
			    "supported: use single quotes", *p);
			return NULL;
		}
		if (*p == '\\' && dquote_escapable(p[1])) {
			p++;
			if (*p == '\n')
				continue;
		}
		buf_addc(word, *p);
	}
	return p + 1;
}

int
split_command(const char *line, struct strv *argv, char **why)
{
	const char *p = line, *end;
	struct buf word;
	bool in_word = false;

	strv_init(argv);
	buf_init(&word);
	*why = NULL;
	while (*why == NULL) {
		if (*p == '\0' || is_blank(*p)) {
			if (in_word)
				strv_push(argv, word.data);
			buf_reset(&word);
			in_word = false;
			if (*p++ == '\0')
				break;
			continue;
		}
		in_word = true;
		if (*p == '\'') {
			if ((end = strchr(p + 1, '\'')) == NULL) {
				*why = xstrdup("a single quote is not closed");
				break;
			}
			buf_add(&word, p + 1, (size_t)(end - p - 1));
			p = end + 1;
		} else if (*p == '"') {
			if ((p = split_dquoted(p + 1, &word, why)) == NULL)
				break;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				*why = xstrdup("a backslash ends the line");
				break;
			}
			if (p[1] != '\n')
				buf_addc(&word, p[1]);
			p += 2;
		} else if (is_syntax(*p)) {
			*why = xasprintf("shell syntax ('%c') is not supported: "
			    "quote it if it is part of an argument", *p);
		} else
			buf_addc(&word, *p++);
	}
	buf_free(&word);
	if (*why != NULL) {
		strv_free(argv);
		strv_init(argv);
		return -1;
	}
	return 0;
}

/* "tcrm find x", "/usr/bin/tcrm find x" and "find x" all mean the
 * command find: drop the program's name if it is there. */
size_t
split_skip_program(const struct strv *argv)
{
	const char *base;

	if (argv->n == 0)
		return 0;
	base = strrchr(argv->v[0], '/');
	base = base ? base + 1 : argv->v[0];
	return strcmp(base, "tcrm") == 0 ? 1 : 0;
}
