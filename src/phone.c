/* phone.c - phone numbers normalised so every spelling of one number
 * meets in the index. */
#include "tcrm.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <utf8proc.h>

#define PHONE_SCAN_MAX 64
#define PHONE_DIGITS_MIN 7
#define PHONE_DEFAULT_CC "86"

/* What one pass over the folded text found. */
struct phone_scan {
	char digits[PHONE_SCAN_MAX + 1];
	size_t ndigits;
	char ext[PHONE_SCAN_MAX + 1];
	size_t next;
	bool plus;
	bool in_ext;		/* an extension marker was seen */
	bool overflow;
	bool ext_overflow;
	const char *error;
};

/* Longest first where one marker begins another. */
static const char *const phone_ext_markers[] = {
	"extension", "ext", ";ext=", "x", "#", ",", "转", "轉", "分机", "分機",
	"内线", "內線"
};

/* Country codes whose national numbers never begin with 0, so a 0 right
 * after them is a trunk prefix written by habit: "+86 010 ...". */
static const char *const phone_no_trunk_cc[] = {
	"33", "44", "49", "61", "65", "81", "82", "86", "852", "853", "886"
};

static bool
phone_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
phone_is_separator(int32_t cp)
{
	switch (cp) {
	case ' ':
	case '\t':
	case '-':
	case '.':
	case '/':
	case '(':
	case ')':
	case 0x2212:	/* minus sign */
		return true;
	}
	if (cp >= 0x2010 && cp <= 0x2015)	/* hyphens and dashes */
		return true;
	return cp > 0x7f && utf8proc_category(cp) == UTF8PROC_CATEGORY_ZS;
}

static bool
phone_is_letter(int32_t cp)
{
	utf8proc_category_t cat;

	if (cp < 0)
		return false;
	cat = utf8proc_category(cp);
	return cat >= UTF8PROC_CATEGORY_LU && cat <= UTF8PROC_CATEGORY_LO;
}

static size_t
phone_match_marker(const char *p)
{
	size_t i, n;

	for (i = 0; i < sizeof phone_ext_markers / sizeof *phone_ext_markers;
	    i++) {
		n = strlen(phone_ext_markers[i]);
		if (strncmp(p, phone_ext_markers[i], n) == 0)
			return n;
	}
	return 0;
}

static void
phone_scan_add_digit(struct phone_scan *sc, char c)
{
	if (sc->in_ext) {
		if (sc->next < PHONE_SCAN_MAX)
			sc->ext[sc->next++] = c;
		else
			sc->ext_overflow = true;
	} else {
		if (sc->ndigits < PHONE_SCAN_MAX)
			sc->digits[sc->ndigits++] = c;
		else
			sc->overflow = true;
	}
}

static bool
phone_scan_international(const struct phone_scan *sc)
{
	if (sc->plus)
		return sc->ndigits > 0;
	return sc->ndigits > 2 && sc->digits[0] == '0' && sc->digits[1] == '0';
}

/* One step in the number itself; returns the bytes used. */
static size_t
phone_scan_number(struct phone_scan *sc, const char *p, size_t len)
{
	size_t n;
	int32_t cp;

	if (phone_is_digit(*p)) {
		phone_scan_add_digit(sc, *p);
		return 1;
	}
	if (sc->ndigits > 0 && (n = phone_match_marker(p)) != 0) {
		sc->in_ext = true;
		return n;
	}
	if (*p == '+') {
		if (sc->ndigits > 0 || sc->plus)
			sc->error = N_("misplaced '+'");
		sc->plus = true;
		return 1;
	}
	/* "+44 (0)20 ...": the trunk 0 shown for callers inside the country. */
	if (strncmp(p, "(0)", 3) == 0 && phone_scan_international(sc))
		return 3;
	n = utf8_decode(p, len, &cp);
	if (phone_is_separator(cp))
		return n;
	if (phone_is_letter(cp))
		sc->error = N_("contains letters");
	else if (phone_match_marker(p) != 0)
		sc->error = N_("extension without a number");
	else
		sc->error = N_("contains a character not used in phone numbers");
	return n;
}

