/*
 * Deployments: canary and blue-green moved and judged by the leader's
 * controller, with durations of seconds so that each can be watched end to end.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "platform.h"

static const char V1_CODE[] = "def handler(e, c):\n    return 'v1'\n";
static const char V2_CODE[] = "def handler(e, c):\n    return 'v2'\n";
/* Fails about half of its calls. */
static const char V2_FLAKY[] =
	"import random\ndef handler(e, c):\n    if random.random() < 0.5:\n        raise ValueError('boom')\n    return 'v2'\n";
static const char V2_SLOW[] = "import time\ndef handler(e, c):\n    time.sleep(0.25)\n    return 'v2'\n";

/* A pro tenant (no daily quota in the way) with function name: version 1 published, version 2 not. */
static bool two_versions(char key[128], const char *prefix, const char *name, const char *v2)
{
	char tenant[80];
	signup(prefix, key, tenant);
	return http("POST", "/api/billing/upgrade", key, NULL)->status == 200 && platform_fn(key, name, V1_CODE) &&
	       upload_version(key, name, v2) == 2;
}

/* Creates a deployment; its id into id. */
static struct resp *deploy(const char *key, const char *body, char id[64])
{
	struct resp *r = http("POST", V1 "/deployments", key, body);
	snprintf(id, 64, "%s", r->status == 202 && jps(r->json, "deploymentId") ? jps(r->json, "deploymentId") : "");
	return r;
}

static struct resp *deployment(const char *key, const char *id)
{
	return httpf("GET", key, NULL, V1 "/deployments/%s", id);
}

static char last_failure[512];  /* the last failed call's answer, for the messages */

/* Invokes fn n times (through alias when given): how many answered v2, and how many failed. */
static void calls(const char *key, const char *fn, const char *alias, int n, int *v2, int *failed)
{
	char body[96];
	snprintf(body, sizeof(body), alias ? "{\"alias\":\"%s\"}" : "{}", alias);
	*v2 = *failed = 0;
	for (int i = 0; i < n; i++) {
		struct resp *r = httpf("POST", key, body, V1 "/functions/%s/invoke", fn);
		if (r->body && strstr(r->body, "\"v2\""))
			(*v2)++;
		else if (!(r->body && strstr(r->body, "\"v1\""))) {
			(*failed)++;
			snprintf(last_failure, sizeof(last_failure), "%ld %s", r->status, r->body ? r->body : "");
		}
	}
}

/* Keeps calling fn while the deployment runs (so that it has invocations to judge); its last answer. */
static struct resp *drive_until_done(const char *key, const char *fn, const char *alias, const char *id, int seconds)
{
	struct resp *r = NULL;
	int v2, failed;
	for (time_t end = time(NULL) + seconds; time(NULL) < end;) {
		r = deployment(key, id);
		if (!jis(r->json, "status", "InProgress"))
			break;
		calls(key, fn, alias, 10, &v2, &failed);
		sleep_ms(100);  /* well within the reference's 10,000 invocations a minute per function */
	}
	return r;
}

/* Whether k of n lies within five standard deviations of a binomial share p. */
static bool binomial_ok(int k, int n, double p)
{
	double sd = sqrt(n * p * (1 - p));
	return fabs(k - n * p) <= 5 * sd + 1;
}

