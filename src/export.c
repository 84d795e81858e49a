/* export.c - tcrm export: every record of a form, streamed in short
 * transactions, as CSV, TSV, JSON Lines, YAML or vCard that import reads
 * back to the same records. */
#include "tcrm.h"

#include <getopt.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#define EXPORT_CHUNK 1000

struct column {
	const struct field *field;	/* NULL: the record id */
	char *header;
};

struct exporter {
	struct cmd_ctx *ctx;
	const struct entity *e;
	enum import_format fmt;
	struct column *cols;
	size_t ncols;
	struct strv where_fields;	/* field = normalised value ... */
	struct strv where_values;	/* ... "" matches an empty field */
	bool neutralise;
	size_t written;
	FILE *out;
};

static char *
cell_value(const struct column *c, const struct record *r)
{
	const char *v;

	if (c->field == NULL)
		return xasprintf("%u", r->id);
	v = record_get(r, c->field->name);
	/* A list stays a list: one item a line. */
	if (c->field->type == FT_PHONES)
		return xstrdup(v);
	return *v ? field_display(c->field, v) : xstrdup("");
}

static bool
phone_lists_meet(const char *stored, const char *wanted)
{
	struct strv a, b;
	bool meet = false;

	strv_init(&a);
	strv_init(&b);
	strv_split(&a, stored, "\n");
	strv_split(&b, wanted, "\n");
	for (size_t i = 0; i < a.n && !meet; i++) {
		char *ka = phone_query_key(a.v[i], NULL);

		for (size_t j = 0; j < b.n && !meet && ka != NULL; j++) {
			char *kb = phone_query_key(b.v[j], NULL);

			meet = kb != NULL && strcmp(ka, kb) == 0;
			free(kb);
		}
		free(ka);
	}
	strv_free(&a);
	strv_free(&b);
	return meet;
}

static bool
same_folded(const char *a, const char *b)
{
	char *fa = utf8_fold(a), *fb = utf8_fold(b);
	bool same = fa && fb ? strcmp(fa, fb) == 0 : strcmp(a, b) == 0;

	free(fa);
	free(fb);
	return same;
}

static bool
where_matches(const struct exporter *ex, size_t i, const struct record *r)
{
	const struct field *f = entity_field(ex->e, ex->where_fields.v[i]);
	const char *have = record_get(r, f->name);
	const char *want = ex->where_values.v[i];

	if (*want == '\0' || *have == '\0')
		return *want == *have;
	if (f->type == FT_PHONES || f->type == FT_PHONE)
		return phone_lists_meet(have, want);
	return same_folded(have, want);
}

/* Conditions on different fields must all hold; those on one field are
 * its choices, and one of them must (status=lead, status=vip). */
static bool
matches(const struct exporter *ex, const struct record *r)
{
	const struct strv *fields = &ex->where_fields;

	for (size_t i = 0; i < fields->n; i++) {
		bool seen = false, any = false;

		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(fields->v[j], fields->v[i]) == 0;
		if (seen)
			continue;
		for (size_t j = i; j < fields->n && !any; j++)
			any = strcmp(fields->v[j], fields->v[i]) == 0 &&
			    where_matches(ex, j, r);
		if (!any)
			return false;
	}
	return true;
}

static char *
join_items(const char *v)
{
	struct strv items;
	char *out;

	strv_init(&items);
	strv_split(&items, v, ";");
	out = strv_join(&items, "; ");
	strv_free(&items);
	return out;
}

static void
write_delimited(struct exporter *ex, const struct record *r, int delim)
{
	for (size_t i = 0; i < ex->ncols; i++) {
		char *v = cell_value(&ex->cols[i], r);

		/* Lists stay on one line: import splits them on ";". */
		if (ex->cols[i].field != NULL &&
		    ex->cols[i].field->type == FT_PHONES)
			for (char *p = v; *p != '\0'; p++)
				if (*p == '\n')
					*p = ';';
		if (ex->cols[i].field != NULL &&
		    ex->cols[i].field->type == FT_PHONES && strchr(v, ';')) {
			char *spaced = join_items(v);

			free(v);
			v = spaced;
		}
		if (i > 0)
			fputc(delim, ex->out);
		csv_write_cell(ex->out, v, delim, ex->neutralise);
		free(v);
	}
	fputc('\n', ex->out);
}

