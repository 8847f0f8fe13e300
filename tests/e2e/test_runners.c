/*
 * Many runners: three tf-worker nodes on the test stack (scripts/lib/stack.sh's
 * start_runners), warm affinity, the Runners API's real values, a drain, and a
 * runner killed under load. Runners 2 and 3 are stopped at the end.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

#define SLEEPER "import time\ndef handler(event, context):\n    time.sleep(event.get('s', 0))\n    return 'slept'\n"
#define HELLO "def handler(event, context):\n    return 'hello'\n"

/* The runners the Runners API lists as healthy, once at least want are; -1 if not within 30 s. */
static int healthy_runners(const char *admin, int want)
{
	int n = 0;
	for (int i = 0; i < 300; i++) {
		struct resp *r = http("GET", V1 "/runners", admin, NULL);
		json_object *list = jp(r->json, "runners");
		n = 0;
		for (size_t k = 0; list && k < json_object_array_length(list); k++) {
			json_object *o = json_object_array_get_idx(list, k);
			json_object *h = jp(o, "health.isHealthy");
			n += h && json_object_get_boolean(h);
		}
		if (n >= want)
			return n;
		sleep_ms(100);
	}
	return -1;
}

/* Three runners, and tf-api linked to each (it looks at the registry twice a second). */
static bool three_runners(const char *admin)
{
	if (stack_ctl("start_runners", "3") != 0 || healthy_runners(admin, 3) < 3)
		return false;
	sleep_ms(1500);
	return true;
}

static long long count_of(const char *fn_id, const char *where)
{
	char q[512];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM invocations WHERE function_id = '%s' AND %s", fn_id, where);
	return stack_sql_number(q);
}

/* Waits until the recorder has written n invocations of the function. */
static bool recorded(const char *fn_id, long long n)
{
	for (int i = 0; i < 200; i++) {
		if (count_of(fn_id, "1") >= n)
			return true;
		sleep_ms(100);
	}
	return false;
}

static bool fn_id_of(const char *admin, const char *name, char id[64])
{
	struct resp *r = httpf("GET", admin, NULL, V1 "/functions/%s", name);
	if (r->status != 200 || jps(r->json, "id") == NULL)
		return false;
	snprintf(id, 64, "%s", jps(r->json, "id"));
	return true;
}

#define STEADY_CALLERS 4
#define STEADY_ROUNDS 12

/*
 * Four callers invoke one function over and over. The first round starts its
 * instances; from then on each invocation goes to a runner holding an idle
 * instance of it: no cold start after the warm-up, only runners that started one.
 */
