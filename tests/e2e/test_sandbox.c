/* What a function can and cannot reach from inside its sandbox. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

/* A Node.js 20 function with a 5 s timeout, created and deployed. */
static bool ready(const char *key, const char *name, const char *code, char id[64])
{
	return ready_fn(key, name, "nodejs20", "index.handler", code, "{\"timeout\":5}", id);
}

static void a_function_has_no_network(void)
{
	char key[128], tenant[80], id[64];
	const char *base = getenv("TF_BASE_URL");
	const char *port = strrchr(base, ':') + 1;
	char code[1024];
	signup("nonet", key, tenant);
	snprintf(code, sizeof(code),
	         "const net = require('net');"
	         "const tryc = (host, port) => new Promise(res => { const s = net.connect({host, port});"
	         " s.on('connect', () => { s.destroy(); res('connected'); }); s.on('error', e => res(e.code));"
	         " setTimeout(() => { s.destroy(); res('timeout'); }, 1500); });"
	         "exports.handler = async () => [await tryc('127.0.0.1', %s), await tryc('1.1.1.1', 53),"
	         " require('os').networkInterfaces().lo ? 'lo' : 'no-lo', Object.keys(require('os').networkInterfaces()).join(',')];",
	         port);
	CHECK(ready(key, "nonet", code, id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	CHECK(strcmp(jps(b, "0"), "ECONNREFUSED") == 0, "reached the platform's own port: %s", r->body);
	CHECK(strcmp(jps(b, "1"), "ENETUNREACH") == 0, "reached the outside: %s", r->body);
	CHECK(strcmp(jps(b, "3"), "lo") == 0, "interfaces besides loopback: %s", r->body);
	json_object_put(b);
}

static void code_is_read_only_and_tmp_is_private(void)
{
	char key[128], tenant[80], w[64], peek[64];
	signup("fs", key, tenant);
	CHECK(ready(key, "writer",
	            "const fs = require('fs');"
	            "exports.handler = async () => { let ro; try { fs.writeFileSync('/var/task/x', '1'); ro = 'writable'; }"
	            " catch (e) { ro = e.code; } fs.writeFileSync('/tmp/mine', 'secret'); return ro; }", w), "ready");
	CHECK(ready(key, "peeker",
	            "const fs = require('fs');"
	            "exports.handler = async () => fs.existsSync('/tmp/mine') ? 'seen' : 'unseen'", peek), "ready");
	struct resp *r = invoke_fn(key, w, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "EROFS") == 0, "code directory: %s", r->body);
	r = invoke_fn(key, peek, NULL);
	CHECK(strcmp(jps(r->json, "body"), "unseen") == 0, "/tmp shared between functions: %s", r->body);
}

static void a_function_sees_only_its_own_processes_and_no_host_files(void)
{
	char key[128], tenant[80], id[64];
	signup("procs", key, tenant);
	CHECK(ready(key, "procs",
	            "const fs = require('fs');"
	            "exports.handler = async () => ({ pids: fs.readdirSync('/proc').filter(p => /^[0-9]+$/.test(p)).length,"
	            " shadow: fs.existsSync('/etc/shadow'), root: fs.readdirSync('/').sort().join(','),"
	            " uid: process.getuid() })", id), "ready");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	json_object *b = body_json(r);
	CHECK(b, "%s", r->body);
	CHECK(jpi(b, "pids", 99) <= 2, "sees other processes: %s", r->body);
	CHECK(!json_object_get_boolean(jp(b, "shadow")), "/etc/shadow visible: %s", r->body);
	CHECK(strstr(jps(b, "root"), "root") == NULL && strstr(jps(b, "root"), "home") == NULL, "host tree visible: %s", r->body);
	CHECK(jpi(b, "uid", 0) != 0, "runs as root: %s", r->body);
	json_object_put(b);
}

static const struct test tests[] = {
	{ "a function has no network, not even to the platform on loopback", a_function_has_no_network },
	{ "the code is read-only and /tmp is private to the instance", code_is_read_only_and_tmp_is_private },
	{ "a function sees only its own processes and no host files", a_function_sees_only_its_own_processes_and_no_host_files },
};
const struct suite suite_sandbox = { tests, sizeof(tests) / sizeof(tests[0]) };
