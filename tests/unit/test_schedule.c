/* Schedule expressions (common/schedule*.c): what each form means, when it fires, what is refused. */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "schedule.h"
#include "timefmt.h"
#include "unit.h"

#define NY "America/New_York"
#define BERLIN "Europe/Berlin"
#define MAX_FIRES 12


static struct schedule parsed(enum schedule_dialect d, const char *expr)
{
	struct schedule s;
	char why[SCHED_WHY_MAX];

	if (schedule_parse(expr, d, &s, why, sizeof(why)) != 0)
		fail_msg("%s was refused: %s", expr, why);
	return s;
}

/*
 * The fire times after after, one per word of want, as "2026-01-01T00:15:00Z ..."; a
 * schedule that stops firing shows "never" in place of the rest.
 */
static void fires_at(enum schedule_dialect d, const char *expr, const char *tz, int64_t anchor,
                     const char *after, const char *want)
{
	struct schedule s = parsed(d, expr);
	char got[MAX_FIRES * 24] = "", one[32];
	int64_t t = unit_instant(after), next;
	size_t words = 1;

	for (const char *p = want; *p; p++)
		words += *p == ' ';
	for (size_t i = 0; i < words && i < MAX_FIRES; i++) {
		int rc = schedule_next(&s, tz, anchor, t, &next);
		if (rc < 0)
			fail_msg("%s in %s: error after %lld", expr, tz ? tz : "UTC", (long long)t);
		if (rc == 1) {
			strcat(got, i ? " never" : "never");
			break;
		}
		assert_true(next > t);
		iso8601_s(next * 1000, one, sizeof(one));
		if (i)
			strcat(got, " ");
		strcat(got, one);
		t = next;
	}
	assert_string_equal(got, want);
}

static void aws_fires(const char *expr, const char *tz, const char *after, const char *want)
{
	fires_at(SCHED_AWS, expr, tz, 0, after, want);
}

static void unix_fires(const char *expr, const char *tz, const char *after, const char *want)
{
	fires_at(SCHED_UNIX, expr, tz, 0, after, want);
}

/* Refused, with a reason holding reason_part. */
static void refused(enum schedule_dialect d, const char *expr, const char *reason_part)
{
	struct schedule s;
	char why[SCHED_WHY_MAX];

	if (schedule_parse(expr, d, &s, why, sizeof(why)) == 0)
		fail_msg("%s was accepted", expr);
	if (strstr(why, reason_part) == NULL)
		fail_msg("%s: the reason \"%s\" does not say \"%s\"", expr, why, reason_part);
	assert_null(strchr(why, '\n'));
}

static void same_schedule(enum schedule_dialect d, const char *a, const char *b)
{
	struct schedule sa = parsed(d, a), sb = parsed(d, b);

	if (memcmp(&sa, &sb, sizeof(sa)) != 0)
		fail_msg("%s and %s differ", a, b);
}

/* Syntax */

static void a_list_fires_at_each_of_its_values(void **state)
{
	(void)state;
	aws_fires("cron(0,20,40 * * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T00:20:00Z 2026-01-01T00:40:00Z 2026-01-01T01:00:00Z");
}

static void a_range_fires_at_each_value_within_it(void **state)
{
	(void)state;
	aws_fires("cron(0 9-11 * * ? *)", NULL, "2026-01-01T10:30:00Z",
	          "2026-01-01T11:00:00Z 2026-01-02T09:00:00Z 2026-01-02T10:00:00Z");
}

static void an_increment_from_a_value_counts_from_it_to_the_end_of_the_field(void **state)
{
	(void)state;
	aws_fires("cron(0/15 * * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T00:15:00Z 2026-01-01T00:30:00Z 2026-01-01T00:45:00Z 2026-01-01T01:00:00Z");
	aws_fires("cron(5/20 * * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T00:05:00Z 2026-01-01T00:25:00Z 2026-01-01T00:45:00Z 2026-01-01T01:05:00Z");
	aws_fires("cron(0 0 1/10 * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-11T00:00:00Z 2026-01-21T00:00:00Z 2026-01-31T00:00:00Z 2026-02-01T00:00:00Z");
}

static void an_increment_over_a_range_stays_within_it(void **state)
{
	(void)state;
	aws_fires("cron(10-40/10 * * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T00:10:00Z 2026-01-01T00:20:00Z 2026-01-01T00:30:00Z 2026-01-01T00:40:00Z "
	          "2026-01-01T01:10:00Z");
}

static void an_increment_over_star_spans_the_field(void **state)
{
	(void)state;
	aws_fires("cron(*/20 * * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T00:20:00Z 2026-01-01T00:40:00Z 2026-01-01T01:00:00Z");
	aws_fires("cron(0 */8 * * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-01T08:00:00Z 2026-01-01T16:00:00Z 2026-01-02T00:00:00Z");
}

static void month_and_weekday_names_are_read_in_any_case(void **state)
{
	(void)state;
	same_schedule(SCHED_AWS, "cron(0 12 ? jan,Jul Mon-fri *)", "cron(0 12 ? 1,7 2-6 *)");
	same_schedule(SCHED_AWS, "cron(0 12 ? DEC SAT,sun *)", "cron(0 12 ? 12 1,7 *)");
	aws_fires("cron(0 12 ? JAN MON-FRI *)", NULL, "2026-01-01T12:00:00Z",
	          "2026-01-02T12:00:00Z 2026-01-05T12:00:00Z 2026-01-06T12:00:00Z");
}

static void a_question_mark_lets_the_other_day_field_choose(void **state)
{
	(void)state;
	aws_fires("cron(0 0 15 * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-15T00:00:00Z 2026-02-15T00:00:00Z");
	aws_fires("cron(0 0 ? * 1 *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-04T00:00:00Z 2026-01-11T00:00:00Z");
	aws_fires("cron(0 0 * * ? *)", NULL, "2026-01-31T00:00:00Z",
	          "2026-02-01T00:00:00Z 2026-02-02T00:00:00Z");
}

