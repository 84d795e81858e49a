/* tcrm.c - main: global options, then a command from the table (or, with
 * no command, the desk). */
#include "tcrm.h"

#include <getopt.h>
#include <langinfo.h>
#include <locale.h>
#include <pwd.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static TCRM_ATTR_NORETURN void
usage(int status)
{
	fprintf(status ? stderr : stdout, "%s\n", _("usage: tcrm [--home DIR] "
	    "[--forms DIR] [COMMAND [ARGS...]]\n       tcrm --version\n"
	    "       tcrm help [COMMAND]"));
	exit(status);
}

/* Locally the user is the login name (TCRM_USER overrides, as tcrmd sets
 * it for its sessions). */
static const char *
current_user(void)
{
	const char *u = getenv("TCRM_USER");
	struct passwd *pw;

	if (u != NULL && *u != '\0')
		return u;
	if ((pw = getpwuid(geteuid())) != NULL)
		return pw->pw_name;
	return "unknown";
}

int
main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "home", required_argument, NULL, 'H' },
		{ "forms", required_argument, NULL, 'F' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 }
	};
	struct cmd_ctx ctx;
	int c, rc;

	setlocale(LC_ALL, "");
#ifdef ENABLE_NLS
	bindtextdomain(PACKAGE, LOCALEDIR);
	textdomain(PACKAGE);
#endif
	memset(&ctx, 0, sizeof ctx);
	ctx.home = getenv("TCRM_HOME");
	if (ctx.home != NULL && *ctx.home == '\0')
		ctx.home = NULL;
	/* "+": options after the command belong to the command. */
	while ((c = getopt_long(argc, argv, "+H:F:Vh", opts, NULL)) != -1) {
		switch (c) {
		case 'H':
			ctx.home = optarg;
			break;
		case 'F':
			ctx.forms_dir = optarg;
			break;
		case 'V':
			printf("tcrm %s\n", PACKAGE_VERSION);
			return 0;
		case 'h':
			usage(0);
		default:
			usage(EX_USAGE);
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "tcrm: the desk is not built yet; try "
		    "`tcrm help`\n");
		return EX_UNAVAILABLE;
	}
	ctx.user = current_user();
	ctx.role = ROLE_ADMIN;
	store_catch_signals();
	rc = cmd_run(&ctx, argc - optind, argv + optind);
	store_close(ctx.store);
	if (ctx.forms != NULL)
		forms_free(ctx.forms);
	if (store_stop_signal) {
		/* Environment closed: now die of the signal as expected. */
		signal(store_stop_signal, SIG_DFL);
		raise(store_stop_signal);
	}
	return rc;
}
