/*
 * Parsing schedule expressions. What each cron field may hold is one table per dialect;
 * one set of functions applies either, and every refusal names the field and says what
 * would be accepted, because the reason goes back to the user who wrote the expression.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "civil.h"
#include "num.h"
#include "schedule.h"
#include "tf.h"

#define SHOWN_MAX 24   /* characters of the user's text quoted back in a reason */
#define QUOTE_SIZE (SHOWN_MAX + 4)  /* with "..." and the NUL */
#define SATURDAY 6
#define DIGITS "0123456789"

enum field_id { F_MINUTE, F_HOUR, F_DOM, F_MONTH, F_DOW, F_YEAR, F_MAX };

enum allow {
	ALLOW_STEP = 1 << 0,       /* "/" increments */
	ALLOW_FROM_STEP = 1 << 1,  /* "a/s" runs from a to the field's end (AWS); Vixie wants "a-b/s" */
	ALLOW_ANY = 1 << 2,        /* "?" */
	ALLOW_DAY_FORMS = 1 << 3,  /* L, W and # (AWS) */
};

struct field {
	enum field_id id;
	const char *name;
	int min, max;
	const char *const *names;  /* names[i] stands for the value base + i */
	int base;
	unsigned allow;
};

static const char *const MONTHS[] = { "JAN", "FEB", "MAR", "APR", "MAY", "JUN",
                                      "JUL", "AUG", "SEP", "OCT", "NOV", "DEC", NULL };
static const char *const WEEKDAYS[] = { "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT", NULL };

/* AWS EventBridge: cron(minutes hours day-of-month month day-of-week year), 1 = Sunday. */
static const struct field AWS_FIELDS[] = {
	{ F_MINUTE, "minutes", 0, 59, NULL, 0, ALLOW_STEP | ALLOW_FROM_STEP },
	{ F_HOUR, "hours", 0, 23, NULL, 0, ALLOW_STEP | ALLOW_FROM_STEP },
	{ F_DOM, "day-of-month", 1, 31, NULL, 0, ALLOW_STEP | ALLOW_FROM_STEP | ALLOW_ANY | ALLOW_DAY_FORMS },
	{ F_MONTH, "month", 1, 12, MONTHS, 1, ALLOW_STEP | ALLOW_FROM_STEP },
	{ F_DOW, "day-of-week", 1, 7, WEEKDAYS, 1, ALLOW_ANY | ALLOW_DAY_FORMS },
	{ F_YEAR, "year", SCHED_FIRST_YEAR, SCHED_LAST_YEAR, NULL, 0, ALLOW_STEP | ALLOW_FROM_STEP },
};

/* A Unix crontab: minute hour day-of-month month day-of-week, 0 and 7 = Sunday. */
static const struct field UNIX_FIELDS[] = {
	{ F_MINUTE, "minute", 0, 59, NULL, 0, ALLOW_STEP },
	{ F_HOUR, "hour", 0, 23, NULL, 0, ALLOW_STEP },
	{ F_DOM, "day-of-month", 1, 31, NULL, 0, ALLOW_STEP },
	{ F_MONTH, "month", 1, 12, MONTHS, 1, ALLOW_STEP },
	{ F_DOW, "day-of-week", 0, 7, WEEKDAYS, 0, ALLOW_STEP },
};

static const struct {
	const char *name, *fields;
} UNIX_MACROS[] = {
	{ "@yearly", "0 0 1 1 *" }, { "@annually", "0 0 1 1 *" }, { "@monthly", "0 0 1 * *" },
	{ "@weekly", "0 0 * * 0" }, { "@daily", "0 0 * * *" }, { "@midnight", "0 0 * * *" },
	{ "@hourly", "0 * * * *" },
};

static const struct {
	const char *one, *many;
	int64_t seconds;
} RATE_UNITS[] = {
	{ "minute", "minutes", 60 }, { "hour", "hours", 3600 }, { "day", "days", CIVIL_DAY_S },
};

/* at(yyyy-mm-ddThh:mm:ss): each part's place, bounds and the character after it. */
#define AT_LEN 19
static const struct {
	size_t at, len;
	const char *name;
	int min, max;
	char sep;
} AT_PARTS[] = {
	{ 0, 4, "year", SCHED_FIRST_YEAR, SCHED_LAST_YEAR, '-' }, { 5, 2, "month", 1, 12, '-' },
	{ 8, 2, "day", 1, 31, 'T' }, { 11, 2, "hour", 0, 23, ':' }, { 14, 2, "minute", 0, 59, ':' },
	{ 17, 2, "second", 0, 59, '\0' },
};

