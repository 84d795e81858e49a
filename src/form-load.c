/* form-load.c - reading forms/NAME.yaml with libyaml into entities. */
#include "tcrm.h"

#include <sys/stat.h>

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yaml.h>

struct diag {
	int line;
	int column;
	size_t seq;
	char *text;
};

struct loader {
	struct strv *diags;
	size_t errors;
	const struct strv *names;	/* every entity, from the file names */
	const char *path;		/* the file being read */
	yaml_document_t *doc;
	struct diag *pending;		/* this file's problems, sorted later */
	size_t npending;
};

static const char *const role_names[] = { "agent", "supervisor", "admin" };
static const unsigned role_bits[] = { ROLE_AGENT, ROLE_SUPERVISOR, ROLE_ADMIN };
#define NROLES (sizeof role_names / sizeof role_names[0])

/* Names a record carries besides its fields (export columns). */
static const char *const reserved_names[] = {
	"id", "version", "created", "updated", "created_by", "updated_by"
};

enum {
	EK_ENTITY, EK_LABEL, EK_TITLE, EK_SUBTITLE, EK_SEARCH, EK_LIST,
	EK_PERMISSIONS, EK_FIELDS, EK_LAYOUT, EK_COUNT
};
static const char *const entity_keys[EK_COUNT] = {
	"entity", "label", "title", "subtitle", "search", "list",
	"permissions", "fields", "layout"
};

enum {
	FK_NAME, FK_TYPE, FK_LABEL, FK_REQUIRED, FK_UNIQUE, FK_INDEX, FK_MAX,
	FK_VALUES, FK_DEFAULT, FK_ALIASES, FK_REF, FK_ON_DELETE, FK_CURRENCY,
	FK_PERMISSIONS, FK_COUNT
};
static const char *const field_keys[FK_COUNT] = {
	"name", "type", "label", "required", "unique", "index", "max",
	"values", "default", "aliases", "ref", "on_delete", "currency",
	"permissions"
};

enum { VK_VALUE, VK_EN, VK_ZH, VK_KEY, VK_REQUIRES, VK_NEXT, VK_COUNT };
static const char *const value_keys[VK_COUNT] = {
	"value", "en", "zh", "key", "requires", "next"
};

enum { LK_EN, LK_ZH, LK_COUNT };
static const char *const label_keys[LK_COUNT] = { "en", "zh" };

enum { PK_READ, PK_WRITE, PK_DELETE, PK_COUNT };
static const char *const permission_keys[PK_COUNT] = {
	"read", "write", "delete"
};

static void
load_verror(struct loader *l, int line, int column, const char *fmt,
    va_list ap)
{
	struct diag *d;

	l->pending = xreallocarray(l->pending, l->npending + 1,
	    sizeof *l->pending);
	d = &l->pending[l->npending];
	d->line = line;
	d->column = column;
	d->seq = l->npending++;
	d->text = xvasprintf(fmt, ap);
	l->errors++;
}

static void TCRM_ATTR_PRINTF(4, 5)
load_error_at(struct loader *l, int line, int column, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	load_verror(l, line, column, fmt, ap);
	va_end(ap);
}

static void TCRM_ATTR_PRINTF(3, 4)
load_error(struct loader *l, const yaml_node_t *node, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	load_verror(l, (int)node->start_mark.line + 1,
	    (int)node->start_mark.column + 1, fmt, ap);
	va_end(ap);
}

