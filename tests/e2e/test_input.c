/*
 * Request input beyond its fields: the text must be UTF-8 JSON whose escapes stand
 * for characters and whose member names are unique, each refusal naming where the
 * fault sits; and nothing refused is queued or counted.
 */
#include <hiredis/hiredis.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "platform.h"

#define FNS "/saas/api/v1/sdk/tau/functions"
#define ECHO_PY "def handler(event, context):\n    return event\n"

static bool tau_detail(const struct resp *r, long status, const char *field)
{
	json_object *d = jp(r->json, "details");
	if (r->status != status || !jis(r->json, "code", "VALIDATION_ERROR") || jpi(r->json, "status", 0) != status)
		return false;
	for (size_t i = 0; d && i < json_object_array_length(d); i++)
		if (jis(json_object_array_get_idx(d, i), "field", field))
			return true;
	return false;
}

static struct resp *post_raw(const char *path, const char *key, const char *body)
{
	char auth[256];
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	return http_raw("POST", path, auth, body, strlen(body));
}

static long long invocations_today(const char *key)
{
	return jpi(http("GET", "/api/account", key, NULL)->json, "usage.invocationsToday", -1);
}

static double now_s(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* A tenant with a deployed Python echo function: its Tau id, and its name for /api/v1. */
static bool echo_tenant(const char *prefix, char key[128], char id[64], char name[64])
{
	char tenant[80];
	signup(prefix, key, tenant);
	unique("echo", name, 64);
	return ready_fn(key, name, "python3.11", "main.handler", ECHO_PY, "{\"timeout\":3}", id);
}

static void invalid_utf8_in_a_payload_is_refused_before_anything_is_queued(void)
{
	char key[128], id[64], name[64], path[256];
	CHECK(echo_tenant("utf8", key, id, name), "echo function");
	const char *bodies[] = {
		"{\"payload\":{\"name\":\"caf\xe9\"}}",          /* Latin-1, not UTF-8 */
		"{\"payload\":[\"ok\",\"\xff\xfe\"]}",
		"{\"payload\":\"\xc0\xaf\"}",                    /* an overlong '/' */
		"{\"payload\":{\"s\":\"\xed\xa0\x80\"}}",        /* an encoded surrogate */
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(path, sizeof(path), V1 "/functions/%s/invoke-async", name);
		struct resp *r = post_raw(path, key, bodies[i]);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "invoke-async %zu: %ld %s", i, r->status, r->body);
		/* invocationType Event is the same queue. */
		char event[256];
		snprintf(event, sizeof(event), "{\"invocationType\":\"Event\",%s", bodies[i] + 1);
		snprintf(path, sizeof(path), V1 "/functions/%s/invoke", name);
		r = post_raw(path, key, event);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "Event %zu: %ld %s", i, r->status, r->body);
		/* A synchronous invoke is answered at once, not after the function's timeout. */
		double t0 = now_s();
		r = post_raw(path, key, bodies[i]);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "invoke %zu: %ld %s", i, r->status, r->body);
		CHECK(now_s() - t0 < 2, "the refusal took %.1f s", now_s() - t0);
		snprintf(path, sizeof(path), FNS "/%s/invoke", id);
		r = post_raw(path, key, bodies[i]);
		CHECK(tau_detail(r, 422, "payload"), "Tau invoke %zu: %ld %s", i, r->status, r->body);
	}
	CHECK(invocations_today(key) == 0, "refused invocations were counted: %lld", invocations_today(key));
	/* The same function still runs what is UTF-8. */
	struct resp *r = invoke_fn(key, id, "{\"name\":\"caf\xc3\xa9\"}");
	CHECK_STATUS(r, 200);
	CHECK(strstr(r->body, "caf\xc3\xa9") != NULL, "%s", r->body);
}