/* One step after an extension marker: "x 89", "ext. 89", "ext: 89". */
static size_t
phone_scan_extension(struct phone_scan *sc, const char *p, size_t len)
{
	size_t n;
	int32_t cp;

	if (phone_is_digit(*p)) {
		phone_scan_add_digit(sc, *p);
		return 1;
	}
	n = utf8_decode(p, len, &cp);
	if (cp == ' ' || cp == '\t')
		return n;
	if (sc->next == 0 && (cp == '.' || cp == ':' || cp == '='))
		return n;
	if (phone_is_letter(cp))
		sc->error = N_("contains letters");
	else
		sc->error = N_("unexpected text after the extension");
	return n;
}

static void
phone_scan(const char *folded, struct phone_scan *sc)
{
	size_t len = strlen(folded), off = 0;

	memset(sc, 0, sizeof *sc);
	while (off < len && sc->error == NULL) {
		if (sc->in_ext)
			off += phone_scan_extension(sc, folded + off, len - off);
		else
			off += phone_scan_number(sc, folded + off, len - off);
	}
}

/* Scan text after NFKC folding, so full-width digits and signs count. */
static int
phone_scan_text(const char *text, struct phone_scan *sc)
{
	char *folded;

	folded = utf8_fold(text);
	if (folded == NULL) {
		memset(sc, 0, sizeof *sc);
		sc->error = N_("not valid UTF-8");
		return -1;
	}
	phone_scan(folded, sc);
	free(folded);
	return sc->error == NULL ? 0 : -1;
}

static bool
phone_cc_valid(const char *cc)
{
	size_t n = strlen(cc), i;

	if (n == 0 || n > 3 || cc[0] == '0')
		return false;
	for (i = 0; i < n; i++) {
		if (!phone_is_digit(cc[i]))
			return false;
	}
	return true;
}

static bool
phone_starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* out = prefix then rest; the scan bounds both well below size. */
static void
phone_join(char *out, size_t size, const char *prefix, const char *rest)
{
	size_t np = strlen(prefix), nr = strlen(rest);

	if (np >= size)
		np = size - 1;
	if (nr >= size - np)
		nr = size - np - 1;
	memcpy(out, prefix, np);
	memcpy(out + np, rest, nr);
	out[np + nr] = '\0';
}

static void
phone_drop_trunk_after_cc(char *d)
{
	size_t i, n;

	for (i = 0; i < sizeof phone_no_trunk_cc / sizeof *phone_no_trunk_cc;
	    i++) {
		n = strlen(phone_no_trunk_cc[i]);
		if (phone_starts_with(d, phone_no_trunk_cc[i]) && d[n] == '0') {
			memmove(d + n, d + n + 1, strlen(d + n + 1) + 1);
			return;
		}
	}
}

/* Digits after an international prefix ("+" or "00"), or NULL. */
static const char *
phone_international_digits(const struct phone_scan *sc)
{
	if (sc->plus)
		return sc->digits;
	if (phone_starts_with(sc->digits, "00"))
		return sc->digits + 2;
	return NULL;
}

/* A Chinese mobile: 1 then 3-9, eleven digits in all. */
static bool
phone_cn_mobile_prefix(const char *national)
{
	return national[0] == '1' && national[1] >= '3' && national[1] <= '9';
}

static void
phone_national_cn(const char *d, char *out, size_t size)
{
	/* A mobile written with its country code but no "+". */
	if (strlen(d) == 13 && phone_starts_with(d, "86") &&
	    phone_cn_mobile_prefix(d + 2))
		phone_join(out, size, "", d);
	else if (d[0] == '0')
		phone_join(out, size, "86", d + 1);
	else
		phone_join(out, size, "86", d);
}

static void
phone_national(const char *d, const char *cc, char *out, size_t size)
{
	if (strcmp(cc, "86") == 0)
		phone_national_cn(d, out, size);
	else if (strcmp(cc, "1") == 0 && d[0] == '1')
		phone_join(out, size, "", d);	/* no area code begins with 1 */
	else if (d[0] == '0')
		phone_join(out, size, cc, d + 1);
	else
		phone_join(out, size, cc, d);
}

