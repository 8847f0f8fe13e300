/*
 * Resource limits and sandbox walls, each provoked for real; after each, the
 * runner and other functions carry on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A function of another tenant still answers: the limit hurt nobody else. */
static bool others_unharmed(void)
{
	static char key[128], id[64];
	if (key[0] == '\0') {
		char tenant[80];
		signup("bystander", key, tenant);
		if (!ready_fn(key, "bystander", "nodejs20", "index.handler", "exports.handler = async () => 'fine'", NULL, id))
			return false;
	}
	struct resp *r = invoke_fn(key, id, NULL);
	return r->status == 200 && jps(r->json, "body") && strcmp(jps(r->json, "body"), "fine") == 0;
}

static void going_over_memory_is_an_out_of_memory_error(void)
{
	char key[128], tenant[80], id[64];
	signup("oom", key, tenant);
	CHECK(ready_fn(key, "hog", "python3.11", "main.handler",
	            "def handler(event, context):\n    if event.get('hog'):\n        blocks = [bytearray(16 << 20) for _ in range(40)]\n"
	            "        return len(blocks)\n    return 'light'\n", "{\"memoryMB\":128}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"hog\":true}");
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "errorType"), "Runtime.OutOfMemory") == 0, "%s", r->body);
	r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "light") == 0, "after the kill: %s", r->body);
	CHECK(others_unharmed(), "another function failed");
}

static void memory_used_is_the_instances_peak(void)
{
	char key[128], tenant[80], admin_fn[64];
	signup("peak", key, tenant);
	/* 60 MB held by a 256 MB function: the peak is above it and within the limit. */
	CHECK(ready_fn(key, "sixty", "python3.11", "main.handler",
	            "def handler(event, context):\n    b = bytearray(60 << 20)\n    return len(b)\n", "{\"memoryMB\":256}", admin_fn),
	      "ready");
	struct resp *r = invoke_fn(key, admin_fn, NULL);
	CHECK_STATUS(r, 200);
	r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s", admin_fn);
	(void)r;
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"peak-p\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"memorySize\":256}");
	/* The platform API reports memoryUsed per invocation. */
	CHECK_STATUS(http("POST", "/api/v1/functions", key, body), 201);
	extern long upload_version(const char *caller, const char *name, const char *code);
	CHECK(upload_version(key, "peak-p", "def handler(event, context):\n    b = bytearray(60 << 20)\n    return len(b)\n") == 1, "version");
	r = http("POST", "/api/v1/functions/peak-p/invoke", key, "{}");
	CHECK_STATUS(r, 200);
	long long used = jpi(r->json, "memoryUsed", 0);
	CHECK(used >= 60 && used <= 256, "memoryUsed %lld MB for a 60 MB buffer in 256 MB", used);
}

static void a_busy_loop_ends_at_its_timeout(void)
{
	char key[128], tenant[80], id[64];
	signup("spin", key, tenant);
	CHECK(ready_fn(key, "spin", "nodejs20", "index.handler",
	            "exports.handler = async (e) => { if (e.spin) for (;;) {} return 'idle'; }", "{\"timeout\":1}", id), "ready");
	struct resp *r = invoke_fn(key, id, "{\"spin\":true}");
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "errorType"), "Sandbox.Timedout") == 0, "%s", r->body);
	long long d = jpi(r->json, "duration", 0);
	CHECK(d >= 1000 && d <= 1100, "a 1 s timeout ended after %lld ms", d);
	r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "idle") == 0, "%s", r->body);
	CHECK(others_unharmed(), "another function failed");
}

