/* test-csv.c - the CSV reader against a corpus of edge cases (each
 * tests/data/csv/NAME.csv with NAME.expected records or NAME.error), the
 * writer's round trip, encodings and invalid UTF-8. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tcrm.h"

static const char *
data_dir(void)
{
	const char *d = getenv("TESTS_SRCDIR");
	static char path[512];

	snprintf(path, sizeof path, "%s/data", d ? d : "tests");
	return path;
}

static int
fd_of(const void *data, size_t len)
{
	FILE *fp = tmpfile();
	int fd;

	cr_assert_not_null(fp);
	cr_assert_eq(fwrite(data, 1, len, fp), len);
	fflush(fp);
	fd = dup(fileno(fp));
	fclose(fp);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* Read every record; returns them as a JSON array, or NULL with *err. */
static json_t *
read_all(int fd, const char *encoding, int delim, char **err)
{
	struct source src;
	struct csv c;
	json_t *all = json_array();
	int rc;

	cr_assert_eq(source_open(&src, fd, "t.csv", encoding, err), 0);
	csv_init(&c, &src, delim);
	while ((rc = csv_read(&c)) == 1) {
		json_t *row = json_array();

		for (size_t i = 0; i < c.cells.n; i++)
			json_array_append_new(row, json_string(c.cells.v[i]));
		json_array_append_new(all, row);
	}
	*err = rc < 0 ? xstrdup(c.err) : NULL;
	csv_free(&c);
	source_close(&src);
	close(fd);
	if (rc < 0) {
		json_decref(all);
		return NULL;
	}
	return all;
}

static int
run_case(const char *dir, const char *name)
{
	char path[1024], *err;
	json_t *got, *want;
	int fd;

	snprintf(path, sizeof path, "%s/%s.csv", dir, name);
	fd = open(path, O_RDONLY);
	cr_assert_geq(fd, 0, "%s", path);
	got = read_all(fd, NULL, ',', &err);
	snprintf(path, sizeof path, "%s/%s.expected", dir, name);
	want = json_load_file(path, 0, NULL);
	if (want == NULL) {
		cr_expect_null(got, "%s: expected an error", name);
		cr_expect(err != NULL && strstr(err, "never ends"),
		    "%s: %s", name, err ? err : "(no error)");
		free(err);
		return 1;
	}
	cr_expect_not_null(got, "%s: %s", name, err ? err : "");
	if (got != NULL) {
		char *a = json_dumps(got, JSON_COMPACT);
		char *b = json_dumps(want, JSON_COMPACT);

		cr_expect(json_equal(got, want), "%s:\n got  %.300s\n want %.300s",
		    name, a, b);
		free(a);
		free(b);
	}
	json_decref(got);
	json_decref(want);
	free(err);
	return 1;
}

Test(csv, corpus)
{
	char dir[600];
	struct dirent **list;
	int n, cases = 0;

	snprintf(dir, sizeof dir, "%s/csv", data_dir());
	n = scandir(dir, &list, NULL, alphasort);
	cr_assert_gt(n, 0, "no corpus at %s", dir);
	for (int i = 0; i < n; i++) {
		size_t len = strlen(list[i]->d_name);

		if (len > 4 && strcmp(list[i]->d_name + len - 4, ".csv") == 0) {
			list[i]->d_name[len - 4] = '\0';
			cases += run_case(dir, list[i]->d_name);
		}
		free(list[i]);
	}
	free(list);
	cr_assert_geq(cases, 25, "only %d corpus cases", cases);
}

Test(csv, record_lines_are_where_records_start)
{
	const char *text = "a,b\n\"x\ny\",1\n\n\"p\",2\r\nq,3\rr,4";
	struct source src;
	struct csv c;
	size_t lines[8], n = 0;
	char *err;

	cr_assert_eq(source_open(&src, fd_of(text, strlen(text)), "t.csv", NULL,
	    &err), 0);
	csv_init(&c, &src, ',');
	while (csv_read(&c) == 1)
		lines[n++] = c.line;
	cr_assert_eq(n, 5);
	cr_assert_eq(lines[0], 1);
	cr_assert_eq(lines[1], 2);
	cr_assert_eq(lines[2], 5);
	cr_assert_eq(lines[3], 6);
	cr_assert_eq(lines[4], 7);
	csv_free(&c);
	close(src.fd);
	source_close(&src);
}