static void day_fields_both_set_or_both_question_marks_are_refused(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(0 0 * * * *)",
	        "day-of-month and day-of-week cannot both be set: use ? in one of them");
	refused(SCHED_AWS, "cron(0 0 1 * MON *)", "cannot both be set");
	refused(SCHED_AWS, "cron(0 0 ? * ? *)", "cannot both be ?");
	refused(SCHED_AWS, "cron(? 0 1 * ? *)", "minutes does not take ?");
	refused(SCHED_AWS, "cron(0 0 1,? * ? *)", "? stands alone");
}

static void L_in_day_of_month_is_the_last_day_of_each_month(void **state)
{
	(void)state;
	aws_fires("cron(0 0 L * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-31T00:00:00Z 2026-02-28T00:00:00Z 2026-03-31T00:00:00Z 2026-04-30T00:00:00Z");
}

static void L_in_february_is_the_29th_in_leap_years_only(void **state)
{
	(void)state;
	aws_fires("cron(0 0 L 2 ? *)", NULL, "2027-06-01T00:00:00Z",
	          "2028-02-29T00:00:00Z 2029-02-28T00:00:00Z");
	/* 2100 is not a leap year: a century not divisible by 400. */
	aws_fires("cron(0 0 L 2 ? *)", NULL, "2099-06-01T00:00:00Z",
	          "2100-02-28T00:00:00Z 2101-02-28T00:00:00Z");
}

static void W_is_the_weekday_nearest_the_day_within_its_month(void **state)
{
	(void)state;
	/* Jan 15 2026 a Thursday; Feb 15 and Mar 15 Sundays: the Monday after. */
	aws_fires("cron(0 0 15W * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-15T00:00:00Z 2026-02-16T00:00:00Z 2026-03-16T00:00:00Z");
	/* Aug 15 2026 a Saturday: the Friday before. */
	aws_fires("cron(0 0 15W 8 ? *)", NULL, "2026-01-01T00:00:00Z", "2026-08-14T00:00:00Z");
	/* Aug 1 2026 a Saturday: not July 31 but Monday the 3rd. */
	aws_fires("cron(0 0 1W 8 ? 2026)", NULL, "2026-01-01T00:00:00Z", "2026-08-03T00:00:00Z never");
	/* May 31 2026 a Sunday: not June 1 but Friday the 29th. */
	aws_fires("cron(0 0 31W 5 ? 2026)", NULL, "2026-01-01T00:00:00Z", "2026-05-29T00:00:00Z never");
	/* A day a month lacks has no nearest weekday in it: 31W skips April. */
	aws_fires("cron(0 0 31W 3-5 ? 2026)", NULL, "2026-01-01T00:00:00Z",
	          "2026-03-31T00:00:00Z 2026-05-29T00:00:00Z never");
}

static void LW_is_the_last_weekday_of_the_month(void **state)
{
	(void)state;
	/* Jan 31 2026 a Saturday, Feb 28 a Saturday, Mar 31 a Tuesday. */
	aws_fires("cron(0 18 LW * ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-30T18:00:00Z 2026-02-27T18:00:00Z 2026-03-31T18:00:00Z");
	/* May 31 2026 a Sunday. */
	aws_fires("cron(0 18 LW 5 ? *)", NULL, "2026-01-01T00:00:00Z", "2026-05-29T18:00:00Z");
}

static void a_weekday_then_L_is_its_last_in_the_month(void **state)
{
	(void)state;
	aws_fires("cron(0 0 ? * 5L *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-29T00:00:00Z 2026-02-26T00:00:00Z 2026-03-26T00:00:00Z");
	same_schedule(SCHED_AWS, "cron(0 0 ? * THUL *)", "cron(0 0 ? * 5L *)");
}

static void L_alone_in_day_of_week_is_every_saturday(void **state)
{
	(void)state;
	aws_fires("cron(0 0 ? * L *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-03T00:00:00Z 2026-01-10T00:00:00Z 2026-01-17T00:00:00Z");
}

static void hash_is_the_nth_such_weekday_of_the_month(void **state)
{
	(void)state;
	aws_fires("cron(0 0 ? * 3#2 *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-13T00:00:00Z 2026-02-10T00:00:00Z 2026-03-10T00:00:00Z");
	same_schedule(SCHED_AWS, "cron(0 0 ? * TUE#2 *)", "cron(0 0 ? * 3#2 *)");
	/* Fifth Fridays: none in February to April 2026. */
	aws_fires("cron(0 0 ? * 6#5 *)", NULL, "2026-01-01T00:00:00Z",
	          "2026-01-30T00:00:00Z 2026-05-29T00:00:00Z");
	refused(SCHED_AWS, "cron(0 0 ? * 3#1,6#3 *)", "one expression");
	refused(SCHED_AWS, "cron(0 0 ? * 3#6 *)", "the week in '3#6' must be 1-5");
	refused(SCHED_AWS, "cron(0 0 ? * 8#1 *)", "day-of-week: 8 is out of range 1-7");
}

static void the_year_field_limits_the_years(void **state)
{
	(void)state;
	aws_fires("cron(0 0 1 1 ? 2027,2029)", NULL, "2026-01-01T00:00:00Z",
	          "2027-01-01T00:00:00Z 2029-01-01T00:00:00Z never");
	aws_fires("cron(0 0 1 1 ? 2030-2040/5)", NULL, "2026-01-01T00:00:00Z",
	          "2030-01-01T00:00:00Z 2035-01-01T00:00:00Z 2040-01-01T00:00:00Z never");
	refused(SCHED_AWS, "cron(0 0 1 1 ? 2200)", "year: 2200 is out of range 1970-2199");
	refused(SCHED_AWS, "cron(0 0 1 1 ? 1969)", "year: 1969 is out of range 1970-2199");
}

static void whitespace_between_fields_may_repeat(void **state)
{
	(void)state;
	same_schedule(SCHED_AWS, "cron( 0  12\t* * ? * )", "cron(0 12 * * ? *)");
}

