/*
 * HTTPS through nginx, and the limits provoked for real: a caller's per-minute
 * limit with its headers, a signup flood from one address, and failed logins
 * that lock a username out only from the address they came from.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

#define FLOOD_ADDRESS "127.0.0.2"  /* another loopback address: its own client to nginx and tf-api */

static void the_api_answers_over_https_with_http2(void)
{
	char key[128], tenant[80], id[64], body[160];
	CHECK(http_over_tls(true), "no HTTPS on the test stack (TF_HTTPS_URL, TF_TLS_CA)");
	unique("tls", tenant, sizeof(tenant));
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	CHECK(r->status == 201 && jps(r->json, "apiKey"), "signup over HTTPS: %ld %s", r->status, r->body);
	CHECK(http_tls_version() == CURL_HTTP_VERSION_2_0, "HTTP version %ld, not 2", http_tls_version());
	snprintf(key, sizeof(key), "%s", jps(r->json, "apiKey") ? jps(r->json, "apiKey") : "");
	/* Links the platform gives are https ones. */
	CHECK(jps(r->json, "endpoints.functions") && strncmp(jps(r->json, "endpoints.functions"), "https://", 8) == 0,
	      "%s", r->body);
	CHECK(create_fn(key, "{\"name\":\"secure\",\"runtime\":\"python3.11\",\"handler\":\"main.handler\","
	                     "\"code\":\"def handler(e, c):\\n    return {'statusCode': 200, 'body': 'over tls'}\\n\"}", id),
	      "create over HTTPS: %s", last_resp()->body);
	CHECK(deploy_fn(key, id), "deploy over HTTPS");
	r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && strstr(r->body, "over tls"), "invoke over HTTPS: %ld %s", r->status, r->body);
	r = http("GET", "/saas/api/v1/sdk/tau/functions/fn_nosuchthing", key, NULL);
	CHECK(r->status == 404 && jis(r->json, "code", "NOT_FOUND"), "an error over HTTPS: %ld %s", r->status, r->body);
	http_over_tls(false);
	/* nginx logged it as one JSON line with the trace id the client got. */
	char trace[64], path[512], line[4096];
	bool logged = false;
	snprintf(path, sizeof(path), "%s/log/nginx-access.log", getenv("TF_STACK_DIR"));
	if (resp_header(r, "X-Trace-Id", trace, sizeof(trace))) {
		sleep_ms(200);  /* nginx writes the line after the answer */
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, trace)) {
				json_object *o = json_tokener_parse(line);
				logged = jis(o, "traceId", trace) && jpi(o, "status", 0) == 404 && jps(o, "tls") &&
				         strncmp(jps(o, "tls"), "TLSv1.", 6) == 0;
				json_object_put(o);
			}
		if (f)
			fclose(f);
	}
	CHECK(logged, "no JSON access line for trace %s in %s", trace, path);
	/* TLS 1.2 and 1.3 handshake; 1.1 is refused by the server even to a client that would take it. */
	static const struct {
		const char *flags;
		bool ok;
	} handshakes[] = { { "-tls1_3", true }, { "-tls1_2", true }, { "-tls1_1 -cipher DEFAULT@SECLEVEL=0", false } };
	for (size_t i = 0; i < sizeof(handshakes) / sizeof(handshakes[0]); i++) {
		char cmd[512];
		snprintf(cmd, sizeof(cmd), "openssl s_client -connect %s %s </dev/null >/dev/null 2>&1",
		         strstr(getenv("TF_HTTPS_URL"), "://") + 3, handshakes[i].flags);
		CHECK((system(cmd) == 0) == handshakes[i].ok, "openssl s_client %s: expected %s", handshakes[i].flags,
		      handshakes[i].ok ? "a handshake" : "a refusal");
	}
}

static const char *header(const struct resp *r, const char *name, char *out, size_t n)
{
	return resp_header(r, name, out, n) ? out : "";
}