static int
diag_cmp(const void *a, const void *b)
{
	const struct diag *x = a, *y = b;

	if (x->line != y->line)
		return x->line < y->line ? -1 : 1;
	if (x->column != y->column)
		return x->column < y->column ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* A file's problems go out in the order they appear in it. */
static void
flush_errors(struct loader *l)
{
	if (l->npending == 0)
		return;
	qsort(l->pending, l->npending, sizeof *l->pending, diag_cmp);
	for (size_t i = 0; i < l->npending; i++) {
		struct diag *d = &l->pending[i];

		if (d->line > 0) {
			strv_pushf(l->diags, "%s:%d:%d: %s", l->path, d->line,
			    d->column, d->text);
		} else
			strv_pushf(l->diags, "%s: %s", l->path, d->text);
		free(d->text);
	}
	free(l->pending);
	l->pending = NULL;
	l->npending = 0;
}

static size_t
edit_distance(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	size_t *row = xcalloc(lb + 1, sizeof *row);
	size_t d;

	for (size_t j = 0; j <= lb; j++)
		row[j] = j;
	for (size_t i = 1; i <= la; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= lb; j++) {
			size_t up = row[j];
			size_t best = diag + (a[i - 1] != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			diag = up;
		}
	}
	d = row[lb];
	free(row);
	return d;
}

/* " (did you mean 'x'?)" for a near miss among names, else "". */
static char *
did_you_mean(const char *word, const char *const *names, size_t n)
{
	const char *best = NULL;
	size_t best_d = 3;

	if (strlen(word) < 3 || strlen(word) > 64)
		return xstrdup("");
	for (size_t i = 0; i < n; i++) {
		size_t d;

		if (names[i] == NULL || *names[i] == '\0')
			continue;
		d = edit_distance(word, names[i]);
		if (d < best_d) {
			best_d = d;
			best = names[i];
		}
	}
	if (best == NULL)
		return xstrdup("");
	return xasprintf(" (did you mean '%s'?)", best);
}

static yaml_node_t *
node_at(struct loader *l, int index)
{
	return yaml_document_get_node(l->doc, index);
}

static const char *
node_kind(const yaml_node_t *node)
{
	switch (node->type) {
	case YAML_MAPPING_NODE:
		return "a mapping";
	case YAML_SEQUENCE_NODE:
		return "a list";
	default:
		return "a value";
	}
}

static const char *
get_scalar(struct loader *l, const yaml_node_t *node, const char *key)
{
	if (node->type != YAML_SCALAR_NODE) {
		load_error(l, node, "'%s' must be a single value, not %s", key,
		    node_kind(node));
		return NULL;
	}
	return (const char *)node->data.scalar.value;
}

static bool
is_list(struct loader *l, const yaml_node_t *node, const char *key)
{
	if (node->type == YAML_SEQUENCE_NODE)
		return true;
	load_error(l, node, "'%s' must be a list, not %s", key,
	    node_kind(node));
	return false;
}

static bool
is_mapping(struct loader *l, const yaml_node_t *node, const char *key)
{
	if (node->type == YAML_MAPPING_NODE)
		return true;
	load_error(l, node, "'%s' must be a mapping, not %s", key,
	    node_kind(node));
	return false;
}

static size_t
list_length(const yaml_node_t *node)
{
	return (size_t)(node->data.sequence.items.top -
	    node->data.sequence.items.start);
}

static yaml_node_t *
list_item(struct loader *l, const yaml_node_t *node, size_t i)
{
	return node_at(l, node->data.sequence.items.start[i]);
}

/*
 * Sort a mapping's values into slots by key name, reporting unknown and
 * repeated keys; the caller then reads the slots in its own order.
 */
static void
collect_keys(struct loader *l, const yaml_node_t *map,
    const char *const *names, size_t n, yaml_node_t **values)
{
	yaml_node_pair_t *pair;

	memset(values, 0, n * sizeof *values);
	for (pair = map->data.mapping.pairs.start;
	    pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *key = node_at(l, pair->key);
		const char *name;
		char *hint;
		size_t i;

		if (key->type != YAML_SCALAR_NODE) {
			load_error(l, key, "a key must be a single word, "
			    "not %s", node_kind(key));
			continue;
		}
		name = (const char *)key->data.scalar.value;
		for (i = 0; i < n; i++) {
			if (strcmp(names[i], name) == 0)
				break;
		}
		if (i == n) {
			hint = did_you_mean(name, names, n);
			load_error(l, key, "unknown key '%s'%s", name, hint);
			free(hint);
		} else if (values[i] != NULL)
			load_error(l, key, "duplicate key '%s'", name);
		else
			values[i] = node_at(l, pair->value);
	}
}

static bool
valid_name(const char *s)
{
	if (*s < 'a' || *s > 'z')
		return false;
	for (s++; *s != '\0'; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_')
			return false;
	}
	return true;
}

static void
load_bool(struct loader *l, const yaml_node_t *node, const char *key,
    bool *out)
{
	const char *s;

	if (node == NULL || (s = get_scalar(l, node, key)) == NULL)
		return;
	if (strcasecmp(s, "true") == 0 || strcasecmp(s, "yes") == 0)
		*out = true;
	else if (strcasecmp(s, "false") == 0 || strcasecmp(s, "no") == 0)
		*out = false;
	else {
		load_error(l, node, "bad boolean '%s' for '%s' (use true or "
		    "false)", s, key);
	}
}

static char *
load_string(struct loader *l, const yaml_node_t *node, const char *key)
{
	const char *s;

	if (node == NULL || (s = get_scalar(l, node, key)) == NULL)
		return NULL;
	if (*s == '\0') {
		load_error(l, node, "'%s' is empty", key);
		return NULL;
	}
	return xstrdup(s);
}

static void
load_label(struct loader *l, const yaml_node_t *node, struct label *label)
{
	yaml_node_t *v[LK_COUNT];

	if (node == NULL)
		return;
	if (node->type == YAML_SCALAR_NODE) {
		label->en = load_string(l, node, "label");
		return;
	}
	if (!is_mapping(l, node, "label"))
		return;
	collect_keys(l, node, label_keys, LK_COUNT, v);
	label->en = load_string(l, v[LK_EN], "en");
	label->zh = load_string(l, v[LK_ZH], "zh");
}

static unsigned
load_roles(struct loader *l, const yaml_node_t *node, const char *key)
{
	unsigned roles = 0;

	if (!is_list(l, node, key))
		return ROLE_ALL;
	for (size_t i = 0; i < list_length(node); i++) {
		yaml_node_t *item = list_item(l, node, i);
		const char *s = get_scalar(l, item, key);
		size_t r;

		if (s == NULL)
			continue;
		for (r = 0; r < NROLES; r++) {
			if (strcmp(s, role_names[r]) == 0)
				break;
		}
		if (r == NROLES) {
			load_error(l, item, "unknown role '%s' (roles are "
			    "agent, supervisor and admin)", s);
		} else
			roles |= role_bits[r];
	}
	return roles;
}

/* Fields have read and write; entities also delete (del not NULL). */
static void
load_permissions(struct loader *l, const yaml_node_t *node, unsigned *rd,
    unsigned *wr, unsigned *del)
{
	yaml_node_t *v[PK_COUNT];

	if (node == NULL || !is_mapping(l, node, "permissions"))
		return;
	collect_keys(l, node, permission_keys, del ? PK_COUNT : PK_DELETE, v);
	if (v[PK_READ] != NULL)
		*rd = load_roles(l, v[PK_READ], "read");
	if (v[PK_WRITE] != NULL)
		*wr = load_roles(l, v[PK_WRITE], "write");
	if (del != NULL && v[PK_DELETE] != NULL)
		*del = load_roles(l, v[PK_DELETE], "delete");
}

/* Complain when a key is given for a type it means nothing to. */
static bool
key_applies(struct loader *l, const struct field *f, yaml_node_t **v,
    int key, bool applies)
{
	if (v[key] == NULL)
		return false;
	if (!applies) {
		load_error(l, v[key], "'%s' does not apply to %s fields",
		    field_keys[key], field_type_name(f->type));
		return false;
	}
	return true;
}

static void
load_field_name(struct loader *l, const struct entity *e, struct field *f,
    const yaml_node_t *map, const yaml_node_t *node)
{
	const char *s;

	f->name = xstrdup("");
	if (node == NULL) {
		load_error(l, map, "missing 'name'");
		return;
	}
	if ((s = get_scalar(l, node, "name")) == NULL)
		return;
	if (!valid_name(s)) {
		load_error(l, node, "bad field name '%s' (use lower case "
		    "letters, digits and _, starting with a letter)", s);
		return;
	}
	for (size_t i = 0; i < sizeof reserved_names / sizeof *reserved_names;
	    i++) {
		if (strcmp(s, reserved_names[i]) == 0) {
			load_error(l, node, "field name '%s' is reserved", s);
			return;
		}
	}
	for (const struct field *g = e->fields; g < f; g++) {
		if (strcmp(g->name, s) == 0) {
			load_error(l, node, "duplicate field '%s' (first at "
			    "line %d)", s, g->line);
			return;
		}
	}
	free(f->name);
	f->name = xstrdup(s);
}

static bool
load_field_type(struct loader *l, struct field *f, const yaml_node_t *map,
    const yaml_node_t *node)
{
	const char *s;
	const char *names[FT_REF + 1];
	char *hint;

	if (node == NULL) {
		load_error(l, map, "missing 'type'");
		return false;
	}
	if ((s = get_scalar(l, node, "type")) == NULL)
		return false;
	if (field_type_parse(s, &f->type) == 0)
		return true;
	for (int t = 0; t <= FT_REF; t++)
		names[t] = field_type_name((enum field_type)t);
	hint = did_you_mean(s, names, FT_REF + 1);
	load_error(l, node, "unknown type '%s'%s", s, hint);
	free(hint);
	return false;
}

static void
load_max(struct loader *l, struct field *f, const yaml_node_t *node)
{
	const char *s = get_scalar(l, node, "max");
	unsigned long long n = 0;

	if (s == NULL)
		return;
	for (const char *p = s; *p != '\0'; p++) {
		if (!isdigit((unsigned char)*p) || n > 100000000) {
			n = 0;
			break;
		}
		n = n * 10 + (unsigned)(*p - '0');
	}
	if (n == 0 || n > 100000000) {
		load_error(l, node, "max must be a positive integer, not '%s'",
		    s);
		return;
	}
	f->max = (size_t)n;
}

static bool
valid_enum_value(const char *s)
{
	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		if (!(*s >= 'a' && *s <= 'z') && !(*s >= '0' && *s <= '9') &&
		    *s != '_' && *s != '-')
			return false;
	}
	return true;
}