static void the_references_bodies_are_answered_with_every_field_of_its_examples(void)
{
	char key[128], tenant[80], id[64], other[64];
	signup("depref", key, tenant);
	CHECK(http("POST", "/api/billing/upgrade", key, NULL)->status == 200 && platform_fn(key, "image-processor", V1_CODE),
	      "function");
	for (int v = 2; v <= 6; v++)
		CHECK(upload_version(key, "image-processor", V2_CODE) == v, "version %d", v);
	struct resp *r = deploy(key,
	                        "{\n  \"functionName\": \"image-processor\",\n  \"version\": 6,\n  \"strategy\": \"Canary\",\n"
	                        "  \"config\": {\n    \"canaryPercentage\": 10,\n    \"canaryDuration\": \"PT10M\",\n"
	                        "    \"canaryIncrements\": [10, 50, 100],\n    \"rollbackOnErrorRate\": 0.05,\n"
	                        "    \"rollbackOnLatencyP99\": 1000\n  }\n}", id);
	CHECK(r->status == 202 && jps(r->json, "deploymentId") && jis(r->json, "functionName", "image-processor") &&
	      jpi(r->json, "targetVersion", 0) == 6 && jpi(r->json, "sourceVersion", 0) == 1 &&
	      jis(r->json, "strategy", "Canary") && jis(r->json, "status", "InProgress") && jp(r->json, "progress") &&
	      jps(r->json, "startedAt") && jps(r->json, "deployedBy"), "%ld %s", r->status, r->body);
	/* One in progress per function; its versions and the function stay. */
	r = http("POST", V1 "/deployments", key,
	         "{\"functionName\":\"image-processor\",\"version\":5,\"strategy\":\"BlueGreen\",\"config\":{\"testDuration\":\"PT5M\",\"keepBlue\":true}}");
	CHECK(platform_error(r, 409, "CONFLICT"), "a second deployment: %ld %s", r->status, r->body);
	CHECK(platform_error(http("DELETE", V1 "/functions/image-processor/versions/6", key, NULL), 409, "CONFLICT"),
	      "the target version was deleted");
	CHECK(platform_error(http("DELETE", V1 "/functions/image-processor", key, NULL), 409, "CONFLICT"),
	      "the function was deleted");
	/* Status: its phase and the target's metrics. */
	for (int i = 0; i < 50 && !jis(deployment(key, id)->json, "currentPhase", "Canary 10%"); i++)
		sleep_ms(200);
	r = deployment(key, id);
	CHECK(jis(r->json, "currentPhase", "Canary 10%") && jpi(r->json, "progress", 0) == 10 &&
	      jp(r->json, "metrics.invocationCount") && jp(r->json, "metrics.errorCount") && jp(r->json, "metrics.errorRate") &&
	      jp(r->json, "metrics.avgDuration") && jp(r->json, "metrics.p99Duration") && jps(r->json, "startedAt"),
	      "%s", r->body);
	/* The reference's rollback, then list. */
	r = httpf("POST", key, "{\n  \"reason\": \"High error rate detected manually\"\n}", V1 "/deployments/%s/rollback", id);
	CHECK(r->status == 200 && jis(r->json, "deploymentId", id) && jis(r->json, "status", "RolledBack") &&
	      jis(r->json, "rollbackReason", "High error rate detected manually") && jps(r->json, "completedAt"),
	      "%ld %s", r->status, r->body);
	CHECK(platform_error(httpf("POST", key, "{}", V1 "/deployments/%s/rollback", id), 409, "CONFLICT"),
	      "rolled back twice");
	r = deploy(key,
	           "{\n  \"functionName\": \"image-processor\",\n  \"version\": 6,\n  \"strategy\": \"BlueGreen\",\n"
	           "  \"config\": {\n    \"testDuration\": \"PT5M\",\n    \"keepBlue\": true\n  }\n}", other);
	CHECK(r->status == 202 && jis(r->json, "strategy", "BlueGreen") && jpi(r->json, "sourceVersion", 0) == 1 &&
	      jps(r->json, "deployedBy"), "%ld %s", r->status, r->body);
	CHECK_STATUS(httpf("POST", key, "{}", V1 "/deployments/%s/rollback", other), 200);
	r = http("GET", V1 "/deployments?functionName=image-processor&status=RolledBack&limit=10", key, NULL);
	CHECK(r->status == 200 && jpi(r->json, "total", 0) == 2 && jis(r->json, "deployments.0.deploymentId", other) &&
	      jis(r->json, "deployments.1.deploymentId", id) && jpi(r->json, "deployments.0.targetVersion", 0) == 6 &&
	      jis(r->json, "deployments.0.strategy", "BlueGreen") && jis(r->json, "deployments.0.status", "RolledBack") &&
	      jps(r->json, "deployments.0.startedAt") && jps(r->json, "deployments.0.completedAt"), "%s", r->body);
	r = http("GET", V1 "/deployments?functionName=image-processor&status=Completed&limit=10", key, NULL);
	CHECK(r->status == 200 && jpi(r->json, "total", -1) == 0, "%s", r->body);
	/* Another tenant sees none of it. */
	char stranger[128];
	signup("depother", stranger, tenant);
	CHECK(platform_error(deployment(stranger, id), 404, "NOT_FOUND"), "another tenant read it");
	CHECK(platform_error(httpf("POST", stranger, "{}", V1 "/deployments/%s/rollback", id), 404, "NOT_FOUND"), "rollback");
	CHECK(jpi(http("GET", V1 "/deployments", stranger, NULL)->json, "total", -1) == 0, "listed to another tenant");
}