struct why {
	char *s;
	size_t n;
};

/* A bit set over a field's values, value v at bit v - min: 256 bits hold the 230 years. */
struct bits {
	uint64_t w[4];
};

static int fail(struct why *w, const char *fmt, ...) TF_PRINTF(2, 3);

/* Always -1. A reason cut short by a small buffer is still its own beginning; nothing parses it. */
static int fail(struct why *w, const char *fmt, ...)
{
	va_list ap;

	if (w->s == NULL || w->n == 0)
		return -1;
	va_start(ap, fmt);
	vsnprintf(w->s, w->n, fmt, ap);
	va_end(ap);
	return -1;
}

/* The user's text fit to quote in one line: printable ASCII, cut at SHOWN_MAX; buf has QUOTE_SIZE bytes. */
static const char *shown(const char *s, size_t n, char *buf)
{
	size_t k = 0;

	for (size_t i = 0; i < n && k < SHOWN_MAX; i++)
		buf[k++] = isprint((unsigned char)s[i]) ? s[i] : '?';
	if (n > SHOWN_MAX) {
		memcpy(buf + k, "...", 3);
		k += 3;
	}
	buf[k] = '\0';
	return buf;
}

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]))
			return false;
	return n > 0;
}

/* A value of a field: a number within its bounds or, where the field has them, a name. */
static int field_value(const struct field *f, const char *s, size_t n, int *out, struct why *w)
{
	char q[QUOTE_SIZE];
	long long v;

	if (n == 0)
		return fail(w, "%s: a value is missing before or after a - or /", f->name);
	if (all_digits(s, n)) {
		if (parse_lln(s, n, f->min, f->max, &v) != 0)
			return fail(w, "%s: %s is out of range %d-%d", f->name, shown(s, n, q), f->min, f->max);
		*out = (int)v;
		return 0;
	}
	for (size_t i = 0; f->names && f->names[i]; i++) {
		if (n == strlen(f->names[i]) && strncasecmp(s, f->names[i], n) == 0) {
			*out = f->base + (int)i;
			return 0;
		}
	}
	if (f->names)
		return fail(w, "%s: '%s' is neither a number %d-%d nor a name such as %s", f->name,
		            shown(s, n, q), f->min, f->max, f->names[0]);
	return fail(w, "%s: '%s' is not a number %d-%d", f->name, shown(s, n, q), f->min, f->max);
}

/* One item of a list: "*", "v", "a-b", each with an optional "/step". */
static int field_item(const struct field *f, const char *s, size_t n, struct bits *b, struct why *w)
{
	const char *slash = memchr(s, '/', n);
	size_t ln = slash ? (size_t)(slash - s) : n;
	int lo, hi, step = 1;
	char q[QUOTE_SIZE];
	long long v;

	if (n == 0)
		return fail(w, "%s: the list has an empty item", f->name);
	if (slash != NULL) {
		if (!(f->allow & ALLOW_STEP))
			return fail(w, "%s does not take / increments: list the values, e.g. MON,WED,FRI", f->name);
		if (parse_lln(slash + 1, n - ln - 1, 1, f->max - f->min + 1, &v) != 0)
			return fail(w, "%s: the increment in '%s' must be a whole number 1-%d", f->name,
			            shown(s, n, q), f->max - f->min + 1);
		step = (int)v;
	}
	const char *dash = ln > 1 ? memchr(s + 1, '-', ln - 1) : NULL;
	if (ln == 1 && s[0] == '*') {
		lo = f->min;
		hi = f->max;
	} else if (dash != NULL) {
		if (field_value(f, s, (size_t)(dash - s), &lo, w) != 0 ||
		    field_value(f, dash + 1, (size_t)(s + ln - dash - 1), &hi, w) != 0)
			return -1;
		if (lo > hi)
			return fail(w, "%s: the range %d-%d runs backwards: write %d-%d,%d-%d", f->name, lo, hi,
			            lo, f->max, f->min, hi);
	} else {
		if (field_value(f, s, ln, &lo, w) != 0)
			return -1;
		hi = lo;
		if (slash != NULL && !(f->allow & ALLOW_FROM_STEP))
			return fail(w, "%s: an increment follows * or a range, e.g. %d-%d/%d", f->name, lo, f->max, step);
		if (slash != NULL)
			hi = f->max;
	}
	for (int x = lo; x <= hi; x += step)
		b->w[(x - f->min) / 64] |= (uint64_t)1 << ((x - f->min) % 64);
	return 0;
}

