/* The asynchronous retry policy (common/retry.c), as Lambda's. */
#include <string.h>

#include "retry.h"
#include "unit.h"

#define MINUTE_MS 60000
#define SIX_HOURS_S 21600

static void a_success_is_final(void **state)
{
	(void)state;
	struct retry_verdict v = retry_judge(true, 1, 2, 0, SIX_HOURS_S, MINUTE_MS);
	assert_string_equal(v.status, "Succeeded");
	assert_int_equal(v.delay_ms, 0);
}

static void two_retries_a_minute_then_two_apart_then_a_dead_letter(void **state)
{
	(void)state;
	struct retry_verdict v = retry_judge(false, 1, 2, 0, SIX_HOURS_S, MINUTE_MS);
	assert_string_equal(v.status, "Retrying");
	assert_int_equal(v.delay_ms, MINUTE_MS);
	v = retry_judge(false, 2, 2, 60, SIX_HOURS_S, MINUTE_MS);
	assert_string_equal(v.status, "Retrying");
	assert_int_equal(v.delay_ms, 2 * MINUTE_MS);
	v = retry_judge(false, 3, 2, 180, SIX_HOURS_S, MINUTE_MS);
	assert_string_equal(v.status, "DeadLettered");
}

static void no_retries_means_one_try(void **state)
{
	(void)state;
	assert_string_equal(retry_judge(false, 1, 0, 0, SIX_HOURS_S, MINUTE_MS).status, "DeadLettered");
}

static void a_retry_due_past_the_event_age_is_not_scheduled(void **state)
{
	(void)state;
	/* 100 s old with a 120 s limit: a retry in 60 s would start at 160 s. */
	assert_string_equal(retry_judge(false, 1, 2, 100, 120, MINUTE_MS).status, "DeadLettered");
	assert_string_equal(retry_judge(false, 1, 2, 59, 120, MINUTE_MS).status, "Retrying");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_success_is_final),
	cmocka_unit_test(two_retries_a_minute_then_two_apart_then_a_dead_letter),
	cmocka_unit_test(no_retries_means_one_try),
	cmocka_unit_test(a_retry_due_past_the_event_age_is_not_scheduled),
};
UNIT_TABLE(unit_retry, tests);
