/* TauFunctions: every error the reference lists, provoked for real, in its format. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"

#define FNS "/saas/api/v1/sdk/tau/functions"

/* The reference's error format: {"error": message, "code": CODE, "status": n}. */
static bool tau_error(const struct resp *r, long status, const char *code)
{
	return r->status == status && jps(r->json, "error") && jps(r->json, "code") &&
	       strcmp(jps(r->json, "code"), code) == 0 && jpi(r->json, "status", 0) == status;
}

static bool has_detail(const struct resp *r, const char *field)
{
	json_object *d = jp(r->json, "details");
	for (size_t i = 0; d && i < json_object_array_length(d); i++)
		if (strcmp(jps(json_object_array_get_idx(d, i), "field"), field) == 0)
			return true;
	return false;
}

static void missing_or_invalid_keys_are_401(void)
{
	struct resp *r = http("GET", FNS, NULL, NULL);
	CHECK(tau_error(r, 401, "UNAUTHORIZED"), "no key: %ld %s", r->status, r->body);
	r = http("GET", FNS, "tf_free_notarealkeynotarealkeynotarealkey12345", NULL);
	CHECK(tau_error(r, 401, "UNAUTHORIZED"), "bad key: %s", r->body);
	r = http("GET", FNS, "something-else", NULL);
	CHECK(tau_error(r, 401, "UNAUTHORIZED"), "not a key: %s", r->body);
	r = http_raw("GET", FNS, "Authorization: Basic dXNlcjpwYXNz", NULL, 0);
	CHECK(tau_error(r, 401, "UNAUTHORIZED"), "basic auth: %s", r->body);
	r = http("POST", "/api/billing/upgrade", NULL, NULL);
	CHECK(tau_error(r, 401, "UNAUTHORIZED"), "upgrade without key: %s", r->body);
}

static void unknown_functions_and_routes_are_404(void)
{
	char key[128], tenant[80];
	signup("e404", key, tenant);
	struct resp *r = http("GET", FNS "/fn_doesnotexist0000000", key, NULL);
	CHECK(tau_error(r, 404, "NOT_FOUND"), "%s", r->body);
	r = http("POST", FNS "/fn_doesnotexist0000000/invoke", key, "{}");
	CHECK(tau_error(r, 404, "NOT_FOUND"), "%s", r->body);
	r = http("GET", "/saas/api/v1/sdk/tau/nothing-here", key, NULL);
	CHECK(tau_error(r, 404, "NOT_FOUND"), "%s", r->body);
	r = http("PATCH", FNS, key, "{}");
	CHECK(tau_error(r, 405, "METHOD_NOT_ALLOWED"), "%s", r->body);
}

