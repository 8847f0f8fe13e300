/* TauFunctions: signup, plan limits, API keys, upgrade, account, health, runtimes. */
#include <stdio.h>
#include <string.h>

#include "harness.h"

static void signup_returns_a_free_key_and_the_endpoints(void)
{
	char tenant[80], body[256];
	unique("signup", tenant, sizeof(tenant));
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	CHECK_STATUS(r, 201);
	const char *key = jps(r->json, "apiKey");
	CHECK(key && strncmp(key, "tf_free_", 8) == 0 && strlen(key) >= 8 + 32, "apiKey: %s", r->body);
	CHECK(strcmp(jps(r->json, "tenantId"), tenant) == 0, "tenantId: %s", r->body);
	CHECK(strcmp(jps(r->json, "plan"), "free") == 0, "plan: %s", r->body);
	CHECK(jpi(r->json, "limits.functions", 0) == 10 && jpi(r->json, "limits.invocationsPerDay", 0) == 100 &&
	      jpi(r->json, "limits.apiKeys", 0) == 1, "limits: %s", r->body);
	const char *fns = jps(r->json, "endpoints.functions"), *rts = jps(r->json, "endpoints.runtimes");
	CHECK(fns && strstr(fns, "/saas/api/v1/sdk/tau/functions"), "endpoints.functions: %s", r->body);
	CHECK(rts && strstr(rts, "/saas/api/v1/sdk/tau/runtimes"), "endpoints.runtimes: %s", r->body);
	/* The key works at once. */
	CHECK_STATUS(http("GET", "/saas/api/v1/sdk/tau/functions", key, NULL), 200);
}

static void signup_cannot_take_the_operators_tenant_id(void)
{
	struct resp *r = http("POST", "/api/signup", NULL, "{\"tenantId\":\"operator\"}");
	json_object *d = jp(r->json, "details.0");
	CHECK(r->status == 422 && jis(r->json, "code", "VALIDATION_ERROR") && jis(d, "field", "tenantId") &&
	      jps(d, "message") && strstr(jps(d, "message"), "reserved"), "%ld %s", r->status, r->body);
}

static void signup_records_the_agent(void)
{
	char tenant[80], body[256];
	unique("agent", tenant, sizeof(tenant));
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\",\"agent\":\"claude-code\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	CHECK_STATUS(r, 201);
	char key[128];
	snprintf(key, sizeof(key), "%s", jps(r->json, "apiKey"));
	r = http("GET", "/api/account", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jps(r->json, "agent") && strcmp(jps(r->json, "agent"), "claude-code") == 0, "account: %s", r->body);
	CHECK(strcmp(jps(r->json, "tenantId"), tenant) == 0, "account: %s", r->body);
}

static void signup_with_a_taken_tenant_id_is_409(void)
{
	char key[128], tenant[80], body[256];
	signup("taken", key, tenant);
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	CHECK_STATUS(r, 409);
	CHECK(strcmp(jps(r->json, "code"), "CONFLICT") == 0 && jpi(r->json, "status", 0) == 409 &&
	      jps(r->json, "error") != NULL, "body: %s", r->body);
}

static void signup_validates_the_tenant_id(void)
{
	const char *bad[] = { "{\"tenantId\":\"My-Project\"}", "{\"tenantId\":\"ab\"}", "{\"tenantId\":\"-abc\"}",
	                      "{\"tenantId\":\"a b c\"}", "{\"tenantId\":42}", "{}", "{\"tenantId\":\"abc\",\"x\":1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r = http("POST", "/api/signup", NULL, bad[i]);
		CHECK_STATUS(r, 422);
		CHECK(strcmp(jps(r->json, "code"), "VALIDATION_ERROR") == 0, "%s: %s", bad[i], r->body);
		CHECK(jps(r->json, "details.0.field") != NULL, "no field detail for %s: %s", bad[i], r->body);
	}
	struct resp *r = http("POST", "/api/signup", NULL, "{\"tenantId\":\"ab\"}");
	CHECK(strcmp(jps(r->json, "details.0.field"), "tenantId") == 0, "%s", r->body);
}

static void signup_limits_are_public(void)
{
	struct resp *r = http("GET", "/api/signup/limits", NULL, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "free.functions", 0) == 10 && jpi(r->json, "free.invocationsPerDay", 0) == 100 &&
	      jpi(r->json, "free.apiKeys", 0) == 1, "%s", r->body);
}