static void bad_deployments_are_refused_with_details_and_store_nothing(void)
{
	char key[128];
	CHECK(two_versions(key, "depbad", "svc", V2_CODE), "function");
	static const struct {
		const char *body, *field;
	} cases[] = {
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Linear\"}", "strategy" },
		{ "{\"functionName\":\"svc\",\"version\":9,\"strategy\":\"Canary\"}", "version" },
		{ "{\"functionName\":\"svc\",\"version\":1,\"strategy\":\"Canary\"}", "version" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":{\"canaryDuration\":\"10 minutes\"}}",
		  "config.canaryDuration" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":{\"canaryIncrements\":[50,10,100]}}",
		  "config.canaryIncrements" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":{\"canaryPercentage\":20,\"canaryIncrements\":[10,100]}}",
		  "config.canaryPercentage" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":{\"rollbackOnErrorRate\":2}}",
		  "config.rollbackOnErrorRate" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":{\"testDuration\":\"PT5M\"}}",
		  "config.testDuration" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"BlueGreen\",\"config\":{\"alias\":\"nope\"}}", "config.alias" },
		{ "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"extra\":1}", "extra" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (i == 8)  /* refusals count against the 10 creations a minute, too */
			CHECK(two_versions(key, "depbad", "svc", V2_CODE), "function");
		struct resp *r = http("POST", V1 "/deployments", key, cases[i].body);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, cases[i].field), "%s: %ld %s", cases[i].body,
		      r->status, r->body);
	}
	struct resp *r = http("POST", V1 "/deployments", key, "{\"functionName\":\"nope\",\"version\":2,\"strategy\":\"Canary\"}");
	CHECK(platform_error(r, 404, "NOT_FOUND"), "%ld %s", r->status, r->body);
	/* The reference's limit: 10 creations a minute per user. */
	for (int i = 0; i < 7; i++)
		CHECK_STATUS(http("POST", V1 "/deployments", key, "{}"), 400);
	r = http("POST", V1 "/deployments", key, "{}");
	CHECK(platform_error(r, 429, "RATE_LIMIT_EXCEEDED"), "the 11th creation in a minute: %ld %s", r->status, r->body);
	CHECK(jpi(http("GET", V1 "/deployments", key, NULL)->json, "total", -1) == 0, "a refused deployment was stored");
}

/*
 * 10%, 50%, then all: the share of invocations the target answers at each step
 * lies within a binomial bound of the step's percentage.
 */
