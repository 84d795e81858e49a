/* cmd-user.c - tcrm user: the people who sign in through tcrmd, with a
 * role, a team and public keys. Users are records of the "user" entity,
 * so every change is one transaction with its audit record. */
#include "tcrm.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Login names as ssh and useradd know them, so `ssh NAME@host` works. */
static bool
valid_login(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 32 || !(islower((unsigned char)*s) || *s == '_'))
		return false;
	for (; *s != '\0'; s++) {
		if (!islower((unsigned char)*s) && !isdigit((unsigned char)*s) &&
		    *s != '_' && *s != '.' && *s != '-')
			return false;
	}
	return true;
}

struct user_edit {
	struct cmd_ctx *ctx;
	const struct entity *entity;
	const char *name;
	bool create;
	struct record values;	/* normalised fields to set */
	struct strv add_keys;	/* canonical key lines */
	const char *remove;	/* a key selector */
	struct record result;
	char *removed;		/* the key line removed */
	int status;		/* exit status of a refusal found inside */
};

static void
edit_init(struct user_edit *ed, struct cmd_ctx *ctx, const char *name)
{
	memset(ed, 0, sizeof *ed);
	ed->ctx = ctx;
	ed->name = name;
	record_init(&ed->values);
	record_init(&ed->result);
	strv_init(&ed->add_keys);
}

static void
edit_free(struct user_edit *ed)
{
	record_free(&ed->values);
	record_free(&ed->result);
	strv_free(&ed->add_keys);
	free(ed->removed);
}

/* Normalise a value through the user form, as `tcrm set` would. */
static int
edit_value(struct user_edit *ed, const char *field, const char *in)
{
	const struct field *f = entity_field(ed->entity, field);
	char *out = NULL, *why = NULL;

	if (f == NULL) {
		cmd_error(ed->ctx, _("the user form has no field '%s'"), field);
		return EX_CONFIG;
	}
	if (field_normalise(f, in, &out, &why) != 0) {
		cmd_error(ed->ctx, "%s: %s", field, why);
		free(why);
		return EX_DATAERR;
	}
	record_set(&ed->values, field, *out ? out : "");
	if (*out == '\0' && strcmp(field, "team") != 0 &&
	    strcmp(field, "full_name") != 0) {
		free(out);
		cmd_error(ed->ctx, _("%s: a value is required"), field);
		return EX_DATAERR;
	}
	free(out);
	return 0;
}

static int
edit_key(struct user_edit *ed, const char *line)
{
	struct pubkey k;
	char *why = NULL;

	if (pubkey_parse(line, &k, &why) != 0) {
		char *safe = utf8_sanitize(line);

		cmd_error(ed->ctx, _("bad key '%.40s': %s"), safe, why);
		free(safe);
		free(why);
		return EX_DATAERR;
	}
	strv_pushf(&ed->add_keys, "%s %s%s%s", k.type, k.base64,
	    *k.comment ? " " : "", k.comment);
	pubkey_free(&k);
	return 0;
}

/* Every key line of a file ("-": standard input). */
static int
edit_key_file(struct user_edit *ed, const char *path)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char *line = NULL;
	size_t size = 0;
	int rc = 0, n = 0;

	if (fp == NULL) {
		cmd_error(ed->ctx, "%s: %s", path, strerror(errno));
		return EX_NOINPUT;
	}
	while (rc == 0 && getline(&line, &size, fp) != -1) {
		char *t = utf8_trim(line);

		if (*t != '\0' && *t != '#') {
			rc = edit_key(ed, t);
			n++;
		}
		free(t);
	}
	free(line);
	if (fp != stdin)
		fclose(fp);
	if (rc == 0 && n == 0) {
		cmd_error(ed->ctx, _("%s: no public key in the file"), path);
		rc = EX_DATAERR;
	}
	return rc;
}

static void
key_lines(const char *keys, struct strv *out)
{
	struct strv lines;

	strv_init(out);
	strv_init(&lines);
	strv_split(&lines, keys, "\n");
	for (size_t i = 0; i < lines.n; i++) {
		char *t = utf8_trim(lines.v[i]);

		if (*t != '\0')
			strv_push(out, t);
		free(t);
	}
	strv_free(&lines);
}

