/* TauFunctions: invoking Node.js and Python handlers, errors, timeouts, logs and stats. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"

static void the_quick_example_runs_as_the_spec_shows(void)
{
	/* 1. Sign up, exactly the spec's body. */
	char tenant[80], body[128], key[128], id[64];
	unique("my-project", tenant, sizeof(tenant));
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	CHECK_STATUS(r, 201);
	snprintf(key, sizeof(key), "%s", jps(r->json, "apiKey"));
	/* 2. Create function, the spec's JSON text byte for byte. */
	r = http("POST", FNS, key,
	         "{\"name\":\"hello\",\"runtime\":\"nodejs20\",\"handler\":\"index.handler\",\"code\":\"module.exports.handler = "
	         "async (e) => ({ statusCode: 200, body: JSON.stringify({ msg: \\\"hello\\\" }) })\"}");
	CHECK_STATUS(r, 201);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id"));
	CHECK(strncmp(id, "fn_", 3) == 0 && strcmp(jps(r->json, "status"), "created") == 0, "%s", r->body);
	/* 3. Deploy, no body. */
	r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "status"), "deployed") == 0 && jps(r->json, "deployedAt"), "%s", r->body);
	/* 4. Invoke. */
	r = httpf("POST", key, "{\"payload\":{\"name\":\"World\"}}", FNS "/%s/invoke", id);
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "statusCode", 0) == 200, "%s", r->body);
	CHECK(strcmp(jps(r->json, "body"), "{\"msg\":\"hello\"}") == 0, "%s", r->body);
	CHECK(jp(r->json, "duration") && jpi(r->json, "billedMs", 0) >= 100 && jpi(r->json, "billedMs", 0) % 100 == 0,
	      "%s", r->body);
}

static void a_node_handler_gets_the_event_and_a_lambda_context(void)
{
	char key[128], tenant[80], id[64];
	signup("node", key, tenant);
	CHECK(ready_fn(key, "ctx", "nodejs20", "index.handler",
	            "exports.handler = async (event, context) => ({ statusCode: 201, headers: {'x-a': 'b'},"
	            " body: JSON.stringify({ event, id: context.awsRequestId, fn: context.functionName,"
	            " ver: context.functionVersion, mem: context.memoryLimitInMB, stream: context.logStreamName,"
	            " left: context.getRemainingTimeInMillis(), node: process.version }) })",
	            "{\"timeout\":7}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"name\":\"World\",\"n\":[1,2]}");
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "statusCode", 0) == 201 && strcmp(jps(r->json, "headers.x-a"), "b") == 0, "%s", r->body);
	json_object *b = body_json(r);
	CHECK(b, "body is not JSON: %s", r->body);
	CHECK(strcmp(jps(b, "event.name"), "World") == 0 && jpi(b, "event.n.1", 0) == 2, "%s", r->body);
	CHECK(strcmp(jps(b, "id"), jps(r->json, "requestId")) == 0, "awsRequestId differs from requestId: %s", r->body);
	CHECK(strcmp(jps(b, "fn"), "ctx") == 0 && strcmp(jps(b, "ver"), "1") == 0 && strcmp(jps(b, "mem"), "128") == 0,
	      "%s", r->body);
	CHECK(jps(b, "stream") && strstr(jps(b, "stream"), "ctx"), "%s", r->body);
	CHECK(jpi(b, "left", -1) > 0 && jpi(b, "left", -1) <= 7000, "remaining time: %s", r->body);
	CHECK(strncmp(jps(b, "node"), "v20.", 4) == 0, "ran on %s", jps(b, "node"));
	json_object_put(b);
}

static void a_callback_handler_answers_through_its_callback(void)
{
	char key[128], tenant[80], id[64];
	signup("cb", key, tenant);
	CHECK(ready_fn(key, "cb", "nodejs20", "index.handler",
	            "exports.handler = (event, context, callback) => { setTimeout(() => callback(null, { statusCode: 200, body: 'called back ' + event.n }), 10); }",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"n\":7}");
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "called back 7") == 0, "%s", r->body);
}

