/* clock.c - the time tcrm works with: the real one, or TCRM_NOW (seconds
 * since the epoch) so tests can stand at any moment of a working week. */
#include "tcrm.h"

#include <stdlib.h>
#include <sys/time.h>

static bool
fixed_now(time_t *t)
{
	const char *s = getenv("TCRM_NOW");
	char *end;
	long long v;

	if (s == NULL || *s == '\0')
		return false;
	v = strtoll(s, &end, 10);
	if (*end != '\0')
		return false;
	*t = (time_t)v;
	return true;
}

time_t
clock_now(void)
{
	time_t t;

	return fixed_now(&t) ? t : time(NULL);
}

/* For intervals: never jumps with the wall clock or TCRM_NOW. */
int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t
clock_now_us(void)
{
	struct timeval tv;
	time_t t;

	if (fixed_now(&t))
		return (int64_t)t * 1000000;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}
