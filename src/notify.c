/* notify.c - how a command reaches the desks that are running: each desk
 * listens on a Unix stream socket HOME/run/desk.USER.PID, and a message
 * either way is one line. The directory is the environment owner's (0700,
 * or 0770 when the environment is shared by a group); a desk removes its
 * socket when it ends, and whoever finds one nobody answers removes it. */
#include "tcrm.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#define NOTIFY_PREFIX "desk."

static int64_t
notify_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *
notify_dir(const char *home)
{
	return xasprintf("%s/run", home);
}

/* A user name as part of a file name: anything but [A-Za-z0-9_-] (a dot
 * separates the pid) is written %XX, so no two names meet. */
static char *
notify_user_part(const char *user)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b);
	for (const unsigned char *p = (const unsigned char *)user; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '_' || *p == '-')
			buf_addc(&b, (char)*p);
		else {
			buf_addc(&b, '%');
			buf_addc(&b, hex[*p >> 4]);
			buf_addc(&b, hex[*p & 15]);
		}
	}
	return buf_detach(&b);
}

/* The socket address of dir/name; a path longer than sun_path goes
 * through the directory's descriptor (/proc/self/fd/N/name). */
static int
notify_addr(const char *dir, int dirfd, const char *name,
    struct sockaddr_un *sa)
{
	int n;

	memset(sa, 0, sizeof *sa);
	sa->sun_family = AF_UNIX;
	n = snprintf(sa->sun_path, sizeof sa->sun_path, "%s/%s", dir, name);
	if (n >= 0 && (size_t)n < sizeof sa->sun_path)
		return 0;
	if (dirfd < 0)
		return -1;
	n = snprintf(sa->sun_path, sizeof sa->sun_path, "/proc/self/fd/%d/%s",
	    dirfd, name);
	return n >= 0 && (size_t)n < sizeof sa->sun_path ? 0 : -1;
}

static bool
notify_shared(const char *home)
{
	struct stat st;

	return stat(home, &st) == 0 && (st.st_mode & S_IWGRP) != 0;
}

static int
notify_make_dir(const char *home, const char *dir, char **why)
{
	struct stat st;
	mode_t mode = notify_shared(home) ? 02770 : 0700;

	if (mkdir(dir, mode) == 0) {
		chmod(dir, mode);	/* past the umask */
		return 0;
	}
	if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode))
		return 0;
	*why = xasprintf("%s: %s", dir, strerror(errno));
	return -1;
}

static int
notify_connect_at(const char *dir, int dirfd, const char *name, int *fd)
{
	struct sockaddr_un sa;
	int s, err;

	if (notify_addr(dir, dirfd, name, &sa) != 0)
		return ENAMETOOLONG;
	if ((s = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK,
	    0)) < 0)
		return errno;
	if (connect(s, (struct sockaddr *)&sa, sizeof sa) != 0) {
		err = errno;
		close(s);
		return err;
	}
	*fd = s;
	return 0;
}

int
notify_listen(const char *home, const char *user, struct notify_listener *l,
    char **why)
{
	struct sockaddr_un sa;
	char *part, *dir;
	int fd = -1, probe;

	memset(l, 0, sizeof *l);
	l->fd = -1;
	l->dirfd = -1;
	*why = NULL;
	dir = notify_dir(home);
	if (notify_make_dir(home, dir, why) != 0) {
		free(dir);
		return -1;
	}
	part = notify_user_part(user);
	l->name = xasprintf(NOTIFY_PREFIX "%s.%ld", part, (long)getpid());
	l->path = xasprintf("%s/%s", dir, l->name);
	free(part);
	l->dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
	/* A socket of this name is a dead desk's whose pid came round. */
	if (notify_connect_at(dir, l->dirfd, l->name, &probe) == 0)
		close(probe);
	unlink(l->path);
	if (notify_addr(dir, l->dirfd, l->name, &sa) != 0)
		*why = xasprintf("%s: the path is too long", l->path);
	else if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 ||
	    chmod(l->path, notify_shared(home) ? 0660 : 0600) != 0 ||
	    listen(fd, 16) != 0)
		*why = xasprintf("%s: %s", l->path, strerror(errno));
	free(dir);
	if (*why != NULL) {
		if (fd >= 0)
			close(fd);
		notify_unlisten(l);
		return -1;
	}
	l->fd = fd;
	l->pid = getpid();
	return 0;
}

void
notify_unlisten(struct notify_listener *l)
{
	if (l->fd >= 0) {
		close(l->fd);
		/* Only the process that made it: never a forked child. */
		if (l->pid == getpid() && l->path != NULL)
			unlink(l->path);
	}
	if (l->dirfd >= 0)
		close(l->dirfd);
	free(l->path);
	free(l->name);
	l->fd = l->dirfd = -1;
	l->path = l->name = NULL;
}

