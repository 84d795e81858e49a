/* form-field.c - checking and normalising what people type into fields. */
#include "tcrm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DATE_HELP N_("use YYYY-MM-DD, today, +3d")
#define DATETIME_HELP N_("use YYYY-MM-DD HH:MM, now, +2h")
#define MONEY_HELP N_("use 1234.50, 1,234.50 CNY or ¥1234.50")

typedef int (*normalise_fn)(const struct field *, const char *, char **,
    char **);

struct datetime {
	int year, month, day;
	int hour, minute, second;
};

static int TCRM_ATTR_PRINTF(2, 3)
fail(char **why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	*why = xvasprintf(fmt, ap);
	va_end(ap);
	return -1;
}

/* The input as quoted in a message: long text is cut at a character. */
static char *
shown(const char *s)
{
	size_t n = 0;

	while (s[n] != '\0' && n < 60)
		n++;
	if (s[n] == '\0')
		return xstrdup(s);
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return xasprintf("%.*s...", (int)n, s);
}

static int TCRM_ATTR_PRINTF(3, 4)
fail_input(char **why, const char *in, const char *fmt, ...)
{
	va_list ap;
	char *rule, *q = shown(in);

	va_start(ap, fmt);
	rule = xvasprintf(fmt, ap);
	va_end(ap);
	/* TRANSLATORS: the input as typed, then what is wrong with it. */
	*why = xasprintf(_("'%s' %s"), q, rule);
	free(rule);
	free(q);
	return -1;
}

/*
 * Chinese input methods type digits, letters and punctuation in full
 * width ("１２３", "＠"); numbers, dates and addresses take them as ASCII.
 */
static char *
halfwidth(const char *s)
{
	struct buf b;
	size_t len = strlen(s);

	buf_init(&b);
	while (len > 0) {
		int32_t cp;
		size_t n = utf8_decode(s, len, &cp);

		if (cp >= 0xff01 && cp <= 0xff5e)
			buf_addc(&b, (char)(cp - 0xfee0));
		else if (cp == 0x3000)
			buf_addc(&b, ' ');
		else if (cp == 0x3002)	/* ideographic full stop */
			buf_addc(&b, '.');
		else
			buf_add(&b, s, n);
		s += n;
		len -= n;
	}
	return buf_detach(&b);
}

static size_t
count_chars(const char *s)
{
	size_t n = 0, len = strlen(s);

	while (len > 0) {
		int32_t cp;
		size_t used = utf8_decode(s, len, &cp);

		s += used;
		len -= used;
		n++;
	}
	return n;
}

static int
check_max(const struct field *f, const char *s, char **why)
{
	if (f->max > 0 && count_chars(s) > f->max)
		return fail(why, _("longer than %zu characters"), f->max);
	return 0;
}

static bool
is_control(int32_t cp)
{
	return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0);
}

static int
check_controls(const char *s, bool multiline, char **why)
{
	size_t len = strlen(s);

	while (len > 0) {
		int32_t cp;
		size_t n = utf8_decode(s, len, &cp);

		if (!multiline && cp == '\n')
			return fail(why, _("contains a line break (only long "
			    "text fields take several lines)"));
		if (is_control(cp) && !(multiline && (cp == '\n' ||
		    cp == '\t')))
			return fail(why, _("contains the control character "
			    "U+%04X"), (unsigned)cp);
		s += n;
		len -= n;
	}
	return 0;
}

static int
norm_text(const struct field *f, const char *s, char **out, char **why)
{
	if (check_controls(s, false, why) != 0 || check_max(f, s, why) != 0)
		return -1;
	*out = xstrdup(s);
	return 0;
}

static int
norm_longtext(const struct field *f, const char *s, char **out, char **why)
{
	if (check_controls(s, true, why) != 0 || check_max(f, s, why) != 0)
		return -1;
	*out = xstrdup(s);
	return 0;
}

/* Decimal digits into *v, no more than limit; false on overflow. */
static bool
add_digits(const char **pp, uint64_t *v, uint64_t limit, size_t *ndigits)
{
	const char *p = *pp;

	for (; isdigit((unsigned char)*p); p++, (*ndigits)++) {
		unsigned d = (unsigned)(*p - '0');

		if (*v > (limit - d) / 10)
			return false;
		*v = *v * 10 + d;
	}
	*pp = p;
	return true;
}

