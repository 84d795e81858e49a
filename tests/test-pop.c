/* test-pop.c - the screen pop's messages and sockets: what a desk accepts
 * as a call, what it refuses, and lines read in pieces or too long. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <criterion/criterion.h>

static void
expect_call(const char *line, const char *caller, const char *called,
    const char *call_id)
{
	struct pop_event ev;
	char *why = NULL;

	cr_assert_eq(pop_event_decode(line, &ev, &why), 0, "%s: %s", line,
	    why ? why : "");
	cr_expect_str_eq(ev.caller, caller);
	cr_expect_str_eq(ev.called, called);
	cr_expect_str_eq(ev.call_id, call_id);
	pop_event_free(&ev);
}

static void
expect_refused(const char *line, const char *reason)
{
	struct pop_event ev;
	char *why = NULL;

	cr_assert_eq(pop_event_decode(line, &ev, &why), -1, "%s", line);
	cr_assert_not_null(why);
	cr_expect(strstr(why, reason) != NULL, "%s: %s", line, why);
	cr_expect_null(ev.caller);
	free(why);
}

Test(pop, event_round_trip)
{
	struct pop_event ev;
	char *line;

	pop_event_init(&ev);
	ev.caller = xstrdup("+86 138-0013-8000");
	ev.called = xstrdup("4008001234");
	ev.call_id = xstrdup("1795400000.42");
	ev.from = xstrdup("pbx");
	line = pop_event_encode(&ev);
	cr_expect(strchr(line, '\n') == NULL, "one line: %s", line);
	expect_call(line, "+86 138-0013-8000", "4008001234", "1795400000.42");
	free(line);
	pop_event_free(&ev);
}

Test(pop, the_senders_match_travels_as_a_hint)
{
	struct pop_event ev, back;
	char *line, *why = NULL;

	pop_event_init(&ev);
	ev.caller = xstrdup("13800138000");
	ev.customer = 4294967295u;
	ev.contact = 7;
	line = pop_event_encode(&ev);
	cr_assert_eq(pop_event_decode(line, &back, &why), 0, "%s", line);
	cr_expect_eq(back.customer, 4294967295u);
	cr_expect_eq(back.contact, 7);
	pop_event_free(&back);
	free(line);
	/* No match: no hint on the wire, none read. */
	ev.customer = ev.contact = 0;
	line = pop_event_encode(&ev);
	cr_expect(strstr(line, "match") == NULL, "%s", line);
	cr_assert_eq(pop_event_decode(line, &back, &why), 0, "%s", line);
	cr_expect_eq(back.customer, 0);
	pop_event_free(&back);
	free(line);
	pop_event_free(&ev);
}

Test(pop, bad_hints_refused)
{
	static const char *const bad[] = {
		"\"match\":1",
		"\"match\":{}",
		"\"match\":{\"customer\":0,\"contact\":0}",
		"\"match\":{\"customer\":-5,\"contact\":0}",
		"\"match\":{\"customer\":4294967296,\"contact\":0}",
		"\"match\":{\"customer\":\"5\",\"contact\":0}",
		"\"match\":{\"customer\":5,\"contact\":-1}",
		"\"match\":{\"customer\":5}",
		"\"match\":{\"customer\":5,\"contact\":0,\"x\":1}",
		"\"match\":{\"customer\":5.5,\"contact\":0}",
	};

	for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
		char *line = xasprintf("{\"v\":1,\"event\":\"call\","
		    "\"caller\":\"138\",%s}", bad[i]);

		expect_refused(line, "bad match");
		free(line);
	}
}

Test(pop, chinese_and_missing_members)
{
	expect_call("{\"v\":1,\"event\":\"call\",\"caller\":\"１３８００１３８０００\"}",
	    "１３８００１３８０００", "", "");
}

