/* Time zones for schedules: POSIX TZ rules (common/tzrule.c), TZif files (tzif.c), the zone cache (tzdb.c). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "tzdb.h"
#include "tzif.h"
#include "tzrule.h"
#include "unit.h"

#define HOUR 3600
#define ZONE_FILE_MAX 4096


static struct tzrule rule(const char *s)
{
	struct tzrule r;

	if (tzrule_parse(s, strlen(s), &r) != 0)
		fail_msg("the rule %s was refused", s);
	return r;
}

static int32_t rule_offset_at(const struct tzrule *r, const char *iso)
{
	int64_t next;
	return tzrule_offset(r, unit_instant(iso), &next);
}

static void next_change_is(const struct tzrule *r, const char *after, const char *want)
{
	char got[32];
	int64_t next;

	tzrule_offset(r, unit_instant(after), &next);
	iso8601_s(next * 1000, got, sizeof(got));
	assert_string_equal(got, want);
}

/* A TZif file as zic writes one: version 2, the data twice (32- then 64-bit), a footer. */
struct zone_spec {
	char version;            /* '\0' for version 1, which has no second part and no footer */
	size_t n;
	const int64_t *at;
	const uint8_t *type;
	size_t ntypes;
	const int32_t *utoff;
	const char *footer;
	uint32_t leaps;          /* leap second records claimed (and written) */
};

static unsigned char *put32(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16), p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
	return p + 4;
}

static unsigned char *zone_part(unsigned char *p, const struct zone_spec *z, size_t timesz)
{
	memcpy(p, "TZif", 4);
	p[4] = (unsigned char)z->version;
	memset(p + 5, 0, 15);
	p += 20;
	p = put32(p, 0);                 /* isutcnt */
	p = put32(p, 0);                 /* isstdcnt */
	p = put32(p, z->leaps);
	p = put32(p, (uint32_t)z->n);
	p = put32(p, (uint32_t)z->ntypes);
	p = put32(p, 4);                 /* charcnt: "ZZZ\0" */
	for (size_t i = 0; i < z->n; i++) {
		if (timesz == 8)
			p = put32(p, (uint32_t)((uint64_t)z->at[i] >> 32));
		p = put32(p, (uint32_t)z->at[i]);
	}
	for (size_t i = 0; i < z->n; i++)
		*p++ = z->type[i];
	for (size_t i = 0; i < z->ntypes; i++) {
		p = put32(p, (uint32_t)z->utoff[i]);
		*p++ = 0;
		*p++ = 0;
	}
	memcpy(p, "ZZZ", 4);
	p += 4;
	for (uint32_t i = 0; i < z->leaps; i++) {
		memset(p, 0, timesz + 4);
		p += timesz + 4;
	}
	return p;
}

static size_t zone_file(const struct zone_spec *z, unsigned char *out)
{
	unsigned char *p = zone_part(out, z, 4);

	if (z->version != '\0') {
		p = zone_part(p, z, 8);
		p += sprintf((char *)p, "\n%s\n", z->footer ? z->footer : "");
	}
	return (size_t)(p - out);
}

/* One transition, at 2000-01-01, from UTC to UTC+1, then Central Europe's rule. */
static const int64_t one_at[] = { 946684800 };
static const uint8_t one_type[] = { 1 };
static const int32_t two_offsets[] = { 0, HOUR };
static const struct zone_spec central = {
	'2', 1, one_at, one_type, 2, two_offsets, "CET-1CEST,M3.5.0,M10.5.0/3", 0,
};

static struct tzone *zone(const struct zone_spec *z)
{
	unsigned char file[ZONE_FILE_MAX];
	struct tzone *tz;

	if (tzif_parse(file, zone_file(z, file), &tz) != 0)
		fail_msg("the zone file was refused");
	return tz;
}

static int32_t offset_at(const struct tzone *z, const char *iso)
{
	int64_t next;
	return tzone_offset(z, unit_instant(iso), &next);
}

/* POSIX TZ rules */

static void a_rule_is_in_daylight_time_between_its_dates(void **state)
{
	struct tzrule r = rule("EST5EDT,M3.2.0,M11.1.0");

	(void)state;
	assert_int_equal(r.std_off, -5 * HOUR);
	assert_int_equal(r.dst_off, -4 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2030-01-15T00:00:00Z"), -5 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2030-07-15T00:00:00Z"), -4 * HOUR);
	/* Second Sunday of March 2030 is the 10th, at 02:00 EST; first of November the 3rd, 02:00 EDT. */
	next_change_is(&r, "2030-01-15T00:00:00Z", "2030-03-10T07:00:00Z");
	next_change_is(&r, "2030-07-15T00:00:00Z", "2030-11-03T06:00:00Z");
	assert_int_equal(rule_offset_at(&r, "2030-03-10T06:59:59Z"), -5 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2030-03-10T07:00:00Z"), -4 * HOUR);
}

