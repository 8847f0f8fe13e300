/*
 * Durations in log-scale buckets: bucket k holds durations in
 * [HIST_MIN_MS * HIST_GROWTH^k, HIST_MIN_MS * HIST_GROWTH^(k+1)), so any
 * percentile read back from merged buckets is within 2% of the true one. This is
 * what lets metrics over a long history read a few rows a minute, not every invocation.
 */
#ifndef TF_HISTOGRAM_H
#define TF_HISTOGRAM_H

#include <stddef.h>
#include <stdint.h>

#define HIST_MIN_MS 0.01
#define HIST_GROWTH 1.04
#define HIST_BUCKETS 480  /* up to about 15 minutes, the longest timeout */

int hist_bucket(double ms);
/* The value a bucket stands for: the geometric middle of its range. */
double hist_value(int bucket);
/* The p-th percentile (0 < p <= 100) of counts[HIST_BUCKETS], 0 when empty. */
double hist_percentile(const uint64_t *counts, double p);

#endif
