/*
 * A POSIX TZ rule ("EST5EDT,M3.2.0,M11.1.0"): the footer of a TZif file, which gives a
 * zone's offsets after its last listed transition. Modern tzdata lists transitions only
 * to 2037 or less, so every later instant, and some earlier ones, come from the rule.
 * Pure: no libc time zone state, safe in any thread.
 */
#ifndef TF_TZRULE_H
#define TF_TZRULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 8536 bounds an offset to -24:59:59..25:59:59, a transition time to +-167 hours. */
#define TZ_OFF_MIN (-89999)
#define TZ_OFF_MAX 93599
#define TZ_RULE_HOURS_MAX 167

struct tzrule_date {
	char kind;      /* 'J': day n 1-365, never Feb 29; 'D': day n 0-365; 'M': day d of week w of month m */
	int n, m, w, d; /* M: w 1-5 (5 the last), d 0-6 (0 Sunday) */
};

struct tzrule {
	int32_t std_off, dst_off;            /* seconds east of UTC */
	bool has_dst;
	struct tzrule_date start, end;       /* daylight saving time starts, ends */
	int32_t start_time, end_time;        /* local seconds from that day's midnight */
};

/* Parses the n bytes at s; 0, or -1 when they are not a rule this reader can apply. */
int tzrule_parse(const char *s, size_t n, struct tzrule *r);
/* The offset in effect at UTC instant t, and in *next the next instant after t it may change. */
int32_t tzrule_offset(const struct tzrule *r, int64_t t, int64_t *next);

#endif
