/* cmd-forms.c - tcrm forms check [DIR]: every error in the definitions,
 * each with its file:line:column. */
#include "tcrm.h"

#include <stdlib.h>

int
cmd_forms_check_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : NULL;
	struct forms *forms = NULL;
	struct strv diags;
	size_t nfields = 0;
	char *fallback = NULL;

	if (argc > 2) {
		cmd_error(ctx, "usage: tcrm forms check [DIR]");
		return EX_USAGE;
	}
	if (dir == NULL)
		dir = fallback = cmd_forms_dir(ctx);
	strv_init(&diags);
	if (forms_load(dir, &forms, &diags) != 0) {
		for (size_t i = 0; i < diags.n; i++) {
			out_safe(stderr, diags.v[i]);
			fputc('\n', stderr);
		}
		cmd_error(ctx, "%zu error%s", diags.n, diags.n == 1 ? "" : "s");
		strv_free(&diags);
		free(fallback);
		return EX_CONFIG;
	}
	for (size_t i = 0; i < forms->n; i++)
		nfields += forms->entities[i].nfields;
	printf("%s: %zu entities, %zu fields, no errors\n", dir, forms->n,
	    nfields);
	forms_free(forms);
	strv_free(&diags);
	free(fallback);
	return 0;
}