static int
norm_int(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	const char *p = s;
	bool neg = false;
	uint64_t v = 0, limit = (uint64_t)INT64_MAX;
	size_t nd = 0;
	int rc = 0;

	(void)f;
	if (*p == '-' || *p == '+')
		neg = *p++ == '-';
	if (neg)
		limit++;
	if (!add_digits(&p, &v, limit, &nd))
		rc = fail_input(why, in, _("is too large for a whole number"));
	else if (nd == 0 || *p != '\0')
		rc = fail_input(why, in, _("is not a whole number"));
	else if (neg && v != 0)
		*out = xasprintf("-%llu", (unsigned long long)v);
	else
		*out = xasprintf("%llu", (unsigned long long)v);
	free(s);
	return rc;
}

static void
skip_spaces(const char **p)
{
	while (**p == ' ')
		(*p)++;
}

static bool
is_currency_code(const char *s)
{
	const unsigned char *u = (const unsigned char *)s;

	return isalpha(u[0]) && isalpha(u[1]) && isalpha(u[2]) &&
	    !isalpha(u[3]);
}

/* A currency symbol or code at *p; advances past it. */
static const char *
take_currency(const char **p, char code[4])
{
	static const struct {
		const char *text;
		const char *code;
	} symbols[] = {
		{ "¥", "CNY" }, { "￥", "CNY" }, { "元", "CNY" },
		{ "$", "USD" }, { "€", "EUR" }, { "£", "GBP" }
	};

	for (size_t i = 0; i < sizeof symbols / sizeof *symbols; i++) {
		size_t n = strlen(symbols[i].text);

		if (strncmp(*p, symbols[i].text, n) == 0) {
			*p += n;
			return symbols[i].code;
		}
	}
	if (is_currency_code(*p)) {
		for (int i = 0; i < 3; i++)
			code[i] = (char)toupper((unsigned char)(*p)[i]);
		code[3] = '\0';
		*p += 3;
		/* What Chinese customers write for the yuan. */
		if (strcmp(code, "RMB") == 0)
			return "CNY";
		return code;
	}
	return NULL;
}

/*
 * Digits with optional thousands commas, then up to two decimals, as
 * minor units. Commas must group by three so "1,5" (a European 1.5) is
 * refused rather than read as 15.
 */
static int
take_amount(const char **pp, uint64_t *units, const char *in, char **why)
{
	const char *p = *pp;
	uint64_t v = 0, limit = (uint64_t)INT64_MAX / 100;
	size_t nd = 0, group = 0, groups = 0;
	int decimals = 0;

	for (; isdigit((unsigned char)*p) || *p == ','; p++) {
		if (*p == ',') {
			if ((groups == 0 && (group == 0 || group > 3)) ||
			    (groups > 0 && group != 3))
				return fail_input(why, in, _("is not an amount "
				    "of money (%s)"), _(MONEY_HELP));
			groups++;
			group = 0;
			continue;
		}
		if (v > (limit - (unsigned)(*p - '0')) / 10)
			return fail_input(why, in, _("is too large an amount"));
		v = v * 10 + (unsigned)(*p - '0');
		nd++;
		group++;
	}
	if (groups > 0 && group != 3)
		return fail_input(why, in, _("is not an amount of money (%s)"),
		    _(MONEY_HELP));
	if (*p == '.') {
		for (p++; isdigit((unsigned char)*p); p++, nd++) {
			if (decimals == 2) {
				if (*p != '0')
					return fail_input(why, in, _("has more "
					    "than 2 decimal places"));
				continue;
			}
			v = v * 10 + (unsigned)(*p - '0');
			decimals++;
		}
	}
	if (nd == 0)
		return fail_input(why, in, _("is not an amount of money (%s)"),
		    _(MONEY_HELP));
	for (; decimals < 2; decimals++)
		v *= 10;
	if (v > (uint64_t)INT64_MAX)
		return fail_input(why, in, _("is too large an amount"));
	*units = v;
	*pp = p;
	return 0;
}

