#include <ctype.h>
#include <string.h>

#include "civil.h"
#include "num.h"
#include "tf.h"
#include "tzrule.h"

#define HOUR_S 3600
#define DEFAULT_TIME (2 * HOUR_S)     /* POSIX: a rule without a time changes at 02:00 */
#define NAME_MIN 3                    /* POSIX: a zone abbreviation has at least 3 characters */
/*
 * Instants are clamped this far from 1970 before their year is taken, so that no
 * arithmetic can overflow; it is some 35 million years, far past any schedule.
 */
#define RULE_T_LIMIT ((int64_t)1 << 50)
#define RULE_YEARS_AROUND 2           /* years on each side whose changes are listed */

struct cursor {
	const char *p, *end;
};

static bool at(const struct cursor *c, char ch)
{
	return c->p < c->end && *c->p == ch;
}

static bool at_digit(const struct cursor *c)
{
	return c->p < c->end && isdigit((unsigned char)*c->p);
}

/* "EST", or "<+0330>" for an abbreviation that is not all letters. */
static int rule_name(struct cursor *c)
{
	const char *b;

	if (at(c, '<')) {
		b = ++c->p;
		while (c->p < c->end && (isalnum((unsigned char)*c->p) || *c->p == '+' || *c->p == '-'))
			c->p++;
		if (!at(c, '>') || c->p - b < NAME_MIN)
			return -1;
		c->p++;
		return 0;
	}
	b = c->p;
	while (c->p < c->end && isalpha((unsigned char)*c->p))
		c->p++;
	return c->p - b < NAME_MIN ? -1 : 0;
}

/* A run of at most maxlen digits, as a number of at most max. */
static int rule_number(struct cursor *c, size_t maxlen, long long max, int *out)
{
	const char *b = c->p;
	long long v;

	while (at_digit(c))
		c->p++;
	size_t len = (size_t)(c->p - b);
	if (len == 0 || len > maxlen || parse_lln(b, len, 0, max, &v) != 0)
		return -1;
	*out = (int)v;
	return 0;
}

/* [+-]hh[:mm[:ss]] in seconds. */
static int rule_hms(struct cursor *c, int max_h, int32_t *out)
{
	int sign = 1, h, m = 0, s = 0;

	if (at(c, '+') || at(c, '-'))
		sign = *c->p++ == '-' ? -1 : 1;
	if (rule_number(c, 3, max_h, &h) != 0)
		return -1;
	if (at(c, ':')) {
		c->p++;
		if (rule_number(c, 2, 59, &m) != 0)
			return -1;
		if (at(c, ':')) {
			c->p++;
			if (rule_number(c, 2, 59, &s) != 0)
				return -1;
		}
	}
	*out = sign * (h * HOUR_S + m * 60 + s);
	return 0;
}

static int rule_date(struct cursor *c, struct tzrule_date *dt, int32_t *time)
{
	memset(dt, 0, sizeof(*dt));
	if (at(c, 'J')) {
		c->p++;
		dt->kind = 'J';
		if (rule_number(c, 3, 365, &dt->n) != 0 || dt->n < 1)
			return -1;
	} else if (at(c, 'M')) {
		c->p++;
		dt->kind = 'M';
		if (rule_number(c, 2, 12, &dt->m) != 0 || dt->m < 1 || !at(c, '.'))
			return -1;
		c->p++;
		if (rule_number(c, 1, 5, &dt->w) != 0 || dt->w < 1 || !at(c, '.'))
			return -1;
		c->p++;
		if (rule_number(c, 1, 6, &dt->d) != 0)
			return -1;
	} else {
		dt->kind = 'D';
		if (rule_number(c, 3, 365, &dt->n) != 0)
			return -1;
	}
	*time = DEFAULT_TIME;
	if (at(c, '/')) {
		c->p++;
		return rule_hms(c, TZ_RULE_HOURS_MAX, time);
	}
	return 0;
}

/* ",date[/time]": one change of the rule. */
static int rule_change(struct cursor *c, struct tzrule_date *dt, int32_t *time)
{
	if (!at(c, ','))
		return -1;
	c->p++;
	return rule_date(c, dt, time);
}

