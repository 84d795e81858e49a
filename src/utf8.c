/* utf8.c - text by display column, folding, sanitising for the screen. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define UTF8_REPLACEMENT 0xfffd
#define UTF8_CONTROL_PICTURES 0x2400
#define UTF8_DELETE_PICTURE 0x2421

static bool
utf8_is_continuation(unsigned char c)
{
	return (c & 0xc0) == 0x80;
}

/* Length of the sequence a lead byte announces, 0 if it cannot lead. */
static size_t
utf8_sequence_length(unsigned char c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

static int32_t
utf8_sequence_minimum(size_t n)
{
	switch (n) {
	case 2:
		return 0x80;
	case 3:
		return 0x800;
	default:
		return 0x10000;
	}
}

size_t
utf8_decode(const char *s, size_t len, int32_t *cp)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t n, i;
	int32_t value;

	*cp = -1;
	if (len == 0)
		return 0;
	n = utf8_sequence_length(u[0]);
	if (n == 0 || n > len)
		return 1;
	if (n == 1) {
		*cp = u[0];
		return 1;
	}
	value = u[0] & (0x7f >> n);
	for (i = 1; i < n; i++) {
		if (!utf8_is_continuation(u[i]))
			return 1;
		value = (value << 6) | (u[i] & 0x3f);
	}
	if (value < utf8_sequence_minimum(n) || value > 0x10ffff)
		return 1;
	if (value >= 0xd800 && value <= 0xdfff)
		return 1;
	*cp = value;
	return n;
}

bool
utf8_valid(const char *s, size_t len, size_t *bad)
{
	size_t off = 0, n;
	int32_t cp;

	while (off < len) {
		n = utf8_decode(s + off, len - off, &cp);
		if (cp == -1) {
			if (bad != NULL)
				*bad = off;
			return false;
		}
		off += n;
	}
	return true;
}

static bool
utf8_is_control(int32_t cp)
{
	return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f);
}

int
utf8_cpwidth(int32_t cp)
{
	/* Most of what a desk draws: no table to look up. */
	if (cp >= 0x20 && cp < 0x7f)
		return 1;
	/* Controls and invalid bytes are drawn as one-column placeholders. */
	if (cp < 0 || utf8_is_control(cp))
		return 1;
	/* The soft hyphen is a format character that terminals still draw. */
	if (cp == 0xad)
		return 1;
	switch (utf8proc_category(cp)) {
	case UTF8PROC_CATEGORY_MN:
	case UTF8PROC_CATEGORY_ME:
	case UTF8PROC_CATEGORY_CF:
		return 0;
	default:
		break;
	}
	switch (utf8proc_charwidth(cp)) {
	case 0:
		return 0;
	case 2:
		return 2;
	default:
		return 1;
	}
}

static size_t
utf8_width_n(const char *s, size_t len)
{
	size_t off = 0, width = 0;
	int32_t cp;

	while (off < len) {
		off += utf8_decode(s + off, len - off, &cp);
		width += (size_t)utf8_cpwidth(cp);
	}
	return width;
}

size_t
utf8_width(const char *s)
{
	return utf8_width_n(s, strlen(s));
}

/* Names are mostly ASCII and common CJK ideographs (U+4E00-U+9FFF), which
 * NFKC case folding leaves as they are but for ASCII capitals: fold those
 * without utf8proc. NULL when anything else is in the string. */
static char *
utf8_fold_quick(const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	char *out = xmalloc(strlen(s) + 1), *q = out;

	while (*p != '\0') {
		if (*p < 0x80) {
			*q++ = (char)(*p >= 'A' && *p <= 'Z' ? *p + 32 : *p);
			p++;
		} else if (p[0] >= 0xe4 && p[0] <= 0xe9 && (p[1] & 0xc0) == 0x80 &&
		    (p[2] & 0xc0) == 0x80 && (p[0] != 0xe4 || p[1] >= 0xb8)) {
			/* E4 B8 80 (U+4E00) to E9 BF BF (U+9FFF) */
			memcpy(q, p, 3);
			q += 3;
			p += 3;
		} else {
			free(out);
			return NULL;
		}
	}
	*q = '\0';
	return out;
}

