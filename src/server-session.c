/* server-session.c - one connection, in its own process: key exchange,
 * public-key authentication against the store, then the session channel's
 * requests (pty-req, env, shell or exec). When the command can start the
 * process splits in two: this one runs it as the worker (it already holds
 * the store it authenticated with, and Berkeley DB handles must not cross
 * a fork), and a child becomes the bridge to the client. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pty.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

int64_t
server_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
session_exit(struct session *s, int status)
{
	if (!s->bridging) {
		store_close(s->store);
		s->store = NULL;
		slot_release(s);
	}
	if (s->ssh != NULL && !s->br.client_gone)
		ssh_disconnect(s->ssh);
	_exit(status);
}

static int
on_pty_request(ssh_session ssh, ssh_channel ch, const char *term, int cols,
    int rows, int px, int py, void *arg)
{
	struct session *s = arg;

	if (s->pty || s->request != REQ_NONE)
		return SSH_ERROR;
	s->ws.ws_col = (unsigned short)cols;
	s->ws.ws_row = (unsigned short)rows;
	s->ws.ws_xpixel = (unsigned short)px;
	s->ws.ws_ypixel = (unsigned short)py;
	if (openpty(&s->pty_master, &s->pty_slave, NULL, NULL, &s->ws) != 0) {
		server_log(LOG_ERR, "%s: openpty: %s", s->peer,
		    strerror(errno));
		return SSH_ERROR;
	}
	s->term = xstrdup(term);
	s->pty = true;
	return SSH_OK;
}

static int
on_window_change(ssh_session ssh, ssh_channel ch, int cols, int rows,
    int px, int py, void *arg)
{
	struct session *s = arg;

	if (!s->pty)
		return SSH_ERROR;
	s->ws.ws_col = (unsigned short)cols;
	s->ws.ws_row = (unsigned short)rows;
	s->ws.ws_xpixel = (unsigned short)px;
	s->ws.ws_ypixel = (unsigned short)py;
	/* The kernel tells the desk with SIGWINCH; curses makes it a
	 * KEY_RESIZE. */
	ioctl(s->pty_master, TIOCSWINSZ, &s->ws);
	return SSH_OK;
}

/* Only the language: LANG and LC_* with a value that looks like a locale
 * name. Anything else the client sends is ignored. */