static size_t
count_chars(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		if (((unsigned char)*s & 0xc0) != 0x80)
			n++;
	}
	return n;
}

static void
load_hotkey(struct loader *l, struct field *f, struct enum_value *ev,
    const yaml_node_t *node)
{
	char *key = load_string(l, node, "key");

	if (key == NULL)
		return;
	if (count_chars(key) != 1 || isspace((unsigned char)*key)) {
		load_error(l, node, "hotkey '%s' must be one character", key);
		free(key);
		return;
	}
	for (struct enum_value *o = f->values; o < ev; o++) {
		if (o->key != NULL && strcasecmp(o->key, key) == 0) {
			load_error(l, node, "hotkey '%s' is already used by "
			    "'%s'", key, o->value);
			free(key);
			return;
		}
	}
	ev->key = key;
}

/* A list of names (fields or values), checked once the entity is read. */
static void
load_names(struct loader *l, const yaml_node_t *node, const char *key,
    struct strv *out)
{
	if (node == NULL || !is_list(l, node, key))
		return;
	for (size_t i = 0; i < list_length(node); i++) {
		const char *s = get_scalar(l, list_item(l, node, i), key);

		if (s != NULL)
			strv_push(out, s);
	}
}

static void
load_enum_value(struct loader *l, struct field *f, struct enum_value *ev,
    const yaml_node_t *node)
{
	yaml_node_t *v[VK_COUNT];
	const yaml_node_t *value_node = node;
	const char *s;

	if (node->type == YAML_SCALAR_NODE)
		memset(v, 0, sizeof v);
	else if (is_mapping(l, node, "values")) {
		collect_keys(l, node, value_keys, VK_COUNT, v);
		value_node = v[VK_VALUE];
		ev->label.en = load_string(l, v[VK_EN], "en");
		ev->label.zh = load_string(l, v[VK_ZH], "zh");
	} else
		return;
	if (value_node == NULL) {
		load_error(l, node, "missing 'value'");
		return;
	}
	if ((s = get_scalar(l, value_node, "value")) == NULL)
		return;
	if (!valid_enum_value(s)) {
		load_error(l, value_node, "bad enum value '%s' (use lower case "
		    "letters, digits, _ and -)", s);
		return;
	}
	for (struct enum_value *o = f->values; o < ev; o++) {
		if (o->value != NULL && strcmp(o->value, s) == 0) {
			load_error(l, value_node, "duplicate enum value '%s'",
			    s);
			return;
		}
	}
	ev->value = xstrdup(s);
	if (ev->label.en == NULL)
		ev->label.en = xstrdup(s);
	if (node->type == YAML_MAPPING_NODE) {
		load_hotkey(l, f, ev, v[VK_KEY]);
		if (v[VK_REQUIRES] != NULL) {
			ev->requires_line = (int)v[VK_REQUIRES]->start_mark.line + 1;
			ev->requires_column =
			    (int)v[VK_REQUIRES]->start_mark.column + 1;
			load_names(l, v[VK_REQUIRES], "requires", &ev->requires);
		}
		if (v[VK_NEXT] != NULL) {
			ev->has_next = true;
			ev->next_line = (int)v[VK_NEXT]->start_mark.line + 1;
			ev->next_column = (int)v[VK_NEXT]->start_mark.column + 1;
			load_names(l, v[VK_NEXT], "next", &ev->next);
		}
	}
}

