#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "num.h"

int parse_lln(const char *s, size_t n, long long min, long long max, long long *out)
{
	char tmp[32];

	if (s == NULL || n == 0 || n >= sizeof(tmp))
		return -1;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	/* strtoll accepts leading space and '+'; a request field should not. */
	if (!(isdigit((unsigned char)tmp[0]) || (tmp[0] == '-' && isdigit((unsigned char)tmp[1]))))
		return -1;
	errno = 0;
	char *end;
	long long v = strtoll(tmp, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return -1;
	*out = v;
	return 0;
}

int parse_ll(const char *s, long long min, long long max, long long *out)
{
	return s ? parse_lln(s, strlen(s), min, max, out) : -1;
}