static void a_southern_rule_is_in_daylight_time_across_the_new_year(void **state)
{
	struct tzrule r = rule("AEST-10AEDT,M10.1.0,M4.1.0/3");

	(void)state;
	assert_int_equal(rule_offset_at(&r, "2031-01-01T00:00:00Z"), 11 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2031-07-01T00:00:00Z"), 10 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2031-12-31T12:00:00Z"), 11 * HOUR);
}

static void a_rule_may_have_negative_daylight_saving_as_dublin(void **state)
{
	struct tzrule r = rule("IST-1GMT0,M10.5.0,M3.5.0/1");

	(void)state;
	assert_int_equal(rule_offset_at(&r, "2040-07-01T00:00:00Z"), HOUR);
	assert_int_equal(rule_offset_at(&r, "2040-01-01T00:00:00Z"), 0);
}

static void rule_times_may_pass_24_hours_or_be_negative(void **state)
{
	struct tzrule israel = rule("IST-2IDT,M3.4.4/26,M10.5.0");
	struct tzrule nuuk = rule("<-02>2<-01>,M3.5.0/-1,M10.5.0/0");

	(void)state;
	/* The fourth Thursday of March 2030 is the 28th: 26:00 is Friday 02:00 IST, 00:00Z. */
	next_change_is(&israel, "2030-03-01T00:00:00Z", "2030-03-29T00:00:00Z");
	/* The last Sunday of March 2030 is the 31st: -1:00 is Saturday 23:00 at UTC-2, 01:00Z. */
	next_change_is(&nuuk, "2030-03-01T00:00:00Z", "2030-03-31T01:00:00Z");
	assert_int_equal(nuuk.std_off, -2 * HOUR);
}

static void a_rule_without_dates_takes_the_united_states_dates(void **state)
{
	struct tzrule r = rule("EST5EDT");

	(void)state;
	assert_int_equal(rule_offset_at(&r, "2030-07-15T00:00:00Z"), -4 * HOUR);
	next_change_is(&r, "2030-01-15T00:00:00Z", "2030-03-10T07:00:00Z");
}

static void a_rule_may_keep_daylight_time_all_year(void **state)
{
	struct tzrule r = rule("EST5EDT,0/0,J365/25");

	(void)state;
	assert_int_equal(rule_offset_at(&r, "2030-01-01T04:30:00Z"), -4 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2030-07-01T00:00:00Z"), -4 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2030-12-31T23:00:00Z"), -4 * HOUR);
	assert_int_equal(rule_offset_at(&r, "2031-01-01T05:00:00Z"), -4 * HOUR);
}

static void julian_days_skip_february_29_and_zero_based_days_count_it(void **state)
{
	struct tzrule j = rule("AAA0BBB,J60/0,J61/0"), d = rule("AAA0BBB,59/0,60/0");

	(void)state;
	/* 2032 is a leap year: J60 is March 1, day 59 (from 0) is February 29. */
	next_change_is(&j, "2032-01-01T00:00:00Z", "2032-03-01T00:00:00Z");
	next_change_is(&d, "2032-01-01T00:00:00Z", "2032-02-29T00:00:00Z");
}

static void malformed_rules_are_refused(void **state)
{
	static const char *const bad[] = {
		"", "EST", "E5", "EST5EDT,M3.2.0", "EST5EDT,M13.2.0,M11.1.0", "EST5EDT,M3.6.0,M11.1.0",
		"EST5EDT,M3.0.0,M11.1.0", "EST5EDT,M3.2.7,M11.1.0", "EST5EDT,J0,J365", "EST5EDT,366,0",
		"EST25", "EST5EDT,M3.2.0/168,M11.1.0", "<+03", "<ab>3", "EST5EDT,M3.2.0,M11.1.0x",
		"EST5:60", "EST5EDT,M3.2.0,,M11.1.0", "EST+", "EST5EDT4:00:99", "5EST", "EST5EDT,M3..0,M11.1.0",
		"EST99999999999999999999999",
	};
	struct tzrule r;

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (tzrule_parse(bad[i], strlen(bad[i]), &r) == 0)
			fail_msg("the rule \"%s\" was accepted", bad[i]);
	/* Only the n bytes given are read. */
	assert_int_equal(tzrule_parse("EST5EDT,M3.2.0,M11.1.0", 7, &r), 0);
	assert_true(r.has_dst);
}

