/* The platform API: functions by name, versions from ZIP, aliases, invocation, metrics, runners. */
#include <archive.h>
#include <archive_entry.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "platform.h"

static const char OK_PY[] = "def handler(event, context):\n    return {'statusCode': 200, 'body': 'v' + context.function_version}\n";

static void create_answers_the_reference_fields(void)
{
	char key[128], tenant[80];
	signup("pcreate", key, tenant);
	struct resp *r = http("POST", V1 "/functions", key,
	                      "{\"name\":\"image-processor\",\"description\":\"Process and resize images\",\"runtime\":\"Python311\","
	                      "\"handler\":\"handler.process_image\",\"memorySize\":512,\"timeout\":30,"
	                      "\"environment\":{\"BUCKET_NAME\":\"processed-images\",\"MAX_SIZE\":\"1024\"},"
	                      "\"tags\":{\"team\":\"media\",\"cost-center\":\"engineering\"}}");
	CHECK_STATUS(r, 201);
	CHECK(strcmp(jps(r->json, "name"), "image-processor") == 0 && strcmp(jps(r->json, "runtime"), "Python311") == 0 &&
	      strcmp(jps(r->json, "handler"), "handler.process_image") == 0 && jpi(r->json, "memorySize", 0) == 512 &&
	      jpi(r->json, "timeout", 0) == 30 && jps(r->json, "ownerId") && jps(r->json, "createdAt") && jps(r->json, "updatedAt"),
	      "%s", r->body);
	CHECK(json_object_is_type(jp(r->json, "publishedVersion"), json_type_null) && jp(r->json, "publishedVersion") == NULL,
	      "publishedVersion not null: %s", r->body);
	r = http("POST", V1 "/functions", key, "{\"name\":\"image-processor\",\"runtime\":\"python3.11\",\"handler\":\"a.b\"}");
	CHECK(platform_error(r, 409, "CONFLICT"), "%s", r->body);
	r = http("GET", V1 "/functions/image-processor", key, NULL);
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "environment.MAX_SIZE"), "1024") == 0 && jpi(r->json, "totalInvocations", -1) == 0 &&
	      jp(r->json, "lastInvokedAt") == NULL && strcmp(jps(r->json, "tags.team"), "media") == 0, "%s", r->body);
}

static void bad_configuration_names_each_field(void)
{
	char key[128], tenant[80];
	signup("pvalid", key, tenant);
	struct { const char *extra, *field; } cases[] = {
		{ "\"memorySize\":100", "memorySize" }, { "\"memorySize\":130", "memorySize" }, { "\"memorySize\":10304", "memorySize" },
		{ "\"timeout\":0", "timeout" }, { "\"timeout\":901", "timeout" }, { "\"runtime\":\"ruby3\"", "runtime" },
		{ "\"handler\":\"nodot\"", "handler" }, { "\"environment\":{\"A\":1}", "environment" },
		{ "\"environment\":{\"bad-name\":\"x\"}", "environment" }, { "\"tags\":{\"t\":[1]}", "tags" },
		{ "\"name\":\"-bad\"", "name" }, { "\"unknown\":1", "unknown" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char body[512];
		snprintf(body, sizeof(body), "{\"name\":\"v%zu\",\"runtime\":\"Nodejs20\",\"handler\":\"index.handler\",%s}", i, cases[i].extra);
		if (strncmp(cases[i].extra, "\"name\"", 6) == 0)
			snprintf(body, sizeof(body), "{\"runtime\":\"Nodejs20\",\"handler\":\"index.handler\",%s}", cases[i].extra);
		struct resp *r = http("POST", V1 "/functions", key, body);
		CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, cases[i].field), "%s: %s", cases[i].extra, r->body);
	}
	struct resp *r = http("POST", V1 "/functions", key, "{\"name\":\"m\",\"runtime\":\"Nodejs20\",\"handler\":\"index.handler\",\"memorySize\":100}");
	CHECK(strstr(r->body, "MemorySize must be 128-10240 MB in 64 MB increments") != NULL, "%s", r->body);
	CHECK(jpi(http("GET", V1 "/functions", key, NULL)->json, "total", -1) == 0, "a rejected create stored something");
	/* Both spellings of a runtime are one runtime. */
	CHECK_STATUS(http("POST", V1 "/functions", key, "{\"name\":\"s1\",\"runtime\":\"python3.11\",\"handler\":\"main.handler\"}"), 201);
	r = http("GET", V1 "/functions?runtime=Python311", key, NULL);
	CHECK(jpi(r->json, "total", 0) == 1, "%s", r->body);
}

