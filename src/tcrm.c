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

/* The login name, never the environment: over sshd it is who signed in. */
static const char *
current_user(void)
{
	struct passwd *pw;

	if ((pw = getpwuid(geteuid())) != NULL)
		return pw->pw_name;
	return "unknown";
}

/* As sshd's ForceCommand (SSH_ORIGINAL_COMMAND) or login shell (-c), the
 * command arrives as one line: split it as tcrmd does, without a shell.
 * Commands may reorder their argv, so they get a copy of the pointers. */
static char **ssh_argv;

static int
ssh_words(const char *line, struct strv *words, int *argc, char ***argv)
{
	size_t skip;
	char *why;

	if (split_command(line, words, &why) != 0) {
		fprintf(stderr, "tcrm: %s\n", why);
		free(why);
		return EX_USAGE;
	}
	skip = split_skip_program(words);
	*argc = (int)(words->n - skip);
	ssh_argv = xcalloc(words->n - skip + 1, sizeof *ssh_argv);
	for (size_t i = skip; i < words->n; i++)
		ssh_argv[i - skip] = words->v[i];
	*argv = ssh_argv;
	optind = 0;
	return 0;
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
	struct strv words;
	const char *line = NULL;
	int c, rc;

	if (setlocale(LC_ALL, "") == NULL) {
		char *why;

		/* A UTF-8 locale named but not installed: the commands speak
		 * its language through C.UTF-8, as the desk does. */
		(void)desk_locale(&why);
		free(why);
	}
#ifdef ENABLE_NLS
	bindtextdomain(PACKAGE, LOCALEDIR);
	/* An uninstalled build (make demo, the tests) names its catalogue. */
	if (getenv("TCRM_LOCALEDIR") != NULL && *getenv("TCRM_LOCALEDIR"))
		bindtextdomain(PACKAGE, getenv("TCRM_LOCALEDIR"));
	textdomain(PACKAGE);
#endif
	memset(&ctx, 0, sizeof ctx);
	ctx.home = getenv("TCRM_HOME");
	if (ctx.home != NULL && *ctx.home == '\0')
		ctx.home = NULL;
	/* "+": options after the command belong to the command. */
	strv_init(&words);
	while ((c = getopt_long(argc, argv, "+H:F:Vhc:", opts, NULL)) != -1) {
		switch (c) {
		case 'c':
			line = optarg;
			break;
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
	if (line == NULL && optind >= argc)
		line = getenv("SSH_ORIGINAL_COMMAND");
	if (line != NULL && (rc = ssh_words(line, &words, &argc, &argv)) != 0)
		return rc;
	if (optind >= argc) {
		static char *desk_argv[] = { "desk", NULL };

		argc = 1;
		argv = desk_argv;
		optind = 0;
	}
	store_catch_signals();
	rc = cmd_identify(&ctx, current_user(), getenv("TCRM_USER"));
	if (rc == 0)
		rc = cmd_run(&ctx, argc - optind, argv + optind);
	strv_free(&words);
	free(ssh_argv);
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
