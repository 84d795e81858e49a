/* fuzz-csv.c - a libFuzzer entry point for the CSV reader: any bytes,
 * any delimiter, through the same source (UTF-8 checks included) that
 * import uses. Built by tests/fuzz.sh with clang -fsanitize=fuzzer, and
 * into a replay program that runs the corpus in make check. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct source src;
	struct csv c;
	char *err = NULL;
	int fd, delim = size > 0 && data[0] == '\t' ? '\t' : ',';
	size_t cells = 0;

	if ((fd = memfd_create("fuzz", 0)) < 0)
		return 0;
	if (size > 0 && write(fd, data, size) != (ssize_t)size) {
		close(fd);
		return 0;
	}
	lseek(fd, 0, SEEK_SET);
	if (source_open(&src, fd, "fuzz", NULL, &err) == 0) {
		csv_init(&c, &src, delim);
		/* A third of the inputs read with a small row limit. */
		c.max_bytes = size % 3 == 0 ? 64 : 0;
		while (csv_read(&c) == 1) {
			size_t kept = 0;

			/* Every cell is a whole UTF-8 string. */
			for (size_t i = 0; i < c.cells.n; i++) {
				size_t bad, len = strlen(c.cells.v[i]);

				if (!utf8_valid(c.cells.v[i], len, &bad))
					abort();
				kept += len;
				cells++;
			}
			/* Over the limit: what came before, then one empty. */
			if (c.over && (c.cells.n != c.over_cell + 1 ||
			    *c.cells.v[c.over_cell] != '\0' ||
			    kept > c.max_bytes))
				abort();
		}
		csv_free(&c);
	}
	free(err);
	source_close(&src);
	close(fd);
	return cells > (size_t)-2;
}