static void list_filters_by_runtime_and_tag_and_pages(void)
{
	char key[128], tenant[80];
	signup("plist", key, tenant);
	http("POST", "/api/billing/upgrade", key, NULL);
	const char *fns[] = {
		"{\"name\":\"a\",\"runtime\":\"Python311\",\"handler\":\"m.h\",\"tags\":{\"team\":\"media\"}}",
		"{\"name\":\"b\",\"runtime\":\"Nodejs20\",\"handler\":\"i.h\",\"tags\":{\"team\":\"media\"}}",
		"{\"name\":\"c\",\"runtime\":\"Nodejs20\",\"handler\":\"i.h\",\"tags\":{\"team\":\"web\"}}",
	};
	for (size_t i = 0; i < 3; i++)
		CHECK_STATUS(http("POST", V1 "/functions", key, fns[i]), 201);
	struct resp *r = http("GET", V1 "/functions?tag=team:media", key, NULL);
	CHECK(jpi(r->json, "total", 0) == 2, "%s", r->body);
	r = http("GET", V1 "/functions?tag=team:media&runtime=nodejs20", key, NULL);
	CHECK(jpi(r->json, "total", 0) == 1 && strcmp(jps(r->json, "functions.0.name"), "b") == 0, "%s", r->body);
	r = http("GET", V1 "/functions?limit=2&offset=1", key, NULL);
	CHECK(jpi(r->json, "total", 0) == 3 && json_object_array_length(jp(r->json, "functions")) == 2 &&
	      jpi(r->json, "limit", 0) == 2 && jpi(r->json, "offset", -1) == 1 && strcmp(jps(r->json, "functions.0.name"), "b") == 0,
	      "%s", r->body);
	const char *bad[] = { "?limit=0", "?limit=101", "?offset=-1", "?runtime=cobol", "?tag=nocolon" };
	for (size_t i = 0; i < 5; i++)
		CHECK(platform_error(httpf("GET", key, NULL, V1 "/functions%s", bad[i]), 400, "VALIDATION_ERROR"), "%s", bad[i]);
}

static void update_changes_the_configuration(void)
{
	char key[128], tenant[80];
	signup("pupd", key, tenant);
	CHECK(platform_fn(key, "cfg", OK_PY), "function");
	struct resp *r = http("PUT", V1 "/functions/cfg", key, "{\"memorySize\":1024,\"timeout\":60,\"environment\":{\"B\":\"2\"}}");
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "memorySize", 0) == 1024 && jpi(r->json, "timeout", 0) == 60 && jps(r->json, "updatedAt") &&
	      strcmp(jps(r->json, "environment.B"), "2") == 0, "%s", r->body);
	CHECK(platform_error(http("PUT", V1 "/functions/cfg", key, "{\"timeout\":1000}"), 400, "VALIDATION_ERROR"), "bad timeout");
	CHECK(platform_error(http("PUT", V1 "/functions/nope", key, "{\"timeout\":10}"), 404, "NOT_FOUND"), "missing function");
}

