/* Clocks and ISO 8601 text. All wall-clock times are UTC epoch milliseconds. */
#ifndef TF_TIMEFMT_H
#define TF_TIMEFMT_H

#include <stddef.h>
#include <stdint.h>

int64_t now_ms(void);
/* Monotonic milliseconds, for durations and deadlines inside one process. */
int64_t mono_ms(void);
double mono_ms_f(void);
/* "2026-05-22T10:00:00.123Z" */
void iso8601_ms(int64_t ms, char *out, size_t n);
/* "2026-05-22T10:00:00Z" */
void iso8601_s(int64_t ms, char *out, size_t n);
/* "20260522", the UTC day, for daily counters. */
void utc_day(int64_t ms, char *out, size_t n);
/*
 * Parses "YYYY-MM-DDTHH:MM:SS[.fff][Z|±HH:MM]" or "YYYY-MM-DD".
 * Returns 0 and the instant in *ms, or -1.
 */
int iso8601_parse(const char *s, int64_t *ms);

/*
 * Parses an ISO 8601 duration ("PT1H", "P1DT12H", "PT90S", "P1W", "PT0.5S") into
 * milliseconds. Years and months have no fixed length; they read as 365 and 30 days.
 * Returns -1 for anything else or for a duration over max_ms.
 */
int iso8601_duration(const char *s, int64_t max_ms, int64_t *ms);

#endif
