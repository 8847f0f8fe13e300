/* Tenants are walls on the endpoints of dead letters, redrive and passwords too. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

static void another_tenants_dead_letters_redrive_and_passwords_are_404(void)
{
	char a[128], b[128], tenant[80], user[96], token[1024], rid[64], pw[160];

	signup("wall-a", a, tenant);
	signup("wall-b", b, tenant);
	CHECK_STATUS(http("POST", V1 "/functions", a,
	                  "{\"name\":\"private\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"maxRetries\":0}"), 201);
	CHECK(upload_version(a, "private", "def handler(e, c):\n    raise ValueError('kept private')\n") == 1, "version");
	struct resp *r = http("POST", V1 "/functions/private/invoke-async", a, "{}");
	CHECK_STATUS(r, 202);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	for (int i = 0; i < 100 && !jis(r->json, "status", "DeadLettered"); i++) {
		sleep_ms(100);
		r = httpf("GET", a, NULL, V1 "/functions/private/invocations/%s", rid);
	}
	CHECK(jis(r->json, "status", "DeadLettered"), "%s", r->body);
	CHECK(user_with_role(a, "Developer", user, token), "a user of tenant a");

	/* Tenant b knows the names and the request id, and gets nothing. */
	r = http("GET", V1 "/functions/private/dead-letters", b, NULL);
	CHECK(platform_error(r, 404, "NOT_FOUND") && !strstr(r->body, "kept private"), "dead letters: %ld %s", r->status,
	      r->body);
	r = httpf("POST", b, "{}", V1 "/functions/private/invocations/%s/redrive", rid);
	CHECK(platform_error(r, 404, "NOT_FOUND"), "redrive: %ld %s", r->status, r->body);
	r = httpf("PUT", b, "{\"password\":\"taken-over-by-b-1234\"}", V1 "/users/%s/password", user);
	CHECK(platform_error(r, 404, "NOT_FOUND"), "password: %ld %s", r->status, r->body);

	/* And nothing of a's changed. */
	snprintf(pw, sizeof(pw), "correct-horse-%s", user);
	CHECK(login(user, pw, token), "a's user lost its password");
	r = http("GET", V1 "/functions/private/dead-letters", a, NULL);
	CHECK(r->status == 200 && jpi(r->json, "total", 0) == 1 && jis(r->json, "deadLetters.0.requestId", rid), "%s", r->body);
}

static const struct test tests[] = {
	{ "isolation: another tenant's dead letters, redrive and user passwords are 404 and untouched",
	  another_tenants_dead_letters_redrive_and_passwords_are_404 },
};
const struct suite suite_tenant_walls = { tests, sizeof(tests) / sizeof(tests[0]) };