/* Time zones and daylight saving time */

static void the_reference_daily_cron_follows_new_york_time(void **state)
{
	(void)state;
	/* cron(0 2 * * ? *): 02:00 in New York, EST (UTC-5) in winter, EDT (UTC-4) in summer. */
	aws_fires("cron(0 2 * * ? *)", NY, "2026-01-15T00:00:00Z", "2026-01-15T07:00:00Z 2026-01-16T07:00:00Z");
	aws_fires("cron(0 2 * * ? *)", NY, "2026-07-15T00:00:00Z", "2026-07-15T06:00:00Z 2026-07-16T06:00:00Z");
	/* 02:00 is skipped on 8 March 2026: 03:00 EDT; on 1 November it comes once, in EST. */
	aws_fires("cron(0 2 * * ? *)", NY, "2026-03-07T12:00:00Z",
	          "2026-03-08T07:00:00Z 2026-03-09T06:00:00Z");
	aws_fires("cron(0 2 * * ? *)", NY, "2026-10-31T12:00:00Z",
	          "2026-11-01T07:00:00Z 2026-11-02T07:00:00Z");
}

static void a_daily_time_new_york_skips_fires_once_when_the_clock_jumps(void **state)
{
	(void)state;
	/* 02:30 does not exist on 8 March 2026: the clock goes from 01:59:59 EST to 03:00 EDT. */
	aws_fires("cron(30 2 * * ? *)", NY, "2026-03-07T12:00:00Z",
	          "2026-03-08T07:00:00Z 2026-03-09T06:30:00Z");
}

static void a_daily_time_new_york_repeats_fires_once_at_its_first_occurrence(void **state)
{
	(void)state;
	/* 01:30 comes twice on 1 November 2026: 05:30Z in EDT, then 06:30Z in EST. */
	aws_fires("cron(30 1 * * ? *)", NY, "2026-10-31T12:00:00Z",
	          "2026-11-01T05:30:00Z 2026-11-02T06:30:00Z");
	/* Asked from inside the repeated hour, it has fired already. */
	aws_fires("cron(30 1 * * ? *)", NY, "2026-11-01T06:10:00Z", "2026-11-02T06:30:00Z");
}

static void an_hourly_cron_in_new_york_fires_once_for_the_lost_hour(void **state)
{
	(void)state;
	aws_fires("cron(30 * * * ? *)", NY, "2026-03-08T05:00:00Z",
	          "2026-03-08T05:30:00Z 2026-03-08T06:30:00Z 2026-03-08T07:00:00Z 2026-03-08T07:30:00Z "
	          "2026-03-08T08:30:00Z");
	/* On the hour: 02:00 and 03:00 both land at 07:00Z, which fires once. */
	aws_fires("cron(0 * * * ? *)", NY, "2026-03-08T05:30:00Z",
	          "2026-03-08T06:00:00Z 2026-03-08T07:00:00Z 2026-03-08T08:00:00Z");
}

static void an_hourly_cron_in_new_york_does_not_repeat_the_repeated_hour(void **state)
{
	(void)state;
	aws_fires("cron(30 * * * ? *)", NY, "2026-11-01T04:00:00Z",
	          "2026-11-01T04:30:00Z 2026-11-01T05:30:00Z 2026-11-01T07:30:00Z 2026-11-01T08:30:00Z");
}

static void a_daily_time_berlin_skips_fires_once_when_the_clock_jumps(void **state)
{
	(void)state;
	/* 29 March 2026: 02:00 CET becomes 03:00 CEST at 01:00Z. */
	aws_fires("cron(30 2 * * ? *)", BERLIN, "2026-03-28T12:00:00Z",
	          "2026-03-29T01:00:00Z 2026-03-30T00:30:00Z");
}

static void a_daily_time_berlin_repeats_fires_once_at_its_first_occurrence(void **state)
{
	(void)state;
	/* 25 October 2026: 03:00 CEST becomes 02:00 CET at 01:00Z; 02:30 is 00:30Z, then 01:30Z. */
	aws_fires("cron(30 2 * * ? *)", BERLIN, "2026-10-24T12:00:00Z",
	          "2026-10-25T00:30:00Z 2026-10-26T01:30:00Z");
}

static void an_hourly_cron_in_berlin_fires_once_for_the_lost_hour(void **state)
{
	(void)state;
	aws_fires("cron(30 * * * ? *)", BERLIN, "2026-03-28T23:00:00Z",
	          "2026-03-28T23:30:00Z 2026-03-29T00:30:00Z 2026-03-29T01:00:00Z 2026-03-29T01:30:00Z");
}

static void an_hourly_cron_in_berlin_does_not_repeat_the_repeated_hour(void **state)
{
	(void)state;
	aws_fires("cron(30 * * * ? *)", BERLIN, "2026-10-24T23:00:00Z",
	          "2026-10-24T23:30:00Z 2026-10-25T00:30:00Z 2026-10-25T02:30:00Z");
}

static void a_zone_without_daylight_saving_is_a_fixed_offset(void **state)
{
	(void)state;
	aws_fires("cron(0 9 * * ? *)", "Asia/Tokyo", "2026-03-08T00:00:00Z",
	          "2026-03-09T00:00:00Z 2026-03-10T00:00:00Z");
	aws_fires("cron(0 9 * * ? *)", "Asia/Kolkata", "2026-03-08T00:00:00Z", "2026-03-08T03:30:00Z");
}

static void no_zone_means_utc(void **state)
{
	(void)state;
	aws_fires("cron(0 9 * * ? *)", "", "2026-03-08T00:00:00Z", "2026-03-08T09:00:00Z");
	aws_fires("cron(0 9 * * ? *)", "UTC", "2026-03-08T00:00:00Z", "2026-03-08T09:00:00Z");
}