/* A record over max_bytes is read to its end, keeping the cells before
 * the one that crossed the limit (that one empty); the next record is
 * whole again. */
Test(csv, a_record_over_the_limit_keeps_what_came_before)
{
	const char *text = "ab,\"cdefgh\",ij,kl\nm,n\n\"o,\"\"pq\"\"r\",s\n";
	struct source src;
	struct csv c;
	char *err;

	cr_assert_eq(source_open(&src, fd_of(text, strlen(text)), "t.csv", NULL,
	    &err), 0);
	csv_init(&c, &src, ',');
	c.max_bytes = 6;
	cr_assert_eq(csv_read(&c), 1);
	cr_expect(c.over);
	cr_expect_eq(c.over_cell, 1);
	cr_expect_eq(c.bytes, 15, "every byte of the record counted: %zu",
	    c.bytes);
	cr_assert_eq(c.cells.n, 2);
	cr_expect_str_eq(c.cells.v[0], "ab");
	cr_expect_str_eq(c.cells.v[1], "");
	cr_assert_eq(csv_read(&c), 1);
	cr_expect(!c.over);
	cr_assert_eq(c.cells.n, 2);
	cr_expect_str_eq(c.cells.v[1], "n");
	cr_assert_eq(csv_read(&c), 1, "a quote in an over-long cell still "
	    "ends where the cell does");
	cr_expect(c.over);
	cr_expect_eq(c.line, 3);
	cr_assert_eq(c.cells.n, 1);
	cr_expect_str_eq(c.cells.v[0], "");
	cr_assert_eq(csv_read(&c), 0);
	csv_free(&c);
	close(src.fd);
	source_close(&src);
}

Test(csv, other_delimiters)
{
	const char *text = "a\tb;c\n1\t\"2\t3\"\n";
	char *err;
	json_t *got = read_all(fd_of(text, strlen(text)), NULL, '\t', &err);
	json_t *want = json_loads("[[\"a\",\"b;c\"],[\"1\",\"2\\t3\"]]", 0, NULL);

	cr_assert(json_equal(got, want));
	json_decref(got);
	json_decref(want);
}

Test(csv, invalid_utf8_is_refused_with_line_and_offset)
{
	const char text[] = "name\nok\nbad \xff here\n";
	char *err;
	json_t *got = read_all(fd_of(text, sizeof text - 1), NULL, ',', &err);

	cr_assert_null(got);
	cr_assert(strstr(err, "t.csv:3: byte 12: invalid UTF-8") != NULL,
	    "%s", err);
	cr_assert(strstr(err, "--encoding") != NULL, "%s", err);
	free(err);
}

Test(csv, gb18030_and_big5_and_latin1)
{
	/* 张伟 in GB18030, 張偉 in Big5, Müller in Latin-1. */
	const char gb[] = "name\n\xd5\xc5\xce\xb0\n";
	const char big5[] = "name\n\xb1\x69\xb0\xb6\n";
	const char latin1[] = "name\nM\xfcller\n";
	char *err;
	json_t *got;

	got = read_all(fd_of(gb, sizeof gb - 1), "GB18030", ',', &err);
	cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got,
	    1), 0)), "张伟");
	json_decref(got);
	got = read_all(fd_of(big5, sizeof big5 - 1), "BIG5", ',', &err);
	cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got,
	    1), 0)), "張偉");
	json_decref(got);
	got = read_all(fd_of(latin1, sizeof latin1 - 1), "LATIN1", ',', &err);
	cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got,
	    1), 0)), "Müller");
	json_decref(got);
}

Test(csv, utf16_with_bom_needs_no_flag)
{
	/* "a\n张\n" in UTF-16LE with a BOM. */
	const char u16[] = "\xff\xfe" "a\0\n\0\x20\x5f\n\0";
	char *err;
	json_t *got = read_all(fd_of(u16, sizeof u16 - 1), NULL, ',', &err);

	cr_assert_not_null(got, "%s", err ? err : "");
	cr_assert_str_eq(json_string_value(json_array_get(json_array_get(got,
	    1), 0)), "张");
	json_decref(got);
}