static void a_canary_moves_traffic_step_by_step_and_completes(void)
{
	char key[128], id[64];
	int seen[101] = { 0 }, on_target[101] = { 0 }, v2, failed;
	CHECK(two_versions(key, "canary", "svc", V2_CODE), "function");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryDuration\":\"PT4S\",\"canaryIncrements\":[10,50,100],\"rollbackOnErrorRate\":0.05}}", id),
	             202);
	struct resp *r = NULL;
	for (time_t end = time(NULL) + 90; time(NULL) < end;) {
		r = deployment(key, id);
		if (!jis(r->json, "status", "InProgress"))
			break;
		char before[64];
		snprintf(before, sizeof(before), "%s", jps(r->json, "currentPhase") ? jps(r->json, "currentPhase") : "");
		calls(key, "svc", NULL, 10, &v2, &failed);
		sleep_ms(100);  /* well within the reference's 10,000 invocations a minute per function */
		int pct;
		/* Counted only when the phase was the same before and after the calls. */
		if (sscanf(before, "Canary %d%%", &pct) == 1 && pct > 0 && pct <= 100 &&
		    jis(deployment(key, id)->json, "currentPhase", before)) {
			seen[pct] += 10;
			on_target[pct] += v2;
		}
		CHECK(failed == 0, "%d calls failed: %s", failed, last_failure);
	}
	CHECK(jis(r->json, "status", "Completed") && jpi(r->json, "progress", 0) == 100, "%s", r->body);
	printf("# canary: 10%% step %d of %d on the target, 50%% step %d of %d\n", on_target[10], seen[10], on_target[50],
	       seen[50]);
	CHECK(seen[10] >= 40 && binomial_ok(on_target[10], seen[10], 0.1), "10%%: %d of %d", on_target[10], seen[10]);
	CHECK(seen[50] >= 40 && binomial_ok(on_target[50], seen[50], 0.5), "50%%: %d of %d", on_target[50], seen[50]);
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 20, "after completion %d of 20 on the target", v2);
	CHECK(jis(http("GET", V1 "/functions/svc", key, NULL)->json, "publishedVersion", "v2"), "the target is not published");
}

static void a_canary_that_fails_is_rolled_back_within_seconds_by_its_error_rate(void)
{
	char key[128], id[64];
	int v2, failed;
	CHECK(two_versions(key, "canaryerr", "svc", V2_FLAKY), "function");
	/* A step of a minute: the rollback must come from the judging during the step. */
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":50,\"canaryDuration\":\"PT1M\",\"rollbackOnErrorRate\":0.05}}", id),
	             202);
	time_t t0 = time(NULL);
	struct resp *r = drive_until_done(key, "svc", NULL, id, 40);
	CHECK(jis(r->json, "status", "RolledBack") && strncmp(jps(r->json, "rollbackReason"), "errorRate ", 10) == 0 &&
	      strstr(jps(r->json, "rollbackReason"), "> 0.05 in Canary 50%"), "%s", r->body);
	CHECK(time(NULL) - t0 < 30, "rolled back after %lld s", (long long)(time(NULL) - t0));
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "after the rollback: %d on the target, %d failed", v2, failed);
	CHECK(jis(http("GET", V1 "/functions/svc", key, NULL)->json, "publishedVersion", "v1"), "the source is not published");
}

static void a_canary_too_slow_at_p99_is_rolled_back(void)
{
	char key[128], id[64];
	CHECK(two_versions(key, "canaryslow", "svc", V2_SLOW), "function");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":50,\"canaryDuration\":\"PT1M\",\"rollbackOnLatencyP99\":100}}", id),
	             202);
	struct resp *r = drive_until_done(key, "svc", NULL, id, 60);
	CHECK(jis(r->json, "status", "RolledBack") && strncmp(jps(r->json, "rollbackReason"), "p99Duration ", 12) == 0 &&
	      jp(r->json, "metrics.p99Duration") && json_object_get_double(jp(r->json, "metrics.p99Duration")) > 100,
	      "%s", r->body);
}

/* Whether one invocation of fn was a cold start. */
static bool cold(const char *key, const char *fn)
{
	struct resp *r = httpf("POST", key, "{}", V1 "/functions/%s/invoke", fn);
	return json_object_get_boolean(jp(r->json, "wasColdStart"));
}

