/*
 * The front door, as a newcomer with only the base URL meets it: the index,
 * /llms.txt followed word for word, /openapi.json against the endpoints both
 * references name, and errors that say what to do next.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

static const char *base_url(void)
{
	const char *b = getenv("TF_BASE_URL");
	return b ? b : "";
}

static void the_index_points_to_signup_the_apis_and_the_documents(void)
{
	char want[512], type[128];
	struct resp *r = http("GET", "/", NULL, NULL);
	snprintf(want, sizeof(want), "%s/api/signup", base_url());
	CHECK(r->status == 200 && jis(r->json, "name", "TauFunctions") && jps(r->json, "version") &&
	      jis(r->json, "start.url", want) && jis(r->json, "start.method", "POST"), "%ld %s", r->status, r->body);
	snprintf(want, sizeof(want), "%s/saas/api/v1/sdk/tau", base_url());
	CHECK(jis(r->json, "apis.tau.baseUrl", want), "%s", r->body);
	snprintf(want, sizeof(want), "%s/api/v1", base_url());
	CHECK(jis(r->json, "apis.platform.baseUrl", want), "%s", r->body);
	snprintf(want, sizeof(want), "%s/llms.txt", base_url());
	CHECK(jis(r->json, "documents.llmsTxt", want) && jps(r->json, "documents.openapi"), "%s", r->body);
	/* A browser gets a page with the same. */
	r = http_with_headers("GET", "/", NULL, NULL, "Accept: text/html,application/xhtml+xml");
	CHECK(r->status == 200 && resp_header(r, "Content-Type", type, sizeof(type)) && strncmp(type, "text/html", 9) == 0 &&
	      strstr(r->body, "<h1>TauFunctions</h1>") && strstr(r->body, "/api/signup") && strstr(r->body, "/llms.txt"),
	      "%ld %s", r->status, r->body);
}

/* The text of the first '-d '…'' after marker in text, into out. */
static bool body_after(const char *text, const char *marker, char *out, size_t n)
{
	const char *m = strstr(text, marker);
	const char *d = m ? strstr(m, "-d '") : NULL;
	const char *e = d ? strchr(d + 4, '\'') : NULL;
	if (e == NULL || (size_t)(e - d - 4) >= n)
		return false;
	snprintf(out, n, "%.*s", (int)(e - d - 4), d + 4);
	return true;
}

/*
 * An agent that reads only /llms.txt: its bodies sent as they are written, its
 * steps in order; every answer a success, the first correct invoke in at most 6 calls.
 */