static void soft_delete_frees_the_name(void)
{
	char key[128], tenant[80];
	signup("pdel", key, tenant);
	CHECK(platform_fn(key, "gone", OK_PY), "function");
	CHECK_STATUS(http("DELETE", V1 "/functions/gone", key, NULL), 204);
	CHECK(platform_error(http("GET", V1 "/functions/gone", key, NULL), 404, "NOT_FOUND"), "still there");
	CHECK(platform_error(http("POST", V1 "/functions/gone/invoke", key, "{}"), 404, "NOT_FOUND"), "still invocable");
	CHECK_STATUS(http("POST", V1 "/functions", key, "{\"name\":\"gone\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}"), 201);
}

static void versions_come_from_zips_and_are_never_renumbered(void)
{
	char key[128], tenant[80];
	signup("pver", key, tenant);
	CHECK_STATUS(http("POST", V1 "/functions", key, "{\"name\":\"ver\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}"), 201);
	char *z = zip_b64("main.py", OK_PY);
	char *body = malloc(strlen(z) + 128);
	sprintf(body, "{\"code\":\"%s\",\"description\":\"Fix image orientation bug\",\"environment\":{\"E\":\"1\"}}", z);
	struct resp *r = http("POST", V1 "/functions/ver/versions", key, body);
	CHECK_STATUS(r, 201);
	/* codeSha256 is the SHA-256 of the ZIP's bytes. */
	struct buf zip = BUF_INIT;
	base64_decode(z, strlen(z), 1 << 20, &zip);
	unsigned char md[32];
	unsigned mdlen = 0;
	EVP_Digest(zip.data, zip.len, md, &mdlen, EVP_sha256(), NULL);
	char hex[65];
	for (int i = 0; i < 32; i++)
		sprintf(hex + 2 * i, "%02x", md[i]);
	CHECK(jpi(r->json, "version", 0) == 1 && strcmp(jps(r->json, "versionString"), "v1") == 0 &&
	      strcmp(jps(r->json, "codeSha256"), hex) == 0 && jpi(r->json, "codeSize", 0) == (long long)zip.len &&
	      jps(r->json, "codeLocation") && strcmp(jps(r->json, "runtime"), "Python311") == 0 && jps(r->json, "createdBy"),
	      "%s", r->body);
	buf_free(&zip);
	CHECK(upload_version(key, "ver", OK_PY) == 2, "second version");
	CHECK(upload_version(key, "ver", OK_PY) == 3, "third version");
	CHECK_STATUS(http("DELETE", V1 "/functions/ver/versions/3", key, NULL), 204);
	CHECK(upload_version(key, "ver", OK_PY) == 4, "a deleted number was reused");
	r = http("GET", V1 "/functions/ver/versions?limit=2", key, NULL);
	CHECK(jpi(r->json, "total", 0) == 3 && json_object_array_length(jp(r->json, "versions")) == 2 &&
	      jpi(r->json, "versions.0.version", 0) == 4 && jpi(r->json, "versions.1.version", 0) == 2, "%s", r->body);
	r = http("GET", V1 "/functions/ver/versions/v1", key, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "environment.E"), "1") == 0 && strcmp(jps(r->json, "status"), "Active") == 0 &&
	      strcmp(jps(r->json, "handler"), "main.handler") == 0 && jp(r->json, "invocationCount"), "%s", r->body);
	CHECK(platform_error(http("GET", V1 "/functions/ver/versions/3", key, NULL), 404, "NOT_FOUND"), "deleted version");
	/* The first version was published; the published version cannot be deleted. */
	CHECK(strcmp(jps(http("GET", V1 "/functions/ver", key, NULL)->json, "publishedVersion"), "v1") == 0, "publishedVersion");
	CHECK(platform_error(http("DELETE", V1 "/functions/ver/versions/1", key, NULL), 409, "CONFLICT"), "deleted the published version");
	free(z);
	free(body);
}