static int field_list(const struct field *f, const char *s, struct bits *b, struct why *w)
{
	memset(b, 0, sizeof(*b));
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t n = comma ? (size_t)(comma - s) : strlen(s);
		if (field_item(f, s, n, b, w) != 0)
			return -1;
		if (comma == NULL)
			return 0;
		s = comma + 1;
	}
}

/* L, LW and 15W, each alone in day-of-month: 0 or -1, or 1 when s is a plain list. */
static int dom_form(const char *s, struct schedule *out, struct why *w)
{
	size_t n = strlen(s);
	char q[QUOTE_SIZE];
	long long v;

	if (strcmp(s, "L") == 0) {
		out->dom = SCHED_DOM_LAST;
		return 0;
	}
	if (strcmp(s, "LW") == 0) {
		out->dom = SCHED_DOM_LAST_WEEKDAY;
		return 0;
	}
	if (n >= 2 && s[n - 1] == 'W' && all_digits(s, n - 1)) {
		if (parse_lln(s, n - 1, 1, 31, &v) != 0)
			return fail(w, "day-of-month: '%s' needs a day 1-31 before the W", shown(s, n, q));
		out->dom = SCHED_DOM_NEAR_WEEKDAY;
		out->dom_day = (int)v;
		return 0;
	}
	if (strpbrk(s, "LW") != NULL)
		return fail(w, "day-of-month: L and W stand alone, as L, LW or one day such as 15W");
	return 1;
}

/* L, 5L (the last Thursday) and 3#2 (the second Tuesday), each alone in day-of-week. */
static int dow_form(const struct field *f, const char *s, struct schedule *out, struct why *w)
{
	const char *hash = strchr(s, '#');
	size_t n = strlen(s);
	char q[QUOTE_SIZE];
	long long k;
	int v;

	if (strcmp(s, "L") == 0) {
		/* "The last day of the week", as Quartz reads it: every Saturday. */
		out->dow = SCHED_DOW_SET;
		out->wdays = 1u << SATURDAY;
		return 0;
	}
	if (hash != NULL) {
		if (strpbrk(s, ",-/L") != NULL)
			return fail(w, "day-of-week: # takes one expression such as 3#2 (3#1,6#3 is two)");
		if (field_value(f, s, (size_t)(hash - s), &v, w) != 0)
			return -1;
		if (parse_ll(hash + 1, 1, 5, &k) != 0)
			return fail(w, "day-of-week: the week in '%s' must be 1-5", shown(s, n, q));
		out->dow = SCHED_DOW_NTH;
		out->dow_day = v - f->min;
		out->dow_nth = (int)k;
		return 0;
	}
	if (n >= 2 && s[n - 1] == 'L' && strpbrk(s, ",-/") == NULL) {
		if (field_value(f, s, n - 1, &v, w) != 0)
			return -1;
		out->dow = SCHED_DOW_LAST;
		out->dow_day = v - f->min;
		return 0;
	}
	if (strchr(s, 'L') != NULL)
		return fail(w, "day-of-week: L stands alone or after one day, as L or 5L (the last Thursday)");
	return 1;
}

static void field_store(const struct field *f, const struct bits *b, struct schedule *out)
{
	switch (f->id) {
	case F_MINUTE:
		out->minutes = b->w[0];
		break;
	case F_HOUR:
		out->hours = (uint32_t)b->w[0];
		break;
	case F_DOM:
		out->dom = SCHED_DOM_SET;
		out->mdays = (uint32_t)(b->w[0] << 1);
		break;
	case F_MONTH:
		out->months = (uint16_t)(b->w[0] << 1);
		break;
	case F_DOW:
		/* Bit i is value min + i: weekday i for AWS (1 = Sunday); for Unix 7 is Sunday again. */
		out->dow = SCHED_DOW_SET;
		out->wdays = (uint8_t)((b->w[0] | b->w[0] >> 7) & 0x7f);
		break;
	case F_YEAR:
		memcpy(out->years, b->w, sizeof(out->years));
		break;
	case F_MAX:
		break;
	}
}

static int cron_field(const struct field *f, const char *s, struct schedule *out, struct why *w)
{
	struct bits b;

	if (strchr(s, '?') != NULL) {
		if (!(f->allow & ALLOW_ANY))
			return fail(w, "%s does not take ?: it is for day-of-month or day-of-week", f->name);
		if (strcmp(s, "?") != 0)
			return fail(w, "%s: ? stands alone", f->name);
		if (f->id == F_DOM)
			out->dom = SCHED_DOM_NONE;
		else
			out->dow = SCHED_DOW_NONE;
		return 0;
	}
	if (f->allow & ALLOW_DAY_FORMS) {
		int rc = f->id == F_DOM ? dom_form(s, out, w) : dow_form(f, s, out, w);
		if (rc <= 0)
			return rc;
	}
	if (field_list(f, s, &b, w) != 0)
		return -1;
	field_store(f, &b, out);
	return 0;
}