static void blue_green_tests_green_then_switches_at_once(void)
{
	char key[128], id[64], plain[64];
	int v2, failed;
	CHECK(two_versions(key, "bluegreen", "svc", V2_CODE), "function");
	/* Beside it, one without keepBlue: switched when its test ends, proven or not. */
	CHECK(platform_fn(key, "plain", V1_CODE) && upload_version(key, "plain", V2_CODE) == 2, "second function");
	(void)cold(key, "plain");  /* its blue has a warm instance too */
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"BlueGreen\",\"config\":"
	                         "{\"testDuration\":\"PT4S\",\"keepBlue\":true,\"rollbackOnErrorRate\":0.05}}", id),
	             202);
	CHECK_STATUS(deploy(key, "{\"functionName\":\"plain\",\"version\":2,\"strategy\":\"BlueGreen\",\"config\":"
	                         "{\"testDuration\":\"PT4S\",\"maxExtensions\":0,\"onUnproven\":\"Promote\"}}", plain),
	             202);
	for (int i = 0; i < 50 && !jis(deployment(key, id)->json, "currentPhase", "Testing green"); i++)
		sleep_ms(200);
	/* While green is tested, live traffic stays on blue; the test route reaches green. */
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "live traffic reached green: %d", v2);
	calls(key, "svc", "green", 20, &v2, &failed);
	CHECK(v2 == 20, "the test route reached green %d of 20 times", v2);
	struct resp *r = drive_until_done(key, "svc", "green", id, 40);
	CHECK(jis(r->json, "status", "Completed") && jis(r->json, "currentPhase", "Switched") && jps(r->json, "keepBlueUntil"),
	      "%s", r->body);
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 20, "after the switch %d of 20 on green", v2);
	CHECK(platform_error(http("GET", V1 "/functions/svc/aliases/green", key, NULL), 404, "NOT_FOUND"),
	      "the test alias outlived the deployment");
	for (int i = 0; i < 100 && !jis(deployment(key, plain)->json, "status", "Completed"); i++)
		sleep_ms(200);
	CHECK(jis(deployment(key, plain)->json, "currentPhase", "Switched"), "%s", last_resp()->body);
	/* Past the test stack's idle_seconds (8): blue's instances were kept only where keepBlue asked. */
	sleep_ms(12000);
	/* Rolled back after the switch: blue is live again at once, and warm. */
	r = httpf("POST", key, "{\"reason\":\"customers complain\"}", V1 "/deployments/%s/rollback", id);
	CHECK(r->status == 200 && jis(r->json, "status", "RolledBack"), "%ld %s", r->status, r->body);
	CHECK_STATUS(httpf("POST", key, "{}", V1 "/deployments/%s/rollback", plain), 200);
	CHECK(!cold(key, "svc"), "blue was not kept warm");
	CHECK(cold(key, "plain"), "blue of a deployment without keepBlue was kept: the check proves nothing");
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "after the rollback %d on green", v2);
}

static void blue_green_whose_green_fails_its_test_is_rolled_back(void)
{
	char key[128], id[64];
	int v2, failed;
	CHECK(two_versions(key, "bgfail", "svc", V2_FLAKY), "function");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"BlueGreen\",\"config\":"
	                         "{\"testDuration\":\"PT1M\",\"rollbackOnErrorRate\":0.05}}", id),
	             202);
	for (int i = 0; i < 50 && !jis(deployment(key, id)->json, "currentPhase", "Testing green"); i++)
		sleep_ms(200);
	struct resp *r = drive_until_done(key, "svc", "green", id, 40);
	CHECK(jis(r->json, "status", "RolledBack") && strstr(jps(r->json, "rollbackReason"), "in Testing green"), "%s", r->body);
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "blue was not kept: %d on green, %d failed", v2, failed);
}

