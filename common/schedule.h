/*
 * Schedules of triggers: when a function is to be invoked, written as AWS EventBridge
 * writes it (cron(...), rate(...), at(...)) or as a Unix crontab line. An expression is
 * parsed once into a plain value that needs no heap; schedule_next then says when it
 * fires next, in any IANA time zone. Pure and thread safe: zones come from the system's
 * tzdata through tzdb.c, never from the process's TZ. docs/schedules.md is the user's view.
 */
#ifndef TF_SCHEDULE_H
#define TF_SCHEDULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SCHED_FIRST_YEAR 1970      /* AWS's year field spans 1970-2199 */
#define SCHED_LAST_YEAR  2199      /* no schedule fires later; it bounds every search */
#define SCHED_MAX_EXPR   256       /* characters of an expression */
#define SCHED_RATE_MAX   1000000   /* the largest rate() value, in any unit */
#define SCHED_WHY_MAX    192       /* a why buffer of this size holds any reason whole */
/* A stored next tick of a schedule that fires no more (a past at()): never due, shown as null. */
#define SCHED_NEVER_SQL  "9999-12-31 23:59:59.000"

enum schedule_dialect {
	SCHED_AWS,    /* cron(m h dom mon dow year), rate(n unit), at(yyyy-mm-ddThh:mm:ss) */
	SCHED_UNIX,   /* m h dom mon dow, or @hourly @daily @weekly @monthly @yearly */
};

enum schedule_kind {
	SCHED_CRON = 1,   /* from 1: a zeroed struct schedule is no schedule */
	SCHED_RATE,
	SCHED_AT,
};

/* How a cron picks the days of a month (schedule_days.c). */
enum schedule_dom {
	SCHED_DOM_NONE,          /* "?": day-of-week picks */
	SCHED_DOM_SET,           /* the days in mdays */
	SCHED_DOM_LAST,          /* "L" */
	SCHED_DOM_LAST_WEEKDAY,  /* "LW" */
	SCHED_DOM_NEAR_WEEKDAY,  /* "15W": the weekday nearest dom_day, within the month */
};

enum schedule_dow {
	SCHED_DOW_NONE,          /* "?": day-of-month picks */
	SCHED_DOW_SET,           /* the weekdays in wdays */
	SCHED_DOW_LAST,          /* "5L": the last dow_day of the month */
	SCHED_DOW_NTH,           /* "3#2": the dow_nth-th dow_day of the month */
};

/* Filled by schedule_parse; its fields are for schedule_*.c only. */
struct schedule {
	enum schedule_kind kind;
	enum schedule_dialect dialect;
	int64_t period_s;                /* rate */
	int64_t at_local;                /* at: the local time, counted as UTC epoch seconds are */
	uint64_t minutes;                /* cron: bit n for minute n */
	uint32_t hours;                  /* bit n for hour n */
	uint32_t mdays;                  /* bit n for day n of the month, 1-31 */
	uint16_t months;                 /* bit n for month n, 1-12 */
	uint8_t wdays;                   /* bit n for weekday n, 0 Sunday to 6 Saturday */
	uint64_t years[4];               /* bit n for year SCHED_FIRST_YEAR + n */
	enum schedule_dom dom;
	enum schedule_dow dow;
	int dom_day;                     /* SCHED_DOM_NEAR_WEEKDAY: 1-31 */
	int dow_day, dow_nth;            /* SCHED_DOW_LAST, SCHED_DOW_NTH: weekday 0-6; 1-5 */
	bool dom_star, dow_star;         /* Unix: the field starts with '*' (Vixie cron's test) */
};

/* The dialect an expression is written in: cron(…), rate(…) and at(…) are AWS's; the rest is Unix's. */
enum schedule_dialect schedule_dialect_of(const char *expr);

/*
 * Parses expr. 0, or -1 with a one-line reason a user can act on in why (e.g.
 * "day-of-month and day-of-week cannot both be set: use ? in one of them"). A cron
 * that matches no date from SCHED_FIRST_YEAR to SCHED_LAST_YEAR is refused: it never fires.
 */
int schedule_parse(const char *expr, enum schedule_dialect d, struct schedule *out, char *why, size_t whysz);

/* Whether tz names an IANA time zone of the system's tzdata (TZDB_DIR); NULL and "" do not. */
bool schedule_zone_ok(const char *tz);

/*
 * The first fire time strictly after after_s (UTC epoch seconds), reading the schedule in
 * zone tz ("UTC" when NULL or empty). A rate() fires at anchor_s + k * period, k >= 0,
 * anchor_s being the schedule's start; cron() and at() ignore anchor_s. 0 with *next_s
 * set; 1 when it never fires again (an at() in the past, a cron with no date left before
 * SCHED_LAST_YEAR ends, a rate past it); -1 for an unknown zone, a struct not parsed, or
 * a rate anchor more than 2^40 s (some 35,000 years) from 1970.
 */
int schedule_next(const struct schedule *s, const char *tz, int64_t anchor_s, int64_t after_s, int64_t *next_s);

/* Internal to schedule_*.c: the days (bit n for day n) of month m of year y a cron fires on. */
uint64_t schedule_month_days(const struct schedule *s, int64_t y, int m);

#endif