Test(pop, refused_events)
{
	expect_refused("", "not a JSON object");
	expect_refused("not json", "not a JSON object");
	expect_refused("[1,2]", "not a JSON object");
	expect_refused("{\"v\":2,\"event\":\"call\",\"caller\":\"138\"}",
	    "version");
	expect_refused("{\"v\":\"1\",\"event\":\"call\",\"caller\":\"138\"}",
	    "version");
	expect_refused("{\"v\":1,\"event\":\"drawn\",\"caller\":\"138\"}",
	    "not a 'call'");
	expect_refused("{\"v\":1,\"event\":\"call\"}", "no caller");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"\"}",
	    "no caller");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":138}",
	    "bad 'caller'");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"1\\u001b[2J\"}",
	    "bad 'caller'");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"1\\u0000\"}",
	    "not a JSON object");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"138\","
	    "\"called\":\"\\u202e1\"}", "bad 'called'");
	expect_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"138\","
	    "\"caller\":\"139\"}", "not a JSON object");
}

Test(pop, long_values_refused)
{
	char big[256], *line;

	memset(big, '9', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	line = xasprintf("{\"v\":1,\"event\":\"call\",\"caller\":\"138\","
	    "\"call_id\":\"%s\"}", big);
	expect_refused(line, "bad 'call_id'");
	free(line);
}

Test(pop, text_checks)
{
	cr_expect(pop_text_ok("13800138000", 64));
	cr_expect(pop_text_ok("张伟 ＡＢＣ", 64));
	cr_expect_not(pop_text_ok("a\tb", 64));
	cr_expect_not(pop_text_ok("a\x7f", 64));
	cr_expect_not(pop_text_ok("a\xc2\x85", 64));	/* NEL, a C1 control */
	cr_expect_not(pop_text_ok("\xff", 64));
	cr_expect_not(pop_text_ok("12345", 4));
}

Test(pop, ack_round_trip)
{
	struct pop_ack a = { 412, 61, 94, 1, "card" }, b;
	char *line = pop_ack_encode(&a), *why = NULL;

	cr_assert_eq(pop_ack_decode(line, &b, &why), 0, "%s", line);
	cr_expect_eq(b.us, 412);
	cr_expect_eq(b.lookup_us, 61);
	cr_expect_eq(b.open_us, 94);
	cr_expect_eq(b.matches, 1);
	cr_expect_str_eq(b.screen, "card");
	free(line);
	cr_expect_eq(pop_ack_decode("{\"v\":1,\"event\":\"drawn\",\"us\":-1,"
	    "\"matches\":0,\"screen\":\"card\"}", &b, &why), -1);
	free(why);
	cr_expect_eq(pop_ack_decode("{\"v\":1,\"event\":\"drawn\",\"us\":5,"
	    "\"matches\":0,\"screen\":\"\\u001b]0;x\"}", &b, &why), 0);
	cr_expect_str_eq(b.screen, "", "an unknown screen name is dropped");
}

/* Lines arrive in pieces, several at once, or too long. */
Test(pop, lines_from_a_socket)
{
	struct notify_conn c;
	char *line = NULL, big[NOTIFY_LINE_MAX + 10];
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	    0);
	notify_conn_init(&c, sv[0]);
	cr_expect_eq(notify_read_line(&c, &line), 0, "nothing yet");
	cr_assert_eq(write(sv[1], "{\"a\"", 4), 4);
	cr_expect_eq(notify_read_line(&c, &line), 0, "half a line");
	cr_assert_eq(write(sv[1], ":1}\nsecond\n", 11), 11);
	cr_assert_eq(notify_read_line(&c, &line), 1);
	cr_expect_str_eq(line, "{\"a\":1}");
	free(line);
	cr_assert_eq(notify_read_line(&c, &line), 1);
	cr_expect_str_eq(line, "second");
	free(line);
	memset(big, 'x', sizeof big);
	cr_assert_eq(write(sv[1], big, sizeof big), (ssize_t)sizeof big);
	cr_expect_eq(notify_read_line(&c, &line), -1, "a line too long");
	notify_conn_close(&c);
	close(sv[1]);
}

