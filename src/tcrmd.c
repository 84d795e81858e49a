/* tcrmd.c - main of the SSH server: settings, forms, the host key, the
 * first admin, then the listener. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <locale.h>
#include <pwd.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DEFAULT_CONFIG SYSCONFDIR "/tcrmd.conf"

static TCRM_ATTR_NORETURN void
usage(int status)
{
	fprintf(status ? stderr : stdout, "%s\n", "usage: tcrmd [-D] [-p PORT] "
	    "[-a ADDR] [-h HOME] [-k HOSTKEY] [-f CONFIG] [-o KEY=VALUE]\n"
	    "       tcrmd [-h HOME] [-f CONFIG] --init-admin KEYFILE "
	    "[--admin-name NAME]\n"
	    "       tcrmd --version");
	exit(status);
}

static void
mkdirs(const char *path)
{
	char *p = xstrdup(path);

	for (char *q = p + 1; *q != '\0'; q++) {
		if (*q != '/')
			continue;
		*q = '\0';
		mkdir(p, 0700);
		*q = '/';
	}
	mkdir(p, 0700);
	free(p);
}

/* As tcrm: --home, TCRM_HOME, ~/.local/share/tcrm; made absolute, since
 * a daemon runs from /. */
static char *
resolve_home(const char *given)
{
	const char *env = getenv("TCRM_HOME"), *h;
	char *home, real[PATH_MAX];
	struct passwd *pw;

	if (given != NULL)
		home = xstrdup(given);
	else if (env != NULL && *env != '\0')
		home = xstrdup(env);
	else {
		h = getenv("HOME");
		if ((h == NULL || *h == '\0') && (pw = getpwuid(getuid())))
			h = pw->pw_dir;
		home = xasprintf("%s/.local/share/tcrm", h ? h : "/tmp");
	}
	mkdirs(home);
	if (realpath(home, real) != NULL) {
		free(home);
		home = xstrdup(real);
	}
	return home;
}

static int
write_pubkey(ssh_key key, const char *path)
{
	char *b64 = NULL, *line, host[256] = "tcrmd";
	FILE *fp;
	int rc = -1;

	if (ssh_pki_export_pubkey_base64(key, &b64) != SSH_OK)
		return -1;
	gethostname(host, sizeof host - 1);
	line = xasprintf("%s %s tcrmd@%s\n",
	    ssh_key_type_to_char(ssh_key_type(key)), b64, host);
	if ((fp = fopen(path, "w")) != NULL) {
		rc = fputs(line, fp) < 0 ? -1 : 0;
		if (fclose(fp) != 0)
			rc = -1;
	}
	ssh_string_free_char(b64);
	free(line);
	return rc;
}

/* Made once, mode 0600, and reused ever after: a new host key would break
 * every client's known_hosts. Written beside and renamed into place, so
 * a crash never leaves half a key. */
static int
host_key(const char *path)
{
	char *tmp, *pub, *fp;
	ssh_key key = NULL;
	int fd, rc = -1;

	if (access(path, F_OK) == 0) {
		if (ssh_pki_import_privkey_file(path, NULL, NULL, NULL, &key) !=
		    SSH_OK) {
			fprintf(stderr, "tcrmd: %s: not a private key libssh "
			    "can read\n", path);
			return -1;
		}
		fp = pubkey_fingerprint(key);
		server_log(LOG_INFO, "host key %s %s", path, fp);
		free(fp);
		ssh_key_free(key);
		return 0;
	}
	tmp = xasprintf("%s.new", path);
	pub = xasprintf("%s.pub", path);
	unlink(tmp);
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0600)) < 0) {
		fprintf(stderr, "tcrmd: %s: %s\n", tmp, strerror(errno));
		goto out;
	}
	close(fd);
	if (ssh_pki_generate(SSH_KEYTYPE_ED25519, 0, &key) != SSH_OK ||
	    ssh_pki_export_privkey_file(key, NULL, NULL, NULL, tmp) !=
	    SSH_OK || chmod(tmp, 0600) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "tcrmd: %s: cannot make a host key\n", path);
		unlink(tmp);
		goto out;
	}
	write_pubkey(key, pub);
	fp = pubkey_fingerprint(key);
	server_log(LOG_NOTICE, "new host key %s %s", path, fp);
	free(fp);
	rc = 0;
out:
	ssh_key_free(key);
	free(tmp);
	free(pub);
	return rc;
}