static void
load_values(struct loader *l, struct field *f, const yaml_node_t *map,
    const yaml_node_t *node)
{
	size_t n;

	if (node == NULL) {
		load_error(l, map, "enum field '%s' has no values", f->name);
		return;
	}
	if (!is_list(l, node, "values"))
		return;
	if ((n = list_length(node)) == 0) {
		load_error(l, node, "enum field '%s' has no values", f->name);
		return;
	}
	f->values = xcalloc(n, sizeof *f->values);
	f->nvalues = n;
	for (size_t i = 0; i < n; i++)
		load_enum_value(l, f, &f->values[i], list_item(l, node, i));
	/* Lookups must not meet a hole left by a bad item. */
	for (size_t i = 0; i < n; i++) {
		if (f->values[i].value == NULL)
			f->values[i].value = xstrdup("");
		if (f->values[i].label.en == NULL)
			f->values[i].label.en = xstrdup("");
	}
}

static void
load_aliases(struct loader *l, struct field *f, const yaml_node_t *node)
{
	if (!is_list(l, node, "aliases"))
		return;
	for (size_t i = 0; i < list_length(node); i++) {
		char *s = load_string(l, list_item(l, node, i), "aliases");

		if (s != NULL) {
			strv_push(&f->aliases, s);
			free(s);
		}
	}
}

static void
load_ref(struct loader *l, struct field *f, const yaml_node_t *map,
    const yaml_node_t *node)
{
	const char *s;
	char *hint;

	if (node == NULL) {
		load_error(l, map, "missing 'ref' (the entity a ref field "
		    "points to)");
		return;
	}
	if ((s = get_scalar(l, node, "ref")) == NULL)
		return;
	f->ref = xstrdup(s);
	for (size_t i = 0; i < l->names->n; i++) {
		if (strcmp(l->names->v[i], s) == 0)
			return;
	}
	hint = did_you_mean(s, (const char *const *)l->names->v,
	    l->names->n);
	load_error(l, node, "ref to unknown entity '%s'%s", s, hint);
	free(hint);
}

static void
load_on_delete(struct loader *l, struct field *f, const yaml_node_t *node)
{
	const char *s = get_scalar(l, node, "on_delete");

	if (s == NULL)
		return;
	if (strcmp(s, "restrict") == 0)
		f->on_delete = REF_RESTRICT;
	else if (strcmp(s, "cascade") == 0)
		f->on_delete = REF_CASCADE;
	else if (strcmp(s, "set_empty") == 0)
		f->on_delete = REF_SET_EMPTY;
	else {
		load_error(l, node, "bad on_delete '%s' (use restrict, cascade "
		    "or set_empty)", s);
	}
}

