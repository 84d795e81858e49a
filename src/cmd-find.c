/* cmd-find.c - tcrm find: one query over phones, emails and names. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int
cmd_find_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "form", required_argument, NULL, 'f' },
		{ "limit", required_argument, NULL, 'n' },
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "form", "id", "name", "company",
	    "phones", "email", NULL };
	const struct entity *only = NULL;
	enum out_format fmt = OUT_TABLE;
	struct strv words;
	struct table t;
	struct hits hits;
	char *query;
	size_t limit = 20;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "f:n:o:", opts, NULL)) != -1) {
		switch (c) {
		case 'f':
			if ((only = cmd_entity(ctx, optarg)) == NULL)
				return EX_USAGE;
			if (!entity_readable(only, ctx->role))
				return cmd_refuse(ctx, only, 0, "read",
				    _("the %s role may not read %s records"),
				    role_name(ctx->role), only->name);
			break;
		case 'n':
			if ((rc = cmd_limit_option(ctx, optarg, 100000,
			    &limit)) != 0)
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
	if (optind >= argc) {
		cmd_error(ctx, _("what to find? usage: tcrm find QUERY"));
		return EX_USAGE;
	}
	strv_init(&words);
	for (int i = optind; i < argc; i++)
		strv_push(&words, argv[i]);
	query = strv_join(&words, " ");
	strv_free(&words);
	rc = store_find(ctx->store, query, only, limit, &hits);
	free(query);
	if (rc != ST_OK)
		return cmd_store_error(ctx, rc);
	table_init(&t, header);
	for (size_t i = 0; i < hits.n; i++) {
		struct hit *h = &hits.v[i];
		char id[16];
		const char *cells[6];

		if (!entity_readable(h->entity, ctx->role))
			continue;
		hit_hide_unreadable(h, ctx->role);
		snprintf(id, sizeof id, "%u", h->id);
		cells[0] = h->entity->name;
		cells[1] = id;
		cells[2] = h->title;
		cells[3] = h->subtitle;
		cells[4] = h->phones;
		cells[5] = h->email;
		table_row(&t, cells);
	}
	if (t.nrows > 0 || fmt != OUT_TABLE)
		table_print(stdout, &t, fmt);
	else
		fprintf(stderr, "%s\n", _("no match"));
	table_free(&t);
	hits_free(&hits);
	return 0;
}
