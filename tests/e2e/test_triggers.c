/*
 * Triggers: the Triggers API of the platform reference and the TauFunctions
 * `trigger` field, public HTTP routes (API Gateway's payload format 2.0),
 * events and signed webhooks, over HTTP through nginx.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

/* Answers with the event it got, and sets a cookie and a header from the query. */
static const char ECHO[] =
	"import json\n"
	"def handler(event, context):\n"
	"    return {'statusCode': 200, 'headers': {'content-type': 'application/json', 'x-echo': 'yes'},\n"
	"            'cookies': ['seen=1; Path=/', 'again=2'], 'body': json.dumps(event)}\n";

/* Answers with the event it got. */
static const char TICKER[] = "def handler(event, context):\n    return event\n";

/* Answers a binary body back as it came. */
static const char BINARY[] =
	"def handler(event, context):\n"
	"    return {'statusCode': 201, 'headers': {'content-type': 'application/octet-stream'},\n"
	"            'isBase64Encoded': True, 'body': event.get('body', '')}\n";

static bool fn_with(const char *key, const char *name, const char *code)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}", name);
	return http("POST", V1 "/functions", key, body)->status == 201 && upload_version(key, name, code) == 1;
}

/* Creates a trigger; its id into id (and its url into url when given). */
static bool add_trigger(const char *key, const char *fn, const char *body, char id[64], char *url, size_t n)
{
	struct resp *r = httpf("POST", key, body, V1 "/functions/%s/triggers", fn);
	if (r->status != 201)
		return false;
	snprintf(id, 64, "%s", jps(r->json, "triggerId") ? jps(r->json, "triggerId") : "");
	if (url)
		snprintf(url, n, "%s", jps(r->json, "url") ? jps(r->json, "url") : "");
	return true;
}

/* The path part of an absolute URL the platform gave ("http://host:port/fn/t/x" -> "/fn/t/x"). */
static const char *path_of(const char *url)
{
	const char *p = strstr(url, "://");
	return p ? strchr(p + 3, '/') : url;
}