static void bad_zones_are_refused(void **state)
{
	static const char *const bad[] = {
		"", "Mars/Olympus_Mons", "../../etc/passwd", "/etc/localtime", "America/../UTC",
		"localtime", "posixrules", "right/UTC", "posix/UTC", "America", "America/",
		"America//New_York", "America/New York", "zone.tab", "leapseconds", "america/new_york",
		"America/New_York\n", "Europe/Berlin/..",
		"Aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
	};
	struct schedule s = parsed(SCHED_AWS, "cron(0 9 * * ? *)");
	int64_t next;

	(void)state;
	assert_false(schedule_zone_ok(NULL));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (schedule_zone_ok(bad[i]))
			fail_msg("\"%s\" was taken for a zone", bad[i]);
		if (bad[i][0] != '\0')
			assert_int_equal(schedule_next(&s, bad[i], 0, 0, &next), -1);
	}
	assert_true(schedule_zone_ok("UTC"));
	assert_true(schedule_zone_ok(NY));
	assert_true(schedule_zone_ok("US/Eastern"));  /* a link, inside the directory */
	assert_true(schedule_zone_ok("Etc/GMT+5"));
	assert_true(schedule_zone_ok("America/Argentina/Buenos_Aires"));
}

/* Leap years */

static void february_29_fires_in_leap_years_only(void **state)
{
	(void)state;
	aws_fires("cron(0 0 29 2 ? *)", NULL, "2026-01-01T00:00:00Z",
	          "2028-02-29T00:00:00Z 2032-02-29T00:00:00Z");
	aws_fires("cron(0 0 29 2 ? *)", NULL, "2096-03-01T00:00:00Z", "2104-02-29T00:00:00Z");
	unix_fires("0 12 29 2 *", NULL, "2026-01-01T00:00:00Z", "2028-02-29T12:00:00Z");
}

/* rate() and at() */

static void a_rate_fires_at_its_anchor_and_each_period_after(void **state)
{
	int64_t anchor = unit_instant("2026-01-01T00:02:00Z");

	(void)state;
	fires_at(SCHED_AWS, "rate(5 minutes)", NULL, anchor, "2025-12-31T00:00:00Z",
	         "2026-01-01T00:02:00Z 2026-01-01T00:07:00Z");
	fires_at(SCHED_AWS, "rate(5 minutes)", NULL, anchor, "2026-01-01T00:02:00Z", "2026-01-01T00:07:00Z");
	fires_at(SCHED_AWS, "rate(5 minutes)", NULL, anchor, "2026-01-01T00:08:30Z", "2026-01-01T00:12:00Z");
	fires_at(SCHED_AWS, "rate(2 hours)", NULL, anchor, "2026-01-01T00:02:00Z",
	         "2026-01-01T02:02:00Z 2026-01-01T04:02:00Z");
	fires_at(SCHED_AWS, "rate(3 days)", NULL, anchor, "2026-01-10T00:00:00Z", "2026-01-10T00:02:00Z");
}

static void a_rate_is_a_fixed_period_of_utc_across_daylight_saving(void **state)
{
	(void)state;
	fires_at(SCHED_AWS, "rate(1 hour)", NY, unit_instant("2026-11-01T04:00:00Z"), "2026-11-01T04:30:00Z",
	         "2026-11-01T05:00:00Z 2026-11-01T06:00:00Z 2026-11-01T07:00:00Z");
	/* A day is 24 hours, though 8 March 2026 has 23 in New York: 07:00 EST, then 08:00 EDT. */
	fires_at(SCHED_AWS, "rate(1 day)", NY, unit_instant("2026-03-07T12:00:00Z"), "2026-03-07T12:00:00Z",
	         "2026-03-08T12:00:00Z");
}

static void rate_units_are_singular_exactly_for_one(void **state)
{
	(void)state;
	parsed(SCHED_AWS, "rate(1 minute)");
	parsed(SCHED_AWS, "rate(1 hour)");
	parsed(SCHED_AWS, "rate(1 day)");
	parsed(SCHED_AWS, "rate(2 days)");
	refused(SCHED_AWS, "rate(1 minutes)", "a value of 1 takes the singular: rate(1 minute)");
	refused(SCHED_AWS, "rate(5 minute)", "a value over 1 takes the plural: rate(5 minutes)");
	refused(SCHED_AWS, "rate(1 hours)", "rate(1 hour)");
	refused(SCHED_AWS, "rate(24 day)", "rate(24 days)");
}

static void rate_values_are_positive_whole_numbers_of_known_units(void **state)
{
	(void)state;
	refused(SCHED_AWS, "rate(0 minutes)", "whole number 1-1000000");
	refused(SCHED_AWS, "rate(-5 minutes)", "whole number 1-1000000");
	refused(SCHED_AWS, "rate(1.5 hours)", "whole number");
	refused(SCHED_AWS, "rate(five minutes)", "whole number");
	refused(SCHED_AWS, "rate(1000001 minutes)", "whole number 1-1000000");
	refused(SCHED_AWS, "rate(5 weeks)", "the unit must be minute, minutes, hour, hours, day or days");
	refused(SCHED_AWS, "rate(5 Minutes)", "the unit must be");
	refused(SCHED_AWS, "rate(5)", "a value and a unit");
	refused(SCHED_AWS, "rate(5 minutes 3)", "a value and a unit");
	refused(SCHED_AWS, "rate()", "a value and a unit");
}

static void at_fires_once_in_the_future_and_never_from_the_past(void **state)
{
	(void)state;
	aws_fires("at(2026-06-01T09:30:00)", NY, "2026-01-01T00:00:00Z", "2026-06-01T13:30:00Z never");
	aws_fires("at(2026-06-01T09:30:00)", NULL, "2026-01-01T00:00:00Z", "2026-06-01T09:30:00Z never");
	aws_fires("at(2026-06-01T09:30:00)", NULL, "2026-06-01T09:30:00Z", "never");
	aws_fires("at(2020-01-01T00:00:00)", NULL, "2026-01-01T00:00:00Z", "never");
}

