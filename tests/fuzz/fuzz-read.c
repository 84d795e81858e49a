/* fuzz-read.c - a libFuzzer entry point for every import reader: the
 * first byte picks CSV, TSV, JSON Lines, YAML or vCard, and an encoding
 * to convert from (none, as the seed corpus has it, or one that --encoding
 * takes); the rest is the file, read through the same source as import
 * reads it. Every row is
 * read to the end; every column name and value must be whole UTF-8.
 * Built by tests/fuzz.sh with clang -fsanitize=fuzzer, and into a
 * replay program that runs its corpus in make check. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The fields the readers look at: vCard properties map to them by type. */
static struct field fields[] = {
	{ .name = (char *)"name", .type = FT_TEXT },
	{ .name = (char *)"phones", .type = FT_PHONES },
	{ .name = (char *)"email", .type = FT_EMAIL },
	{ .name = (char *)"secondary_email", .type = FT_EMAIL },
	{ .name = (char *)"company", .type = FT_TEXT },
	{ .name = (char *)"notes", .type = FT_TEXT, .max = 100 },
	{ .name = (char *)"external_id", .type = FT_TEXT },
};
static struct entity customer = {
	.name = (char *)"customer",
	.fields = fields,
	.nfields = sizeof fields / sizeof fields[0],
	.title = (char *)"name",
};

static void
check_text(const char *s)
{
	size_t bad;

	if (!utf8_valid(s, strlen(s), &bad))
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum import_format formats[] = { FMT_CSV, FMT_TSV,
	    FMT_JSONL, FMT_YAML, FMT_VCARD };
	static const char *encodings[] = { NULL, "GB18030", "BIG5", "LATIN1",
	    "UTF-16" };
	struct source src;
	struct reader *rd;
	struct row row;
	char *err = NULL;
	size_t rows = 0;
	int fd;

	if (size == 0 || (fd = memfd_create("fuzz", 0)) < 0)
		return 0;
	if (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1)) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	if (source_open(&src, fd, "fuzz", encodings[data[0] / 5 % 5],
	    &err) == 0) {
		rd = reader_open(&src, formats[data[0] % 5], 0, &customer);
		memset(&row, 0, sizeof row);
		while (reader_next(rd, &row) == 1) {
			if (row.cols.n != row.vals.n)
				abort();
			for (size_t i = 0; i < row.vals.n; i++) {
				check_text(row.cols.v[i]);
				check_text(row.vals.v[i]);
			}
			rows++;
		}
		row_free(&row);
		reader_close(rd);
	}
	free(err);
	source_close(&src);
	close(fd);
	return rows > (size_t)-2;
}