/* Country code and number from a complete scan, or a reason. */
static const char *
phone_number(const struct phone_scan *sc, const char *cc, char *out,
    size_t size)
{
	const char *d;

	if ((d = phone_international_digits(sc)) != NULL) {
		if (d[0] == '0')
			return N_("country code cannot begin with 0");
		phone_join(out, size, "", d);
		phone_drop_trunk_after_cc(out);
	} else {
		if (sc->ndigits < PHONE_DIGITS_MIN)
			return N_("too short");
		phone_national(sc->digits, cc, out, size);
	}
	if (strlen(out) > PHONE_DIGITS_MAX)
		return N_("too long");
	if (strlen(out) < PHONE_DIGITS_MIN)
		return N_("too short");
	if (phone_starts_with(out, "86") && phone_cn_mobile_prefix(out + 2) &&
	    strlen(out) != 13)
		return N_("a Chinese mobile number has 11 digits");
	return NULL;
}

static const char *
phone_scan_problem(const struct phone_scan *sc)
{
	if (sc->error != NULL)
		return sc->error;
	if (sc->ndigits == 0)
		return N_("empty");
	if (sc->overflow)
		return N_("too long");
	if (sc->in_ext && sc->next == 0)
		return N_("empty extension");
	if (sc->ext_overflow || sc->next > PHONE_EXT_MAX)
		return N_("extension too long");
	return NULL;
}

/* "1.38001E+10": what a spreadsheet makes of a long number in a column
 * of numbers, the digits past the mantissa's gone. */
static bool
phone_in_exponent_form(const char *s)
{
	long mantissa = 0, exponent;
	char *end;

	s += strspn(s, " ");
	if (!isdigit((unsigned char)*s))
		return false;
	s++;
	if (*s == '.')
		for (s++; isdigit((unsigned char)*s); s++)
			mantissa++;
	if (*s != 'E' && *s != 'e')
		return false;
	s++;
	if (!isdigit((unsigned char)*s) && *s != '+')
		return false;
	exponent = strtol(s, &end, 10);
	end += strspn(end, " ");
	return *end == '\0' && mantissa < exponent;
}

int
phone_parse(const char *text, const char *default_cc, struct phone *ph,
    const char **why)
{
	const char *cc = default_cc != NULL ? default_cc : PHONE_DEFAULT_CC;
	char number[2 * PHONE_SCAN_MAX + 8];
	struct phone_scan sc;
	const char *problem;

	memset(ph, 0, sizeof *ph);
	phone_scan_text(text, &sc);
	problem = phone_scan_problem(&sc);
	if (problem != NULL && phone_in_exponent_form(text))
		problem = N_("a spreadsheet wrote it in exponent form, "
		    "without its last digits: make the column text and export "
		    "again");
	if (problem == NULL && !phone_cc_valid(cc))
		problem = N_("bad default country code");
	if (problem == NULL)
		problem = phone_number(&sc, cc, number, sizeof number);
	if (problem != NULL) {
		if (why != NULL)
			*why = problem;
		return -1;
	}
	memcpy(ph->digits, number, strlen(number) + 1);
	memcpy(ph->ext, sc.ext, sc.next + 1);
	return 0;
}

void
phone_key(const struct phone *ph, char *out, size_t size)
{
	if (size == 0)
		return;
	if (ph->ext[0] != '\0')
		snprintf(out, size, "%s#%s", ph->digits, ph->ext);
	else
		phone_join(out, size, "", ph->digits);
}

bool
phone_like(const char *text)
{
	struct phone_scan sc;

	if (phone_scan_text(text, &sc) != 0)
		return false;
	return sc.ndigits >= 3;
}

/* The prefix rules of a full parse, for a number still being typed. */
static char *
phone_partial_key(const struct phone_scan *sc, const char *cc)
{
	const char *d;
	char out[2 * PHONE_SCAN_MAX + 8];

	if ((d = phone_international_digits(sc)) != NULL) {
		phone_join(out, sizeof out, "", d);
		phone_drop_trunk_after_cc(out);
	} else
		phone_national(sc->digits, cc, out, sizeof out);
	return xstrdup(out);
}

char *
phone_query_key(const char *text, const char *default_cc)
{
	const char *cc = default_cc != NULL ? default_cc : PHONE_DEFAULT_CC;
	struct phone_scan sc;
	struct phone ph;

	if (!phone_like(text) || !phone_cc_valid(cc))
		return NULL;
	if (phone_parse(text, cc, &ph, NULL) == 0)
		return xstrdup(ph.digits);
	phone_scan_text(text, &sc);
	return phone_partial_key(&sc, cc);
}
