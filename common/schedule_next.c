/*
 * When a schedule fires next.
 *
 * A cron names local times. It is walked on the zone's clock field by field: a year, a
 * month, a day (from a mask of the month's matching days), an hour, then the minute;
 * never minute by minute. Each local time found becomes the first instant at which the
 * clock reads it or later (tzone_first_local), and that one rule gives what users expect
 * around daylight saving time:
 *  - a local time the clock skips (02:30 on a spring-forward night in New York) fires
 *    once, at the first instant after the gap (03:00 local); the skipped times of an
 *    hourly or finer cron all land on that instant, and fire once. AWS says it skips
 *    them; we would rather not lose a daily job;
 *  - a local time the clock shows twice (01:30 on a fall-back night) fires once, at its
 *    first occurrence; the repeated hour does not fire again, as on AWS.
 * A rate() is a fixed period of UTC seconds from its anchor, blind to the clock; an at()
 * is one local time, read as a cron's are.
 */
#include <stdbool.h>
#include <string.h>

#include "civil.h"
#include "schedule.h"
#include "tzdb.h"

#define HOUR_S 3600
#define MINUTE_S 60
/*
 * Local times a cron may match whose first occurrence is already past when after_s falls
 * in a repeated hour: one per minute of the overlap. The longest fall-back since 1970 is
 * a few hours; two days of minutes bound the walk for any zone file.
 */
#define SCHED_MAX_REPEATED (2 * 24 * 60)
/* Instants before this read as it: no schedule fires before 1970 on any zone's clock. */
#define SCHED_T_FLOOR (-2 * CIVIL_DAY_S)
/* Anchors further from 1970 than this are refused, so that no arithmetic can overflow. */
#define SCHED_T_LIMIT ((int64_t)1 << 40)

/* A time on a zone's clock, to the minute. */
struct clock {
	int64_t y;
	int mo, d, h, mi;
};

/* The first instant after the last year a schedule may fire in, in UTC. */
static int64_t horizon(void)
{
	return civil_days(SCHED_LAST_YEAR + 1, 1, 1) * CIVIL_DAY_S;
}

static int64_t clock_local(const struct clock *c)
{
	return civil_days(c->y, c->mo, c->d) * CIVIL_DAY_S + c->h * HOUR_S + c->mi * MINUTE_S;
}

static void clock_set(struct clock *c, int64_t local)
{
	int64_t days = civil_fdiv(local, CIVIL_DAY_S), secs = local - days * CIVIL_DAY_S;

	civil_date(days, &c->y, &c->mo, &c->d);
	c->h = (int)(secs / HOUR_S);
	c->mi = (int)(secs % HOUR_S / MINUTE_S);
}

static void next_month(struct clock *c)
{
	if (++c->mo > 12) {
		c->y++;
		c->mo = 1;
	}
	c->d = 1;
	c->h = c->mi = 0;
}

static bool year_on(const struct schedule *s, int64_t y)
{
	int64_t i = y - SCHED_FIRST_YEAR;
	return s->years[i / 64] >> (i % 64) & 1;
}

/* Moves c to the first minute at or after it that s matches; 1 when none is left by SCHED_LAST_YEAR. */
static int cron_walk(const struct schedule *s, struct clock *c)
{
	for (;;) {
		if (c->y > SCHED_LAST_YEAR)
			return 1;
		if (c->y < SCHED_FIRST_YEAR) {
			*c = (struct clock){ SCHED_FIRST_YEAR, 1, 1, 0, 0 };
			continue;
		}
		if (!year_on(s, c->y)) {
			*c = (struct clock){ c->y + 1, 1, 1, 0, 0 };
			continue;
		}
		if (!(s->months >> c->mo & 1)) {
			next_month(c);
			continue;
		}
		/* c->d is at most 32 here: one past the longest month, which no mask holds. */
		uint64_t days = schedule_month_days(s, c->y, c->mo) >> c->d;
		if (days == 0) {
			next_month(c);
			continue;
		}
		if (!(days & 1)) {
			c->d += __builtin_ctzll(days);
			c->h = c->mi = 0;
		}
		uint32_t hours = c->h < 24 ? s->hours >> c->h : 0;
		if (hours == 0) {
			c->d++;
			c->h = c->mi = 0;
			continue;
		}
		if (!(hours & 1)) {
			c->h += __builtin_ctz(hours);
			c->mi = 0;
		}
		uint64_t minutes = c->mi < 60 ? s->minutes >> c->mi : 0;
		if (minutes == 0) {
			c->h++;
			c->mi = 0;
			continue;
		}
		c->mi += __builtin_ctzll(minutes);
		return 0;
	}
}

static int cron_next(const struct schedule *s, const struct tzone *z, int64_t after, int64_t *next)
{
	struct clock c;
	int64_t ignored;

	if (after < SCHED_T_FLOOR)
		after = SCHED_T_FLOOR;
	if (after >= horizon() + CIVIL_DAY_S)
		return 1;  /* past SCHED_LAST_YEAR on every clock */
	/* From the minute the clock shows at after: no earlier local time first occurs later. */
	int64_t local = after + tzone_offset(z, after, &ignored);
	clock_set(&c, civil_fdiv(local, MINUTE_S) * MINUTE_S);
	for (int i = 0; i < SCHED_MAX_REPEATED; i++) {
		if (cron_walk(s, &c) != 0)
			return 1;
		int64_t t = tzone_first_local(z, clock_local(&c));
		if (t > after) {
			*next = t;
			return 0;
		}
		c.mi++;  /* a time already fired (its first occurrence) or folded into a gap's end */
	}
	return -1;
}

static int rate_next(const struct schedule *s, int64_t anchor, int64_t after, int64_t *next)
{
	if (anchor < -SCHED_T_LIMIT || anchor > SCHED_T_LIMIT)
		return -1;
	if (after >= horizon())
		return 1;
	int64_t t = anchor;
	if (after >= anchor)
		t += ((after - anchor) / s->period_s + 1) * s->period_s;
	if (t >= horizon())
		return 1;
	*next = t;
	return 0;
}

static int at_next(const struct schedule *s, const struct tzone *z, int64_t after, int64_t *next)
{
	int64_t t = tzone_first_local(z, s->at_local);

	if (t <= after)
		return 1;
	*next = t;
	return 0;
}

bool schedule_zone_ok(const char *tz)
{
	struct tzone *own;
	const struct tzone *z = tzdb_get(tz, &own);

	tzone_free(own);
	return z != NULL;
}

int schedule_next(const struct schedule *s, const char *tz, int64_t anchor_s, int64_t after_s, int64_t *next_s)
{
	struct tzone *own = NULL;
	int rc = -1;

	if (s == NULL || next_s == NULL)
		return -1;
	const struct tzone *z = tzdb_get(tz && *tz ? tz : "UTC", &own);
	if (z == NULL)
		goto out;
	switch (s->kind) {
	case SCHED_CRON:
		rc = cron_next(s, z, after_s, next_s);
		break;
	case SCHED_RATE:
		rc = s->period_s > 0 ? rate_next(s, anchor_s, after_s, next_s) : -1;
		break;
	case SCHED_AT:
		rc = at_next(s, z, after_s, next_s);
		break;
	}
out:
	tzone_free(own);
	return rc;
}