Test(csv, unknown_encoding_is_refused)
{
	struct source src;
	char *err;

	cr_assert_eq(source_open(&src, 0, "x", "KLINGON-8", &err), -1);
	cr_assert(strstr(err, "unknown encoding 'KLINGON-8'"));
	free(err);
	source_close(&src);
}

Test(csv, writer_round_trips_through_reader)
{
	static const char *cells[] = { "plain", "with,comma", "with \"quote\"",
	    "two\nlines", " padded ", "=SUM(A1)", "+86 138", "-5", "@x",
	    "'already", "", "张伟", "\t=1+2", "\n=1+2" };
	size_t n = sizeof cells / sizeof *cells;
	char *text = NULL, *err;
	size_t len = 0;
	FILE *fp = open_memstream(&text, &len);
	json_t *got;

	for (size_t i = 0; i < n; i++) {
		if (i > 0)
			fputc(',', fp);
		csv_write_cell(fp, cells[i], ',', true);
	}
	fputc('\n', fp);
	fclose(fp);
	cr_assert(strstr(text, "'=SUM(A1)") != NULL, "%s", text);
	cr_assert(strstr(text, "'\t=1+2") != NULL, "%s", text);
	cr_assert(strstr(text, "\"'\n=1+2\"") != NULL, "%s", text);
	got = read_all(fd_of(text, len), NULL, ',', &err);
	for (size_t i = 0; i < n; i++) {
		const char *v = json_string_value(json_array_get(json_array_get(
		    got, 0), i));

		cr_assert_str_eq(csv_unneutralise(v), cells[i]);
	}
	json_decref(got);
	free(text);
}

Test(csv, overlongs_surrogates_and_too_large_are_invalid)
{
	static const char *bad[] = { "a\n\xed\xa0\x80\n", "a\n\xc0\xaf\n",
	    "a\n\xe0\x80\xaf\n", "a\n\xf0\x80\x80\xaf\n", "a\n\xf4\x90\x80\x80\n",
	    "a\n\xe5\xbc\n" };
	char *err;

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		json_t *got = read_all(fd_of(bad[i], strlen(bad[i])), NULL, ',',
		    &err);

		cr_expect_null(got, "case %zu accepted", i);
		json_decref(got);
		cr_expect(err != NULL && (strstr(err, "invalid UTF-8") ||
		    strstr(err, "ends inside")), "case %zu: %s", i, err);
		free(err);
	}
}

Test(csv, format_sniffed_from_first_bytes)
{
	static const struct {
		const char *head;
		enum import_format want;
	} cases[] = {
		{ "{\"name\":\"张伟\"}\n", FMT_JSONL },
		{ "\n\n  {\"a\":1}", FMT_JSONL },
		{ "BEGIN:VCARD\r\nVERSION:3.0\r\n", FMT_VCARD },
		{ "begin:vcard\n", FMT_VCARD },
		{ "- id: 1\n  name: x\n", FMT_YAML },
		{ "---\n- name: x\n", FMT_YAML },
		{ "id\tname\tphones\n1\t张伟\t138\n", FMT_TSV },
		{ "name,notes\nx,\"a\tb\"\n", FMT_CSV },
		{ "name,\tphones\n", FMT_CSV },
		{ "-5,x\n", FMT_CSV },
		{ "", FMT_CSV },
		{ "name,phones", FMT_CSV },
	};

	for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
		cr_expect_eq(import_format_sniff(cases[i].head,
		    strlen(cases[i].head)), cases[i].want, "case %zu: %s", i,
		    cases[i].head);
}

Test(csv, peek_takes_nothing)
{
	static const char utf16[] = "\xff\xfe" "a\0,\0\x20\x5f\n\0";
	char head[16], got[16];
	struct source src;
	char *err;
	size_t n = 0;
	int c;

	cr_assert_eq(source_open(&src, fd_of(utf16, sizeof utf16 - 1), "t",
	    NULL, &err), 0);
	cr_assert_eq(source_peek(&src, head, sizeof head), 6);
	cr_assert(memcmp(head, "a,\xe5\xbc\xa0\n", 6) == 0);
	while ((c = source_getc(&src)) >= 0 && n < sizeof got)
		got[n++] = (char)c;
	cr_assert_eq(n, 6);
	cr_assert(memcmp(got, head, 6) == 0);
	source_close(&src);
}
