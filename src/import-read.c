/* import-read.c - rows from the formats administrators really have: CSV
 * and TSV (header row), JSON Lines, YAML (a list of mappings, or one
 * mapping per document) and vCard 2.1/3.0/4.0. Every reader streams. */
#include "tcrm.h"

#include <ctype.h>
#include <errno.h>
#include <iconv.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

struct reader {
	enum import_format fmt;
	struct source *src;
	const struct entity *entity;
	struct csv csv;
	struct strv header;
	bool have_header;
	yaml_parser_t yaml;
	bool yaml_open;
	bool yaml_done;
	char *err;
	struct buf line;
	size_t line_bytes;	/* of the last line, kept or not; for
				 * YAML, what the row has read so far */
	size_t max_bytes;	/* a row may hold (row_limit) */
	char *vcard_n;		/* N of the current card, if it has no FN */
};

/* A row, line or card of more bytes than this is refused, and read on
 * without being kept: its fields' maximum lengths in the widest UTF-8,
 * and at least 1 MiB. One cell of a hostile file must not take all the
 * memory there is. */
#define ROW_BYTES_MIN (1024 * 1024)

static size_t
row_limit(const struct entity *e)
{
	size_t limit = ROW_BYTES_MIN;

	for (size_t i = 0; e != NULL && i < e->nfields; i++) {
		size_t widest = e->fields[i].max * 4 + 65536;

		if (e->fields[i].max > 0 && widest > limit)
			limit = widest;
	}
	return limit;
}

int
import_format_parse(const char *s, enum import_format *f)
{
	static const char *names[] = { "csv", "tsv", "jsonl", "yaml", "vcard" };

	for (size_t i = 0; i < 5; i++) {
		if (strcasecmp(s, names[i]) == 0) {
			*f = (enum import_format)i;
			return 0;
		}
	}
	if (strcasecmp(s, "json") == 0 || strcasecmp(s, "ndjson") == 0)
		*f = FMT_JSONL;
	else if (strcasecmp(s, "yml") == 0)
		*f = FMT_YAML;
	else if (strcasecmp(s, "vcf") == 0)
		*f = FMT_VCARD;
	else
		return -1;
	return 0;
}

const char *
import_format_name(enum import_format f)
{
	static const char *names[] = { "csv", "tsv", "jsonl", "yaml", "vcard" };

	return names[f];
}

bool
import_format_by_name(const char *name, enum import_format *f)
{
	const char *dot = strrchr(name, '.');

	return dot != NULL && strchr(dot, '/') == NULL &&
	    import_format_parse(dot + 1, f) == 0;
}

/* What an export in each format begins with. A CSV header cannot start
 * with "{" or "- " and still name fields, so guessing costs nothing. */
enum import_format
import_format_sniff(const char *p, size_t len)
{
	const char *end = p + len, *eol;

	while (p < end && (*p == ' ' || *p == '\r' || *p == '\n'))
		p++;
	len = (size_t)(end - p);
	if (len == 0)
		return FMT_CSV;
	if (*p == '{')
		return FMT_JSONL;
	if (len >= 11 && strncasecmp(p, "BEGIN:VCARD", 11) == 0)
		return FMT_VCARD;
	if ((len >= 3 && memcmp(p, "---", 3) == 0) || (len >= 2 &&
	    p[0] == '-' && (p[1] == ' ' || p[1] == '\r' || p[1] == '\n')))
		return FMT_YAML;
	if ((eol = memchr(p, '\n', len)) == NULL)
		eol = end;
	if (memchr(p, '\t', (size_t)(eol - p)) != NULL &&
	    memchr(p, ',', (size_t)(eol - p)) == NULL)
		return FMT_TSV;
	return FMT_CSV;
}

void
row_free(struct row *r)
{
	strv_free(&r->cols);
	strv_free(&r->vals);
	free(r->raw);
	free(r->error);
	r->raw = NULL;
	r->error = NULL;
}

static void
row_reset(struct row *r, size_t line)
{
	row_free(r);
	strv_init(&r->cols);
	strv_init(&r->vals);
	r->line = line;
}