/* A ZIP made entry by entry: 'f' file of size bytes of zeros, 'l' symlink to target. */
static char *hostile_zip(const char *path, char type, const char *target, size_t size)
{
	struct buf b64 = BUF_INIT;
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	size_t used = 0;
	size_t cap = size + (1 << 20);
	char *mem = malloc(cap);
	archive_write_open_memory(a, mem, cap, &used);
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_perm(e, 0644);
	if (type == 'l') {
		archive_entry_set_filetype(e, AE_IFLNK);
		archive_entry_set_symlink(e, target);
	} else {
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_size(e, (la_int64_t)size);
	}
	archive_write_header(a, e);
	char *zeros = calloc(1, 1 << 20);
	for (size_t left = type == 'f' ? size : 0; left > 0;) {
		size_t k = left < (1 << 20) ? left : (1 << 20);
		archive_write_data(a, zeros, k);
		left -= k;
	}
	free(zeros);
	archive_entry_free(e);
	archive_write_close(a);
	archive_write_free(a);
	base64_encode(mem, used, &b64);
	free(mem);
	return buf_steal(&b64);
}

static void hostile_packages_are_refused_and_store_nothing(void)
{
	char key[128], tenant[80];
	signup("pzip", key, tenant);
	CHECK_STATUS(http("POST", V1 "/functions", key, "{\"name\":\"zip\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}"), 201);
	struct { const char *what; char *b64; } cases[] = {
		{ "zip slip", hostile_zip("../../etc/cron.d/evil", 'f', NULL, 10) },
		{ "absolute path", hostile_zip("/etc/passwd", 'f', NULL, 10) },
		{ "symlink out", hostile_zip("main.py", 'l', "../../../../etc/shadow", 0) },
		{ "zip bomb", hostile_zip("zeros.bin", 'f', NULL, 60u << 20) },
		{ "invalid base64", strdup("this is not base64!!") },
		{ "not a zip", strdup("aGVsbG8gd29ybGQ=") },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *body = malloc(strlen(cases[i].b64) + 32);
		sprintf(body, "{\"code\":\"%s\"}", cases[i].b64);
		struct resp *r = http("POST", V1 "/functions/zip/versions", key, body);
		CHECK(platform_error(r, 400, "INVALID_CODE_PACKAGE") && names_field(r, "code"), "%s: %ld %.400s", cases[i].what,
		      r->status, r->body);
		free(body);
		free(cases[i].b64);
	}
	struct resp *r = http("GET", V1 "/functions/zip/versions", key, NULL);
	CHECK(jpi(r->json, "total", -1) == 0, "a refused package became a version: %s", r->body);
	r = http("GET", V1 "/functions/zip", key, NULL);
	CHECK(jp(r->json, "publishedVersion") == NULL, "%s", r->body);
}