static void steady_load_on_three_runners_stays_warm_where_it_started(void)
{
	char admin[1024], id[64], path[128];
	long statuses[STEADY_CALLERS];

	CHECK(admin_token(admin), "admin login");
	CHECK(three_runners(admin), "three runners did not come up");
	CHECK(platform_fn(admin, "affine", HELLO), "function");
	CHECK(fn_id_of(admin, "affine", id), "id");
	snprintf(path, sizeof(path), V1 "/functions/affine/invoke");
	for (int round = 0; round < STEADY_ROUNDS; round++) {
		struct burst *b = burst_start(path, admin, "{}", STEADY_CALLERS);
		int sent = burst_wait(b, statuses, NULL, STEADY_CALLERS);
		for (int i = 0; i < sent; i++)
			CHECK(statuses[i] == 200, "round %d: HTTP %ld", round, statuses[i]);
		CHECK(sent == STEADY_CALLERS, "round %d: %d sent", round, sent);
		if (round == 1)
			CHECK(recorded(id, 2 * STEADY_CALLERS), "the first rounds were not recorded");
	}
	CHECK(recorded(id, STEADY_ROUNDS * STEADY_CALLERS), "not every invocation was recorded");
	/* The warm-up: at most one instance per caller, wherever the runners started them. */
	long long cold = count_of(id, "cold_start = 1");
	CHECK(cold >= 1 && cold <= STEADY_CALLERS, "%lld cold starts for %d callers", cold, STEADY_CALLERS);
	char q[512], last_cold[40];
	snprintf(q, sizeof(q), "SELECT MAX(started_at) FROM invocations WHERE function_id = '%s' AND cold_start = 1", id);
	stack_sql_text(q, last_cold, sizeof(last_cold));
	char after[128];
	snprintf(after, sizeof(after), "started_at > '%s'", last_cold);
	long long warm_after = count_of(id, after);
	CHECK(warm_after >= (STEADY_ROUNDS - 3) * STEADY_CALLERS, "only %lld invocations after the last cold start",
	      warm_after);
	/* Every warm one ran on a runner that had started an instance of it. */
	snprintf(q, sizeof(q),
	         "SELECT COUNT(*) FROM invocations WHERE function_id = '%s' AND cold_start = 0 AND runner_id NOT IN"
	         " (SELECT runner_id FROM invocations WHERE function_id = '%s' AND cold_start = 1)", id, id);
	CHECK(stack_sql_number(q) == 0, "warm invocations ran on runners holding no instance of the function");
	/* And one at a time, each goes where an idle instance waits. */
	for (int i = 0; i < 10; i++) {
		struct resp *r = http("POST", V1 "/functions/affine/invoke", admin, "{}");
		CHECK_STATUS(r, 200);
		json_object *c = jp(r->json, "wasColdStart");
		CHECK(c && !json_object_get_boolean(c), "call %d was a cold start: %s", i, r->body);
	}
}

/* Every field of the reference, with values read from the runners themselves. */
static void the_runners_api_shows_every_runner_with_real_values(void)
{
	char admin[1024], id[64], q[256], holder[80];

	CHECK(admin_token(admin), "admin login");
	CHECK(three_runners(admin), "three runners");
	CHECK(platform_fn(admin, "listed", HELLO), "function");
	CHECK(fn_id_of(admin, "listed", id), "id");
	struct resp *r = http("GET", V1 "/runners", admin, NULL);
	CHECK_STATUS(r, 200);
	json_object *list = jp(r->json, "runners");
	CHECK(list && json_object_array_length(list) >= 3 && jpi(r->json, "total", 0) >= 3, "%s", r->body);
	int live = 0;
	for (size_t k = 0; k < json_object_array_length(list); k++) {
		json_object *o = json_object_array_get_idx(list, k);
		if (!json_object_get_boolean(jp(o, "health.isHealthy")))
			continue;
		live++;
		CHECK(jps(o, "nodeId") && jps(o, "hostname") && jps(o, "startedAt") && jps(o, "lastHeartbeat"), "%s",
		      json_object_to_json_string(o));
		CHECK(jpi(o, "port", 0) > 0 && jpi(o, "port", 0) < 65536, "port: %s", json_object_to_json_string(o));
		CHECK(jp(o, "health.cpuUsage") && jp(o, "health.memoryUsage") && jp(o, "health.activeContainers"), "%s",
		      json_object_to_json_string(o));
	}
	CHECK(live >= 3, "%d healthy runners", live);
	/* The runner that ran the function lists its instance as "listed:v1" (from its next heartbeat). */
	CHECK_STATUS(http("POST", V1 "/functions/listed/invoke", admin, "{}"), 200);
	snprintf(q, sizeof(q), "SELECT runner_id FROM invocations WHERE function_id = '%s' ORDER BY started_at DESC LIMIT 1",
	         id);
	json_object *containers = NULL, *inst = NULL;
	for (int i = 0; i < 80 && inst == NULL; i++) {
		sleep_ms(100);
		if (!stack_sql_text(q, holder, sizeof(holder))[0])
			continue;
		r = httpf("GET", admin, NULL, V1 "/runners/%s", holder);
		containers = jp(r->json, "activeContainers");
		if (!containers || !json_object_object_get_ex(containers, "listed:v1", &inst))
			inst = NULL;
	}
	CHECK_STATUS(r, 200);
	CHECK(inst && strncmp(json_object_get_string(inst), "instance-", 9) == 0, "%s", r->body);
	CHECK(jpi(r->json, "resources.totalCpuCores", 0) > 0 && jpi(r->json, "resources.totalMemoryMB", 0) > 0 &&
	      jpi(r->json, "resources.maxContainers", 0) > 0, "%s", r->body);
	CHECK(jpi(r->json, "metrics.totalInvocations", 0) > 0 && jp(r->json, "health.queuedInvocations"), "%s", r->body);
	CHECK(jpi(r->json, "port", 0) > 0, "%s", r->body);
}