static json_t *
json_cell(const struct column *c, const char *v)
{
	json_t *list;
	struct strv items;

	if (c->field == NULL)
		return json_integer(strtoll(v, NULL, 10));
	if (c->field->type != FT_PHONES)
		return json_string(v);
	list = json_array();
	strv_init(&items);
	strv_split(&items, v, "\n");
	for (size_t i = 0; i < items.n; i++)
		json_array_append_new(list, json_string(items.v[i]));
	strv_free(&items);
	return list;
}

static void
write_json_like(struct exporter *ex, const struct record *r)
{
	bool first = true;

	if (ex->fmt == FMT_JSONL) {
		json_t *obj = json_object();
		char *text;

		for (size_t i = 0; i < ex->ncols; i++) {
			char *v = cell_value(&ex->cols[i], r);

			if (*v != '\0')
				json_object_set_new(obj, ex->cols[i].header,
				    json_cell(&ex->cols[i], v));
			free(v);
		}
		text = json_dumps(obj, JSON_COMPACT | JSON_PRESERVE_ORDER);
		fprintf(ex->out, "%s\n", text);
		free(text);
		json_decref(obj);
		return;
	}
	/* YAML: JSON strings and flow lists are valid YAML scalars. */
	for (size_t i = 0; i < ex->ncols; i++) {
		char *v = cell_value(&ex->cols[i], r), *k, *text;
		json_t *jk, *jv;

		if (*v == '\0') {
			free(v);
			continue;
		}
		jk = json_string(ex->cols[i].header);
		jv = json_cell(&ex->cols[i], v);
		k = json_dumps(jk, JSON_ENCODE_ANY);
		text = json_dumps(jv, JSON_ENCODE_ANY);
		fprintf(ex->out, "%s%s: %s\n", first ? "- " : "  ", k, text);
		first = false;
		free(k);
		free(text);
		json_decref(jk);
		json_decref(jv);
		free(v);
	}
	if (first)
		fprintf(ex->out, "- {}\n");
}

/* Content lines folded at 75 octets, never inside a character. */
static void
vcard_line(FILE *out, const char *name, const char *value)
{
	struct buf b;
	size_t col = 0;

	buf_init(&b);
	buf_printf(&b, "%s:", name);
	for (const char *p = value; *p != '\0'; p++) {
		if (*p == '\\' || *p == ',' || *p == ';')
			buf_addc(&b, '\\');
		if (*p == '\n')
			buf_adds(&b, "\\n");
		else
			buf_addc(&b, *p);
	}
	for (size_t i = 0; i < b.len; i++) {
		if (col >= 74 && ((unsigned char)b.data[i] & 0xc0) != 0x80) {
			fputs("\r\n ", out);
			col = 1;
		}
		fputc(b.data[i], out);
		col++;
	}
	fputs("\r\n", out);
	buf_free(&b);
}

/* Fields an address book shows, as the import reads them back. */
static const char *
vcard_property_of(const struct field *f)
{
	static const char *map[][2] = { { "company", "ORG" },
	    { "title", "TITLE" }, { "job_title", "TITLE" },
	    { "notes", "NOTE" }, { "note", "NOTE" }, { "website", "URL" },
	    { "birthday", "BDAY" } };

	for (size_t i = 0; i < sizeof map / sizeof *map; i++)
		if (strcmp(f->name, map[i][0]) == 0)
			return map[i][1];
	return NULL;
}