static void invoke_answers_with_every_reference_field(void)
{
	char key[128], tenant[80];
	signup("pinv", key, tenant);
	CHECK(platform_fn(key, "inv",
	                  "import json\ndef handler(event, context):\n    print('got', json.dumps(event))\n"
	                  "    return {'statusCode': 200, 'body': json.dumps(event)}\n"), "function");
	struct resp *r = http("POST", V1 "/functions/inv/invoke", key,
	                      "{\"payload\":\"{\\\"imageUrl\\\":\\\"https://example.com/photo.jpg\\\"}\",\"invocationType\":\"RequestResponse\"}");
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "statusCode", 0) == 200 && strcmp(jps(r->json, "body"), "{\"imageUrl\": \"https://example.com/photo.jpg\"}") == 0,
	      "a string payload was not read as JSON: %s", r->body);
	CHECK(jp(r->json, "executionTime") && jpi(r->json, "billedDuration", 0) % 100 == 0 && jpi(r->json, "billedDuration", 0) >= 100 &&
	      jpi(r->json, "memoryUsed", 0) > 0 && json_object_get_boolean(jp(r->json, "wasColdStart")) && jps(r->json, "requestId") &&
	      jps(r->json, "logStreamName") && strstr(jps(r->json, "logStreamName"), "inv") && jpi(r->json, "version", 0) == 1,
	      "%s", r->body);
	char rid[64];
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	r = http("POST", V1 "/functions/inv/invoke", key, "{\"payload\":{\"n\":2}}");
	CHECK(!json_object_get_boolean(jp(r->json, "wasColdStart")), "a warm instance was not reused: %s", r->body);
	/* The invocation's logs. */
	for (int i = 0; i < 40; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/inv/invocations/%s/logs", rid);
		if (r->status == 200)
			break;
		sleep_ms(100);
	}
	CHECK_STATUS(r, 200);
	CHECK(strcmp(jps(r->json, "requestId"), rid) == 0 && strcmp(jps(r->json, "functionName"), "inv") == 0 &&
	      strcmp(jps(r->json, "version"), "v1") == 0 && strcmp(jps(r->json, "logs.0.level"), "INFO") == 0 &&
	      strstr(jps(r->json, "logs.0.message"), "photo.jpg") && jps(r->json, "logs.0.timestamp"), "%s", r->body);
	CHECK(platform_error(http("GET", V1 "/functions/inv/invocations/00000000-0000-4000-8000-000000000000/logs", key, NULL),
	                     404, "NOT_FOUND"), "unknown request id");
	/* Input the handler never sees. */
	CHECK(platform_error(http("POST", V1 "/functions/inv/invoke", key, "{\"payload\":\"{not json\"}"), 400, "VALIDATION_ERROR"),
	      "a string payload that is not JSON");
	CHECK(platform_error(http("POST", V1 "/functions/inv/invoke", key, "{\"invocationType\":\"Sometimes\"}"), 400, "VALIDATION_ERROR"),
	      "unknown invocationType");
	CHECK(platform_error(http("POST", V1 "/functions/inv/invoke", key, "{\"alias\":\"nope\"}"), 404, "NOT_FOUND"), "unknown alias");
	size_t n = 6 * 1024 * 1024 + 100;
	char *big = malloc(n + 64);
	int k = sprintf(big, "{\"payload\":{\"s\":\"");
	memset(big + k, 'a', n);
	strcpy(big + k + n, "\"}}");
	r = http("POST", V1 "/functions/inv/invoke", key, big);
	free(big);
	CHECK(platform_error(r, 413, "PAYLOAD_TOO_LARGE"), "%ld %.300s", r->status, r->body);
	/* DryRun checks and runs nothing. */
	CHECK_STATUS(http("POST", V1 "/functions/inv/invoke", key, "{\"invocationType\":\"DryRun\"}"), 204);
	/* A function without any version cannot run. */
	CHECK_STATUS(http("POST", V1 "/functions", key, "{\"name\":\"empty\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}"), 201);
	CHECK(platform_error(http("POST", V1 "/functions/empty/invoke", key, "{}"), 409, "NOT_DEPLOYED"), "invoked without code");
}

static void event_invocations_are_queued_and_their_outcome_kept(void)
{
	char key[128], tenant[80], rid[64];
	signup("pevent", key, tenant);
	CHECK(platform_fn(key, "ev", "def handler(event, context):\n    print('async', event['n'])\n    return event['n'] * 2\n"), "function");
	struct resp *r = http("POST", V1 "/functions/ev/invoke", key, "{\"payload\":{\"n\":21},\"invocationType\":\"Event\"}");
	CHECK_STATUS(r, 202);
	CHECK(strcmp(jps(r->json, "status"), "Queued") == 0 && jps(r->json, "requestId"), "%s", r->body);
	snprintf(rid, sizeof(rid), "%s", jps(r->json, "requestId"));
	for (int i = 0; i < 100; i++) {
		r = httpf("GET", key, NULL, V1 "/functions/ev/invocations/%s", rid);
		if (jps(r->json, "status") && strcmp(jps(r->json, "status"), "Succeeded") == 0)
			break;
		sleep_ms(100);
	}
	CHECK(strcmp(jps(r->json, "status"), "Succeeded") == 0 && jpi(r->json, "result", 0) == 42 && jpi(r->json, "attempts", 0) == 1 &&
	      jps(r->json, "queuedAt") && jps(r->json, "finishedAt"), "%s", r->body);
	r = http("POST", V1 "/functions/ev/invoke-async", key, "{\"payload\":{\"n\":1}}");
	CHECK(r->status == 202 && strcmp(jps(r->json, "status"), "Queued") == 0, "%s", r->body);
}

