/*
 * What a function controls is stored bounded and valid: its error, its result and
 * its log lines. A record MariaDB would refuse must never hold back another
 * tenant's work (an async consumer retrying it forever, or the recorder's batch).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

#define REPLACEMENT "\xef\xbf\xbd"

/*
 * A handler that fails with an error class named in 300 characters and 100 KB of
 * message made of bytes that are not UTF-8 (as Python carries them: escaped
 * surrogates), after a log line of such bytes written as they are.
 */
static const char THROWER[] =
	"import os\n"
	"def handler(event, context):\n"
	"    os.write(1, b'bad bytes \\xff\\xfe in a log line\\n')\n"
	"    raise type('E' * 300, (Exception,), {})((b'\\xc3\\x28' * 51200).decode('utf-8', 'surrogateescape'))\n";

/*
 * A handler that writes its own error frame on the runtime's frame pipe (it shares
 * the process with the bootstrap, so it can): an errorType of 300 characters and
 * 100 KB of bytes that are not UTF-8, after a log line that is not UTF-8 either.
 */
static const char HOSTILE[] =
	"import os\n"
	"def handler(event, context):\n"
	"    os.write(1, b'bad bytes \\xff\\xfe in a log line\\n')\n"
	"    frame = (b'{\"type\":\"error\",\"requestId\":\"' + context.aws_request_id.encode() +\n"
	"             b'\",\"error\":{\"errorType\":\"' + b'E' * 300 + b'\",\"errorMessage\":\"' +\n"
	"             b'\\xc3\\x28' * 51200 + b'\",\"stackTrace\":[\"\\xff\"]}}\\n')\n"
	"    os.write(4, frame)\n"
	"    os._exit(0)\n";

/* A pro tenant (so that a burst passes the free day) with a Python platform function. */
static bool pro_fn(char key[128], const char *prefix, const char *name, const char *code)
{
	char tenant[80], body[256];
	signup(prefix, key, tenant);
	if (http("POST", "/api/billing/upgrade", key, NULL)->status != 200)
		return false;
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}", name);
	return http("POST", V1 "/functions", key, body)->status == 201 && upload_version(key, name, code) == 1;
}

static struct resp *await_final(const char *key, const char *fn, const char *rid, int seconds)
{
	struct resp *r = NULL;
	for (int i = 0; i < seconds * 10; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/%s/invocations/%s", fn, rid);
		if (jis(r->json, "status", "Succeeded") || jis(r->json, "status", "DeadLettered"))
			break;
		sleep_ms(100);
	}
	return r;
}

/* The stored error reads as what it was, cut to its bounds with a marker. */
static bool error_is_bounded(json_object *err, char *why, size_t n)
{
	const char *type = jps(err, "errorType"), *msg = jps(err, "errorMessage");
	if (type == NULL || msg == NULL)
		return snprintf(why, n, "no error"), false;
	if (strlen(type) > 128 || strncmp(type, "EEEEEEEE", 8) != 0)
		return snprintf(why, n, "errorType of %zu bytes", strlen(type)), false;
	if (strlen(msg) > 64 * 1024 || strstr(msg, "truncated]") == NULL || strncmp(msg, REPLACEMENT "(", 4) != 0)
		return snprintf(why, n, "errorMessage of %zu bytes: %.80s", strlen(msg), msg), false;
	return true;
}

#define HOSTILE_BURST 20  /* more than a runner's async consumers (half its 32 slots) */

static void an_async_error_that_cannot_be_stored_as_sent_ends_bounded_and_others_still_run(void)
{
	char key[128], other[128], rids[HOSTILE_BURST][64], why[160];
	CHECK(pro_fn(key, "hostile", "unstorable", THROWER), "hostile function");
	CHECK(pro_fn(other, "bystander", "plain", "def handler(event, context):\n    return 'still running'\n"),
	      "bystander function");
	for (int i = 0; i < HOSTILE_BURST; i++) {
		struct resp *r = http("POST", V1 "/functions/unstorable/invoke-async", key, "{}");
		CHECK_STATUS(r, 202);
		snprintf(rids[i], sizeof(rids[i]), "%s", jps(r->json, "requestId"));
	}
	sleep_ms(1000);
	/* Another tenant's event is not held back by them. */
	struct resp *r = http("POST", V1 "/functions/plain/invoke-async", other, "{}");
	CHECK_STATUS(r, 202);
	char rid[64];
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = await_final(other, "plain", rid, 30);
	CHECK(jis(r->json, "status", "Succeeded") && jis(r->json, "result", "still running"), "bystander: %s", r->body);
	/* Each hostile one ends, after its tries, with its error stored readable and bounded. */
	for (int i = 0; i < HOSTILE_BURST; i++) {
		r = await_final(key, "unstorable", rids[i], 60);
		CHECK(jis(r->json, "status", "DeadLettered"), "hostile %d: %.300s", i, r->body);
		CHECK(error_is_bounded(jp(r->json, "error"), why, sizeof(why)), "hostile %d: %s", i, why);
	}
	/* Its log line is kept, its bytes replaced. */
	r = httpf("GET", key, NULL, V1 "/functions/unstorable/invocations/%s/logs", rids[0]);
	CHECK(r->status == 200 && strstr(r->body, "bad bytes " REPLACEMENT REPLACEMENT " in a log line"), "%.400s", r->body);
}

