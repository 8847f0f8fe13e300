/* The day-number conversions are Howard Hinnant's (public domain): exact over any int64 year range we use. */
#include "civil.h"

#define DAYS_PER_ERA 146097   /* 400 Gregorian years */
#define EPOCH_SHIFT 719468    /* days from 0000-03-01 to 1970-01-01 */

bool civil_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int civil_month_days(int64_t y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && civil_leap(y) ? 29 : days[m - 1];
}

int64_t civil_fdiv(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

int64_t civil_fmod(int64_t a, int64_t b)
{
	int64_t r = a % b;
	return r < 0 ? r + b : r;
}

int64_t civil_days(int64_t y, int m, int d)
{
	/* Years start in March, so that February's leap day ends them. */
	y -= m <= 2;
	int64_t era = civil_fdiv(y, 400);
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * DAYS_PER_ERA + doe - EPOCH_SHIFT;
}

void civil_date(int64_t days, int64_t *y, int *m, int *d)
{
	int64_t z = days + EPOCH_SHIFT;
	int64_t era = civil_fdiv(z, DAYS_PER_ERA);
	int64_t doe = z - era * DAYS_PER_ERA;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;

	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yoe + era * 400 + (*m <= 2);
}

int civil_weekday(int64_t days)
{
	return (int)civil_fmod(days + 4, 7);  /* 1970-01-01 was a Thursday */
}
