/*
 * The engine's limits on a function's share of the runners: reserved concurrency
 * (beyond the spec, as Lambda's), for synchronous and asynchronous invocations.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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
	r = await_invocation(key, "held", rid, 30);
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
		struct resp *r = await_invocation(key, "serial", ids[i], 30);
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

static double wall_now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/*
 * A spare is an interpreter started before its function existed. Each handler
 * says when its own interpreter started, lists /var/task, and fills 300 MB,
 * which only a cgroup resized from the spare's 128 MB to the function's 512 allows.
 */
static void a_new_function_adopts_a_spare_started_before_it_existed(void)
{
	static const struct {
		const char *runtime, *handler, *file, *code;
	} cases[] = {
		{ "nodejs20", "index.handler", "index.js",
		  "const fs = require('fs');\n"
		  "exports.handler = async () => {\n"
		  "  const started = Date.now() / 1000 - process.uptime();\n"
		  "  const big = Buffer.alloc(300 * 1024 * 1024, 1);\n"
		  "  return { statusCode: 200, body: JSON.stringify({ started, files: fs.readdirSync('/var/task'), big: big.length }) };\n"
		  "};\n" },
		{ "python3.11", "main.handler", "main.py",
		  "import json, os, time\n"
		  "def handler(event, context):\n"
		  "    with open('/proc/self/stat') as f:\n"
		  "        ticks = int(f.read().rsplit(')', 1)[1].split()[19])\n"
		  "    with open('/proc/uptime') as f:\n"
		  "        up = float(f.read().split()[0])\n"
		  "    started = time.time() - up + ticks / os.sysconf('SC_CLK_TCK')\n"
		  "    big = b'\\x01' * (300 * 1024 * 1024)\n"
		  "    return {'statusCode': 200, 'body': json.dumps({'started': started, 'files': os.listdir('/var/task'), 'big': len(big)})}\n" },
	};
	char key[128], tenant[80], id[64], name[64];
	signup("spare", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sleep_ms(1500);  /* the spares taken by earlier tests are booted again by now */
		double before = wall_now();
		snprintf(name, sizeof(name), "adopter-%zu", i);
		if (!ready_fn(key, name, cases[i].runtime, cases[i].handler, cases[i].code, "{\"memoryMB\":512}", id))
			return;
		struct resp *r = invoke_fn(key, id, "{}");
		json_object *b = body_json(r);
		CHECK(r->status == 200 && b, "%s: %s", cases[i].runtime, r->body);
		double started = json_object_get_double(jp(b, "started"));
		bool own_code = json_object_array_length(jp(b, "files")) == 1 && jis(b, "files.0", cases[i].file);
		long long big = jpi(b, "big", 0);
		json_object_put(b);
		CHECK(started > 0 && started < before, "%s: the interpreter started %.3f s after the function was created",
		      cases[i].runtime, started - before);
		CHECK(own_code, "%s: /var/task holds more than the function's code: %s", cases[i].runtime, r->body);
		CHECK(big == 300LL * 1024 * 1024, "%s: %s", cases[i].runtime, r->body);
	}
}

/* Lambda's way to stop a function is a reservation of 0; it must stop the events already queued too. */
static void a_reservation_change_reaches_queued_events(void)
{
	char key[128], ids[6][64];
	CHECK(sleeper(key, "rqueued", "backlog", ",\"reservedConcurrency\":1"), "function");
	for (int i = 0; i < 6; i++) {
		struct resp *r = http("POST", V1 "/functions/backlog/invoke-async", key, "{\"payload\":{\"ms\":100}}");
		CHECK_STATUS(r, 202);
		snprintf(ids[i], sizeof(ids[i]), "%s", jps(r->json, "requestId"));
	}
	CHECK_STATUS(http("PUT", V1 "/functions/backlog", key, "{\"reservedConcurrency\":0}"), 200);
	sleep_ms(15000);
	int done = 0;
	for (int i = 0; i < 6; i++)
		done += jis(httpf("GET", key, NULL, V1 "/functions/backlog/invocations/%s", ids[i])->json, "status", "Succeeded");
	CHECK(done <= 2, "%d of 6 queued events ran after the reservation became 0", done);
	/* Removed, the backlog runs. */
	CHECK_STATUS(http("PUT", V1 "/functions/backlog", key, "{\"reservedConcurrency\":null}"), 200);
	for (int i = 0; i < 6; i++)
		CHECK(jis(await_invocation(key, "backlog", ids[i], 30)->json, "status", "Succeeded"), "event %d never ran", i);
}