static void
load_currency(struct loader *l, struct field *f, const yaml_node_t *node)
{
	const char *s = get_scalar(l, node, "currency");

	if (s == NULL)
		return;
	if (strlen(s) != 3 || !isalpha((unsigned char)s[0]) ||
	    !isalpha((unsigned char)s[1]) || !isalpha((unsigned char)s[2])) {
		load_error(l, node, "bad currency '%s' (use a three-letter "
		    "code such as CNY)", s);
		return;
	}
	free(f->currency);
	f->currency = xstrdup(s);
	for (char *p = f->currency; *p != '\0'; p++)
		*p = (char)toupper((unsigned char)*p);
}

static bool
index_applies(enum field_type type, enum index_kind ix)
{
	switch (type) {
	case FT_PHONE:
	case FT_PHONES:
	case FT_REF:
		return false;
	case FT_TEXT:
	case FT_EMAIL:
	case FT_URL:
		return true;
	default:
		return ix != IX_PREFIX;
	}
}

static void
load_index(struct loader *l, struct field *f, const yaml_node_t *node)
{
	const char *s = get_scalar(l, node, "index");
	enum index_kind ix;

	if (s == NULL)
		return;
	if (strcmp(s, "none") == 0)
		ix = IX_NONE;
	else if (strcmp(s, "exact") == 0)
		ix = IX_EXACT;
	else if (strcmp(s, "prefix") == 0)
		ix = IX_PREFIX;
	else {
		load_error(l, node, "bad index '%s' (use none, exact or "
		    "prefix)", s);
		return;
	}
	if (!index_applies(f->type, ix)) {
		load_error(l, node, "index %s does not apply to %s fields", s,
		    field_type_name(f->type));
		return;
	}
	f->index = ix;
}

static bool
unique_applies(enum field_type type)
{
	switch (type) {
	case FT_LONGTEXT:
	case FT_BOOL:
	case FT_ENUM:
	case FT_PHONE:
	case FT_PHONES:
	case FT_REF:
		return false;
	default:
		return true;
	}
}

/* The index follows from the type, then from unique and index. */
static void
settle_index(struct loader *l, struct field *f, yaml_node_t **v)
{
	if (f->type == FT_PHONE || f->type == FT_PHONES)
		f->index = IX_PHONE;
	else if (f->type == FT_REF)
		f->index = IX_REF;
	if (!f->unique)
		return;
	if (v[FK_INDEX] == NULL)
		f->index = IX_EXACT;
	else if (f->index == IX_NONE) {
		load_error(l, v[FK_INDEX], "a unique field needs an index "
		    "(exact or prefix)");
	}
}

static void
load_default(struct loader *l, struct field *f, const yaml_node_t *node)
{
	const char *s = get_scalar(l, node, "default");
	char *out, *why;

	if (s == NULL)
		return;
	if (field_normalise(f, s, &out, &why) != 0) {
		load_error(l, node, "bad default: %s", why);
		free(why);
		return;
	}
	/* "today" must stay "today", to be worked out for each record. */
	if (f->type == FT_DATE || f->type == FT_DATETIME) {
		free(out);
		out = xstrdup(s);
	}
	f->def = out;
}

static void
load_field_keys(struct loader *l, struct field *f, const yaml_node_t *map,
    yaml_node_t **v)
{
	enum field_type t = f->type;
	bool stringy = t == FT_TEXT || t == FT_LONGTEXT || t == FT_EMAIL ||
	    t == FT_URL;

	load_bool(l, v[FK_REQUIRED], "required", &f->required);
	if (key_applies(l, f, v, FK_UNIQUE, unique_applies(t)))
		load_bool(l, v[FK_UNIQUE], "unique", &f->unique);
	if (key_applies(l, f, v, FK_INDEX, index_applies(t, IX_EXACT)))
		load_index(l, f, v[FK_INDEX]);
	settle_index(l, f, v);
	if (key_applies(l, f, v, FK_MAX, stringy))
		load_max(l, f, v[FK_MAX]);
	if (t == FT_ENUM)
		load_values(l, f, map, v[FK_VALUES]);
	else
		key_applies(l, f, v, FK_VALUES, false);
	if (t == FT_REF)
		load_ref(l, f, map, v[FK_REF]);
	else
		key_applies(l, f, v, FK_REF, false);
	if (key_applies(l, f, v, FK_ON_DELETE, t == FT_REF))
		load_on_delete(l, f, v[FK_ON_DELETE]);
	if (t == FT_MONEY)
		f->currency = xstrdup("CNY");
	if (key_applies(l, f, v, FK_CURRENCY, t == FT_MONEY))
		load_currency(l, f, v[FK_CURRENCY]);
	if (v[FK_DEFAULT] != NULL)
		load_default(l, f, v[FK_DEFAULT]);
}

static void
load_field(struct loader *l, struct entity *e, struct field *f,
    const yaml_node_t *map)
{
	yaml_node_t *v[FK_COUNT];

	f->line = (int)map->start_mark.line + 1;
	f->column = (int)map->start_mark.column + 1;
	f->read_roles = f->write_roles = ROLE_ALL;
	f->on_delete = REF_RESTRICT;
	strv_init(&f->aliases);
	if (map->type != YAML_MAPPING_NODE) {
		f->name = xstrdup("");
		load_error(l, map, "a field must be a mapping (name: ..., "
		    "type: ...), not %s", node_kind(map));
		return;
	}
	collect_keys(l, map, field_keys, FK_COUNT, v);
	load_field_name(l, e, f, map, v[FK_NAME]);
	load_label(l, v[FK_LABEL], &f->label);
	if (f->label.en == NULL)
		f->label.en = xstrdup(f->name);
	if (v[FK_ALIASES] != NULL)
		load_aliases(l, f, v[FK_ALIASES]);
	load_permissions(l, v[FK_PERMISSIONS], &f->read_roles,
	    &f->write_roles, NULL);
	/* Without a type the other keys cannot be judged. */
	if (load_field_type(l, f, map, v[FK_TYPE]))
		load_field_keys(l, f, map, v);
}