static void at_in_a_skipped_hour_fires_when_the_clock_jumps(void **state)
{
	(void)state;
	aws_fires("at(2026-03-08T02:30:00)", NY, "2026-01-01T00:00:00Z", "2026-03-08T07:00:00Z never");
	aws_fires("at(2026-11-01T01:30:00)", NY, "2026-01-01T00:00:00Z", "2026-11-01T05:30:00Z never");
}

static void at_refuses_times_that_are_not_dates(void **state)
{
	(void)state;
	refused(SCHED_AWS, "at(2026-02-29T00:00:00)", "2026-02 has no day 29");
	refused(SCHED_AWS, "at(2026-04-31T00:00:00)", "has no day 31");
	refused(SCHED_AWS, "at(2026-13-01T00:00:00)", "the month must be 1-12");
	refused(SCHED_AWS, "at(2026-06-01T24:00:00)", "the hour must be 0-23");
	refused(SCHED_AWS, "at(2026-06-01T09:60:00)", "the minute must be 0-59");
	refused(SCHED_AWS, "at(1969-12-31T00:00:00)", "the year must be 1970-2199");
	refused(SCHED_AWS, "at(2026-06-01 09:30:00)", "at(2026-05-22T10:00:00)");
	refused(SCHED_AWS, "at(2026-06-01T09:30)", "at(2026-05-22T10:00:00)");
	refused(SCHED_AWS, "at(2026-06-01T09:30:00Z)", "at(2026-05-22T10:00:00)");
	refused(SCHED_AWS, "at(+026-06-01T09:30:00)", "at(2026-05-22T10:00:00)");
	parsed(SCHED_AWS, "at(2028-02-29T23:59:59)");
}

/* What is refused */

static void crons_that_never_fire_are_refused(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(0 0 31 2 ? *)", "never fires");
	refused(SCHED_AWS, "cron(0 0 30 2 ? *)", "never fires");
	refused(SCHED_AWS, "cron(0 0 31 4,6,9,11 ? *)", "never fires");
	refused(SCHED_AWS, "cron(0 0 29 2 ? 2027)", "never fires");            /* not a leap year */
	refused(SCHED_AWS, "cron(0 0 ? 2 6#5 2027)", "never fires");           /* no fifth Friday */
	refused(SCHED_AWS, "cron(0 0 30W 2 ? *)", "never fires");
	refused(SCHED_UNIX, "0 0 30 2 *", "never fires");
	/* Either day field may fire a Unix cron: Mondays in February do. */
	parsed(SCHED_UNIX, "0 0 30 2 1");
	parsed(SCHED_AWS, "cron(0 0 29 2 ? 2028)");
}

static void a_cron_whose_dates_are_past_never_fires_again(void **state)
{
	struct schedule s = parsed(SCHED_AWS, "cron(0 0 * * ? *)");
	int64_t next;

	(void)state;
	aws_fires("cron(0 0 1 1 ? 2020)", NULL, "2026-01-01T00:00:00Z", "never");
	aws_fires("cron(0 0 * * ? *)", NULL, "2199-12-30T12:00:00Z", "2199-12-31T00:00:00Z never");
	assert_int_equal(schedule_next(&s, NULL, 0, INT64_MAX, &next), 1);
	assert_int_equal(schedule_next(&s, NULL, 0, INT64_MIN, &next), 0);
	assert_int_equal(next, 0);  /* 1970-01-01T00:00:00Z */
}

static void out_of_range_values_name_their_field(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(60 * * * ? *)", "minutes: 60 is out of range 0-59");
	refused(SCHED_AWS, "cron(0 24 * * ? *)", "hours: 24 is out of range 0-23");
	refused(SCHED_AWS, "cron(0 0 32 * ? *)", "day-of-month: 32 is out of range 1-31");
	refused(SCHED_AWS, "cron(0 0 0 * ? *)", "day-of-month: 0 is out of range 1-31");
	refused(SCHED_AWS, "cron(0 0 ? 13 * *)", "month: 13 is out of range 1-12");
	refused(SCHED_AWS, "cron(0 0 ? * 0 *)", "day-of-week: 0 is out of range 1-7");
	refused(SCHED_AWS, "cron(0 0 ? * 8 *)", "day-of-week: 8 is out of range 1-7");
	refused(SCHED_AWS, "cron(0 0 ? FOO * *)", "month: 'FOO' is neither a number 1-12 nor a name such as JAN");
	refused(SCHED_AWS, "cron(0 0 ? * MONDAY *)", "day-of-week: 'MONDAY'");
	refused(SCHED_AWS, "cron(x 0 ? * * *)", "minutes: 'X' is not a number 0-59");
	refused(SCHED_AWS, "cron(0 99999999999999999999 ? * * *)", "hours: 99999999999999999999 is out of range");
}

static void fields_take_only_their_own_wildcards(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(0 0 ? * 1/2 *)", "day-of-week does not take / increments");
	refused(SCHED_AWS, "cron(0 0 L-3 * ? *)", "L and W stand alone");
	refused(SCHED_AWS, "cron(0 0 1,L * ? *)", "L and W stand alone");
	refused(SCHED_AWS, "cron(0 0 1-15W * ? *)", "L and W stand alone");
	refused(SCHED_AWS, "cron(0 0 32W * ? *)", "needs a day 1-31 before the W");
	refused(SCHED_AWS, "cron(0 0 ? * 2,5L *)", "L stands alone or after one day");
	refused(SCHED_AWS, "cron(L 0 ? * * *)", "minutes: 'L' is not a number");
	refused(SCHED_AWS, "cron(0 0 ? JAN#2 * *)", "month:");
	refused(SCHED_AWS, "cron(0 0 1W * ? *)x", "cron(...) is missing its closing parenthesis");
}