static void lone_surrogate_escapes_are_refused_and_pairs_are_characters(void)
{
	char key[128], id[64], name[64], path[256];
	CHECK(echo_tenant("surr", key, id, name), "echo function");
	const char *bodies[] = {
		"{\"payload\":\"\\ud800\"}",
		"{\"payload\":{\"s\":\"\\udc00 after\"}}",
		"{\"payload\":\"\\ud83d\\u0041\"}",
		"{\"payload\":\"{\\\"s\\\":\\\"\\\\ud800\\\"}\"}",  /* a string payload holding JSON text */
	};
	for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
		snprintf(path, sizeof(path), V1 "/functions/%s/invoke-async", name);
		struct resp *r = post_raw(path, key, bodies[i]);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "%s: %ld %s", bodies[i], r->status, r->body);
		snprintf(path, sizeof(path), V1 "/functions/%s/invoke", name);
		r = post_raw(path, key, bodies[i]);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "%s: %ld %s", bodies[i], r->status, r->body);
		/* The Tau payload is a JSON value: a string holding JSON text is just a string there. */
		if (i < 3) {
			snprintf(path, sizeof(path), FNS "/%s/invoke", id);
			r = post_raw(path, key, bodies[i]);
			CHECK(tau_detail(r, 422, "payload"), "Tau %s: %ld %s", bodies[i], r->status, r->body);
		}
	}
	CHECK(invocations_today(key) == 0, "refused invocations were counted");
	/* A surrogate pair is one character, and reaches the handler as it. */
	struct resp *r = invoke_fn(key, id, "{\"s\":\"\\ud83d\\ude00\"}");
	CHECK_STATUS(r, 200);
	CHECK(strstr(r->body, "\xf0\x9f\x98\x80") != NULL, "%s", r->body);
}

static void a_repeated_member_name_is_refused_and_named(void)
{
	char key[128], tenant[80], id[64], name[64];
	signup("dupe", key, tenant);
	struct resp *r = post_raw(FNS, key,
	                          "{\"name\":\"first\",\"runtime\":\"nodejs20\",\"handler\":\"index.handler\","
	                          "\"code\":\"exports.handler=async()=>1\",\"name\":\"second\"}");
	CHECK(tau_detail(r, 422, "name"), "%ld %s", r->status, r->body);
	r = post_raw(V1 "/functions", key, "{\"name\":\"one\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"n\\u0061me\":\"two\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "name"), "%ld %s", r->status, r->body);
	CHECK(json_object_array_length(jp(http("GET", FNS, key, NULL)->json, "functions")) == 0, "a refused create stored a function");
	/* Inside a payload the detail is on payload and its message says which member, where. */
	unique("echo", name, sizeof(name));
	CHECK(ready_fn(key, name, "python3.11", "main.handler", ECHO_PY, NULL, id), "echo function");
	char path[256];
	snprintf(path, sizeof(path), V1 "/functions/%s/invoke", name);
	r = post_raw(path, key, "{\"payload\":{\"order\":{\"qty\":1,\"qty\":1000}}}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "payload"), "%ld %s", r->status, r->body);
	const char *msg = jps(jp(r->json, "error.details.0"), "message");
	CHECK(msg && strstr(msg, "\"qty\"") && strstr(msg, "payload.order"), "%s", r->body);
	snprintf(path, sizeof(path), FNS "/%s/invoke", id);
	r = post_raw(path, key, "{\"payload\":{\"a\":1},\"payload\":{\"a\":2}}");
	CHECK(tau_detail(r, 422, "payload"), "%ld %s", r->status, r->body);
}

static void a_body_not_declared_json_is_refused_with_415(void)
{
	char key[128], tenant[80], auth[256], body[256];
	signup("ctype", key, tenant);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	char want[80];
	unique("formy", want, sizeof(want));
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\"}", want);
	const char *refused[] = { "application/x-www-form-urlencoded", "text/plain", NULL, "application/json-patch+json",
	                          "application/json; charset=iso-8859-1", "application/jsonx", "multipart/form-data; boundary=x" };
	for (size_t i = 0; i < sizeof(refused) / sizeof(refused[0]); i++) {
		struct resp *r = http_typed("POST", "/api/signup", NULL, refused[i], body);
		CHECK(r->status == 415 && jis(r->json, "code", "UNSUPPORTED_MEDIA_TYPE") && jpi(r->json, "status", 0) == 415,
		      "signup as %s: %ld %s", refused[i] ? refused[i] : "(none)", r->status, r->body);
		r = http_typed("POST", V1 "/functions", auth, refused[i], "{\"name\":\"f\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}");
		CHECK(platform_error(r, 415, "UNSUPPORTED_MEDIA_TYPE") && names_field(r, "Content-Type"),
		      "create as %s: %ld %s", refused[i] ? refused[i] : "(none)", r->status, r->body);
	}
	/* Nothing refused was made: the tenant id is still free, and no function exists. */
	CHECK_STATUS(http_typed("POST", "/api/signup", NULL, "Application/JSON; charset=\"UTF-8\"", body), 201);
	CHECK(jpi(http("GET", V1 "/functions", key, NULL)->json, "total", -1) == 0, "a refused create stored a function");
	CHECK_STATUS(http_typed("POST", V1 "/functions", auth, "application/json;charset=utf-8",
	                        "{\"name\":\"typed\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}"), 201);
	/* A request without a body needs no Content-Type, as curl -X POST sends it. */
	char id[64];
	char *b = fn_body("bodiless", "nodejs20", "index.handler", "exports.handler = async () => 1", NULL);
	CHECK(create_fn(key, b, id), "create");
	free(b);
	char path[256];
	snprintf(path, sizeof(path), FNS "/%s/deploy", id);
	CHECK_STATUS(http_typed("POST", path, auth, NULL, NULL), 200);
	snprintf(path, sizeof(path), FNS "/%s/invoke", id);
	CHECK_STATUS(http_typed("POST", path, auth, "text/plain", ""), 200);
}

static long long epoch_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_REALTIME, &t);
	return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/*
 * Hands the runner a synchronous job as tf-api would, but whose event is payload,
 * text tf-api itself never lets through, and waits up to wait_s for its outcome.
 * This is how a runtime is shown a frame it cannot read.
 */