static int
reader_fail(struct reader *rd, const char *fmt, ...)
{
	va_list ap;

	free(rd->err);
	va_start(ap, fmt);
	rd->err = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

struct reader *
reader_open(struct source *src, enum import_format fmt, int delim,
    const struct entity *e)
{
	struct reader *rd = xcalloc(1, sizeof *rd);

	rd->fmt = fmt;
	rd->src = src;
	rd->entity = e;
	rd->max_bytes = row_limit(e);
	strv_init(&rd->header);
	buf_init(&rd->line);
	if (fmt == FMT_CSV || fmt == FMT_TSV) {
		csv_init(&rd->csv, src, delim ? delim : fmt == FMT_TSV ? '\t' :
		    ',');
		rd->csv.max_bytes = rd->max_bytes;
	}
	return rd;
}

void
reader_close(struct reader *rd)
{
	if (rd == NULL)
		return;
	if (rd->fmt == FMT_CSV || rd->fmt == FMT_TSV)
		csv_free(&rd->csv);
	if (rd->yaml_open)
		yaml_parser_delete(&rd->yaml);
	strv_free(&rd->header);
	buf_free(&rd->line);
	free(rd->vcard_n);
	free(rd->err);
	free(rd);
}

const char *
reader_error(const struct reader *rd)
{
	return rd->err ? rd->err : "unreadable input";
}

const struct strv *
reader_header(const struct reader *rd)
{
	return rd->have_header ? &rd->header : NULL;
}

static int
next_csv(struct reader *rd, struct row *row)
{
	int rc;

	if (!rd->have_header) {
		if ((rc = csv_read(&rd->csv)) <= 0)
			return rc < 0 ? reader_fail(rd, "%s", rd->csv.err) : 0;
		if (rd->csv.over)
			return reader_fail(rd, _("%s:%zu: the header is %zu "
			    "bytes, more than the %zu a row may hold"),
			    rd->src->name, rd->csv.line, rd->csv.bytes,
			    rd->max_bytes);
		for (size_t i = 0; i < rd->csv.cells.n; i++)
			strv_push(&rd->header, rd->csv.cells.v[i]);
		rd->have_header = true;
	}
	if ((rc = csv_read(&rd->csv)) <= 0)
		return rc < 0 ? reader_fail(rd, "%s", rd->csv.err) : 0;
	row_reset(row, rd->csv.line);
	if (rd->csv.over) {
		size_t i = rd->csv.over_cell;

		row->error = xasprintf(_("the row is %zu bytes, more than the "
		    "%zu a row may hold: column \"%s\" (%zu) and those after "
		    "it are left out"), rd->csv.bytes, rd->max_bytes,
		    i < rd->header.n ? rd->header.v[i] : "", i + 1);
	}
	for (size_t i = 0; i < rd->csv.cells.n; i++) {
		/* A ragged row keeps its extra cells under no name; the
		 * importer reports it. */
		strv_push(&row->cols, i < rd->header.n ? rd->header.v[i] : "");
		strv_push(&row->vals, csv_unneutralise(rd->csv.cells.v[i]));
	}
	return 1;
}

static bool
line_over(const struct reader *rd)
{
	return rd->line_bytes > rd->max_bytes;
}

/* One line of text from the source, without its line end; of a line
 * longer than a row may hold, only the start (line_over). */
static int
read_line(struct reader *rd, size_t *line)
{
	int ch;

	buf_reset(&rd->line);
	buf_add(&rd->line, "", 0);	/* a string even for an empty line */
	rd->line_bytes = 0;
	*line = rd->src->line;
	while ((ch = source_getc(rd->src)) >= 0) {
		if (ch == '\n')
			return 1;
		if (ch == '\r') {
			int n = source_getc(rd->src);

			if (n >= 0 && n != '\n')
				source_ungetc(rd->src, n);
			return 1;
		}
		if (++rd->line_bytes <= rd->max_bytes)
			buf_addc(&rd->line, (char)ch);
	}
	if (ch == -2)
		return reader_fail(rd, "%s", rd->src->err);
	return rd->line_bytes > 0 ? 1 : 0;
}

/* JSON values as text: lists become newline-separated items. */
static int
json_text(json_t *v, struct buf *out)
{
	char num[64];

	switch (json_typeof(v)) {
	case JSON_STRING:
		buf_add(out, json_string_value(v), json_string_length(v));
		return 0;
	case JSON_INTEGER:
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT,
		    json_integer_value(v));
		buf_adds(out, num);
		return 0;
	case JSON_REAL:
		snprintf(num, sizeof num, "%.17g", json_real_value(v));
		buf_adds(out, num);
		return 0;
	case JSON_TRUE:
		buf_adds(out, "true");
		return 0;
	case JSON_FALSE:
		buf_adds(out, "false");
		return 0;
	case JSON_NULL:
		return 0;
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++) {
			json_t *item = json_array_get(v, i);

			if (json_is_array(item) || json_is_object(item))
				return -1;
			if (i > 0)
				buf_addc(out, '\n');
			json_text(item, out);
		}
		return 0;
	default:
		return -1;
	}
}

