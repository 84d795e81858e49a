/* server-bridge.c - the child that talks to the client while the worker
 * runs: channel data to the worker's stdin, its stdout and stderr back,
 * all through one ssh_event with fd callbacks. Nothing is buffered beyond
 * what the SSH windows and the pipes hold: a slow worker makes libssh stop
 * widening the client's window, a slow client makes us stop reading.
 *
 * libssh widens the window again at every ssh_channel_read, however much
 * it still holds; so we read from it only when our own buffer is empty,
 * and then all it holds at once. Client data in memory stays under two
 * windows (about 2.5 MB) however big the import.
 *
 * At the end the exit status goes before EOF and close, and the session
 * is polled until the client disconnects; tearing it down at once makes
 * OpenSSH report "Broken pipe" and 255 instead of the status. */
#define TCRM_SERVER_INTERNAL
#include "tcrm.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINGER_MS 5000

enum { W_IN, W_OUT, W_ERR, W_STATUS };

static void
activity(struct bridge *b)
{
	b->last_activity = server_now_ms();
}

/* Client data for the worker: what the pipe takes now is consumed, the
 * rest stays in libssh until POLLOUT. */
int
bridge_data(struct session *s, void *data, uint32_t len, int is_stderr)
{
	struct bridge *b = &s->br;
	ssize_t n;

	(void)is_stderr;
	activity(b);
	if (b->in_closed)
		return (int)len;
	if (b->held.len > 0) {
		b->in_waiting = true;
		return 0;
	}
	n = write(b->in_fd, data, len);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR) {
			b->in_waiting = true;
			return 0;
		}
		b->in_closed = true;
		return (int)len;
	}
	if ((uint32_t)n < len)
		b->in_waiting = true;
	return (int)n;
}

/* Closed between polls (update_watches): a descriptor still in the
 * event must not be closed from inside a callback. */
static void
close_in(struct bridge *b)
{
	b->in_closed = true;
	b->in_waiting = false;
}

void
bridge_client_eof(struct session *s)
{
	struct bridge *b = &s->br;

	b->client_eof = true;
	if (!b->in_waiting && b->held.len == 0 && !b->pty)
		close_in(b);
}

static bool
flush_held(struct bridge *b)
{
	while (b->held_off < b->held.len) {
		ssize_t n = write(b->in_fd, b->held.data + b->held_off,
		    b->held.len - b->held_off);

		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return false;
			close_in(b);
			break;
		}
		b->held_off += (size_t)n;
	}
	buf_reset(&b->held);
	b->held_off = 0;
	return !b->in_closed;
}

/* The pipe has room: what we hold first, then everything libssh holds,
 * in one read. libssh's buffer is not empty then, so the read does not
 * make it poll the socket from inside our callback. */
static void
pump_in(struct session *s)
{
	struct bridge *b = &s->br;
	int avail, n;

	if (b->in_closed || !flush_held(b) || !b->in_waiting)
		goto out;
	b->in_waiting = false;
	if ((avail = ssh_channel_poll(s->channel, 0)) <= 0)
		goto out;
	if (b->held.size < (size_t)avail + 1) {
		b->held.data = xrealloc(b->held.data, (size_t)avail + 1);
		b->held.size = (size_t)avail + 1;
	}
	n = ssh_channel_read_nonblocking(s->channel, b->held.data,
	    (uint32_t)avail, 0);
	if (n > 0) {
		b->held.len = (size_t)n;
		flush_held(b);
	}
out:
	if (!b->in_closed && b->client_eof && !b->in_waiting &&
	    b->held.len == 0 && !b->pty)
		close_in(b);
}

/* Worker output for the client, never more than the client's window. */
static void
pump_out(struct session *s, int fd, bool is_err)
{
	struct bridge *b = &s->br;
	uint32_t window = ssh_channel_window_size(s->channel);
	char buf[32768];
	ssize_t n;

	if (window == 0)
		return;
	n = read(fd, buf, window < sizeof buf ? window : sizeof buf);
	if (n > 0) {
		activity(b);
		if (is_err)
			ssh_channel_write_stderr(s->channel, buf, (uint32_t)n);
		else
			ssh_channel_write(s->channel, buf, (uint32_t)n);
		return;
	}
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	/* 0, or EIO from a PTY master whose slave is closed: the end. */
	if (is_err)
		b->err_eof = true;
	else
		b->out_eof = true;
}

static void
read_status(struct bridge *b)
{
	int status;
	ssize_t n = read(b->status_fd, &status, sizeof status);

	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	b->status = n == (ssize_t)sizeof status ? status : -2;
}

static int
on_fd(socket_t fd, int revents, void *arg)
{
	struct session *s = arg;
	struct bridge *b = &s->br;

	if (fd == b->status_fd) {
		read_status(b);
		return 0;
	}
	if (fd == b->in_fd && (revents & (POLLOUT | POLLERR)) && !b->in_closed)
		pump_in(s);
	if (fd == b->out_fd && (revents & (POLLIN | POLLHUP | POLLERR)) &&
	    !b->out_eof)
		pump_out(s, fd, false);
	if (fd == b->err_fd && (revents & (POLLIN | POLLHUP | POLLERR)) &&
	    !b->err_eof)
		pump_out(s, fd, true);
	return 0;
}