static void llms_txt_walks_a_newcomer_to_an_invoke_without_an_error(void)
{
	char signup_body[256], create_body[1024], type[128], key[128], id[64];
	int calls = 0;
	struct resp *r = http("GET", "/llms.txt", NULL, NULL);
	calls++;
	CHECK(r->status == 200 && resp_header(r, "Content-Type", type, sizeof(type)) && strncmp(type, "text/plain", 10) == 0,
	      "%ld %s", r->status, type);
	char *text = strdup(r->body ? r->body : "");
	CHECK(strstr(text, base_url()) && strstr(text, "@BASE_URL@") == NULL && strstr(text, "@PLANS@") == NULL,
	      "not written for this installation");
	CHECK(strcmp(http("GET", "/.well-known/llms.txt", NULL, NULL)->body, text) == 0, "/.well-known/llms.txt differs");
	/* Its limits are the plans' own, its runtimes the runners'. */
	struct resp *limits = http("GET", "/api/signup/limits", NULL, NULL);
	char row[128];
	snprintf(row, sizeof(row), "| free | %lld | %lld | %lld |", jpi(limits->json, "free.functions", -1),
	         jpi(limits->json, "free.invocationsPerDay", -1), jpi(limits->json, "free.apiKeys", -1));
	CHECK(strstr(text, row), "no row %s", row);
	CHECK(body_after(text, "## 1.", signup_body, sizeof(signup_body)) &&
	      body_after(text, "## 2.", create_body, sizeof(create_body)), "no bodies to follow");
	/* Step 1, with a name of its own (the example's may be taken by another test run). */
	char tenant[80], *p = strstr(signup_body, "my-project");
	unique("agent", tenant, sizeof(tenant));
	CHECK(p != NULL, "%s", signup_body);
	char body[256];
	snprintf(body, sizeof(body), "%.*s%s%s", (int)(p - signup_body), signup_body, tenant, p + strlen("my-project"));
	r = http("POST", "/api/signup", NULL, body);
	calls++;
	CHECK(r->status == 201 || r->status == 200, "signup: %ld %s", r->status, r->body);
	snprintf(key, sizeof(key), "%s", jps(r->json, "apiKey") ? jps(r->json, "apiKey") : "");
	r = http("GET", "/saas/api/v1/sdk/tau/runtimes", key, NULL);
	for (size_t i = 0; i < json_object_array_length(jp(r->json, "runtimes")); i++) {
		char mention[64];
		snprintf(mention, sizeof(mention), "`%s`", jps(json_object_array_get_idx(jp(r->json, "runtimes"), i), "id"));
		CHECK(strstr(text, mention), "runtime %s is not named", mention);
	}
	/* Steps 2-4 (the shell's \" inside the quotes is the JSON's own escape). */
	r = http("POST", "/saas/api/v1/sdk/tau/functions", key, create_body);
	calls++;
	CHECK(r->status == 201 && jps(r->json, "id"), "create: %ld %s", r->status, r->body);
	snprintf(id, sizeof(id), "%s", jps(r->json, "id") ? jps(r->json, "id") : "");
	r = httpf("POST", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/deploy", id);
	calls++;
	CHECK(r->status == 200, "deploy: %ld %s", r->status, r->body);
	r = httpf("POST", key, "{\"payload\":{\"name\":\"World\"}}", "/saas/api/v1/sdk/tau/functions/%s/invoke", id);
	calls++;
	CHECK(r->status == 200 && r->body && strstr(r->body, "World") && jp(r->json, "errorType") == NULL, "invoke: %ld %s",
	      r->status, r->body);
	CHECK(calls <= 6, "%d calls to the first invoke", calls);
	r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/logs?limit=50", id);
	CHECK(r->status == 200 && jp(r->json, "logs"), "logs: %ld %s", r->status, r->body);
	free(text);
}

/* Whether value satisfies the subset of JSON Schema /openapi.json uses for bodies; why says where not. */
static bool schema_ok(json_object *schema, json_object *value, char *why, size_t n)
{
	const char *type = jps(schema, "type");
	if (type == NULL)
		return true;
	bool ok = (strcmp(type, "object") == 0 && json_object_is_type(value, json_type_object)) ||
	          (strcmp(type, "array") == 0 && json_object_is_type(value, json_type_array)) ||
	          (strcmp(type, "string") == 0 && json_object_is_type(value, json_type_string)) ||
	          (strcmp(type, "integer") == 0 && json_object_is_type(value, json_type_int)) ||
	          (strcmp(type, "number") == 0 && (json_object_is_type(value, json_type_int) || json_object_is_type(value, json_type_double))) ||
	          (strcmp(type, "boolean") == 0 && json_object_is_type(value, json_type_boolean));
	if (!ok) {
		snprintf(why, n, "not a%s %s", type[0] == 'a' || type[0] == 'i' || type[0] == 'o' ? "n" : "", type);
		return false;
	}
	if (strcmp(type, "string") == 0) {
		long long len = json_object_get_string_len(value);
		if (len < jpi(schema, "minLength", 0) || len > jpi(schema, "maxLength", 1LL << 40)) {
			snprintf(why, n, "a string of %lld characters", len);
			return false;
		}
	}
	if (strcmp(type, "integer") == 0) {
		long long v = json_object_get_int64(value);
		if (v < jpi(schema, "minimum", -(1LL << 62)) || v > jpi(schema, "maximum", 1LL << 62)) {
			snprintf(why, n, "%lld is out of range", v);
			return false;
		}
	}
	if (strcmp(type, "object") == 0) {
		json_object *props = jp(schema, "properties"), *req = jp(schema, "required");
		for (size_t i = 0; req && i < json_object_array_length(req); i++) {
			const char *name = json_object_get_string(json_object_array_get_idx(req, i));
			if (jp(value, name) == NULL) {
				snprintf(why, n, "%s is required", name);
				return false;
			}
		}
		json_object_object_foreach(value, k, v) {
			json_object *ps = NULL;
			if (props && json_object_object_get_ex(props, k, &ps)) {
				if (!schema_ok(ps, v, why, n))
					return false;
			} else if (json_object_is_type(jp(schema, "additionalProperties"), json_type_boolean) &&
			           !json_object_get_boolean(jp(schema, "additionalProperties"))) {
				snprintf(why, n, "%s is not a property", k);
				return false;
			}
		}
	}
	return true;
}

/* Every endpoint both references name, and the ones beyond them. */
static const char *const endpoints[][2] = {
	{ "post", "/api/signup" }, { "get", "/api/signup/limits" }, { "post", "/api/billing/upgrade" },
	{ "get", "/api/account" }, { "post", "/api/keys" }, { "get", "/api/keys" }, { "delete", "/api/keys/{id}" },
	{ "post", "/saas/api/v1/sdk/tau/functions" }, { "get", "/saas/api/v1/sdk/tau/functions" },
	{ "get", "/saas/api/v1/sdk/tau/functions/{id}" }, { "put", "/saas/api/v1/sdk/tau/functions/{id}" },
	{ "delete", "/saas/api/v1/sdk/tau/functions/{id}" }, { "post", "/saas/api/v1/sdk/tau/functions/{id}/deploy" },
	{ "post", "/saas/api/v1/sdk/tau/functions/{id}/invoke" }, { "get", "/saas/api/v1/sdk/tau/functions/{id}/stats" },
	{ "get", "/saas/api/v1/sdk/tau/functions/{id}/logs" }, { "get", "/saas/api/v1/sdk/tau/runtimes" },
	{ "post", "/api/v1/authentication/login" }, { "post", "/api/v1/functions" }, { "get", "/api/v1/functions" },
	{ "get", "/api/v1/functions/{name}" }, { "put", "/api/v1/functions/{name}" }, { "delete", "/api/v1/functions/{name}" },
	{ "get", "/api/v1/functions/{name}/metrics" }, { "post", "/api/v1/functions/{name}/versions" },
	{ "get", "/api/v1/functions/{name}/versions" }, { "get", "/api/v1/functions/{name}/versions/{version}" },
	{ "delete", "/api/v1/functions/{name}/versions/{version}" }, { "post", "/api/v1/functions/{name}/aliases" },
	{ "get", "/api/v1/functions/{name}/aliases/{alias}" }, { "put", "/api/v1/functions/{name}/aliases/{alias}" },
	{ "delete", "/api/v1/functions/{name}/aliases/{alias}" }, { "post", "/api/v1/deployments" },
	{ "get", "/api/v1/deployments" }, { "get", "/api/v1/deployments/{id}" }, { "post", "/api/v1/deployments/{id}/rollback" },
	{ "post", "/api/v1/functions/{name}/triggers" }, { "put", "/api/v1/functions/{name}/triggers/{id}/enable" },
	{ "put", "/api/v1/functions/{name}/triggers/{id}/disable" }, { "delete", "/api/v1/functions/{name}/triggers/{id}" },
	{ "post", "/api/v1/functions/{name}/invoke" }, { "post", "/api/v1/functions/{name}/invoke-async" },
	{ "get", "/api/v1/functions/{name}/invocations/{requestId}" }, { "get", "/api/v1/runners" },
	{ "get", "/api/v1/runners/{nodeId}" }, { "post", "/api/v1/events" }, { "get", "/fn/{tenant}/{path}" },
	{ "post", "/hooks/{token}" }, { "get", "/health" }, { "get", "/llms.txt" }, { "get", "/openapi.json" },
	{ "get", "/" }, { "get", "/.well-known/llms.txt" }, { "get", "/api/v1/openapi.json" }, { "post", "/api/v1/users" },
	{ "get", "/api/v1/users" }, { "delete", "/api/v1/users/{username}" }, { "put", "/api/v1/users/{username}/password" },
	{ "get", "/api/v1/functions/{name}/invocations/{requestId}/logs" },
	{ "post", "/api/v1/functions/{name}/invocations/{requestId}/redrive" },
	{ "get", "/api/v1/functions/{name}/dead-letters" }, { "get", "/api/v1/functions/{name}/triggers" },
	{ "get", "/api/v1/functions/{name}/triggers/{id}" }, { "post", "/api/v1/functions/{name}/triggers/{id}/secret" },
	{ "put", "/fn/{tenant}/{path}" }, { "delete", "/fn/{tenant}/{path}" },
};

static void openapi_has_every_endpoint_and_its_examples_validate(void)
{
	struct resp *r = http("GET", "/openapi.json", NULL, NULL);
	CHECK(r->status == 200 && jis(r->json, "openapi", "3.1.0") && jp(r->json, "paths"), "%ld %.300s", r->status, r->body);
	json_object *paths = jp(r->json, "paths");
	for (size_t i = 0; i < sizeof(endpoints) / sizeof(endpoints[0]); i++) {
		json_object *item = NULL, *op = NULL;
		CHECK(json_object_object_get_ex(paths, endpoints[i][1], &item) && json_object_object_get_ex(item, endpoints[i][0], &op),
		      "%s %s is not in /openapi.json", endpoints[i][0], endpoints[i][1]);
	}
	int examples = 0;
	json_object_object_foreach(paths, path, item) {
		json_object_object_foreach(item, method, op) {
			json_object *media = jp(op, "requestBody.content.application/json");
			json_object *schema = jp(media, "schema"), *example = jp(media, "example");
			char why[160] = "";
			if (example == NULL)
				continue;
			examples++;
			CHECK(schema_ok(schema, example, why, sizeof(why)), "%s %s: its example does not validate: %s", method, path, why);
			/* The validator can fail: the example less a required field does not pass. */
			json_object *req = jp(schema, "required");
			if (req && json_object_array_length(req) > 0) {
				json_object *copy = NULL;
				json_object_deep_copy(example, &copy, NULL);
				json_object_object_del(copy, json_object_get_string(json_object_array_get_idx(req, 0)));
				CHECK(!schema_ok(schema, copy, why, sizeof(why)), "%s %s: a body without a required field passes", method, path);
				json_object_put(copy);
			}
		}
	}
	CHECK(examples >= 15, "only %d documented examples", examples);
	/* The platform's own path gives the same document. */
	struct resp *again = http("GET", "/api/v1/openapi.json", NULL, NULL);
	CHECK(again->status == 200 && json_object_object_length(jp(again->json, "paths")) == json_object_object_length(paths),
	      "%ld", again->status);
}

static void errors_say_what_to_do_next(void)
{
	char key[128], tenant[80], id[64], allow[64], want[512];
	signup("hints", key, tenant);
	/* No key: where to get one. */
	struct resp *r = http("GET", "/saas/api/v1/sdk/tau/functions", NULL, NULL);
	snprintf(want, sizeof(want), "%s/api/signup", base_url());
	CHECK(r->status == 401 && strstr(jps(r->json, "error"), want) && jps(r->json, "help") && strstr(jps(r->json, "help"), want),
	      "%ld %s", r->status, r->body);
	/* Not deployed: the deploy URL. */
	CHECK(create_fn(key, "{\"name\":\"later\",\"runtime\":\"python3.11\",\"handler\":\"main.handler\","
	                     "\"code\":\"def handler(e, c):\\n    return 1\\n\"}", id), "create");
	r = httpf("POST", key, "{}", "/saas/api/v1/sdk/tau/functions/%s/invoke", id);
	snprintf(want, sizeof(want), "%s/saas/api/v1/sdk/tau/functions/%s/deploy", base_url(), id);
	CHECK(r->status == 409 && jis(r->json, "code", "NOT_DEPLOYED") && jps(r->json, "help") && strstr(jps(r->json, "help"), want),
	      "%ld %s", r->status, r->body);
	/* An unknown field: the accepted ones. */
	r = httpf("POST", key, "{\"payloads\":{}}", "/saas/api/v1/sdk/tau/functions/%s/invoke", id);
	CHECK(r->status == 422 && strstr(r->body, "the accepted fields are payload"), "%ld %s", r->status, r->body);
	r = http("POST", V1 "/functions", key, "{\"name\":\"x\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"memory\":256}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && strstr(r->body, "memorySize"), "%ld %s", r->status, r->body);
	/* A method the path does not take: Allow, and the message lists them. */
	r = http("DELETE", "/api/signup", NULL, NULL);
	CHECK(r->status == 405 && resp_header(r, "Allow", allow, sizeof(allow)) && strcmp(allow, "POST") == 0 &&
	      strstr(jps(r->json, "error"), "POST"), "%ld %s", r->status, r->headers);
	r = http("PATCH", V1 "/functions/later", key, "{}");
	CHECK(r->status == 405 && resp_header(r, "Allow", allow, sizeof(allow)) && strstr(allow, "GET") && strstr(allow, "PUT") &&
	      strstr(allow, "DELETE"), "%ld %s", r->status, r->headers);
	/* An unknown path, on each surface and outside both: /llms.txt. */
	static const char *const unknown[] = { "/nothing-here", "/api/nothing", "/saas/api/v1/sdk/tau/nothing", V1 "/nothing" };
	for (size_t i = 0; i < sizeof(unknown) / sizeof(unknown[0]); i++) {
		r = http("GET", unknown[i], key, NULL);
		bool platform = strncmp(unknown[i], V1, strlen(V1)) == 0;
		CHECK(r->status == 404 && strstr(r->body, "/llms.txt") &&
		      (platform ? platform_error(r, 404, "NOT_FOUND") : jis(r->json, "code", "NOT_FOUND")),
		      "%s: %ld %s", unknown[i], r->status, r->body);
	}
}

static const struct test tests[] = {
	{ "front door: GET / points to signup, both APIs and the documents; a browser gets a page",
	  the_index_points_to_signup_the_apis_and_the_documents },
	{ "front door: /llms.txt, followed as written, reaches an invoke in 5 calls without an error",
	  llms_txt_walks_a_newcomer_to_an_invoke_without_an_error },
	{ "front door: /openapi.json has every endpoint, and each documented example validates",
	  openapi_has_every_endpoint_and_its_examples_validate },
	{ "front door: errors say what to do next (signup, deploy URL, accepted fields, Allow, /llms.txt)",
	  errors_say_what_to_do_next },
};
const struct suite suite_frontdoor = { tests, sizeof(tests) / sizeof(tests[0]) };