/* The alias a deployment names moves with the live traffic and gets its version back on a rollback. */
static void a_manual_rollback_gives_all_traffic_back_at_once(void)
{
	char key[128], id[64];
	int v2, failed;
	CHECK(two_versions(key, "manual", "svc", V2_CODE), "function");
	CHECK_STATUS(http("POST", V1 "/functions/svc/aliases", key, "{\"aliasName\":\"live\",\"version\":1}"), 201);
	/* A routing of its own (all to version 1), which a rollback must give back as it was. */
	CHECK_STATUS(http("PUT", V1 "/functions/svc/aliases/live", key, "{\"routingConfig\":{\"1\":100}}"), 200);
	/* A public route that follows the published version follows the split too. */
	struct resp *t = http("POST", V1 "/functions/svc/triggers", key, "{\"type\":\"Http\",\"config\":{\"httpPath\":\"/svc\"}}");
	const char *url = t->status == 201 ? jps(t->json, "url") : NULL;
	char route[256];
	snprintf(route, sizeof(route), "%s", url && strstr(url, "/fn/") ? strstr(url, "/fn/") : "/fn/none");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":50,\"canaryDuration\":\"PT5M\",\"alias\":\"live\"}}", id),
	             202);
	for (int i = 0; i < 50 && !jis(deployment(key, id)->json, "currentPhase", "Canary 50%"); i++)
		sleep_ms(200);
	calls(key, "svc", NULL, 40, &v2, &failed);
	CHECK(v2 > 0 && v2 < 40, "at 50%% the target answered %d of 40", v2);
	calls(key, "svc", "live", 40, &v2, &failed);
	CHECK(v2 > 0 && v2 < 40 && failed == 0, "at 50%% the target answered %d of 40 through the alias", v2);
	int routed = 0;
	for (int i = 0; i < 40; i++) {
		struct resp *g = http("GET", route, NULL, NULL);
		CHECK(g->status == 200, "the route: %ld %s", g->status, g->body);
		routed += g->body && strstr(g->body, "v2") != NULL;
	}
	CHECK(routed > 0 && routed < 40, "at 50%% the target answered %d of 40 on the public route", routed);
	/* The alias is the deployment's while it runs. */
	CHECK(platform_error(http("PUT", V1 "/functions/svc/aliases/live", key, "{\"version\":2}"), 409, "CONFLICT"),
	      "the alias was changed under the deployment");
	CHECK(platform_error(http("DELETE", V1 "/functions/svc/aliases/live", key, NULL), 409, "CONFLICT"),
	      "the alias was deleted under the deployment");
	struct resp *r = httpf("POST", key, "{\"reason\":\"not today\"}", V1 "/deployments/%s/rollback", id);
	CHECK(r->status == 200 && jis(r->json, "rollbackReason", "not today"), "%ld %s", r->status, r->body);
	calls(key, "svc", NULL, 40, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "after the rollback the target answered %d of 40", v2);
	calls(key, "svc", "live", 40, &v2, &failed);
	CHECK(v2 == 0 && failed == 0, "after the rollback the target answered %d of 40 through the alias", v2);
	r = http("GET", V1 "/functions/svc/aliases/live", key, NULL);
	CHECK(jpi(r->json, "version", 0) == 1 && json_object_object_length(jp(r->json, "routingConfig")) == 1 &&
	      jpi(r->json, "routingConfig.1", 0) == 100, "the alias's routing was not given back: %s", r->body);
	/* Completed, the alias runs the target alone. */
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":50,\"canaryDuration\":\"PT2S\",\"alias\":\"live\","
	                         "\"onUnproven\":\"Promote\",\"maxExtensions\":0}}", id),
	             202);
	for (int i = 0; i < 100 && jis((r = deployment(key, id))->json, "status", "InProgress"); i++)
		sleep_ms(200);
	CHECK(jis(r->json, "status", "Completed"), "%s", r->body);
	r = http("GET", V1 "/functions/svc/aliases/live", key, NULL);
	CHECK(jpi(r->json, "version", 0) == 2 && json_object_object_length(jp(r->json, "routingConfig")) == 0, "%s", r->body);
}