static void ranges_run_upwards_and_increments_stay_in_bounds(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(0 22-2 * * ? *)", "hours: the range 22-2 runs backwards: write 22-23,0-2");
	refused(SCHED_AWS, "cron(0 0 ? * FRI-MON *)", "runs backwards");
	refused(SCHED_AWS, "cron(0/0 * * * ? *)", "the increment in '0/0' must be a whole number 1-60");
	refused(SCHED_AWS, "cron(0/61 * * * ? *)", "1-60");
	refused(SCHED_AWS, "cron(*/ * * * ? *)", "the increment");
	refused(SCHED_AWS, "cron(/5 * * * ? *)", "a value is missing");
	refused(SCHED_AWS, "cron(1- * * * ? *)", "a value is missing");
	refused(SCHED_AWS, "cron(1,,2 * * * ? *)", "the list has an empty item");
	refused(SCHED_AWS, "cron(1, * * * ? *)", "the list has an empty item");
}

static void expressions_are_cron_rate_or_at_with_six_cron_fields(void **state)
{
	(void)state;
	refused(SCHED_AWS, "cron(0 0 * * ?)", "cron() takes 6 fields: minutes hours day-of-month month day-of-week year (5 given)");
	refused(SCHED_AWS, "cron(0 0 0 * * ? *)", "(7 given)");
	refused(SCHED_AWS, "cron()", "(0 given)");
	refused(SCHED_AWS, "cron(0 0 * * ? *", "missing its closing parenthesis");
	refused(SCHED_AWS, "cron(", "missing its closing parenthesis");
	refused(SCHED_AWS, "0 0 * * ? *", "a schedule is cron(...), rate(...) or at(...)");
	refused(SCHED_AWS, "CRON(0 0 * * ? *)", "a schedule is cron(...)");
	refused(SCHED_AWS, " cron(0 0 * * ? *)", "a schedule is cron(...)");
	refused(SCHED_AWS, "", "empty");
	refused(SCHED_AWS, "cron(0 0 * * ? *)(", "closing parenthesis");
	refused(SCHED_AWS, "cron(0 0 (* * ? *)", "day-of-month: '(*' is not a number");
}

static void expressions_over_the_length_limit_are_refused(void **state)
{
	char expr[SCHED_MAX_EXPR + 16];

	(void)state;
	memset(expr, ' ', sizeof(expr) - 1);
	expr[sizeof(expr) - 1] = '\0';
	memcpy(expr, "cron(0", 6);
	memcpy(expr + sizeof(expr) - 12, "0 * * ? *)", 10);
	expr[sizeof(expr) - 2] = '\0';
	refused(SCHED_AWS, expr, "longer than 256 characters");
}

static void reasons_fit_whatever_buffer_is_given(void **state)
{
	struct schedule s;
	char small[8];

	(void)state;
	assert_int_equal(schedule_parse("cron(0 0 31 2 ? *)", SCHED_AWS, &s, NULL, 0), -1);
	assert_int_equal(schedule_parse("cron(0 0 31 2 ? *)", SCHED_AWS, &s, small, 0), -1);
	assert_int_equal(schedule_parse("cron(0 0 31 2 ? *)", SCHED_AWS, &s, small, sizeof(small)), -1);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_int_equal(schedule_parse(NULL, SCHED_AWS, &s, small, sizeof(small)), -1);
	assert_int_equal(schedule_parse("cron(0 0 * * ? *)", SCHED_AWS, NULL, small, sizeof(small)), -1);
	assert_int_equal(schedule_parse("cron(0 0 * * ? *)", (enum schedule_dialect)7, &s, small, sizeof(small)), -1);
}

static void reasons_quote_user_text_printably_and_briefly(void **state)
{
	struct schedule s;
	char why[SCHED_WHY_MAX];

	(void)state;
	assert_int_equal(schedule_parse("cron(\x01\x7f 0 * * ? *)", SCHED_AWS, &s, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "'?" "?'"));  /* each byte shown as a question mark */
	assert_int_equal(schedule_parse("cron(0 0 ? * ABCDEFGHIJKMNOPQRSTUVWXYZ0123456789 *)", SCHED_AWS, &s,
	                                why, sizeof(why)), -1);
	assert_non_null(strstr(why, "'ABCDEFGHIJKMNOPQRSTUVWXY...'"));
}

static void a_schedule_not_parsed_is_an_error(void **state)
{
	struct schedule s;
	int64_t next;

	(void)state;
	memset(&s, 0, sizeof(s));
	assert_int_equal(schedule_next(&s, NULL, 0, 0, &next), -1);
	assert_int_equal(schedule_next(NULL, NULL, 0, 0, &next), -1);
	assert_int_equal(schedule_parse("cron(0 0 31 2 ? *)", SCHED_AWS, &s, NULL, 0), -1);
	assert_int_equal(schedule_next(&s, NULL, 0, 0, &next), -1);  /* a refused parse leaves nothing */
	s = parsed(SCHED_AWS, "cron(0 0 * * ? *)");
	assert_int_equal(schedule_next(&s, NULL, 0, 0, NULL), -1);
}

/* The Unix dialect */

static void unix_day_fields_both_restricted_fire_on_either(void **state)
{
	(void)state;
	/* The 13th (a Tuesday in January 2026) or any Friday. */
	unix_fires("0 0 13 * 5", NULL, "2026-01-01T00:00:00Z",
	           "2026-01-02T00:00:00Z 2026-01-09T00:00:00Z 2026-01-13T00:00:00Z 2026-01-16T00:00:00Z");
}

static void unix_a_day_field_starting_with_star_leaves_the_other_to_choose(void **state)
{
	(void)state;
	unix_fires("0 0 * * 1", NULL, "2026-01-01T00:00:00Z", "2026-01-05T00:00:00Z 2026-01-12T00:00:00Z");
	unix_fires("0 0 13 * *", NULL, "2026-01-01T00:00:00Z", "2026-01-13T00:00:00Z 2026-02-13T00:00:00Z");
	/* As Vixie cron: a field written "*\/2" starts with a star, so both must match: odd-dated Mondays. */
	unix_fires("0 0 */2 * 1", NULL, "2026-01-01T00:00:00Z",
	           "2026-01-05T00:00:00Z 2026-01-19T00:00:00Z 2026-02-09T00:00:00Z");
}