/* Splits s in place at runs of blanks; the number of fields, of which the first max are kept. */
static size_t split_fields(char *s, char **field, size_t max)
{
	size_t n = 0;

	for (char *p = s; *p;) {
		if (*p == ' ' || *p == '\t') {
			*p++ = '\0';
			continue;
		}
		if (n < max)
			field[n] = p;
		n++;
		while (*p && *p != ' ' && *p != '\t')
			p++;
	}
	return n;
}

static bool year_on(const struct schedule *s, int y)
{
	int i = y - SCHED_FIRST_YEAR;
	return s->years[i / 64] >> (i % 64) & 1;
}

/* Whether any date up to SCHED_LAST_YEAR matches: one mask per month, so at most 2760 of them. */
static bool cron_fires(const struct schedule *s)
{
	for (int y = SCHED_FIRST_YEAR; y <= SCHED_LAST_YEAR; y++) {
		if (!year_on(s, y))
			continue;
		for (int m = 1; m <= 12; m++)
			if ((s->months >> m & 1) && schedule_month_days(s, y, m) != 0)
				return true;
	}
	return false;
}

/* The fields of a cron, in the dialect's order; body is upper-cased, and cut up in place. */
static int cron_parse(const struct field *fields, size_t nf, char *body, struct schedule *out, struct why *w)
{
	char *field[F_MAX];
	size_t n = split_fields(body, field, nf);

	if (n != nf && out->dialect == SCHED_AWS)
		return fail(w, "cron() takes 6 fields: minutes hours day-of-month month day-of-week year (%zu given)", n);
	if (n != nf)
		return fail(w, "a Unix cron takes 5 fields: minute hour day-of-month month day-of-week (%zu given)", n);
	out->kind = SCHED_CRON;
	for (size_t i = 0; i < nf; i++)
		if (cron_field(&fields[i], field[i], out, w) != 0)
			return -1;
	if (out->dialect == SCHED_AWS) {
		if (out->dom == SCHED_DOM_NONE && out->dow == SCHED_DOW_NONE)
			return fail(w, "day-of-month and day-of-week cannot both be ?: set one of them (* for every day)");
		if (out->dom != SCHED_DOM_NONE && out->dow != SCHED_DOW_NONE)
			return fail(w, "day-of-month and day-of-week cannot both be set: use ? in one of them");
	} else {
		memset(out->years, 0xff, sizeof(out->years));  /* beyond SCHED_LAST_YEAR is never asked */
		out->dom_star = field[F_DOM][0] == '*';
		out->dow_star = field[F_DOW][0] == '*';
	}
	if (!cron_fires(out))
		return fail(w, "this cron never fires: no date from %d to %d has that day, month, weekday and year",
		            SCHED_FIRST_YEAR, SCHED_LAST_YEAR);
	return 0;
}

static int rate_parse(char *body, struct schedule *out, struct why *w)
{
	char *part[2];
	long long v;

	if (split_fields(body, part, 2) != 2)
		return fail(w, "rate() takes a value and a unit, as rate(5 minutes)");
	if (parse_ll(part[0], 1, SCHED_RATE_MAX, &v) != 0)
		return fail(w, "rate(): the value must be a whole number 1-%d", SCHED_RATE_MAX);
	for (size_t i = 0; i < TF_ARRAY_LEN(RATE_UNITS); i++) {
		bool one = strcmp(part[1], RATE_UNITS[i].one) == 0;
		if (!one && strcmp(part[1], RATE_UNITS[i].many) != 0)
			continue;
		/* As AWS: the singular exactly when the value is 1. */
		if (v == 1 && !one)
			return fail(w, "rate(): a value of 1 takes the singular: rate(1 %s)", RATE_UNITS[i].one);
		if (v > 1 && one)
			return fail(w, "rate(): a value over 1 takes the plural: rate(%lld %s)", v, RATE_UNITS[i].many);
		out->kind = SCHED_RATE;
		out->period_s = v * RATE_UNITS[i].seconds;
		return 0;
	}
	return fail(w, "rate(): the unit must be minute, minutes, hour, hours, day or days");
}

