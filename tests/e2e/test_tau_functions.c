/* TauFunctions: functions CRUD by fn_ id and the deploy lifecycle. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"
static const char HELLO[] = "exports.handler = async (e) => ({ statusCode: 200, body: 'v1' })";

static void create_returns_the_function_by_fn_id(void)
{
	char key[128], tenant[80], id[64];
	signup("crud", key, tenant);
	char *b = fn_body("hello-world", "nodejs20", "index.handler", HELLO,
	                  "{\"description\":\"greets\",\"envVars\":{\"A\":\"1\"},\"timeout\":5,\"memoryMB\":256,\"trigger\":\"manual\"}");
	struct resp *r = http("POST", FNS, key, b);
	free(b);
	CHECK_STATUS(r, 201);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id") ? jps(r->json, "id") : "");
	CHECK(strncmp(id, "fn_", 3) == 0, "id: %s", r->body);
	CHECK(strcmp(jps(r->json, "status"), "created") == 0, "status: %s", r->body);
	CHECK(strcmp(jps(r->json, "name"), "hello-world") == 0 && strcmp(jps(r->json, "runtime"), "nodejs20") == 0 &&
	      strcmp(jps(r->json, "handler"), "index.handler") == 0 && jpi(r->json, "timeout", 0) == 5 &&
	      jpi(r->json, "memoryMB", 0) == 256 && strcmp(jps(r->json, "trigger"), "manual") == 0 &&
	      strcmp(jps(r->json, "envVars.A"), "1") == 0, "fields: %s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "code"), HELLO) == 0, "code not returned: %s", r->body);
}

static void defaults_are_lambdas(void)
{
	char key[128], tenant[80], id[64];
	signup("dflt", key, tenant);
	char *b = fn_body("d", "python3.11", "main.handler", "def handler(e, c):\n    return 1\n", NULL);
	CHECK(create_fn(key, b, id), "create failed");
	free(b);
	struct resp *r = httpf("GET", key, NULL, FNS "/%s", id);
	CHECK(jpi(r->json, "timeout", 0) == 3 && jpi(r->json, "memoryMB", 0) == 128 &&
	      strcmp(jps(r->json, "trigger"), "http") == 0, "%s", r->body);
}

static void list_shows_the_tenants_functions(void)
{
	char key[128], tenant[80], a[64], b2[64];
	signup("list", key, tenant);
	char *b = fn_body("one", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, a), "create one");
	free(b);
	b = fn_body("two", "python3.11", "main.handler", "def handler(e, c):\n    return 2\n", NULL);
	CHECK(create_fn(key, b, b2), "create two");
	free(b);
	struct resp *r = http("GET", FNS, key, NULL);
	CHECK_STATUS(r, 200);
	json_object *list = jp(r->json, "functions");
	CHECK(list && json_object_array_length(list) == 2, "%s", r->body);
	CHECK(strcmp(jps(r->json, "functions.0.id"), a) == 0 && strcmp(jps(r->json, "functions.1.id"), b2) == 0, "%s", r->body);
}

static void update_changes_only_the_fields_sent(void)
{
	char key[128], tenant[80], id[64];
	signup("upd", key, tenant);
	char *b = fn_body("u", "nodejs20", "index.handler", HELLO, "{\"envVars\":{\"K\":\"v\"}}");
	CHECK(create_fn(key, b, id), "create");
	free(b);
	struct resp *r = httpf("PUT", key, "{\"runtime\":\"nodejs22\",\"memoryMB\":512}", FNS "/%s", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "runtime"), "nodejs22") == 0 && jpi(r->json, "memoryMB", 0) == 512 &&
	      strcmp(jps(r->json, "name"), "u") == 0 && strcmp(jps(r->json, "envVars.K"), "v") == 0, "%s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s", id);
	CHECK(strcmp(jps(r->json, "code"), HELLO) == 0, "code changed: %s", r->body);
}

static void delete_frees_the_name(void)
{
	char key[128], tenant[80], id[64], again[64];
	signup("del", key, tenant);
	char *b = fn_body("gone", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, id), "create");
	struct resp *r = httpf("DELETE", key, NULL, FNS "/%s", id);
	CHECK_STATUS(r, 200);
	CHECK(json_object_get_boolean(jp(r->json, "deleted")) && strcmp(jps(r->json, "id"), id) == 0, "%s", r->body);
	CHECK_STATUS(httpf("GET", key, NULL, FNS "/%s", id), 404);
	CHECK_STATUS(httpf("DELETE", key, NULL, FNS "/%s", id), 404);
	CHECK(create_fn(key, b, again), "the name is not free again");
	free(b);
	CHECK(strcmp(id, again) != 0, "same id reused");
}

static void a_taken_name_is_409(void)
{
	char key[128], tenant[80], id[64];
	signup("dup", key, tenant);
	char *b = fn_body("same", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, id), "create");
	struct resp *r = http("POST", FNS, key, b);
	free(b);
	CHECK_STATUS(r, 409);
	CHECK(strcmp(jps(r->json, "code"), "CONFLICT") == 0, "%s", r->body);
	r = http("GET", FNS, key, NULL);
	CHECK(json_object_array_length(jp(r->json, "functions")) == 1, "a second function was stored: %s", r->body);
}

static void deploy_publishes_a_version(void)
{
	char key[128], tenant[80], id[64];
	signup("dep", key, tenant);
	char *b = fn_body("dep", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, id), "create");
	free(b);
	struct resp *r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "id"), id) == 0 && strcmp(jps(r->json, "status"), "deployed") == 0 &&
	      jps(r->json, "deployedAt") && jpi(r->json, "version", 0) == 1, "%s", r->body);
	/* Deploying an unchanged draft publishes nothing new, as Lambda's PublishVersion. */
	r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "version", 0) == 1, "%s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s", id);
	CHECK(strcmp(jps(r->json, "status"), "deployed") == 0, "%s", r->body);
}

