/* cmd-import.c - tcrm import: options in, the import engine, a status out. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
	OPT_FORM = 256,
	OPT_FORMAT,
	OPT_ENCODING,
	OPT_DELIMITER,
	OPT_MAP,
	OPT_IGNORE,
	OPT_KEEP_UNKNOWN,
	OPT_DRY_RUN,
	OPT_PARTIAL,
	OPT_AGAIN,
	OPT_REJECT,
	OPT_KEY,
	OPT_ON_DUP,
	OPT_BATCH,
	OPT_LINK,
	OPT_LIST,
	OPT_REVERT,
	OPT_FORCE,
	OPT_OUTFORMAT,
	OPT_DEFAULT
};

static const struct option import_options[] = {
	{ "form", required_argument, NULL, OPT_FORM },
	{ "format", required_argument, NULL, OPT_FORMAT },
	{ "encoding", required_argument, NULL, OPT_ENCODING },
	{ "delimiter", required_argument, NULL, OPT_DELIMITER },
	{ "map", required_argument, NULL, OPT_MAP },
	{ "ignore", required_argument, NULL, OPT_IGNORE },
	{ "keep-unknown", no_argument, NULL, OPT_KEEP_UNKNOWN },
	{ "dry-run", no_argument, NULL, OPT_DRY_RUN },
	{ "partial", no_argument, NULL, OPT_PARTIAL },
	{ "again", no_argument, NULL, OPT_AGAIN },
	{ "reject", required_argument, NULL, OPT_REJECT },
	{ "key", required_argument, NULL, OPT_KEY },
	{ "on-duplicate", required_argument, NULL, OPT_ON_DUP },
	{ "batch", required_argument, NULL, OPT_BATCH },
	{ "link", required_argument, NULL, OPT_LINK },
	{ "default", required_argument, NULL, OPT_DEFAULT },
	{ "list", no_argument, NULL, OPT_LIST },
	{ "revert", required_argument, NULL, OPT_REVERT },
	{ "force", no_argument, NULL, OPT_FORCE },
	{ "output", required_argument, NULL, OPT_OUTFORMAT },
	{ NULL, 0, NULL, 0 }
};

static int
parse_delimiter(struct cmd_ctx *ctx, const char *s, int *d)
{
	if (strcmp(s, "\\t") == 0 || strcmp(s, "tab") == 0)
		*d = '\t';
	else if (strlen(s) == 1 && s[0] != '"' && s[0] != '\n' && s[0] != '\r')
		*d = (unsigned char)s[0];
	else {
		cmd_error(ctx, _("--delimiter wants one character, not '%s'"),
		    s);
		return EX_USAGE;
	}
	return 0;
}

static int
parse_on_dup(struct cmd_ctx *ctx, const char *s, enum on_duplicate *d)
{
	if (strcmp(s, "update") == 0)
		*d = DUP_UPDATE;
	else if (strcmp(s, "skip") == 0)
		*d = DUP_SKIP;
	else if (strcmp(s, "fail") == 0)
		*d = DUP_FAIL;
	else {
		cmd_error(ctx, _("--on-duplicate is update, skip or fail, not "
		    "'%s'"), s);
		return EX_USAGE;
	}
	return 0;
}

static void
opts_free(struct import_opts *o)
{
	strv_free(&o->maps);
	strv_free(&o->ignores);
	strv_free(&o->keys);
	strv_free(&o->links);
	strv_free(&o->defaults);
	free(o->options_text);
}

struct import_cli {
	struct import_opts o;
	const char *form;
	const char *format;
	const char *revert;
	bool list;
	bool force;
	enum out_format out;
	struct buf text;	/* the options that make an import what it is */
};