/* The key blob, which is what identifies a key. */
static char *
key_blob(const char *line)
{
	const char *p = line + strcspn(line, " \t");

	p += strspn(p, " \t");
	return xstrndup(p, strcspn(p, " \t"));
}

struct key_owner {
	const char *self;
	const char *blob;
	char *owner;
};

static int
key_owner_check(const struct record *r, void *arg)
{
	struct key_owner *ko = arg;
	struct strv lines;
	bool found = false;

	if (strcmp(record_get(r, "name"), ko->self) == 0)
		return 0;
	key_lines(record_get(r, "keys"), &lines);
	for (size_t i = 0; i < lines.n && !found; i++) {
		char *blob = key_blob(lines.v[i]);

		found = strcmp(blob, ko->blob) == 0;
		free(blob);
	}
	strv_free(&lines);
	if (found)
		ko->owner = xstrdup(record_get(r, "name"));
	return found;
}

/* One key, one person: the audit trail and the logs name whoever signs
 * in with it. */
static int
check_keys_free(struct store *s, struct txn *t, struct user_edit *ed)
{
	for (size_t i = 0; i < ed->add_keys.n; i++) {
		struct key_owner ko = { ed->name, NULL, NULL };
		char *blob = key_blob(ed->add_keys.v[i]);
		int rc;

		ko.blob = blob;
		rc = store_each(s, t, ed->entity, key_owner_check, &ko);
		free(blob);
		if (rc != ST_OK)
			return rc;
		if (ko.owner != NULL) {
			cmd_error(ed->ctx, _("key %zu already belongs to user "
			    "'%s'"), i + 1, ko.owner);
			free(ko.owner);
			ed->status = EX_DATAERR;
			return ST_INVALID;
		}
	}
	return ST_OK;
}

static void
append_keys(struct record *r, const struct strv *add)
{
	struct strv lines;
	char *joined;

	key_lines(record_get(r, "keys"), &lines);
	for (size_t i = 0; i < add->n; i++) {
		char *blob = key_blob(add->v[i]);
		bool have = false;

		for (size_t j = 0; j < lines.n && !have; j++) {
			char *other = key_blob(lines.v[j]);

			have = strcmp(blob, other) == 0;
			free(other);
		}
		if (!have)
			strv_push(&lines, add->v[i]);
		free(blob);
	}
	joined = strv_join(&lines, "\n");
	record_set(r, "keys", joined);
	free(joined);
	strv_free(&lines);
}

/* A key by its number in `user key list`, its fingerprint or its
 * comment; exactly one must match. */
static int
remove_key(struct user_edit *ed, struct record *r)
{
	struct strv lines, kept;
	char *end, *joined;
	long number = strtol(ed->remove, &end, 10);
	size_t hits = 0, hit = 0;

	key_lines(record_get(r, "keys"), &lines);
	for (size_t i = 0; i < lines.n; i++) {
		struct pubkey k;
		char *why = NULL;
		bool match = *end == '\0' && number == (long)i + 1;

		if (!match && pubkey_parse(lines.v[i], &k, &why) == 0) {
			match = strcmp(k.fingerprint, ed->remove) == 0 ||
			    strcmp(k.comment, ed->remove) == 0;
			pubkey_free(&k);
		}
		free(why);
		if (match) {
			hits++;
			hit = i;
		}
	}
	if (hits != 1) {
		cmd_error(ed->ctx, hits == 0 ? _("user '%s' has no key '%s'") :
		    _("user '%s': '%s' matches several keys; give its number "
		    "or fingerprint"), ed->name, ed->remove);
		strv_free(&lines);
		ed->status = hits == 0 ? EX_NOINPUT : EX_USAGE;
		return ST_INVALID;
	}
	strv_init(&kept);
	for (size_t i = 0; i < lines.n; i++) {
		if (i != hit)
			strv_push(&kept, lines.v[i]);
	}
	ed->removed = xstrdup(lines.v[hit]);
	joined = strv_join(&kept, "\n");
	record_set(r, "keys", joined);
	free(joined);
	strv_free(&kept);
	strv_free(&lines);
	return ST_OK;
}

