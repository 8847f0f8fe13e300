/* The one bounded number parser: no atoi, no unchecked strtol. */
#ifndef TF_NUM_H
#define TF_NUM_H

#include <stddef.h>

/* Parses a whole decimal number in [min, max]; returns 0, or -1 if s is anything else. */
int parse_ll(const char *s, long long min, long long max, long long *out);
/* The same over the first n bytes of s. */
int parse_lln(const char *s, size_t n, long long min, long long max, long long *out);

#endif