static void a_fork_bomb_is_stopped_by_the_process_cap(void)
{
	char key[128], tenant[80], id[64];
	signup("forks", key, tenant);
	CHECK(ready_fn(key, "bomb", "python3.11", "main.handler",
	            "import os, time\ndef handler(event, context):\n    n = 0\n    try:\n        while n < 10000:\n"
	            "            pid = os.fork()\n            if pid == 0:\n                time.sleep(30)\n                os._exit(0)\n"
	            "            n += 1\n    except OSError as e:\n        return {'forked': n, 'error': e.errno}\n    return {'forked': n}\n",
	            "{\"timeout\":10}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b && jpi(b, "forked", 99999) < 100 && jpi(b, "error", 0) == 11, "forked without bound: %s", r->body);
	json_object_put(b);
	/* The children were killed with the invocation: the next one can fork again. */
	r = invoke_fn(key, id, NULL);
	b = body_json(r);
	CHECK(b && jpi(b, "forked", 0) > 10, "the processes of the last invocation are still there: %s", r->body);
	json_object_put(b);
	CHECK(others_unharmed(), "another function failed");
}

static void tmp_is_bounded(void)
{
	char key[128], tenant[80], id[64];
	signup("disk", key, tenant);
	CHECK(ready_fn(key, "fill", "python3.11", "main.handler",
	            "import errno\ndef handler(event, context):\n    chunk = b'x' * (1 << 20)\n    written = 0\n    try:\n"
	            "        with open('/tmp/fill', 'wb') as f:\n            while written < 2048:\n                f.write(chunk)\n"
	            "                f.flush()\n                written += 1\n    except OSError as e:\n"
	            "        return {'mb': written, 'error': errno.errorcode.get(e.errno)}\n    return {'mb': written}\n",
	            /* /tmp is memory (tmpfs), charged to the function: a 1 GB function meets the 512 MB cap first. */
	            "{\"timeout\":20,\"memoryMB\":1024}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b && jpi(b, "mb", 9999) <= 512 && jps(b, "error") &&
	      (strcmp(jps(b, "error"), "ENOSPC") == 0 || strcmp(jps(b, "error"), "EFBIG") == 0), "%s", r->body);
	json_object_put(b);
	CHECK(others_unharmed(), "another function failed");
}

static void output_beyond_the_caps_is_reported(void)
{
	char key[128], tenant[80], id[64], big[64];
	signup("output", key, tenant);
	CHECK(ready_fn(key, "chatty", "nodejs20", "index.handler",
	            "exports.handler = async () => { for (let i = 0; i < 20000; i++) console.log('line ' + i + ' ' + 'x'.repeat(40)); return 'done'; }",
	            "{\"timeout\":20}", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "done") == 0, "%s", r->body);
	/* The last line says how much was dropped. */
	for (int i = 0; i < 40; i++) {
		r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/logs?limit=1", id);
		if (json_object_array_length(jp(r->json, "logs")) == 1)
			break;
		sleep_ms(150);
	}
	CHECK(jps(r->json, "logs.0.message") && strstr(jps(r->json, "logs.0.message"), "bytes of log output over the 256 KiB limit were dropped"),
	      "%s", r->body);
	CHECK(ready_fn(key, "huge", "nodejs20", "index.handler", "exports.handler = async () => 'y'.repeat(7 * 1024 * 1024)", NULL, big), "ready");
	r = invoke_fn(key, big, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "errorType"), "Function.ResponseSizeTooLarge") == 0, "%.300s", r->body);
	CHECK(others_unharmed(), "another function failed");
}

static void escape_calls_are_denied(void)
{
	char key[128], tenant[80], id[64];
	signup("seccomp", key, tenant);
	/* Each call through libc's syscall(); the filter answers EPERM (1) without running it. */
	CHECK(ready_fn(key, "calls", "python3.11", "main.handler",
	            "import ctypes, os\nlibc = ctypes.CDLL(None, use_errno=True)\n"
	            "CALLS = {'ptrace': (101, 0, 0, 0, 0), 'mount': (165, 0, 0, 0, 0), 'unshare': (272, 0x10000000),\n"
	            "         'setns': (308, 0, 0), 'init_module': (175, 0, 0, 0), 'keyctl': (250, 0, 0),\n"
	            "         'bpf': (321, 0, 0, 0), 'perf_event_open': (298, 0, 0, 0, 0, 0), 'userfaultfd': (323, 0),\n"
	            "         'add_key': (248, 0, 0, 0, 0, 0), 'kexec_load': (246, 0, 0, 0, 0), 'chroot': (161, 0),\n"
	            "         'clone_newuser': (56, 0x10000000 | 17, 0, 0, 0, 0)}\n"
	            "def handler(event, context):\n    out = {}\n    for name, args in CALLS.items():\n"
	            "        ctypes.set_errno(0)\n        rc = libc.syscall(*[ctypes.c_long(a) for a in args])\n"
	            "        out[name] = ctypes.get_errno() if rc == -1 else 'allowed'\n    return out\n", NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	json_object_object_foreach(b, name, v) {
		CHECK(json_object_is_type(v, json_type_int) && json_object_get_int(v) == 1, "%s: %s (EPERM expected)", name,
		      json_object_to_json_string(v));
	}
	json_object_put(b);
}

static void a_function_cannot_reach_the_platform_or_other_functions(void)
{
	char key[128], tenant[80], other_key[128], other_tenant[80], id[64], secret_id[64], code[2048];
	const char *stack = getenv("TF_STACK_DIR");
	FILE *f;
	char pidtext[32] = "0";
	char path[1024], wdir[1024];
	CHECK(stack_config("dir", wdir, sizeof(wdir)), "the stack has no worker dir");
	snprintf(path, sizeof(path), "%s/run/tf-worker.pid", stack);
	if ((f = fopen(path, "r")) != NULL) {
		if (fgets(pidtext, sizeof(pidtext), f) == NULL)
			pidtext[0] = '0';
		fclose(f);
	}
	pidtext[strcspn(pidtext, "\n")] = '\0';
	signup("victim", other_key, other_tenant);
	CHECK(ready_fn(other_key, "secret", "nodejs20", "index.handler",
	            "exports.handler = async () => { await new Promise(r => setTimeout(r, 1500)); return 'done'; }",
	            "{\"envVars\":{\"VICTIM_SECRET\":\"hunter2\"},\"timeout\":5}", secret_id), "ready");
	signup("prober", key, tenant);
	snprintf(code, sizeof(code),
	         "const fs = require('fs');"
	         "const exists = (p) => { try { fs.statSync(p); return true; } catch (e) { return false; } };"
	         "exports.handler = async () => {"
	         " let kill; try { process.kill(%s, 'SIGTERM'); kill = 'sent'; } catch (e) { kill = e.code; }"
	         " const environs = fs.readdirSync('/proc').filter(p => /^[0-9]+$/.test(p)).map(p => { try { return fs.readFileSync('/proc/' + p + '/environ', 'utf8'); } catch (e) { return ''; } }).join('|');"
	         " return { kill, stack: exists('%s'), config: exists('%s/taufunctions.conf'), code: exists('%s/code'),"
	         " mysql: exists('%s/run/mysql.sock'), secret: environs.includes('hunter2'), root: exists('/root'), shadow: exists('/etc/shadow') }; };",
	         pidtext, stack, stack, wdir, stack);
	CHECK(ready_fn(key, "prober", "nodejs20", "index.handler", code, NULL, id), "ready");
	/* The victim runs while the prober looks around. */
	char *body = NULL;
	(void)body;
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	CHECK(strcmp(jps(b, "kill"), "ESRCH") == 0 || strcmp(jps(b, "kill"), "EPERM") == 0, "signalled the worker: %s", r->body);
	const char *walls[] = { "stack", "config", "code", "mysql", "secret", "root", "shadow" };
	for (size_t i = 0; i < sizeof(walls) / sizeof(walls[0]); i++)
		CHECK(!json_object_get_boolean(jp(b, walls[i])), "reached %s: %s", walls[i], r->body);
	json_object_put(b);
	CHECK(http("GET", "/health", NULL, NULL)->status == 200, "the platform is not healthy after the probe");
	r = invoke_fn(other_key, secret_id, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "done") == 0, "%s", r->body);
}

static void no_child_process_outlives_its_invocation(void)
{
	char key[128], tenant[80], id[64];
	signup("children", key, tenant);
	CHECK(ready_fn(key, "spawner", "nodejs20", "index.handler",
	            "const cp = require('child_process');"
	            "exports.handler = async (e) => {"
	            " if (e.check) { try { process.kill(e.check, 0); return 'alive'; } catch (err) { return err.code; } }"
	            " const c = cp.spawn('/bin/sleep', ['300'], { detached: true, stdio: 'ignore' }); c.unref();"
	            " return String(c.pid); };", NULL, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	char payload[64];
	snprintf(payload, sizeof(payload), "{\"check\":%s}", jps(r->json, "body"));
	r = invoke_fn(key, id, payload);
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "ESRCH") == 0, "the child survived: %s", r->body);
}

static void every_runtime_runs_on_exactly_its_interpreter(void)
{
	char key[128], tenant[80], id[64];
	struct { const char *runtime, *handler, *code, *want; } rts[] = {
		{ "nodejs18", "index.handler", "exports.handler = async () => process.version", "v18." },
		{ "nodejs20", "index.handler", "exports.handler = async () => process.version", "v20." },
		{ "nodejs22", "index.handler", "exports.handler = async () => process.version", "v22." },
		{ "python3.11", "main.handler", "import platform\ndef handler(e, c):\n    return platform.python_version()\n", "3.11." },
		{ "python3.12", "main.handler", "import platform\ndef handler(e, c):\n    return platform.python_version()\n", "3.12." },
	};
	signup("runtimes", key, tenant);
	struct resp *list = http("GET", "/saas/api/v1/sdk/tau/runtimes", key, NULL);
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		bool available = json_object_get_boolean(jp(list->json, i == 0 ? "runtimes.0.available" : i == 1 ? "runtimes.1.available"
		                                           : i == 2 ? "runtimes.2.available" : i == 3 ? "runtimes.3.available"
		                                                                                       : "runtimes.4.available"));
		char name[32];
		snprintf(name, sizeof(name), "rt-%zu", i);
		CHECK(ready_fn(key, name, rts[i].runtime, rts[i].handler, rts[i].code, NULL, id), "ready %s", rts[i].runtime);
		struct resp *r = invoke_fn(key, id, NULL);
		if (!available) {
			/* Only python3.12 may be missing on a runner, and then it says so. */
			CHECK(strcmp(rts[i].runtime, "python3.12") == 0 && r->status == 503 &&
			      strcmp(jps(r->json, "code"), "RUNTIME_UNAVAILABLE") == 0, "%s: %s", rts[i].runtime, r->body);
			continue;
		}
		CHECK(r->status == 200 && strncmp(jps(r->json, "body"), rts[i].want, strlen(rts[i].want)) == 0, "%s ran %s",
		      rts[i].runtime, r->body);
	}
}

static const struct test tests[] = {
	{ "memory: going over memorySize is an out-of-memory error; the runner carries on", going_over_memory_is_an_out_of_memory_error },
	{ "memory: memoryUsed is the instance's peak from its cgroup", memory_used_is_the_instances_peak },
	{ "cpu: a busy loop ends at its timeout within 100 ms", a_busy_loop_ends_at_its_timeout },
	{ "processes: a fork bomb is stopped by the pids cap", a_fork_bomb_is_stopped_by_the_process_cap },
	{ "disk: /tmp is bounded", tmp_is_bounded },
	{ "output: logs and responses beyond their caps are reported", output_beyond_the_caps_is_reported },
	{ "sandbox: ptrace, mount, namespaces, modules, keyrings, bpf and perf are denied", escape_calls_are_denied },
	{ "sandbox: no reach into the platform, the worker or another tenant", a_function_cannot_reach_the_platform_or_other_functions },
	{ "sandbox: no child process outlives its invocation", no_child_process_outlives_its_invocation },
	{ "runtimes: each runs on exactly its own interpreter", every_runtime_runs_on_exactly_its_interpreter },
};
const struct suite suite_limits = { tests, sizeof(tests) / sizeof(tests[0]) };