/* TZif files */

static void a_zone_file_gives_its_transitions_then_its_rule(void **state)
{
	struct tzone *z = zone(&central);
	int64_t next;

	(void)state;
	assert_int_equal(offset_at(z, "1999-06-01T00:00:00Z"), 0);           /* type 0, before */
	assert_int_equal(tzone_offset(z, unit_instant("1999-06-01T00:00:00Z"), &next), 0);
	assert_int_equal(next, one_at[0]);
	assert_int_equal(offset_at(z, "2000-01-01T00:00:00Z"), HOUR);
	assert_int_equal(offset_at(z, "2030-07-01T00:00:00Z"), 2 * HOUR);    /* the rule's summer */
	assert_int_equal(offset_at(z, "2030-12-01T00:00:00Z"), HOUR);
	tzone_free(z);
}

static void a_zone_file_without_a_rule_keeps_its_last_offset(void **state)
{
	struct zone_spec spec = central;
	struct tzone *z;
	int64_t next;

	(void)state;
	spec.footer = "";
	z = zone(&spec);
	assert_int_equal(tzone_offset(z, unit_instant("2100-07-01T00:00:00Z"), &next), HOUR);
	assert_true(next == INT64_MAX);
	tzone_free(z);
	spec.version = '\0';  /* version 1: no footer at all */
	z = zone(&spec);
	assert_int_equal(offset_at(z, "2100-07-01T00:00:00Z"), HOUR);
	assert_int_equal(offset_at(z, "1990-07-01T00:00:00Z"), 0);
	tzone_free(z);
}

static void a_zone_file_with_no_transitions_follows_its_rule(void **state)
{
	struct zone_spec spec = central;
	struct tzone *z;

	(void)state;
	spec.n = 0;
	z = zone(&spec);
	assert_int_equal(offset_at(z, "1980-07-01T00:00:00Z"), 2 * HOUR);
	tzone_free(z);
}

static void every_cut_of_a_zone_file_is_refused(void **state)
{
	unsigned char file[ZONE_FILE_MAX];
	size_t n = zone_file(&central, file);
	struct tzone *z;

	(void)state;
	for (size_t len = 0; len < n; len++) {
		unsigned char *copy = malloc(len ? len : 1);  /* exactly len bytes, for ASan to watch */
		memcpy(copy, file, len);
		if (tzif_parse(copy, len, &z) == 0)
			fail_msg("a zone file cut to %zu of %zu bytes was accepted", len, n);
		assert_null(z);
		free(copy);
	}
}

static void zone_files_claiming_too_much_or_nonsense_are_refused(void **state)
{
	static const int64_t backwards[] = { 1000, 1000 };
	static const uint8_t types2[] = { 0, 1 }, type9[] = { 9 };
	static const int32_t far_off[] = { 0, 26 * HOUR };
	char long_rule[TZIF_MAX_FOOTER + 2];
	struct zone_spec spec;
	unsigned char file[ZONE_FILE_MAX];
	struct tzone *z;
	size_t n;

	(void)state;
	spec = central, spec.n = 2, spec.at = backwards, spec.type = types2;
	n = zone_file(&spec, file);
	assert_int_equal(tzif_parse(file, n, &z), -1);               /* not ascending */
	spec = central, spec.type = type9;
	assert_int_equal(tzif_parse(file, zone_file(&spec, file), &z), -1);   /* no such type */
	spec = central, spec.utoff = far_off;
	assert_int_equal(tzif_parse(file, zone_file(&spec, file), &z), -1);   /* offset past 25:59:59 */
	spec = central, spec.leaps = 1;
	assert_int_equal(tzif_parse(file, zone_file(&spec, file), &z), -1);   /* leap seconds */
	spec = central, spec.footer = "CET-1CEST,M3.5.0";
	assert_int_equal(tzif_parse(file, zone_file(&spec, file), &z), -1);   /* a rule we cannot apply */
	memset(long_rule, 'A', sizeof(long_rule) - 1);
	long_rule[sizeof(long_rule) - 1] = '\0';
	memcpy(long_rule + sizeof(long_rule) - 3, "-1", 2);  /* a valid rule, of a name too long */
	spec = central, spec.footer = long_rule;
	assert_int_equal(tzif_parse(file, zone_file(&spec, file), &z), -1);   /* a footer over its limit */
	n = zone_file(&central, file);
	file[0] = 'X';
	assert_int_equal(tzif_parse(file, n, &z), -1);               /* not TZif */
	n = zone_file(&central, file);
	put32(file + 32, TZIF_MAX_TIMES + 1);
	assert_int_equal(tzif_parse(file, n, &z), -1);               /* more transitions than allowed */
	n = zone_file(&central, file);
	put32(file + 36, 0);
	assert_int_equal(tzif_parse(file, n, &z), -1);               /* no types */
	put32(file + 36, 0xffffffffu);
	assert_int_equal(tzif_parse(file, n, &z), -1);
	assert_null(z);
}