static bool
take_sign(const char **p, bool *neg)
{
	if (**p != '-' && **p != '+')
		return false;
	*neg = *(*p)++ == '-';
	skip_spaces(p);
	return true;
}

static int
norm_money(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	const char *p = s, *cur, *suffix;
	char code[4], code2[4];
	bool neg = false, signed_ = take_sign(&p, &neg);
	uint64_t units = 0;
	int rc = -1;

	if ((cur = take_currency(&p, code)) != NULL)
		skip_spaces(&p);
	if (!signed_)
		take_sign(&p, &neg);
	if (take_amount(&p, &units, in, why) != 0)
		goto out;
	skip_spaces(&p);
	if ((suffix = take_currency(&p, code2)) != NULL) {
		if (cur != NULL && strcmp(cur, suffix) != 0) {
			rc = fail_input(why, in, _("names two currencies"));
			goto out;
		}
		cur = suffix;
	}
	if (*p != '\0') {
		rc = fail_input(why, in, _("is not an amount of money (%s)"),
		    _(MONEY_HELP));
		goto out;
	}
	if (cur == NULL)
		cur = f->currency != NULL ? f->currency : "CNY";
	*out = xasprintf("%s%llu %s", neg && units != 0 ? "-" : "",
	    (unsigned long long)units, cur);
	rc = 0;
out:
	free(s);
	return rc;
}

static bool
leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int days[] = {
		31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (m == 2 && leap_year(y))
		return 29;
	return days[m - 1];
}

static bool
valid_date(const struct datetime *dt)
{
	return dt->year >= 1 && dt->year <= 9999 && dt->month >= 1 &&
	    dt->month <= 12 && dt->day >= 1 &&
	    dt->day <= days_in_month(dt->year, dt->month);
}

/* Days since 1970-01-01 of a proleptic Gregorian date. */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void
civil_from_days(int64_t z, struct datetime *dt)
{
	int64_t era, doe, yoe, doy, mp, y;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	dt->day = (int)(doy - (153 * mp + 2) / 5 + 1);
	dt->month = (int)(mp < 10 ? mp + 3 : mp - 9);
	dt->year = (int)(y + (dt->month <= 2));
}

static void
from_time(time_t t, struct datetime *dt)
{
	struct tm tm;

	localtime_r(&t, &tm);
	dt->year = tm.tm_year + 1900;
	dt->month = tm.tm_mon + 1;
	dt->day = tm.tm_mday;
	dt->hour = tm.tm_hour;
	dt->minute = tm.tm_min;
	dt->second = tm.tm_sec;
}

static void
add_days(struct datetime *dt, int64_t days)
{
	civil_from_days(days_from_civil(dt->year, dt->month, dt->day) + days,
	    dt);
}

/* Jan 31 plus one month is the last day of February. */
static void
add_months(struct datetime *dt, int64_t months)
{
	int64_t total = (int64_t)dt->year * 12 + (dt->month - 1) + months;
	int dim;

	if (total < 0)
		total = 0;
	dt->year = (int)(total / 12);
	dt->month = (int)(total % 12) + 1;
	if (dt->year < 1)
		return;
	dim = days_in_month(dt->year, dt->month);
	if (dt->day > dim)
		dt->day = dim;
}

static bool
match_word(const char **p, const char *word)
{
	size_t n = strlen(word);

	if (strncasecmp(*p, word, n) != 0 || isalpha((unsigned char)(*p)[n]))
		return false;
	*p += n;
	return true;
}

static bool
take_day_word(const char **p, struct datetime *dt)
{
	static const struct {
		const char *word;
		int offset;
	} words[] = {
		{ "today", 0 }, { "yesterday", -1 }, { "tomorrow", 1 },
		{ "今天", 0 }, { "昨天", -1 }, { "明天", 1 }
	};

	for (size_t i = 0; i < sizeof words / sizeof *words; i++) {
		if (match_word(p, words[i].word)) {
			from_time(clock_now(), dt);
			dt->hour = dt->minute = dt->second = 0;
			add_days(dt, words[i].offset);
			return true;
		}
	}
	return false;
}

/*
 * "+3d", "-2w", "+1m", "+1y" from today; with hours allowed, also "+2h"
 * and "+30min" from now. A month is a calendar month.
 */
