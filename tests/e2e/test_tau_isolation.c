/* Tenants are walls: another tenant's fn_ id is 404 on every endpoint and stays untouched. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"

static void another_tenants_function_is_404_everywhere(void)
{
	char a[128], b[128], ta[80], tb[80], id[64];
	signup("walla", a, ta);
	signup("wallb", b, tb);
	char *body = fn_body("secret", "nodejs20", "index.handler", "exports.handler = async () => 'mine'",
	                     "{\"envVars\":{\"TOKEN\":\"s3cr3t\"}}");
	CHECK(create_fn(a, body, id), "create");
	free(body);
	CHECK(deploy_fn(a, id), "deploy");
	CHECK_STATUS(invoke_fn(a, id, NULL), 200);

	struct { const char *method, *suffix, *body; } eps[] = {
		{ "GET", "", NULL },
		{ "PUT", "", "{\"description\":\"taken over\"}" },
		{ "DELETE", "", NULL },
		{ "POST", "/deploy", NULL },
		{ "POST", "/invoke", "{\"payload\":{}}" },
		{ "GET", "/stats", NULL },
		{ "GET", "/logs", NULL },
	};
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		struct resp *r = httpf(eps[i].method, b, eps[i].body, FNS "/%s%s", id, eps[i].suffix);
		CHECK(r->status == 404 && strcmp(jps(r->json, "code"), "NOT_FOUND") == 0, "%s %s: %ld %s",
		      eps[i].method, eps[i].suffix, r->status, r->body);
		CHECK(strstr(r->body, "s3cr3t") == NULL, "leaked: %s", r->body);
	}
	struct resp *r = http("GET", FNS, b, NULL);
	CHECK(json_object_array_length(jp(r->json, "functions")) == 0, "listed: %s", r->body);
	/* A's function is as it was. */
	r = httpf("GET", a, NULL, FNS "/%s", id);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "description"), "") == 0 && strcmp(jps(r->json, "status"), "deployed") == 0, "%s", r->body);
	r = invoke_fn(a, id, NULL);
	CHECK(strcmp(jps(r->json, "body"), "mine") == 0, "%s", r->body);
}

static void the_same_name_lives_in_two_tenants(void)
{
	char a[128], b[128], ta[80], tb[80], ida[64], idb[64];
	signup("samea", a, ta);
	signup("sameb", b, tb);
	char *body = fn_body("shared-name", "nodejs20", "index.handler", "exports.handler = async () => 1", NULL);
	CHECK(create_fn(a, body, ida), "create in a");
	CHECK(create_fn(b, body, idb), "create in b");
	free(body);
	CHECK(strcmp(ida, idb) != 0, "same id");
}

static void another_tenants_key_cannot_be_revoked(void)
{
	char a[128], b[128], ta[80], tb[80], kid[64];
	signup("keya", a, ta);
	signup("keyb", b, tb);
	struct resp *r = http("GET", "/api/keys", a, NULL);
	snprintf(kid, sizeof(kid), "%s", jps(r->json, "keys.0.id"));
	r = httpf("DELETE", b, NULL, "/api/keys/%s", kid);
	CHECK_STATUS(r, 404);
	CHECK_STATUS(http("GET", "/api/keys", a, NULL), 200);
}

static const struct test tests[] = {
	{ "another tenant's function is 404 on every fn_ endpoint and untouched", another_tenants_function_is_404_everywhere },
	{ "two tenants may use the same function name", the_same_name_lives_in_two_tenants },
	{ "another tenant's API key cannot be revoked", another_tenants_key_cannot_be_revoked },
};
const struct suite suite_tau_isolation = { tests, sizeof(tests) / sizeof(tests[0]) };