static void unix_sunday_is_0_or_7(void **state)
{
	(void)state;
	same_schedule(SCHED_UNIX, "0 0 * * 7", "0 0 * * 0");
	same_schedule(SCHED_UNIX, "0 0 * * sun", "0 0 * * 0");
	same_schedule(SCHED_UNIX, "0 0 * * 5-7", "0 0 * * 0,5,6");
	unix_fires("0 0 * * 7", NULL, "2026-01-01T00:00:00Z", "2026-01-04T00:00:00Z");
}

static void unix_fields_take_lists_ranges_steps_and_names(void **state)
{
	(void)state;
	unix_fires("5-59/15 9,17 * jan-mar mon-fri", NULL, "2026-01-01T09:00:00Z",
	           "2026-01-01T09:05:00Z 2026-01-01T09:20:00Z 2026-01-01T09:35:00Z 2026-01-01T09:50:00Z "
	           "2026-01-01T17:05:00Z");
	unix_fires("*/30 * * * *", NY, "2026-03-08T06:45:00Z",
	           "2026-03-08T07:00:00Z 2026-03-08T07:30:00Z");
}

static void unix_macros_stand_for_their_crons(void **state)
{
	(void)state;
	same_schedule(SCHED_UNIX, "@hourly", "0 * * * *");
	same_schedule(SCHED_UNIX, "@daily", "0 0 * * *");
	same_schedule(SCHED_UNIX, "@midnight", "0 0 * * *");
	same_schedule(SCHED_UNIX, "@weekly", "0 0 * * 0");
	same_schedule(SCHED_UNIX, "@monthly", "0 0 1 * *");
	same_schedule(SCHED_UNIX, "@yearly", "0 0 1 1 *");
	same_schedule(SCHED_UNIX, "@annually", "0 0 1 1 *");
	unix_fires("@weekly", BERLIN, "2026-01-01T00:00:00Z", "2026-01-03T23:00:00Z");
	refused(SCHED_UNIX, "@reboot", "unknown macro '@reboot': use @hourly, @daily, @weekly, @monthly or @yearly");
	refused(SCHED_UNIX, "@HOURLY", "unknown macro");
	refused(SCHED_UNIX, "@daily 5", "unknown macro");
}

static void unix_refuses_what_only_aws_cron_has(void **state)
{
	(void)state;
	refused(SCHED_UNIX, "5/15 * * * *", "minute: an increment follows * or a range, e.g. 5-59/15");
	refused(SCHED_UNIX, "0 0 ? * *", "day-of-month does not take ?");
	refused(SCHED_UNIX, "0 0 L * *", "day-of-month: 'L' is not a number");
	refused(SCHED_UNIX, "0 0 * * 5L", "day-of-week: '5L' is neither");
	refused(SCHED_UNIX, "0 0 * * 1#2", "day-of-week: '1#2' is neither");
	refused(SCHED_UNIX, "0 0 * * 8", "day-of-week: 8 is out of range 0-7");
	refused(SCHED_UNIX, "cron(0 0 * * ? *)", "a Unix cron takes 5 fields");
	refused(SCHED_UNIX, "rate(5 minutes)", "5 fields");
}

static void unix_expressions_have_five_fields(void **state)
{
	(void)state;
	refused(SCHED_UNIX, "0 0 * *", "a Unix cron takes 5 fields: minute hour day-of-month month day-of-week (4 given)");
	refused(SCHED_UNIX, "0 0 0 * * *", "(6 given)");
	refused(SCHED_UNIX, "   ", "(0 given)");
}

/* Robustness */

/* A deterministic generator, so that a failure is the same on every run. */
static uint32_t lcg(uint32_t *x)
{
	*x = *x * 1103515245u + 12345u;
	return *x >> 16;
}

static void mutated_expressions_never_crash_and_always_say_why(void **state)
{
	static const char *const seeds[] = {
		"cron(0/15 9-17 ? JAN-MAR MON-FRI 2026-2030)", "cron(0 0 LW * ? *)", "cron(0 0 ? * 6#5 *)",
		"cron(30 2 15W * ? *)", "rate(5 minutes)", "at(2026-03-08T02:30:00)", "cron(0 0 ? * 5L *)",
	};
	static const char alphabet[] = "0123456789*/,-?LW#() ABCDEFJMNOSTUXYZ\t\x01\xff";
	uint32_t x = 20260522;
	char expr[96], why[SCHED_WHY_MAX];
	struct schedule s;
	int64_t next;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		const char *seed = seeds[lcg(&x) % (sizeof(seeds) / sizeof(seeds[0]))];
		size_t n = strlen(seed);
		memcpy(expr, seed, n + 1);
		for (int k = 1 + (int)(lcg(&x) % 3); k > 0; k--) {
			size_t at = lcg(&x) % (n + 1);
			char c = alphabet[lcg(&x) % (sizeof(alphabet) - 1)];
			switch (lcg(&x) % 3) {
			case 0:  /* replace */
				if (at < n)
					expr[at] = c;
				break;
			case 1:  /* insert */
				if (n + 1 < sizeof(expr)) {
					memmove(expr + at + 1, expr + at, n - at + 1);
					expr[at] = c;
					n++;
				}
				break;
			default:  /* delete */
				if (at < n) {
					memmove(expr + at, expr + at + 1, n - at);
					n--;
				}
			}
		}
		enum schedule_dialect d = round % 5 == 0 ? SCHED_UNIX : SCHED_AWS;
		if (schedule_parse(expr, d, &s, why, sizeof(why)) == 0)
			assert_true(schedule_next(&s, round % 2 ? NY : NULL, 0, unit_instant("2026-01-01T00:00:00Z"), &next) >= 0);
		else if (why[0] == '\0' || strchr(why, '\n') != NULL)
			fail_msg("no one-line reason for \"%s\"", expr);
	}
}

