/* form.c - looking things up in loaded forms, and freeing them. */
#include "tcrm.h"

#include <ctype.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static const char *field_type_names[] = {
	[FT_TEXT] = "text",
	[FT_LONGTEXT] = "longtext",
	[FT_INT] = "int",
	[FT_MONEY] = "money",
	[FT_DATE] = "date",
	[FT_DATETIME] = "datetime",
	[FT_BOOL] = "bool",
	[FT_ENUM] = "enum",
	[FT_PHONE] = "phone",
	[FT_PHONES] = "phones",
	[FT_EMAIL] = "email",
	[FT_URL] = "url",
	[FT_REF] = "ref"
};
#define NTYPES (sizeof field_type_names / sizeof field_type_names[0])

const char *
field_type_name(enum field_type type)
{
	if ((size_t)type >= NTYPES)
		return "unknown";
	return field_type_names[type];
}

int
field_type_parse(const char *name, enum field_type *type)
{
	for (size_t i = 0; i < NTYPES; i++) {
		if (strcmp(field_type_names[i], name) == 0) {
			*type = (enum field_type)i;
			return 0;
		}
	}
	return -1;
}

/* The language the messages are in, as gettext chooses it: LANGUAGE,
 * else the messages locale, else (a locale named but not installed,
 * which leaves "C") the one the environment asks for. */
const char *
labels_lang(void)
{
	const char *vars[] = { "LC_ALL", "LC_MESSAGES", "LANG" };
	const char *v = getenv("LANGUAGE");

	if (v == NULL || *v == '\0')
		v = setlocale(LC_MESSAGES, NULL);
	if (v == NULL || strcmp(v, "C") == 0 || strncmp(v, "C.", 2) == 0) {
		v = NULL;
		for (size_t i = 0; i < 3 && v == NULL; i++) {
			v = getenv(vars[i]);
			if (v != NULL && *v == '\0')
				v = NULL;
		}
	}
	return v != NULL && strncmp(v, "zh", 2) == 0 ? "zh" : "en";
}

/* A name in a message: its Chinese label in Chinese, else the name,
 * which is also what the commands take ("customer 12", "email=..."). */
static const char *
message_word(const struct label *label, const char *name)
{
	if (strcmp(labels_lang(), "zh") == 0 && label->zh != NULL)
		return label->zh;
	return name;
}

const char *
entity_word(const struct entity *e)
{
	return message_word(&e->label, e->name);
}

const char *
field_word(const struct field *f)
{
	return message_word(&f->label, f->name);
}

const char *
enum_word(const struct field *f, const char *value)
{
	const struct enum_value *ev = field_enum_value(f, value);

	return ev != NULL ? message_word(&ev->label, ev->value) : value;
}

const char *
label_get(const struct label *label, const char *lang)
{
	if (lang != NULL && strncmp(lang, "zh", 2) == 0 && label->zh != NULL)
		return label->zh;
	return label->en;
}

static void
label_free(struct label *label)
{
	free(label->en);
	free(label->zh);
}

static void
field_free(struct field *f)
{
	free(f->name);
	label_free(&f->label);
	for (size_t i = 0; i < f->nvalues; i++) {
		free(f->values[i].value);
		label_free(&f->values[i].label);
		free(f->values[i].key);
		strv_free(&f->values[i].requires);
		strv_free(&f->values[i].next);
	}
	free(f->values);
	free(f->def);
	strv_free(&f->aliases);
	free(f->ref);
	free(f->currency);
}

static void
entity_free(struct entity *e)
{
	free(e->name);
	label_free(&e->label);
	free(e->file);
	for (size_t i = 0; i < e->nfields; i++)
		field_free(&e->fields[i]);
	free(e->fields);
	free(e->title);
	free(e->subtitle);
	strv_free(&e->list);
	for (size_t i = 0; i < e->nlayout; i++)
		strv_free(&e->layout[i]);
	free(e->layout);
}

void
forms_free(struct forms *forms)
{
	if (forms == NULL)
		return;
	for (size_t i = 0; i < forms->n; i++)
		entity_free(&forms->entities[i]);
	free(forms->entities);
	free(forms->dir);
	service_free(forms->service);
	free(forms);
}

struct entity *
forms_entity(const struct forms *forms, const char *name)
{
	for (size_t i = 0; i < forms->n; i++) {
		if (forms->entities[i].name[0] == name[0] &&
		    strcmp(forms->entities[i].name, name) == 0)
			return &forms->entities[i];
	}
	return NULL;
}

struct field *
entity_field(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (e->fields[i].name[0] == name[0] &&
		    strcmp(e->fields[i].name, name) == 0)
			return &e->fields[i];
	}
	return NULL;
}

/*
 * Spreadsheet headers come as "Phone 1", "PHONE1", "phone_1", "Order No.",
 * "姓名*" (a template's mark for a required column) or in full width from
 * a Chinese input method: fold case and width, then drop spaces and the
 * punctuation around words so all of them give one key.
 */
char *
field_match_key(const char *s)
{
	char *folded = utf8_fold(s);
	char *out;
	size_t n = 0;

	if (folded == NULL) {
		folded = xstrdup(s);
		for (char *p = folded; *p != '\0'; p++)
			*p = (char)tolower((unsigned char)*p);
	}
	out = xmalloc(strlen(folded) + 1);
	for (const char *p = folded; *p != '\0'; p++) {
		if (strchr(" \t\r\n_-.:*", *p) == NULL)
			out[n++] = *p;
	}
	out[n] = '\0';
	free(folded);
	return out;
}

static bool
key_matches(const char *key, const char *candidate)
{
	char *k;
	bool same;

	if (candidate == NULL)
		return false;
	k = field_match_key(candidate);
	same = strcmp(key, k) == 0;
	free(k);
	return same;
}

static struct field *
field_by_key(const struct entity *e, const char *key)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (key_matches(key, e->fields[i].name))
			return &e->fields[i];
	}
	for (size_t i = 0; i < e->nfields; i++) {
		const struct strv *aliases = &e->fields[i].aliases;

		for (size_t j = 0; j < aliases->n; j++) {
			if (key_matches(key, aliases->v[j]))
				return &e->fields[i];
		}
	}
	/* Last, labels: a file exported with label headers reads back. */
	for (size_t i = 0; i < e->nfields; i++) {
		if (key_matches(key, e->fields[i].label.en) ||
		    key_matches(key, e->fields[i].label.zh))
			return &e->fields[i];
	}
	return NULL;
}

struct field *
entity_field_by_alias(const struct entity *e, const char *name)
{
	struct field *f;
	char *key;

	if ((f = entity_field(e, name)) != NULL)
		return f;
	key = field_match_key(name);
	if (*key != '\0')
		f = field_by_key(e, key);
	free(key);
	return f;
}

const struct enum_value *
field_enum_value(const struct field *f, const char *value)
{
	for (size_t i = 0; i < f->nvalues; i++) {
		if (strcmp(f->values[i].value, value) == 0)
			return &f->values[i];
	}
	return NULL;
}
