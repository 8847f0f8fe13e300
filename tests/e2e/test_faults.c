/*
 * Parts of the stack going down and coming back. These stop and start processes of
 * the test stack, so they run last.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

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

static const struct test tests[] = {
	{ "health names Redis when it is down; the platform recovers when it returns", health_names_redis_when_it_is_down_and_recovers },
	{ "health names MariaDB when it is down; the platform recovers when it returns", health_names_mariadb_when_it_is_down_and_recovers },
};
const struct suite suite_faults = { tests, sizeof(tests) / sizeof(tests[0]) };