static void the_21st_creation_in_a_minute_is_refused_with_its_headers_then_accepted(void)
{
	char key[128], tenant[80], body[200], h[64];
	signup("perminute", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	/* Twenty creations well inside one minute's window. */
	while (time(NULL) % 60 > 40)
		sleep_ms(500);
	struct resp *r = NULL;
	for (int i = 1; i <= 20; i++) {
		snprintf(body, sizeof(body), "{\"name\":\"f%d\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}", i);
		r = http("POST", V1 "/functions", key, body);
		CHECK(r->status == 201 && atoi(header(r, "X-RateLimit-Limit", h, sizeof(h))) == 20 &&
		      atoi(header(r, "X-RateLimit-Remaining", h, sizeof(h))) == 20 - i, "creation %d: %ld %s", i, r->status,
		      r->headers);
	}
	r = http("POST", V1 "/functions", key, "{\"name\":\"f21\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}");
	long long reset = atoll(header(r, "X-RateLimit-Reset", h, sizeof(h)));
	CHECK(platform_error(r, 429, "RATE_LIMIT_EXCEEDED") && atoi(header(r, "X-RateLimit-Remaining", h, sizeof(h))) == 0 &&
	      atoi(header(r, "Retry-After", h, sizeof(h))) >= 1 && reset > time(NULL) && reset <= time(NULL) + 60,
	      "the 21st: %ld %s %s", r->status, r->headers, r->body);
	CHECK(http("GET", V1 "/functions/f21", key, NULL)->status == 404, "the refused function was stored");
	while (time(NULL) <= reset)
		sleep_ms(250);
	r = http("POST", V1 "/functions", key, "{\"name\":\"f21\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}");
	CHECK(r->status == 201 && atoi(header(r, "X-RateLimit-Remaining", h, sizeof(h))) == 19, "after the reset: %ld %s",
	      r->status, r->headers);
}

static void a_signup_flood_from_one_address_is_refused(void)
{
	char h[64], key[128], tenant[80];
	http_from(FLOOD_ADDRESS);
	/* Refused signups count too: a flood need not succeed to be one. */
	struct resp *r = http("POST", "/api/signup", NULL, "{}");
	long remaining = atol(header(r, "X-RateLimit-Remaining", h, sizeof(h)));
	CHECK(r->status == 422 && remaining > 0 && remaining < 100000, "%ld %s", r->status, r->headers);
	for (long i = 0; i < remaining; i++)
		http("POST", "/api/signup", NULL, "{}");
	r = http("POST", "/api/signup", NULL, "{\"tenantId\":\"flood-after-limit\"}");
	http_from(NULL);
	CHECK(r->status == 429 && jis(r->json, "code", "RATE_LIMIT_EXCEEDED") && atoi(header(r, "Retry-After", h, sizeof(h))) >= 1,
	      "%ld %s", r->status, r->body);
	/* Another address signs up as before. */
	signup("afterflood", key, tenant);
	CHECK(key[0] != '\0', "a signup from another address was refused");
}

static void failed_logins_lock_a_username_out_only_from_their_address(void)
{
	char key[128], tenant[80], user[96], token[1024], body[300];
	signup("lockout", key, tenant);
	CHECK(user_with_role(key, "Developer", user, token), "user");
	http_from(FLOOD_ADDRESS);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"certainly-not-the-password\"}", user);
	for (int i = 0; i < 10; i++)
		CHECK(platform_error(http("POST", V1 "/authentication/login", NULL, body), 401, "UNAUTHORIZED"), "failure %d", i);
	struct resp *r = http("POST", V1 "/authentication/login", NULL, body);
	CHECK(platform_error(r, 429, "RATE_LIMIT_EXCEEDED"), "the 11th failure: %ld %s", r->status, r->body);
	http_from(NULL);
	/* The real user, from their own address, is not locked out; from the flooding one it is. */
	char password[160];
	snprintf(password, sizeof(password), "correct-horse-%s", user);  /* as user_with_role made it */
	CHECK(login(user, password, token), "the user was locked out from another address");
	http_from(FLOOD_ADDRESS);
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
	r = http("POST", V1 "/authentication/login", NULL, body);
	http_from(NULL);
	CHECK(platform_error(r, 429, "RATE_LIMIT_EXCEEDED"), "the locked address logged in: %ld %s", r->status, r->body);
}

/* The line of log file name (in the stack's log/) holding every one of the strings; parsed, or NULL. */
static json_object *log_line_with(const char *name, const char *a, const char *b)
{
	char path[512], line[16384];
	json_object *found = NULL;
	snprintf(path, sizeof(path), "%s/log/%s", getenv("TF_STACK_DIR"), name);
	for (int tries = 0; tries < 20 && found == NULL; tries++, sleep_ms(100)) {
		FILE *f = fopen(path, "r");
		while (f && fgets(line, sizeof(line), f))
			if (strstr(line, a) && strstr(line, b)) {
				json_object_put(found);
				found = json_tokener_parse(line);
			}
		if (f)
			fclose(f);
	}
	return found;
}

static void one_invocation_is_one_line_in_nginx_tf_api_and_tf_worker(void)
{
	char key[128], tenant[80], id[64], trace[64] = "", rid[64];
	signup("joined", key, tenant);
	CHECK(ready_fn(key, "joined", "python3.11", "main.handler", "def handler(e, c):\n    return 1\n", NULL, id), "function");
	struct resp *r = invoke_fn(key, id, "{}");
	CHECK(r->status == 200 && resp_header(r, "X-Trace-Id", trace, sizeof(trace)) && jps(r->json, "requestId"), "%s", r->body);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId") ? jps(r->json, "requestId") : "");
	json_object *api = log_line_with("tf-api.log", trace, "\"request\"");
	json_object *worker = log_line_with("tf-worker.log", rid, "\"invocation\"");
	json_object *front = log_line_with("nginx-access.log", trace, "\"nginx\"");
	CHECK(jis(api, "requestId", rid) && jis(api, "traceId", trace), "tf-api's line: %s", api ? json_object_to_json_string(api) : "(none)");
	CHECK(jis(worker, "traceId", trace) && jis(worker, "status", "Succeeded") && jis(worker, "function", "joined"),
	      "tf-worker's line: %s", worker ? json_object_to_json_string(worker) : "(none)");
	CHECK(jis(front, "traceId", trace) && jis(front, "requestId", rid) && jpi(front, "status", 0) == 200, "nginx's line: %s", front ? json_object_to_json_string(front) : "(none)");
	json_object_put(api);
	json_object_put(worker);
	json_object_put(front);
}

static const struct test tests[] = {
	{ "https: signup, create, deploy, invoke and an error over HTTPS with HTTP/2; TLS 1.1 refused",
	  the_api_answers_over_https_with_http2 },
	{ "logs: one invocation is a JSON line in nginx, tf-api and tf-worker, joined by its traceId and requestId",
	  one_invocation_is_one_line_in_nginx_tf_api_and_tf_worker },
	{ "limits: the 21st function creation in a minute is 429 with its headers, accepted after the reset",
	  the_21st_creation_in_a_minute_is_refused_with_its_headers_then_accepted },
	{ "limits: a signup flood from one address is refused; another address signs up",
	  a_signup_flood_from_one_address_is_refused },
	{ "limits: failed logins lock a username out only from the address they came from",
	  failed_logins_lock_a_username_out_only_from_their_address },
};
const struct suite suite_tls_limits = { tests, sizeof(tests) / sizeof(tests[0]) };