static void create_names_each_bad_field(void)
{
	char key[128], tenant[80];
	signup("e422", key, tenant);
	struct resp *r = http("POST", FNS, key, "{}");
	CHECK(tau_error(r, 422, "VALIDATION_ERROR"), "%s", r->body);
	CHECK(has_detail(r, "name") && has_detail(r, "runtime") && has_detail(r, "handler") && has_detail(r, "code"),
	      "required fields: %s", r->body);
	struct { const char *extra, *field; } cases[] = {
		{ "{\"runtime\":\"cobol\"}", "runtime" },
		{ "{\"memoryMB\":100}", "memoryMB" },
		{ "{\"memoryMB\":130}", "memoryMB" },
		{ "{\"memoryMB\":20480}", "memoryMB" },
		{ "{\"timeout\":0}", "timeout" },
		{ "{\"timeout\":901}", "timeout" },
		{ "{\"timeout\":\"5\"}", "timeout" },
		{ "{\"envVars\":{\"A\":1}}", "envVars" },
		{ "{\"envVars\":{\"1BAD\":\"x\"}}", "envVars" },
		{ "{\"envVars\":[\"A\"]}", "envVars" },
		{ "{\"trigger\":\"sometimes\"}", "trigger" },
		{ "{\"handler\":\"index\"}", "handler" },
		{ "{\"handler\":\"../etc.handler\"}", "handler" },
		{ "{\"name\":\"has space\"}", "name" },
		{ "{\"colour\":\"blue\"}", "colour" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		json_object *o = json_tokener_parse("{\"name\":\"ok\",\"runtime\":\"nodejs20\",\"handler\":\"index.handler\",\"code\":\"x\"}");
		json_object *extra = json_tokener_parse(cases[i].extra);
		json_object_object_foreach(extra, k, v)
			json_object_object_add(o, k, json_object_get(v));
		r = http("POST", FNS, key, json_object_to_json_string(o));
		json_object_put(o);
		json_object_put(extra);
		CHECK(tau_error(r, 422, "VALIDATION_ERROR") && has_detail(r, cases[i].field), "%s: %s", cases[i].extra, r->body);
	}
	r = http("POST", FNS, key, "{\"name\": \"x\", ");
	CHECK(tau_error(r, 422, "VALIDATION_ERROR") && has_detail(r, "body"), "broken JSON: %s", r->body);
	r = http("POST", FNS, key, "[1,2]");
	CHECK(tau_error(r, 422, "VALIDATION_ERROR") && has_detail(r, "body"), "array body: %s", r->body);
	/* Nothing was stored by any of these. */
	r = http("GET", FNS, key, NULL);
	CHECK(json_object_array_length(jp(r->json, "functions")) == 0, "a rejected create stored a function: %s", r->body);
}

static void a_rejected_update_changes_nothing(void)
{
	char key[128], tenant[80], id[64];
	signup("eupd", key, tenant);
	char *b = fn_body("keep", "nodejs20", "index.handler", "exports.handler=async()=>1", "{\"memoryMB\":256}");
	CHECK(create_fn(key, b, id), "create");
	free(b);
	struct resp *r = httpf("PUT", key, "{\"memoryMB\":512,\"timeout\":9999}", FNS "/%s", id);
	CHECK(tau_error(r, 422, "VALIDATION_ERROR") && has_detail(r, "timeout"), "%s", r->body);
	r = httpf("GET", key, NULL, FNS "/%s", id);
	CHECK(jpi(r->json, "memoryMB", 0) == 256 && jpi(r->json, "timeout", 0) == 3, "changed: %s", r->body);
}

static void logs_query_parameters_are_validated(void)
{
	char key[128], tenant[80], id[64];
	signup("elogs", key, tenant);
	char *b = fn_body("q", "nodejs20", "index.handler", "exports.handler=async()=>1", NULL);
	CHECK(create_fn(key, b, id), "create");
	free(b);
	const char *bad[] = { "?limit=0", "?limit=abc", "?limit=100000", "?since=yesterday", "?since=2026-13-01T00:00:00Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct resp *r = httpf("GET", key, NULL, FNS "/%s/logs%s", id, bad[i]);
		CHECK(tau_error(r, 422, "VALIDATION_ERROR"), "%s: %s", bad[i], r->body);
	}
}

static void a_body_over_nginxs_cap_is_413_json(void)
{
	char key[128], tenant[80];
	signup("e413", key, tenant);
	size_t n = 8 * 1024 * 1024;
	char *body = malloc(n + 1);
	memset(body, ' ', n);
	body[n] = '\0';
	body[0] = '{';
	body[n - 1] = '}';
	struct resp *r = http("POST", FNS, key, body);
	free(body);
	CHECK(r->status == 413 && jps(r->json, "code") && strcmp(jps(r->json, "code"), "PAYLOAD_TOO_LARGE") == 0,
	      "%ld %.300s", r->status, r->body);
}

static void too_many_requests_are_429_with_retry_after(void)
{
	char key[128], tenant[80], hdr[64];
	signup("e429", key, tenant);
	struct resp *r = NULL;
	/* Deletes are limited to 10 a minute per caller. */
	for (int i = 0; i < 11; i++) {
		r = http("DELETE", FNS "/fn_nosuchfunction000000", key, NULL);
		if (i < 10) {
			CHECK(r->status == 404, "request %d: %ld", i, r->status);
			CHECK(resp_header(r, "X-RateLimit-Limit", hdr, sizeof(hdr)) && strcmp(hdr, "10") == 0, "%s", r->headers);
		}
	}
	CHECK(tau_error(r, 429, "RATE_LIMIT_EXCEEDED"), "%s", r->body);
	CHECK(resp_header(r, "Retry-After", hdr, sizeof(hdr)) && atoi(hdr) >= 1 && atoi(hdr) <= 60, "%s", r->headers);
	CHECK(resp_header(r, "X-RateLimit-Remaining", hdr, sizeof(hdr)) && strcmp(hdr, "0") == 0, "%s", r->headers);
	CHECK(resp_header(r, "X-RateLimit-Reset", hdr, sizeof(hdr)), "%s", r->headers);
	/* Other classes of the same caller are not affected. */
	CHECK_STATUS(http("GET", FNS, key, NULL), 200);
}

static const struct test tests[] = {
	{ "missing or invalid API keys are 401", missing_or_invalid_keys_are_401 },
	{ "unknown functions and routes are 404, a wrong method 405", unknown_functions_and_routes_are_404 },
	{ "create names each bad field in a 422 and stores nothing", create_names_each_bad_field },
	{ "a rejected update changes nothing", a_rejected_update_changes_nothing },
	{ "logs query parameters are validated", logs_query_parameters_are_validated },
	{ "a body over nginx's cap is a JSON 413", a_body_over_nginxs_cap_is_413_json },
	{ "too many requests are 429 with Retry-After and rate-limit headers", too_many_requests_are_429_with_retry_after },
};
const struct suite suite_tau_errors = { tests, sizeof(tests) / sizeof(tests[0]) };