static void a_python_handler_returns_a_dict(void)
{
	char key[128], tenant[80], id[64];
	signup("py", key, tenant);
	CHECK(ready_fn(key, "py", "python3.11", "main.handler",
	            "import json, sys\n"
	            "def handler(event, context):\n"
	            "    return {'statusCode': 200, 'body': json.dumps({'hi': event['name'], 'id': context.aws_request_id,\n"
	            "            'fn': context.function_name, 'mem': context.memory_limit_in_mb,\n"
	            "            'left': context.get_remaining_time_in_millis(), 'py': sys.version.split()[0]})}\n",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"name\":\"World\"}");
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	CHECK(strcmp(jps(b, "hi"), "World") == 0 && strcmp(jps(b, "id"), jps(r->json, "requestId")) == 0 &&
	      strcmp(jps(b, "fn"), "py") == 0 && strcmp(jps(b, "mem"), "128") == 0 && jpi(b, "left", -1) > 0, "%s", r->body);
	CHECK(strncmp(jps(b, "py"), "3.11.", 5) == 0, "ran on python %s", jps(b, "py"));
	json_object_put(b);
}

static void any_json_value_comes_back_as_a_200_body(void)
{
	char key[128], tenant[80], id[64];
	signup("any", key, tenant);
	CHECK(ready_fn(key, "any", "python3.11", "main.handler",
	            "def handler(event, context):\n    return event['v']\n", NULL, id), "ready");
	struct { const char *payload, *body; } cases[] = {
		{ "{\"v\":\"plain text\"}", "plain text" },
		{ "{\"v\":{\"a\":[1,true,null]}}", "{\"a\":[1,true,null]}" },
		{ "{\"v\":42}", "42" },
		{ "{\"v\":null}", "null" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp *r = invoke_fn(key, id, cases[i].payload);
		CHECK_STATUS(r, 200);
		CHECK(jpi(r->json, "statusCode", 0) == 200 && strcmp(jps(r->json, "body"), cases[i].body) == 0,
		      "%s -> %s", cases[i].payload, r->body);
	}
}

static void a_thrown_error_comes_back_in_lambdas_shape(void)
{
	char key[128], tenant[80], node[64], py[64], hdr[64];
	signup("throw", key, tenant);
	CHECK(ready_fn(key, "nthrow", "nodejs20", "index.handler",
	            "exports.handler = async () => { throw new TypeError('bad input'); }", NULL, node), "ready");
	CHECK(ready_fn(key, "pthrow", "python3.11", "main.handler",
	            "def handler(event, context):\n    raise ValueError('bad value')\n", NULL, py), "ready");
	struct resp *r = invoke_fn(key, node, NULL);
	CHECK_STATUS(r, 200);
	CHECK(resp_header(r, "X-Function-Error", hdr, sizeof(hdr)) && strcmp(hdr, "Unhandled") == 0, "header: %s", r->headers);
	CHECK(strcmp(jps(r->json, "functionError"), "Unhandled") == 0 && strcmp(jps(r->json, "errorType"), "TypeError") == 0 &&
	      strcmp(jps(r->json, "errorMessage"), "bad input") == 0, "%s", r->body);
	CHECK(json_object_is_type(jp(r->json, "stackTrace"), json_type_array) && jps(r->json, "stackTrace.0") &&
	      strstr(jps(r->json, "stackTrace.0"), "/var/task/index.js"), "stackTrace: %s", r->body);
	CHECK(jp(r->json, "code") == NULL && jp(r->json, "statusCode") == NULL, "looks like a platform error: %s", r->body);
	r = invoke_fn(key, py, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "errorType"), "ValueError") == 0 && strcmp(jps(r->json, "errorMessage"), "bad value") == 0 &&
	      jps(r->json, "stackTrace.0") && strstr(jps(r->json, "stackTrace.0"), "main.py"), "%s", r->body);
}