static int
next_jsonl(struct reader *rd, struct row *row)
{
	json_error_t jerr;
	struct buf text;
	const char *key;
	json_t *doc, *v;
	size_t line;
	int rc;

	do {
		if ((rc = read_line(rd, &line)) <= 0)
			return rc;
	} while (!line_over(rd) &&
	    strspn(rd->line.data, " \t") == rd->line.len);
	row_reset(row, line);
	if (line_over(rd)) {
		row->raw = xstrdup("");
		row->error = xasprintf(_("the line is %zu bytes, more than the "
		    "%zu a row may hold"), rd->line_bytes, rd->max_bytes);
		return 1;
	}
	row->raw = xstrdup(rd->line.data);
	doc = json_loadb(rd->line.data, rd->line.len, 0, &jerr);
	if (doc == NULL || !json_is_object(doc)) {
		/* A broken line is a bad row, not the end of the file. */
		row->error = doc ? xstrdup("not a JSON object") :
		    xasprintf(_("column %d: %s"), jerr.column, jerr.text);
		json_decref(doc);
		return 1;
	}
	buf_init(&text);
	json_object_foreach(doc, key, v) {
		buf_reset(&text);
		if (json_text(v, &text) != 0) {
			if (row->error == NULL)
				row->error = xasprintf(_("\"%s\" holds a "
				    "nested value"), key);
			continue;
		}
		strv_push(&row->cols, key);
		strv_push(&row->vals, text.data ? text.data : "");
	}
	buf_free(&text);
	json_decref(doc);
	return 1;
}

static int
yaml_read_handler(void *data, unsigned char *buffer, size_t size,
    size_t *read)
{
	struct reader *rd = data;
	size_t n = 0;
	int ch;

	while (n < size && (ch = source_getc(rd->src)) >= 0)
		buffer[n++] = (unsigned char)ch;
	*read = n;
	if (rd->src->err != NULL && n == 0) {
		reader_fail(rd, "%s", rd->src->err);
		return 0;
	}
	/* libyaml keeps a whole scalar: a row it cannot be stopped inside
	 * ends the reading (it reads ahead, hence the margin). */
	if ((rd->line_bytes += n) > 2 * rd->max_bytes) {
		reader_fail(rd, _("%s:%zu: a row of more than the %zu bytes a "
		    "row may hold: YAML cannot be read past it"), rd->src->name,
		    rd->src->line, rd->max_bytes);
		return 0;
	}
	return 1;
}

static int
yaml_fail(struct reader *rd, yaml_event_t *ev)
{
	if (rd->err != NULL)
		return -1;
	if (ev == NULL)
		return reader_fail(rd, "%s:%zu:%zu: %s", rd->src->name,
		    rd->yaml.problem_mark.line + 1,
		    rd->yaml.problem_mark.column + 1,
		    rd->yaml.problem ? rd->yaml.problem : _("YAML error"));
	return reader_fail(rd, _("%s:%zu:%zu: expected a mapping of column to "
	    "value"), rd->src->name, ev->start_mark.line + 1,
	    ev->start_mark.column + 1);
}

/* A nested mapping is a bad value, not a broken file: read past it and
 * say so (-2), so the row is rejected and the next one read. */