static void random_damage_never_crashes_the_reader(void **state)
{
	unsigned char file[ZONE_FILE_MAX], copy[ZONE_FILE_MAX];
	size_t n = zone_file(&central, file);
	uint32_t x = 1;
	struct tzone *z;

	(void)state;
	for (int round = 0; round < 20000; round++) {
		memcpy(copy, file, n);
		for (int k = 0; k < 1 + round % 4; k++) {
			x = x * 1103515245u + 12345u;
			copy[(x >> 8) % n] ^= (unsigned char)(1u << ((x >> 4) % 8));
		}
		if (tzif_parse(copy, n, &z) == 0) {
			int64_t local = unit_instant("2026-03-29T02:30:00Z");
			int64_t t = tzone_first_local(z, local), next;
			int32_t off = tzone_offset(z, t, &next);
			assert_true(t + off >= local);
			tzone_free(z);
		}
	}
}

/* The zone cache and the system's zones */

static void zone_names_stay_inside_the_zoneinfo_directory(void **state)
{
	struct tzone *own;

	(void)state;
	assert_true(tzdb_name_ok("America/New_York"));
	assert_true(tzdb_name_ok("Etc/GMT-14"));
	assert_false(tzdb_name_ok(NULL));
	assert_false(tzdb_name_ok(""));
	assert_false(tzdb_name_ok("/usr/share/zoneinfo/UTC"));
	assert_false(tzdb_name_ok("../zoneinfo/UTC"));
	assert_false(tzdb_name_ok("Europe/./Berlin"));
	assert_false(tzdb_name_ok(".hidden"));
	assert_false(tzdb_name_ok("right/Europe/Berlin"));
	assert_false(tzdb_name_ok("posix/Europe/Berlin"));
	/* A name may be well spelt and still not resolve to a zone file within the directory. */
	assert_false(tzdb_name_ok("localtime"));
	assert_null(tzdb_get("Europe", &own));       /* a directory */
	assert_null(tzdb_get("leapseconds", &own));  /* not a TZif file */
	assert_null(tzdb_get("No/Such_Zone", &own));
	assert_null(own);
}

static void every_zone_the_system_lists_loads(void **state)
{
	static const char *const lists[] = { TZDB_DIR "/zone1970.tab", TZDB_DIR "/zone.tab" };
	char line[512], name[128];
	size_t zones = 0;

	(void)state;
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		FILE *f = fopen(lists[i], "r");
		if (f == NULL)
			fail_msg("%s: tzdata is not installed", lists[i]);
		while (fgets(line, sizeof(line), f)) {
			if (line[0] == '#' || sscanf(line, "%*s %*s %127s", name) != 1)
				continue;
			struct tzone *own;
			if (tzdb_get(name, &own) == NULL)
				fail_msg("the zone %s of %s did not load", name, lists[i]);
			tzone_free(own);
			zones++;
		}
		fclose(f);
	}
	/* More than the cache holds: the zones past it are read for each use, and freed. */
	assert_true(zones > TZDB_CACHE_ZONES);
}

static void new_york_follows_its_rule_past_the_listed_transitions(void **state)
{
	struct tzone *own;
	const struct tzone *z = tzdb_get("America/New_York", &own);
	int64_t next;

	(void)state;
	assert_non_null(z);
	assert_int_equal(offset_at(z, "2150-01-15T00:00:00Z"), -5 * HOUR);
	assert_int_equal(offset_at(z, "2150-07-15T00:00:00Z"), -4 * HOUR);
	/* Before 1970, which iso8601_parse does not read: 1950-07-15 from the file's list, and
	 * 1800-01-01 before its first transition, local mean time (type 0). */
	assert_int_equal(tzone_offset(z, -614304000, &next), -4 * HOUR);
	assert_int_equal(tzone_offset(z, -5364662400, &next), -17762);
	tzone_free(own);
}

