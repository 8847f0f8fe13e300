/*
 * The engine's limits on a function's share of the runners: reserved concurrency
 * (beyond the spec, as Lambda's), for synchronous and asynchronous invocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

/* A pro tenant with a Python function that sleeps event['ms'] and says when it ran. */
static bool sleeper(char key[128], const char *prefix, const char *name, const char *settings)
{
	char tenant[80], body[512];
	signup(prefix, key, tenant);
	if (http("POST", "/api/billing/upgrade", key, NULL)->status != 200)
		return false;
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":30%s}",
	         name, settings);
	return http("POST", V1 "/functions", key, body)->status == 201 &&
	       upload_version(key, name,
	                      "import time\ndef handler(event, context):\n    t0 = time.time()\n"
	                      "    time.sleep(event.get('ms', 0) / 1000.0)\n    return [t0, time.time()]\n") == 1;
}

static struct resp *await_final(const char *key, const char *fn, const char *rid)
{
	struct resp *r = NULL;
	for (int i = 0; i < 300; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/%s/invocations/%s", fn, rid);
		if (jis(r->json, "status", "Succeeded") || jis(r->json, "status", "DeadLettered"))
			break;
		sleep_ms(100);
	}
	return r;
}

static void reserved_concurrency_throttles_the_excess_with_429(void)
{
	char key[128], rid[64], hdr[32];
	CHECK(sleeper(key, "rconc", "held", ",\"reservedConcurrency\":1"), "function");
	struct resp *r = http("GET", V1 "/functions/held", key, NULL);
	CHECK(jpi(r->json, "reservedConcurrency", -1) == 1, "%s", r->body);
	/* One long run takes the only place... */
	r = http("POST", V1 "/functions/held/invoke-async", key, "{\"payload\":{\"ms\":3000}}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	for (int i = 0; i < 100; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/held/invocations/%s", rid);
		if (jis(r->json, "status", "Running"))
			break;
		sleep_ms(50);
	}
	CHECK(jis(r->json, "status", "Running"), "never ran: %s", r->body);
	/* ...so a second invocation is refused, not queued behind it. */
	r = http("POST", V1 "/functions/held/invoke", key, "{\"payload\":{}}");
	CHECK(platform_error(r, 429, "TOO_MANY_REQUESTS") && resp_header(r, "Retry-After", hdr, sizeof(hdr)),
	      "%ld %s", r->status, r->body);
	r = await_final(key, "held", rid);
	CHECK(jis(r->json, "status", "Succeeded"), "%s", r->body);
	CHECK_STATUS(http("POST", V1 "/functions/held/invoke", key, "{\"payload\":{}}"), 200);
	/* The refusal is counted in throttles, not in invocations. */
	for (int i = 0; i < 50; i++) {
		r = http("GET", V1 "/functions/held/metrics", key, NULL);
		if (jpi(r->json, "metrics.throttles", 0) >= 1 && jpi(r->json, "metrics.invocations", 0) >= 2)
			break;
		sleep_ms(100);
	}
	CHECK(jpi(r->json, "metrics.throttles", 0) == 1 && jpi(r->json, "metrics.invocations", 0) == 2, "%s", r->body);
}

static void reserved_concurrency_is_validated_zero_stops_and_null_removes(void)
{
	char key[128];
	CHECK(sleeper(key, "rzero", "paused", ""), "function");
	struct resp *r = http("PUT", V1 "/functions/paused", key, "{\"reservedConcurrency\":1001}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "reservedConcurrency"), "%s", r->body);
	r = http("PUT", V1 "/functions/paused", key, "{\"reservedConcurrency\":\"2\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "reservedConcurrency"), "%s", r->body);
	r = http("GET", V1 "/functions/paused", key, NULL);
	CHECK(jp(r->json, "reservedConcurrency") == NULL, "a refused update changed it: %s", r->body);
	/* Zero, as Lambda's: the function is stopped without being deleted. */
	r = http("PUT", V1 "/functions/paused", key, "{\"reservedConcurrency\":0}");
	CHECK(r->status == 200 && jpi(r->json, "reservedConcurrency", -1) == 0, "%s", r->body);
	r = http("POST", V1 "/functions/paused/invoke", key, "{\"payload\":{}}");
	CHECK(platform_error(r, 429, "TOO_MANY_REQUESTS"), "%ld %s", r->status, r->body);
	r = http("PUT", V1 "/functions/paused", key, "{\"reservedConcurrency\":null}");
	CHECK(r->status == 200 && jp(r->json, "reservedConcurrency") == NULL && jps(r->json, "name"), "%s", r->body);
	r = http("POST", V1 "/functions/paused/invoke", key, "{\"payload\":{}}");
	CHECK(r->status == 200 && jpi(r->json, "statusCode", 0) == 200, "%s", r->body);
}

static void async_invocations_wait_for_a_place_and_never_overlap(void)
{
	char key[128], ids[4][64];
	CHECK(sleeper(key, "rasync", "serial", ",\"reservedConcurrency\":1"), "function");
	for (int i = 0; i < 4; i++) {
		struct resp *r = http("POST", V1 "/functions/serial/invoke-async", key, "{\"payload\":{\"ms\":400}}");
		CHECK_STATUS(r, 202);
		snprintf(ids[i], sizeof(ids[i]), "%s", jps(r->json, "requestId"));
	}
	double spans[4][2];
	for (int i = 0; i < 4; i++) {
		struct resp *r = await_final(key, "serial", ids[i]);
		CHECK(jis(r->json, "status", "Succeeded") && jpi(r->json, "attempts", 0) == 1, "%s", r->body);
		spans[i][0] = json_object_get_double(jp(r->json, "result.0"));
		spans[i][1] = json_object_get_double(jp(r->json, "result.1"));
	}
	for (int i = 0; i < 4; i++)
		for (int k = i + 1; k < 4; k++)
			CHECK(spans[i][1] <= spans[k][0] || spans[k][1] <= spans[i][0],
			      "runs %d and %d overlapped: %.3f-%.3f and %.3f-%.3f", i, k, spans[i][0], spans[i][1], spans[k][0],
			      spans[k][1]);
}

static const struct test tests[] = {
	{ "engine: past its reserved concurrency a function is throttled (429), counted in throttles", reserved_concurrency_throttles_the_excess_with_429 },
	{ "engine: reservedConcurrency is validated; 0 stops the function; null removes it", reserved_concurrency_is_validated_zero_stops_and_null_removes },
	{ "engine: async invocations wait for a place and never overlap", async_invocations_wait_for_a_place_and_never_overlap },
};
const struct suite suite_engine = { tests, sizeof(tests) / sizeof(tests[0]) };