static bool
locale_name_ok(const char *v)
{
	size_t n = strlen(v);

	if (n == 0 || n > 64)
		return false;
	for (; *v != '\0'; v++) {
		if (!((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z') ||
		    (*v >= '0' && *v <= '9') || strchr("_.@-", *v) != NULL))
			return false;
	}
	return true;
}

static int
on_env(ssh_session ssh, ssh_channel ch, const char *name, const char *value,
    void *arg)
{
	struct session *s = arg;
	bool lc = strncmp(name, "LC_", 3) == 0 && name[3] != '\0' &&
	    strspn(name + 3, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") == strlen(name + 3);

	if (s->request != REQ_NONE || s->env.n >= 16 ||
	    !(strcmp(name, "LANG") == 0 || lc) || !locale_name_ok(value))
		return SSH_ERROR;
	strv_pushf(&s->env, "%s=%s", name, value);
	return SSH_OK;
}

static int
on_shell(ssh_session ssh, ssh_channel ch, void *arg)
{
	struct session *s = arg;

	if (s->request != REQ_NONE)
		return SSH_ERROR;
	s->request = REQ_SHELL;
	return SSH_OK;
}

static int
on_exec(ssh_session ssh, ssh_channel ch, const char *command, void *arg)
{
	struct session *s = arg;

	if (s->request != REQ_NONE)
		return SSH_ERROR;
	s->request = REQ_EXEC;
	s->command = xstrdup(command);
	return SSH_OK;
}

static int
on_subsystem(ssh_session ssh, ssh_channel ch, const char *name, void *arg)
{
	struct session *s = arg;

	server_log(LOG_NOTICE, "%s: %s: subsystem %s refused", s->peer,
	    s->user.name, name);
	return SSH_ERROR;
}

/* Before the bridge exists, data stays in libssh's buffer (the window
 * holds the client back); the bridge takes it from there. */
static int
on_data(ssh_session ssh, ssh_channel ch, void *data, uint32_t len,
    int is_stderr, void *arg)
{
	struct session *s = arg;

	if (!s->bridging)
		return 0;
	return bridge_data(s, data, len, is_stderr);
}

static void
on_eof(ssh_session ssh, ssh_channel ch, void *arg)
{
	struct session *s = arg;

	if (s->bridging)
		bridge_client_eof(s);
	else
		s->br.client_eof = true;
}

static void
on_close(ssh_session ssh, ssh_channel ch, void *arg)
{
	struct session *s = arg;

	s->br.client_gone = true;
}

/* One session channel per connection: no multiplexing, and no other
 * channel types (port forwarding) are ever accepted. */
static ssh_channel
on_channel_open(ssh_session ssh, void *arg)
{
	struct session *s = arg;

	if (s->channel != NULL || !s->authenticated)
		return NULL;
	if ((s->channel = ssh_channel_new(ssh)) == NULL)
		return NULL;
	ssh_set_channel_callbacks(s->channel, &s->channel_cb);
	return s->channel;
}

static void
session_callbacks(struct session *s)
{
	memset(&s->server_cb, 0, sizeof s->server_cb);
	s->server_cb.userdata = s;
	s->server_cb.auth_pubkey_function = auth_pubkey;
	s->server_cb.channel_open_request_session_function = on_channel_open;
	ssh_callbacks_init(&s->server_cb);
	memset(&s->channel_cb, 0, sizeof s->channel_cb);
	s->channel_cb.userdata = s;
	s->channel_cb.channel_pty_request_function = on_pty_request;
	s->channel_cb.channel_pty_window_change_function = on_window_change;
	s->channel_cb.channel_env_request_function = on_env;
	s->channel_cb.channel_shell_request_function = on_shell;
	s->channel_cb.channel_exec_request_function = on_exec;
	s->channel_cb.channel_subsystem_request_function = on_subsystem;
	s->channel_cb.channel_data_function = on_data;
	s->channel_cb.channel_eof_function = on_eof;
	s->channel_cb.channel_close_function = on_close;
	ssh_callbacks_init(&s->channel_cb);
}

/* Authentication, channel and request within the login grace time. */
static void
session_wait_request(struct session *s)
{
	int64_t deadline = s->started + s->cfg->login_grace_time * 1000LL;

	while (!s->authenticated || s->channel == NULL ||
	    s->request == REQ_NONE) {
		int64_t left = deadline - server_now_ms();

		if (s->give_up) {
			server_log(LOG_NOTICE, "%s: %s: too many "
			    "authentication attempts", s->peer,
			    s->asked ? s->asked : "?");
			session_exit(s, 0);
		}
		if (left <= 0) {
			server_log(LOG_NOTICE, "%s: login grace time (%u s) "
			    "over", s->peer, s->cfg->login_grace_time);
			session_exit(s, 0);
		}
		if (store_stop_signal)
			session_exit(s, 0);
		quick_ack(ssh_get_fd(s->ssh));
		if (ssh_event_dopoll(s->event, (int)left) == SSH_ERROR ||
		    (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) ||
		    s->br.client_gone) {
			s->br.client_gone = true;
			session_exit(s, 0);
		}
	}
}

/* Tell the client directly, without starting a worker. */
static TCRM_ATTR_NORETURN void
session_refuse(struct session *s, const char *msg, int status)
{
	int64_t until = server_now_ms() + 5000;

	ssh_channel_write_stderr(s->channel, msg, (uint32_t)strlen(msg));
	ssh_channel_request_send_exit_status(s->channel, status);
	ssh_channel_send_eof(s->channel);
	ssh_channel_close(s->channel);
	while (!(ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) &&
	    server_now_ms() < until) {
		if (ssh_event_dopoll(s->event, 200) == SSH_ERROR)
			break;
	}
	s->br.client_gone = true;
	session_exit(s, status);
}

static int
nonblocking(int fd)
{
	int fl = fcntl(fd, F_GETFL);

	return fl < 0 ? -1 : fcntl(fd, F_SETFL, fl | O_NONBLOCK);
}

/* Pipes for stdin, stdout and stderr (or the PTY), and one for the exit
 * status; then the bridge as a child, and this process runs the work. */
static TCRM_ATTR_NORETURN void
session_start(struct session *s)
{
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, err[2] = { -1, -1 };
	int st[2];
	pid_t pid;

	if (pipe(st) != 0 || (!s->pty && (pipe(in) != 0 || pipe(out) != 0 ||
	    pipe(err) != 0))) {
		server_log(LOG_ERR, "%s: pipe: %s", s->peer, strerror(errno));
		session_exit(s, 1);
	}
	if (!s->pty) {
		/* Bigger pipes, fewer wake-ups on a bulk import or export. */
		fcntl(in[1], F_SETPIPE_SZ, 256 * 1024);
		fcntl(out[1], F_SETPIPE_SZ, 256 * 1024);
	}
	s->br.worker = getpid();
	if ((pid = fork()) < 0) {
		server_log(LOG_ERR, "%s: fork: %s", s->peer, strerror(errno));
		session_exit(s, 1);
	}
	if (pid == 0) {
		s->bridging = true;
		close(st[1]);
		s->br.status_fd = st[0];
		if (s->pty) {
			close(s->pty_slave);
			s->br.in_fd = s->br.out_fd = s->pty_master;
			s->br.err_fd = -1;
		} else {
			close(in[0]);
			close(out[1]);
			close(err[1]);
			s->br.in_fd = in[1];
			s->br.out_fd = out[0];
			s->br.err_fd = err[0];
		}
		nonblocking(s->br.in_fd);
		nonblocking(s->br.out_fd);
		if (s->br.err_fd >= 0)
			nonblocking(s->br.err_fd);
		bridge_run(s);
	}
	/* The worker: libssh belongs to the bridge from now on. */
	close(ssh_get_fd(s->ssh));
	close(st[0]);
	if (s->pty)
		close(s->pty_master);
	else {
		close(in[1]);
		close(out[0]);
		close(err[0]);
		if (dup2(in[0], 0) < 0 || dup2(out[1], 1) < 0 ||
		    dup2(err[1], 2) < 0)
			_exit(1);
		close(in[0]);
		close(out[1]);
		close(err[1]);
	}
	worker_run(s, st[1]);
}

/* The client's next packet often waits (Nagle) for our ACK of its last,
 * and the kernel delays that ACK by 40 ms: ask for it at once after each
 * read. */
void
quick_ack(int fd)
{
	int one = 1;

	setsockopt(fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
}

/* Driven step by step, to send those ACKs during the exchange too, and
 * to give up at the deadline (SSH_AGAIN then). */
static int
key_exchange(ssh_session ssh, int fd, int64_t deadline)
{
	struct pollfd pfd = { fd, POLLIN, 0 };
	int64_t left;
	int rc;

	ssh_set_blocking(ssh, 0);
	while ((rc = ssh_handle_key_exchange(ssh)) == SSH_AGAIN) {
		quick_ack(fd);
		if ((left = deadline - server_now_ms()) <= 0 ||
		    store_stop_signal)
			break;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			rc = SSH_ERROR;
			break;
		}
	}
	quick_ack(fd);
	ssh_set_blocking(ssh, 1);
	return rc;
}

static void
session_init(struct session *s, const struct server_config *cfg,
    struct forms *forms, const char *peer)
{
	memset(s, 0, sizeof *s);
	s->cfg = cfg;
	s->forms = forms;
	snprintf(s->peer, sizeof s->peer, "%s", peer);
	s->started = server_now_ms();
	s->slot_fd = -1;
	s->pty_master = s->pty_slave = -1;
	s->br.status = -1;
	strv_init(&s->env);
}

void
session_run(const struct server_config *cfg, struct forms *forms,
    ssh_bind bind, int fd, const char *peer)
{
	static struct session s;
	char *why = NULL, *msg;
	int one = 1, rc;

	session_init(&s, cfg, forms, peer);
	store_catch_signals();
	/* Small packets at once: the handshake is a dozen round trips, and
	 * Nagle against delayed ACKs costs 40 ms on several of them. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if ((s.ssh = ssh_new()) == NULL ||
	    ssh_bind_accept_fd(bind, s.ssh, fd) != SSH_OK) {
		server_log(LOG_ERR, "%s: accept: %s", peer,
		    s.ssh ? ssh_get_error(s.ssh) : "out of memory");
		_exit(1);
	}
	/* Not the listening socket: a restarted tcrmd must be able to bind
	 * while this session goes on. */
	ssh_bind_free(bind);
	ssh_set_auth_methods(s.ssh, SSH_AUTH_METHOD_PUBLICKEY);
	session_callbacks(&s);
	ssh_set_server_callbacks(s.ssh, &s.server_cb);
	rc = key_exchange(s.ssh, fd, s.started + cfg->login_grace_time *
	    1000LL);
	if (rc == SSH_AGAIN)
		server_log(LOG_NOTICE, "%s: login grace time (%u s) over",
		    peer, cfg->login_grace_time);
	else if (rc != SSH_OK)
		server_log(LOG_INFO, "%s: key exchange failed: %s", peer,
		    ssh_get_error(s.ssh));
	if (rc != SSH_OK)
		_exit(0);
	if ((s.event = ssh_event_new()) == NULL ||
	    ssh_event_add_session(s.event, s.ssh) != SSH_OK)
		session_exit(&s, 1);
	session_wait_request(&s);
	if (slot_claim(&s, &why) != 0) {
		server_log(LOG_NOTICE, "%s: %s: refused: %s", peer, s.user.name,
		    why);
		msg = xasprintf("tcrmd: %s\r\n", why);
		free(why);
		session_refuse(&s, msg, EX_TEMPFAIL);
	}
	session_start(&s);
}
