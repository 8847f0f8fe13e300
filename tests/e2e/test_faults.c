/*
 * Parts of the stack going down and coming back. These stop and start processes of
 * the test stack, so they run last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

static bool health_names(const char *part)
{
	struct resp *r = http("GET", "/health", NULL, NULL);
	json_object *failing = jp(r->json, "failing");
	for (size_t i = 0; r->status == 503 && failing && i < json_object_array_length(failing); i++)
		if (strcmp(json_object_get_string(json_object_array_get_idx(failing, i)), part) == 0)
			return true;
	return false;
}

static bool healthy_within(int seconds)
{
	for (int i = 0; i < seconds * 10; i++) {
		if (http("GET", "/health", NULL, NULL)->status == 200)
			return true;
		sleep_ms(100);
	}
	return false;
}

static void health_names_redis_when_it_is_down_and_recovers(void)
{
	char key[128], tenant[80], id[64];
	signup("fredis", key, tenant);
	char *b = fn_body("survivor", "nodejs20", "index.handler", "exports.handler = async () => 'up'", NULL);
	CHECK(create_fn(key, b, id) && deploy_fn(key, id), "ready");
	free(b);
	CHECK(stack_ctl("stop_one", "redis") == 0, "cannot stop Redis");
	bool named = health_names("redis");
	struct resp *r = invoke_fn(key, id, NULL);
	long during = r->status;
	char code[64];
	snprintf(code, sizeof(code), "%s", jps(r->json, "code") ? jps(r->json, "code") : "");
	CHECK(stack_ctl("start_redis", NULL) == 0, "cannot start Redis again");
	CHECK(named, "health did not name redis");
	CHECK(during == 503 && strcmp(code, "SERVICE_UNAVAILABLE") == 0, "invoke without Redis: %ld %s", during, code);
	CHECK(healthy_within(20), "not healthy again after Redis came back");
	r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "up") == 0, "%s", r->body);
}

static void health_names_mariadb_when_it_is_down_and_recovers(void)
{
	char key[128], tenant[80];
	signup("fdb", key, tenant);
	CHECK(stack_ctl("stop_one", "mysql") == 0, "cannot stop MariaDB");
	bool named = health_names("mariadb");
	struct resp *r = http("GET", "/saas/api/v1/sdk/tau/functions", key, NULL);
	long during = r->status;
	char code[64];
	snprintf(code, sizeof(code), "%s", jps(r->json, "code") ? jps(r->json, "code") : "");
	CHECK(stack_ctl("start_mariadb", NULL) == 0, "cannot start MariaDB again");
	CHECK(named, "health did not name mariadb");
	CHECK(during == 503 && strcmp(code, "SERVICE_UNAVAILABLE") == 0, "list without MariaDB: %ld %s", during, code);
	CHECK(healthy_within(30), "not healthy again after MariaDB came back");
	/* Reads and writes work again without restarting tf-api or the worker. */
	char id[64];
	char *b = fn_body("after", "python3.11", "main.handler", "def handler(e, c):\n    return 'back'\n", NULL);
	CHECK(create_fn(key, b, id) && deploy_fn(key, id), "create after recovery");
	free(b);
	r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "body"), "back") == 0, "%s", r->body);
}

static int sql_exec(const char *statement)
{
	char cmd[1024];
	snprintf(cmd, sizeof(cmd), "mariadb --no-defaults -S '%s/run/mysql.sock' -u root taufunctions -e \"%s\" >/dev/null 2>&1",
	         getenv("TF_STACK_DIR"), statement);
	return system(cmd);
}

/* Whether text gives away anything of the platform's insides: MariaDB's words, a table, a path. */
static const char *leaked(const char *text)
{
	static const char *const tells[] = { "code_blobs", "Table", "doesn't exist", "/var/lib/", "/tmp/", "taufunctions." };
	for (size_t i = 0; i < sizeof(tells) / sizeof(tells[0]); i++)
		if (text && strstr(text, tells[i]))
			return tells[i];
	if (text && strstr(text, getenv("TF_STACK_DIR")))
		return "the stack's directory";
	return NULL;
}