Test(pop, nul_in_a_line)
{
	struct notify_conn c;
	char *line = NULL;
	int sv[2];

	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv),
	    0);
	notify_conn_init(&c, sv[0]);
	cr_assert_eq(write(sv[1], "a\0b\n", 4), 4);
	cr_expect_eq(notify_read_line(&c, &line), -1);
	notify_conn_close(&c);
	close(sv[1]);
}

Test(pop, desks_found_by_user)
{
	char dir[] = "/tmp/tcrm-test-pop.XXXXXX";
	struct notify_listener a, b, odd;
	struct strv names;
	char *why = NULL, *run;
	int fd;
	bool stale;

	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(notify_listen(dir, "lina", &a, &why), 0, "%s", why);
	cr_assert_eq(notify_listen(dir, "li.na", &odd, &why), 0, "%s", why);
	cr_expect(strstr(odd.name, "li%2Ena") != NULL, "%s", odd.name);
	cr_assert_eq(notify_desks(dir, "lina", &names), 0);
	cr_expect_eq(names.n, 1, "li.na's desk is not lina's");
	strv_free(&names);
	cr_expect_eq(notify_connect(dir, a.name, &fd, &stale), 0);
	close(fd);
	/* A socket nobody listens on is removed by whoever finds it. */
	b = a;
	close(a.fd);
	cr_expect_neq(notify_connect(dir, b.name, &fd, &stale), 0);
	cr_expect(stale);
	cr_assert_eq(notify_desks(dir, "lina", &names), 0);
	cr_expect_eq(names.n, 0);
	strv_free(&names);
	a.fd = -1;
	notify_unlisten(&a);
	notify_unlisten(&odd);
	run = notify_dir(dir);
	rmdir(run);
	free(run);
	rmdir(dir);
}

static void
expect_notice_refused(const char *line, const char *reason)
{
	struct sweep_escalation st;
	char *why = NULL;

	cr_assert_eq(pop_notice_decode(line, &st, &why), -1, "%s", line);
	cr_assert_not_null(why);
	cr_expect(strstr(why, reason) != NULL, "%s: %s", line, why);
	cr_expect_null(st.number);
	free(why);
}

Test(pop, notice_round_trip_and_refusals)
{
	struct sweep_escalation st = { "T000042", "发票开错", "billing", "lina",
	    2, 100, ESC_RAISE_PRIORITY }, back;
	char *line = pop_notice_encode(&st), *why = NULL;

	cr_assert_eq(pop_notice_decode(line, &back, &why), 0, "%s", line);
	cr_expect_str_eq(back.number, "T000042");
	cr_expect_str_eq(back.subject, "发票开错");
	cr_expect_str_eq(back.queue, "billing");
	cr_expect_str_eq(back.assignee, "lina");
	cr_expect_eq(back.level, 2);
	cr_expect_eq(back.percent, 100);
	cr_expect_eq(back.action, ESC_RAISE_PRIORITY);
	pop_notice_free(&back);
	free(line);
	/* A call is not a notice, nor is a notice a call. */
	expect_notice_refused("{\"v\":1,\"event\":\"call\",\"caller\":\"1\"}",
	    "not a 'notice' message");
	expect_refused("{\"v\":1,\"event\":\"notice\",\"ticket\":\"T1\"}",
	    "not a 'call' message");
	expect_notice_refused("{\"v\":1,\"event\":\"notice\",\"ticket\":"
	    "\"T1\",\"subject\":\"a\\u001b[2Jb\",\"level\":1,\"percent\":75,"
	    "\"action\":\"notify\"}", "bad 'subject'");
	expect_notice_refused("{\"v\":1,\"event\":\"notice\",\"ticket\":"
	    "\"T1\",\"level\":-1,\"percent\":75,\"action\":\"notify\"}",
	    "bad 'level'");
	expect_notice_refused("{\"v\":1,\"event\":\"notice\",\"ticket\":"
	    "\"T1\",\"level\":1,\"percent\":75,\"action\":\"shout\"}",
	    "bad 'action'");
}