char *
utf8_fold(const char *s)
{
	char *quick = utf8_fold_quick(s);
	const utf8proc_option_t options = UTF8PROC_STABLE | UTF8PROC_COMPAT |
	    UTF8PROC_COMPOSE | UTF8PROC_CASEFOLD | UTF8PROC_IGNORE;
	const utf8proc_uint8_t *in = (const utf8proc_uint8_t *)s;
	size_t len = strlen(s);
	utf8proc_ssize_t n, used, bytes;
	utf8proc_int32_t *cps;
	char *out;

	if (quick != NULL)
		return quick;
	if (!utf8_valid(s, len, NULL))
		return NULL;
	n = utf8proc_decompose(in, (utf8proc_ssize_t)len, NULL, 0, options);
	if (n < 0)
		return NULL;
	/* utf8proc_reencode writes UTF-8 over the code points in place and
	 * needs one byte more than they take. */
	cps = xmalloc((size_t)n * sizeof *cps + 1);
	used = utf8proc_decompose(in, (utf8proc_ssize_t)len, cps, n, options);
	if (used < 0 || used > n) {
		free(cps);
		return NULL;
	}
	bytes = utf8proc_reencode(cps, used, options);
	if (bytes < 0) {
		free(cps);
		return NULL;
	}
	out = xstrndup((const char *)cps, (size_t)bytes);
	free(cps);
	return out;
}

static void
utf8_add_cp(struct buf *b, int32_t cp)
{
	utf8proc_uint8_t bytes[4];
	utf8proc_ssize_t n;

	n = utf8proc_encode_char(cp, bytes);
	buf_add(b, bytes, (size_t)n);
}

/* Characters that reorder or break the line around them. */
static bool
utf8_is_bidi_or_break(int32_t cp)
{
	if (cp >= 0x202a && cp <= 0x202e)
		return true;
	if (cp >= 0x2066 && cp <= 0x2069)
		return true;
	return cp == 0x200e || cp == 0x200f || cp == 0x061c ||
	    cp == 0x2028 || cp == 0x2029;
}

/* What to draw for cp; an ESC becomes a picture, so whatever sequence it
 * began is left as plain printable text. */
int32_t
utf8_safe_cp(int32_t cp)
{
	if (cp >= 0x20 && cp < 0x7f)
		return cp;
	if (cp < 0)
		return UTF8_REPLACEMENT;
	if (cp < 0x20)
		return UTF8_CONTROL_PICTURES + cp;
	if (cp == 0x7f)
		return UTF8_DELETE_PICTURE;
	if (cp >= 0x80 && cp <= 0x9f)
		return UTF8_REPLACEMENT;
	if (utf8_is_bidi_or_break(cp))
		return UTF8_REPLACEMENT;
	return cp;
}

char *
utf8_sanitize(const char *s)
{
	size_t len = strlen(s), off = 0, n;
	struct buf b;
	int32_t cp;

	buf_init(&b);
	while (off < len) {
		n = utf8_decode(s + off, len - off, &cp);
		if (utf8_safe_cp(cp) == cp)
			buf_add(&b, s + off, n);
		else
			utf8_add_cp(&b, utf8_safe_cp(cp));
		off += n;
	}
	return buf_detach(&b);
}

size_t
utf8_clip(const char *s, size_t width)
{
	size_t len = strlen(s), off = 0, used = 0, n, w;
	int32_t cp;

	/* A zero-width mark after the last character that fits still fits,
	 * so marks stay with their base. */
	while (off < len) {
		n = utf8_decode(s + off, len - off, &cp);
		w = (size_t)utf8_cpwidth(cp);
		if (used + w > width)
			break;
		used += w;
		off += n;
	}
	return off;
}

char *
utf8_pad(const char *s, size_t width)
{
	size_t n = utf8_clip(s, width);
	size_t used = utf8_width_n(s, n);
	struct buf b;

	buf_init(&b);
	buf_add(&b, s, n);
	while (used++ < width)
		buf_addc(&b, ' ');
	return buf_detach(&b);
}

static bool
utf8_is_space(int32_t cp)
{
	if (cp == ' ' || (cp >= '\t' && cp <= '\r'))
		return true;
	if (cp == 0x85 || cp == 0x2028 || cp == 0x2029)
		return true;
	return cp > 0x7f && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

char *
utf8_trim(const char *s)
{
	size_t len = strlen(s), off = 0, start = 0, end = 0, n;
	bool leading = true;
	int32_t cp;

	while (off < len) {
		n = utf8_decode(s + off, len - off, &cp);
		off += n;
		if (utf8_is_space(cp)) {
			if (leading)
				start = off;
			continue;
		}
		leading = false;
		end = off;
	}
	if (end < start)
		end = start;
	return xstrndup(s + start, end - start);
}
