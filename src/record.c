/* record.c - the compact record codec.
 *
 * A record is a format byte, then varints for version and times, the two
 * user names, and the fields as (name, value) pairs. Fields the forms do
 * not know are carried through unchanged.
 *
 * Format 0xC1 spells every name out. Format 0xC2, written since, gives a
 * name of the table below as one varint (its place plus one) and any
 * other name as 0 and the string: the names were a quarter of a
 * customer's bytes, and every byte of a record is written to the log
 * again whenever its page splits.
 */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

#define RECORD_FORMAT_NAMED 0xC1
#define RECORD_FORMAT 0xC2

/* The field names of the forms as shipped. Stored records hold places in
 * this table: append to it, never reorder or remove. */
static const char *const known_names[] = {
	"kind", "name", "company", "title", "gender", "phones", "email",
	"secondary_email", "wechat", "website", "address", "city",
	"province", "country", "postcode", "language", "source", "status",
	"tier", "do_not_call", "owner_agent", "id_number", "birthday",
	"tags", "notes", "external_id", "created_via", "campaign",
	"customer", "job_title", "department", "primary", "contact",
	"channel", "direction", "disposition", "started", "duration",
	"agent", "subject", "note", "callback_at", "amount", "call_id",
	"caller", "called", "popped_at", "matches", "recording", "number",
	"priority", "category", "queue", "assignee", "due", "response_due",
	"responded", "resolved_at", "paused_at", "paused_work", "breach",
	"escalation", "description", "resolution", "interest", "stage",
	"probability", "close_date", "total", "ordered", "shipping_address",
	"tracking", "order", "product", "quantity", "unit_price", "discount",
	"method", "paid", "reference", "sku", "price", "unit", "active",
	"start", "end", "signed", "value", "document", "budget", "script",
	"author", "body", "phone", "missed", "interaction", "ticket",
	"done_at", "done_by", "state", "reason", "since", "last_assigned",
	"full_name", "role", "team", "disabled", "keys", "billing",
	"technical", "escalations",
};
#define KNOWN_NAMES (sizeof known_names / sizeof known_names[0])

/* A name's place in the table plus one, or 0. The first byte first, as
 * in record_find: most names differ there. */
static uint64_t
known_name_token(const char *name)
{
	for (size_t i = 0; i < KNOWN_NAMES; i++) {
		if (known_names[i][0] == name[0] &&
		    strcmp(known_names[i], name) == 0)
			return i + 1;
	}
	return 0;
}

void
record_init(struct record *r)
{
	memset(r, 0, sizeof *r);
}

void
record_free(struct record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->fields[i].name);
		free(r->fields[i].value);
	}
	free(r->fields);
	free(r->created_by);
	free(r->updated_by);
	record_init(r);
}

void
record_copy(struct record *dst, const struct record *src)
{
	record_init(dst);
	dst->id = src->id;
	dst->version = src->version;
	dst->created = src->created;
	dst->updated = src->updated;
	dst->created_by = src->created_by ? xstrdup(src->created_by) : NULL;
	dst->updated_by = src->updated_by ? xstrdup(src->updated_by) : NULL;
	if (src->n == 0)
		return;
	/* The names are unique already: no lookup per field, which made a
	 * copy quadratic in its fields (an import copies every row). */
	dst->fields = xreallocarray(NULL, src->n, sizeof *dst->fields);
	dst->size = dst->n = src->n;
	for (size_t i = 0; i < src->n; i++) {
		dst->fields[i].name = xstrdup(src->fields[i].name);
		dst->fields[i].value = xstrdup(src->fields[i].value);
	}
}

static struct kv *
record_find(const struct record *r, const char *name)
{
	/* The first byte first: a card asks for a record's fields by name
	 * thousands of times a draw. */
	for (size_t i = 0; i < r->n; i++) {
		if (r->fields[i].name[0] == name[0] &&
		    strcmp(r->fields[i].name, name) == 0)
			return &r->fields[i];
	}
	return NULL;
}

const char *
record_get(const struct record *r, const char *name)
{
	struct kv *kv = record_find(r, name);

	return kv ? kv->value : "";
}

void
record_set(struct record *r, const char *name, const char *value)
{
	struct kv *kv = record_find(r, name);

	if (value == NULL || *value == '\0') {
		if (kv != NULL) {
			free(kv->name);
			free(kv->value);
			*kv = r->fields[--r->n];
		}
		return;
	}
	if (kv != NULL) {
		char *copy = xstrdup(value);

		free(kv->value);
		kv->value = copy;
		return;
	}
	if (r->n == r->size) {
		r->size = r->size ? r->size * 2 : 16;
		r->fields = xreallocarray(r->fields, r->size, sizeof *r->fields);
	}
	r->fields[r->n].name = xstrdup(name);
	r->fields[r->n].value = xstrdup(value);
	r->n++;
}

void
codec_put_varint(struct buf *b, uint64_t v)
{
	unsigned char tmp[10];
	size_t n = 0;

	do {
		tmp[n] = v & 0x7f;
		v >>= 7;
		if (v != 0)
			tmp[n] |= 0x80;
		n++;
	} while (v != 0);
	buf_add(b, tmp, n);
}

