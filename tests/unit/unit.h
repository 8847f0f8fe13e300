/* Unit tests of pure code, one table per file, run as one cmocka group. */
#ifndef TF_UNIT_H
#define TF_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

struct unit_table {
	const char *name;  /* "unit_retry": a filter naming a table keeps all its tests */
	const struct CMUnitTest *tests;
	size_t n;
};

#define UNIT_TABLE(name, arr) const struct unit_table name = { #name, arr, sizeof(arr) / sizeof(arr[0]) }

extern const struct unit_table unit_parsing, unit_validate, unit_handler, unit_codezip, unit_ziptree, unit_job, unit_auth, unit_retry, unit_textsafe, unit_apigw, unit_schedule, unit_schedule_zones, unit_routing, unit_deploy;

/* Epoch seconds of an ISO 8601 time the test writes ("2026-03-08T02:30:00Z"); fails the test if it is not one. */
int64_t unit_instant(const char *iso);

#endif
