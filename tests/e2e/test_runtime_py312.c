/*
 * python3.12 as a fresh Debian 12 runner has it: Pyodide, CPython 3.12 compiled to
 * WebAssembly, run by Node.js in the same sandbox as every runtime. scripts/test chooses
 * it ([runtimes] python3.12 = pyodide) even on a machine with a native 3.12.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"
#define RUNTIME "python3.12"

/* A python3.12 function of one file, main.py, created and deployed. */
static bool ready(const char *key, const char *name, const char *code, const char *extra, char id[64])
{
	return ready_fn(key, name, RUNTIME, "main.handler", code, extra, id);
}

static void python312_is_available_and_is_cpython_3_12_on_pyodide(void)
{
	char key[128], tenant[80], id[64];
	signup("py312", key, tenant);
	struct resp *r = http("GET", "/saas/api/v1/sdk/tau/runtimes", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jis(r->json, "runtimes.4.id", RUNTIME) && json_object_get_boolean(jp(r->json, "runtimes.4.available")),
	      "python3.12 is not available: %s", r->body);
	CHECK(ready(key, "version",
	            "import platform, sys\n"
	            "def handler(event, context):\n"
	            "    return {'version': sys.version, 'python': platform.python_version(),\n"
	            "            'implementation': sys.implementation.name, 'platform': sys.platform}\n",
	            NULL, id), "ready");
	r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	CHECK(strncmp(jps(b, "version"), "3.12.", 5) == 0 && strncmp(jps(b, "python"), "3.12.", 5) == 0,
	      "sys.version is not 3.12.x: %s", r->body);
	CHECK(jis(b, "implementation", "cpython"), "%s", r->body);
	CHECK(jis(b, "platform", "emscripten"), "not the Pyodide runtime the test stack asks for: %s", r->body);
	json_object_put(b);
}

static void a_lambda_handler_gets_the_event_and_its_context(void)
{
	char key[128], tenant[80], id[64], group[128];
	signup("py312ctx", key, tenant);
	CHECK(ready(key, "ctx",
	            "import json, os\n"
	            "def handler(event, context):\n"
	            "    return {'statusCode': 201, 'body': json.dumps({'event': event,\n"
	            "            'id': context.aws_request_id, 'fn': context.function_name,\n"
	            "            'ver': context.function_version, 'mem': context.memory_limit_in_mb,\n"
	            "            'group': context.log_group_name, 'stream': context.log_stream_name,\n"
	            "            'arn': context.invoked_function_arn, 'left': context.get_remaining_time_in_millis(),\n"
	            "            'env': dict(os.environ), 'cwd': os.getcwd()})}\n",
	            "{\"timeout\":7,\"envVars\":{\"GREETING\":\"hi\"}}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"name\":\"World\",\"n\":[1,2]}");
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "statusCode", 0) == 201, "%s", r->body);
	json_object *b = body_json(r);
	CHECK(b, "body is not JSON: %s", r->body);
	snprintf(group, sizeof(group), "/tf/%s/ctx", tenant);
	CHECK(jis(b, "event.name", "World") && jpi(b, "event.n.1", 0) == 2, "%s", r->body);
	CHECK(jis(b, "id", jps(r->json, "requestId")), "aws_request_id differs from requestId: %s", r->body);
	CHECK(jis(b, "fn", "ctx") && jis(b, "ver", "1") && jis(b, "mem", "128"), "%s", r->body);
	CHECK(jis(b, "group", group) && jps(b, "stream") && strstr(jps(b, "stream"), "ctx"), "%s", r->body);
	CHECK(jps(b, "arn") && strstr(jps(b, "arn"), ":function:ctx:1"), "%s", r->body);
	CHECK(jpi(b, "left", -1) > 0 && jpi(b, "left", -1) <= 7000, "remaining time: %s", r->body);
	CHECK(json_object_object_length(jp(b, "env")) == 1 && jis(b, "env.GREETING", "hi"), "environment: %s", r->body);
	CHECK(jis(b, "cwd", "/var/task"), "%s", r->body);
	json_object_put(b);
}