static void keys_are_stored_only_as_hashes(void)
{
	char key[128], tenant[80];
	signup("keys", key, tenant);
	struct resp *r = http("GET", "/api/keys", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(json_object_array_length(jp(r->json, "keys")) == 1, "%s", r->body);
	const char *prefix = jps(r->json, "keys.0.prefix");
	CHECK(prefix && strncmp(prefix, "tf_free_", 8) == 0 && strlen(prefix) < 16, "prefix: %s", r->body);
	CHECK(strstr(r->body, key) == NULL, "the listing shows the key itself: %s", r->body);
}

static void a_second_key_needs_a_paid_plan(void)
{
	char key[128], tenant[80];
	signup("keyplan", key, tenant);
	struct resp *r = http("POST", "/api/keys", key, "{}");
	CHECK_STATUS(r, 403);
	CHECK(strcmp(jps(r->json, "code"), "PLAN_LIMIT_EXCEEDED") == 0, "%s", r->body);
	r = http("POST", "/api/billing/upgrade", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "plan"), "pro") == 0, "%s", r->body);
	r = http("POST", "/api/keys", key, "{}");
	CHECK_STATUS(r, 201);
	const char *pro = jps(r->json, "apiKey");
	CHECK(pro && strncmp(pro, "tf_pro_", 7) == 0, "%s", r->body);
	char second[128], second_id[64];
	snprintf(second, sizeof(second), "%s", pro);
	snprintf(second_id, sizeof(second_id), "%s", jps(r->json, "id"));
	r = http("GET", "/api/account", second, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "plan"), "pro") == 0 && jpi(r->json, "usage.apiKeys", 0) == 2, "%s", r->body);
	/* A revoked key stops working at once. */
	CHECK_STATUS(httpf("DELETE", key, NULL, "/api/keys/%s", second_id), 200);
	CHECK_STATUS(http("GET", "/api/account", second, NULL), 401);
	CHECK_STATUS(http("GET", "/api/account", key, NULL), 200);
}

static void health_names_every_part(void)
{
	struct resp *r = http("GET", "/health", NULL, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "mariadb"), "up") == 0 && strcmp(jps(r->json, "redis"), "up") == 0,
	      "%s", r->body);
	CHECK(jpi(r->json, "runners", 0) >= 1, "%s", r->body);
}

static void runtimes_lists_every_runtime_with_availability(void)
{
	char key[128], tenant[80];
	signup("rt", key, tenant);
	struct resp *r = http("GET", "/saas/api/v1/sdk/tau/runtimes", key, NULL);
	CHECK_STATUS(r, 200);
	const char *ids[] = { "nodejs18", "nodejs20", "nodejs22", "python3.11", "python3.12" };
	json_object *list = jp(r->json, "runtimes");
	CHECK(list && json_object_array_length(list) == 5, "%s", r->body);
	for (size_t i = 0; i < 5; i++) {
		json_object *o = json_object_array_get_idx(list, i);
		CHECK(strcmp(jps(o, "id"), ids[i]) == 0 && jps(o, "name") && jps(o, "language"), "%s", r->body);
	}
	CHECK(json_object_get_boolean(jp(r->json, "runtimes.1.available")), "nodejs20 unavailable: %s", r->body);
	CHECK(json_object_get_boolean(jp(r->json, "runtimes.3.available")), "python3.11 unavailable: %s", r->body);
}

static const struct test tests[] = {
	{ "signup cannot take the operator's tenant id (422, reserved)", signup_cannot_take_the_operators_tenant_id },
	{ "signup returns a free key, the plan's limits and the endpoints", signup_returns_a_free_key_and_the_endpoints },
	{ "signup records the agent", signup_records_the_agent },
	{ "signup with a taken tenantId is 409", signup_with_a_taken_tenant_id_is_409 },
	{ "signup validates tenantId with field details", signup_validates_the_tenant_id },
	{ "GET /api/signup/limits is public", signup_limits_are_public },
	{ "API keys are shown by prefix only", keys_are_stored_only_as_hashes },
	{ "a second API key needs the pro plan; a revoked key is refused", a_second_key_needs_a_paid_plan },
	{ "health names MariaDB, Redis and the runners", health_names_every_part },
	{ "runtimes lists all five with availability", runtimes_lists_every_runtime_with_availability },
};
const struct suite suite_tau_account = { tests, sizeof(tests) / sizeof(tests[0]) };
