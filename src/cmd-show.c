/* cmd-show.c - tcrm show ENTITY ID: every field the reader may see, the
 * record's version and times, and the records that refer to it. */
#include "tcrm.h"

#include <getopt.h>
#include <jansson.h>
#include <locale.h>
#include <stdlib.h>
#include <string.h>

static char *
format_time(int64_t us)
{
	time_t t = (time_t)(us / 1000000);
	struct tm tm;
	char out[32];

	localtime_r(&t, &tm);
	strftime(out, sizeof out, "%Y-%m-%d %H:%M:%S", &tm);
	return xstrdup(out);
}

struct related {
	const struct entity *from;
	const struct field *field;
	uint32_t *ids;
	size_t n;
};

struct show {
	const struct entity *entity;
	uint32_t id;
	unsigned role;
	struct record rec;
	struct related *rel;
	size_t nrel;
};

static void
show_clear(struct show *sh)
{
	record_free(&sh->rec);
	for (size_t i = 0; i < sh->nrel; i++)
		free(sh->rel[i].ids);
	free(sh->rel);
	sh->rel = NULL;
	sh->nrel = 0;
}

static int
show_txn(struct store *s, struct txn *t, void *arg)
{
	struct show *sh = arg;
	const struct forms *forms = store_forms(s);
	int rc;

	show_clear(sh);
	if ((rc = store_get(s, t, sh->entity, sh->id, &sh->rec)) != ST_OK)
		return rc;
	for (size_t i = 0; i < forms->n; i++) {
		const struct entity *from = &forms->entities[i];

		for (size_t j = 0; j < from->nfields; j++) {
			const struct field *f = &from->fields[j];
			struct related r = { from, f, NULL, 0 };

			if (f->type != FT_REF || f->ref_entity != sh->entity ||
			    !field_readable(f, sh->role))
				continue;
			rc = store_referrers(s, t, f, sh->id, &r.ids, &r.n);
			if (rc != ST_OK)
				return rc;
			if (r.n == 0)
				continue;
			sh->rel = xreallocarray(sh->rel, sh->nrel + 1,
			    sizeof *sh->rel);
			sh->rel[sh->nrel++] = r;
		}
	}
	return ST_OK;
}

static char *
ids_text(const struct related *r, size_t most)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < r->n && i < most; i++)
		buf_printf(&b, "%s%u", i ? " " : "", r->ids[i]);
	if (r->n > most)
		buf_printf(&b, " … (%zu)", r->n);
	return buf_detach(&b);
}

static bool
known_field(const struct entity *e, const char *name)
{
	for (size_t i = 0; i < e->nfields; i++) {
		if (strcmp(e->fields[i].name, name) == 0)
			return true;
	}
	return false;
}

static void
show_rows(struct cmd_ctx *ctx, const struct show *sh, struct table *t,
    bool labels)
{
	const struct entity *e = sh->entity;
	const char *lang = labels_lang();
	char *created = format_time(sh->rec.created);
	char *updated = format_time(sh->rec.updated);
	char version[16], *who;

	snprintf(version, sizeof version, "%u", sh->rec.version);
	table_row(t, (const char *[]){ "version", version });
	who = xasprintf("%s %s", created, sh->rec.created_by);
	table_row(t, (const char *[]){ "created", who });
	free(who);
	who = xasprintf("%s %s", updated, sh->rec.updated_by);
	table_row(t, (const char *[]){ "updated", who });
	free(who);
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *v = record_get(&sh->rec, f->name);
		char *shown;

		if ((f->read_roles & ctx->role) == 0 || *v == '\0')
			continue;
		shown = field_display(f, v);
		table_row(t, (const char *[]){ labels ?
		    label_get(&f->label, lang) : f->name, shown });
		free(shown);
	}
	/* Fields this form does not (or no longer) define are kept. */
	for (size_t i = 0; i < sh->rec.n; i++) {
		if (!known_field(e, sh->rec.fields[i].name))
			table_row(t, (const char *[]){ sh->rec.fields[i].name,
			    sh->rec.fields[i].value });
	}
	for (size_t i = 0; i < sh->nrel; i++) {
		char *name = xasprintf("%s (%s)", sh->rel[i].from->name,
		    sh->rel[i].field->name);
		char *ids = ids_text(&sh->rel[i], 20);

		table_row(t, (const char *[]){ name, ids });
		free(name);
		free(ids);
	}
	free(created);
	free(updated);
}