static void the_next_fire_time_takes_bounded_work(void **state)
{
	/* Sparse schedules, each from points spread over two centuries, in a zone with rules. */
	static const char *const sparse[] = {
		"cron(0 0 29 2 ? *)", "cron(59 23 ? 2 6#5 *)", "cron(0 0 1 1 ? 2199)", "cron(0 0 31W 2-12/2 ? *)",
		"cron(0 0 ? * 5L 2100-2199/7)",
	};
	struct schedule s[sizeof(sparse) / sizeof(sparse[0])];
	struct timespec a, b;
	int64_t next;

	(void)state;
	for (size_t i = 0; i < sizeof(sparse) / sizeof(sparse[0]); i++)
		s[i] = parsed(SCHED_AWS, sparse[i]);
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (int i = 0; i < 10000; i++) {
		int64_t after = (int64_t)(i % 230) * 365 * 86400;
		assert_true(schedule_next(&s[i % 5], NY, 0, after, &next) >= 0);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
	/* Some 50 ms here; a minute-by-minute scan would take hours. The bound allows sanitizers. */
	if (secs > 5.0)
		fail_msg("10000 next fire times took %.2f s", secs);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_list_fires_at_each_of_its_values),
	cmocka_unit_test(a_range_fires_at_each_value_within_it),
	cmocka_unit_test(an_increment_from_a_value_counts_from_it_to_the_end_of_the_field),
	cmocka_unit_test(an_increment_over_a_range_stays_within_it),
	cmocka_unit_test(an_increment_over_star_spans_the_field),
	cmocka_unit_test(month_and_weekday_names_are_read_in_any_case),
	cmocka_unit_test(a_question_mark_lets_the_other_day_field_choose),
	cmocka_unit_test(day_fields_both_set_or_both_question_marks_are_refused),
	cmocka_unit_test(L_in_day_of_month_is_the_last_day_of_each_month),
	cmocka_unit_test(L_in_february_is_the_29th_in_leap_years_only),
	cmocka_unit_test(W_is_the_weekday_nearest_the_day_within_its_month),
	cmocka_unit_test(LW_is_the_last_weekday_of_the_month),
	cmocka_unit_test(a_weekday_then_L_is_its_last_in_the_month),
	cmocka_unit_test(L_alone_in_day_of_week_is_every_saturday),
	cmocka_unit_test(hash_is_the_nth_such_weekday_of_the_month),
	cmocka_unit_test(the_year_field_limits_the_years),
	cmocka_unit_test(whitespace_between_fields_may_repeat),
	cmocka_unit_test(the_reference_daily_cron_follows_new_york_time),
	cmocka_unit_test(a_daily_time_new_york_skips_fires_once_when_the_clock_jumps),
	cmocka_unit_test(a_daily_time_new_york_repeats_fires_once_at_its_first_occurrence),
	cmocka_unit_test(an_hourly_cron_in_new_york_fires_once_for_the_lost_hour),
	cmocka_unit_test(an_hourly_cron_in_new_york_does_not_repeat_the_repeated_hour),
	cmocka_unit_test(a_daily_time_berlin_skips_fires_once_when_the_clock_jumps),
	cmocka_unit_test(a_daily_time_berlin_repeats_fires_once_at_its_first_occurrence),
	cmocka_unit_test(an_hourly_cron_in_berlin_fires_once_for_the_lost_hour),
	cmocka_unit_test(an_hourly_cron_in_berlin_does_not_repeat_the_repeated_hour),
	cmocka_unit_test(a_zone_without_daylight_saving_is_a_fixed_offset),
	cmocka_unit_test(no_zone_means_utc),
	cmocka_unit_test(bad_zones_are_refused),
	cmocka_unit_test(february_29_fires_in_leap_years_only),
	cmocka_unit_test(a_rate_fires_at_its_anchor_and_each_period_after),
	cmocka_unit_test(a_rate_is_a_fixed_period_of_utc_across_daylight_saving),
	cmocka_unit_test(rate_units_are_singular_exactly_for_one),
	cmocka_unit_test(rate_values_are_positive_whole_numbers_of_known_units),
	cmocka_unit_test(at_fires_once_in_the_future_and_never_from_the_past),
	cmocka_unit_test(at_in_a_skipped_hour_fires_when_the_clock_jumps),
	cmocka_unit_test(at_refuses_times_that_are_not_dates),
	cmocka_unit_test(crons_that_never_fire_are_refused),
	cmocka_unit_test(a_cron_whose_dates_are_past_never_fires_again),
	cmocka_unit_test(out_of_range_values_name_their_field),
	cmocka_unit_test(fields_take_only_their_own_wildcards),
	cmocka_unit_test(ranges_run_upwards_and_increments_stay_in_bounds),
	cmocka_unit_test(expressions_are_cron_rate_or_at_with_six_cron_fields),
	cmocka_unit_test(expressions_over_the_length_limit_are_refused),
	cmocka_unit_test(reasons_fit_whatever_buffer_is_given),
	cmocka_unit_test(reasons_quote_user_text_printably_and_briefly),
	cmocka_unit_test(a_schedule_not_parsed_is_an_error),
	cmocka_unit_test(unix_day_fields_both_restricted_fire_on_either),
	cmocka_unit_test(unix_a_day_field_starting_with_star_leaves_the_other_to_choose),
	cmocka_unit_test(unix_sunday_is_0_or_7),
	cmocka_unit_test(unix_fields_take_lists_ranges_steps_and_names),
	cmocka_unit_test(unix_macros_stand_for_their_crons),
	cmocka_unit_test(unix_refuses_what_only_aws_cron_has),
	cmocka_unit_test(unix_expressions_have_five_fields),
	cmocka_unit_test(mutated_expressions_never_crash_and_always_say_why),
	cmocka_unit_test(the_next_fire_time_takes_bounded_work),
};
UNIT_TABLE(unit_schedule, tests);
