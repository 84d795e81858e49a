/* sla.c - working time on a calendar: open hours per weekday, holidays
 * and make-up working days, in the calendar's own time zone. */
#include "tcrm.h"

#include <stdlib.h>
#include <string.h>

/* The longest a walk looks ahead for open hours: ten years. */
#define CAL_MAX_DAYS 3660

struct tz_saved {
	char *tz;
	bool had;
	bool swapped;
};

/* Calendars name their zone; the process may be in another. */
static void
tz_enter(const struct calendar *cal, struct tz_saved *sv)
{
	const char *cur = getenv("TZ");

	sv->swapped = false;
	if (cal->timezone == NULL || (cur != NULL &&
	    strcmp(cur, cal->timezone) == 0))
		return;
	sv->had = cur != NULL;
	sv->tz = cur != NULL ? xstrdup(cur) : NULL;
	setenv("TZ", cal->timezone, 1);
	tzset();
	sv->swapped = true;
}

static void
tz_leave(struct tz_saved *sv)
{
	if (!sv->swapped)
		return;
	if (sv->had)
		setenv("TZ", sv->tz, 1);
	else
		unsetenv("TZ");
	tzset();
	free(sv->tz);
}

static bool
in_sorted(const int *v, size_t n, int key)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (v[mid] == key)
			return true;
		if (v[mid] < key)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool
cal_is_open_day(const struct calendar *cal, int ymd, int wday,
    struct svc_span *span)
{
	if (in_sorted(cal->holidays, cal->nholidays, ymd))
		return false;
	if (in_sorted(cal->workdays, cal->nworkdays, ymd)) {
		/* A make-up day keeps Monday's hours. */
		*span = cal->week[1];
		return span->open < span->close;
	}
	*span = cal->week[wday];
	return span->open < span->close;
}

static time_t
at_minute(const struct tm *day, int minute)
{
	struct tm tm = *day;

	tm.tm_hour = minute / 60;
	tm.tm_min = minute % 60;
	tm.tm_sec = 0;
	tm.tm_isdst = -1;
	return mktime(&tm);
}

/* The open interval of the day holding t, if it is open. */
static bool
day_hours(const struct calendar *cal, time_t t, time_t *from, time_t *to,
    time_t *next_day)
{
	struct tm tm, next;
	struct svc_span span;
	int ymd;
	bool open;

	localtime_r(&t, &tm);
	ymd = (tm.tm_year + 1900) * 10000 + (tm.tm_mon + 1) * 100 + tm.tm_mday;
	open = cal_is_open_day(cal, ymd, tm.tm_wday, &span);
	next = tm;
	next.tm_mday++;
	*next_day = at_minute(&next, 0);
	if (!open)
		return false;
	*from = at_minute(&tm, span.open);
	*to = span.close >= 24 * 60 ? *next_day : at_minute(&tm, span.close);
	return true;
}

time_t
cal_add(const struct calendar *cal, time_t start, long work)
{
	struct tz_saved sv;
	time_t t = start, from, to, next, result = start + work;

	if (work <= 0)
		return start;
	tz_enter(cal, &sv);
	for (int i = 0; i < CAL_MAX_DAYS; i++) {
		if (day_hours(cal, t, &from, &to, &next)) {
			time_t s = t > from ? t : from;

			if (s < to) {
				if ((long)(to - s) >= work) {
					result = s + work;
					break;
				}
				work -= (long)(to - s);
			}
		}
		if (next <= t)
			next = t + 3600;	/* a zone with no midnight */
		t = next;
	}
	tz_leave(&sv);
	return result;
}

long
cal_between(const struct calendar *cal, time_t a, time_t b)
{
	struct tz_saved sv;
	time_t t, from, to, next;
	long sum = 0;

	if (b < a)
		return -cal_between(cal, b, a);
	tz_enter(cal, &sv);
	for (t = a; t < b;) {
		if (day_hours(cal, t, &from, &to, &next)) {
			time_t s = t > from ? t : from;
			time_t e = b < to ? b : to;

			if (e > s)
				sum += (long)(e - s);
		}
		if (next <= t)
			next = t + 3600;
		t = next;
	}
	tz_leave(&sv);
	return sum;
}

int
datetime_parse(const char *s, time_t *t)
{
	struct tm tm;
	int n = 0;

	memset(&tm, 0, sizeof tm);
	if (s == NULL || sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year,
	    &tm.tm_mon, &tm.tm_mday, &tm.tm_hour, &tm.tm_min, &tm.tm_sec,
	    &n) != 6 || s[n] != '\0')
		return -1;
	tm.tm_year -= 1900;
	tm.tm_mon -= 1;
	tm.tm_isdst = -1;
	*t = mktime(&tm);
	return 0;
}

char *
datetime_format(time_t t)
{
	struct tm tm;

	localtime_r(&t, &tm);
	return xasprintf("%04d-%02d-%02dT%02d:%02d:%02d", tm.tm_year + 1900,
	    tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}