static void
write_vcard(struct exporter *ex, const struct record *r)
{
	const struct field *email = NULL;
	bool fn = false;

	for (size_t i = 0; i < ex->e->nfields && email == NULL; i++)
		if (ex->e->fields[i].type == FT_EMAIL)
			email = &ex->e->fields[i];
	fputs("BEGIN:VCARD\r\nVERSION:4.0\r\n", ex->out);
	for (size_t i = 0; i < ex->ncols; i++) {
		const struct column *c = &ex->cols[i];
		char *v = cell_value(c, r), *name, *p;
		const char *prop;
		struct strv items;

		if (*v == '\0') {
			free(v);
			continue;
		}
		if (c->field == NULL)
			vcard_line(ex->out, "X-TCRM-ID", v);
		else if (ex->e->title && strcmp(c->field->name, ex->e->title) == 0) {
			vcard_line(ex->out, "FN", v);
			fn = true;
		} else if (c->field->type == FT_PHONES ||
		    c->field->type == FT_PHONE) {
			strv_init(&items);
			strv_split(&items, record_get(r, c->field->name), "\n");
			for (size_t j = 0; j < items.n; j++)
				vcard_line(ex->out, "TEL", items.v[j]);
			strv_free(&items);
		} else if (c->field == email)
			vcard_line(ex->out, "EMAIL", v);
		else if ((prop = vcard_property_of(c->field)) != NULL)
			vcard_line(ex->out, prop, v);
		else {
			name = xasprintf("X-TCRM-%s", c->field->name);
			for (p = name; *p != '\0'; p++)
				*p = *p == '_' ? '-' : (char)(*p >= 'a' &&
				    *p <= 'z' ? *p - 32 : *p);
			vcard_line(ex->out, name, v);
			free(name);
		}
		free(v);
	}
	if (!fn)
		fputs("FN:\r\n", ex->out);
	fputs("END:VCARD\r\n", ex->out);
}

static int
export_one(const struct record *r, void *arg)
{
	struct exporter *ex = arg;

	if (!matches(ex, r))
		return 0;
	switch (ex->fmt) {
	case FMT_CSV:
		write_delimited(ex, r, ',');
		break;
	case FMT_TSV:
		write_delimited(ex, r, '\t');
		break;
	case FMT_JSONL:
	case FMT_YAML:
		write_json_like(ex, r);
		break;
	case FMT_VCARD:
		write_vcard(ex, r);
		break;
	}
	ex->written++;
	return 0;
}

struct chunk {
	struct exporter *ex;
	uint32_t from;
	uint32_t next;
};

static int
chunk_txn(struct store *s, struct txn *t, void *arg)
{
	struct chunk *c = arg;

	return store_scan(s, t, c->ex->e, c->from, EXPORT_CHUNK, export_one,
	    c->ex, &c->next);
}

static int
add_column(struct exporter *ex, const char *name, const char *labels,
    bool asked)
{
	const struct field *f = NULL;
	struct column *c;

	if (strcmp(name, "id") != 0) {
		if ((f = entity_field(ex->e, name)) == NULL) {
			cmd_error(ex->ctx, _("%s has no field '%s'"), ex->e->name,
			    name);
			return EX_USAGE;
		}
		if ((f->read_roles & ex->ctx->role) == 0 && !asked)
			return 0;	/* not this role's to see */
		if ((f->read_roles & ex->ctx->role) == 0) {
			cmd_error(ex->ctx, _("your role may not read %s.%s"),
			    ex->e->name, name);
			return EX_NOPERM;
		}
	}
	ex->cols = xreallocarray(ex->cols, ex->ncols + 1, sizeof *ex->cols);
	c = &ex->cols[ex->ncols++];
	c->field = f;
	if (f == NULL)
		c->header = xstrdup("id");
	else if (labels != NULL)
		c->header = xstrdup(label_get(&f->label, labels));
	else
		c->header = xstrdup(f->name);
	return 0;
}

static int
parse_where(struct exporter *ex, const char *arg)
{
	const char *eq = strchr(arg, '=');
	const struct field *f;
	char *name, *out = NULL, *why = NULL;

	if (eq == NULL) {
		cmd_error(ex->ctx, _("--where wants FIELD=VALUE, not '%s'"), arg);
		return EX_USAGE;
	}
	name = xstrndup(arg, (size_t)(eq - arg));
	f = entity_field(ex->e, name);
	free(name);
	if (f == NULL || (f->read_roles & ex->ctx->role) == 0) {
		cmd_error(ex->ctx, _("--where %s: no such field"), arg);
		return EX_USAGE;
	}
	if (field_normalise(f, eq + 1, &out, &why) != 0) {
		cmd_error(ex->ctx, "--where %s: %s", arg, why);
		free(why);
		return EX_USAGE;
	}
	strv_push(&ex->where_fields, f->name);
	strv_push(&ex->where_values, out);
	free(out);
	return 0;
}

