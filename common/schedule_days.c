/*
 * Which days of a month a cron fires on: day-of-month and day-of-week, with AWS's L, W
 * and # (as Quartz defines them, which AWS follows) and Vixie cron's either-or rule.
 * One mask per month, so that the search for a fire time moves a month at a time.
 */
#include "civil.h"
#include "schedule.h"

#define SUNDAY 0
#define SATURDAY 6

static uint64_t bit(int d)
{
	return (uint64_t)1 << d;
}

/* The weekday of day d of a month whose first day is weekday w1. */
static int weekday_of(int w1, int d)
{
	return (w1 + d - 1) % 7;
}

static uint64_t dom_days(const struct schedule *s, int dim, int w1)
{
	int d;

	switch (s->dom) {
	case SCHED_DOM_SET:
		return s->mdays;
	case SCHED_DOM_LAST:
		return bit(dim);
	case SCHED_DOM_LAST_WEEKDAY:
		d = weekday_of(w1, dim);
		return bit(dim - (d == SATURDAY ? 1 : d == SUNDAY ? 2 : 0));
	case SCHED_DOM_NEAR_WEEKDAY:
		/* The nearest weekday never leaves the month: 1W on a Saturday is Monday the 3rd. */
		d = s->dom_day;
		if (d > dim)
			return 0;
		if (weekday_of(w1, d) == SATURDAY)
			d = d == 1 ? 3 : d - 1;
		else if (weekday_of(w1, d) == SUNDAY)
			d = d == dim ? d - 2 : d + 1;
		return bit(d);
	case SCHED_DOM_NONE:
		break;
	}
	return 0;
}

static uint64_t dow_days(const struct schedule *s, int dim, int w1)
{
	uint64_t days = 0;
	int d;

	switch (s->dow) {
	case SCHED_DOW_SET:
		for (d = 1; d <= dim; d++)
			if (s->wdays & (1u << weekday_of(w1, d)))
				days |= bit(d);
		return days;
	case SCHED_DOW_LAST:
		return bit(dim - (weekday_of(w1, dim) - s->dow_day + 7) % 7);
	case SCHED_DOW_NTH:
		d = 1 + (s->dow_day - w1 + 7) % 7 + 7 * (s->dow_nth - 1);
		return d <= dim ? bit(d) : 0;
	case SCHED_DOW_NONE:
		break;
	}
	return 0;
}

uint64_t schedule_month_days(const struct schedule *s, int64_t y, int m)
{
	int dim = civil_month_days(y, m);
	int w1 = civil_weekday(civil_days(y, m, 1));
	uint64_t month = (bit(dim) - 1) << 1;  /* days 1 to dim */
	uint64_t dom = dom_days(s, dim, w1) & month, dow = dow_days(s, dim, w1);

	if (s->dialect == SCHED_UNIX)
		/* Vixie cron: with both fields restricted a day matching either fires. */
		return s->dom_star || s->dow_star ? dom & dow : dom | dow;
	return s->dom == SCHED_DOM_NONE ? dow : dom;
}