static bool off_ok(int32_t off)
{
	return off >= TZ_OFF_MIN && off <= TZ_OFF_MAX;
}

int tzrule_parse(const char *s, size_t n, struct tzrule *r)
{
	struct cursor c = { s, s + n };
	int32_t west;

	memset(r, 0, sizeof(*r));
	if (rule_name(&c) != 0 || rule_hms(&c, 24, &west) != 0)
		return -1;
	r->std_off = -west;  /* POSIX counts hours west of Greenwich */
	if (c.p == c.end)
		return off_ok(r->std_off) ? 0 : -1;
	if (rule_name(&c) != 0)
		return -1;
	r->has_dst = true;
	r->dst_off = r->std_off + HOUR_S;
	if (at(&c, '+') || at(&c, '-') || at_digit(&c)) {
		if (rule_hms(&c, 24, &west) != 0)
			return -1;
		r->dst_off = -west;
	}
	if (c.p == c.end) {
		/* No dates: the United States' rules, as glibc assumes. */
		r->start = (struct tzrule_date){ 'M', 0, 3, 2, 0 };
		r->end = (struct tzrule_date){ 'M', 0, 11, 1, 0 };
		r->start_time = r->end_time = DEFAULT_TIME;
	} else if (rule_change(&c, &r->start, &r->start_time) != 0 ||
	           rule_change(&c, &r->end, &r->end_time) != 0 || c.p != c.end) {
		return -1;
	}
	return off_ok(r->std_off) && off_ok(r->dst_off) ? 0 : -1;
}

/* The day number a rule date falls on in year y. */
static int64_t rule_day(const struct tzrule_date *dt, int64_t y)
{
	int64_t jan1 = civil_days(y, 1, 1);

	if (dt->kind == 'J')
		return jan1 + dt->n - 1 + (civil_leap(y) && dt->n >= 60);
	if (dt->kind == 'D')
		return jan1 + dt->n;
	int64_t first = civil_days(y, dt->m, 1);
	int day = 1 + (dt->d - civil_weekday(first) + 7) % 7 + 7 * (dt->w - 1);
	while (day > civil_month_days(y, dt->m))
		day -= 7;  /* week 5 is the last such day, which may be the fourth */
	return first + day - 1;
}

struct change {
	int64_t at;
	int32_t off;
	bool starts;   /* daylight saving time starts */
};

static bool change_before(const struct change *a, const struct change *b)
{
	/* At one instant an end comes first: a rule that is in daylight time all year
	 * ends one year's at the very instant it starts the next. */
	return a->at < b->at || (a->at == b->at && !a->starts && b->starts);
}

int32_t tzrule_offset(const struct tzrule *r, int64_t t, int64_t *next)
{
	struct change ch[2 * (2 * RULE_YEARS_AROUND + 1)];
	size_t n = 0;
	int64_t y;
	int m, d;

	*next = INT64_MAX;
	if (!r->has_dst)
		return r->std_off;
	if (t > RULE_T_LIMIT)
		t = RULE_T_LIMIT;
	if (t < -RULE_T_LIMIT)
		t = -RULE_T_LIMIT;
	civil_date(civil_fdiv(t + r->std_off, CIVIL_DAY_S), &y, &m, &d);
	/* A change of one year may land in the next (J365/167), so neighbours are listed too. */
	for (int64_t yy = y - RULE_YEARS_AROUND; yy <= y + RULE_YEARS_AROUND; yy++) {
		struct change in[2] = {
			{ rule_day(&r->start, yy) * CIVIL_DAY_S + r->start_time - r->std_off, r->dst_off, true },
			{ rule_day(&r->end, yy) * CIVIL_DAY_S + r->end_time - r->dst_off, r->std_off, false },
		};
		for (size_t k = 0; k < TF_ARRAY_LEN(in); k++) {
			size_t i = n++;
			while (i > 0 && change_before(&in[k], &ch[i - 1])) {
				ch[i] = ch[i - 1];
				i--;
			}
			ch[i] = in[k];
		}
	}
	int32_t off = ch[0].starts ? r->std_off : r->dst_off;
	for (size_t i = 0; i < n; i++) {
		if (ch[i].at > t) {
			*next = ch[i].at;
			break;
		}
		off = ch[i].off;
	}
	return off;
}