void
codec_put_string(struct buf *b, const char *s)
{
	size_t len = s ? strlen(s) : 0;

	codec_put_varint(b, len);
	buf_add(b, s ? s : "", len);
}

static void
codec_put_name(struct buf *b, const char *name)
{
	uint64_t token = known_name_token(name);

	codec_put_varint(b, token);
	if (token == 0)
		codec_put_string(b, name);
}

void
record_encode(const struct record *r, struct buf *b)
{
	buf_addc(b, (char)RECORD_FORMAT);
	codec_put_varint(b, r->version);
	codec_put_varint(b, (uint64_t)r->created);
	codec_put_varint(b, (uint64_t)r->updated);
	codec_put_string(b, r->created_by);
	codec_put_string(b, r->updated_by);
	codec_put_varint(b, r->n);
	for (size_t i = 0; i < r->n; i++) {
		codec_put_name(b, r->fields[i].name);
		codec_put_string(b, r->fields[i].value);
	}
}

int
codec_get_varint(struct codec *rd, uint64_t *v)
{
	unsigned shift = 0;

	*v = 0;
	while (rd->p < rd->end && shift < 64) {
		unsigned char c = *rd->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if ((c & 0x80) == 0)
			return 0;
		shift += 7;
	}
	return -1;
}

int
codec_get_string(struct codec *rd, char **s)
{
	uint64_t len;

	if (codec_get_varint(rd, &len) != 0 || len > (uint64_t)(rd->end - rd->p))
		return -1;
	*s = xstrndup((const char *)rd->p, (size_t)len);
	rd->p += len;
	return 0;
}

/* A field name, in place: in the record, or in the table. */
static int
codec_get_name(struct codec *rd, int format, const char **name,
    size_t *len)
{
	uint64_t token;

	if (format == RECORD_FORMAT) {
		if (codec_get_varint(rd, &token) != 0 || token > KNOWN_NAMES)
			return -1;
		if (token > 0) {
			*name = known_names[token - 1];
			*len = strlen(*name);
			return 0;
		}
	}
	if (codec_get_varint(rd, &token) != 0 ||
	    token > (uint64_t)(rd->end - rd->p))
		return -1;
	*name = (const char *)rd->p;
	*len = (size_t)token;
	rd->p += token;
	return 0;
}

static bool
known_format(const struct codec *rd)
{
	return rd->p < rd->end && (*rd->p == RECORD_FORMAT ||
	    *rd->p == RECORD_FORMAT_NAMED);
}

/* The value of one field, read in place from an encoded record: a search
 * result needs four fields of a record, not a copy of every one. */
int
record_peek(const void *data, size_t size, const char *name,
    const char **value, size_t *len)
{
	struct codec rd = { data, (const unsigned char *)data + size };
	size_t want = strlen(name);
	uint64_t skip, n, l;
	int format;

	if (!known_format(&rd))
		return -1;
	format = *rd.p++;
	for (int i = 0; i < 3; i++) {		/* version, created, updated */
		if (codec_get_varint(&rd, &skip) != 0)
			return -1;
	}
	for (int i = 0; i < 2; i++) {		/* created_by, updated_by */
		if (codec_get_varint(&rd, &l) != 0 ||
		    l > (uint64_t)(rd.end - rd.p))
			return -1;
		rd.p += l;
	}
	if (codec_get_varint(&rd, &n) != 0)
		return -1;
	for (uint64_t i = 0; i < n; i++) {
		const char *key;
		size_t klen;

		if (codec_get_name(&rd, format, &key, &klen) != 0)
			return -1;
		if (codec_get_varint(&rd, &l) != 0 ||
		    l > (uint64_t)(rd.end - rd.p))
			return -1;
		if (klen == want && memcmp(key, name, want) == 0) {
			*value = (const char *)rd.p;
			*len = (size_t)l;
			return 0;
		}
		rd.p += l;
	}
	return 1;
}

int
record_decode(const void *data, size_t size, struct record *r)
{
	struct codec rd = { data, (const unsigned char *)data + size };
	uint64_t version, created, updated, n;
	int format;

	record_init(r);
	if (!known_format(&rd))
		return -1;
	format = *rd.p++;
	if (codec_get_varint(&rd, &version) != 0 || version > UINT32_MAX ||
	    codec_get_varint(&rd, &created) != 0 ||
	    codec_get_varint(&rd, &updated) != 0 ||
	    codec_get_string(&rd, &r->created_by) != 0 ||
	    codec_get_string(&rd, &r->updated_by) != 0 ||
	    codec_get_varint(&rd, &n) != 0 || n > size)
		goto bad;
	r->version = (uint32_t)version;
	r->created = (int64_t)created;
	r->updated = (int64_t)updated;
	/* Names are unique by construction: append without searching. */
	r->fields = xcalloc(n ? n : 1, sizeof *r->fields);
	r->size = n ? n : 1;
	for (uint64_t i = 0; i < n; i++) {
		struct kv *kv = &r->fields[r->n];
		const char *name;
		size_t len;

		if (codec_get_name(&rd, format, &name, &len) != 0 ||
		    codec_get_string(&rd, &kv->value) != 0)
			goto bad;
		kv->name = xstrndup(name, len);
		r->n++;
	}
	if (rd.p != rd.end)
		goto bad;
	return 0;
bad:
	record_free(r);
	return -1;
}