static void a_handler_that_cannot_load_reports_why(void)
{
	char key[128], tenant[80], id[64];
	signup("load", key, tenant);
	CHECK(ready_fn(key, "nohandler", "nodejs20", "index.handler", "exports.other = async () => 1;", NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "errorType"), "Runtime.HandlerNotFound") == 0, "%s", r->body);
	CHECK(ready_fn(key, "syntax", "python3.11", "main.handler", "def handler(:\n", NULL, id), "ready");
	r = invoke_fn(key, id, NULL);
	CHECK(strcmp(jps(r->json, "errorType"), "Runtime.UserCodeSyntaxError") == 0, "%s", r->body);
}

static void a_timeout_kills_the_instance_and_the_runner_lives_on(void)
{
	char key[128], tenant[80], id[64];
	signup("slow", key, tenant);
	CHECK(ready_fn(key, "slow", "nodejs20", "index.handler",
	            "exports.handler = async (e) => { if (e.wait) await new Promise(r => setTimeout(r, 60000)); return 'quick'; }",
	            "{\"timeout\":1}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"wait\":true}");
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "errorType"), "Sandbox.Timedout") == 0, "%s", r->body);
	CHECK(strstr(jps(r->json, "errorMessage"), "1.00 seconds") != NULL, "%s", r->body);
	CHECK(jpi(r->json, "duration", 0) >= 1000, "ended before its timeout: %s", r->body);
	r = invoke_fn(key, id, "{}");
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "quick") == 0, "the next invocation failed: %s", r->body);
}

/* Polls the logs until at least n lines are there (recording is asynchronous). */
static struct resp *logs_when(const char *key, const char *id, const char *query, size_t n)
{
	struct resp *r = NULL;
	for (int i = 0; i < 40; i++) {
		r = httpf("GET", key, NULL, FNS "/%s/logs%s", id, query);
		json_object *l = jp(r->json, "logs");
		if (r->status != 200 || (l && json_object_array_length(l) >= n))
			break;
		sleep_ms(150);
	}
	return r;
}

static void output_becomes_the_logs_of_the_run(void)
{
	char key[128], tenant[80], id[64], rid[64];
	signup("logs", key, tenant);
	CHECK(ready_fn(key, "logs", "nodejs20", "index.handler",
	            "exports.handler = async (e) => { console.log('first', e.n); console.error('second'); console.log('third'); return 1; }",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"n\":1}");
	CHECK_STATUS(r, 200);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = logs_when(key, id, "", 3);
	CHECK_STATUS(r, 200);
	json_object *logs = jp(r->json, "logs");
	CHECK(logs && json_object_array_length(logs) == 3, "%s", r->body);
	CHECK(strcmp(jps(r->json, "logs.0.message"), "first 1") == 0 && strcmp(jps(r->json, "logs.0.level"), "info") == 0, "%s", r->body);
	CHECK(strcmp(jps(r->json, "logs.1.message"), "second") == 0 && strcmp(jps(r->json, "logs.1.level"), "error") == 0, "%s", r->body);
	CHECK(strcmp(jps(r->json, "logs.2.message"), "third") == 0, "%s", r->body);
	CHECK(strcmp(jps(r->json, "logs.0.requestId"), rid) == 0, "not tagged with the request id: %s", r->body);
	CHECK(jps(r->json, "logs.0.timestamp") && strlen(jps(r->json, "logs.0.timestamp")) == 24, "%s", r->body);
	/* limit keeps the newest lines; since in the future keeps none. */
	r = httpf("GET", key, NULL, FNS "/%s/logs?limit=1", id);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 1 && strcmp(jps(r->json, "logs.0.message"), "third") == 0, "%s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s/logs?since=2999-01-01T00:00:00Z", id);
	CHECK_STATUS(r, 200);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 0, "%s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s/logs?since=2000-01-01T00:00:00Z&limit=50", id);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 3, "%s", r->body);
}

