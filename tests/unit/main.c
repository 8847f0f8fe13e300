#include <stdlib.h>
#include <string.h>

#include "timefmt.h"
#include "unit.h"

int64_t unit_instant(const char *iso)
{
	int64_t ms;

	if (iso8601_parse(iso, &ms) != 0)
		fail_msg("bad instant in the test: %s", iso);
	return ms / 1000;
}

int main(void)
{
	const struct unit_table *tables[] = { &unit_parsing, &unit_validate, &unit_handler, &unit_codezip, &unit_ziptree, &unit_job, &unit_auth, &unit_retry, &unit_textsafe, &unit_apigw, &unit_schedule, &unit_schedule_zones, &unit_routing, &unit_deploy };
	const char *filter = getenv("TF_TEST_FILTER");
	size_t n = 0;
	struct CMUnitTest *all = NULL;

	for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
		for (size_t i = 0; i < tables[t]->n; i++) {
			/* TF_TEST_FILTER=retry keeps the tests so named and the whole of unit_retry. */
			if (filter && !strstr(tables[t]->tests[i].name, filter) && !strstr(tables[t]->name, filter))
				continue;
			all = realloc(all, (n + 1) * sizeof(*all));
			all[n++] = tables[t]->tests[i];
		}
	}
	cmocka_set_message_output(CM_OUTPUT_TAP);
	int failed = _cmocka_run_group_tests("unit", all, n, NULL, NULL);
	free(all);
	return failed ? 1 : 0;
}