static void errors_come_back_in_lambdas_shape(void)
{
	static const struct {
		const char *name, *code, *type, *message;
	} cases[] = {
		{ "raises", "def handler(event, context):\n    raise ValueError('bad value')\n", "ValueError", "bad value" },
		{ "syntax", "def handler(:\n", "Runtime.UserCodeSyntaxError", NULL },
		{ "noimport", "import no_such_module\ndef handler(event, context):\n    return 1\n", "Runtime.ImportModuleError",
		  "Unable to import module 'main': No module named 'no_such_module'" },
		{ "nohandler", "def other(event, context):\n    return 1\n", "Runtime.HandlerNotFound", NULL },
		{ "marshal", "def handler(event, context):\n    return {1, 2}\n", "Runtime.MarshalError", NULL },
		{ "exits", "import sys\ndef handler(event, context):\n    sys.exit(3)\n", "Runtime.ExitError",
		  "Runtime exited with error: exit status 3" },
		{ "exitshard", "import os\ndef handler(event, context):\n    os._exit(7)\n", "Runtime.ExitError",
		  "Runtime exited with error: exit status 7" },
	};
	char key[128], tenant[80], id[64], hdr[64];
	signup("py312err", key, tenant);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		CHECK(ready(key, cases[i].name, cases[i].code, NULL, id), "ready %s", cases[i].name);
		struct resp *r = invoke_fn(key, id, NULL);
		CHECK_STATUS(r, 200);
		CHECK(resp_header(r, "X-Function-Error", hdr, sizeof(hdr)) && strcmp(hdr, "Unhandled") == 0, "%s: %s",
		      cases[i].name, r->headers);
		CHECK(jis(r->json, "errorType", cases[i].type), "%s: %s", cases[i].name, r->body);
		CHECK(cases[i].message == NULL || jis(r->json, "errorMessage", cases[i].message), "%s: %s", cases[i].name,
		      r->body);
		CHECK(jps(r->json, "errorMessage") && json_object_is_type(jp(r->json, "stackTrace"), json_type_array),
		      "%s: %s", cases[i].name, r->body);
		if (strcmp(cases[i].name, "raises") == 0)
			CHECK(jps(r->json, "stackTrace.0") && strstr(jps(r->json, "stackTrace.0"), "/var/task/main.py") &&
			      !strstr(r->body, "/opt/tf/"), "the trace is not the function's own: %s", r->body);
	}
}

/*
 * Megabytes cross between Python and Node.js as bytes, in one copy: a 5 MB event and a
 * 5 MB result fit the smallest memory size; a result over the cap is the usual error.
 */
static void megabyte_events_and_results_pass_in_128_mb(void)
{
	char key[128], tenant[80], id[64];
	size_t n = 5 * 1024 * 1024;
	signup("py312big", key, tenant);
	CHECK(ready(key, "big",
	            "def handler(event, context):\n"
	            "    if 'size' in event:\n"
	            "        return 'a' * event['size']\n"
	            "    return len(event['s'])\n",
	            "{\"memoryMB\":128}", id), "ready");
	char *payload = malloc(n + 16);
	int k = snprintf(payload, 16, "{\"s\":\"");
	memset(payload + k, 'b', n);
	strcpy(payload + k + n, "\"}");
	struct resp *r = invoke_fn(key, id, payload);
	free(payload);
	CHECK(r->status == 200 && jis(r->json, "body", "5242880"), "a 5 MB event: %.300s", r->body);
	r = invoke_fn(key, id, "{\"size\":5242880}");
	CHECK(r->status == 200 && jps(r->json, "body") && strlen(jps(r->json, "body")) == n, "a 5 MB result: %.300s",
	      r->body);
	r = invoke_fn(key, id, "{\"size\":7340032}");
	CHECK(r->status == 200 && jis(r->json, "errorType", "Function.ResponseSizeTooLarge"), "a 7 MB result: %.300s",
	      r->body);
}

/* Polls the logs until at least n lines are there (recording is asynchronous). */
static struct resp *logs_when(const char *key, const char *id, size_t n)
{
	struct resp *r = NULL;
	for (int i = 0; i < 40; i++) {
		r = httpf("GET", key, NULL, FNS "/%s/logs", id);
		json_object *l = jp(r->json, "logs");
		if (r->status != 200 || (l && json_object_array_length(l) >= n))
			break;
		sleep_ms(150);
	}
	return r;
}

