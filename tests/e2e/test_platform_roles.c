/*
 * Every /api/v1 endpoint against every role, and against a second tenant.
 *
 * An allowed role's call aims where the handler answers harmlessly (a missing name
 * gives 404, a bad body 400) or reads the fixture (200); a forbidden role's must be
 * 403 before any handler runs. Another tenant gets 404 for every resource of this one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

enum { ADMIN = 1, DEVELOPER = 2, OPERATOR = 4, VIEWER = 8, ALL = 15 };

struct endpoint {
	const char *method;
	const char *path;      /* under /api/v1; "F" is the fixture function, "X" one that does not exist */
	const char *body;
	unsigned allowed;
	long allowed_status;   /* what an allowed role gets */
};

#define FN V1 "/functions/matrix"
#define NOFN V1 "/functions/no-such-function"
static const struct endpoint endpoints[] = {
	{ "GET", V1 "/functions", NULL, ALL, 200 },
	{ "POST", V1 "/functions", "{\"bad\":true}", ADMIN | DEVELOPER, 400 },
	{ "GET", FN, NULL, ALL, 200 },
	{ "PUT", NOFN, "{\"timeout\":5}", ADMIN | DEVELOPER, 404 },
	{ "DELETE", NOFN, NULL, ADMIN, 404 },
	{ "GET", FN "/metrics", NULL, ALL, 200 },
	{ "POST", NOFN "/versions", "{\"code\":\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"}", ADMIN | DEVELOPER, 404 },
	{ "GET", FN "/versions", NULL, ALL, 200 },
	{ "GET", FN "/versions/1", NULL, ALL, 200 },
	{ "DELETE", NOFN "/versions/1", NULL, ADMIN | DEVELOPER, 404 },
	{ "POST", NOFN "/aliases", "{\"aliasName\":\"a\",\"version\":1}", ADMIN | DEVELOPER, 404 },
	{ "GET", FN "/aliases/live", NULL, ALL, 200 },
	{ "PUT", NOFN "/aliases/live", "{\"version\":1}", ADMIN | OPERATOR, 404 },
	{ "DELETE", NOFN "/aliases/live", NULL, ADMIN | OPERATOR, 404 },
	{ "POST", FN "/invoke", "{\"invocationType\":\"DryRun\"}", ALL, 204 },
	{ "POST", NOFN "/invoke-async", "{}", ALL, 404 },
	{ "GET", NOFN "/invocations/00000000-0000-4000-8000-000000000000", NULL, ALL, 404 },
	{ "GET", NOFN "/invocations/00000000-0000-4000-8000-000000000000/logs", NULL, ALL, 404 },
	{ "POST", V1 "/deployments", "{}", ADMIN | OPERATOR, 400 },
	{ "GET", V1 "/deployments", NULL, ALL, 200 },
	{ "GET", V1 "/deployments/deploy-nope", NULL, ALL, 404 },
	{ "POST", V1 "/deployments/deploy-nope/rollback", "{}", ADMIN | OPERATOR, 404 },
	{ "GET", V1 "/users", NULL, ADMIN, 200 },
	{ "POST", V1 "/users", "{}", ADMIN, 400 },
	{ "DELETE", V1 "/users/no-such-user", NULL, ADMIN, 404 },
	{ "PUT", V1 "/users/no-such-user/password", "{\"password\":\"long-enough-password\"}", ADMIN, 404 },
};

static void every_endpoint_enforces_its_roles(void)
{
	char key[128], tenant[80];
	const char *role_names[] = { "Admin", "Developer", "Operator", "Viewer" };
	char users[4][96], tokens[4][1024];

	signup("matrix", key, tenant);
	CHECK(platform_fn(key, "matrix", "def handler(e, c):\n    return 1\n"), "fixture function");
	CHECK_STATUS(http("POST", FN "/aliases", key, "{\"aliasName\":\"live\",\"version\":1}"), 201);
	for (int i = 0; i < 4; i++)
		CHECK(user_with_role(key, role_names[i], users[i], tokens[i]), "user %s", role_names[i]);
	for (size_t e = 0; e < sizeof(endpoints) / sizeof(endpoints[0]); e++) {
		const struct endpoint *ep = &endpoints[e];
		for (int i = 0; i < 4; i++) {
			struct resp *r = http(ep->method, ep->path, tokens[i], ep->body);
			if (ep->allowed & (1u << i))
				CHECK(r->status == ep->allowed_status, "%s %s as %s: %ld, expected %ld: %.300s", ep->method, ep->path,
				      role_names[i], r->status, ep->allowed_status, r->body);
			else
				CHECK(platform_error(r, 403, "FORBIDDEN"), "%s %s as %s: %ld, expected 403: %.300s", ep->method, ep->path,
				      role_names[i], r->status, r->body);
		}
	}
	/* Runners: the operator's Admin and Viewer only; a tenant's Admin is refused too. */
	for (int i = 0; i < 4; i++)
		CHECK(platform_error(http("GET", V1 "/runners", tokens[i], NULL), 403, "FORBIDDEN"), "runners as %s", role_names[i]);
}