static void *stop_runner_3(void *arg)
{
	(void)arg;
	stack_ctl("stop_one", "tf-worker-3");
	return NULL;
}

/* Whether a process's log holds text. */
static bool log_holds(const char *name, const char *text)
{
	char path[1024];
	size_t len;
	snprintf(path, sizeof(path), "%s/log/%s.log", getenv("TF_STACK_DIR"), name);
	char *all = slurp(path, &len);
	bool found = all && strstr(all, text);
	free(all);
	return found;
}

#define DRAIN_CALLS 9

/*
 * SIGTERM: the runner finishes what it runs and takes nothing new; tf-api sends
 * everything else to the other runners. No caller sees an error.
 */
static void a_runner_stopped_with_sigterm_drains(void)
{
	char admin[1024];
	long statuses[DRAIN_CALLS];

	CHECK(admin_token(admin), "admin login");
	CHECK(three_runners(admin), "three runners");
	CHECK(platform_fn(admin, "drained", SLEEPER), "function");
	struct burst *b = burst_start(V1 "/functions/drained/invoke", admin, "{\"payload\":{\"s\":2}}", DRAIN_CALLS);
	sleep_ms(700);
	pthread_t t;
	CHECK(pthread_create(&t, NULL, stop_runner_3, NULL) == 0, "thread");
	sleep_ms(300);
	/* Sent while runner 3 drains: they go elsewhere. */
	for (int i = 0; i < 3; i++) {
		struct resp *r = http("POST", V1 "/functions/drained/invoke", admin, "{\"payload\":{\"s\":0}}");
		CHECK_STATUS(r, 200);
	}
	int sent = burst_wait(b, statuses, NULL, DRAIN_CALLS);
	pthread_join(t, NULL);
	int ok = 0;
	for (int i = 0; i < sent; i++)
		ok += statuses[i] == 200;
	CHECK(sent == DRAIN_CALLS && ok == DRAIN_CALLS, "%d of %d answered 200", ok, sent);
	CHECK(log_holds("tf-worker-3", "\"drained\""), "runner 3 did not say it drained");
	CHECK(!log_holds("tf-worker-3", "time is up"), "runner 3 gave up waiting");
}

#define KILL_SYNC 9
#define KILL_ASYNC 12

/* The longest a 503 for the function took, from tf-api's request lines; -1 if none. */
static double longest_503(const char *name)
{
	char path[1024], want[160];
	size_t len;
	double most = -1;
	snprintf(path, sizeof(path), "%s/log/tf-api.log", getenv("TF_STACK_DIR"));
	snprintf(want, sizeof(want), "\"path\":\"/api/v1/functions/%s/invoke\",\"status\":\"503\",\"ms\":\"", name);
	char *all = slurp(path, &len);
	for (char *p = all; p && (p = strstr(p, want)) != NULL; p += strlen(want)) {
		double ms = strtod(p + strlen(want), NULL);
		most = ms > most ? ms : most;
	}
	free(all);
	return most;
}