static void python_print_becomes_logs(void)
{
	char key[128], tenant[80], id[64];
	signup("pylogs", key, tenant);
	CHECK(ready_fn(key, "pylogs", "python3.11", "main.handler",
	            "import sys\ndef handler(event, context):\n    print('hello', event['n'])\n    print('oops', file=sys.stderr)\n    return 1\n",
	            NULL, id), "ready");
	CHECK_STATUS(invoke_fn(key, id, "{\"n\":5}"), 200);
	struct resp *r = logs_when(key, id, "", 2);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 2, "%s", r->body);
	CHECK(strcmp(jps(r->json, "logs.0.message"), "hello 5") == 0 && strcmp(jps(r->json, "logs.1.level"), "error") == 0, "%s", r->body);
}

static void stats_count_invocations_errors_and_cold_starts(void)
{
	char key[128], tenant[80], id[64];
	signup("stats", key, tenant);
	CHECK(ready_fn(key, "stats", "nodejs20", "index.handler",
	            "exports.handler = async (e) => { if (e.fail) throw new Error('no'); return 'ok'; }", NULL, id), "ready");
	for (int i = 0; i < 4; i++)
		CHECK_STATUS(invoke_fn(key, id, i == 2 ? "{\"fail\":true}" : "{}"), 200);
	struct resp *r = NULL;
	for (int i = 0; i < 40; i++) {
		r = httpf("GET", key, NULL, FNS "/%s/stats", id);
		if (jpi(r->json, "totalInvocations", 0) >= 4)
			break;
		sleep_ms(150);
	}
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "totalInvocations", 0) == 4 && jpi(r->json, "errors", -1) == 1, "%s", r->body);
	/* One instance served all four: one cold start. */
	CHECK(jpi(r->json, "coldStarts", -1) == 1, "%s", r->body);
	CHECK(jpi(r->json, "last24h.invocations", 0) == 4 && jpi(r->json, "last24h.errors", -1) == 1, "%s", r->body);
	CHECK(jp(r->json, "avgDuration") && jps(r->json, "lastInvokedAt"), "%s", r->body);
}

static void the_environment_holds_only_the_functions_variables(void)
{
	char key[128], tenant[80], id[64], pid[64];
	signup("env", key, tenant);
	CHECK(ready_fn(key, "env", "nodejs20", "index.handler",
	            "exports.handler = async () => process.env", "{\"envVars\":{\"GREETING\":\"hi\",\"N\":\"2\"}}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "{\"GREETING\":\"hi\",\"N\":\"2\"}") == 0, "node env: %s", r->body);
	CHECK(ready_fn(key, "penv", "python3.11", "main.handler",
	            "import os\ndef handler(e, c):\n    return dict(os.environ)\n", "{\"envVars\":{\"ONLY\":\"me\"}}", pid), "ready");
	r = invoke_fn(key, pid, NULL);
	CHECK(strcmp(jps(r->json, "body"), "{\"ONLY\":\"me\"}") == 0, "python env: %s", r->body);
}

static void a_missing_payload_is_an_empty_event(void)
{
	char key[128], tenant[80], id[64];
	signup("nopay", key, tenant);
	CHECK(ready_fn(key, "echo", "nodejs20", "index.handler", "exports.handler = async (e) => e", NULL, id), "ready");
	struct resp *r = httpf("POST", key, NULL, FNS "/%s/invoke", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "{}") == 0, "%s", r->body);
}