static int
user_edit_txn(struct store *s, struct txn *t, void *arg)
{
	struct user_edit *ed = arg;
	int rc;

	record_free(&ed->result);
	ed->status = 0;
	if ((rc = check_keys_free(s, t, ed)) != ST_OK)
		return rc;
	if (ed->create) {
		record_init(&ed->result);
		record_copy(&ed->result, &ed->values);
		append_keys(&ed->result, &ed->add_keys);
		return store_create(s, t, ed->entity, &ed->result);
	}
	if ((rc = store_user_find(s, t, ed->name, &ed->result)) != ST_OK)
		return rc;
	for (size_t i = 0; i < ed->values.n; i++)
		record_set(&ed->result, ed->values.fields[i].name,
		    ed->values.fields[i].value);
	append_keys(&ed->result, &ed->add_keys);
	if (ed->remove != NULL && (rc = remove_key(ed, &ed->result)) != ST_OK)
		return rc;
	return store_update(s, t, ed->entity, &ed->result, 0);
}

static int
user_edit_run(struct user_edit *ed)
{
	int rc = store_run(ed->ctx->store, user_edit_txn, ed);

	if (rc == ST_OK)
		return 0;
	if (ed->status != 0)
		return ed->status;
	return cmd_store_error(ed->ctx, rc);
}

static int
user_entity(struct cmd_ctx *ctx, struct user_edit *ed)
{
	if ((ed->entity = store_user_entity(ctx->store)) == NULL) {
		cmd_error(ctx, "%s", store_error(ctx->store));
		return EX_CONFIG;
	}
	return 0;
}

static int
name_arg(struct cmd_ctx *ctx, const char *name)
{
	char *safe;

	if (valid_login(name))
		return 0;
	safe = utf8_sanitize(name);
	cmd_error(ctx, _("'%s' is not a login name (lower-case letters, "
	    "digits, '_', '.' and '-', up to 32, starting with a letter)"),
	    safe);
	free(safe);
	return EX_USAGE;
}

/* --role, --team, --name for add and set. */
static int
edit_option(struct user_edit *ed, int c, const char *arg)
{
	switch (c) {
	case 'r':
		return edit_value(ed, "role", arg);
	case 't':
		return edit_value(ed, "team", arg);
	case 'n':
		return edit_value(ed, "full_name", arg);
	case 'k':
		return edit_key(ed, arg);
	case 'K':
		return edit_key_file(ed, arg);
	default:
		return EX_USAGE;
	}
}

static int
user_add_or_set(struct cmd_ctx *ctx, int argc, char **argv, bool create)
{
	static const struct option opts[] = {
		{ "role", required_argument, NULL, 'r' },
		{ "team", required_argument, NULL, 't' },
		{ "name", required_argument, NULL, 'n' },
		{ "key", required_argument, NULL, 'k' },
		{ "key-file", required_argument, NULL, 'K' },
		{ NULL, 0, NULL, 0 }
	};
	struct user_edit ed;
	int c, rc;

	edit_init(&ed, ctx, NULL);
	ed.create = create;
	if ((rc = user_entity(ctx, &ed)) != 0)
		goto out;
	optind = 0;
	while ((c = getopt_long(argc, argv, create ? "r:t:n:k:K:" : "r:t:n:",
	    opts, NULL)) != -1) {
		if (!create && (c == 'k' || c == 'K'))
			c = '?';
		if ((rc = edit_option(&ed, c, optarg)) != 0)
			goto out;
	}
	rc = EX_USAGE;
	if (argc - optind != 1) {
		cmd_error(ctx, "usage: tcrm %s %s", ctx->name, create ?
		    "NAME --role ROLE [--team T] [--name FULL] [--key KEY]" :
		    "NAME [--role ROLE] [--team T] [--name FULL]");
		goto out;
	}
	ed.name = argv[optind];
	if ((rc = name_arg(ctx, ed.name)) != 0)
		goto out;
	if (create && *record_get(&ed.values, "role") == '\0') {
		cmd_error(ctx, _("give the user a role: --role agent, "
		    "supervisor or admin"));
		rc = EX_USAGE;
		goto out;
	}
	if (!create && ed.values.n == 0) {
		cmd_error(ctx, _("nothing to change: give --role, --team or "
		    "--name"));
		rc = EX_USAGE;
		goto out;
	}
	if (create)
		record_set(&ed.values, "name", ed.name);
	if ((rc = user_edit_run(&ed)) == 0)
		printf("user %s: %s, %s%s%s\n", ed.name, create ? "added" :
		    "changed", record_get(&ed.result, "role"),
		    *record_get(&ed.result, "team") ? ", team " : "",
		    record_get(&ed.result, "team"));
out:
	edit_free(&ed);
	return rc;
}

