/* How a deployment's phase is judged and named: pure parts of common/deploy.c. */
#include <stdio.h>
#include <string.h>

#include "deploy.h"
#include "jsonx.h"
#include "unit.h"

static const struct deploy_thresholds T = { .error_rate = 0.05, .p99_ms = 1000, .min_invocations = 10 };

static void too_few_invocations_are_not_judged(void **state)
{
	(void)state;
	struct deploy_metrics m = { .count = 9, .errors = 9, .error_rate = 1, .p99_ms = 5000 };
	char why[128] = "";
	assert_int_equal(deploy_judge(&m, &T, "Canary 10%", why, sizeof(why)), 0);
	m.count = 0;
	struct deploy_thresholds none_needed = T;
	none_needed.min_invocations = 0;
	assert_int_equal(deploy_judge(&m, &none_needed, "Canary 10%", why, sizeof(why)), 0);
}

static void an_error_rate_above_its_threshold_rolls_back_and_says_so(void **state)
{
	(void)state;
	struct deploy_metrics m = { .count = 100, .errors = 31, .error_rate = 0.31, .p99_ms = 10 };
	char why[160];
	assert_int_equal(deploy_judge(&m, &T, "Canary 10%", why, sizeof(why)), 1);
	assert_true(strncmp(why, "errorRate 0.31 > 0.05 in Canary 10%", 35) == 0);
	/* At the threshold is not above it. */
	m.errors = 5, m.error_rate = 0.05;
	assert_int_equal(deploy_judge(&m, &T, "Canary 10%", why, sizeof(why)), 0);
}

static void a_p99_above_its_threshold_rolls_back(void **state)
{
	(void)state;
	struct deploy_metrics m = { .count = 40, .p99_ms = 1250.5 };
	char why[160];
	assert_int_equal(deploy_judge(&m, &T, "Testing green", why, sizeof(why)), 1);
	assert_true(strncmp(why, "p99Duration 1250.5 ms > 1000 ms in Testing green", 48) == 0);
}

static void unset_thresholds_judge_nothing(void **state)
{
	(void)state;
	struct deploy_thresholds t;
	json_object *config = json_object_new_object();
	deploy_thresholds_of(config, &t);
	assert_int_equal(t.min_invocations, TF_DEPLOY_DEFAULT_MIN_INVOCATIONS);
	struct deploy_metrics m = { .count = 100, .errors = 100, .error_rate = 1, .p99_ms = 1e6 };
	char why[160];
	assert_int_equal(deploy_judge(&m, &t, "Canary 50%", why, sizeof(why)), 0);
	json_object_put(config);
}

static void phases_are_named_by_strategy_and_step(void **state)
{
	(void)state;
	struct deployment d = { .nsteps = 3, .steps = { 10, 50, 100 } };
	char out[64];
	snprintf(d.strategy, sizeof(d.strategy), "Canary");
	d.config = json_object_new_object();
	deploy_phase_name(&d, 1, out, sizeof(out));
	assert_string_equal(out, "Canary 50%");
	snprintf(d.strategy, sizeof(d.strategy), "BlueGreen");
	deploy_phase_name(&d, 0, out, sizeof(out));
	assert_string_equal(out, "Testing green");
	jadd_str(d.config, "testAlias", "candidate");
	deploy_phase_name(&d, 0, out, sizeof(out));
	assert_string_equal(out, "Testing candidate");
	deploy_phase_name(&d, 1, out, sizeof(out));
	assert_string_equal(out, "Switched");
	json_object_put(d.config);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(too_few_invocations_are_not_judged),
	cmocka_unit_test(an_error_rate_above_its_threshold_rolls_back_and_says_so),
	cmocka_unit_test(a_p99_above_its_threshold_rolls_back),
	cmocka_unit_test(unset_thresholds_judge_nothing),
	cmocka_unit_test(phases_are_named_by_strategy_and_step),
};
UNIT_TABLE(unit_deploy, tests);
