/*
 * No tenant can make the platform unavailable to the others: each runs at most its
 * plan's invocations at once, and a synchronous invocation in flight holds no
 * tf-api thread, so /health, management and other tenants answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

#define SLEEPER "import time\ndef handler(event, context):\n    time.sleep(event.get('s', 0))\n    return 'slept'\n"

/* While a burst holds what it can: another tenant's /health, create, list and (if may_invoke) invoke. */
static void others_are_served(bool may_invoke)
{
	char key[128], tenant[80], id[64], body[256];

	http_timeout(10);
	signup("bystander", key, tenant);
	struct resp *r = http("GET", "/health", NULL, NULL);
	CHECK(r->status == 200, "/health: %ld %s", r->status, r->body);
	snprintf(body, sizeof(body), "%s", "{\"name\":\"managed\",\"runtime\":\"python3.11\",\"handler\":\"main.handler\","
	                                   "\"code\":\"def handler(e, c):\\n    return 'served'\\n\"}");
	CHECK(create_fn(key, body, id), "create: %s", last_resp()->body);
	CHECK(deploy_fn(key, id), "deploy: %s", last_resp()->body);
	r = http("GET", "/saas/api/v1/sdk/tau/functions", key, NULL);
	CHECK(r->status == 200, "list: %ld %s", r->status, r->body);
	if (may_invoke) {
		r = invoke_fn(key, id, NULL);
		CHECK(r->status == 200 && jis(r->json, "body", "served"), "invoke: %ld %s", r->status, r->body);
	}
	http_timeout(0);
}

#define HOG_CALLS 80

static void a_tenant_runs_at_most_its_account_concurrency_and_others_are_served(void)
{
	char key[128], tenant[80], id[64], path[128];
	long statuses[HOG_CALLS];
	char *bodies[HOG_CALLS];

	signup("hog", key, tenant);
	CHECK(ready_fn(key, "slow", "python3.11", "main.handler", SLEEPER, "{\"timeout\":20}", id), "ready");
	snprintf(path, sizeof(path), "/saas/api/v1/sdk/tau/functions/%s/invoke", id);
	struct burst *b = burst_start(path, key, "{\"payload\":{\"s\":6}}", HOG_CALLS);
	sleep_ms(1500);
	others_are_served(true);
	http_timeout(0);
	int sent = burst_wait(b, statuses, bodies, HOG_CALLS);
	int throttled = count_holding(bodies, sent, "TOO_MANY_REQUESTS");
	free_all(bodies, sent);
	CHECK(!t_failed(), "another tenant was not served");
	int ok = 0, refused = 0;
	for (int i = 0; i < sent; i++)
		ok += statuses[i] == 200, refused += statuses[i] == 429;
	/* The free plan's account concurrency is 10. */
	CHECK(sent == HOG_CALLS && ok == 10 && refused == HOG_CALLS - 10 && throttled == refused,
	      "%d sent: %d answered, %d refused (%d as TOO_MANY_REQUESTS)", sent, ok, refused, throttled);
	/* Refusals are counted in the function's throttles. */
	struct resp *r = NULL;
	for (int i = 0; i < 50; i++) {
		r = http("GET", V1 "/functions/slow/metrics", key, NULL);
		if (jpi(r->json, "metrics.throttles", 0) >= HOG_CALLS - 10)
			break;
		sleep_ms(100);
	}
	CHECK(jpi(r->json, "metrics.throttles", 0) == HOG_CALLS - 10, "%s", r->body);
}

#define FLOOD_CALLS 150

/*
 * The operator's tenant has no plan limits. Its 150 slow invocations at once are
 * far more than tf-api's request threads (32): each waits on its runner link, not
 * on a thread, so all are answered (the runner's 32 slots take them in rounds) and
 * the rest of the API answers meanwhile.
 */