static void print_and_logging_become_the_runs_logs_stderr_as_error(void)
{
	char key[128], tenant[80], id[64], rid[64];
	signup("py312logs", key, tenant);
	CHECK(ready(key, "logs",
	            "import logging, sys\n"
	            "def handler(event, context):\n"
	            "    print('first', event['n'])\n"
	            "    print('second', file=sys.stderr)\n"
	            "    logging.warning('third %d', 3)\n"
	            "    sys.stdout.write('fourth\\nfifth\\n')\n"
	            "    return 1\n",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"n\":1}");
	CHECK_STATUS(r, 200);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = logs_when(key, id, 5);
	CHECK_STATUS(r, 200);
	CHECK(json_object_array_length(jp(r->json, "logs")) == 5, "%s", r->body);
	CHECK(jis(r->json, "logs.0.message", "first 1") && jis(r->json, "logs.0.level", "info"), "%s", r->body);
	CHECK(jis(r->json, "logs.1.message", "second") && jis(r->json, "logs.1.level", "error"), "%s", r->body);
	CHECK(jis(r->json, "logs.2.message", "WARNING:root:third 3") && jis(r->json, "logs.2.level", "error"), "%s",
	      r->body);
	CHECK(jis(r->json, "logs.3.message", "fourth") && jis(r->json, "logs.4.message", "fifth") &&
	      jis(r->json, "logs.4.level", "info"), "%s", r->body);
	CHECK(jis(r->json, "logs.0.requestId", rid), "not tagged with the request id: %s", r->body);
}

/*
 * The first invocation of a new function adopts a spare booted before the function
 * existed (Node's uptime says when the interpreter started), sees only its own code, and
 * may use the memory it asked for: 200 MB only a cgroup resized from the spare's 128 allows.
 */
static void a_new_function_adopts_a_spare_booted_before_it(void)
{
	char key[128], tenant[80], id[64];
	signup("py312spare", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	sleep_ms(2000);  /* the spares taken by earlier tests are booted again by now */
	struct timespec now;
	clock_gettime(CLOCK_REALTIME, &now);
	double before = (double)now.tv_sec + (double)now.tv_nsec / 1e9;
	CHECK(ready(key, "adopter",
	            "import js, os, time\n"
	            "def handler(event, context):\n"
	            "    big = b'\\x01' * (200 * 1024 * 1024)\n"
	            "    return {'started': time.time() - js.process.uptime(), 'files': os.listdir('/var/task'),\n"
	            "            'big': len(big)}\n",
	            "{\"memoryMB\":512}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	double started = json_object_get_double(jp(b, "started"));
	bool own_code = json_object_array_length(jp(b, "files")) == 1 && jis(b, "files.0", "main.py");
	long long big = jpi(b, "big", 0);
	json_object_put(b);
	CHECK(started > 0 && started < before, "the interpreter started %.3f s after the function was created",
	      started - before);
	CHECK(own_code, "/var/task holds more than the function's code: %s", r->body);
	CHECK(big == 200LL * 1024 * 1024, "%s", r->body);
}

static void a_timeout_kills_the_instance_and_the_next_call_runs(void)
{
	char key[128], tenant[80], id[64];
	signup("py312slow", key, tenant);
	CHECK(ready(key, "slow",
	            "def handler(event, context):\n"
	            "    while event.get('spin'):\n"
	            "        pass\n"
	            "    return 'quick'\n",
	            "{\"timeout\":1}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"spin\":true}");
	CHECK_STATUS(r, 200);
	CHECK(jis(r->json, "errorType", "Sandbox.Timedout") && strstr(jps(r->json, "errorMessage"), "1.00 seconds"), "%s",
	      r->body);
	CHECK(jpi(r->json, "duration", 0) >= 1000 && jpi(r->json, "duration", 0) < 1500, "not ended at its timeout: %s",
	      r->body);
	r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && jis(r->json, "body", "quick"), "the next invocation failed: %s", r->body);
}

static void going_over_memory_is_an_out_of_memory_error(void)
{
	char key[128], tenant[80], id[64];
	signup("py312oom", key, tenant);
	CHECK(ready(key, "hog",
	            "def handler(event, context):\n"
	            "    if event.get('hog'):\n"
	            "        blocks = [b'\\x01' * (16 << 20) for _ in range(12)]\n"
	            "        return len(blocks)\n"
	            "    return 'light'\n",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"hog\":true}");
	CHECK_STATUS(r, 200);
	CHECK(jis(r->json, "errorType", "Runtime.OutOfMemory") || jis(r->json, "errorType", "MemoryError"),
	      "192 MB in a 128 MB function: %s", r->body);
	r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && jis(r->json, "body", "light"), "after the kill: %s", r->body);
}

/*
 * Python's sockets fail at once; Node.js underneath, reached through Pyodide's js module,
 * finds no network either: the sandbox is the wall, not the language. Node's attempts end
 * in the event loop, which runs between invocations, so a second call reads them.
 */
static void a_function_has_no_network(void)
{
	char key[128], tenant[80], id[64], code[2048];
	const char *base = getenv("TF_BASE_URL");
	signup("py312net", key, tenant);
	snprintf(code, sizeof(code),
	         "import socket, urllib.request\n"
	         "from pyodide.code import run_js\n"
	         "def attempt(f):\n"
	         "    try:\n"
	         "        f()\n"
	         "        return 'connected'\n"
	         "    except OSError as e:\n"
	         "        return type(e).__name__\n"
	         "def handler(event, context):\n"
	         "    if event.get('read'):\n"
	         "        return list(run_js('globalThis.probes'))\n"
	         "    run_js(\"\"\"globalThis.probes = []; const net = process.getBuiltinModule('net');\n"
	         "      for (const [host, port] of [['127.0.0.1', %s], ['1.1.1.1', 53]]) {\n"
	         "        const s = net.connect({ host, port }); s.on('connect', () => { probes.push('connected'); s.destroy(); });\n"
	         "        s.on('error', (e) => probes.push(e.code)); }\"\"\")\n"
	         "    return [attempt(lambda: socket.create_connection(('1.1.1.1', 53), timeout=1)),\n"
	         "            attempt(lambda: urllib.request.urlopen('%s/health', timeout=1))]\n",
	         strrchr(base, ':') + 1, base);
	CHECK(ready(key, "nonet", code, "{\"timeout\":5}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b && json_object_array_length(b) == 2, "%s", r->body);
	CHECK(strcmp(jps(b, "0"), "connected") != 0 && strcmp(jps(b, "1"), "connected") != 0, "Python reached out: %s",
	      r->body);
	json_object_put(b);
	sleep_ms(1500);
	r = invoke_fn(key, id, "{\"read\":true}");
	CHECK_STATUS(r, 200);
	b = body_json(r);
	CHECK(b && json_object_array_length(b) == 2, "%s", r->body);
	CHECK(strstr(r->body, "connected") == NULL && strstr(r->body, "ECONNREFUSED") && strstr(r->body, "ENETUNREACH"),
	      "Node.js under Python reached out: %s", r->body);
	json_object_put(b);
}

/*
 * What Pyodide cannot do fails at once with Python's own errors, never a hang: threads,
 * processes, and asyncio.run (which needs WebAssembly stack switching Node.js 22 lacks).
 */
static void threads_and_processes_are_refused_with_an_error(void)
{
	char key[128], tenant[80], id[64];
	signup("py312cant", key, tenant);
	CHECK(ready(key, "cant",
	            "import asyncio, subprocess, threading\n"
	            "def attempt(f):\n"
	            "    try:\n"
	            "        f()\n"
	            "        return 'ran'\n"
	            "    except Exception as e:\n"
	            "        return type(e).__name__\n"
	            "async def nap():\n"
	            "    await asyncio.sleep(0)\n"
	            "def handler(event, context):\n"
	            "    return [attempt(lambda: threading.Thread(target=print).start()),\n"
	            "            attempt(lambda: subprocess.run(['/bin/true'])),\n"
	            "            attempt(lambda: asyncio.run(nap()))]\n",
	            NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b && jis(b, "0", "RuntimeError") && jis(b, "1", "OSError") && jis(b, "2", "RuntimeError"), "%s", r->body);
	json_object_put(b);
}

/* Sets name to value, or unsets it for NULL. */
static void set_env(const char *name, const char *value)
{
	if (value)
		setenv(name, value, 1);
	else
		unsetenv(name);
}

/*
 * The stack's worker is replaced by one that sees the machine as a fresh Debian 12 does: no
 * pyenv, no python3.12 on PATH, nothing forced. It must still serve python3.12, from
 * Pyodide. The usual worker comes back before anything is checked.
 */
static void a_runner_without_a_native_3_12_serves_it_from_pyodide(void)
{
	char key[128], tenant[80], id[64], path[4096], forced[64], answer[256] = "";
	const char *p = getenv("PATH"), *f = getenv("TF_RUNTIMES_PYTHON3_12");
	snprintf(path, sizeof(path), "%s", p ? p : "/usr/bin:/bin");
	snprintf(forced, sizeof(forced), "%s", f ? f : "");
	signup("py312fresh", key, tenant);
	CHECK(ready(key, "fresh", "import sys\ndef handler(event, context):\n    return sys.version.split()[0] + ' ' + sys.platform\n",
	            NULL, id), "ready");
	CHECK(stack_ctl("kill_one", "tf-worker") == 0, "cannot stop the worker");
	set_env("PATH", "/usr/bin:/bin");
	set_env("PYENV_ROOT", "/nonexistent");
	set_env("TF_RUNTIMES_PYTHON3_12", NULL);
	int started = stack_ctl("start_worker", NULL);
	set_env("PATH", path);
	unsetenv("PYENV_ROOT");
	set_env("TF_RUNTIMES_PYTHON3_12", forced[0] ? forced : NULL);
	for (int i = 0; started == 0 && i < 30 && answer[0] == '\0'; i++) {
		struct resp *r = invoke_fn(key, id, NULL);
		if (r->status == 200 && jps(r->json, "body"))
			snprintf(answer, sizeof(answer), "%s", jps(r->json, "body"));
		else
			sleep_ms(500);  /* the new worker is still proving its runtimes */
	}
	bool stopped = stack_ctl("kill_one", "tf-worker") == 0;
	CHECK(stack_ctl("start_worker", NULL) == 0 && stopped, "cannot bring the usual worker back");
	CHECK(started == 0, "the worker without a native 3.12 did not start");
	CHECK(strncmp(answer, "3.12.", 5) == 0 && strstr(answer, " emscripten"), "python3.12 there ran as: '%s'", answer);
	/* The usual worker answers again before the next test. */
	for (int i = 0; i < 30 && invoke_fn(key, id, NULL)->status != 200; i++)
		sleep_ms(500);
}

static const struct test tests[] = {
	{ "python3.12: listed available, and CPython 3.12.x on Pyodide inside a function",
	  python312_is_available_and_is_cpython_3_12_on_pyodide },
	{ "python3.12: a Lambda handler gets the event and its context", a_lambda_handler_gets_the_event_and_its_context },
	{ "python3.12: errors come back in Lambda's shape", errors_come_back_in_lambdas_shape },
	{ "python3.12: 5 MB events and results pass in 128 MB; larger results are refused",
	  megabyte_events_and_results_pass_in_128_mb },
	{ "python3.12: print and logging become the run's logs, stderr as error",
	  print_and_logging_become_the_runs_logs_stderr_as_error },
	{ "python3.12: a new function adopts a spare booted before it, sized to its memory",
	  a_new_function_adopts_a_spare_booted_before_it },
	{ "python3.12: a timeout kills the instance and the next call runs", a_timeout_kills_the_instance_and_the_next_call_runs },
	{ "python3.12: going over memorySize is an out-of-memory error", going_over_memory_is_an_out_of_memory_error },
	{ "python3.12: a function has no network, from Python or the Node.js under it", a_function_has_no_network },
	{ "python3.12: threads, subprocesses and asyncio.run are refused with an error",
	  threads_and_processes_are_refused_with_an_error },
	{ "python3.12: a runner without a native 3.12, as on a fresh Debian 12, serves it from Pyodide",
	  a_runner_without_a_native_3_12_serves_it_from_pyodide },
};
const struct suite suite_runtime_py312 = { tests, sizeof(tests) / sizeof(tests[0]) };