static void a_sync_answer_that_cannot_be_stored_as_sent_is_bounded_and_the_recorder_goes_on(void)
{
	char key[128], tenant[80], id[64], plain[64], why[160];
	signup("recorded", key, tenant);
	CHECK(ready_fn(key, "unstorable", "python3.11", "main.handler", HOSTILE, NULL, id), "hostile function");
	CHECK(ready_fn(key, "plain", "python3.11", "main.handler", "def handler(e, c):\n    return 'ok'\n", NULL, plain),
	      "plain function");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	char hdr[64];
	CHECK(resp_header(r, "X-Function-Error", hdr, sizeof(hdr)), "no X-Function-Error: %.300s", r->body);
	CHECK(error_is_bounded(r->json, why, sizeof(why)), "answer: %s", why);
	/* Recorded, logs included, and so is what runs after it. */
	r = invoke_fn(key, plain, NULL);
	CHECK_STATUS(r, 200);
	bool hostile_logged = false, plain_counted = false;
	for (int i = 0; i < 100 && !(hostile_logged && plain_counted); i++) {
		sleep_ms(100);
		r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/logs", id);
		hostile_logged = r->status == 200 && strstr(r->body, "bad bytes " REPLACEMENT REPLACEMENT " in a log line");
		r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/stats", plain);
		plain_counted = jpi(r->json, "totalInvocations", 0) == 1;
	}
	CHECK(hostile_logged, "the hostile log line was not recorded");
	CHECK(plain_counted, "the invocation after it was not recorded: %.300s", r->body);
	r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/stats", id);
	CHECK(jpi(r->json, "totalInvocations", 0) == 1 && jpi(r->json, "errors", 0) == 1, "%.300s", r->body);
}

/*
 * A record MariaDB refuses (a memory figure past its column's range: nothing a
 * worker writes, so it is forged onto the stream) is stored as a bare platform
 * failure of that one invocation, and the records behind it are written too.
 */
static void a_record_mariadb_refuses_becomes_a_platform_failure_and_records_after_it_are_written(void)
{
	char key[128], tenant[80], id[64], cmd[2048], q[256];
	const char *rid = "0badc0de-0000-4000-8000-00000000f00d";
	signup("refused", key, tenant);
	CHECK(ready_fn(key, "counted", "python3.11", "main.handler", "def handler(e, c):\n    return 'ok'\n", NULL, id), "ready");
	long long now = (long long)time(NULL) * 1000;
	snprintf(cmd, sizeof(cmd),
	         "redis-cli -s '%s/run/redis.sock' XADD tf:records '*' r '{\"requestId\":\"%s\",\"status\":\"Succeeded\","
	         "\"error\":null,\"durationMs\":1,\"initMs\":0,\"billedMs\":100,\"memoryUsedMB\":3000000000,\"coldStart\":false,"
	         "\"version\":1,\"runner\":\"forged\",\"logStreamName\":null,\"startedMs\":%lld,\"tenant\":\"%s\","
	         "\"functionId\":\"%s\",\"alias\":null,\"type\":\"RequestResponse\",\"logs\":[{\"ts\":%lld,"
	         "\"level\":\"INFO\",\"message\":\"forged\"}]}' >/dev/null",
	         getenv("TF_STACK_DIR"), rid, now, tenant, id, now);
	CHECK(system(cmd) == 0, "cannot forge a record");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocations WHERE function_id = '%s' AND request_id = '%s'", id,
	         jps(r->json, "requestId"));
	bool after = false;
	for (int i = 0; i < 100 && !after; i++, sleep_ms(100))
		after = stack_sql_number(q) == 1;
	CHECK(after, "the invocation after the refused record was not recorded");
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocations WHERE request_id = '%s' AND status = 'Failed'"
	         " AND error_type = 'Platform.RecordFailed'", rid);
	CHECK(stack_sql_number(q) == 1, "the refused record is not stored as a platform failure");
}

/* A result frame of bytes that are not UTF-8 (written by the handler itself) is answered repaired. */
static void a_result_that_is_not_utf8_is_repaired(void)
{
	char key[128], tenant[80], id[64];
	signup("result", key, tenant);
	CHECK(ready_fn(key, "bytes", "python3.11", "main.handler",
	               "import os\n"
	               "def handler(event, context):\n"
	               "    os.write(4, b'{\"type\":\"result\",\"requestId\":\"' + context.aws_request_id.encode() +\n"
	               "             b'\",\"result\":\"caf\\xe9 \\xff!\"}\\n')\n"
	               "    os._exit(0)\n", NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && jis(r->json, "body", "caf" REPLACEMENT " " REPLACEMENT "!"), "%.300s", r->body);
}

static const struct test tests[] = {
	{ "records: a result that is not UTF-8 is answered repaired", a_result_that_is_not_utf8_is_repaired },
	{ "records: a record MariaDB refuses becomes a platform failure; the records after it are written",
	  a_record_mariadb_refuses_becomes_a_platform_failure_and_records_after_it_are_written },
	{ "records: an async error that cannot be stored as sent ends bounded and readable; others' async work runs",
	  an_async_error_that_cannot_be_stored_as_sent_ends_bounded_and_others_still_run },
	{ "records: a sync answer that cannot be stored as sent is bounded; the recorder goes on",
	  a_sync_answer_that_cannot_be_stored_as_sent_is_bounded_and_the_recorder_goes_on },
};
const struct suite suite_records = { tests, sizeof(tests) / sizeof(tests[0]) };
