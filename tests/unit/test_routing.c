/* An alias's traffic split: which version one invocation goes to. */
#include "routing.h"
#include "unit.h"

static void no_split_is_the_alias_version(void **state)
{
	(void)state;
	assert_int_equal(routing_pick(NULL, 4), 4);
	assert_int_equal(routing_pick("{}", 4), 4);
	assert_int_equal(routing_pick("not json", 4), 4);
	assert_int_equal(routing_pick("[1,2]", 4), 4);
}

static void a_whole_weight_always_wins(void **state)
{
	(void)state;
	for (int i = 0; i < 200; i++) {
		assert_int_equal(routing_pick("{\"3\":100}", 1), 3);
		assert_int_equal(routing_pick("{\"2\":0,\"5\":100}", 1), 5);
	}
}

static void weights_split_the_draws(void **state)
{
	(void)state;
	int n = 20000, second = 0;
	for (int i = 0; i < n; i++)
		second += routing_pick("{\"1\":90,\"2\":10}", 1) == 2;
	/* 10% of 20,000 is 2,000 with a standard deviation of about 42: a band of ten of them. */
	assert_in_range(second, 1580, 2420);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(no_split_is_the_alias_version),
	cmocka_unit_test(a_whole_weight_always_wins),
	cmocka_unit_test(weights_split_the_draws),
};
UNIT_TABLE(unit_routing, tests);