static void
watch(struct session *s, int slot, int fd, short events)
{
	struct bridge *b = &s->br;

	if (b->watched[slot] == events)
		return;
	if (b->watched[slot] != 0)
		ssh_event_remove_fd(s->event, fd);
	b->watched[slot] = 0;
	if (events != 0 && ssh_event_add_fd(s->event, fd, events, on_fd, s) ==
	    SSH_OK)
		b->watched[slot] = events;
}

static void
retire(struct session *s, int slot, int *fd)
{
	if (*fd < 0)
		return;
	watch(s, slot, *fd, 0);
	close(*fd);
	*fd = -1;
}

/* Descriptors are added, removed and closed here, between polls, never
 * from inside a callback. */
static void
update_watches(struct session *s)
{
	struct bridge *b = &s->br;
	short room = ssh_channel_window_size(s->channel) > 0 ? POLLIN : 0;
	short in = !b->in_closed && (b->in_waiting || b->held.len > 0) ?
	    POLLOUT : 0;

	if (b->pty) {
		if (b->out_eof) {
			retire(s, W_OUT, &b->out_fd);
			b->in_fd = -1;
		} else
			watch(s, W_OUT, b->out_fd, in | room);
	} else {
		if (b->in_closed)
			retire(s, W_IN, &b->in_fd);
		else
			watch(s, W_IN, b->in_fd, in);
		if (b->out_eof)
			retire(s, W_OUT, &b->out_fd);
		else
			watch(s, W_OUT, b->out_fd, room);
		if (b->err_eof)
			retire(s, W_ERR, &b->err_fd);
		else
			watch(s, W_ERR, b->err_fd, room);
	}
	if (b->status != -1)
		retire(s, W_STATUS, &b->status_fd);
	else
		watch(s, W_STATUS, b->status_fd, POLLIN);
}

static void
finish(struct session *s)
{
	struct bridge *b = &s->br;

	if (b->status == -2) {
		static const char msg[] = "tcrmd: the session ended abnormally\r\n";

		ssh_channel_write_stderr(s->channel, msg, sizeof msg - 1);
		b->status = EX_SOFTWARE;
	}
	ssh_channel_request_send_exit_status(s->channel, b->status);
	ssh_channel_send_eof(s->channel);
	ssh_channel_close(s->channel);
	b->finished = true;
	b->linger_until = server_now_ms() + LINGER_MS;
}

static bool
client_gone(struct session *s)
{
	return s->br.client_gone ||
	    (ssh_get_status(s->ssh) & (SSH_CLOSED | SSH_CLOSED_ERROR)) != 0 ||
	    !ssh_is_connected(s->ssh);
}

/* The client left before the work was done: the worker stops at its next
 * transaction (store_run sees the signal) and closes the store cleanly. */
static void
hang_up(struct session *s, const char *why)
{
	struct bridge *b = &s->br;

	server_log(LOG_INFO, "%s: %s: %s", s->peer, s->user.name, why);
	/* The signal before the descriptors close: the worker must know it
	 * was a hang-up before it sees the end of its input. */
	kill(b->worker, SIGHUP);
	if (b->in_fd != b->out_fd && b->in_fd >= 0)
		close(b->in_fd);
	if (b->out_fd >= 0)
		close(b->out_fd);
	if (b->err_fd >= 0)
		close(b->err_fd);
	b->client_gone = true;
	session_exit(s, 0);
}

static int
poll_timeout(const struct session *s)
{
	const struct bridge *b = &s->br;
	int64_t now = server_now_ms(), until = -1;

	if (b->finished)
		until = b->linger_until;
	else if (s->cfg->idle_timeout > 0)
		until = b->last_activity + s->cfg->idle_timeout * 1000LL;
	if (until < 0)
		return -1;
	return until <= now ? 0 : (int)(until - now);
}

static void
idle_out(struct session *s)
{
	char *msg = xasprintf("\r\ntcrmd: no activity for %u seconds; "
	    "disconnecting\r\n", s->cfg->idle_timeout);

	ssh_channel_write_stderr(s->channel, msg, (uint32_t)strlen(msg));
	free(msg);
	ssh_blocking_flush(s->ssh, 1000);
	hang_up(s, "idle timeout");
}

void
bridge_run(struct session *s)
{
	struct bridge *b = &s->br;

	/* Out of the worker's process group: keys like ^C on its terminal
	 * are for the desk, not for us. */
	setpgid(0, 0);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGHUP, SIG_IGN);
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	signal(SIGCHLD, SIG_DFL);
	b->worker = getppid();
	b->pty = s->pty;
	b->err_eof = b->pty;
	activity(b);
	/* Client data that came with the request waits in libssh. */
	b->in_waiting = ssh_channel_poll(s->channel, 0) > 0;
	if (b->client_eof)
		bridge_client_eof(s);
	for (;;) {
		int rc;

		if (!b->finished && b->status != -1 && b->out_eof &&
		    b->err_eof)
			finish(s);
		if (b->finished && (client_gone(s) ||
		    server_now_ms() >= b->linger_until)) {
			b->client_gone = true;
			session_exit(s, 0);
		}
		if (!b->finished && client_gone(s))
			hang_up(s, "client disconnected");
		if (!b->finished && s->cfg->idle_timeout > 0 &&
		    server_now_ms() - b->last_activity >=
		    s->cfg->idle_timeout * 1000LL)
			idle_out(s);
		update_watches(s);
		rc = ssh_event_dopoll(s->event, poll_timeout(s));
		if (rc == SSH_ERROR)
			b->client_gone = true;
	}
}