static int at_parse(const char *body, struct schedule *out, struct why *w)
{
	long long v[TF_ARRAY_LEN(AT_PARTS)];

	if (strlen(body) != AT_LEN)
		return fail(w, "at() takes a local date and time as at(2026-05-22T10:00:00)");
	for (size_t i = 0; i < TF_ARRAY_LEN(AT_PARTS); i++) {
		const char *p = body + AT_PARTS[i].at;
		if (!all_digits(p, AT_PARTS[i].len) || p[AT_PARTS[i].len] != AT_PARTS[i].sep)
			return fail(w, "at() takes a local date and time as at(2026-05-22T10:00:00)");
		if (parse_lln(p, AT_PARTS[i].len, AT_PARTS[i].min, AT_PARTS[i].max, &v[i]) != 0)
			return fail(w, "at(): the %s must be %d-%d", AT_PARTS[i].name, AT_PARTS[i].min, AT_PARTS[i].max);
	}
	if (v[2] > civil_month_days(v[0], (int)v[1]))
		return fail(w, "at(): %04lld-%02lld has no day %lld", v[0], v[1], v[2]);
	out->kind = SCHED_AT;
	out->at_local = civil_days(v[0], (int)v[1], (int)v[2]) * CIVIL_DAY_S + v[3] * 3600 + v[4] * 60 + v[5];
	return 0;
}

static void upper(char *s)
{
	for (; *s; s++)
		*s = (char)toupper((unsigned char)*s);
}

static int aws_parse(const char *expr, size_t n, struct schedule *out, struct why *w)
{
	static const char *const forms[] = { "cron(", "rate(", "at(" };
	char body[SCHED_MAX_EXPR + 1];

	for (size_t i = 0; i < TF_ARRAY_LEN(forms); i++) {
		size_t open = strlen(forms[i]);
		if (strncmp(expr, forms[i], open) != 0)
			continue;
		if (n == open || expr[n - 1] != ')')
			return fail(w, "%s...) is missing its closing parenthesis", forms[i]);
		memcpy(body, expr + open, n - open - 1);
		body[n - open - 1] = '\0';
		if (i == 0) {
			upper(body);  /* names, L and W are read in any case */
			return cron_parse(AWS_FIELDS, TF_ARRAY_LEN(AWS_FIELDS), body, out, w);
		}
		return i == 1 ? rate_parse(body, out, w) : at_parse(body, out, w);
	}
	return fail(w, "a schedule is cron(...), rate(...) or at(...)");
}

static int unix_parse(const char *expr, size_t n, struct schedule *out, struct why *w)
{
	char body[SCHED_MAX_EXPR + 1];
	char q[QUOTE_SIZE];

	if (expr[0] == '@') {
		for (size_t i = 0; i < TF_ARRAY_LEN(UNIX_MACROS); i++)
			if (strcmp(expr, UNIX_MACROS[i].name) == 0)
				return unix_parse(UNIX_MACROS[i].fields, strlen(UNIX_MACROS[i].fields), out, w);
		return fail(w, "unknown macro '%s': use @hourly, @daily, @weekly, @monthly or @yearly", shown(expr, n, q));
	}
	memcpy(body, expr, n + 1);
	upper(body);
	return cron_parse(UNIX_FIELDS, TF_ARRAY_LEN(UNIX_FIELDS), body, out, w);
}

int schedule_parse(const char *expr, enum schedule_dialect d, struct schedule *out, char *why, size_t whysz)
{
	struct why w = { why, whysz };
	int rc = -1;

	if (why != NULL && whysz > 0)
		why[0] = '\0';
	if (out == NULL)
		return fail(&w, "no schedule to fill");
	memset(out, 0, sizeof(*out));
	out->dialect = d;
	size_t n = expr ? strnlen(expr, SCHED_MAX_EXPR + 1) : 0;
	if (n == 0)
		fail(&w, "the schedule expression is empty");
	else if (n > SCHED_MAX_EXPR)
		fail(&w, "the schedule expression is longer than %d characters", SCHED_MAX_EXPR);
	else if (d == SCHED_AWS)
		rc = aws_parse(expr, n, out, &w);
	else if (d == SCHED_UNIX)
		rc = unix_parse(expr, n, out, &w);
	else
		fail(&w, "unknown schedule dialect");
	if (rc != 0)
		memset(out, 0, sizeof(*out));  /* no half-filled schedule: schedule_next refuses it */
	return rc;
}

enum schedule_dialect schedule_dialect_of(const char *expr)
{
	return strncmp(expr, "cron(", 5) == 0 || strncmp(expr, "rate(", 5) == 0 || strncmp(expr, "at(", 3) == 0
	           ? SCHED_AWS : SCHED_UNIX;
}