/* Sends a job frame on a runner link and waits for its outcome frame ("O <idle> <outcome>"). */
static json_object *link_round_trip(const char *path, const char *token, const char *job, int wait_s)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	json_object *outcome = NULL;
	char buf[65536];
	size_t have = 0;
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || dprintf(fd, "H %s\nJ %s\n", token, job) < 0)
		goto out;
	struct timeval tv = { .tv_sec = wait_s };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	while (outcome == NULL && have < sizeof(buf) - 1) {
		ssize_t n = read(fd, buf + have, sizeof(buf) - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
		buf[have] = '\0';
		char *line = buf, *nl;
		while (outcome == NULL && (nl = strchr(line, '\n')) != NULL) {
			*nl = '\0';
			char *sp = line[0] == 'O' ? strchr(line + 2, ' ') : NULL;
			if (sp)
				outcome = json_tokener_parse(sp + 1);
			line = nl + 1;
		}
		have -= (size_t)(line - buf);
		memmove(buf, line, have);
	}
out:
	if (fd >= 0)
		close(fd);
	return outcome;
}

static json_object *run_unchecked_job(const char *key, const char *tenant, const char *fn_id, const char *fn_name,
                                      const char *runtime, const char *handler, const char *payload, int wait_s)
{
	char sock[1024], id[64], runner[96], *job = NULL;
	json_object *outcome = NULL;
	redisContext *c = NULL;

	const char *sha = jps(httpf("GET", key, NULL, V1 "/functions/%s/versions/1", fn_name)->json, "codeSha256");
	snprintf(sock, sizeof(sock), "%s/run/redis.sock", getenv("TF_STACK_DIR"));
	unique("e2e-unreadable", id, sizeof(id));
	long long now = epoch_ms();
	if (sha == NULL ||
	    asprintf(&job,
	             "{\"requestId\":\"%s\",\"tenant\":\"%s\",\"functionId\":\"%s\",\"functionName\":\"%s\",\"version\":1,"
	             "\"codeSha256\":\"%s\",\"runtime\":\"%s\",\"handler\":\"%s\",\"memoryMB\":128,\"timeout\":%d,\"env\":{},"
	             "\"alias\":null,\"type\":\"RequestResponse\",\"maxRetries\":0,\"maxEventAgeSeconds\":60,"
	             "\"reservedConcurrency\":-1,\"enqueuedMs\":%lld,\"waitUntilMs\":%lld,\"payload\":%s}",
	             id, tenant, fn_id, fn_name, sha, runtime, handler, wait_s, now, now + 60000, payload) < 0) {
		job = NULL;
		goto out;
	}
	c = redisConnectUnix(sock);
	if (c == NULL || c->err || stack_config("id", runner, sizeof(runner)) == NULL)
		goto out;
	/* Straight onto the runner's link, as tf-api would send it, with the token from the registry. */
	redisReply *h = redisCommand(c, "HMGET tf:runner:%s linkSocket token", runner);
	if (h && h->type == REDIS_REPLY_ARRAY && h->elements == 2 && h->element[0]->str && h->element[1]->str)
		outcome = link_round_trip(h->element[0]->str, h->element[1]->str, job, wait_s + 5);
	freeReplyObject(h);
out:
	free(job);
	if (c)
		redisFree(c);
	return outcome;
}