int
cmd_user_add_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return user_add_or_set(ctx, argc, argv, true);
}

int
cmd_user_set_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return user_add_or_set(ctx, argc, argv, false);
}

static int
user_flag(struct cmd_ctx *ctx, int argc, char **argv, const char *disabled)
{
	struct user_edit ed;
	int rc;

	if (argc != 2) {
		cmd_error(ctx, "usage: tcrm %s NAME", ctx->name);
		return EX_USAGE;
	}
	edit_init(&ed, ctx, argv[1]);
	if ((rc = user_entity(ctx, &ed)) == 0) {
		record_set(&ed.values, "disabled", disabled);
		if ((rc = user_edit_run(&ed)) == 0)
			printf("user %s: %s\n", ed.name,
			    strcmp(disabled, "true") == 0 ? "disabled" :
			    "enabled");
	}
	edit_free(&ed);
	return rc;
}

int
cmd_user_disable_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return user_flag(ctx, argc, argv, "true");
}

int
cmd_user_enable_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	return user_flag(ctx, argc, argv, "false");
}

static int
key_list(struct cmd_ctx *ctx, const char *name, enum out_format fmt)
{
	static const char *const header[] = { "n", "type", "fingerprint",
	    "comment", NULL };
	struct user u;
	struct table t;
	int rc;

	if ((rc = store_user_get(ctx->store, name, &u)) != ST_OK)
		return cmd_store_error(ctx, rc);
	table_init(&t, header);
	for (size_t i = 0; i < u.keys.n; i++) {
		struct pubkey k;
		char n[24], *why = NULL;

		snprintf(n, sizeof n, "%zu", i + 1);
		if (pubkey_parse(u.keys.v[i], &k, &why) != 0) {
			table_row(&t, (const char *[]){ n, "?", why, "" });
			free(why);
			continue;
		}
		table_row(&t, (const char *[]){ n, k.type, k.fingerprint,
		    k.comment });
		pubkey_free(&k);
	}
	table_print(stdout, &t, fmt);
	table_free(&t);
	user_free(&u);
	return 0;
}

static int
key_add(struct cmd_ctx *ctx, int argc, char **argv)
{
	struct user_edit ed;
	int rc = 0;

	edit_init(&ed, ctx, argv[0]);
	if ((rc = user_entity(ctx, &ed)) != 0)
		goto out;
	for (int i = 1; i < argc && rc == 0; i++) {
		if (strcmp(argv[i], "--key-file") == 0 && i + 1 < argc)
			rc = edit_key_file(&ed, argv[++i]);
		else if (strncmp(argv[i], "--key-file=", 11) == 0)
			rc = edit_key_file(&ed, argv[i] + 11);
		else
			rc = edit_key(&ed, argv[i]);
	}
	if (rc == 0 && ed.add_keys.n == 0) {
		cmd_error(ctx, _("which key? give KEY or --key-file FILE"));
		rc = EX_USAGE;
	}
	if (rc == 0 && (rc = user_edit_run(&ed)) == 0)
		printf("user %s: %zu key%s added\n", ed.name, ed.add_keys.n,
		    ed.add_keys.n == 1 ? "" : "s");
out:
	edit_free(&ed);
	return rc;
}

static int
key_remove(struct cmd_ctx *ctx, const char *name, const char *which)
{
	struct user_edit ed;
	int rc;

	edit_init(&ed, ctx, name);
	ed.remove = which;
	if ((rc = user_entity(ctx, &ed)) == 0 &&
	    (rc = user_edit_run(&ed)) == 0) {
		printf("user %s: removed ", name);
		out_safe(stdout, ed.removed);
		putchar('\n');
	}
	edit_free(&ed);
	return rc;
}