static int
parse_one(struct cmd_ctx *ctx, struct import_cli *c, int opt)
{
	char *end;
	long n;

	if (opt != OPT_DRY_RUN && opt != OPT_REJECT && opt != OPT_LIST &&
	    opt != OPT_REVERT && opt != OPT_FORCE && opt != OPT_OUTFORMAT)
		buf_printf(&c->text, "%d=%s;", opt, optarg ? optarg : "");
	switch (opt) {
	case OPT_FORM:
		c->form = optarg;
		return 0;
	case OPT_FORMAT:
		c->format = optarg;
		return 0;
	case OPT_ENCODING:
		c->o.encoding = optarg;
		return 0;
	case OPT_DELIMITER:
		return parse_delimiter(ctx, optarg, &c->o.delimiter);
	case OPT_MAP:
		if (strchr(optarg, '=') == NULL) {
			cmd_error(ctx, _("--map wants COLUMN=FIELD or "
			    "A+B=FIELD, not '%s'"), optarg);
			return EX_USAGE;
		}
		strv_push(&c->o.maps, optarg);
		return 0;
	case OPT_IGNORE:
		strv_push(&c->o.ignores, optarg);
		return 0;
	case OPT_KEEP_UNKNOWN:
		c->o.keep_unknown = true;
		return 0;
	case OPT_DRY_RUN:
		c->o.dry_run = true;
		return 0;
	case OPT_PARTIAL:
		c->o.partial = true;
		return 0;
	case OPT_AGAIN:
		c->o.again = true;
		return 0;
	case OPT_REJECT:
		c->o.reject_path = optarg;
		return 0;
	case OPT_KEY:
		strv_push(&c->o.keys, optarg);
		return 0;
	case OPT_ON_DUP:
		return parse_on_dup(ctx, optarg, &c->o.on_dup);
	case OPT_BATCH:
		n = strtol(optarg, &end, 10);
		if (*end != '\0' || n < 1 || n > 100000) {
			cmd_error(ctx, _("--batch wants a number from 1 to "
			    "100000, not '%s'"), optarg);
			return EX_USAGE;
		}
		c->o.batch = (size_t)n;
		return 0;
	case OPT_LINK:
		strv_push(&c->o.links, optarg);
		return 0;
	case OPT_DEFAULT:
		if (strchr(optarg, '=') == NULL || *optarg == '=') {
			cmd_error(ctx, _("--default wants FIELD=VALUE, not "
			    "'%s'"), optarg);
			return EX_USAGE;
		}
		strv_push(&c->o.defaults, optarg);
		return 0;
	case OPT_LIST:
		c->list = true;
		return 0;
	case OPT_REVERT:
		c->revert = optarg;
		return 0;
	case OPT_FORCE:
		c->force = true;
		return 0;
	case OPT_OUTFORMAT:
		return cmd_format_option(ctx, optarg, &c->out);
	default:
		cmd_error(ctx, "usage: tcrm import [FILE|-] --form ENTITY "
		    "[options]; see tcrm(1)");
		return EX_USAGE;
	}
}

/* The same flags in any order make the same import (for resuming). */
static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *
canonical(struct buf *text)
{
	struct strv parts;
	char *out;

	strv_init(&parts);
	strv_split(&parts, text->data ? text->data : "", ";");
	if (parts.n > 1)
		qsort(parts.v, parts.n, sizeof *parts.v, cmp_str);
	out = strv_join(&parts, ";");
	strv_free(&parts);
	return out;
}

int
cmd_import_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct import_cli c;
	struct import_stats st;
	const struct entity *e;
	int opt, rc = 0;

	memset(&c, 0, sizeof c);
	buf_init(&c.text);
	c.o.batch = 2000;
	c.o.file = "-";
	optind = 0;
	while ((opt = getopt_long(argc, argv, "", import_options, NULL)) != -1)
		if ((rc = parse_one(ctx, &c, opt)) != 0)
			goto out;
	if (c.list) {
		rc = import_list(ctx, c.out);
		goto out;
	}
	if (c.revert != NULL) {
		if (ctx->role != ROLE_ADMIN) {
			cmd_error(ctx, _("only an admin may revert an import"));
			rc = EX_NOPERM;
		} else
			rc = import_revert(ctx, c.revert, c.force);
		goto out;
	}
	if (argc - optind > 1) {
		cmd_error(ctx, _("one file at a time (or - for standard input)"));
		rc = EX_USAGE;
		goto out;
	}
	if (argc - optind == 1)
		c.o.file = argv[optind];
	if (c.form == NULL) {
		cmd_error(ctx, _("which form? add --form ENTITY (customer, "
		    "contact, ...)"));
		rc = EX_USAGE;
		goto out;
	}
	if ((e = cmd_entity(ctx, c.form)) == NULL) {
		rc = EX_USAGE;
		goto out;
	}
	if (c.format != NULL) {
		if (import_format_parse(c.format, &c.o.format) != 0) {
			cmd_error(ctx, _("unknown format '%s' (csv, tsv, jsonl, "
			    "yaml or vcard)"), c.format);
			rc = EX_USAGE;
			goto out;
		}
	} else if (!import_format_by_name(c.o.file, &c.o.format)) {
		c.o.format = FMT_CSV;
		c.o.sniff = true;
	}
	c.o.progress = isatty(2) && !c.o.dry_run;
	c.o.options_text = canonical(&c.text);
	rc = import_run(ctx, e, &c.o, &st);
out:
	buf_free(&c.text);
	opts_free(&c.o);
	return rc;
}