static struct forms *
load_forms(const struct server_config *cfg)
{
	struct cmd_ctx ctx;
	struct forms *forms = NULL;
	struct strv diags;
	char *dir;

	memset(&ctx, 0, sizeof ctx);
	ctx.home = cfg->home;
	ctx.forms_dir = cfg->forms_dir;
	dir = cmd_forms_dir(&ctx);
	strv_init(&diags);
	if (forms_load(dir, &forms, &diags) != 0) {
		for (size_t i = 0; i < diags.n; i++)
			fprintf(stderr, "%s\n", diags.v[i]);
		fprintf(stderr, "tcrmd: %s: %zu error%s in the form "
		    "definitions\n", dir, diags.n, diags.n == 1 ? "" : "s");
		forms = NULL;
	}
	strv_free(&diags);
	free(dir);
	return forms;
}

/* -o KEY=VALUE, and the short options as settings, applied after the
 * file so the command line wins. */
static void
add_override(struct strv *o, const char *key, const char *value)
{
	strv_push(o, key);
	strv_push(o, value);
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "init-admin", required_argument, NULL, 'I' },
		{ "admin-name", required_argument, NULL, 'N' },
		{ "forms", required_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'H' },
		{ NULL, 0, NULL, 0 }
	};
	struct server_config cfg;
	struct strv over, errors;
	const char *config = NULL, *init_admin = NULL, *admin_name = NULL;
	struct forms *forms;
	char *eq, *err;
	bool foreground = false;
	int c, rc;

	setlocale(LC_ALL, "");
	strv_init(&over);
	strv_init(&errors);
	while ((c = getopt_long(argc, argv, "Dp:a:h:k:f:o:", opts, NULL)) !=
	    -1) {
		switch (c) {
		case 'D':
			foreground = true;
			break;
		case 'p':
			add_override(&over, "port", optarg);
			break;
		case 'a':
			add_override(&over, "listen", optarg);
			break;
		case 'h':
			add_override(&over, "home", optarg);
			break;
		case 'k':
			add_override(&over, "host-key", optarg);
			break;
		case 'F':
			add_override(&over, "forms", optarg);
			break;
		case 'f':
			config = optarg;
			break;
		case 'o':
			if ((eq = strchr(optarg, '=')) == NULL)
				usage(EX_USAGE);
			*eq = '\0';
			add_override(&over, optarg, eq + 1);
			break;
		case 'I':
			init_admin = optarg;
			break;
		case 'N':
			admin_name = optarg;
			break;
		case 'V':
			printf("tcrmd %s\n", PACKAGE_VERSION);
			return 0;
		case 'H':
			usage(0);
		default:
			usage(EX_USAGE);
		}
	}
	if (optind != argc)
		usage(EX_USAGE);
	server_config_init(&cfg);
	server_config_load(&cfg, config ? config : DEFAULT_CONFIG,
	    config != NULL, &errors);
	for (size_t i = 0; i + 1 < over.n; i += 2) {
		if (server_config_set(&cfg, over.v[i], over.v[i + 1], &err) !=
		    0) {
			strv_pushf(&errors, "-o %s: %s", over.v[i], err);
			free(err);
		}
	}
	for (size_t i = 0; i < errors.n; i++)
		fprintf(stderr, "tcrmd: %s\n", errors.v[i]);
	if (errors.n > 0) {
		server_config_free(&cfg);
		strv_free(&over);
		strv_free(&errors);
		return EX_CONFIG;
	}
	cfg.foreground = foreground || init_admin != NULL;
	{
		char *home = resolve_home(cfg.home);

		free(cfg.home);
		cfg.home = home;
	}
	if (cfg.host_key == NULL)
		cfg.host_key = xasprintf("%s/ssh_host_ed25519_key", cfg.home);
	if ((forms = load_forms(&cfg)) == NULL) {
		server_config_free(&cfg);
		strv_free(&over);
		strv_free(&errors);
		return EX_CONFIG;
	}
	server_log_open(cfg.foreground);
	if (init_admin != NULL)
		rc = server_first_admin(&cfg, forms, admin_name ? admin_name :
		    cfg.admin_name, init_admin, false);
	else if (host_key(cfg.host_key) != 0)
		rc = EX_CANTCREAT;
	else if (cfg.admin_key == NULL || (rc = server_first_admin(&cfg, forms,
	    cfg.admin_name, cfg.admin_key, true)) == 0)
		rc = server_listen(&cfg, &forms);
	forms_free(forms);
	server_config_free(&cfg);
	strv_free(&over);
	strv_free(&errors);
	return rc;
}