int
cmd_user_key_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	enum out_format fmt = OUT_TABLE;
	const char *verb = argc > 1 ? argv[1] : "";
	int rc;

	if (strcmp(verb, "list") == 0 && argc >= 3) {
		if (argc == 5 && strcmp(argv[3], "--format") == 0 &&
		    (rc = cmd_format_option(ctx, argv[4], &fmt)) != 0)
			return rc;
		if (argc == 3 || argc == 5)
			return key_list(ctx, argv[2], fmt);
	} else if (strcmp(verb, "add") == 0 && argc >= 3)
		return key_add(ctx, argc - 2, argv + 2);
	else if (strcmp(verb, "remove") == 0 && argc == 4)
		return key_remove(ctx, argv[2], argv[3]);
	cmd_error(ctx, "usage: tcrm user key add NAME KEY... | add NAME "
	    "--key-file FILE | remove NAME N|FINGERPRINT|COMMENT | list NAME");
	return EX_USAGE;
}

struct user_rows {
	struct table *t;
};

static int
user_row(const struct record *r, void *arg)
{
	struct user_rows *ur = arg;
	struct user u;
	char keys[24];

	user_from_record(r, &u);
	snprintf(keys, sizeof keys, "%zu", u.keys.n);
	table_row(ur->t, (const char *[]){ u.name, record_get(r, "full_name"),
	    role_name(u.role), u.team, u.disabled ? "disabled" : "enabled",
	    keys });
	user_free(&u);
	return 0;
}

struct user_list {
	const struct entity *entity;
	struct table t;
};

static int
user_list_txn(struct store *s, struct txn *t, void *arg)
{
	struct user_list *ul = arg;
	struct user_rows ur = { &ul->t };
	static const char *const header[] = { "name", "full_name", "role",
	    "team", "status", "keys", NULL };

	table_free(&ul->t);
	table_init(&ul->t, header);
	return store_each(s, t, ul->entity, user_row, &ur);
}

int
cmd_user_list_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { NULL };
	enum out_format fmt = OUT_TABLE;
	struct user_list ul;
	int c, rc;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
		if (c != 'o')
			return EX_USAGE;
		if ((rc = cmd_format_option(ctx, optarg, &fmt)) != 0)
			return rc;
	}
	if (optind != argc) {
		cmd_error(ctx, "usage: tcrm user list [--format F]");
		return EX_USAGE;
	}
	if ((ul.entity = store_user_entity(ctx->store)) == NULL) {
		cmd_error(ctx, "%s", store_error(ctx->store));
		return EX_CONFIG;
	}
	table_init(&ul.t, header);
	if ((rc = store_run(ctx->store, user_list_txn, &ul)) != ST_OK) {
		table_free(&ul.t);
		return cmd_store_error(ctx, rc);
	}
	table_print(stdout, &ul.t, fmt);
	table_free(&ul.t);
	return 0;
}

/* The owner of the environment directory (and root) can read its files
 * anyway, so a local tcrm run by them is admin, unless TCRM_USER asks to
 * act as a given user. Anyone else (the sshd ForceCommand or login-shell
 * setup) must be an enabled user in the store. */
static bool
owns_environment(const struct cmd_ctx *ctx)
{
	struct stat st;
	uid_t uid = geteuid();

	if (uid == 0 || ctx->home == NULL)
		return true;
	if (stat(ctx->home, &st) != 0)
		return errno == ENOENT;
	return st.st_uid == uid;
}

int
cmd_identify(struct cmd_ctx *ctx, const char *login, const char *as)
{
	struct user u;
	int rc;

	ctx->user = login;
	ctx->role = ROLE_ADMIN;
	if (owns_environment(ctx) && (as == NULL || *as == '\0'))
		return 0;
	if (as != NULL && *as != '\0' && owns_environment(ctx))
		ctx->user = as;
	ctx->role = 0;
	if ((rc = cmd_open(ctx)) != 0)
		return rc;
	if ((rc = store_user_get(ctx->store, ctx->user, &u)) != ST_OK) {
		if (rc != ST_NOTFOUND && rc != ST_INVALID)
			return cmd_store_error(ctx, rc);
		return cmd_refuse(ctx, NULL, 0, "login", _("%s is not a tcrm "
		    "user (an admin adds one: tcrm user add %s --role agent)"),
		    ctx->user, ctx->user);
	}
	rc = 0;
	if (u.disabled)
		rc = cmd_refuse(ctx, NULL, 0, "login", _("user %s is disabled"),
		    ctx->user);
	ctx->role = u.role;
	user_free(&u);
	return rc;
}
