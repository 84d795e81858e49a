/* cmd-sla.c - tcrm sla run: the service-level sweep by hand or from cron
 * (tcrmd runs it on a timer): breaches marked, escalations run, missed
 * callbacks flagged, as of now. */
#include "tcrm.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

int
cmd_sla_run_exec(struct cmd_ctx *ctx, int argc, char **argv)
{
	static const struct option opts[] = {
		{ "format", required_argument, NULL, 'o' },
		{ NULL, 0, NULL, 0 }
	};
	static const char *const header[] = { "breached", "escalated",
	    "missed_callbacks", NULL };
	enum out_format fmt = OUT_TABLE;
	struct sweep_report rep;
	struct table t;
	char a[24], b[24], c[24];
	int ch, rc;

	optind = 0;
	while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (ch != 'o') {
			cmd_error(ctx, _("try: tcrm %s --help"), ctx->name);
			return EX_USAGE;
		}
		if ((rc = cmd_format_option(ctx, optarg, &fmt)) != 0)
			return rc;
	}
	if (optind != argc) {
		cmd_error(ctx, _("unexpected argument '%s'"), argv[optind]);
		return EX_USAGE;
	}
	if (store_service(ctx->store) == NULL) {
		cmd_error(ctx, _("no service settings: nothing to sweep"));
		return EX_CONFIG;
	}
	memset(&rep, 0, sizeof rep);
	if ((rc = svc_sweep(ctx->store, clock_now(), &rep)) != ST_OK)
		return cmd_store_error(ctx, rc);
	/* Supervisors hear of every escalation step on their desks. */
	pop_tell_overseers(ctx->store, &rep);
	sweep_report_free(&rep);
	if (fmt == OUT_TABLE) {
		printf("breached %zu, escalated %zu, missed callbacks %zu\n",
		    rep.breached, rep.escalated, rep.missed);
		if (rep.signed_off > 0)
			printf(ngettext("%zu agent signed off: their desk had "
			    "died\n", "%zu agents signed off: their desks had "
			    "died\n", rep.signed_off), rep.signed_off);
		return 0;
	}
	snprintf(a, sizeof a, "%zu", rep.breached);
	snprintf(b, sizeof b, "%zu", rep.escalated);
	snprintf(c, sizeof c, "%zu", rep.missed);
	table_init(&t, header);
	table_row(&t, (const char *[]){ a, b, c });
	table_print(stdout, &t, fmt);
	table_free(&t);
	return 0;
}