static int
notify_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* desk.USER.PID, the pid all digits. */
static bool
notify_is_desk_of(const char *name, const char *prefix)
{
	size_t n = strlen(prefix);

	if (strncmp(name, prefix, n) != 0 || name[n] == '\0')
		return false;
	for (name += n; *name != '\0'; name++) {
		if (*name < '0' || *name > '9')
			return false;
	}
	return true;
}

int
notify_desks(const char *home, const char *user, struct strv *names)
{
	char *dir = notify_dir(home), *part = notify_user_part(user);
	char *prefix = xasprintf(NOTIFY_PREFIX "%s.", part);
	struct dirent *de;
	DIR *dp;
	int rc = 0;

	strv_init(names);
	if ((dp = opendir(dir)) == NULL)
		rc = errno == ENOENT ? 0 : -1;
	while (dp != NULL && (de = readdir(dp)) != NULL) {
		if (notify_is_desk_of(de->d_name, prefix))
			strv_push(names, de->d_name);
	}
	if (dp != NULL)
		closedir(dp);
	if (names->n > 1)
		qsort(names->v, names->n, sizeof *names->v, notify_cmp);
	free(prefix);
	free(part);
	free(dir);
	return rc;
}

int
notify_connect(const char *home, const char *name, int *fd, bool *stale)
{
	char *dir = notify_dir(home), *path;
	int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC), err;
	struct stat st;

	*stale = false;
	err = notify_connect_at(dir, dirfd, name, fd);
	/* Nobody listens: a desk that was killed. Its socket goes. */
	if (err == ECONNREFUSED) {
		path = xasprintf("%s/%s", dir, name);
		if (lstat(path, &st) == 0 && S_ISSOCK(st.st_mode) &&
		    unlink(path) == 0)
			*stale = true;
		free(path);
	}
	if (dirfd >= 0)
		close(dirfd);
	free(dir);
	return err;
}

void
notify_conn_init(struct notify_conn *c, int fd)
{
	c->fd = fd;
	buf_init(&c->in);
	c->opened_ms = notify_now_ms();
}

void
notify_conn_close(struct notify_conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	buf_free(&c->in);
}

/*
 * Read what is there (the descriptor does not block). 1: a whole line is
 * in *line (owned, without its newline); 0: not yet; -1: the peer closed,
 * an error, a NUL byte, or a line longer than NOTIFY_LINE_MAX.
 */
int
notify_read_line(struct notify_conn *c, char **line)
{
	char tmp[1024], *nl;
	size_t n;
	ssize_t r;

	*line = NULL;
	for (;;) {
		if (c->in.len > 0 &&
		    (nl = memchr(c->in.data, '\n', c->in.len)) != NULL) {
			n = (size_t)(nl - c->in.data);
			if (memchr(c->in.data, '\0', n) != NULL)
				return -1;
			*line = xstrndup(c->in.data, n);
			memmove(c->in.data, nl + 1, c->in.len - n - 1);
			c->in.len -= n + 1;
			c->in.data[c->in.len] = '\0';
			return 1;
		}
		if (c->in.len >= NOTIFY_LINE_MAX)
			return -1;
		n = NOTIFY_LINE_MAX + 1 - c->in.len;
		r = read(c->fd, tmp, n < sizeof tmp ? n : sizeof tmp);
		if (r > 0) {
			buf_add(&c->in, tmp, (size_t)r);
			continue;
		}
		if (r < 0 && (errno == EAGAIN || errno == EINTR))
			return 0;
		return -1;
	}
}

/* The whole line and its newline, waiting at most timeout_ms for room. */
int
notify_write_line(int fd, const char *line, int timeout_ms)
{
	struct buf b;
	size_t off = 0;
	int64_t until = notify_now_ms() + timeout_ms;
	int rc = 0;

	buf_init(&b);
	buf_adds(&b, line);
	buf_addc(&b, '\n');
	while (off < b.len) {
		struct pollfd p = { fd, POLLOUT, 0 };
		ssize_t w = send(fd, b.data + off, b.len - off, MSG_NOSIGNAL);
		int64_t left;

		if (w > 0) {
			off += (size_t)w;
			continue;
		}
		if (w < 0 && errno != EAGAIN && errno != EINTR) {
			rc = -1;
			break;
		}
		if ((left = until - notify_now_ms()) <= 0) {
			errno = ETIMEDOUT;
			rc = -1;
			break;
		}
		poll(&p, 1, (int)left);
	}
	buf_free(&b);
	return rc;
}