static void routing_follows_the_weights(void)
{
	char key[128], tenant[80];
	signup("proute", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);  /* 300 invocations: past the free day */
	CHECK(platform_fn(key, "canary", OK_PY), "function");
	CHECK(upload_version(key, "canary", OK_PY) == 2, "version 2");
	struct resp *r = http("POST", V1 "/functions/canary/aliases", key, "{\"aliasName\":\"production\",\"version\":1,\"description\":\"Production version\"}");
	CHECK_STATUS(r, 201);
	CHECK(strcmp(jps(r->json, "aliasName"), "production") == 0 && jpi(r->json, "version", 0) == 1 &&
	      strcmp(jps(r->json, "functionName"), "canary") == 0 && jps(r->json, "createdAt"), "%s", r->body);
	CHECK(platform_error(http("POST", V1 "/functions/canary/aliases", key, "{\"aliasName\":\"production\",\"version\":1}"), 409, "CONFLICT"),
	      "a taken alias");
	CHECK(platform_error(http("POST", V1 "/functions/canary/aliases", key, "{\"aliasName\":\"x\",\"version\":9}"), 400, "VALIDATION_ERROR"),
	      "an alias to a missing version");
	const char *bad[] = { "{\"routingConfig\":{\"1\":90,\"2\":20}}", "{\"routingConfig\":{\"1\":90,\"7\":10}}",
	                      "{\"routingConfig\":{\"one\":100}}", "{\"routingConfig\":{\"1\":50.5,\"2\":49.5}}" };
	for (size_t i = 0; i < 4; i++)
		CHECK(platform_error(http("PUT", V1 "/functions/canary/aliases/production", key, bad[i]), 400, "VALIDATION_ERROR") &&
		      names_field(last_resp(), "routingConfig"), "%s accepted", bad[i]);
	r = http("PUT", V1 "/functions/canary/aliases/production", key, "{\"version\":1,\"routingConfig\":{\"1\":80,\"2\":20}}");
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "routingConfig.1", 0) == 80 && jpi(r->json, "routingConfig.2", 0) == 20 && jps(r->json, "updatedAt"), "%s", r->body);
	/* 300 draws of p = 0.2: mean 60, sd 6.9; five sd either side cannot flake in practice. */
	int v2 = 0, total = 300;
	for (int i = 0; i < total; i++) {
		r = http("POST", V1 "/functions/canary/invoke", key, "{\"alias\":\"production\"}");
		CHECK(r->status == 200, "invocation %d: %s", i, r->body);
		long v = (long)jpi(r->json, "version", 0);
		CHECK(v == 1 || v == 2, "ran version %ld", v);
		CHECK(strcmp(jps(r->json, "body"), v == 1 ? "v1" : "v2") == 0, "the answer is not the version's: %s", r->body);
		v2 += v == 2;
	}
	CHECK(v2 >= 25 && v2 <= 95, "version 2 ran %d times of %d, expected about 60", v2, total);
	/* Versions an alias routes to cannot be deleted; the alias can, then they can. */
	CHECK(platform_error(http("DELETE", V1 "/functions/canary/versions/2", key, NULL), 409, "CONFLICT"), "deleted a routed version");
	r = http("GET", V1 "/functions/canary/aliases/production", key, NULL);
	CHECK(r->status == 200 && strcmp(jps(r->json, "description"), "Production version") == 0 && jp(r->json, "routingConfig"), "%s", r->body);
	CHECK_STATUS(http("PUT", V1 "/functions/canary/aliases/production", key, "{\"version\":2,\"routingConfig\":{}}"), 200);
	r = http("POST", V1 "/functions/canary/invoke", key, "{\"alias\":\"production\"}");
	CHECK(jpi(r->json, "version", 0) == 2, "the alias does not follow its new version: %s", r->body);
	CHECK_STATUS(http("DELETE", V1 "/functions/canary/aliases/production", key, NULL), 204);
	CHECK(platform_error(http("GET", V1 "/functions/canary/aliases/production", key, NULL), 404, "NOT_FOUND"), "deleted alias");
	CHECK_STATUS(http("DELETE", V1 "/functions/canary/versions/2", key, NULL), 204);
}

