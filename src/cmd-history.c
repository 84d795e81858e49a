/* cmd-history.c - tcrm history: the audit trail, one row per changed
 * field, oldest first. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

struct history {
	struct audit *v;	/* a ring of the newest `limit` entries, or
				 * (whole trail) the newest first */
	size_t limit;
	size_t seen;
	const struct forms *forms;
	unsigned role;
	bool newest_first;
};

/* The trail shows old and new values: it may show only what the role may
 * read, so records and fields it may not read are left out. */
static bool
history_visible(const struct history *h, const struct audit *a,
    const struct change *c)
{
	const struct entity *e = forms_entity(h->forms, a->entity);
	const struct field *f;

	if (e == NULL)
		return true;
	if (!entity_readable(e, h->role))
		return false;
	if (c == NULL || (f = entity_field(e, c->field)) == NULL)
		return true;
	return field_readable(f, h->role);
}

static int
history_keep(const struct audit *a, void *arg)
{
	struct history *h = arg;
	struct audit *slot = &h->v[h->seen % h->limit];

	if (h->newest_first && h->seen == h->limit)
		return 1;
	if (!history_visible(h, a, NULL))
		return 0;
	audit_free(slot);
	*slot = *a;
	/* Take ownership: the walker frees its copy, so duplicate. */
	slot->user = xstrdup(a->user);
	slot->action = xstrdup(a->action);
	slot->entity = xstrdup(a->entity);
	slot->import_id = a->import_id ? xstrdup(a->import_id) : NULL;
	slot->changes = xcalloc(a->nchanges, sizeof *slot->changes);
	slot->nchanges = 0;
	for (size_t i = 0; i < a->nchanges; i++) {
		struct change *c = &slot->changes[slot->nchanges];

		if (!history_visible(h, a, &a->changes[i]))
			continue;
		c->field = xstrdup(a->changes[i].field);
		c->old = xstrdup(a->changes[i].old);
		c->new = xstrdup(a->changes[i].new);
		slot->nchanges++;
	}
	h->seen++;
	return h->newest_first && h->seen == h->limit;
}

static void
history_row(struct table *t, const struct audit *a, const struct change *c)
{
	time_t when = (time_t)(a->time / 1000000);
	char stamp[32], record[64], version[16];
	struct tm tm;

	localtime_r(&when, &tm);
	strftime(stamp, sizeof stamp, "%Y-%m-%d %H:%M:%S", &tm);
	snprintf(record, sizeof record, "%s %u", a->entity, a->id);
	snprintf(version, sizeof version, "%u", a->version);
	table_row(t, (const char *[]){ stamp, a->user, a->action, record,
	    version, c ? c->field : "", c ? c->old : "", c ? c->new : "",
	    a->import_id ? a->import_id : "" });
}

int
cmd_history_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "time", "user", "action",
	    "record", "version", "field", "old", "new", "import", NULL };
	enum out_format fmt = OUT_TABLE;
	const struct entity *e = NULL;
	struct history h = { NULL, 1000, 0, ctx->forms, ctx->role, false };
	struct table t;
	uint32_t id = 0;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "n:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'n':
			if ((rc = cmd_limit_option(ctx, optarg, 1000000,
			    &h.limit)) != 0)
				return rc;
			break;
		case 'o':
			if ((rc = cmd_format_option(ctx, optarg, &fmt)) != 0)
				return rc;
			break;
		default:
			return EX_USAGE;
		}
	}
	if (argc - optind != 0 && argc - optind != 2) {
		cmd_error(ctx, "usage: tcrm history [ENTITY ID]");
		return EX_USAGE;
	}
	if (argc - optind == 2) {
		if ((e = cmd_entity(ctx, argv[optind])) == NULL)
			return EX_USAGE;
		if (!cmd_parse_id(argv[optind + 1], &id)) {
			cmd_error(ctx, _("'%s' is not a record id"),
			    argv[optind + 1]);
			return EX_USAGE;
		}
		if (!entity_readable(e, ctx->role))
			return cmd_refuse(ctx, e, id, "read",
			    _("the %s role may not read %s records"),
			    role_name(ctx->role), e->name);
	}
	h.v = xcalloc(h.limit, sizeof *h.v);
	h.newest_first = e == NULL;
	rc = store_history(ctx->store, e ? e->name : NULL, id, history_keep,
	    &h);
	if (rc != ST_OK) {
		rc = cmd_store_error(ctx, rc);
		goto out;
	}
	table_init(&t, header);
	for (size_t i = h.seen > h.limit ? h.seen - h.limit : 0; i < h.seen;
	    i++) {
		const struct audit *a = h.newest_first ?
		    &h.v[h.seen - 1 - i] : &h.v[i % h.limit];

		if (a->nchanges == 0)
			history_row(&t, a, NULL);
		for (size_t j = 0; j < a->nchanges; j++)
			history_row(&t, a, &a->changes[j]);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
out:
	for (size_t i = 0; i < h.limit; i++)
		audit_free(&h.v[i]);
	free(h.v);
	return rc;
}
