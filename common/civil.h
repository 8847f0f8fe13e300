/*
 * Calendar arithmetic on day numbers (days since 1970-01-01, proleptic Gregorian), with
 * no time zone and no libc state, so that any thread may use it for any year.
 */
#ifndef TF_CIVIL_H
#define TF_CIVIL_H

#include <stdbool.h>
#include <stdint.h>

#define CIVIL_DAY_S 86400

bool civil_leap(int64_t y);
/* 28-31; m is 1-12. */
int civil_month_days(int64_t y, int m);
/* The day number of y-m-d (m 1-12, d 1-31). */
int64_t civil_days(int64_t y, int m, int d);
/* The date of a day number. */
void civil_date(int64_t days, int64_t *y, int *m, int *d);
/* 0 for Sunday to 6 for Saturday. */
int civil_weekday(int64_t days);
/* a / b and a mod b rounded towards minus infinity, b > 0: instants before 1970 split the same way. */
int64_t civil_fdiv(int64_t a, int64_t b);
int64_t civil_fmod(int64_t a, int64_t b);

#endif