static void
show_json(struct cmd_ctx *ctx, const struct show *sh)
{
	json_t *doc = json_object(), *fields = json_object(), *rel;
	const struct entity *e = sh->entity;

	json_object_set_new(doc, "entity", json_string(e->name));
	json_object_set_new(doc, "id", json_integer(sh->id));
	json_object_set_new(doc, "version", json_integer(sh->rec.version));
	json_object_set_new(doc, "created", json_integer(sh->rec.created /
	    1000000));
	json_object_set_new(doc, "created_by", json_string(
	    sh->rec.created_by ? sh->rec.created_by : ""));
	json_object_set_new(doc, "updated", json_integer(sh->rec.updated /
	    1000000));
	json_object_set_new(doc, "updated_by", json_string(
	    sh->rec.updated_by ? sh->rec.updated_by : ""));
	/* The form's order, then fields it does not know. */
	for (size_t i = 0; i < e->nfields; i++) {
		const struct field *f = &e->fields[i];
		const char *v = record_get(&sh->rec, f->name);

		if (*v != '\0' && (f->read_roles & ctx->role) != 0)
			json_object_set_new(fields, f->name, json_string(v));
	}
	for (size_t i = 0; i < sh->rec.n; i++) {
		if (!known_field(e, sh->rec.fields[i].name))
			json_object_set_new(fields, sh->rec.fields[i].name,
			    json_string(sh->rec.fields[i].value));
	}
	json_object_set_new(doc, "fields", fields);
	rel = json_object();
	for (size_t i = 0; i < sh->nrel; i++) {
		json_t *ids = json_array();
		char *key = xasprintf("%s.%s", sh->rel[i].from->name,
		    sh->rel[i].field->name);

		for (size_t j = 0; j < sh->rel[i].n; j++)
			json_array_append_new(ids, json_integer(
			    sh->rel[i].ids[j]));
		json_object_set_new(rel, key, ids);
		free(key);
	}
	json_object_set_new(doc, "related", rel);
	json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
	json_decref(doc);
}

int
cmd_show_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "field", "value", NULL };
	enum out_format fmt = OUT_TABLE;
	struct show sh;
	struct table t;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c != 'o')
			return EX_USAGE;
		if ((rc = cmd_format_option(ctx, optarg, &fmt)) != 0)
			return rc;
	}
	if (argc - optind != 2) {
		cmd_error(ctx, "usage: tcrm show ENTITY ID [--format F]");
		return EX_USAGE;
	}
	memset(&sh, 0, sizeof sh);
	if ((sh.entity = cmd_entity(ctx, argv[optind])) == NULL)
		return EX_USAGE;
	if (!cmd_parse_id(argv[optind + 1], &sh.id)) {
		cmd_error(ctx, _("'%s' is not a record id"), argv[optind + 1]);
		return EX_USAGE;
	}
	if (!entity_readable(sh.entity, ctx->role))
		return cmd_refuse(ctx, sh.entity, sh.id, "read",
		    _("the %s role may not read %s records"),
		    role_name(ctx->role), sh.entity->name);
	sh.role = ctx->role;
	record_init(&sh.rec);
	if ((rc = store_run(ctx->store, show_txn, &sh)) != ST_OK) {
		show_clear(&sh);
		return cmd_store_error(ctx, rc);
	}
	if (fmt == OUT_JSON)
		show_json(ctx, &sh);
	else {
		table_init(&t, header);
		show_rows(ctx, &sh, &t, fmt == OUT_TABLE);
		if (fmt == OUT_TABLE)
			printf("%s %u\n", sh.entity->name, sh.id);
		table_print(stdout, &t, fmt);
		table_free(&t);
	}
	show_clear(&sh);
	return 0;
}