static void
write_header(struct exporter *ex, bool bom)
{
	int delim = ex->fmt == FMT_TSV ? '\t' : ',';

	if (bom)
		fputs("\xef\xbb\xbf", ex->out);
	if (ex->fmt != FMT_CSV && ex->fmt != FMT_TSV)
		return;
	for (size_t i = 0; i < ex->ncols; i++) {
		if (i > 0)
			fputc(delim, ex->out);
		csv_write_cell(ex->out, ex->cols[i].header, delim, false);
	}
	fputc('\n', ex->out);
}

int
cmd_export_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' },
		{ "where", required_argument, NULL, 'w' },
		{ "fields", required_argument, NULL, 'F' },
		{ "format", required_argument, NULL, 'o' },
		{ "labels", required_argument, NULL, 'l' },
		{ "bom", no_argument, NULL, 'b' },
		{ "raw-cells", no_argument, NULL, 'r' },
		{ NULL, 0, NULL, 0 }
	};
	struct exporter ex;
	struct strv wheres, fields;
	const char *form = NULL, *labels = NULL;
	struct chunk ch;
	bool bom = false;
	int c, rc = 0;

	memset(&ex, 0, sizeof ex);
	ex.ctx = ctx;
	ex.out = stdout;
	ex.neutralise = true;
	strv_init(&ex.where_fields);
	strv_init(&ex.where_values);
	strv_init(&wheres);
	strv_init(&fields);
	optind = 0;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			form = optarg;
			break;
		case 'w':
			strv_push(&wheres, optarg);
			break;
		case 'F':
			strv_split(&fields, optarg, ", ");
			break;
		case 'o':
			if (import_format_parse(optarg, &ex.fmt) != 0) {
				cmd_error(ctx, _("unknown format '%s' (csv, tsv, "
				    "jsonl, yaml or vcard)"), optarg);
				rc = EX_USAGE;
			}
			break;
		case 'l':
			if (strcmp(optarg, "en") != 0 && strcmp(optarg, "zh")) {
				cmd_error(ctx, _("--labels is en or zh"));
				rc = EX_USAGE;
			}
			labels = optarg;
			break;
		case 'b':
			bom = true;
			break;
		case 'r':
			ex.neutralise = false;
			break;
		default:
			rc = EX_USAGE;
		}
		if (rc != 0)
			goto out;
	}
	if (optind < argc || form == NULL) {
		cmd_error(ctx, "usage: tcrm export --form ENTITY [--where F=V] "
		    "[--fields A,B] [--format F] [--labels en|zh] [--bom]");
		rc = EX_USAGE;
		goto out;
	}
	if ((ex.e = cmd_entity(ctx, form)) == NULL) {
		rc = EX_USAGE;
		goto out;
	}
	for (size_t i = 0; i < wheres.n && rc == 0; i++)
		rc = parse_where(&ex, wheres.v[i]);
	if (fields.n == 0) {
		rc = rc ? rc : add_column(&ex, "id", labels, false);
		for (size_t i = 0; i < ex.e->nfields && rc == 0; i++)
			rc = add_column(&ex, ex.e->fields[i].name, labels,
			    false);
	}
	for (size_t i = 0; i < fields.n && rc == 0; i++)
		rc = add_column(&ex, fields.v[i], labels, true);
	if (rc != 0)
		goto out;
	write_header(&ex, bom);
	ch.ex = &ex;
	ch.from = 1;
	do {
		if ((rc = store_run(ctx->store, chunk_txn, &ch)) != ST_OK) {
			rc = cmd_store_error(ctx, rc);
			goto out;
		}
		ch.from = ch.next;
	} while (ch.next != 0);
	if (fflush(stdout) != 0 || ferror(stdout)) {
		cmd_error(ctx, _("writing the export failed after %zu records"),
		    ex.written);
		rc = EX_IOERR;
	} else
		fprintf(stderr, "%zu %s records exported\n", ex.written,
		    ex.e->name);
out:
	for (size_t i = 0; i < ex.ncols; i++)
		free(ex.cols[i].header);
	free(ex.cols);
	strv_free(&ex.where_fields);
	strv_free(&ex.where_values);
	strv_free(&wheres);
	strv_free(&fields);
	return rc;
}
