/*
 * Two tf-api processes behind one nginx upstream (scripts/lib/stack.sh
 * start_second_api): a client whose consecutive requests land on different
 * processes sees one platform. Which process answered a request is read from the
 * processes' own logs: each writes one "request" line per request carrying the
 * traceId the client got in X-Trace-Id (fcgi-app/dispatch.c).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "platform.h"

#define FNS "/saas/api/v1/sdk/tau/functions"
#define ROUNDS 8  /* requests per step: nginx's round robin gives each process several */

enum proc { PROC_NONE = -1, PROC_A, PROC_B, PROC_COUNT };
static const char *const proc_log[PROC_COUNT] = { "tf-api.log", "tf-api-b.log" };
static const char *const proc_name[PROC_COUNT] = { "tf-api", "tf-api-b" };

/* Where each process's log stood when a test began. */
struct mark {
	long offset[PROC_COUNT];
};

/* The log of process p from offset on ("" when it has none yet); free() it. */
static char *log_since(enum proc p, long offset)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/log/%s", getenv("TF_STACK_DIR"), proc_log[p]);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return strdup("");
	struct buf b = BUF_INIT;
	char chunk[65536];
	size_t n;
	if (fseek(f, offset, SEEK_SET) == 0)
		while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
			buf_append(&b, chunk, n);
	fclose(f);
	return b.data ? buf_steal(&b) : strdup("");
}

static long log_size(enum proc p)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/log/%s", getenv("TF_STACK_DIR"), proc_log[p]);
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return 0;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fclose(f);
	return n < 0 ? 0 : n;
}

static void mark_now(struct mark *m)
{
	for (int p = 0; p < PROC_COUNT; p++)
		m->offset[p] = log_size((enum proc)p);
}

/* The per-request lines process p has logged since the mark. */
static int request_lines_since(const struct mark *m, enum proc p)
{
	char *log = log_since(p, m->offset[p]);
	int n = 0;
	for (const char *s = log; (s = strstr(s, "\"msg\":\"request\"")) != NULL; s++)
		n++;
	free(log);
	return n;
}

/* The process that answered r, from its trace id in their logs (a line is written just after the answer). */
static enum proc served_by(const struct mark *m, const struct resp *r)
{
	char trace[96];
	if (resp_header(r, "X-Trace-Id", trace, sizeof(trace)) == NULL || strncmp(trace, "trace-", 6) != 0)
		return PROC_NONE;
	for (int tries = 0; tries < 30; tries++) {
		for (int p = 0; p < PROC_COUNT; p++) {
			char *log = log_since((enum proc)p, m->offset[p]);
			bool here = strstr(log, trace) != NULL;
			free(log);
			if (here)
				return (enum proc)p;
		}
		sleep_ms(100);
	}
	return PROC_NONE;
}

/* Tallies which processes answered a step's requests. */
struct tally {
	int by[PROC_COUNT];
	int unknown;
};

static void count(struct tally *t, const struct mark *m, const struct resp *r)
{
	enum proc p = served_by(m, r);
	if (p == PROC_NONE)
		t->unknown++;
	else
		t->by[p]++;
}

#define CHECK_BOTH(t, what)                                                                           \
	CHECK((t).by[PROC_A] > 0 && (t).by[PROC_B] > 0 && (t).unknown == 0,                               \
	      "%s: tf-api answered %d, tf-api-b %d, nobody known %d", what, (t).by[PROC_A], (t).by[PROC_B], \
	      (t).unknown)

#define CHECK_BOTH_LOGGED(m)                                                                               \
	CHECK(request_lines_since(&(m), PROC_A) > 0 && request_lines_since(&(m), PROC_B) > 0,                  \
	      "per-request lines logged during the test: tf-api %d, tf-api-b %d", request_lines_since(&(m), PROC_A), \
	      request_lines_since(&(m), PROC_B))

static bool b_runs(void)
{
	char path[1024];
	snprintf(path, sizeof(path), "%s/run/tf-api-b.pid", getenv("TF_STACK_DIR"));
	char *pid = slurp(path, NULL);
	bool alive = pid && atoi(pid) > 0 && kill(atoi(pid), 0) == 0;
	free(pid);
	return alive;
}