static bool
take_relative(const char **pp, struct datetime *dt, bool hours)
{
	const char *p = *pp;
	int64_t n = 0;
	int sign = *p == '-' ? -1 : 1;
	size_t nd = 0;
	uint64_t v = 0;

	if (*p != '+' && *p != '-')
		return false;
	p++;
	if (!add_digits(&p, &v, 100000, &nd) || nd == 0)
		return false;
	n = sign * (int64_t)v;
	from_time(clock_now(), dt);
	if (hours && (match_word(&p, "min") || match_word(&p, "mins") ||
	    match_word(&p, "minutes")))
		from_time(clock_now() + (time_t)(n * 60), dt);
	else if (hours && (match_word(&p, "h") || match_word(&p, "hours")))
		from_time(clock_now() + (time_t)(n * 3600), dt);
	else if (match_word(&p, "d") || match_word(&p, "days"))
		add_days(dt, n);
	else if (match_word(&p, "w") || match_word(&p, "weeks"))
		add_days(dt, n * 7);
	else if (match_word(&p, "m") || match_word(&p, "months"))
		add_months(dt, n);
	else if (match_word(&p, "y") || match_word(&p, "years"))
		add_months(dt, n * 12);
	else
		return false;
	if (!hours)
		dt->hour = dt->minute = dt->second = 0;
	*pp = p;
	return dt->year >= 1 && dt->year <= 9999;
}

static bool
take_number(const char **pp, int min_digits, int max_digits, int *v)
{
	const char *p = *pp;
	int n = 0;

	*v = 0;
	while (n < max_digits && isdigit((unsigned char)*p)) {
		*v = *v * 10 + (*p++ - '0');
		n++;
	}
	if (n < min_digits || isdigit((unsigned char)*p))
		return false;
	*pp = p;
	return true;
}

static bool
take_literal(const char **p, const char *s)
{
	size_t n = strlen(s);

	if (strncmp(*p, s, n) != 0)
		return false;
	*p += n;
	return true;
}

/* 2026-03-05, 2026/3/5, 2026.3.5 or 2026年3月5日. */
static bool
take_absolute_date(const char **pp, struct datetime *dt)
{
	const char *p = *pp;
	char sep;

	memset(dt, 0, sizeof *dt);
	if (!take_number(&p, 4, 4, &dt->year))
		return false;
	if (take_literal(&p, "年")) {
		if (!take_number(&p, 1, 2, &dt->month) ||
		    !take_literal(&p, "月") ||
		    !take_number(&p, 1, 2, &dt->day))
			return false;
		take_literal(&p, "日");
	} else {
		sep = *p;
		if (sep != '-' && sep != '/' && sep != '.')
			return false;
		p++;
		if (!take_number(&p, 1, 2, &dt->month) || *p++ != sep ||
		    !take_number(&p, 1, 2, &dt->day))
			return false;
	}
	*pp = p;
	return valid_date(dt);
}

static bool
take_date(const char **p, struct datetime *dt, bool hours)
{
	return take_day_word(p, dt) || take_relative(p, dt, hours) ||
	    take_absolute_date(p, dt);
}

static int
norm_date(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	const char *p = s;
	struct datetime dt;
	int rc = 0;

	(void)f;
	if (!take_date(&p, &dt, false) || *p != '\0')
		rc = fail_input(why, in, _("is not a date (%s)"), _(DATE_HELP));
	else
		*out = xasprintf("%04d-%02d-%02d", dt.year, dt.month, dt.day);
	free(s);
	return rc;
}

static bool
take_time(const char **pp, struct datetime *dt)
{
	const char *p = *pp;

	dt->second = 0;
	if (!take_number(&p, 1, 2, &dt->hour) || *p++ != ':' ||
	    !take_number(&p, 2, 2, &dt->minute))
		return false;
	if (*p == ':' && !(p++, take_number(&p, 2, 2, &dt->second)))
		return false;
	*pp = p;
	return dt->hour < 24 && dt->minute < 60 && dt->second < 60;
}

static bool
take_two_digits(const char **p, int *v)
{
	const char *s = *p;

	if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]))
		return false;
	*v = (s[0] - '0') * 10 + (s[1] - '0');
	*p += 2;
	return true;
}

