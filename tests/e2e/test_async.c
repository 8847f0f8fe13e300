/*
 * Asynchronous invocation that loses nothing: retries, dead letters, idempotency,
 * back-pressure, and accepted invocations surviving a killed worker, a killed Redis
 * and a stopped MariaDB. These stop and start parts of the stack; they run last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

/* A pro tenant (bursts pass the free day) with a platform function. */
static bool async_fn(char key[128], const char *prefix, const char *name, const char *code, const char *settings)
{
	char tenant[80], body[512];
	signup(prefix, key, tenant);
	if (http("POST", "/api/billing/upgrade", key, NULL)->status != 200)
		return false;
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":30%s}",
	         name, settings ? settings : "");
	return http("POST", V1 "/functions", key, body)->status == 201 && upload_version(key, name, code) == 1;
}

static void a_failed_try_is_retried_and_can_succeed(void)
{
	char key[128], rid[64];
	CHECK(async_fn(key, "retry", "flaky",
	               "import os\ndef handler(event, context):\n    if not os.path.exists('/tmp/tried'):\n"
	               "        open('/tmp/tried', 'w').close()\n        raise RuntimeError('first try fails')\n    return 'second try'\n",
	               NULL), "function");
	struct resp *r = http("POST", V1 "/functions/flaky/invoke-async", key, "{}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = await_invocation(key, "flaky", rid, 30);
	CHECK(jis(r->json, "status", "Succeeded") && jpi(r->json, "attempts", 0) == 2 &&
	      jis(r->json, "result", "second try"), "%s", r->body);
}

static void an_always_failing_invocation_is_dead_lettered_after_exactly_its_tries(void)
{
	char key[128], rid[64], rid0[64], user[96], op[1024], duser[96], dev[1024];
	CHECK(async_fn(key, "dlq", "thrower",
	               "def handler(event, context):\n    print('try', event['n'])\n    raise ValueError('always')\n", NULL), "function");
	CHECK_STATUS(http("POST", V1 "/functions", key,
	                  "{\"name\":\"once\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"maxRetries\":0}"), 201);
	CHECK(upload_version(key, "once", "def handler(e, c):\n    raise ValueError('no retries')\n") == 1, "version");
	struct resp *r = http("POST", V1 "/functions/thrower/invoke-async", key, "{\"payload\":{\"n\":7}}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = http("POST", V1 "/functions/once/invoke-async", key, "{}");
	snprintf(rid0, sizeof(rid0), "%s", jps(r->json, "requestId"));
	r = await_invocation(key, "thrower", rid, 40);
	/* maxRetries defaults to 2: three tries in all, as Lambda. */
	CHECK(jis(r->json, "status", "DeadLettered") && jpi(r->json, "attempts", 0) == 3 &&
	      jis(r->json, "error.errorType", "ValueError"), "%s", r->body);
	r = await_invocation(key, "once", rid0, 20);
	CHECK(jis(r->json, "status", "DeadLettered") && jpi(r->json, "attempts", 0) == 1, "maxRetries 0: %s", r->body);
	/* Every try's output is in the logs. */
	r = httpf("GET", key, NULL, V1 "/functions/thrower/invocations/%s/logs", rid);
	CHECK(r->status == 200 && json_object_array_length(jp(r->json, "logs")) == 3, "%s", r->body);
	/* Listed with its payload and error. */
	r = http("GET", V1 "/functions/thrower/dead-letters", key, NULL);
	CHECK(r->status == 200 && jpi(r->json, "total", 0) == 1 && jis(r->json, "deadLetters.0.requestId", rid) &&
	      jpi(r->json, "deadLetters.0.payload.n", 0) == 7 && jis(r->json, "deadLetters.0.error.errorMessage", "always"),
	      "%s", r->body);
	/* Re-driven by an Operator (a Developer may not), it runs its tries again. */
	CHECK(user_with_role(key, "Operator", user, op) && user_with_role(key, "Developer", duser, dev), "users");
	CHECK(platform_error(httpf("POST", dev, NULL, V1 "/functions/thrower/invocations/%s/redrive", rid), 403, "FORBIDDEN"),
	      "a Developer re-drove");
	r = httpf("POST", op, NULL, V1 "/functions/thrower/invocations/%s/redrive", rid);
	CHECK(r->status == 202 && jis(r->json, "status", "Queued"), "%s", r->body);
	CHECK(platform_error(httpf("POST", op, NULL, V1 "/functions/thrower/invocations/%s/redrive", rid), 409, "CONFLICT"),
	      "re-drove a queued invocation");
	r = await_invocation(key, "thrower", rid, 40);
	CHECK(jis(r->json, "status", "DeadLettered") && jpi(r->json, "attempts", 0) == 3, "%s", r->body);
	r = httpf("GET", key, NULL, V1 "/functions/thrower/invocations/%s/logs", rid);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 6, "logs of all six tries: %s", r->body);
}

static void a_repeated_idempotency_key_queues_once(void)
{
	char key[128], first[64];
	CHECK(async_fn(key, "idem", "once-only", "def handler(e, c):\n    return 'ran'\n", NULL), "function");
	char auth[256];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	struct resp *r = http_with_headers("POST", V1 "/functions/once-only/invoke-async", "{}", auth, "Idempotency-Key: order-42");
	CHECK_STATUS(r, 202);
	snprintf(first, sizeof(first), "%s", jps(r->json, "requestId"));
	r = http_with_headers("POST", V1 "/functions/once-only/invoke-async", "{}", auth, "Idempotency-Key: order-42");
	char hdr[32];
	CHECK(r->status == 202 && jis(r->json, "requestId", first) &&
	      resp_header(r, "Idempotent-Replayed", hdr, sizeof(hdr)), "%s", r->body);
	r = http_with_headers("POST", V1 "/functions/once-only/invoke-async", "{}", auth, "Idempotency-Key: order-43");
	CHECK(r->status == 202 && jps(r->json, "requestId") && !jis(r->json, "requestId", first), "another key was replayed: %s", r->body);
	r = await_invocation(key, "once-only", first, 20);
	CHECK(jis(r->json, "status", "Succeeded") && jpi(r->json, "attempts", 0) == 1, "%s", r->body);
	r = http_with_headers("POST", V1 "/functions/once-only/invoke-async", "{}", auth, "Idempotency-Key: has space");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "Idempotency-Key"), "%s", r->body);
}