static const char **
field_names(const struct entity *e)
{
	const char **names = xcalloc(e->nfields + 1, sizeof *names);

	for (size_t i = 0; i < e->nfields; i++)
		names[i] = e->fields[i].name;
	return names;
}

/* Read a field name where one is expected (title, list, layout). */
static char *
load_field_ref(struct loader *l, const struct entity *e,
    const yaml_node_t *node, const char *key)
{
	const char *s = get_scalar(l, node, key);
	const char **names;
	char *hint;

	if (s == NULL)
		return NULL;
	if (*s != '\0' && entity_field(e, s) != NULL)
		return xstrdup(s);
	names = field_names(e);
	hint = did_you_mean(s, names, e->nfields);
	load_error(l, node, "%s names unknown field '%s'%s", key, s, hint);
	free(hint);
	free(names);
	return NULL;
}

static void
load_list(struct loader *l, struct entity *e, const yaml_node_t *node)
{
	if (node == NULL) {
		if (e->title != NULL)
			strv_push(&e->list, e->title);
		if (e->subtitle != NULL)
			strv_push(&e->list, e->subtitle);
		return;
	}
	if (!is_list(l, node, "list"))
		return;
	for (size_t i = 0; i < list_length(node); i++) {
		char *name = load_field_ref(l, e, list_item(l, node, i),
		    "list");

		if (name != NULL) {
			strv_push(&e->list, name);
			free(name);
		}
	}
}

static struct strv *
add_layout_row(struct entity *e)
{
	struct strv *row;

	e->layout = xreallocarray(e->layout, e->nlayout + 1,
	    sizeof *e->layout);
	row = &e->layout[e->nlayout++];
	strv_init(row);
	return row;
}

static bool
in_layout(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->nlayout; i++) {
		for (size_t j = 0; j < e->layout[i].n; j++) {
			if (strcmp(e->layout[i].v[j], name) == 0)
				return true;
		}
	}
	return false;
}

static void
load_layout_cell(struct loader *l, struct entity *e, struct strv *row,
    const yaml_node_t *node)
{
	char *name = load_field_ref(l, e, node, "layout");

	if (name == NULL)
		return;
	if (in_layout(e, name))
		load_error(l, node, "field '%s' is twice in the layout", name);
	else
		strv_push(row, name);
	free(name);
}

static void
load_layout(struct loader *l, struct entity *e, const yaml_node_t *node)
{
	if (node == NULL) {
		for (size_t i = 0; i < e->nfields; i++) {
			if (*e->fields[i].name != '\0')
				strv_push(add_layout_row(e), e->fields[i].name);
		}
		return;
	}
	if (!is_list(l, node, "layout"))
		return;
	for (size_t i = 0; i < list_length(node); i++) {
		yaml_node_t *item = list_item(l, node, i);
		struct strv *row = add_layout_row(e);

		if (item->type != YAML_SEQUENCE_NODE) {
			load_layout_cell(l, e, row, item);
			continue;
		}
		for (size_t j = 0; j < list_length(item); j++)
			load_layout_cell(l, e, row, list_item(l, item, j));
	}
}

static void
load_fields(struct loader *l, struct entity *e, const yaml_node_t *root,
    const yaml_node_t *node)
{
	if (node == NULL) {
		load_error(l, root, "missing 'fields'");
		return;
	}
	if (!is_list(l, node, "fields"))
		return;
	if (list_length(node) == 0) {
		load_error(l, node, "'fields' is empty");
		return;
	}
	e->nfields = list_length(node);
	e->fields = xcalloc(e->nfields, sizeof *e->fields);
	for (size_t i = 0; i < e->nfields; i++)
		load_field(l, e, &e->fields[i], list_item(l, node, i));
}

struct match_key {
	char *key;
	const struct field *field;
	const char *text;
};

static void
add_match_key(struct match_key **keys, size_t *n, const struct field *f,
    const char *text)
{
	*keys = xreallocarray(*keys, *n + 1, sizeof **keys);
	(*keys)[*n].key = field_match_key(text);
	(*keys)[*n].field = f;
	(*keys)[(*n)++].text = text;
}

/*
 * An import column must lead to one field only. Keys are made once and
 * searched in the order entity_field_by_alias uses: names, then aliases.
 */
static void check_value_rules(struct loader *, const struct entity *);

