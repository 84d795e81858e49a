/* server-log.c - tcrmd's log: syslog, or stderr in the foreground (-D).
 * Every line is sanitised: user names and commands come from clients. */
#include "tcrm.h"

#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <sys/time.h>
#include <unistd.h>

/* A copy of stderr: a session's worker puts its pipes on 0, 1 and 2, and
 * the log must not go to the client. */
static int log_fd = -1;

void
server_log_open(bool foreground)
{
	if (foreground)
		log_fd = fcntl(2, F_DUPFD_CLOEXEC, 3);
	else
		openlog("tcrmd", LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
server_log(int priority, const char *fmt, ...)
{
	va_list ap;
	char *msg, *safe;
	struct timeval tv;
	struct tm tm;
	char stamp[32];

	va_start(ap, fmt);
	msg = xvasprintf(fmt, ap);
	va_end(ap);
	safe = utf8_sanitize(msg);
	if (log_fd >= 0) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		strftime(stamp, sizeof stamp, "%H:%M:%S", &tm);
		dprintf(log_fd, "%s.%03ld tcrmd[%ld]: %s\n", stamp,
		    (long)tv.tv_usec / 1000, (long)getpid(), safe);
	} else
		syslog(priority, "%s", safe);
	free(safe);
	free(msg);
}
