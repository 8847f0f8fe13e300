/* The free plan's limits and the self-service upgrade. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"

static void the_free_plan_allows_ten_functions(void)
{
	char key[128], tenant[80], id[64], name[32];
	signup("tenfn", key, tenant);
	for (int i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "f%d", i);
		char *b = fn_body(name, "nodejs20", "index.handler", "exports.handler=async()=>1", NULL);
		CHECK(create_fn(key, b, id), "function %d refused", i);
		free(b);
	}
	char *b = fn_body("f10", "nodejs20", "index.handler", "exports.handler=async()=>1", NULL);
	struct resp *r = http("POST", FNS, key, b);
	CHECK(r->status == 403 && strcmp(jps(r->json, "code"), "PLAN_LIMIT_EXCEEDED") == 0 && jpi(r->json, "status", 0) == 403,
	      "%ld %s", r->status, r->body);
	r = http("GET", FNS, key, NULL);
	CHECK(json_object_array_length(jp(r->json, "functions")) == 10, "%s", r->body);
	/* Deleting one makes room again. */
	CHECK_STATUS(httpf("DELETE", key, NULL, FNS "/%s", id), 200);
	CHECK(create_fn(key, b, id), "no room after a delete");
	free(b);
}

static void the_free_plan_allows_a_hundred_invocations_a_day(void)
{
	char key[128], tenant[80], id[64];
	signup("hundred", key, tenant);
	char *b = fn_body("count", "nodejs20", "index.handler", "exports.handler=async()=>'ok'", NULL);
	CHECK(create_fn(key, b, id) && deploy_fn(key, id), "ready");
	free(b);
	for (int i = 0; i < 100; i++) {
		struct resp *r = invoke_fn(key, id, NULL);
		CHECK(r->status == 200, "invocation %d: %ld %s", i, r->status, r->body);
	}
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK(r->status == 403 && strcmp(jps(r->json, "code"), "PLAN_LIMIT_EXCEEDED") == 0, "%ld %s", r->status, r->body);
	r = http("GET", "/api/account", key, NULL);
	CHECK(jpi(r->json, "usage.invocationsToday", 0) == 100, "refused calls were counted: %s", r->body);
	/* The upgrade lifts the limit at once. */
	r = http("POST", "/api/billing/upgrade", key, NULL);
	CHECK(r->status == 200 && jpi(r->json, "limits.invocationsPerDay", 0) > 100, "%s", r->body);
	r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
}

static void upgrade_switches_the_plan_to_pro(void)
{
	char key[128], tenant[80];
	signup("upgr", key, tenant);
	struct resp *r = http("POST", "/api/billing/upgrade", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "plan"), "pro") == 0 && strcmp(jps(r->json, "previousPlan"), "free") == 0 &&
	      jpi(r->json, "limits.functions", 0) > 10, "%s", r->body);
	r = http("GET", "/api/account", key, NULL);
	CHECK(strcmp(jps(r->json, "plan"), "pro") == 0, "%s", r->body);
}

static const struct test tests[] = {
	{ "the free plan allows 10 functions, then 403 PLAN_LIMIT_EXCEEDED", the_free_plan_allows_ten_functions },
	{ "the free plan allows 100 invocations a day; the upgrade lifts it", the_free_plan_allows_a_hundred_invocations_a_day },
	{ "POST /api/billing/upgrade switches the plan to pro", upgrade_switches_the_plan_to_pro },
};
const struct suite suite_tau_limits = { tests, sizeof(tests) / sizeof(tests[0]) };