static void a_runtime_answers_a_frame_it_cannot_read_at_once(void)
{
	static const struct { const char *runtime, *handler, *code; } rts[] = {
		{ "python3.11", "main.handler", ECHO_PY },
		{ "nodejs20", "index.handler", "exports.handler = async (event) => event;" },
	};
	char key[128], tenant[80], id[64], name[64];
	signup("unread", key, tenant);
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		unique("raw", name, sizeof(name));
		CHECK(ready_fn(key, name, rts[i].runtime, rts[i].handler, rts[i].code, "{\"timeout\":6}", id), "%s", rts[i].runtime);
		/* Warm, so that the time measured is the frame's alone. */
		CHECK_STATUS(invoke_fn(key, id, "{\"warm\":true}"), 200);
		double t0 = now_s();
		json_object *oc = run_unchecked_job(key, tenant, id, name, rts[i].runtime, rts[i].handler,
		                                    "{\"name\":\"caf\xe9\"}", 6);
		double took = now_s() - t0;
		bool unmarshal = oc && jis(oc, "status", "FunctionError") && jis(oc, "error.errorType", "Runtime.UnmarshalError");
		const char *text = oc ? json_object_to_json_string(oc) : "no outcome";
		CHECK(unmarshal && took < 3, "%s: %.1f s: %s", rts[i].runtime, took, text);
		json_object_put(oc);
		/* The instance lives on and serves what it can read. */
		struct resp *r = invoke_fn(key, id, "{\"after\":1}");
		CHECK(r->status == 200 && strstr(r->body, "after") && jpi(r->json, "statusCode", 0) == 200, "%s: %s", rts[i].runtime, r->body);
	}
}

static const struct test tests[] = {
	{ "input: invalid UTF-8 in a payload is refused with a detail on payload, before anything is queued", invalid_utf8_in_a_payload_is_refused_before_anything_is_queued },
	{ "input: lone surrogate escapes in a payload are refused; a surrogate pair is a character", lone_surrogate_escapes_are_refused_and_pairs_are_characters },
	{ "input: a repeated member name is refused, naming the member", a_repeated_member_name_is_refused_and_named },
	{ "input: a body not declared application/json is refused with 415 UNSUPPORTED_MEDIA_TYPE", a_body_not_declared_json_is_refused_with_415 },
	{ "input: a runtime answers a frame it cannot read at once (Runtime.UnmarshalError), Python and Node", a_runtime_answers_a_frame_it_cannot_read_at_once },
};
const struct suite suite_input = { tests, sizeof(tests) / sizeof(tests[0]) };