static void a_full_queue_answers_429_with_retry_after(void)
{
	char key[128], id[64], cmd[1024], hdr[32];
	CHECK(async_fn(key, "depth", "deep", "def handler(e, c):\n    return 1\n", NULL), "function");
	char auth[256], first[64];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	struct resp *r = http_with_headers("POST", V1 "/functions/deep/invoke-async", "{}", auth, "Idempotency-Key: before-the-rush");
	CHECK_STATUS(r, 202);
	snprintf(first, sizeof(first), "%s", jps(r->json, "requestId"));
	r = http("GET", V1 "/functions/deep", key, NULL);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id"));
	/*
	 * The backlog of a busy function, as the queue's own counter would hold it:
	 * 10,000 waiting. The leader recounts the counters from the rows every 30 s;
	 * should that fall between the forging and the requests, forge again.
	 */
	struct resp *again = NULL, *q = NULL;
	bool listed = false;
	char op[1024];
	CHECK(admin_token(op), "no operator token");
	for (int i = 0; i < 3 && !(r->status == 429 && listed); i++) {
		snprintf(cmd, sizeof(cmd), "redis-cli -s '%s/run/redis.sock' HSET tf:async:depth %s 10000 >/dev/null",
		         getenv("TF_STACK_DIR"), id);
		CHECK(system(cmd) == 0, "cannot set the depth");
		r = http("POST", V1 "/functions/deep/invoke-async", key, "{}");
		/* A repeat asks for nothing new: it is answered even when the queue is full. */
		again = http_with_headers("POST", V1 "/functions/deep/invoke-async", "{}", auth, "Idempotency-Key: before-the-rush");
		/* The operator sees whose backlog it is: the deepest of all. */
		q = http("GET", V1 "/runners", op, NULL);
		listed = jis(q->json, "queueDepth.asyncByFunction.0.functionId", id) &&
		         jpi(q->json, "queueDepth.asyncByFunction.0.depth", 0) == 10000;
	}
	snprintf(cmd, sizeof(cmd), "redis-cli -s '%s/run/redis.sock' HSET tf:async:depth %s 0 >/dev/null", getenv("TF_STACK_DIR"), id);
	CHECK(system(cmd) == 0, "cannot reset the depth");
	CHECK(listed, "the runner figures do not show the function's depth: %s", q->body);
	CHECK(again->status == 202 && jis(again->json, "requestId", first), "a full queue refused a repeat: %ld %s",
	      again->status, again->body);
	CHECK(platform_error(r, 429, "TOO_MANY_REQUESTS") && resp_header(r, "Retry-After", hdr, sizeof(hdr)) && atoi(hdr) > 0,
	      "%ld %s", r->status, r->body);
	CHECK_STATUS(http("POST", V1 "/functions/deep/invoke-async", key, "{}"), 202);
	r = http("GET", "/health", NULL, NULL);
	CHECK(jp(r->json, "queueDepth.async") && jp(r->json, "queueDepth.sync"), "health shows no queue depth: %s", r->body);
}