/* "Z", "+08:00" or "+0800" after a time: seconds east of UTC. */
static bool
take_zone(const char **pp, bool *has_zone, int *offset)
{
	const char *p = *pp;
	int sign, h, m;

	*has_zone = false;
	if (*p == 'Z' || *p == 'z') {
		*has_zone = true;
		*offset = 0;
		*pp = p + 1;
		return true;
	}
	if (*p != '+' && *p != '-')
		return true;
	sign = *p++ == '-' ? -1 : 1;
	if (!take_two_digits(&p, &h))
		return false;
	if (*p == ':')
		p++;
	if (!take_two_digits(&p, &m) || isdigit((unsigned char)*p) ||
	    h > 14 || m > 59)
		return false;
	*has_zone = true;
	*offset = sign * (h * 3600 + m * 60);
	*pp = p;
	return true;
}

static void
zone_to_local(struct datetime *dt, int offset)
{
	int64_t t = days_from_civil(dt->year, dt->month, dt->day) * 86400 +
	    dt->hour * 3600 + dt->minute * 60 + dt->second - offset;

	from_time((time_t)t, dt);
}

static bool
take_datetime(const char **pp, struct datetime *dt)
{
	const char *p = *pp;
	bool has_zone;
	int offset;

	if (match_word(&p, "now") || take_literal(&p, "现在")) {
		from_time(clock_now(), dt);
		*pp = p;
		return true;
	}
	if (take_time(&p, dt)) {
		struct datetime today;

		from_time(clock_now(), &today);
		dt->year = today.year;
		dt->month = today.month;
		dt->day = today.day;
		*pp = p;
		return true;
	}
	if (!take_date(&p, dt, true))
		return false;
	if (*p == ' ' || *p == 'T' || *p == 't') {
		p++;
		skip_spaces(&p);
		if (!take_time(&p, dt) || !take_zone(&p, &has_zone, &offset))
			return false;
		if (has_zone)
			zone_to_local(dt, offset);
	}
	*pp = p;
	return dt->year >= 1 && dt->year <= 9999;
}

static int
norm_datetime(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	const char *p = s;
	struct datetime dt;
	int rc = 0;

	(void)f;
	if (!take_datetime(&p, &dt) || *p != '\0') {
		rc = fail_input(why, in, _("is not a date and time (%s)"),
		    _(DATETIME_HELP));
	} else {
		*out = xasprintf("%04d-%02d-%02dT%02d:%02d:%02d", dt.year,
		    dt.month, dt.day, dt.hour, dt.minute, dt.second);
	}
	free(s);
	return rc;
}

static int
norm_bool(const struct field *f, const char *in, char **out, char **why)
{
	static const char *yes[] = { "yes", "y", "true", "1", "是", "on" };
	static const char *no[] = { "no", "n", "false", "0", "否", "off" };
	char *s = halfwidth(in);
	int rc = 0;

	(void)f;
	*out = NULL;
	for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) {
		if (strcasecmp(s, yes[i]) == 0)
			*out = xstrdup("true");
		else if (strcasecmp(s, no[i]) == 0)
			*out = xstrdup("false");
		if (*out != NULL)
			break;
	}
	if (*out == NULL)
		rc = fail_input(why, in, _("is not yes or no"));
	free(s);
	return rc;
}

static bool
same_key(const char *key, const char *s)
{
	char *k;
	bool same;

	if (s == NULL)
		return false;
	k = field_match_key(s);
	same = strcmp(k, key) == 0;
	free(k);
	return same;
}

static int
norm_enum(const struct field *f, const char *in, char **out, char **why)
{
	char *key, *list;
	struct strv values;

	for (size_t i = 0; i < f->nvalues; i++) {
		if (strcmp(f->values[i].value, in) == 0) {
			*out = xstrdup(in);
			return 0;
		}
	}
	/* "No answer", "NO_ANSWER" and "未接通" all mean no_answer. */
	key = field_match_key(in);
	for (size_t i = 0; i < f->nvalues; i++) {
		const struct enum_value *ev = &f->values[i];

		if (same_key(key, ev->value) || same_key(key, ev->label.en) ||
		    same_key(key, ev->label.zh)) {
			*out = xstrdup(ev->value);
			free(key);
			return 0;
		}
	}
	free(key);
	strv_init(&values);
	for (size_t i = 0; i < f->nvalues; i++)
		strv_push(&values, f->values[i].value);
	list = strv_join(&values, ", ");
	fail_input(why, in, _("is not one of: %s"), list);
	free(list);
	strv_free(&values);
	return -1;
}