static void
check_aliases(struct loader *l, const struct entity *e)
{
	struct match_key *keys = NULL;
	size_t n = 0, nnames;

	for (size_t i = 0; i < e->nfields; i++)
		add_match_key(&keys, &n, &e->fields[i], e->fields[i].name);
	nnames = n;
	for (size_t i = 0; i < e->nfields; i++) {
		for (size_t j = 0; j < e->fields[i].aliases.n; j++) {
			add_match_key(&keys, &n, &e->fields[i],
			    e->fields[i].aliases.v[j]);
		}
	}
	for (size_t i = nnames; i < n; i++) {
		const struct match_key *k = &keys[i], *first = NULL;

		for (size_t j = 0; j < i && first == NULL; j++) {
			if (*keys[j].key != '\0' &&
			    strcmp(keys[j].key, k->key) == 0)
				first = &keys[j];
		}
		if (first != NULL && first->field != k->field &&
		    *first->field->name != '\0') {
			load_error_at(l, k->field->line, k->field->column,
			    "alias '%s' of field '%s' already names field '%s'",
			    k->text, k->field->name, first->field->name);
		}
	}
	for (size_t i = 0; i < n; i++)
		free(keys[i].key);
	free(keys);
}

static void
load_entity_name(struct loader *l, struct entity *e, const yaml_node_t *root,
    const yaml_node_t *node, const char *base)
{
	const char *s;

	e->name = xstrdup(base);
	if (!valid_name(base)) {
		load_error_at(l, 1, 1, "bad file name (an entity name uses "
		    "lower case letters, digits and _, starting with a "
		    "letter)");
	}
	if (node == NULL) {
		load_error(l, root, "missing 'entity'");
		return;
	}
	if ((s = get_scalar(l, node, "entity")) == NULL)
		return;
	if (strcmp(s, base) != 0) {
		load_error(l, node, "entity '%s' does not match the file name "
		    "'%s.yaml'", s, base);
	}
}

static void
load_entity(struct loader *l, struct entity *e, const yaml_node_t *root,
    const char *base)
{
	yaml_node_t *v[EK_COUNT];

	collect_keys(l, root, entity_keys, EK_COUNT, v);
	load_entity_name(l, e, root, v[EK_ENTITY], base);
	load_label(l, v[EK_LABEL], &e->label);
	if (e->label.en == NULL)
		e->label.en = xstrdup(e->name);
	load_fields(l, e, root, v[EK_FIELDS]);
	if (v[EK_TITLE] == NULL)
		load_error(l, root, "missing 'title'");
	else
		e->title = load_field_ref(l, e, v[EK_TITLE], "title");
	if (v[EK_SUBTITLE] != NULL)
		e->subtitle = load_field_ref(l, e, v[EK_SUBTITLE], "subtitle");
	load_bool(l, v[EK_SEARCH], "search", &e->searchable);
	load_list(l, e, v[EK_LIST]);
	load_layout(l, e, v[EK_LAYOUT]);
	load_permissions(l, v[EK_PERMISSIONS], &e->read_roles,
	    &e->write_roles, &e->delete_roles);
	/* A field's permissions narrow its entity's, so a check of the
	 * field alone is the whole check. */
	for (size_t i = 0; i < e->nfields; i++) {
		e->fields[i].read_roles &= e->read_roles;
		e->fields[i].write_roles &= e->write_roles;
	}
	check_aliases(l, e);
	check_value_rules(l, e);
}

static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	struct buf b;
	char chunk[8192];
	size_t n;

	if (fp == NULL)
		return NULL;
	buf_init(&b);
	while ((n = fread(chunk, 1, sizeof chunk, fp)) > 0)
		buf_add(&b, chunk, n);
	if (ferror(fp)) {
		fclose(fp);
		buf_free(&b);
		return NULL;
	}
	fclose(fp);
	*len = b.len;
	return buf_detach(&b);
}

/* A reader error has only a byte offset: turn it into line and column. */
static void
offset_position(const char *text, size_t offset, int *line, int *column)
{
	*line = 1;
	*column = 1;
	for (size_t i = 0; i < offset && text[i] != '\0'; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*column = 1;
		} else if (((unsigned char)text[i] & 0xc0) != 0x80)
			(*column)++;
	}
}

static void
syntax_error(struct loader *l, const yaml_parser_t *p, const char *text)
{
	int line, column;

	if (p->error == YAML_READER_ERROR)
		offset_position(text, p->problem_offset, &line, &column);
	else {
		line = (int)p->problem_mark.line + 1;
		column = (int)p->problem_mark.column + 1;
	}
	if (p->context != NULL) {
		load_error_at(l, line, column, "%s %s",
		    p->problem ? p->problem : "syntax error", p->context);
	} else {
		load_error_at(l, line, column, "%s",
		    p->problem ? p->problem : "syntax error");
	}
}

/* The first document must be all there is. */
static void
check_one_document(struct loader *l, yaml_parser_t *p, const char *text)
{
	yaml_document_t next;
	yaml_node_t *root;

	if (!yaml_parser_load(p, &next)) {
		syntax_error(l, p, text);
		return;
	}
	if ((root = yaml_document_get_root_node(&next)) != NULL) {
		load_error(l, root, "more than one YAML document (remove the "
		    "second '---')");
	}
	yaml_document_delete(&next);
}

