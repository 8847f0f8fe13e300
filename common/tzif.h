/*
 * A time zone read from a TZif file (RFC 8536): its offsets from UTC at every instant.
 * Immutable once read, so one zone serves any number of threads. Pure: no file access
 * here (tzdb.c finds and reads the files) and no libc time zone state.
 */
#ifndef TF_TZIF_H
#define TF_TZIF_H

#include <stddef.h>
#include <stdint.h>

/* What a TZif file may claim before it is refused; the largest in tzdata 2025 lists 310 transitions. */
#define TZIF_MAX_TIMES  2000   /* as glibc's TZ_MAX_TIMES */
#define TZIF_MAX_TYPES  256    /* a transition's type is one byte */
#define TZIF_MAX_CHARS  256
#define TZIF_MAX_FOOTER 128    /* the POSIX TZ rule; tzdata's longest is 44 */

struct tzone;

/*
 * Reads the n bytes of a TZif file; 0 and a zone for tzone_free in *out, or -1 with
 * nothing allocated. Zones with leap seconds ("right/") are refused: their instants do
 * not count seconds as UTC epoch seconds do.
 */
int tzif_parse(const unsigned char *p, size_t n, struct tzone **out);
void tzone_free(struct tzone *z);
/* UTC, which needs no file; never to be freed (tzone_free ignores it). */
const struct tzone *tzone_utc(void);

/* The offset east of UTC in effect at instant t; *next is the next instant it may change. */
int32_t tzone_offset(const struct tzone *z, int64_t t, int64_t *next);
/*
 * The first instant at which the zone's clock reads local or later, local counted in
 * seconds as UTC epoch seconds are. A time the clock shows twice (the hour repeated when
 * daylight saving time ends) gives its first occurrence; a time it skips (the hour lost
 * when it starts) gives the instant the clock jumps past it.
 */
int64_t tzone_first_local(const struct tzone *z, int64_t local);

#endif