static const char *
default_country(void)
{
	const char *cc = getenv("TCRM_COUNTRY");

	return cc != NULL && *cc != '\0' ? cc : "86";
}

static int
check_phone(const char *s, struct phone *ph, char **why)
{
	const char *reason;

	if (phone_parse(s, default_country(), ph, &reason) == 0)
		return 0;
	return fail_input(why, s, _("is not a phone number (%s)"), _(reason));
}

static int
norm_phone(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	struct phone ph;
	int rc;

	(void)f;
	if ((rc = check_phone(s, &ph, why)) == 0)
		*out = s;
	else
		free(s);
	return rc;
}

/* Split a list of numbers as people write them; the same one once. */
static int
norm_phones(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	struct strv items, kept, keys;
	char key[64];
	int rc = 0;

	(void)f;
	for (char *p = s; (p = strstr(p, "、")) != NULL; )
		memcpy(p, ",  ", 3);
	strv_init(&items);
	strv_init(&kept);
	strv_init(&keys);
	strv_split(&items, s, ",;/\n\r");
	for (size_t i = 0; i < items.n && rc == 0; i++) {
		char *item = utf8_trim(items.v[i]);
		struct phone ph;
		size_t j;

		if (*item != '\0' && (rc = check_phone(item, &ph, why)) == 0) {
			phone_key(&ph, key, sizeof key);
			for (j = 0; j < keys.n; j++) {
				if (strcmp(keys.v[j], key) == 0)
					break;
			}
			if (j == keys.n) {
				strv_push(&keys, key);
				strv_push(&kept, item);
			}
		}
		free(item);
	}
	if (rc == 0)
		*out = strv_join(&kept, "\n");
	strv_free(&items);
	strv_free(&kept);
	strv_free(&keys);
	free(s);
	return rc;
}

static bool
valid_domain(const char *d)
{
	const char *dot = strrchr(d, '.');

	if (*d == '\0' || *d == '.' || dot == NULL || dot[1] == '\0' ||
	    strstr(d, "..") != NULL || d[strlen(d) - 1] == '-')
		return false;
	for (; *d != '\0'; d++) {
		if (strchr("()<>,;:\\\"[]@/ ", *d) != NULL)
			return false;
	}
	return true;
}

static bool
has_space_or_control(const char *s)
{
	size_t len = strlen(s);

	while (len > 0) {
		int32_t cp;
		size_t n = utf8_decode(s, len, &cp);

		if (is_control(cp) || cp == ' ' || cp == 0x3000)
			return true;
		s += n;
		len -= n;
	}
	return false;
}

static int
norm_email(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	char *at = strchr(s, '@');

	if (at == NULL || at == s || strchr(at + 1, '@') != NULL ||
	    has_space_or_control(s) || !valid_domain(at + 1)) {
		free(s);
		return fail_input(why, in, _("is not an email address"));
	}
	for (char *p = at + 1; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	if (check_max(f, s, why) != 0) {
		free(s);
		return -1;
	}
	*out = s;
	return 0;
}

static int
norm_url(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in), *url;
	const char *host, *sep = strstr(s, "://");
	size_t hostlen;

	if (sep == NULL)
		url = xasprintf("https://%s", s);
	else if ((sep - s == 4 && strncasecmp(s, "http", 4) == 0) ||
	    (sep - s == 5 && strncasecmp(s, "https", 5) == 0)) {
		url = xstrdup(s);
		for (char *p = url; *p != ':'; p++)
			*p = (char)tolower((unsigned char)*p);
	} else {
		free(s);
		return fail_input(why, in, _("is not a web address (only "
		    "http:// and https://)"));
	}
	free(s);
	host = strstr(url, "://") + 3;
	hostlen = strcspn(host, "/?#");
	if (hostlen == 0 || has_space_or_control(url) ||
	    (sep == NULL && memchr(host, '.', hostlen) == NULL)) {
		free(url);
		return fail_input(why, in, _("is not a web address"));
	}
	if (check_max(f, url, why) != 0) {
		free(url);
		return -1;
	}
	*out = url;
	return 0;
}