static void results_are_dropped_after_their_retention(void)
{
	char key[128], rid[64], cmd[1024];
	CHECK(async_fn(key, "expire", "brief", "def handler(e, c):\n    print('kept a while')\n    return 'done'\n", NULL),
	      "function");
	struct resp *r = http("POST", V1 "/functions/brief/invoke-async", key, "{}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = await_invocation(key, "brief", rid, 20);
	CHECK(jis(r->json, "status", "Succeeded"), "%s", r->body);
	/* Eight days ago, past the default retention of seven. */
	snprintf(cmd, sizeof(cmd),
	         "mariadb --no-defaults -S '%s/run/mysql.sock' -u root taufunctions -e "
	         "\"UPDATE invocations SET finished_at = NOW(3) - INTERVAL 8 DAY WHERE request_id = '%s'\"",
	         getenv("TF_STACK_DIR"), rid);
	CHECK(system(cmd) == 0, "cannot age the invocation");
	for (int i = 0; i < 150 && r->status != 404; i++) {
		sleep_ms(100);
		r = httpf("GET", key, NULL, V1 "/functions/brief/invocations/%s", rid);
	}
	CHECK(platform_error(r, 404, "NOT_FOUND"), "still kept: %ld %s", r->status, r->body);
	r = httpf("GET", key, NULL, V1 "/functions/brief/invocations/%s/logs", rid);
	CHECK(platform_error(r, 404, "NOT_FOUND"), "logs still kept: %s", r->body);
}

static void an_event_past_its_max_age_is_dead_lettered_untried(void)
{
	char key[128], rid[64], cmd[1024];
	/* Reserved concurrency 0: the event waits (throttled) and never runs. */
	CHECK(async_fn(key, "aged", "stale", "def handler(e, c):\n    return 'ran'\n",
	               ",\"maxEventAgeSeconds\":60,\"reservedConcurrency\":0"), "function");
	struct resp *r = http("POST", V1 "/functions/stale/invoke-async", key, "{}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	sleep_ms(500);
	r = httpf("GET", key, NULL, V1 "/functions/stale/invocations/%s", rid);
	CHECK((jis(r->json, "status", "Retrying") || jis(r->json, "status", "Queued")) && jpi(r->json, "attempts", -1) == 0 &&
	      jp(r->json, "startedAt") == NULL, "%s", r->body);
	/* Two minutes ago, past its 60 s. */
	snprintf(cmd, sizeof(cmd),
	         "mariadb --no-defaults -S '%s/run/mysql.sock' -u root taufunctions -e "
	         "\"UPDATE invocations SET queued_at = NOW(3) - INTERVAL 2 MINUTE WHERE request_id = '%s'\"",
	         getenv("TF_STACK_DIR"), rid);
	CHECK(system(cmd) == 0, "cannot age the invocation");
	r = await_invocation(key, "stale", rid, 20);
	CHECK(jis(r->json, "status", "DeadLettered") && jpi(r->json, "attempts", -1) == 0 &&
	      jis(r->json, "error.errorType", "EventAgeExceeded"), "%s", r->body);
}

/* Submits n invocations; fills ids with the accepted ones and returns how many were accepted. */
static int burst(const char *key, const char *fn, int n, char (*ids)[64], int *refused)
{
	int accepted = 0;
	*refused = 0;
	for (int i = 0; i < n; i++) {
		struct resp *r = httpf("POST", key, "{\"payload\":{}}", V1 "/functions/%s/invoke-async", fn);
		if (r->status == 202)
			snprintf(ids[accepted++], 64, "%s", jps(r->json, "requestId"));
		else
			(*refused)++;
	}
	return accepted;
}

/* Waits for every accepted invocation to succeed; counts those run more than once. */
static int all_succeed(const char *key, const char *fn, char (*ids)[64], int n, int seconds, int *duplicates)
{
	int done = 0;
	*duplicates = 0;
	for (int i = 0; i < n; i++) {
		struct resp *r = await_invocation(key, fn, ids[i], done == i ? seconds : 1);
		if (jis(r->json, "status", "Succeeded")) {
			done++;
			*duplicates += jpi(r->json, "attempts", 1) > 1;
		}
	}
	return done;
}

static void a_killed_worker_loses_no_accepted_invocation(void)
{
	static char ids[500][64];
	char key[128];
	int refused, dups;
	CHECK(async_fn(key, "killw", "sleeper", "import time\ndef handler(e, c):\n    time.sleep(0.2)\n    return 'slept'\n", NULL),
	      "function");
	int accepted = burst(key, "sleeper", 250, ids, &refused);
	CHECK(stack_ctl("kill_one", "tf-worker") == 0, "cannot kill the worker");
	accepted += burst(key, "sleeper", 250, ids + accepted, &refused);
	CHECK(stack_ctl("start_worker", NULL) == 0, "cannot start the worker again");
	CHECK(accepted == 500, "only %d of 500 accepted (%d refused)", accepted, refused);
	int ok = all_succeed(key, "sleeper", ids, accepted, 120, &dups);
	printf("# worker killed mid-burst: %d accepted, %d succeeded, %d ran more than once (at-least-once delivery)\n",
	       accepted, ok, dups);
	CHECK(ok == accepted, "%d of %d accepted invocations did not succeed", accepted - ok, accepted);
}

static void another_worker_takes_over_a_dead_workers_invocations(void)
{
	static char ids[64][64];
	char key[128];
	int refused, dups;
	CHECK(async_fn(key, "takeover", "relay", "import time\ndef handler(e, c):\n    time.sleep(0.3)\n    return 'relayed'\n", NULL),
	      "function");
	int accepted = burst(key, "relay", 64, ids, &refused);
	sleep_ms(300);  /* the first worker is in the middle of some */
	CHECK(stack_ctl("kill_one", "tf-worker") == 0, "cannot kill the worker");
	/* It never comes back: a second runner must take over what it had claimed. */
	CHECK(stack_ctl("start_second_worker", NULL) == 0, "cannot start a second worker");
	int ok = all_succeed(key, "relay", ids, accepted, 120, &dups);
	stack_ctl("kill_one", "tf-worker-b");
	CHECK(stack_ctl("start_worker", NULL) == 0, "cannot start the worker again");
	printf("# first worker killed for good: %d accepted, %d succeeded on the second, %d tried again after the takeover\n",
	       accepted, ok, dups);
	CHECK(accepted == 64 && ok == accepted, "%d of %d accepted invocations did not succeed", accepted - ok, accepted);
	CHECK(dups > 0, "no invocation the dead worker was running was taken over");
}

static void a_killed_redis_loses_no_accepted_invocation(void)
{
	static char ids[300][64];
	char key[128];
	int refused, refused2, dups;
	CHECK(async_fn(key, "killr", "napper", "import time\ndef handler(e, c):\n    time.sleep(0.05)\n    return 'ok'\n", NULL),
	      "function");
	int accepted = burst(key, "napper", 150, ids, &refused);
	/* SIGKILL: what the last second wrote to the append-only file may be gone. */
	CHECK(stack_ctl("kill_one", "redis") == 0, "cannot kill Redis");
	int during = burst(key, "napper", 20, ids + accepted, &refused2);
	accepted += during;
	CHECK(stack_ctl("start_redis", NULL) == 0, "cannot start Redis again");
	accepted += burst(key, "napper", 130, ids + accepted, &refused);
	int ok = all_succeed(key, "napper", ids, accepted, 120, &dups);
	printf("# Redis killed mid-burst: %d accepted (%d while it was down), %d refused while down, %d succeeded, %d ran more than once\n",
	       accepted, during, refused2, ok, dups);
	CHECK(ok == accepted, "%d of %d accepted invocations did not succeed", accepted - ok, accepted);
}

/* A failover to an empty replica, or a restart without persistence: the stream and its set are gone. */
static void a_redis_that_lost_its_data_loses_no_accepted_invocation(void)
{
	static char ids[200][64];
	char key[128], cmd[1024];
	int refused, dups;
	CHECK(async_fn(key, "flush", "dozer", "import time\ndef handler(e, c):\n    time.sleep(0.05)\n    return 'ok'\n", NULL),
	      "function");
	int accepted = burst(key, "dozer", 100, ids, &refused);
	snprintf(cmd, sizeof(cmd), "redis-cli -s '%s/run/redis.sock' FLUSHALL >/dev/null", getenv("TF_STACK_DIR"));
	CHECK(system(cmd) == 0, "cannot empty Redis");
	accepted += burst(key, "dozer", 100, ids + accepted, &refused);
	CHECK(accepted == 200, "only %d of 200 accepted (%d refused)", accepted, refused);
	int ok = all_succeed(key, "dozer", ids, accepted, 120, &dups);
	printf("# Redis emptied mid-burst: %d accepted, %d succeeded, %d ran more than once\n", accepted, ok, dups);
	CHECK(ok == accepted, "%d of %d accepted invocations did not succeed", accepted - ok, accepted);
}

static void without_mariadb_nothing_is_accepted_and_it_recovers(void)
{
	char key[128], rid[64];
	CHECK(async_fn(key, "nodb", "patient", "def handler(e, c):\n    return 'back'\n", NULL), "function");
	CHECK(stack_ctl("stop_one", "mysql") == 0, "cannot stop MariaDB");
	struct resp *r = http("POST", V1 "/functions/patient/invoke-async", key, "{}");
	long status = r->status;
	char code[64];
	snprintf(code, sizeof(code), "%s", jps(jp(r->json, "error"), "code") ? jps(jp(r->json, "error"), "code") : "");
	CHECK(stack_ctl("start_mariadb", NULL) == 0, "cannot start MariaDB again");
	CHECK(status == 503 && strcmp(code, "SERVICE_UNAVAILABLE") == 0, "without MariaDB: %ld %s", status, code);
	for (int i = 0; i < 100; i++) {
		r = http("POST", V1 "/functions/patient/invoke-async", key, "{}");
		if (r->status == 202)
			break;
		sleep_ms(200);
	}
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = await_invocation(key, "patient", rid, 30);
	CHECK(jis(r->json, "status", "Succeeded"), "%s", r->body);
}

static const struct test tests[] = {
	{ "async: a failed try is retried and can succeed", a_failed_try_is_retried_and_can_succeed },
	{ "async: an always-failing invocation is dead-lettered after exactly its tries; Operators re-drive it", an_always_failing_invocation_is_dead_lettered_after_exactly_its_tries },
	{ "async: a repeated Idempotency-Key queues once", a_repeated_idempotency_key_queues_once },
	{ "async: a full queue answers 429 with Retry-After; health shows the depth", a_full_queue_answers_429_with_retry_after },
	{ "async: an event past its maxEventAgeSeconds is dead-lettered without a try", an_event_past_its_max_age_is_dead_lettered_untried },
	{ "async: finished results are dropped after their retention", results_are_dropped_after_their_retention },
	{ "async: 500 invocations, worker SIGKILLed mid-burst: none lost", a_killed_worker_loses_no_accepted_invocation },
	{ "async: a second worker takes over a dead worker's invocations after the visibility timeout", another_worker_takes_over_a_dead_workers_invocations },
	{ "async: Redis SIGKILLed mid-burst: no accepted invocation lost", a_killed_redis_loses_no_accepted_invocation },
	{ "async: Redis emptied mid-burst: the leader queues the lost invocations again", a_redis_that_lost_its_data_loses_no_accepted_invocation },
	{ "async: without MariaDB nothing is accepted (503); it recovers by itself", without_mariadb_nothing_is_accepted_and_it_recovers },
};
const struct suite suite_async = { tests, sizeof(tests) / sizeof(tests[0]) };