static void the_references_request_bodies_are_answered_with_every_field_of_its_example(void)
{
	char key[128], tenant[80];
	signup("ref", key, tenant);
	CHECK(fn_with(key, "image-processor", ECHO) && fn_with(key, "cleanup-task", ECHO), "functions");
	CHECK_STATUS(http("POST", V1 "/functions/image-processor/aliases", key, "{\"aliasName\":\"production\",\"version\":1}"), 201);
	/* Verbatim from the reference. */
	struct resp *r = http("POST", V1 "/functions/image-processor/triggers", key,
	                      "{\n  \"type\": \"Http\",\n  \"targetVersion\": \"production\",\n  \"config\": {\n"
	                      "    \"httpPath\": \"/api/process\",\n    \"httpMethods\": [\"POST\"],\n    \"corsEnabled\": true\n  }\n}");
	CHECK_STATUS(r, 201);
	const char *fields[] = { "triggerId", "functionName", "type", "isEnabled", "config", "createdAt" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		CHECK(jp(r->json, fields[i]), "no %s: %s", fields[i], r->body);
	CHECK(strncmp(jps(r->json, "triggerId"), "trigger-", 8) == 0 && jis(r->json, "functionName", "image-processor") &&
	      jis(r->json, "type", "Http") && json_object_get_boolean(jp(r->json, "isEnabled")) &&
	      jis(r->json, "config.httpPath", "/api/process") && jis(r->json, "config.httpMethods.0", "POST") &&
	      json_object_get_boolean(jp(r->json, "config.corsEnabled")) && jis(r->json, "targetVersion", "production"),
	      "%s", r->body);
	CHECK(jps(r->json, "url") && strstr(jps(r->json, "url"), "/fn/") && strstr(jps(r->json, "url"), "/api/process"),
	      "no url: %s", r->body);
	r = http("POST", V1 "/functions/cleanup-task/triggers", key,
	         "{\n  \"type\": \"Scheduled\",\n  \"config\": {\n    \"scheduleExpression\": \"cron(0 2 * * ? *)\",\n"
	         "    \"timezone\": \"America/New_York\"\n  }\n}");
	CHECK_STATUS(r, 201);
	CHECK(jis(r->json, "type", "Scheduled") && jis(r->json, "config.scheduleExpression", "cron(0 2 * * ? *)") &&
	      jis(r->json, "config.timezone", "America/New_York") && jp(r->json, "createdAt"), "%s", r->body);
}

static void triggers_are_listed_read_disabled_enabled_and_deleted_and_walled_off(void)
{
	char key[128], other[128], tenant[80], id[64];
	signup("trig", key, tenant);
	signup("trigother", other, tenant);
	CHECK(fn_with(key, "svc", ECHO), "function");
	CHECK(add_trigger(key, "svc", "{\"type\":\"Manual\"}", id, NULL, 0), "%s", last_resp()->body);
	struct resp *r = http("GET", V1 "/functions/svc/triggers", key, NULL);
	CHECK(r->status == 200 && jpi(r->json, "total", 0) == 1 && jis(r->json, "triggers.0.triggerId", id), "%s", r->body);
	r = httpf("PUT", key, NULL, V1 "/functions/svc/triggers/%s/disable", id);
	CHECK(r->status == 200 && jis(r->json, "triggerId", id) && !json_object_get_boolean(jp(r->json, "isEnabled")) &&
	      jp(r->json, "updatedAt"), "%s", r->body);
	r = httpf("GET", key, NULL, V1 "/functions/svc/triggers/%s", id);
	CHECK(r->status == 200 && !json_object_get_boolean(jp(r->json, "isEnabled")), "%s", r->body);
	r = httpf("PUT", key, NULL, V1 "/functions/svc/triggers/%s/enable", id);
	CHECK(r->status == 200 && json_object_get_boolean(jp(r->json, "isEnabled")), "%s", r->body);
	/* Another tenant sees nothing and changes nothing. */
	CHECK(platform_error(httpf("GET", other, NULL, V1 "/functions/svc/triggers/%s", id), 404, "NOT_FOUND"), "get");
	CHECK(platform_error(httpf("DELETE", other, NULL, V1 "/functions/svc/triggers/%s", id), 404, "NOT_FOUND"), "delete");
	CHECK(platform_error(httpf("PUT", other, NULL, V1 "/functions/svc/triggers/%s/disable", id), 404, "NOT_FOUND"), "disable");
	CHECK_STATUS(httpf("DELETE", key, NULL, V1 "/functions/svc/triggers/%s", id), 204);
	CHECK(platform_error(httpf("GET", key, NULL, V1 "/functions/svc/triggers/%s", id), 404, "NOT_FOUND"), "still there");
}

/* Each bad input is a 400 naming the field, and nothing is stored. */
static void bad_trigger_input_is_refused_with_details_and_stores_nothing(void)
{
	char key[128], tenant[80], id[64];
	signup("badtrig", key, tenant);
	CHECK(fn_with(key, "svc", ECHO), "function");
	static const struct { const char *body, *field, *says; } cases[] = {
		{ "{\"type\":\"Carrier-Pigeon\"}", "type", "Http, Scheduled" },
		{ "{\"type\":\"Scheduled\",\"config\":{\"scheduleExpression\":\"cron(0 0 31 2 ? *)\"}}",
		  "config.scheduleExpression", "never" },
		{ "{\"type\":\"Scheduled\",\"config\":{\"scheduleExpression\":\"rate(5 minute)\"}}", "config.scheduleExpression", "" },
		{ "{\"type\":\"Scheduled\",\"config\":{\"scheduleExpression\":\"rate(1 hour)\",\"timezone\":\"Mars/Olympus\"}}",
		  "config.timezone", "IANA" },
		{ "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/a/../b\"}}", "config.httpPath", "" },
		{ "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/a?b=1\"}}", "config.httpPath", "" },
		{ "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/a\",\"httpMethods\":[\"FETCH\"]}}", "config.httpMethods", "GET" },
		{ "{\"type\":\"Http\",\"config\":{}}", "config.httpPath", "required" },
		{ "{\"type\":\"Event\",\"config\":{}}", "config.topic", "required" },
		{ "{\"type\":\"Http\",\"targetVersion\":7,\"config\":{\"httpPath\":\"/x\"}}", "targetVersion", "does not exist" },
		{ "{\"type\":\"Manual\",\"colour\":\"red\"}", "colour", "not a known field" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp *r = http("POST", V1 "/functions/svc/triggers", key, cases[i].body);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, cases[i].field) &&
		      strstr(r->body, cases[i].says), "%s: %ld %s", cases[i].body, r->status, r->body);
	}
	CHECK(jpi(http("GET", V1 "/functions/svc/triggers", key, NULL)->json, "total", -1) == 0, "something was stored");
	/* At most ten a function (another tenant: creations are limited to 20 a minute for each caller). */
	signup("manytrig", key, tenant);
	CHECK(fn_with(key, "svc", ECHO), "function");
	for (int i = 0; i < 10; i++)
		CHECK(add_trigger(key, "svc", "{\"type\":\"Manual\"}", id, NULL, 0), "trigger %d", i);
	struct resp *r = http("POST", V1 "/functions/svc/triggers", key, "{\"type\":\"Manual\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && strstr(r->body, "at most 10"), "%ld %s", r->status, r->body);
}

static void a_route_another_trigger_serves_is_409(void)
{
	char key[128], tenant[80], id[64];
	signup("collide", key, tenant);
	CHECK(fn_with(key, "one", ECHO) && fn_with(key, "two", ECHO), "functions");
	CHECK(add_trigger(key, "one", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/users/{id}\"}}", id, NULL, 0), "first");
	struct resp *r = http("POST", V1 "/functions/two/triggers", key,
	                      "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/users/{name}\",\"httpMethods\":[\"GET\"]}}");
	CHECK(platform_error(r, 409, "CONFLICT") && names_field(r, "config.httpPath"), "%ld %s", r->status, r->body);
	/* A literal beats a parameter: no collision. */
	CHECK(add_trigger(key, "two", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/users/me\"}}", id, NULL, 0), "%s",
	      last_resp()->body);
}

/* GET on /fn/<tenant>/… with the path, query and cookies; the event and the answer's mapping come back. */
static void an_http_route_passes_path_parameters_greedy_paths_queries_and_cookies(void)
{
	char key[128], tenant[80], id[64], url[512], path[600];
	signup("route", key, tenant);
	CHECK(fn_with(key, "echo", ECHO), "function");
	CHECK(add_trigger(key, "echo", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/users/{id}\",\"httpMethods\":[\"GET\"]}}",
	                  id, url, sizeof(url)), "%s", last_resp()->body);
	snprintf(path, sizeof(path), "%s?q=a%%20b&q=c&x=1", path_of(url));
	char *at = strstr(path, "{id}");
	CHECK(at, "the url names no {id}: %s", url);
	memmove(at + 2, at + 4, strlen(at + 4) + 1);
	memcpy(at, "42", 2);
	struct resp *r = http_with_headers("GET", path, NULL, NULL, "Cookie: a=1; b=2");
	CHECK_STATUS(r, 200);
	char hv[256];
	CHECK(resp_header(r, "x-echo", hv, sizeof(hv)) && strcmp(hv, "yes") == 0, "headers: %s", r->headers);
	CHECK(strstr(r->headers, "Set-Cookie: seen=1; Path=/") && strstr(r->headers, "Set-Cookie: again=2"), "cookies: %s",
	      r->headers);
	json_object *e = r->json;
	CHECK(jis(e, "version", "2.0") && jis(e, "routeKey", "GET /users/{id}") && jis(e, "pathParameters.id", "42") &&
	      jis(e, "rawQueryString", "q=a%20b&q=c&x=1") && jis(e, "queryStringParameters.q", "a b,c") &&
	      jis(e, "cookies.0", "a=1") && jis(e, "cookies.1", "b=2") && jis(e, "requestContext.http.method", "GET") &&
	      jis(e, "requestContext.accountId", tenant) && jp(e, "requestContext.timeEpoch"), "event: %s", r->body);
	/* A greedy path takes the rest, slashes included. */
	CHECK(add_trigger(key, "echo", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/files/{proxy+}\"}}", id, url, sizeof(url)),
	      "%s", last_resp()->body);
	snprintf(path, sizeof(path), "/fn/%s/files/a/b/c.txt", tenant);
	r = http("GET", path, NULL, NULL);
	CHECK(r->status == 200 && jis(r->json, "pathParameters.proxy", "a/b/c.txt") &&
	      jis(r->json, "rawPath", path), "%s", r->body);
	/* No route: 404 in the TauFunctions format; a route on another method: 405. */
	snprintf(path, sizeof(path), "/fn/%s/nowhere", tenant);
	r = http("GET", path, NULL, NULL);
	CHECK(r->status == 404 && jis(r->json, "code", "NOT_FOUND"), "%ld %s", r->status, r->body);
	snprintf(path, sizeof(path), "/fn/%s/users/42", tenant);
	r = http("DELETE", path, NULL, NULL);
	CHECK(r->status == 405 && jis(r->json, "code", "METHOD_NOT_ALLOWED"), "%ld %s", r->status, r->body);
}

static void a_binary_body_goes_round_trip(void)
{
	char key[128], tenant[80], id[64], path[256];
	unsigned char bytes[256];
	signup("binary", key, tenant);
	CHECK(fn_with(key, "bytes", BINARY), "function");
	CHECK(add_trigger(key, "bytes", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/blob\",\"httpMethods\":[\"POST\"]}}",
	                  id, NULL, 0), "%s", last_resp()->body);
	for (int i = 0; i < 256; i++)
		bytes[i] = (unsigned char)i;
	snprintf(path, sizeof(path), "/fn/%s/blob", tenant);
	struct resp *r = http_raw_typed("POST", path, "application/octet-stream", (const char *)bytes, sizeof(bytes));
	CHECK(r->status == 201 && r->len == sizeof(bytes) && memcmp(r->body, bytes, sizeof(bytes)) == 0,
	      "%ld, %zu bytes back", r->status, r->len);
}

static void a_cors_route_answers_its_preflight(void)
{
	char key[128], tenant[80], id[64], path[256];
	signup("cors", key, tenant);
	CHECK(fn_with(key, "api", ECHO), "function");
	CHECK(add_trigger(key, "api", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/items\",\"httpMethods\":[\"POST\"],"
	                              "\"corsEnabled\":true}}", id, NULL, 0), "%s", last_resp()->body);
	snprintf(path, sizeof(path), "/fn/%s/items", tenant);
	struct resp *r = http_with_two_headers("OPTIONS", path, "Origin: https://app.example",
	                                       "Access-Control-Request-Method: POST");
	char v[256];
	CHECK(r->status == 204, "preflight: %ld %s", r->status, r->headers);
	CHECK(resp_header(r, "Access-Control-Allow-Origin", v, sizeof(v)) && strcmp(v, "*") == 0, "%s", r->headers);
	CHECK(resp_header(r, "Access-Control-Allow-Methods", v, sizeof(v)) && strstr(v, "POST"), "%s", r->headers);
	r = http_with_two_headers("POST", path, "Origin: https://app.example", "Content-Type: application/json");
	CHECK(r->status == 200 && resp_header(r, "Access-Control-Allow-Origin", v, sizeof(v)), "%ld %s", r->status, r->headers);
}

static void a_disabled_or_deleted_route_is_404_at_once(void)
{
	char key[128], tenant[80], id[64], path[256];
	signup("gone", key, tenant);
	CHECK(fn_with(key, "api", ECHO), "function");
	CHECK(add_trigger(key, "api", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/ping\"}}", id, NULL, 0), "trigger");
	snprintf(path, sizeof(path), "/fn/%s/ping", tenant);
	CHECK_STATUS(http("GET", path, NULL, NULL), 200);
	CHECK_STATUS(httpf("PUT", key, NULL, V1 "/functions/api/triggers/%s/disable", id), 200);
	CHECK(http("GET", path, NULL, NULL)->status == 404, "a disabled route answered: %ld", last_resp()->status);
	CHECK_STATUS(httpf("PUT", key, NULL, V1 "/functions/api/triggers/%s/enable", id), 200);
	CHECK_STATUS(http("GET", path, NULL, NULL), 200);
	CHECK_STATUS(httpf("DELETE", key, NULL, V1 "/functions/api/triggers/%s", id), 204);
	CHECK(http("GET", path, NULL, NULL)->status == 404, "a deleted route answered: %ld", last_resp()->status);
}

static void a_route_that_asks_for_a_key_takes_its_own_tenants(void)
{
	char key[128], other[128], tenant[80], t2[80], id[64], path[256], auth[200];
	signup("keyed", key, tenant);
	signup("keyedother", other, t2);
	CHECK(fn_with(key, "api", ECHO), "function");
	CHECK(add_trigger(key, "api", "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/private\",\"authType\":\"API_KEY\"}}",
	                  id, NULL, 0), "%s", last_resp()->body);
	snprintf(path, sizeof(path), "/fn/%s/private", tenant);
	CHECK(http("GET", path, NULL, NULL)->status == 401, "no key: %ld", last_resp()->status);
	CHECK(http("GET", path, other, NULL)->status == 401, "another tenant's key: %ld", last_resp()->status);
	snprintf(auth, sizeof(auth), "%s", key);
	CHECK_STATUS(http("GET", path, auth, NULL), 200);
}

static void tau_trigger_field_gives_a_url_a_schedule_and_a_webhook_secret(void)
{
	char key[128], tenant[80], id[64];
	signup("tautrig", key, tenant);
	CHECK(ready_fn(key, "hello", "python3.11", "main.handler",
	               "def handler(event, context):\n    return {'statusCode': 200, 'body': 'hi from ' + event['rawPath']}\n",
	               NULL, id), "ready");
	struct resp *r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s", id);
	const char *url = jps(r->json, "url");
	CHECK(url && strstr(url, "/fn/") && strstr(url, "/hello"), "no url: %s", r->body);
	char path[256];
	snprintf(path, sizeof(path), "%s", path_of(url));
	r = http("GET", path, NULL, NULL);
	CHECK(r->status == 200 && r->body && strstr(r->body, "hi from /fn/"), "%ld %s", r->status, r->body);
	/* cron takes a schedule; a bad one is refused on the schedule field. */
	r = httpf("PUT", key, "{\"trigger\":\"cron\",\"schedule\":\"99 * * * *\"}", "/saas/api/v1/sdk/tau/functions/%s", id);
	CHECK(r->status == 422 && strstr(r->body, "\"field\":\"schedule\""), "%ld %s", r->status, r->body);
	r = httpf("PUT", key, "{\"trigger\":\"cron\",\"schedule\":\"*/5 * * * *\",\"timezone\":\"Mars/Olympus\"}",
	          "/saas/api/v1/sdk/tau/functions/%s", id);
	CHECK(r->status == 422 && strstr(r->body, "\"field\":\"timezone\""), "%ld %s", r->status, r->body);
	r = httpf("PUT", key, "{\"trigger\":\"cron\",\"schedule\":\"*/5 * * * *\",\"timezone\":\"Europe/Berlin\"}",
	          "/saas/api/v1/sdk/tau/functions/%s", id);
	CHECK(r->status == 200 && jis(r->json, "trigger", "cron") && jis(r->json, "schedule", "*/5 * * * *") &&
	      jis(r->json, "timezone", "Europe/Berlin") && jp(r->json, "url") == NULL, "%ld %s", r->status, r->body);
	CHECK(http("GET", path, NULL, NULL)->status == 404, "the http route outlived its trigger");
	r = httpf("PUT", key, "{\"trigger\":\"webhook\"}", "/saas/api/v1/sdk/tau/functions/%s", id);
	CHECK(r->status == 200 && jps(r->json, "webhookSecret") && strncmp(jps(r->json, "webhookSecret"), "whsec_", 6) == 0 &&
	      jps(r->json, "url") && strstr(jps(r->json, "url"), "/hooks/") && jp(r->json, "schedule") == NULL,
	      "%ld %s", r->status, r->body);
	r = httpf("GET", key, NULL, "/saas/api/v1/sdk/tau/functions/%s", id);
	CHECK(jps(r->json, "webhookSecret") == NULL && jps(r->json, "url") && strstr(jps(r->json, "url"), "/hooks/"),
	      "the secret is shown again, or no delivery URL: %s", r->body);
}

/* Waits for every invocation of fn (platform name) to be final; how many succeeded. */
static long long invocations_of(const char *fn_id)
{
	char q[256];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocations WHERE function_id = '%s'", fn_id);
	return stack_sql_number(q);
}

static bool fn_id_of(const char *key, const char *name, char id[64])
{
	struct resp *r = httpf("GET", key, NULL, V1 "/functions/%s", name);
	snprintf(id, 64, "%s", jps(r->json, "id") ? jps(r->json, "id") : "");
	return r->status == 200;
}

static void an_event_fans_out_to_its_topics_functions_and_no_other_tenants(void)
{
	char key[128], other[128], tenant[80], t2[80], id[64], a[64], b[64], c[64];
	signup("events", key, tenant);
	signup("eventsother", other, t2);
	CHECK(fn_with(key, "first", ECHO) && fn_with(key, "second", ECHO) && fn_with(other, "theirs", ECHO), "functions");
	CHECK(add_trigger(key, "first", "{\"type\":\"Event\",\"config\":{\"topic\":\"orders.created\"}}", id, NULL, 0) &&
	      add_trigger(key, "second", "{\"type\":\"Event\",\"config\":{\"topic\":\"orders.created\"}}", id, NULL, 0) &&
	      add_trigger(other, "theirs", "{\"type\":\"Event\",\"config\":{\"topic\":\"orders.created\"}}", id, NULL, 0),
	      "%s", last_resp()->body);
	CHECK(fn_id_of(key, "first", a) && fn_id_of(key, "second", b) && fn_id_of(other, "theirs", c), "ids");
	struct resp *r = http("POST", V1 "/events", key, "{\"topic\":\"orders.created\",\"payload\":{\"order\":7}}");
	CHECK(r->status == 202 && json_object_array_length(jp(r->json, "requestIds")) == 2, "%ld %s", r->status, r->body);
	CHECK(invocations_of(a) == 1 && invocations_of(b) == 1 && invocations_of(c) == 0, "fan-out: %lld %lld %lld",
	      invocations_of(a), invocations_of(b), invocations_of(c));
	/* A batch, and a disabled trigger gets nothing. */
	CHECK_STATUS(httpf("PUT", key, NULL, V1 "/functions/second/triggers/%s/disable",
	                   jps(http("GET", V1 "/functions/second/triggers", key, NULL)->json, "triggers.0.triggerId")), 200);
	r = http("POST", V1 "/events", key,
	         "{\"events\":[{\"topic\":\"orders.created\",\"payload\":1},{\"topic\":\"nobody.listens\",\"payload\":2}]}");
	CHECK(r->status == 202 && json_object_array_length(jp(r->json, "events.0.requestIds")) == 1 &&
	      json_object_array_length(jp(r->json, "events.1.requestIds")) == 0, "%ld %s", r->status, r->body);
	CHECK(invocations_of(a) == 2 && invocations_of(b) == 1, "after the batch: %lld %lld", invocations_of(a), invocations_of(b));
	r = http("POST", V1 "/events", key, "{\"topic\":\"x\",\"payload\":1,\"extra\":true}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "extra"), "%s", r->body);
}

/* "sha256=" and the hex HMAC-SHA256 of prefix and body under secret */
static void sign(const char *secret, const char *prefix, const char *body, char out[80])
{
	unsigned char mac[32];
	unsigned int n = 0;
	char *text = malloc(strlen(prefix) + strlen(body) + 1);
	sprintf(text, "%s%s", prefix, body);
	HMAC(EVP_sha256(), secret, (int)strlen(secret), (unsigned char *)text, strlen(text), mac, &n);
	free(text);
	strcpy(out, "sha256=");
	for (unsigned i = 0; i < n; i++)
		sprintf(out + 7 + 2 * i, "%02x", mac[i]);
}

/* POSTs body to a webhook URL with a timestamp ago seconds old, signed under secret over prefix and body. */
static struct resp *deliver(const char *url, const char *secret, long ago, bool sign_timestamp, const char *body)
{
	char ts[32], prefix[40], sig[80], h1[128], h2[128];
	snprintf(ts, sizeof(ts), "%lld", (long long)time(NULL) - ago);
	snprintf(prefix, sizeof(prefix), "%s.", ts);
	sign(secret, sign_timestamp ? prefix : "", body, sig);
	snprintf(h1, sizeof(h1), "X-TF-Timestamp: %s", ts);
	snprintf(h2, sizeof(h2), "X-TF-Signature: %s", sig);
	return http_post_with_two_headers(url, body, h1, h2);
}

static void a_webhook_takes_a_signed_delivery_once(void)
{
	char key[128], tenant[80], id[64], url[512], secret[128];
	signup("hook", key, tenant);
	CHECK(fn_with(key, "receiver", ECHO), "function");
	struct resp *r = http("POST", V1 "/functions/receiver/triggers", key, "{\"type\":\"Webhook\"}");
	CHECK(r->status == 201 && jps(r->json, "url") && jps(r->json, "secret"), "%s", r->body);
	snprintf(url, sizeof(url), "%s", path_of(jps(r->json, "url")));
	snprintf(secret, sizeof(secret), "%s", jps(r->json, "secret"));
	snprintf(id, sizeof(id), "%s", jps(r->json, "triggerId"));
	CHECK(jps(httpf("GET", key, NULL, V1 "/functions/receiver/triggers/%s", id)->json, "secret") == NULL,
	      "the secret is shown again");
	/* Signed over the raw body, as the reference's senders do. */
	const char *body = "{\"event\":\"push\"}";
	r = deliver(url, secret, 0, false, body);
	CHECK(r->status == 202 && jps(r->json, "requestId"), "good: %ld %s", r->status, r->body);
	const char *rid = jps(r->json, "requestId");
	struct resp *done = await_invocation(key, "receiver", rid, 30);
	const char *seen = done ? jps(done->json, "result.body") : NULL;
	json_object *event = seen ? json_tokener_parse(seen) : NULL;
	CHECK(jis(done->json, "status", "Succeeded") && jis(event, "body", body) &&
	      jis(event, "requestContext.http.method", "POST"),
	      "the function did not get the delivery as an event: %s", done ? done->body : "(none)");
	json_object_put(event);
	/* The same delivery again, even with a fresh timestamp, is a replay. */
	r = deliver(url, secret, 0, false, body);
	CHECK(r->status == 401 && jis(r->json, "code", "UNAUTHORIZED"), "replay: %ld %s", r->status, r->body);
	r = deliver(url, secret, 2, false, body);
	CHECK(r->status == 401, "a replay with another timestamp: %ld %s", r->status, r->body);
	/* Signed over "<timestamp>.<body>": the timestamp is bound too. */
	r = deliver(url, secret, 0, true, body);
	CHECK(r->status == 202, "timestamp-bound signature: %ld %s", r->status, r->body);
	/* A wrong secret, no signature, and an old timestamp. */
	CHECK(deliver(url, "whsec_wrong", 0, false, "{\"n\":1}")->status == 401, "bad signature accepted");
	CHECK(http("POST", url, NULL, "{\"n\":2}")->status == 401, "an unsigned delivery accepted");
	r = deliver(url, secret, 3600, false, "{\"n\":3}");
	CHECK(r->status == 401 && jps(r->json, "error") && strstr(jps(r->json, "error"), "X-TF-Timestamp"), "an hour-old delivery: %s",
	      r->body);
	/* A rotated secret is shown once; the old one stops signing at once. */
	r = httpf("POST", key, NULL, V1 "/functions/receiver/triggers/%s/secret", id);
	CHECK(r->status == 200 && jps(r->json, "secret") && strcmp(jps(r->json, "secret"), secret) != 0, "%s", r->body);
	char fresh[128];
	snprintf(fresh, sizeof(fresh), "%s", jps(r->json, "secret"));
	CHECK(deliver(url, secret, 0, false, "{\"n\":4}")->status == 401, "the old secret still signs");
	CHECK(deliver(url, fresh, 0, false, "{\"n\":4}")->status == 202, "the new secret does not sign");
	/* Disabled: the URL is gone. */
	CHECK_STATUS(httpf("PUT", key, NULL, V1 "/functions/receiver/triggers/%s/disable", id), 200);
	CHECK(deliver(url, fresh, 0, false, "{}")->status == 404, "a disabled webhook took a delivery");
}

/* Epoch seconds of "2026-12-01T12:00:00Z"; 0 when it is not one. */
static time_t utc_seconds(const char *iso)
{
	struct tm tm = { 0 };
	const char *end = iso ? strptime(iso, "%Y-%m-%dT%H:%M:%SZ", &tm) : NULL;
	return end && *end == '\0' ? timegm(&tm) : 0;
}

static long long ticks_of(const char *trigger)
{
	char q[256];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM trigger_ticks WHERE trigger_id = '%s'", trigger);
	return stack_sql_number(q);
}

/*
 * rate(1 minute) on a cluster of two workers: just before the first tick the
 * leader is killed; the other takes over and fires it, and the dead one comes
 * back, so two compete for the lock at the second. Each tick fires once, 60 s
 * apart, as EventBridge's scheduled event; a disabled schedule beside it never
 * fires.
 */
static void a_rate_schedule_fires_once_a_minute_while_its_leader_is_killed(void)
{
	char key[128], tenant[80], id[64], off[64], fid[64], q[320], rid[64], first[32];
	const char *rate = "{\"type\":\"Scheduled\",\"config\":{\"scheduleExpression\":\"rate(1 minute)\"}}";
	signup("sched", key, tenant);
	CHECK(fn_with(key, "ticker", TICKER) && fn_id_of(key, "ticker", fid), "function");
	CHECK(stack_ctl("start_second_worker", NULL) == 0, "cannot start a second worker");
	CHECK(add_trigger(key, "ticker", rate, id, NULL, 0) && add_trigger(key, "ticker", rate, off, NULL, 0),
	      "%s", last_resp()->body);
	CHECK_STATUS(httpf("PUT", key, NULL, V1 "/functions/ticker/triggers/%s/disable", off), 200);
	/* The leader plans the first tick within a heartbeat or two. */
	time_t t1 = 0;
	for (int i = 0; i < 100 && t1 == 0; i++, sleep_ms(100))
		t1 = utc_seconds(jps(httpf("GET", key, NULL, V1 "/functions/ticker/triggers/%s", id)->json, "nextFireAt"));
	CHECK(t1 > time(NULL) + 40 && t1 <= time(NULL) + 61, "the first tick is not a minute away: %s", last_resp()->body);
	while (time(NULL) < t1 - 1)
		sleep_ms(200);
	CHECK(stack_ctl("kill_leader", NULL) == 0, "cannot kill the leader");
	/* The other takes the lock when it lapses and fires the first tick; then the dead one comes back. */
	for (int i = 0; i < 300 && ticks_of(id) < 1; i++)
		sleep_ms(100);
	CHECK(ticks_of(id) == 1, "the first tick did not fire after the leader died: %lld", ticks_of(id));
	stack_ctl("start_worker", NULL);  /* whichever died; the other is alive and left as it is */
	stack_ctl("start_second_worker", NULL);
	/* The second tick, a minute after the first, and a little more for it to be run. */
	for (int i = 0; i < 600 && !(ticks_of(id) >= 2 && time(NULL) > t1 + 65); i++)
		sleep_ms(200);
	snprintf(q, sizeof(q), "SELECT request_id FROM trigger_ticks WHERE trigger_id = '%s' ORDER BY tick_at LIMIT 1", id);
	stack_sql_text(q, rid, sizeof(rid));
	struct resp *done = await_invocation(key, "ticker", rid, 30);
	stack_ctl("kill_one", "tf-worker-b");
	stack_ctl("start_worker", NULL);
	CHECK(ticks_of(id) == 2, "%lld ticks in %lld s", ticks_of(id), (long long)(time(NULL) - t1));
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocations WHERE function_id = '%s'", fid);
	CHECK(stack_sql_number(q) == 2, "%lld invocations of two ticks", stack_sql_number(q));
	snprintf(q, sizeof(q), "SELECT TIMESTAMPDIFF(SECOND, MIN(tick_at), MAX(tick_at)) FROM trigger_ticks WHERE trigger_id = '%s'", id);
	CHECK(stack_sql_number(q) == 60, "the ticks are %lld s apart", stack_sql_number(q));
	CHECK(ticks_of(off) == 0, "a disabled schedule fired");
	/* What the function got: EventBridge's scheduled event for the first tick. */
	CHECK(jis(done->json, "status", "Succeeded") && jis(done->json, "result.detail-type", "Scheduled Event") &&
	      jis(done->json, "result.source", "aws.events") && jis(done->json, "result.version", "0") &&
	      jis(done->json, "result.account", tenant) && jps(done->json, "result.id") && jps(done->json, "result.region") &&
	      json_object_is_type(jp(done->json, "result.detail"), json_type_object) &&
	      utc_seconds(jps(done->json, "result.time")) == t1 && strstr(jps(done->json, "result.resources.0"), id),
	      "%s", done->body);
	struct resp *r = httpf("GET", key, NULL, V1 "/functions/ticker/triggers/%s", id);
	snprintf(first, sizeof(first), "%s", jps(r->json, "lastFiredAt") ? jps(r->json, "lastFiredAt") : "");
	CHECK(utc_seconds(first) == t1 + 60 && utc_seconds(jps(r->json, "nextFireAt")) == t1 + 120, "%s", r->body);
	/* Disabled: no next tick is shown, and none fires. */
	r = httpf("PUT", key, NULL, V1 "/functions/ticker/triggers/%s/disable", id);
	CHECK(r->status == 200, "%s", r->body);
	r = httpf("GET", key, NULL, V1 "/functions/ticker/triggers/%s", id);
	CHECK(jps(r->json, "nextFireAt") == NULL && jis(r->json, "lastFiredAt", first), "%s", r->body);
}

/*
 * After an outage a schedule's next tick lies in the past. Within [triggers]
 * missed_tick_seconds (an hour) it fires once, however many ticks were missed;
 * older, it is skipped; either way the schedule goes on from now.
 */
static void a_missed_tick_fires_once_within_its_window_and_is_skipped_past_it(void)
{
	char key[128], tenant[80], recent[64], old[64], q[400];
	const char *daily = "{\"type\":\"Scheduled\",\"config\":{\"scheduleExpression\":\"cron(0 2 * * ? *)\"}}";
	signup("missed", key, tenant);
	CHECK(fn_with(key, "nightly", TICKER), "function");
	CHECK(add_trigger(key, "nightly", daily, recent, NULL, 0) && add_trigger(key, "nightly", daily, old, NULL, 0),
	      "%s", last_resp()->body);
	/* Wait for the leader to plan both, then put them where an outage would leave them. */
	for (int i = 0; i < 100; i++, sleep_ms(100)) {
		snprintf(q, sizeof(q), "SELECT COUNT(*) FROM triggers WHERE id IN ('%s', '%s') AND next_fire_at IS NOT NULL",
		         recent, old);
		if (stack_sql_number(q) == 2)
			break;
	}
	snprintf(q, sizeof(q),
	         "UPDATE triggers SET next_fire_at = IF(id = '%s', NOW(3) - INTERVAL 30 MINUTE, NOW(3) - INTERVAL 2 HOUR)"
	         " WHERE id IN ('%s', '%s'); SELECT ROW_COUNT()", recent, recent, old);
	CHECK(stack_sql_number(q) == 2, "cannot set the ticks back");
	for (int i = 0; i < 150 && ticks_of(recent) == 0; i++)
		sleep_ms(100);
	sleep_ms(4000);  /* more than a heartbeat: a second fire would show */
	CHECK(ticks_of(recent) == 1 && ticks_of(old) == 0, "recent fired %lld times, old %lld", ticks_of(recent), ticks_of(old));
	struct resp *r = httpf("GET", key, NULL, V1 "/functions/nightly/triggers/%s", recent);
	time_t next = utc_seconds(jps(r->json, "nextFireAt"));
	CHECK(jps(r->json, "lastFiredAt") && next > time(NULL) && next <= time(NULL) + 86400 && next % 86400 == 7200,
	      "the recovered schedule goes on from now: %s", r->body);
	r = httpf("GET", key, NULL, V1 "/functions/nightly/triggers/%s", old);
	next = utc_seconds(jps(r->json, "nextFireAt"));
	CHECK(jp(r->json, "lastFiredAt") == NULL && next > time(NULL) && next % 86400 == 7200, "skipped: %s", r->body);
}

static const struct test tests[] = {
	{ "triggers: the reference's two request bodies answer every field of its example",
	  the_references_request_bodies_are_answered_with_every_field_of_its_example },
	{ "triggers: listed, read, disabled, enabled and deleted; another tenant gets 404",
	  triggers_are_listed_read_disabled_enabled_and_deleted_and_walled_off },
	{ "triggers: bad input is refused with field details and stores nothing",
	  bad_trigger_input_is_refused_with_details_and_stores_nothing },
	{ "triggers: a route another trigger serves is 409", a_route_another_trigger_serves_is_409 },
	{ "http triggers: path parameters, a greedy path, a query string and cookies both ways",
	  an_http_route_passes_path_parameters_greedy_paths_queries_and_cookies },
	{ "http triggers: a binary body goes round trip", a_binary_body_goes_round_trip },
	{ "http triggers: a CORS route answers its preflight", a_cors_route_answers_its_preflight },
	{ "http triggers: a disabled or deleted route is 404 at once", a_disabled_or_deleted_route_is_404_at_once },
	{ "http triggers: a route that asks for a key takes its own tenant's", a_route_that_asks_for_a_key_takes_its_own_tenants },
	{ "tau: the trigger field gives a url, a schedule and a webhook secret shown once",
	  tau_trigger_field_gives_a_url_a_schedule_and_a_webhook_secret },
	{ "events: an event fans out to its topic's functions and no other tenant's",
	  an_event_fans_out_to_its_topics_functions_and_no_other_tenants },
	{ "webhooks: a signed delivery is taken once; bad, old and replayed ones are 401; the secret rotates",
	  a_webhook_takes_a_signed_delivery_once },
	{ "schedules: rate(1 minute) fires once a minute on two workers while the leader is killed; disabled never",
	  a_rate_schedule_fires_once_a_minute_while_its_leader_is_killed },
	{ "schedules: a missed tick fires once within its window and is skipped past it",
	  a_missed_tick_fires_once_within_its_window_and_is_skipped_past_it },
};
const struct suite suite_triggers = { tests, sizeof(tests) / sizeof(tests[0]) };