static void a_second_tf_api_joins_the_upstream_and_both_serve(void)
{
	struct mark m;
	mark_now(&m);
	int rc = stack_ctl("start_second_api", NULL);
	CHECK(rc == 0, "start_second_api failed (%d); see log/tf-api-b.log", rc);
	CHECK(b_runs(), "tf-api-b does not run after start_second_api");
	struct mark after_start;
	mark_now(&after_start);
	struct tally t = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		struct resp *r = http("GET", "/health", NULL, NULL);
		CHECK_STATUS(r, 200);
		count(&t, &after_start, r);
	}
	CHECK_BOTH(t, "health");
	CHECK_BOTH_LOGGED(m);
}

static void an_api_key_and_a_platform_token_work_and_are_revoked_on_either_process(void)
{
	char key[128], tenant[80], user[96], token[1024], pro[128], pro_id[64], body[256];
	struct mark m;
	struct tally t = { 0 };
	struct resp *r;

	mark_now(&m);
	signup("twoapi-auth", key, tenant);
	CHECK(strncmp(key, "tf_free_", 8) == 0, "signup: %s", last_resp()->body);
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", "/api/account", key, NULL);
		CHECK(r->status == 200 && jis(r->json, "tenantId", tenant), "the key, request %d: %ld %s", i, r->status, r->body);
		count(&t, &m, r);
	}
	CHECK_BOTH(t, "the key just signed up");

	/* A token one process signed is accepted by the other. */
	CHECK(user_with_role(key, "Developer", user, token), "login: %s", last_resp()->body);
	enum proc signer = served_by(&m, last_resp());
	CHECK(signer != PROC_NONE, "nobody logged the login");
	struct tally tt = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", V1 "/functions", token, NULL);
		CHECK(r->status == 200 && jp(r->json, "functions"), "the token, request %d: %ld %s", i, r->status, r->body);
		count(&tt, &m, r);
	}
	CHECK(tt.by[1 - signer] > 0, "no request with the token signed by %s reached the other process", proc_name[signer]);

	/* A second key, known to both processes' caches, is revoked on one and refused by both at once. */
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	r = http("POST", "/api/keys", key, "{}");
	CHECK(r->status == 201 && jps(r->json, "apiKey") && jps(r->json, "id"), "second key: %ld %s", r->status, r->body);
	snprintf(pro, sizeof(pro), "%s", jps(r->json, "apiKey"));
	snprintf(pro_id, sizeof(pro_id), "%s", jps(r->json, "id"));
	struct tally warm = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", "/api/account", pro, NULL);
		CHECK(r->status == 200 && jis(r->json, "tenantId", tenant), "second key, request %d: %ld %s", i, r->status, r->body);
		count(&warm, &m, r);
	}
	CHECK_BOTH(warm, "the second key before its revocation");
	r = httpf("DELETE", key, NULL, "/api/keys/%s", pro_id);
	CHECK_STATUS(r, 200);
	enum proc revoker = served_by(&m, r);
	struct tally gone = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", "/api/account", pro, NULL);
		CHECK(r->status == 401, "the revoked key, request %d: %ld %s", i, r->status, r->body);
		count(&gone, &m, r);
	}
	CHECK_BOTH(gone, "the revoked key");
	CHECK(revoker != PROC_NONE && gone.by[1 - revoker] > 0, "the process that did not revoke the key was never asked");
	CHECK_STATUS(http("GET", "/api/account", key, NULL), 200);

	/* A new password signs the user out on both processes; the new token works on both. */
	snprintf(body, sizeof(body), "{\"password\":\"another-horse-%s\"}", user);
	CHECK_STATUS(httpf("PUT", key, body, V1 "/users/%s/password", user), 204);
	struct tally out = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", V1 "/functions", token, NULL);
		CHECK(r->status == 401, "the token from before the password change, request %d: %ld %s", i, r->status, r->body);
		count(&out, &m, r);
	}
	CHECK_BOTH(out, "the token from before the password change");
	char password[160];
	snprintf(password, sizeof(password), "another-horse-%s", user);
	CHECK(login(user, password, token), "login with the new password: %s", last_resp()->body);
	struct tally in = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = http("GET", V1 "/functions", token, NULL);
		CHECK(r->status == 200, "the new token, request %d: %ld %s", i, r->status, r->body);
		count(&in, &m, r);
	}
	CHECK_BOTH(in, "the new token");
	CHECK_BOTH_LOGGED(m);
}

