/* source.c - an input byte stream for import: any file descriptor (pipes
 * included), decoded from another encoding with iconv, with invalid UTF-8
 * refused at its line and byte offset. */
#include "tcrm.h"

#include <errno.h>
#include <iconv.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int
source_open(struct source *src, int fd, const char *name,
    const char *encoding, char **err)
{
	memset(src, 0, sizeof *src);
	src->fd = fd;
	src->name = xstrdup(name);
	src->line = 1;
	src->last = -1;
	src->pushed = -1;
	*err = NULL;
	if (encoding == NULL || strcasecmp(encoding, "UTF-8") == 0 ||
	    strcasecmp(encoding, "UTF8") == 0)
		return 0;
	src->cd = iconv_open("UTF-8", encoding);
	if (src->cd == (iconv_t)-1) {
		src->cd = NULL;
		*err = xasprintf(_("unknown encoding '%s' (try GB18030, GBK, "
		    "BIG5, LATIN1, UTF-16)"), encoding);
		return -1;
	}
	return 0;
}

void
source_close(struct source *src)
{
	if (src->cd != NULL)
		iconv_close(src->cd);
	free(src->name);
	free(src->err);
	src->cd = NULL;
	src->name = NULL;
	src->err = NULL;
}

static int
source_fail(struct source *src, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	free(src->err);
	src->err = xasprintf("%s:%zu: %s", src->name, src->line, msg);
	free(msg);
	return -2;
}

/* False when the owner gave up waiting for input. */
static bool
source_wait(struct source *src)
{
	struct pollfd pfd = { .fd = src->fd, .events = POLLIN };

	if (src->give_up == NULL)
		return true;
	while (!src->give_up(src->give_up_arg)) {
		int r = poll(&pfd, 1, 100);

		if (r > 0 || (r < 0 && errno != EINTR))
			return true;
	}
	return false;
}

/* Refill raw from the descriptor; keeps unconsumed bytes at the front. */
static int
source_read_raw(struct source *src)
{
	ssize_t n;

	if (src->rpos > 0) {
		memmove(src->raw, src->raw + src->rpos, src->rlen - src->rpos);
		src->raw_offset += src->rpos;
		src->rlen -= src->rpos;
		src->rpos = 0;
	}
	if (!source_wait(src))
		return source_fail(src, _("stopped while waiting for input"));
	do
		n = read(src->fd, src->raw + src->rlen,
		    sizeof src->raw - src->rlen);
	while (n < 0 && errno == EINTR && !store_stop_signal);
	if (n < 0)
		return source_fail(src, _("read: %s"), strerror(errno));
	if (n == 0)
		src->eof = true;
	src->rlen += (size_t)n;
	return 0;
}

/* Convert as much of raw as fits into out. */
static int
source_convert(struct source *src)
{
	char *in = (char *)src->raw + src->rpos, *out = (char *)src->out;
	size_t inleft = src->rlen - src->rpos, outleft = sizeof src->out;
	size_t r;

	r = iconv(src->cd, &in, &inleft, &out, &outleft);
	src->olen = sizeof src->out - outleft;
	src->opos = 0;
	src->rpos = src->rlen - inleft;
	if (r == (size_t)-1 && errno == EILSEQ)
		return source_fail(src, _("byte %llu: not valid in this "
		    "encoding"), (unsigned long long)(src->raw_offset +
		    src->rpos));
	if (r == (size_t)-1 && errno == EINVAL && src->eof && src->olen == 0)
		return source_fail(src, _("the input ends inside a character"));
	return 0;
}