static int
yaml_skip(struct reader *rd)
{
	yaml_event_t ev;
	int depth = 1;

	while (depth > 0) {
		if (!yaml_parser_parse(&rd->yaml, &ev))
			return yaml_fail(rd, NULL);
		if (ev.type == YAML_MAPPING_START_EVENT ||
		    ev.type == YAML_SEQUENCE_START_EVENT)
			depth++;
		else if (ev.type == YAML_MAPPING_END_EVENT ||
		    ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		yaml_event_delete(&ev);
	}
	return -2;
}

/* A value: a scalar, or a list of scalars (joined by newlines). */
static int
yaml_value(struct reader *rd, yaml_event_t *ev, struct buf *out)
{
	yaml_event_t item;
	bool first = true;

	if (ev->type == YAML_SCALAR_EVENT) {
		buf_add(out, ev->data.scalar.value, ev->data.scalar.length);
		return 0;
	}
	if (ev->type == YAML_MAPPING_START_EVENT)
		return yaml_skip(rd);
	if (ev->type != YAML_SEQUENCE_START_EVENT)
		return yaml_fail(rd, ev);
	for (;;) {
		if (!yaml_parser_parse(&rd->yaml, &item))
			return yaml_fail(rd, NULL);
		if (item.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&item);
			return 0;
		}
		if (item.type != YAML_SCALAR_EVENT) {
			int rc = yaml_fail(rd, &item);

			yaml_event_delete(&item);
			return rc;
		}
		if (!first)
			buf_addc(out, '\n');
		first = false;
		buf_add(out, item.data.scalar.value, item.data.scalar.length);
		yaml_event_delete(&item);
	}
}

static int
yaml_mapping(struct reader *rd, struct row *row)
{
	yaml_event_t key, val;
	struct buf text;
	int rc = 1;

	buf_init(&text);
	for (;;) {
		if (!yaml_parser_parse(&rd->yaml, &key)) {
			rc = yaml_fail(rd, NULL);
			break;
		}
		if (key.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&key);
			break;
		}
		if (key.type != YAML_SCALAR_EVENT) {
			rc = yaml_fail(rd, &key);
			yaml_event_delete(&key);
			break;
		}
		if (!yaml_parser_parse(&rd->yaml, &val)) {
			yaml_event_delete(&key);
			rc = yaml_fail(rd, NULL);
			break;
		}
		buf_reset(&text);
		rc = yaml_value(rd, &val, &text);
		if (rc == -2 && row->error == NULL)
			row->error = xasprintf(_("\"%s\" holds a nested "
			    "mapping"), (char *)key.data.scalar.value);
		strv_push(&row->cols, (char *)key.data.scalar.value);
		strv_push(&row->vals, text.data ? text.data : "");
		yaml_event_delete(&key);
		yaml_event_delete(&val);
		if (rc == -1)
			break;
		rc = 1;
	}
	buf_free(&text);
	return rc;
}

static void
yaml_raw(struct row *row)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < row->cols.n; i++) {
		json_t *jk = json_string(row->cols.v[i]);
		json_t *jv = json_string(row->vals.v[i]);
		char *k = json_dumps(jk, JSON_ENCODE_ANY);
		char *v = json_dumps(jv, JSON_ENCODE_ANY);

		/* JSON strings are valid YAML scalars. */
		buf_printf(&b, "%s%s: %s\n", i ? "  " : "- ", k, v);
		free(k);
		free(v);
		json_decref(jk);
		json_decref(jv);
	}
	row->raw = buf_detach(&b);
}

static int
next_yaml(struct reader *rd, struct row *row)
{
	yaml_event_t ev;
	int rc;

	if (!rd->yaml_open) {
		yaml_parser_initialize(&rd->yaml);
		yaml_parser_set_input(&rd->yaml, yaml_read_handler, rd);
		rd->yaml_open = true;
	}
	rd->line_bytes = 0;	/* what the handler read for this row */
	for (;;) {
		if (rd->yaml_done)
			return 0;
		if (!yaml_parser_parse(&rd->yaml, &ev))
			return yaml_fail(rd, NULL);
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			rd->yaml_done = true;
			yaml_event_delete(&ev);
			return 0;
		case YAML_MAPPING_START_EVENT:
			row_reset(row, ev.start_mark.line + 1);
			yaml_event_delete(&ev);
			if ((rc = yaml_mapping(rd, row)) == 1)
				yaml_raw(row);
			return rc;
		case YAML_SCALAR_EVENT:
		case YAML_ALIAS_EVENT:
			rc = yaml_fail(rd, &ev);
			yaml_event_delete(&ev);
			return rc;
		default:
			yaml_event_delete(&ev);
			break;
		}
	}
}