/* ROUNDS invocations of fn, each answering want; tallies who served them. */
static bool invoke_rounds(const char *key, const char *id, const char *want, const struct mark *m, struct tally *t)
{
	for (int i = 0; i < ROUNDS; i++) {
		struct resp *r = invoke_fn(key, id, NULL);
		if (r->status != 200 || !jis(r->json, "body", want)) {
			t_fail(__FILE__, __LINE__, "invocation %d after the mark, expecting %s: %ld %s", i, want, r->status, r->body);
			return false;
		}
		count(t, m, r);
	}
	return true;
}

static void a_functions_new_code_config_and_deletion_are_seen_by_the_next_request_on_either_process(void)
{
	char key[128], tenant[80], id[64], name[64];
	struct mark m;
	struct resp *r;

	mark_now(&m);
	signup("twoapi-fn", key, tenant);
	unique("two-api", name, sizeof(name));
	CHECK(ready_fn(key, name, "python3.11", "main.handler",
	               "import os\ndef handler(e, c):\n    return 'v1:' + os.environ.get('COLOR', '-')\n",
	               "{\"envVars\":{\"COLOR\":\"red\"}}", id), "create and deploy: %s", last_resp()->body);
	struct tally t1 = { 0 };
	if (!invoke_rounds(key, id, "v1:red", &m, &t1))
		return;
	CHECK_BOTH(t1, "the first version");  /* both now hold the function in their caches */

	/*
	 * New code: until it is deployed both go on running the deployed version (and
	 * cache it again); deployed through one process, the next invocations on both run it.
	 */
	r = httpf("PUT", key, "{\"code\":\"import os\\ndef handler(e, c):\\n    return 'v2:' + os.environ.get('COLOR', '-')\\n\"}",
	          FNS "/%s", id);
	CHECK_STATUS(r, 200);
	struct tally draft = { 0 };
	if (!invoke_rounds(key, id, "v1:red", &m, &draft))
		return;
	CHECK_BOTH(draft, "the first version, new code not yet deployed");
	r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK_STATUS(r, 200);
	enum proc deployer = served_by(&m, r);
	struct tally t2 = { 0 };
	if (!invoke_rounds(key, id, "v2:red", &m, &t2))
		return;
	CHECK_BOTH(t2, "the new code");
	CHECK(deployer != PROC_NONE && t2.by[1 - deployer] > 0, "the process that did not deploy was never asked");

	/* A new environment, the same. */
	CHECK_STATUS(httpf("PUT", key, "{\"envVars\":{\"COLOR\":\"blue\"}}", FNS "/%s", id), 200);
	struct tally draft2 = { 0 };
	if (!invoke_rounds(key, id, "v2:red", &m, &draft2))
		return;
	CHECK_BOTH(draft2, "the second version, new environment not yet deployed");
	r = httpf("POST", key, NULL, FNS "/%s/deploy", id);
	CHECK_STATUS(r, 200);
	deployer = served_by(&m, r);
	struct tally t3 = { 0 };
	if (!invoke_rounds(key, id, "v2:blue", &m, &t3))
		return;
	CHECK_BOTH(t3, "the new environment");
	CHECK(deployer != PROC_NONE && t3.by[1 - deployer] > 0, "the process that did not deploy was never asked");

	/* Deleted through one process: neither runs it again. */
	r = httpf("DELETE", key, NULL, FNS "/%s", id);
	CHECK_STATUS(r, 200);
	enum proc deleter = served_by(&m, r);
	struct tally t4 = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		r = invoke_fn(key, id, NULL);
		CHECK(r->status == 404, "the deleted function, invocation %d: %ld %s", i, r->status, r->body);
		count(&t4, &m, r);
	}
	CHECK_BOTH(t4, "the deleted function");
	CHECK(deleter != PROC_NONE && t4.by[1 - deleter] > 0, "the process that did not delete was never asked");
	CHECK_BOTH_LOGGED(m);
}

