#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "tzif.h"
#include "tzrule.h"
#include "xalloc.h"

#define TZIF_HEADER 44          /* magic, version, 15 reserved bytes, six counts */
#define TZIF_TYPE_BYTES 6       /* utoff (4), isdst, desigidx */
/* Wider than any offset (TZ_OFF_MIN..TZ_OFF_MAX): every instant a local time can name lies this close to it. */
#define TZ_SPAN 93600

struct tzone {
	size_t n;                /* transitions */
	int64_t *at;             /* their instants, strictly ascending */
	int32_t *off;            /* the offset from each on */
	int32_t off0;            /* the offset before the first */
	bool has_rule;           /* after the last: the footer's rule, else the last offset */
	struct tzrule rule;
};

struct counts {
	uint32_t isut, isstd, leap, time, type, chars;
};

static const struct tzone utc;

const struct tzone *tzone_utc(void)
{
	return &utc;
}

void tzone_free(struct tzone *z)
{
	if (z == NULL || z == &utc)
		return;
	free(z->at);
	free(z->off);
	free(z);
}

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static int64_t be64(const unsigned char *p)
{
	return (int64_t)((uint64_t)be32(p) << 32 | be32(p + 4));
}

/* A header's counts, each checked against its limit before anything is sized by it. */
static int tzif_header(const unsigned char *p, size_t n, struct counts *c)
{
	if (n < TZIF_HEADER || memcmp(p, "TZif", 4) != 0)
		return -1;
	c->isut = be32(p + 20);
	c->isstd = be32(p + 24);
	c->leap = be32(p + 28);
	c->time = be32(p + 32);
	c->type = be32(p + 36);
	c->chars = be32(p + 40);
	if (c->time > TZIF_MAX_TIMES || c->type < 1 || c->type > TZIF_MAX_TYPES ||
	    c->chars < 1 || c->chars > TZIF_MAX_CHARS || c->leap != 0 ||
	    (c->isstd != 0 && c->isstd != c->type) || (c->isut != 0 && c->isut != c->type))
		return -1;
	return 0;
}

/* The bytes of the data block after a header; the counts are bounded, so no overflow. */
static size_t tzif_block(const struct counts *c, size_t timesz)
{
	return (size_t)c->time * (timesz + 1) + (size_t)c->type * TZIF_TYPE_BYTES + c->chars +
	       (size_t)c->leap * (timesz + 4) + c->isstd + c->isut;
}

static int tzif_data(const unsigned char *p, const struct counts *c, size_t timesz, struct tzone *z)
{
	const unsigned char *idx = p + (size_t)c->time * timesz;
	const unsigned char *types = idx + c->time;
	int32_t utoff[TZIF_MAX_TYPES];

	for (uint32_t i = 0; i < c->type; i++) {
		const unsigned char *t = types + (size_t)i * TZIF_TYPE_BYTES;
		utoff[i] = (int32_t)be32(t);
		if (utoff[i] < TZ_OFF_MIN || utoff[i] > TZ_OFF_MAX || t[4] > 1 || t[5] >= c->chars)
			return -1;
	}
	z->off0 = utoff[0];  /* RFC 8536: type 0 holds before the first transition */
	z->n = c->time;
	if (z->n == 0)
		return 0;
	z->at = xmalloc(z->n * sizeof(*z->at));
	z->off = xmalloc(z->n * sizeof(*z->off));
	for (size_t i = 0; i < z->n; i++) {
		const unsigned char *t = p + i * timesz;
		z->at[i] = timesz == 8 ? be64(t) : (int32_t)be32(t);
		if ((i > 0 && z->at[i] <= z->at[i - 1]) || idx[i] >= c->type)
			return -1;
		z->off[i] = utoff[idx[i]];
	}
	return 0;
}

/* "\n<rule>\n" after the version 2+ data; an empty rule is allowed. */
static int tzif_footer(const unsigned char *p, size_t n, struct tzone *z)
{
	if (n < 2 || p[0] != '\n')
		return -1;
	const unsigned char *end = memchr(p + 1, '\n', n - 1 < TZIF_MAX_FOOTER + 1 ? n - 1 : TZIF_MAX_FOOTER + 1);
	if (end == NULL)
		return -1;
	size_t len = (size_t)(end - (p + 1));
	if (len == 0)
		return 0;
	/* A rule this reader cannot apply would make every future time wrong: refuse the zone. */
	if (tzrule_parse((const char *)p + 1, len, &z->rule) != 0)
		return -1;
	z->has_rule = true;
	return 0;
}

int tzif_parse(const unsigned char *p, size_t n, struct tzone **out)
{
	struct tzone *z = xcalloc(1, sizeof(*z));
	struct counts c;
	size_t timesz = 4;
	int rc = -1;

	*out = NULL;
	if (tzif_header(p, n, &c) != 0)
		goto out;
	size_t block = tzif_block(&c, timesz);
	if (block > n - TZIF_HEADER)
		goto out;
	if (p[4] >= '2') {
		/* Version 2+: skip the 32-bit data for the second header's 64-bit data and footer. */
		p += TZIF_HEADER + block;
		n -= TZIF_HEADER + block;
		timesz = 8;
		if (tzif_header(p, n, &c) != 0)
			goto out;
		block = tzif_block(&c, timesz);
		if (block > n - TZIF_HEADER)
			goto out;
		if (tzif_data(p + TZIF_HEADER, &c, timesz, z) != 0 ||
		    tzif_footer(p + TZIF_HEADER + block, n - TZIF_HEADER - block, z) != 0)
			goto out;
	} else if (tzif_data(p + TZIF_HEADER, &c, timesz, z) != 0) {
		goto out;
	}
	*out = z;
	z = NULL;
	rc = 0;
out:
	tzone_free(z);
	return rc;
}

int32_t tzone_offset(const struct tzone *z, int64_t t, int64_t *next)
{
	if (z->n == 0 || t >= z->at[z->n - 1]) {
		if (z->has_rule)
			return tzrule_offset(&z->rule, t, next);
		*next = INT64_MAX;
		return z->n == 0 ? z->off0 : z->off[z->n - 1];
	}
	if (t < z->at[0]) {
		*next = z->at[0];
		return z->off0;
	}
	size_t lo = 0, hi = z->n - 1;  /* at[lo] <= t < at[hi] */
	while (hi - lo > 1) {
		size_t mid = lo + (hi - lo) / 2;
		if (z->at[mid] <= t)
			lo = mid;
		else
			hi = mid;
	}
	*next = z->at[hi];
	return z->off[lo];
}

int64_t tzone_first_local(const struct tzone *z, int64_t local)
{
	/*
	 * Walk the spans of constant offset from TZ_SPAN before: the clock reads t + off
	 * within a span. The first span whose clock reaches local either contains it
	 * (local - off) or starts past it, when the clock jumped over it (the span's start).
	 * The first span starts too early to have jumped, and some span reaches local
	 * within TZ_SPAN after it; each step passes one transition of a bounded list.
	 */
	int64_t t = local - TZ_SPAN, next;

	for (;;) {
		int32_t off = tzone_offset(z, t, &next);
		if (t + off >= local)
			return t;
		if (local - off < next)
			return local - off;
		t = next;
	}
}
