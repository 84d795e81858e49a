/* buf.c - growable byte buffers and string vectors. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

void
buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = 0;
	b->size = 0;
}

void
buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

static void
buf_reserve(struct buf *b, size_t more)
{
	size_t want = b->len + more + 1;

	if (want <= b->size)
		return;
	if (b->size == 0)
		b->size = 64;
	while (b->size < want)
		b->size *= 2;
	b->data = xrealloc(b->data, b->size);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

void
buf_add(struct buf *b, const void *p, size_t n)
{
	buf_reserve(b, n);
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void
buf_adds(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void
buf_addc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

char *
buf_detach(struct buf *b)
{
	char *s;

	if (b->data == NULL)
		return xstrdup("");
	s = b->data;
	buf_init(b);
	return s;
}

void
strv_init(struct strv *sv)
{
	sv->v = NULL;
	sv->n = 0;
	sv->size = 0;
}

void
strv_free(struct strv *sv)
{
	for (size_t i = 0; i < sv->n; i++)
		free(sv->v[i]);
	free(sv->v);
	strv_init(sv);
}

static void
strv_take(struct strv *sv, char *s)
{
	if (sv->n + 2 > sv->size) {
		sv->size = sv->size ? sv->size * 2 : 8;
		sv->v = xreallocarray(sv->v, sv->size, sizeof *sv->v);
	}
	sv->v[sv->n++] = s;
	sv->v[sv->n] = NULL;
}

void
strv_push(struct strv *sv, const char *s)
{
	strv_take(sv, xstrdup(s));
}

void
strv_pushf(struct strv *sv, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	strv_take(sv, xvasprintf(fmt, ap));
	va_end(ap);
}

void
strv_split(struct strv *sv, const char *s, const char *seps)
{
	while (*s != '\0') {
		size_t n = strcspn(s, seps);

		if (n > 0)
			strv_take(sv, xstrndup(s, n));
		s += n;
		if (*s != '\0')
			s++;
	}
}

char *
strv_join(const struct strv *sv, const char *sep)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < sv->n; i++) {
		if (i > 0)
			buf_adds(&b, sep);
		buf_adds(&b, sv->v[i]);
	}
	return buf_detach(&b);
}