static int
norm_ref(const struct field *f, const char *in, char **out, char **why)
{
	char *s = halfwidth(in);
	const char *p = s;
	uint64_t v = 0;
	size_t nd = 0;
	int rc = 0;

	(void)f;
	if (*p == '#')
		p++;
	if (!add_digits(&p, &v, UINT32_MAX, &nd) || nd == 0 || *p != '\0' ||
	    v == 0)
		rc = fail_input(why, in, _("is not a record number"));
	else
		*out = xasprintf("%llu", (unsigned long long)v);
	free(s);
	return rc;
}

static const normalise_fn normalisers[] = {
	[FT_TEXT] = norm_text,
	[FT_LONGTEXT] = norm_longtext,
	[FT_INT] = norm_int,
	[FT_MONEY] = norm_money,
	[FT_DATE] = norm_date,
	[FT_DATETIME] = norm_datetime,
	[FT_BOOL] = norm_bool,
	[FT_ENUM] = norm_enum,
	[FT_PHONE] = norm_phone,
	[FT_PHONES] = norm_phones,
	[FT_EMAIL] = norm_email,
	[FT_URL] = norm_url,
	[FT_REF] = norm_ref
};

/* Windows and old Mac line ends become "\n" before anything else. */
static char *
unix_lines(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *q = out;

	for (; *s != '\0'; s++) {
		if (*s == '\r') {
			*q++ = '\n';
			if (s[1] == '\n')
				s++;
		} else
			*q++ = *s;
	}
	*q = '\0';
	return out;
}

int
field_normalise(const struct field *f, const char *in, char **out,
    char **why)
{
	char *lines, *s;
	int rc;

	*out = NULL;
	*why = NULL;
	if (in == NULL)
		in = "";
	if (!utf8_valid(in, strlen(in), &(size_t){ 0 }))
		return fail(why, _("not valid UTF-8 text"));
	lines = unix_lines(in);
	s = utf8_trim(lines);
	free(lines);
	if (*s == '\0' || (size_t)f->type >= sizeof normalisers /
	    sizeof *normalisers) {
		*out = s;
		return 0;
	}
	rc = normalisers[f->type](f, s, out, why);
	free(s);
	return rc;
}

static char *
display_money(const char *stored)
{
	const char *p = stored, *cur;
	unsigned long long v = 0;
	bool neg = *p == '-';

	if (neg)
		p++;
	if (!isdigit((unsigned char)*p))
		return xstrdup(stored);
	for (; isdigit((unsigned char)*p); p++)
		v = v * 10 + (unsigned)(*p - '0');
	if (*p != ' ' && *p != '\0')
		return xstrdup(stored);
	cur = *p == ' ' ? p + 1 : "";
	return xasprintf("%s%llu.%02llu%s%s", neg ? "-" : "", v / 100, v % 100,
	    *cur != '\0' ? " " : "", cur);
}

static char *
replace_all(const char *s, char from, const char *to)
{
	struct buf b;

	buf_init(&b);
	for (; *s != '\0'; s++) {
		if (*s == from)
			buf_adds(&b, to);
		else
			buf_addc(&b, *s);
	}
	return buf_detach(&b);
}

/* Each form reads back through field_normalise to the same value. */
char *
field_display(const struct field *f, const char *stored)
{
	if (stored == NULL || *stored == '\0')
		return xstrdup("");
	switch (f->type) {
	case FT_MONEY:
		return display_money(stored);
	case FT_DATETIME:
		return replace_all(stored, 'T', " ");
	case FT_PHONES:
		return replace_all(stored, '\n', ", ");
	case FT_BOOL:
		if (strcmp(stored, "true") == 0)
			return xstrdup("yes");
		if (strcmp(stored, "false") == 0)
			return xstrdup("no");
		return xstrdup(stored);
	default:
		return xstrdup(stored);
	}
}