static void
load_document(struct loader *l, struct entity *e, const char *base)
{
	yaml_node_t *root = yaml_document_get_root_node(l->doc);

	e->name = NULL;
	e->line = e->column = 1;
	e->read_roles = e->write_roles = e->delete_roles = ROLE_ALL;
	if (root == NULL) {
		load_error_at(l, 1, 1, "the file is empty");
		e->name = xstrdup(base);
		return;
	}
	e->line = (int)root->start_mark.line + 1;
	e->column = (int)root->start_mark.column + 1;
	if (root->type != YAML_MAPPING_NODE) {
		load_error(l, root, "the top level must be a mapping "
		    "(entity: ..., fields: ...), not %s", node_kind(root));
		e->name = xstrdup(base);
		return;
	}
	load_entity(l, e, root, base);
}

/* requires: names fields of the entity; next: names values of the field. */
static void
check_value_rules(struct loader *l, const struct entity *e)
{
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];

		for (size_t j = 0; j < f->nvalues; j++) {
			const struct enum_value *ev = &f->values[j];

			for (size_t k = 0; k < ev->requires.n; k++) {
				const char *n = ev->requires.v[k];

				if (entity_field(e, n) == NULL ||
				    strcmp(entity_field(e, n)->name, n) != 0)
					load_error_at(l, ev->requires_line,
					    ev->requires_column, "'%s' requires "
					    "'%s', which is not a field of %s",
					    ev->value, n, e->name);
			}
			for (size_t k = 0; k < ev->next.n; k++) {
				if (field_enum_value(f, ev->next.v[k]) == NULL)
					load_error_at(l, ev->next_line,
					    ev->next_column, "'%s' may go next "
					    "to '%s', which is not a value of %s",
					    ev->value, ev->next.v[k], f->name);
			}
		}
	}
}

static void
load_file(struct loader *l, struct entity *e, const char *base)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	size_t len;
	char *text;

	e->file = xstrdup(l->path);
	strv_init(&e->list);
	if ((text = read_file(l->path, &len)) == NULL) {
		load_error_at(l, 0, 0, "%s", strerror(errno));
		e->name = xstrdup(base);
		return;
	}
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		syntax_error(l, &parser, text);
		e->name = xstrdup(base);
	} else {
		l->doc = &doc;
		load_document(l, e, base);
		if (yaml_document_get_root_node(&doc) != NULL)
			check_one_document(l, &parser, text);
		l->doc = NULL;
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	free(text);
}

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_form_file(const char *dir, const char *name)
{
	size_t n = strlen(name);
	struct stat sb;
	char *path;
	bool ok;

	if (name[0] == '.' || n <= 5 || strcmp(name + n - 5, ".yaml") != 0)
		return false;
	/* The service desk's settings, not an entity (service.c). */
	if (strcmp(name, "service.yaml") == 0)
		return false;
	path = xasprintf("%s/%s", dir, name);
	ok = stat(path, &sb) == 0 && S_ISREG(sb.st_mode);
	free(path);
	return ok;
}

/* Entity names in sorted order: each file's name without ".yaml". */
static int
list_forms(const char *dir, struct strv *names, struct strv *diags)
{
	DIR *d;
	struct dirent *de;

	if ((d = opendir(dir)) == NULL) {
		strv_pushf(diags, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (is_form_file(dir, de->d_name))
			strv_push(names, de->d_name);
	}
	closedir(d);
	if (names->n == 0) {
		strv_pushf(diags, "%s: no .yaml files", dir);
		return -1;
	}
	qsort(names->v, names->n, sizeof *names->v, name_cmp);
	for (size_t i = 0; i < names->n; i++)
		names->v[i][strlen(names->v[i]) - 5] = '\0';
	return 0;
}

static void
resolve_refs(struct forms *forms)
{
	for (size_t i = 0; i < forms->n; i++) {
		struct entity *e = &forms->entities[i];

		for (size_t j = 0; j < e->nfields; j++) {
			struct field *f = &e->fields[j];

			if (f->type == FT_REF)
				f->ref_entity = forms_entity(forms, f->ref);
		}
	}
}

int
forms_load(const char *dir, struct forms **formsp, struct strv *diags)
{
	struct loader l = { .diags = diags };
	struct forms *forms;
	struct strv names;

	*formsp = NULL;
	strv_init(&names);
	if (list_forms(dir, &names, diags) != 0) {
		strv_free(&names);
		return -1;
	}
	l.names = &names;
	forms = xcalloc(1, sizeof *forms);
	forms->dir = xstrdup(dir);
	forms->entities = xcalloc(names.n, sizeof *forms->entities);
	for (size_t i = 0; i < names.n; i++) {
		char *path = xasprintf("%s/%s.yaml", dir, names.v[i]);

		l.path = path;
		load_file(&l, &forms->entities[forms->n++], names.v[i]);
		flush_errors(&l);
		free(path);
	}
	strv_free(&names);
	if (l.errors != 0) {
		forms_free(forms);
		return -1;
	}
	resolve_refs(forms);
	if (service_load(dir, forms, &forms->service, diags) != 0) {
		forms_free(forms);
		return -1;
	}
	*formsp = forms;
	return 0;
}