static void another_tenant_gets_404_for_everything_of_this_one(void)
{
	char a[128], ta[80], b[128], tb[80], rid[64];
	signup("walla1", a, ta);
	signup("wallb1", b, tb);
	CHECK(platform_fn(a, "secret-fn", "def handler(e, c):\n    return 'mine'\n"), "function");
	CHECK(upload_version(a, "secret-fn", "def handler(e, c):\n    return 'mine too'\n") == 2, "version 2");
	CHECK_STATUS(http("POST", V1 "/functions/secret-fn/aliases", a, "{\"aliasName\":\"live\",\"version\":1}"), 201);
	struct resp *r = http("POST", V1 "/functions/secret-fn/invoke", a, "{}");
	CHECK_STATUS(r, 200);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	char inv[160], logs[200];
	snprintf(inv, sizeof(inv), V1 "/functions/secret-fn/invocations/%s", rid);
	snprintf(logs, sizeof(logs), "%s/logs", inv);
	struct { const char *method, *path, *body; } eps[] = {
		{ "GET", V1 "/functions/secret-fn", NULL },
		{ "PUT", V1 "/functions/secret-fn", "{\"timeout\":9}" },
		{ "DELETE", V1 "/functions/secret-fn", NULL },
		{ "GET", V1 "/functions/secret-fn/metrics", NULL },
		{ "POST", V1 "/functions/secret-fn/versions", "{\"code\":\"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\"}" },
		{ "GET", V1 "/functions/secret-fn/versions", NULL },
		{ "GET", V1 "/functions/secret-fn/versions/1", NULL },
		{ "DELETE", V1 "/functions/secret-fn/versions/2", NULL },
		{ "POST", V1 "/functions/secret-fn/aliases", "{\"aliasName\":\"mine\",\"version\":1}" },
		{ "GET", V1 "/functions/secret-fn/aliases/live", NULL },
		{ "PUT", V1 "/functions/secret-fn/aliases/live", "{\"version\":2}" },
		{ "DELETE", V1 "/functions/secret-fn/aliases/live", NULL },
		{ "POST", V1 "/functions/secret-fn/invoke", "{}" },
		{ "POST", V1 "/functions/secret-fn/invoke-async", "{}" },
		{ "GET", inv, NULL },
		{ "GET", logs, NULL },
	};
	for (size_t i = 0; i < sizeof(eps) / sizeof(eps[0]); i++) {
		r = http(eps[i].method, eps[i].path, b, eps[i].body);
		CHECK(platform_error(r, 404, "NOT_FOUND"), "%s %s: %ld %.300s", eps[i].method, eps[i].path, r->status, r->body);
		CHECK(strstr(r->body, "mine") == NULL, "leaked: %s", r->body);
	}
	CHECK(jpi(http("GET", V1 "/functions", b, NULL)->json, "total", -1) == 0, "listed another tenant's function");
	/* Nothing of A's changed. */
	r = http("GET", V1 "/functions/secret-fn/aliases/live", a, NULL);
	CHECK(r->status == 200 && jpi(r->json, "version", 0) == 1, "%s", r->body);
	CHECK(jpi(http("GET", V1 "/functions/secret-fn/versions", a, NULL)->json, "total", 0) == 2, "a version went missing");
	CHECK(strcmp(jps(http("POST", V1 "/functions/secret-fn/invoke", a, "{}")->json, "body"), "mine") == 0, "A's function changed");
}

static const struct test tests[] = {
	{ "platform: every /api/v1 endpoint allows exactly its reference roles (403 otherwise)", every_endpoint_enforces_its_roles },
	{ "platform: another tenant gets 404 on every endpoint and changes nothing", another_tenant_gets_404_for_everything_of_this_one },
};
const struct suite suite_platform_roles = { tests, sizeof(tests) / sizeof(tests[0]) };
