#include <math.h>

#include "histogram.h"

int hist_bucket(double ms)
{
	if (!(ms > HIST_MIN_MS))
		return 0;
	int b = (int)floor(log(ms / HIST_MIN_MS) / log(HIST_GROWTH));
	return b < HIST_BUCKETS ? b : HIST_BUCKETS - 1;
}

double hist_value(int bucket)
{
	return HIST_MIN_MS * pow(HIST_GROWTH, bucket + 0.5);
}

double hist_percentile(const uint64_t *counts, double p)
{
	uint64_t total = 0, seen = 0;

	for (int b = 0; b < HIST_BUCKETS; b++)
		total += counts[b];
	if (total == 0)
		return 0;
	/* The nearest-rank definition: the smallest value with at least p% at or below it. */
	uint64_t rank = (uint64_t)ceil(p / 100.0 * (double)total);
	if (rank < 1)
		rank = 1;
	for (int b = 0; b < HIST_BUCKETS; b++) {
		seen += counts[b];
		if (seen >= rank)
			return hist_value(b);
	}
	return hist_value(HIST_BUCKETS - 1);
}