static void a_synchronous_invocation_in_flight_holds_no_api_thread(void)
{
	char admin[1024];
	long statuses[FLOOD_CALLS];
	char *bodies[FLOOD_CALLS];

	CHECK(admin_token(admin), "admin login");
	CHECK(platform_fn(admin, "flood", SLEEPER), "function");
	struct burst *b = burst_start(V1 "/functions/flood/invoke", admin, "{\"payload\":{\"s\":1}}", FLOOD_CALLS);
	sleep_ms(1000);
	others_are_served(false);
	struct resp *r = http("GET", V1 "/runners", admin, NULL);
	long waiting = jpi(r->json, "queueDepth.sync", -1);
	http_timeout(0);
	int sent = burst_wait(b, statuses, bodies, FLOOD_CALLS);
	free_all(bodies, sent);
	CHECK(!t_failed(), "the API did not answer while the flood was in flight");
	int ok = 0;
	for (int i = 0; i < sent; i++)
		ok += statuses[i] == 200;
	CHECK(sent == FLOOD_CALLS && ok == FLOOD_CALLS, "%d sent: %d answered 200", sent, ok);
	/* Seen in flight at once: more than the 32 threads could ever have held. */
	CHECK(waiting > 32, "synchronous invocations waiting on runners a second in: %ld", waiting);
}

#define ASYNC_CALLS 16

/* Each run says when it started and ended; at no instant do more than 10 overlap. */
static void a_tenants_async_invocations_run_at_most_its_account_concurrency(void)
{
	char key[128], tenant[80], rids[ASYNC_CALLS][64];
	double spans[ASYNC_CALLS][2];

	signup("asynchog", key, tenant);
	CHECK_STATUS(http("POST", V1 "/functions", key,
	                  "{\"name\":\"spans\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":10}"), 201);
	CHECK(upload_version(key, "spans", "import time\ndef handler(event, context):\n    t0 = time.time()\n"
	                                   "    time.sleep(1.5)\n    return [t0, time.time()]\n") == 1, "version");
	for (int i = 0; i < ASYNC_CALLS; i++) {
		struct resp *r = http("POST", V1 "/functions/spans/invoke-async", key, "{}");
		CHECK_STATUS(r, 202);
		snprintf(rids[i], sizeof(rids[i]), "%s", jps(r->json, "requestId"));
	}
	for (int i = 0; i < ASYNC_CALLS; i++) {
		struct resp *r = NULL;
		for (int k = 0; k < 400; k++) {
			r = httpf("GET", key, NULL, V1 "/functions/spans/invocations/%s", rids[i]);
			if (jis(r->json, "status", "Succeeded") || jis(r->json, "status", "DeadLettered"))
				break;
			sleep_ms(100);
		}
		json_object *res = jp(r->json, "result");
		CHECK(jis(r->json, "status", "Succeeded") && json_object_array_length(res) == 2, "%d: %s", i, r->body);
		spans[i][0] = json_object_get_double(json_object_array_get_idx(res, 0));
		spans[i][1] = json_object_get_double(json_object_array_get_idx(res, 1));
	}
	int most = 0;
	for (int i = 0; i < ASYNC_CALLS; i++) {
		int at = 0;  /* runs under way when run i started */
		for (int k = 0; k < ASYNC_CALLS; k++)
			at += spans[k][0] <= spans[i][0] && spans[i][0] < spans[k][1];
		most = at > most ? at : most;
	}
	CHECK(most <= 10, "%d of the tenant's async invocations ran at once", most);
}

static const struct test tests[] = {
	{ "fairness: a tenant's async invocations run at most its account concurrency at once",
	  a_tenants_async_invocations_run_at_most_its_account_concurrency },
	{ "fairness: a tenant runs at most its account concurrency; /health, others' invokes and management answer",
	  a_tenant_runs_at_most_its_account_concurrency_and_others_are_served },
	{ "fairness: a synchronous invocation in flight holds no tf-api thread; the API answers meanwhile",
	  a_synchronous_invocation_in_flight_holds_no_api_thread },
};
const struct suite suite_fairness = { tests, sizeof(tests) / sizeof(tests[0]) };