/* A step with too few invocations to judge is extended, then rolled back as unproven, or promoted when asked. */
static void an_unproven_step_is_rolled_back_or_promoted_as_configured(void)
{
	char key[128], id[64], other[64];
	CHECK(two_versions(key, "unproven", "svc", V2_CODE) && upload_version(key, "svc", V2_CODE) == 3, "function");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":10,\"canaryDuration\":\"PT2S\",\"maxExtensions\":1}}", id),
	             202);
	struct resp *r = NULL;
	for (int i = 0; i < 100 && jis((r = deployment(key, id))->json, "status", "InProgress"); i++)
		sleep_ms(200);
	CHECK(jis(r->json, "status", "RolledBack") && strncmp(jps(r->json, "rollbackReason"), "unproven: 0 invocations", 23) == 0,
	      "%s", r->body);
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":3,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryPercentage\":10,\"canaryDuration\":\"PT2S\",\"maxExtensions\":0,\"onUnproven\":\"Promote\"}}",
	                    other),
	             202);
	for (int i = 0; i < 100 && jis((r = deployment(key, other))->json, "status", "InProgress"); i++)
		sleep_ms(200);
	CHECK(jis(r->json, "status", "Completed"), "%s", r->body);
	CHECK(jis(http("GET", V1 "/functions/svc", key, NULL)->json, "publishedVersion", "v3"), "not promoted");
}

/* The controller's state is MariaDB's: a new leader resumes the canary where the dead one left it. */
static void a_canary_completes_after_its_leader_is_killed(void)
{
	char key[128], id[64];
	int v2, failed;
	CHECK(two_versions(key, "depleader", "svc", V2_CODE), "function");
	CHECK(stack_ctl("start_second_worker", NULL) == 0, "cannot start a second worker");
	CHECK_STATUS(deploy(key, "{\"functionName\":\"svc\",\"version\":2,\"strategy\":\"Canary\",\"config\":"
	                         "{\"canaryDuration\":\"PT4S\",\"canaryIncrements\":[20,60,100]}}", id),
	             202);
	for (int i = 0; i < 50 && !jis(deployment(key, id)->json, "currentPhase", "Canary 20%"); i++)
		sleep_ms(200);
	CHECK(stack_ctl("kill_leader", NULL) == 0, "cannot kill the leader");
	calls(key, "svc", NULL, 30, &v2, &failed);
	CHECK(jis(deployment(key, id)->json, "currentPhase", "Canary 20%"), "the step moved on without a leader");
	struct resp *r = drive_until_done(key, "svc", NULL, id, 90);
	stack_ctl("start_worker", NULL);
	stack_ctl("kill_one", "tf-worker-b");
	stack_ctl("start_worker", NULL);
	CHECK(jis(r->json, "status", "Completed"), "%s", r->body);
	calls(key, "svc", NULL, 20, &v2, &failed);
	CHECK(v2 == 20 && failed == 0, "after completion %d of 20 on the target, %d failed: %s", v2, failed, last_failure);
}

static const struct test tests[] = {
	{ "deployments: the reference's bodies answer every field of its examples; one at a time; walls",
	  the_references_bodies_are_answered_with_every_field_of_its_examples },
	{ "deployments: bad input is refused with field details and stores nothing",
	  bad_deployments_are_refused_with_details_and_store_nothing },
	{ "deployments: a canary moves 10%, 50%, then all traffic, each share within a binomial bound",
	  a_canary_moves_traffic_step_by_step_and_completes },
	{ "deployments: a failing canary is rolled back by its error rate within seconds",
	  a_canary_that_fails_is_rolled_back_within_seconds_by_its_error_rate },
	{ "deployments: a canary past its p99 latency is rolled back", a_canary_too_slow_at_p99_is_rolled_back },
	{ "deployments: blue-green tests green on its alias, then switches at once; a rollback after brings blue back",
	  blue_green_tests_green_then_switches_at_once },
	{ "deployments: blue-green whose green fails its test is rolled back", blue_green_whose_green_fails_its_test_is_rolled_back },
	{ "deployments: a manual rollback gives all traffic back at once; the alias it names moves with it",
	  a_manual_rollback_gives_all_traffic_back_at_once },
	{ "deployments: an unproven step is rolled back, or promoted when the config says so",
	  an_unproven_step_is_rolled_back_or_promoted_as_configured },
	{ "deployments: a canary completes on the other worker after its leader is killed",
	  a_canary_completes_after_its_leader_is_killed },
};
const struct suite suite_deployments = { tests, sizeof(tests) / sizeof(tests[0]) };
