#include <ctype.h>
#include <stdbool.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "timefmt.h"

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

double mono_ms_f(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void split(int64_t ms, struct tm *tm, int *millis)
{
	time_t s = (time_t)(ms / 1000);
	*millis = (int)(ms % 1000);
	if (*millis < 0) {
		*millis += 1000;
		s -= 1;
	}
	gmtime_r(&s, tm);
}

void iso8601_ms(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	int millis;

	split(ms, &tm, &millis);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, millis);
}

void iso8601_s(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	int millis;

	split(ms, &tm, &millis);
	snprintf(out, n, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1,
	         tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

void utc_day(int64_t ms, char *out, size_t n)
{
	struct tm tm;
	int millis;

	split(ms, &tm, &millis);
	snprintf(out, n, "%04d%02d%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

/* Reads exactly n digits. */
static int digits(const char **p, int n, int *out)
{
	int v = 0;

	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -1;
		v = v * 10 + ((*p)[i] - '0');
	}
	*p += n;
	*out = v;
	return 0;
}

static int days_in_month(int y, int m)
{
	static const int days[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	return m == 2 ? 28 + leap : days[m - 1];
}

int iso8601_parse(const char *s, int64_t *ms)
{
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0, frac = 0, off = 0;

	if (digits(&p, 4, &y) || *p++ != '-' || digits(&p, 2, &mo) || *p++ != '-' ||
	    digits(&p, 2, &d))
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo))
		return -1;
	if (*p == 'T' || *p == 't' || *p == ' ') {
		p++;
		if (digits(&p, 2, &h) || *p++ != ':' || digits(&p, 2, &mi) || *p++ != ':' ||
		    digits(&p, 2, &sec))
			return -1;
		if (h > 23 || mi > 59 || sec > 60)
			return -1;
		if (*p == '.') {
			int scale = 100, n = 0;
			p++;
			while (isdigit((unsigned char)*p)) {
				if (n++ < 3) {
					frac += (*p - '0') * scale;
					scale /= 10;
				}
				p++;
			}
			if (n == 0)
				return -1;
		}
		if (*p == 'Z' || *p == 'z') {
			p++;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;
			if (digits(&p, 2, &oh) || *p++ != ':' || digits(&p, 2, &om) || oh > 23 || om > 59)
				return -1;
			off = sign * (oh * 60 + om);
		} else {
			return -1;
		}
	}
	if (*p != '\0')
		return -1;

	struct tm tm = { .tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
	                 .tm_hour = h, .tm_min = mi, .tm_sec = sec };
	time_t t = timegm(&tm);
	*ms = ((int64_t)t - (int64_t)off * 60) * 1000 + frac;
	return 0;
}

int iso8601_duration(const char *s, int64_t max_ms, int64_t *ms)
{
	/* Designators in the order they may appear, with their length in milliseconds. */
	static const struct { char unit; bool time; double ms; } units[] = {
		{ 'Y', false, 365.0 * 86400000 }, { 'M', false, 30.0 * 86400000 }, { 'W', false, 7.0 * 86400000 },
		{ 'D', false, 86400000 }, { 'H', true, 3600000 }, { 'M', true, 60000 }, { 'S', true, 1000 },
	};
	const char *p = s;
	bool in_time = false, any = false;
	size_t next = 0;
	double total = 0;

	if (*p++ != 'P')
		return -1;
	while (*p) {
		if (*p == 'T') {
			if (in_time || p[1] == '\0')
				return -1;
			in_time = true;
			p++;
			continue;
		}
		char *end;
		if (!isdigit((unsigned char)*p))
			return -1;
		double v = strtod(p, &end);
		if (end == p || v < 0 || v > 1e9)
			return -1;
		size_t u = next;
		while (u < sizeof(units) / sizeof(units[0]) && (units[u].unit != *end || units[u].time != in_time))
			u++;
		if (u == sizeof(units) / sizeof(units[0]))
			return -1;
		total += v * units[u].ms;
		next = u + 1;
		any = true;
		p = end + 1;
	}
	if (!any || total > (double)max_ms || total < 1)
		return -1;
	*ms = (int64_t)total;
	return 0;
}