/* A pro tenant's Python function of memory_mb that returns 'ok'. */
static bool sized_fn(const char *key, const char *name, int memory_mb)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"memorySize\":%d}",
	         name, memory_mb);
	return http("POST", V1 "/functions", key, body)->status == 201 &&
	       upload_version(key, name, "def handler(e, c):\n    return 'ok'\n") == 1;
}

/* Invokes name; 1 when a new instance started, 0 when warm, -1 when it failed. */
static int cold(const char *key, const char *name)
{
	struct resp *r = httpf("POST", key, "{\"payload\":{}}", V1 "/functions/%s/invoke", name);
	json_object *c = jp(r->json, "wasColdStart");
	if (r->status != 200 || !jis(r->json, "body", "ok") || c == NULL)
		return -1;
	return json_object_get_boolean(c) ? 1 : 0;
}

/*
 * The test stack's runner may give its instances 8 GiB in all. Two 3 GiB
 * functions fit; a third needs room, and the least recently used goes.
 */
static void the_memory_budget_evicts_the_least_recently_used(void)
{
	char key[128], tenant[80];
	signup("budget", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	CHECK(sized_fn(key, "first", 3072) && sized_fn(key, "second", 3072) && sized_fn(key, "third", 3072), "functions");
	CHECK(cold(key, "first") == 1 && cold(key, "second") == 1, "first runs");
	CHECK(cold(key, "first") == 0 && cold(key, "second") == 0, "not kept warm");
	/* first is now the least recently used of the two. */
	CHECK(cold(key, "third") == 1, "third");
	CHECK(cold(key, "second") == 0, "second, used after first, was evicted instead of it");
	CHECK(cold(key, "first") == 1, "first was kept past the memory budget");
}

/* The test stack stops instances idle for 8 s. */
static void an_idle_instance_is_stopped(void)
{
	char key[128], tenant[80];
	signup("idle", key, tenant);
	CHECK(sized_fn(key, "dozing", 128), "function");
	CHECK(cold(key, "dozing") == 1 && cold(key, "dozing") == 0, "not warm after its first run");
	sleep_ms(10000);
	CHECK(cold(key, "dozing") == 1, "still warm after 10 s idle");
}

static const struct test tests[] = {
	{ "engine: past its reserved concurrency a function is throttled (429), counted in throttles", reserved_concurrency_throttles_the_excess_with_429 },
	{ "engine: reservedConcurrency is validated; 0 stops the function; null removes it", reserved_concurrency_is_validated_zero_stops_and_null_removes },
	{ "engine: async invocations wait for a place and never overlap", async_invocations_wait_for_a_place_and_never_overlap },
	{ "engine: a reservation of 0 stops events already queued; removing it lets them run", a_reservation_change_reaches_queued_events },
	{ "engine: past the memory budget the least recently used idle instance makes room", the_memory_budget_evicts_the_least_recently_used },
	{ "engine: an instance idle past idle_seconds is stopped", an_idle_instance_is_stopped },
	{ "engine: a new function adopts a spare interpreter started before it existed, sized to its memory, seeing only its code", a_new_function_adopts_a_spare_started_before_it_existed },
};
const struct suite suite_engine = { tests, sizeof(tests) / sizeof(tests[0]) };