static int
source_fill(struct source *src)
{
	int rc;

	while (src->opos == src->olen) {
		if (src->cd == NULL && src->rpos < src->rlen) {
			/* UTF-8 passes straight through. */
			size_t n = src->rlen - src->rpos;

			memcpy(src->out, src->raw + src->rpos, n);
			src->olen = n;
			src->opos = 0;
			src->rpos = src->rlen;
			return 0;
		}
		if (src->cd != NULL && src->rpos < src->rlen) {
			if ((rc = source_convert(src)) != 0)
				return rc;
			if (src->olen > 0)
				return 0;
			if (src->eof)
				return -1;
		}
		if (src->eof)
			return -1;
		if ((rc = source_read_raw(src)) != 0)
			return rc;
		if (src->eof && src->rpos == src->rlen)
			return -1;
	}
	return 0;
}

static bool
utf8_lead_ok(struct source *src, int c)
{
	src->utf8_lo = 0x80;
	src->utf8_hi = 0xbf;
	if (c < 0x80)
		src->utf8_need = 0;
	else if (c >= 0xc2 && c <= 0xdf)
		src->utf8_need = 1;
	else if (c >= 0xe0 && c <= 0xef) {
		src->utf8_need = 2;
		if (c == 0xe0)
			src->utf8_lo = 0xa0;
		else if (c == 0xed)
			src->utf8_hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		src->utf8_need = 3;
		if (c == 0xf0)
			src->utf8_lo = 0x90;
		else if (c == 0xf4)
			src->utf8_hi = 0x8f;
	} else
		return false;
	return true;
}

/* A byte-order mark says UTF-16 even without --encoding. */
static int
source_start(struct source *src)
{
	int rc;

	src->started = true;
	while (src->rlen < 3 && !src->eof) {
		if ((rc = source_read_raw(src)) != 0)
			return rc;
	}
	if (src->cd == NULL && src->rlen >= 2 &&
	    ((src->raw[0] == 0xff && src->raw[1] == 0xfe) ||
	    (src->raw[0] == 0xfe && src->raw[1] == 0xff)))
		src->cd = iconv_open("UTF-8", "UTF-16");
	if (src->cd == (iconv_t)-1)
		src->cd = NULL;
	if (src->cd == NULL && src->rlen >= 3 && src->raw[0] == 0xef &&
	    src->raw[1] == 0xbb && src->raw[2] == 0xbf)
		src->rpos = 3;
	return 0;
}

size_t
source_peek(struct source *src, char *buf, size_t size)
{
	size_t n;

	if (!src->started && source_start(src) != 0)
		return 0;
	if (src->opos == src->olen && source_fill(src) != 0)
		return 0;
	n = src->olen - src->opos;
	if (n > size)
		n = size;
	memcpy(buf, src->out + src->opos, n);
	return n;
}

void
source_ungetc(struct source *src, int c)
{
	src->pushed = c;
}

int
source_getc(struct source *src)
{
	int c, rc;

	if (src->pushed >= 0) {
		c = src->pushed;
		src->pushed = -1;
		return c;
	}
	if (!src->started && (rc = source_start(src)) != 0)
		return rc;
	if (src->opos == src->olen && (rc = source_fill(src)) != 0) {
		if (rc == -1 && src->utf8_need > 0)
			return source_fail(src, _("byte %llu: the input ends "
			    "inside a UTF-8 character"), (unsigned long long)
			    src->offset);
		return rc;
	}
	c = src->out[src->opos++];
	if (src->cd == NULL) {
		if (src->utf8_need > 0) {
			if (c < src->utf8_lo || c > src->utf8_hi)
				goto bad;
			src->utf8_need--;
			src->utf8_lo = 0x80;
			src->utf8_hi = 0xbf;
		} else if (!utf8_lead_ok(src, c))
			goto bad;
	}
	src->offset++;
	if (c == '\n' && src->last != '\r')
		src->line++;
	else if (c == '\r')
		src->line++;
	src->last = c;
	return c;
bad:
	return source_fail(src, _("byte %llu: invalid UTF-8 (0x%02x); if the "
	    "file is in another encoding, say which with --encoding (GB18030, "
	    "BIG5, LATIN1, UTF-16)"), (unsigned long long)(src->raw_offset +
	    src->rpos - (src->olen - src->opos) - 1), c);
}