static void payloads_up_to_6_mb_pass_and_larger_are_413(void)
{
	char key[128], tenant[80], id[64];
	signup("big", key, tenant);
	CHECK(ready_fn(key, "len", "nodejs20", "index.handler", "exports.handler = async (e) => String(e.s.length)", NULL, id), "ready");
	size_t n = 5 * 1024 * 1024;
	char *body = malloc(n + 64);
	int k = snprintf(body, 64, "{\"payload\":{\"s\":\"");
	memset(body + k, 'a', n);
	strcpy(body + k + n, "\"}}");
	struct resp *r = httpf("POST", key, body, FNS "/%s/invoke", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "5242880") == 0, "%s", r->body);
	free(body);
	n = 6 * 1024 * 1024 + 1000;  /* over the payload limit, under nginx's body cap */
	body = malloc(n + 64);
	k = snprintf(body, 64, "{\"payload\":{\"s\":\"");
	memset(body + k, 'a', n);
	strcpy(body + k + n, "\"}}");
	r = httpf("POST", key, body, FNS "/%s/invoke", id);
	free(body);
	CHECK_STATUS(r, 413);
	CHECK(strcmp(jps(r->json, "code"), "PAYLOAD_TOO_LARGE") == 0, "%s", r->body);
}

static void the_module_is_loaded_once_per_instance(void)
{
	char key[128], tenant[80], id[64], pid[64];
	signup("once", key, tenant);
	CHECK(ready_fn(key, "once", "nodejs20", "index.handler",
	            "let loads = (globalThis.loads || 0) + 1; globalThis.loads = loads; let calls = 0;"
	            "exports.handler = async () => `${loads}/${++calls}`", NULL, id), "ready");
	CHECK(ready_fn(key, "ponce", "python3.11", "main.handler",
	            "calls = 0\ndef handler(e, c):\n    global calls\n    calls += 1\n    return calls\n", NULL, pid), "ready");
	for (int i = 1; i <= 3; i++) {
		char want[16];
		snprintf(want, sizeof(want), "1/%d", i);
		struct resp *r = invoke_fn(key, id, NULL);
		CHECK(strcmp(jps(r->json, "body"), want) == 0, "call %d: %s", i, r->body);
		snprintf(want, sizeof(want), "%d", i);
		r = invoke_fn(key, pid, NULL);
		CHECK(strcmp(jps(r->json, "body"), want) == 0, "python call %d: %s", i, r->body);
	}
}

static const struct test tests[] = {
	{ "the quick example runs exactly as the spec's curl lines", the_quick_example_runs_as_the_spec_shows },
	{ "a Node.js handler gets the event and a Lambda context", a_node_handler_gets_the_event_and_a_lambda_context },
	{ "a Node.js callback handler answers through its callback", a_callback_handler_answers_through_its_callback },
	{ "a Python handler returns a dict with a Lambda context", a_python_handler_returns_a_dict },
	{ "any JSON value comes back as a 200 body", any_json_value_comes_back_as_a_200_body },
	{ "a thrown error comes back in Lambda's shape, marked as a function error", a_thrown_error_comes_back_in_lambdas_shape },
	{ "a handler that cannot load reports why", a_handler_that_cannot_load_reports_why },
	{ "a timeout kills the instance, reports it, and the next call runs", a_timeout_kills_the_instance_and_the_runner_lives_on },
	{ "console output becomes the run's logs, tagged with its request id", output_becomes_the_logs_of_the_run },
	{ "Python print and stderr become logs", python_print_becomes_logs },
	{ "stats count invocations, errors and cold starts", stats_count_invocations_errors_and_cold_starts },
	{ "the environment holds only the function's variables", the_environment_holds_only_the_functions_variables },
	{ "a missing payload is an empty event", a_missing_payload_is_an_empty_event },
	{ "the handler module is loaded once per instance and reused", the_module_is_loaded_once_per_instance },
	{ "payloads up to 6 MB pass; larger ones are 413", payloads_up_to_6_mb_pass_and_larger_are_413 },
};
const struct suite suite_tau_invoke = { tests, sizeof(tests) / sizeof(tests[0]) };