/* vCard: property names mapped to the form's fields by type. */
static const struct field *
vcard_field(const struct entity *e, const char *prop, int nth)
{
	static const struct {
		const char *prop;
		const char *fields[4];
		enum field_type type;
	} map[] = {
		{ "FN", { NULL }, FT_TEXT },
		{ "TEL", { NULL }, FT_PHONES },
		{ "EMAIL", { "email", "secondary_email", NULL }, FT_EMAIL },
		{ "ORG", { "company", NULL }, FT_TEXT },
		{ "TITLE", { "title", "job_title", NULL }, FT_TEXT },
		{ "ADR", { "address", NULL }, FT_TEXT },
		{ "NOTE", { "notes", "note", NULL }, FT_TEXT },
		{ "URL", { "website", "url", NULL }, FT_TEXT },
		{ "BDAY", { "birthday", NULL }, FT_TEXT },
		{ "UID", { "external_id", NULL }, FT_TEXT },
	};
	const struct field *f;
	int seen = 0;

	for (size_t i = 0; i < sizeof map / sizeof *map; i++) {
		if (strcasecmp(prop, map[i].prop) != 0)
			continue;
		if (strcmp(map[i].prop, "FN") == 0)
			return e->title ? entity_field(e, e->title) : NULL;
		if (map[i].type == FT_PHONES) {
			for (size_t j = 0; j < e->nfields; j++) {
				if (e->fields[j].type == FT_PHONES ||
				    e->fields[j].type == FT_PHONE)
					return &e->fields[j];
			}
			return NULL;
		}
		for (size_t j = 0; map[i].fields[j] != NULL; j++) {
			if ((f = entity_field(e, map[i].fields[j])) != NULL &&
			    seen++ == nth)
				return f;
		}
	}
	return NULL;
}

/* 欧阳 + 娜娜 is 欧阳娜娜; Jiu + Wu is "Jiu Wu". */
static bool
joins_cjk(const char *a, const char *b)
{
	int32_t x = -1, y = -1;

	utf8_decode(a, strlen(a), &x);
	utf8_decode(b, strlen(b), &y);
	return x > 0 && y > 0 && utf8_cpwidth(x) == 2 && utf8_cpwidth(y) == 2;
}

static void
vcard_unescape(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' && s[1] != '\0') {
			s++;
			buf_addc(out, *s == 'n' || *s == 'N' ? '\n' : *s);
		} else
			buf_addc(out, *s);
	}
}

static void
row_add(struct row *row, const char *col, const char *val)
{
	for (size_t i = 0; i < row->cols.n; i++) {
		if (strcmp(row->cols.v[i], col) == 0) {
			char *joined = xasprintf("%s\n%s", row->vals.v[i], val);

			free(row->vals.v[i]);
			row->vals.v[i] = joined;
			return;
		}
	}
	strv_push(&row->cols, col);
	strv_push(&row->vals, val);
}

static int
count_col(const struct row *row, const char *col)
{
	int n = 0;

	for (size_t i = 0; i < row->cols.n; i++)
		n += strcmp(row->cols.v[i], col) == 0;
	return n;
}

/* vCard 2.1, as phones still export it: a parameter QUOTED-PRINTABLE
 * (or ENCODING=QUOTED-PRINTABLE) and CHARSET=. */
static bool
vcard_is_qp(const char *params)
{
	return params != NULL && strcasestr(params, "QUOTED-PRINTABLE") != NULL;
}

static char *
vcard_charset(const char *params)
{
	const char *c = params ? strcasestr(params, "CHARSET=") : NULL;

	if (c == NULL)
		return NULL;
	c += strlen("CHARSET=");
	return xstrndup(c, strcspn(c, ";:"));
}