static void metrics_are_computed_from_what_ran(void)
{
	char key[128], tenant[80];
	signup("pmetric", key, tenant);
	CHECK(platform_fn(key, "timed",
	                  "import time\ndef handler(event, context):\n    if event.get('fail'):\n        raise ValueError('no')\n"
	                  "    time.sleep(event['ms'] / 1000.0)\n    return event['ms']\n"), "function");
	int durations[] = { 20, 40, 60, 80, 100 };
	for (int round = 0; round < 4; round++)
		for (int i = 0; i < 5; i++) {
			char body[64];
			snprintf(body, sizeof(body), "{\"payload\":{\"ms\":%d}}", durations[i]);
			CHECK_STATUS(http("POST", V1 "/functions/timed/invoke", key, body), 200);
		}
	CHECK_STATUS(http("POST", V1 "/functions/timed/invoke", key, "{\"payload\":{\"fail\":true}}"), 200);
	struct resp *r = NULL;
	for (int i = 0; i < 50; i++) {
		r = http("GET", V1 "/functions/timed/metrics?window=PT1H", key, NULL);
		if (jpi(r->json, "metrics.invocations", 0) >= 21)
			break;
		sleep_ms(100);
	}
	CHECK_STATUS(r, 200);
	json_object *m = jp(r->json, "metrics");
	CHECK(strcmp(jps(r->json, "functionName"), "timed") == 0 && strcmp(jps(r->json, "window"), "PT1H") == 0 && jps(r->json, "timestamp"),
	      "%s", r->body);
	CHECK(jpi(m, "invocations", 0) == 21 && jpi(m, "errors", 0) == 1 && jpi(m, "coldStarts", 0) == 1 && jpi(m, "throttles", -1) == 0,
	      "%s", r->body);
	double rate = json_object_get_double(jp(m, "errorRate")), avg = json_object_get_double(jp(m, "avgDuration"));
	double p50 = json_object_get_double(jp(m, "p50Duration")), p95 = json_object_get_double(jp(m, "p95Duration"));
	double p99 = json_object_get_double(jp(m, "p99Duration"));
	/* 1 error in 21 is 4.76%; durations are the sleeps plus a little of the runtime's own time. */
	CHECK(rate > 4.7 && rate < 4.8, "errorRate %.2f", rate);
	CHECK(p50 >= 58 && p50 <= 80, "p50 %.2f, expected about 60", p50);
	CHECK(p95 >= 98 && p95 <= 125 && p99 >= 98 && p99 <= 125, "p95 %.2f p99 %.2f, expected about 100", p95, p99);
	CHECK(avg >= 54 && avg <= 72, "avgDuration %.2f, expected about 57", avg);
	CHECK(jpi(m, "avgMemoryUsed", 0) > 0 && jpi(m, "maxMemoryUsed", 0) >= jpi(m, "avgMemoryUsed", 0), "%s", r->body);
	r = http("GET", V1 "/functions/timed/metrics", key, NULL);
	CHECK(strcmp(jps(r->json, "window"), "PT1H") == 0, "default window: %s", r->body);
	r = http("GET", V1 "/functions/timed/metrics?window=P1D", key, NULL);
	CHECK(jpi(r->json, "metrics.invocations", 0) == 21, "%s", r->body);
	CHECK(platform_error(http("GET", V1 "/functions/timed/metrics?window=an-hour", key, NULL), 400, "VALIDATION_ERROR"), "bad window");
	r = http("GET", V1 "/functions/timed", key, NULL);
	CHECK(jpi(r->json, "totalInvocations", 0) == 21 && jps(r->json, "lastInvokedAt"), "%s", r->body);
	r = http("GET", V1 "/functions/timed/versions/1", key, NULL);
	CHECK(jpi(r->json, "invocationCount", 0) == 21, "%s", r->body);
}