static void the_deployed_code_serves_until_the_next_deploy(void)
{
	char key[128], tenant[80], id[64];
	signup("pend", key, tenant);
	char *b = fn_body("pend", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, id), "create");
	free(b);
	CHECK(deploy_fn(key, id), "deploy");
	struct resp *r = invoke_fn(key, id, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "body"), "v1") == 0, "%s", r->body);
	json_object *upd = json_object_new_object();
	json_object_object_add(upd, "code", json_object_new_string("exports.handler = async () => ({ statusCode: 200, body: 'v2' })"));
	r = httpf("PUT", key, json_object_to_json_string(upd), FNS "/%s", id);
	json_object_put(upd);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "status"), "pending_deploy") == 0, "status after update: %s", r->body);
	r = invoke_fn(key, id, NULL);
	CHECK(strcmp(jps(r->json, "body"), "v1") == 0, "the undeployed update serves: %s", r->body);
	r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK(jpi(r->json, "version", 0) == 2 && strcmp(jps(r->json, "status"), "deployed") == 0, "%s", r->body);
	r = invoke_fn(key, id, NULL);
	CHECK(strcmp(jps(r->json, "body"), "v2") == 0, "the new deploy does not serve: %s", r->body);
}

static void invoking_a_never_deployed_function_is_409(void)
{
	char key[128], tenant[80], id[64];
	signup("nodep", key, tenant);
	char *b = fn_body("nodep", "nodejs20", "index.handler", HELLO, NULL);
	CHECK(create_fn(key, b, id), "create");
	free(b);
	struct resp *r = invoke_fn(key, id, "{}");
	CHECK_STATUS(r, 409);
	CHECK(strcmp(jps(r->json, "code"), "NOT_DEPLOYED") == 0 && strstr(jps(r->json, "error"), "deploy"), "%s", r->body);
}

static void inline_code_is_stored_as_the_file_the_handler_names(void)
{
	char key[128], tenant[80], id[64];
	signup("files", key, tenant);
	struct { const char *runtime, *handler, *code, *want; } cases[] = {
		{ "nodejs20", "index.handler", "export const handler = async () => 'esm';", "esm" },
		{ "nodejs20", "src/app.main", "module.exports.main = async () => 'nested';", "nested" },
		{ "python3.11", "main.handler", "def handler(event, context):\n    return __file__\n", "/var/task/main.py" },
		{ "python3.11", "pkg.mod.fn", "def fn(event, context):\n    return __name__\n", "pkg.mod" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char name[32];
		snprintf(name, sizeof(name), "file-%zu", i);
		char *b = fn_body(name, cases[i].runtime, cases[i].handler, cases[i].code, NULL);
		CHECK(create_fn(key, b, id), "create %s", cases[i].handler);
		free(b);
		CHECK(deploy_fn(key, id), "deploy %s", cases[i].handler);
		struct resp *r = invoke_fn(key, id, NULL);
		CHECK_STATUS(r, 200);
		CHECK(jps(r->json, "body") && strcmp(jps(r->json, "body"), cases[i].want) == 0, "%s: %s", cases[i].handler, r->body);
	}
}

static const struct test tests[] = {
	{ "create returns the function by fn_ id with status created", create_returns_the_function_by_fn_id },
	{ "timeout, memory and trigger default as Lambda's", defaults_are_lambdas },
	{ "list shows the tenant's functions", list_shows_the_tenants_functions },
	{ "update changes only the fields sent", update_changes_only_the_fields_sent },
	{ "delete answers deleted and frees the name", delete_frees_the_name },
	{ "a taken name is 409 and stores nothing", a_taken_name_is_409 },
	{ "deploy publishes a version; an unchanged redeploy does not", deploy_publishes_a_version },
	{ "the deployed code serves until the next deploy; status says a deploy is pending", the_deployed_code_serves_until_the_next_deploy },
	{ "invoking a never-deployed function is 409 NOT_DEPLOYED", invoking_a_never_deployed_function_is_409 },
	{ "inline code is stored as the file the handler names (js, mjs, nested, py, package)", inline_code_is_stored_as_the_file_the_handler_names },
};
const struct suite suite_tau_functions = { tests, sizeof(tests) / sizeof(tests[0]) };