/*
 * A runner dies mid-invocation: its synchronous callers hear 503 at once, not
 * after the function's sleep or timeout; its asynchronous work is taken over by
 * the others (nothing is lost); the Runners API marks it unhealthy.
 */
static void a_runner_killed_under_load_loses_nothing_accepted(void)
{
	char admin[1024], rids[KILL_ASYNC][64], dead[80], hash_id[96];
	long statuses[KILL_SYNC];
	char *bodies[KILL_SYNC];

	CHECK(admin_token(admin), "admin login");
	CHECK(stack_ctl("start_runners", "2") == 0 && healthy_runners(admin, 2) >= 2, "runners 1 and 2");
	sleep_ms(1500);
	CHECK(platform_fn(admin, "victim", SLEEPER), "function");
	CHECK_STATUS(http("PUT", V1 "/functions/victim", admin, "{\"timeout\":20}"), 200);
	for (int i = 0; i < KILL_ASYNC; i++) {
		struct resp *r = http("POST", V1 "/functions/victim/invoke-async", admin, "{\"payload\":{\"s\":2}}");
		CHECK_STATUS(r, 202);
		snprintf(rids[i], sizeof(rids[i]), "%s", jps(r->json, "requestId"));
	}
	struct burst *b = burst_start(V1 "/functions/victim/invoke", admin, "{\"payload\":{\"s\":4}}", KILL_SYNC);
	sleep_ms(1200);
	CHECK(stack_ctl("kill_one", "tf-worker-2") == 0, "cannot kill runner 2");
	int sent = burst_wait(b, statuses, bodies, KILL_SYNC);
	int ok = 0, lost = 0;
	for (int i = 0; i < sent; i++) {
		ok += statuses[i] == 200;
		lost += statuses[i] == 503 && bodies[i] && strstr(bodies[i], "\"SERVICE_UNAVAILABLE\"") &&
		        strstr(bodies[i], "stopped before it answered");
	}
	free_all(bodies, sent);
	CHECK(sent == KILL_SYNC && ok + lost == KILL_SYNC && lost >= 1, "%d sent: %d answered, %d told the runner died",
	      sent, ok, lost);
	/* Killed 1.2 s in, the function sleeping 4 s: answered at the death, not at the function's end. */
	double ms = longest_503("victim");
	CHECK(ms > 0 && ms < 3500, "the callers of the dead runner waited %.0f ms", ms);
	for (int i = 0; i < KILL_ASYNC; i++) {
		struct resp *r = await_invocation(admin, "victim", rids[i], 90);
		CHECK(jis(r->json, "status", "Succeeded"), "async %d: %s", i, r->body);
	}
	stack_config("id", hash_id, sizeof(hash_id));
	snprintf(dead, sizeof(dead), "%s-2", hash_id);
	bool unhealthy = false;
	for (int i = 0; i < 250 && !unhealthy; i++) {
		struct resp *r = httpf("GET", admin, NULL, V1 "/runners/%s", dead);
		json_object *h = jp(r->json, "health.isHealthy");
		unhealthy = r->status == 200 && h && !json_object_get_boolean(h);
		if (!unhealthy)
			sleep_ms(100);
	}
	CHECK(unhealthy, "runner %s is still healthy", dead);
	stack_ctl("stop_runners", NULL);
}

static const struct test tests[] = {
	{ "runners: steady load on three runners stays warm on the runners that started it",
	  steady_load_on_three_runners_stays_warm_where_it_started },
	{ "runners: the Runners API shows every runner with its port, health and instances",
	  the_runners_api_shows_every_runner_with_real_values },
	{ "runners: a runner stopped with SIGTERM drains; no caller sees an error", a_runner_stopped_with_sigterm_drains },
	{ "runners: a runner killed under load: its sync callers hear 503 at once, its async work is taken over",
	  a_runner_killed_under_load_loses_nothing_accepted },
};
const struct suite suite_runners = { tests, sizeof(tests) / sizeof(tests[0]) };