static void the_operator_sees_the_runners(void)
{
	char admin[1024], vuser[96], viewer[1024], duser[96], dev[1024];
	CHECK(admin_token(admin), "admin login");
	struct resp *r = http("GET", V1 "/runners", admin, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "total", 0) >= 1 && jps(r->json, "runners.0.nodeId") && jps(r->json, "runners.0.hostname") &&
	      jp(r->json, "runners.0.health.isHealthy") && jp(r->json, "runners.0.health.cpuUsage") &&
	      jp(r->json, "runners.0.health.activeContainers") && jps(r->json, "runners.0.lastHeartbeat"), "%s", r->body);
	char id[128];
	snprintf(id, sizeof(id), "%s", jps(r->json, "runners.0.nodeId"));
	r = httpf("GET", admin, NULL, V1 "/runners/%s", id);
	CHECK(r->status == 200 && jp(r->json, "resources.totalCpuCores") && jp(r->json, "resources.maxContainers") &&
	      jp(r->json, "metrics.totalInvocations") && jp(r->json, "activeContainers") && jp(r->json, "health.queuedInvocations"),
	      "%s", r->body);
	CHECK(platform_error(http("GET", V1 "/runners/no-such-runner", admin, NULL), 404, "NOT_FOUND"), "unknown runner");
	CHECK(user_with_role(admin, "Viewer", vuser, viewer) && user_with_role(admin, "Developer", duser, dev), "users");
	CHECK_STATUS(http("GET", V1 "/runners", viewer, NULL), 200);
	CHECK(platform_error(http("GET", V1 "/runners", dev, NULL), 403, "FORBIDDEN"), "a Developer sees runners");
}

static const struct test tests[] = {
	{ "platform: create answers the reference's fields; a taken name is 409", create_answers_the_reference_fields },
	{ "platform: bad configuration names each field", bad_configuration_names_each_field },
	{ "platform: list filters by runtime and tag and pages with total", list_filters_by_runtime_and_tag_and_pages },
	{ "platform: update changes the configuration", update_changes_the_configuration },
	{ "platform: soft delete frees the name", soft_delete_frees_the_name },
	{ "platform: versions come from ZIPs and are never renumbered", versions_come_from_zips_and_are_never_renumbered },
	{ "platform: zip slip, absolute paths, links out, bombs and bad base64 are refused", hostile_packages_are_refused_and_store_nothing },
	{ "platform: invoke answers every reference field; logs by request id", invoke_answers_with_every_reference_field },
	{ "platform: Event invocations are queued and their outcome kept", event_invocations_are_queued_and_their_outcome_kept },
	{ "platform: weighted routing follows the weights over 300 invocations", routing_follows_the_weights },
	{ "platform: metrics are computed from what ran", metrics_are_computed_from_what_ran },
	{ "platform: the operator's Admins and Viewers see the runners", the_operator_sees_the_runners },
};
const struct suite suite_platform_functions = { tests, sizeof(tests) / sizeof(tests[0]) };
