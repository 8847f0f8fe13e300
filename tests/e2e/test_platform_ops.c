/* What operators rely on: trace ids in the log, purging what was deleted. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

static void an_errors_trace_id_is_in_tf_apis_log_line(void)
{
	char admin[1024], hdr[96], path[1024];
	CHECK(admin_token(admin), "admin login");
	struct resp *r = http("POST", V1 "/functions", admin, "{\"name\":\"bad name\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR"), "%s", r->body);
	const char *trace = jps(r->json, "error.traceId");
	CHECK(trace && resp_header(r, "X-Trace-Id", hdr, sizeof(hdr)) && strcmp(hdr, trace) == 0, "header and body differ");
	snprintf(path, sizeof(path), "%s/log/tf-api.log", getenv("TF_STACK_DIR"));
	char needle[128];
	snprintf(needle, sizeof(needle), "\"traceId\":\"%s\"", trace);
	bool found = false;
	for (int i = 0; i < 20 && !found; i++) {
		char *log = slurp(path, NULL);
		found = log && strstr(log, needle) && strstr(strstr(log, needle) - 200 > log ? strstr(log, needle) - 200 : log, "VALIDATION_ERROR");
		free(log);
		if (!found)
			sleep_ms(50);
	}
	CHECK(found, "no log line carries %s", trace);
}

static void a_deleted_functions_data_is_purged_after_the_retention(void)
{
	char key[128], tenant[80], q[512], id[64];
	signup("purge", key, tenant);
	CHECK(platform_fn(key, "doomed", "def handler(e, c):\n    print('bye')\n    return 1\n"), "function");
	struct resp *r = http("POST", V1 "/functions/doomed/invoke", key, "{}");
	CHECK_STATUS(r, 200);
	r = http("GET", V1 "/functions/doomed", key, NULL);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id"));
	for (int i = 0; i < 40; i++) {
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocation_logs WHERE function_id = '%s'", id);
		if (stack_sql_number(q) > 0)
			break;
		sleep_ms(100);
	}
	CHECK(stack_sql_number(q) > 0, "the invocation was not recorded");
	CHECK_STATUS(http("DELETE", V1 "/functions/doomed", key, NULL), 204);
	/* The test stack keeps deleted functions 2 s; the leader purges every 10 s. */
	const char *tables[] = { "functions WHERE id", "versions WHERE function_id", "invocations WHERE function_id",
	                         "invocation_logs WHERE function_id", "metrics_minute WHERE function_id",
	                         "function_stats WHERE function_id" };
	long long left = -1;
	for (int i = 0; i < 300 && left != 0; i++) {
		left = 0;
		for (size_t t = 0; t < sizeof(tables) / sizeof(tables[0]); t++) {
			snprintf(q, sizeof(q), "SELECT COUNT(*) FROM %s = '%s'", tables[t], id);
			left += stack_sql_number(q);
		}
		if (left != 0)
			sleep_ms(100);
	}
	CHECK(left == 0, "rows of the deleted function remain after 30 s");
}

static void nothing_a_deployment_in_progress_uses_can_be_deleted(void)
{
	char key[128], tenant[80], id[64], q[512];
	signup("deploying", key, tenant);
	CHECK(platform_fn(key, "busy", "def handler(e, c):\n    return 1\n"), "function");
	CHECK(upload_version(key, "busy", "def handler(e, c):\n    return 2\n") == 2, "version 2");
	struct resp *r = http("GET", V1 "/functions/busy", key, NULL);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id"));
	/* The deployments API comes later; its row is what the checks read. */
	snprintf(q, sizeof(q),
	         "INSERT INTO deployments (id, tenant_id, function_id, target_version, source_version, strategy, status, config, started_at)"
	         " VALUES ('deploy-test-%s', '%s', '%s', 2, 1, 'Canary', 'InProgress', '{}', NOW(3)); SELECT 1",
	         id + 3, tenant, id);
	CHECK(stack_sql_number(q) == 1, "cannot insert the deployment");
	CHECK(platform_error(http("DELETE", V1 "/functions/busy/versions/2", key, NULL), 409, "CONFLICT"), "deleted a deploying version");
	CHECK(platform_error(http("DELETE", V1 "/functions/busy", key, NULL), 409, "CONFLICT"), "deleted a deploying function");
	snprintf(q, sizeof(q), "UPDATE deployments SET status = 'Completed' WHERE function_id = '%s'; SELECT 1", id);
	CHECK(stack_sql_number(q) == 1, "cannot complete the deployment");
	CHECK_STATUS(http("DELETE", V1 "/functions/busy/versions/2", key, NULL), 204);
	CHECK_STATUS(http("DELETE", V1 "/functions/busy", key, NULL), 204);
}

static const struct test tests[] = {
	{ "nothing a deployment in progress uses can be deleted (409)", nothing_a_deployment_in_progress_uses_can_be_deleted },
	{ "an error's traceId is in tf-api's log line for that request", an_errors_trace_id_is_in_tf_apis_log_line },
	{ "a deleted function's data is purged after the retention", a_deleted_functions_data_is_purged_after_the_retention },
};
const struct suite suite_platform_ops = { tests, sizeof(tests) / sizeof(tests[0]) };