static void a_platform_failure_tells_the_tenant_a_trace_id_not_its_insides(void)
{
	char key[128], tenant[80], id[64], name[64], async_name[64], code[256], body[512], sync_body[4096] = "", rid[64] = "";
	signup("fleak", key, tenant);
	unique("leak", name, sizeof(name));
	/* Code no runner has seen, so that running it means fetching it from MariaDB. */
	snprintf(code, sizeof(code), "def handler(e, c):\n    return '%s'\n", name);
	CHECK(ready_fn(key, name, "python3.11", "main.handler", code, NULL, id), "sync function");
	unique("leak-async", async_name, sizeof(async_name));
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"maxRetries\":0}", async_name);
	CHECK_STATUS(http("POST", V1 "/functions", key, body), 201);
	snprintf(code, sizeof(code), "def handler(e, c):\n    return '%s'\n", async_name);
	CHECK(upload_version(key, async_name, code) == 1, "async function's version");

	/* MariaDB refuses the runner's code fetch, with words of its own. */
	CHECK(sql_exec("RENAME TABLE code_blobs TO code_blobs_hidden") == 0, "cannot hide code_blobs");
	struct resp *r = invoke_fn(key, id, NULL);
	long sync_status = r->status;
	char trace[96] = "";
	snprintf(sync_body, sizeof(sync_body), "%s", r->body ? r->body : "");
	snprintf(trace, sizeof(trace), "%s", jps(r->json, "traceId") ? jps(r->json, "traceId") : "");
	r = httpf("POST", key, "{}", V1 "/functions/%s/invoke-async", async_name);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId") ? jps(r->json, "requestId") : "");
	char async_body[4096] = "";
	for (int i = 0; i < 150 && rid[0]; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/%s/invocations/%s", async_name, rid);
		if (jis(r->json, "status", "DeadLettered")) {
			snprintf(async_body, sizeof(async_body), "%s", r->body);
			break;
		}
		sleep_ms(100);
	}
	CHECK(sql_exec("RENAME TABLE code_blobs_hidden TO code_blobs") == 0, "cannot put code_blobs back");

	CHECK(sync_status == 503 && strstr(sync_body, "SERVICE_UNAVAILABLE") && !leaked(sync_body), "sync: %ld %s (gives away %s)",
	      sync_status, sync_body, leaked(sync_body) ? leaked(sync_body) : "nothing");
	CHECK(trace[0] && strstr(sync_body, "(trace ") && strstr(strstr(sync_body, "\"error\""), trace), "the message names no trace id: %s", sync_body);
	CHECK(async_body[0], "the async invocation %s never dead-lettered", rid);
	CHECK(!leaked(async_body), "async: %s (gives away %s)", async_body, leaked(async_body));
	/* The reason is in the runner's log, with the invocation's id, for the operator. */
	char path[1024];
	snprintf(path, sizeof(path), "%s/log/tf-worker.log", getenv("TF_STACK_DIR"));
	char *log = slurp(path, NULL);
	bool logged = log && strstr(log, "code_blobs") && strstr(log, rid);
	free(log);
	CHECK(logged, "the worker's log does not say why");
	/* And with its code back the function runs. */
	r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && jis(r->json, "body", name), "%ld %s", r->status, r->body);
}

static const struct test tests[] = {
	{ "health names Redis when it is down; the platform recovers when it returns", health_names_redis_when_it_is_down_and_recovers },
	{ "health names MariaDB when it is down; the platform recovers when it returns", health_names_mariadb_when_it_is_down_and_recovers },
	{ "a platform failure tells the tenant a trace id, not MariaDB's words or a runner's paths", a_platform_failure_tells_the_tenant_a_trace_id_not_its_insides },
};
const struct suite suite_faults = { tests, sizeof(tests) / sizeof(tests[0]) };