static int
hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = tolower(c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static void
qp_decode(const char *s, struct buf *out)
{
	for (; *s != '\0'; s++) {
		int hi, lo;

		if (*s == '=' && (hi = hex_digit((unsigned char)s[1])) >= 0 &&
		    (lo = hex_digit((unsigned char)s[2])) >= 0) {
			buf_addc(out, (char)(hi << 4 | lo));
			s += 2;
		} else if (*s == '=' && s[1] == '\0')
			break;			/* a soft break left at the end */
		else
			buf_addc(out, *s);
	}
}

/* Bytes in CHARSET (UTF-8 when NULL) to UTF-8; NULL if they are not. */
static char *
to_utf8(const char *bytes, size_t len, const char *charset)
{
	struct buf out;
	iconv_t cd = (iconv_t)-1;
	char *in = (char *)bytes;
	size_t left = len;

	buf_init(&out);
	if (charset == NULL || strcasecmp(charset, "UTF-8") == 0 ||
	    strcasecmp(charset, "UTF8") == 0) {
		buf_add(&out, bytes, len);
		left = 0;
	} else if ((cd = iconv_open("UTF-8", charset)) == (iconv_t)-1)
		return NULL;
	while (left > 0) {
		char tmp[256], *o = tmp;
		size_t room = sizeof tmp;

		if (iconv(cd, &in, &left, &o, &room) == (size_t)-1 &&
		    errno != E2BIG) {
			iconv_close(cd);
			buf_free(&out);
			return NULL;
		}
		buf_add(&out, tmp, sizeof tmp - room);
	}
	if (cd != (iconv_t)-1)
		iconv_close(cd);
	if (!utf8_valid(out.data ? out.data : "", out.len, NULL) ||
	    (out.len > 0 && memchr(out.data, 0, out.len) != NULL)) {
		buf_free(&out);
		return NULL;
	}
	return out.data ? buf_detach(&out) : xstrdup("");
}

/* A 2.1 value as UTF-8 text, or NULL with the row's error set. */
static char *
vcard21_value(struct row *row, const char *name, const char *params,
    const char *value)
{
	char *charset = vcard_charset(params), *text;
	struct buf raw;

	buf_init(&raw);
	if (vcard_is_qp(params))
		qp_decode(value, &raw);
	else
		buf_adds(&raw, value);
	text = to_utf8(raw.data ? raw.data : "", raw.len, charset);
	if (text == NULL && row->error == NULL)
		row->error = xasprintf(_("%s: the value is not %s text"), name,
		    charset ? charset : "UTF-8");
	free(charset);
	buf_free(&raw);
	return text;
}

/* One content line: NAME;PARAMS:VALUE. ADR and N are ;-structured. */
static void
vcard_property(struct reader *rd, struct row *row, char *line, int *emails)
{
	char *colon = strchr(line, ':'), *semi, *p, *decoded = NULL;
	const char *params = NULL, *value;
	const struct field *f;
	struct buf val;

	if (colon == NULL)
		return;
	*colon = '\0';
	if ((semi = strchr(line, ';')) != NULL) {
		*semi = '\0';
		params = semi + 1;
	}
	value = colon + 1;
	if (params != NULL && (vcard_is_qp(params) ||
	    strcasestr(params, "CHARSET=") != NULL)) {
		if ((decoded = vcard21_value(row, line, params, value)) == NULL)
			return;
		value = decoded;
	}
	if ((p = strchr(line, '.')) != NULL)	/* item1.TEL */
		line = p + 1;
	buf_init(&val);
	if (strcasecmp(line, "ADR") == 0) {
		/* PO box;extended;street;locality;region;code;country */
		struct strv parts;

		strv_init(&parts);
		strv_split(&parts, value, ";");
		for (size_t i = 0; i < parts.n; i++) {
			if (val.len > 0)
				buf_adds(&val, ", ");
			vcard_unescape(parts.v[i], &val);
		}
		strv_free(&parts);
	} else if (strcasecmp(line, "N") == 0) {
		/* Family;Given;...: the name when there is no FN. */
		struct strv parts;
		struct buf family, given;

		strv_init(&parts);
		strv_split(&parts, value, ";");
		buf_init(&family);
		buf_init(&given);
		if (parts.n > 0)
			vcard_unescape(parts.v[0], &family);
		if (parts.n > 1)
			vcard_unescape(parts.v[1], &given);
		free(rd->vcard_n);
		if (family.len > 0 && given.len > 0 &&
		    joins_cjk(family.data, given.data))
			rd->vcard_n = xasprintf("%s%s", family.data, given.data);
		else if (family.len > 0 && given.len > 0)
			rd->vcard_n = xasprintf("%s %s", given.data, family.data);
		else
			rd->vcard_n = xstrdup(family.len ? family.data :
			    given.len ? given.data : "");
		buf_free(&family);
		buf_free(&given);
		strv_free(&parts);
		buf_free(&val);
		free(decoded);
		return;
	} else {
		const char *v = value;

		char *own = NULL;

		if (strncasecmp(v, "tel:", 4) == 0)	/* vCard 4 TEL uri */
			v += 4;
		if (strcasecmp(line, "ORG") == 0) {
			/* Organisation;unit: one name, the parts spaced. */
			own = xstrdup(v);
			for (char *q = own; *q != '\0'; q++) {
				if (*q == '\\' && q[1] != '\0')
					q++;
				else if (*q == ';')
					*q = ' ';
			}
			v = own;
		}
		vcard_unescape(v, &val);
		free(own);
	}
	if (strncasecmp(line, "X-TCRM-", 7) == 0) {
		char *name = xstrdup(line + 7);

		for (p = name; *p != '\0'; p++)
			*p = (char)(*p == '-' ? '_' : tolower((unsigned char)*p));
		if (count_col(row, name) == 0)
			row_add(row, name, val.data ? val.data : "");
		free(name);
	} else if ((f = vcard_field(rd->entity, line,
	    strcasecmp(line, "EMAIL") == 0 ? (*emails)++ : 0)) != NULL) {
		if (f->type == FT_PHONES || count_col(row, f->name) == 0)
			row_add(row, f->name, val.data ? val.data : "");
	}
	buf_free(&val);
	free(decoded);
}

/* A quoted-printable value ending in '=' goes on at the next line. */
static bool
qp_continues(const struct buf *logical)
{
	const char *colon;
	char *head;
	bool qp;

	if (logical->len == 0 || logical->data[logical->len - 1] != '=' ||
	    (colon = memchr(logical->data, ':', logical->len)) == NULL)
		return false;
	head = xstrndup(logical->data, (size_t)(colon - logical->data));
	qp = vcard_is_qp(head);
	free(head);
	return qp;
}

static int
next_vcard(struct reader *rd, struct row *row)
{
	struct buf raw, logical;
	bool inside = false;
	size_t line;
	int rc, emails = 0;

	buf_init(&raw);
	buf_init(&logical);
	for (;;) {
		if ((rc = read_line(rd, &line)) < 0)
			break;
		if (rc == 0) {
			rc = inside ? reader_fail(rd, _("%s:%zu: the vCard "
			    "starting on line %zu has no END:VCARD"),
			    rd->src->name, rd->src->line, row->line) : 0;
			break;
		}
		if (!inside) {
			if (strncasecmp(rd->line.data, "BEGIN:VCARD", 11) == 0) {
				inside = true;
				row_reset(row, line);
				buf_adds(&raw, rd->line.data);
				buf_addc(&raw, '\n');
			}
			continue;
		}
		if (line_over(rd) || raw.len + rd->line.len >= rd->max_bytes) {
			/* Read on to its end, keeping nothing more. */
			if (row->error == NULL)
				row->error = xasprintf(_("the vCard is more "
				    "than the %zu bytes a row may hold"),
				    rd->max_bytes);
			if (strncasecmp(rd->line.data, "END:VCARD", 9) != 0)
				continue;
		}
		buf_adds(&raw, rd->line.data);
		buf_addc(&raw, '\n');
		/* Folded lines continue with a space or tab; a 2.1
		 * quoted-printable value after a soft break. */
		if (rd->line.data[0] == ' ' || rd->line.data[0] == '\t') {
			buf_adds(&logical, rd->line.data + 1);
			continue;
		}
		if (qp_continues(&logical)) {
			logical.data[--logical.len] = '\0';
			buf_adds(&logical, rd->line.data);
			continue;
		}
		if (logical.len > 0)
			vcard_property(rd, row, logical.data, &emails);
		buf_reset(&logical);
		if (strncasecmp(rd->line.data, "END:VCARD", 9) == 0) {
			const char *title = rd->entity->title;

			if (title != NULL && rd->vcard_n != NULL &&
			    *rd->vcard_n != '\0' && count_col(row, title) == 0)
				row_add(row, title, rd->vcard_n);
			free(rd->vcard_n);
			rd->vcard_n = NULL;
			row->raw = buf_detach(&raw);
			rc = 1;
			break;
		}
		buf_adds(&logical, rd->line.data);
	}
	buf_free(&raw);
	buf_free(&logical);
	return rc;
}

int
reader_next(struct reader *rd, struct row *row)
{
	switch (rd->fmt) {
	case FMT_CSV:
	case FMT_TSV:
		return next_csv(rd, row);
	case FMT_JSONL:
		return next_jsonl(rd, row);
	case FMT_YAML:
		return next_yaml(rd, row);
	case FMT_VCARD:
		return next_vcard(rd, row);
	}
	return -1;
}