static void a_repeated_idempotency_key_is_answered_with_the_first_request_id_by_either_process(void)
{
	char key[128], tenant[80], name[64], first[64], auth[256], idem[96];
	struct mark m;

	mark_now(&m);
	signup("twoapi-idem", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	unique("two-api-idem", name, sizeof(name));
	CHECK(platform_fn(key, name, "def handler(e, c):\n    return 'ran'\n"), "function: %s", last_resp()->body);
	snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	unique("Idempotency-Key: order", idem, sizeof(idem));
	char path[256];
	snprintf(path, sizeof(path), V1 "/functions/%s/invoke-async", name);
	struct resp *r = http_with_headers("POST", path, "{}", auth, idem);
	CHECK(r->status == 202 && jps(r->json, "requestId"), "first: %ld %s", r->status, r->body);
	snprintf(first, sizeof(first), "%s", jps(r->json, "requestId"));
	enum proc accepter = served_by(&m, r);
	struct tally t = { 0 };
	for (int i = 0; i < ROUNDS; i++) {
		char hdr[32];
		r = http_with_headers("POST", path, "{}", auth, idem);
		CHECK(r->status == 202 && jis(r->json, "requestId", first) && resp_header(r, "Idempotent-Replayed", hdr, sizeof(hdr)),
		      "replay %d answered another invocation than %s: %ld %s", i, first, r->status, r->body);
		count(&t, &m, r);
	}
	CHECK_BOTH(t, "the replays");
	CHECK(accepter != PROC_NONE && t.by[1 - accepter] > 0, "the process that did not accept the first request was never asked");
	r = await_invocation(key, name, first, 30);
	CHECK(jis(r->json, "status", "Succeeded") && jpi(r->json, "attempts", 0) == 1, "ran other than once: %s", r->body);
	CHECK_BOTH_LOGGED(m);
}

static void with_the_second_tf_api_taken_out_requests_still_succeed_on_the_first(void)
{
	char key[128], tenant[80], id[64], name[64];

	int rc = stack_ctl("stop_second_api", NULL);
	CHECK(rc == 0, "stop_second_api failed (%d)", rc);
	CHECK(!b_runs(), "tf-api-b still runs after stop_second_api");
	struct mark m;
	mark_now(&m);
	signup("twoapi-after", key, tenant);
	unique("two-api-after", name, sizeof(name));
	CHECK(ready_fn(key, name, "python3.11", "main.handler", "def handler(e, c):\n    return 'one'\n", NULL, id),
	      "create and deploy: %s", last_resp()->body);
	struct tally t = { 0 };
	if (!invoke_rounds(key, id, "one", &m, &t))
		return;
	for (int i = 0; i < ROUNDS; i++) {
		struct resp *r = http("GET", "/health", NULL, NULL);
		CHECK_STATUS(r, 200);
		count(&t, &m, r);
	}
	CHECK(t.by[PROC_A] == 2 * ROUNDS && t.by[PROC_B] == 0 && t.unknown == 0,
	      "after the stop: tf-api answered %d, tf-api-b %d, nobody known %d of %d", t.by[PROC_A], t.by[PROC_B], t.unknown,
	      2 * ROUNDS);
	CHECK(request_lines_since(&m, PROC_B) == 0 && request_lines_since(&m, PROC_A) >= 2 * ROUNDS,
	      "per-request lines after the stop: tf-api %d, tf-api-b %d", request_lines_since(&m, PROC_A),
	      request_lines_since(&m, PROC_B));
}

static const struct test tests[] = {
	{ "two_api: a second tf-api joins nginx's upstream and requests reach both", a_second_tf_api_joins_the_upstream_and_both_serve },
	{ "two_api: an API key and a platform token work, and are revoked, on whichever process a request lands",
	  an_api_key_and_a_platform_token_work_and_are_revoked_on_either_process },
	{ "two_api: a function's new code, new environment and deletion are seen by the next request on either process",
	  a_functions_new_code_config_and_deletion_are_seen_by_the_next_request_on_either_process },
	{ "two_api: a repeated Idempotency-Key is answered with the first request's id by either process",
	  a_repeated_idempotency_key_is_answered_with_the_first_request_id_by_either_process },
	{ "two_api: with the second tf-api taken out of the upstream, every request succeeds on the first",
	  with_the_second_tf_api_taken_out_requests_still_succeed_on_the_first },
};
const struct suite suite_two_api = { tests, sizeof(tests) / sizeof(tests[0]) };