static void a_local_time_maps_to_its_first_occurrence_or_the_end_of_its_gap(void **state)
{
	struct tzone *own;
	const struct tzone *z = tzdb_get("America/New_York", &own);

	(void)state;
	assert_non_null(z);
	assert_int_equal(tzone_first_local(z, unit_instant("2026-03-08T02:30:00Z")), unit_instant("2026-03-08T07:00:00Z"));
	assert_int_equal(tzone_first_local(z, unit_instant("2026-03-08T03:00:00Z")), unit_instant("2026-03-08T07:00:00Z"));
	assert_int_equal(tzone_first_local(z, unit_instant("2026-03-08T01:59:00Z")), unit_instant("2026-03-08T06:59:00Z"));
	assert_int_equal(tzone_first_local(z, unit_instant("2026-11-01T01:30:00Z")), unit_instant("2026-11-01T05:30:00Z"));
	assert_int_equal(tzone_first_local(z, unit_instant("2026-11-01T02:00:00Z")), unit_instant("2026-11-01T07:00:00Z"));
	assert_int_equal(tzone_first_local(tzone_utc(), 12345), 12345);
	tzone_free(own);
}

/* Threads */

#define THREADS 8
#define DAYS 400

/* Zones no other test reads, so that the threads race to load them. */
static const char *const fresh_zones[] = {
	"America/Sao_Paulo", "Pacific/Chatham", "Africa/Casablanca", "Europe/Lisbon", "Asia/Tehran",
	"America/St_Johns", "Australia/Lord_Howe", "America/Havana", "Asia/Gaza", "Pacific/Auckland",
};
#define ZONES (sizeof(fresh_zones) / sizeof(fresh_zones[0]))

static pthread_barrier_t start_line;

/* 02:30 local on DAYS days from 2026 on, in each zone: across every change of those years. */
static void *thread_main(void *arg)
{
	int64_t *got = arg;

	pthread_barrier_wait(&start_line);
	for (size_t i = 0; i < ZONES; i++) {
		struct tzone *own;
		const struct tzone *z = tzdb_get(fresh_zones[i], &own);
		for (int d = 0; d < DAYS; d++)
			got[i * DAYS + d] = z ? tzone_first_local(z, 1767225600 + (int64_t)d * 86400 + 9000) : -1;
		tzone_free(own);
	}
	return NULL;
}

static void zones_are_loaded_and_shared_between_threads_safely(void **state)
{
	static int64_t got[THREADS][ZONES * DAYS];
	pthread_t t[THREADS];

	(void)state;
	pthread_barrier_init(&start_line, NULL, THREADS);
	for (int i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&t[i], NULL, thread_main, got[i]), 0);
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	pthread_barrier_destroy(&start_line);
	for (int i = 0; i < THREADS; i++) {
		for (size_t k = 0; k < ZONES * DAYS; k++) {
			assert_true(got[i][k] > 0);
			assert_int_equal(got[i][k], got[0][k]);
		}
	}
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_rule_is_in_daylight_time_between_its_dates),
	cmocka_unit_test(a_southern_rule_is_in_daylight_time_across_the_new_year),
	cmocka_unit_test(a_rule_may_have_negative_daylight_saving_as_dublin),
	cmocka_unit_test(rule_times_may_pass_24_hours_or_be_negative),
	cmocka_unit_test(a_rule_without_dates_takes_the_united_states_dates),
	cmocka_unit_test(a_rule_may_keep_daylight_time_all_year),
	cmocka_unit_test(julian_days_skip_february_29_and_zero_based_days_count_it),
	cmocka_unit_test(malformed_rules_are_refused),
	cmocka_unit_test(a_zone_file_gives_its_transitions_then_its_rule),
	cmocka_unit_test(a_zone_file_without_a_rule_keeps_its_last_offset),
	cmocka_unit_test(a_zone_file_with_no_transitions_follows_its_rule),
	cmocka_unit_test(every_cut_of_a_zone_file_is_refused),
	cmocka_unit_test(zone_files_claiming_too_much_or_nonsense_are_refused),
	cmocka_unit_test(random_damage_never_crashes_the_reader),
	cmocka_unit_test(zone_names_stay_inside_the_zoneinfo_directory),
	cmocka_unit_test(zones_are_loaded_and_shared_between_threads_safely),
	cmocka_unit_test(every_zone_the_system_lists_loads),
	cmocka_unit_test(new_york_follows_its_rule_past_the_listed_transitions),
	cmocka_unit_test(a_local_time_maps_to_its_first_occurrence_or_the_end_of_its_gap),
};
UNIT_TABLE(unit_schedule_zones, tests);
