/*
 * Stored code is bounded: packages nothing references are collected, a runner's
 * unpacked code cache stays within its cap, and a tenant's packages count against
 * its plan. The test stack sets a cache cap of 100 MB, a free plan of 8 MB of
 * code, and a grace of 1 s before an unreferenced package is collected.
 */
#include <archive.h>
#include <archive_entry.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "buf.h"
#include "platform.h"
#include "xalloc.h"

static la_ssize_t collect(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	buf_append(ctx, p, n);
	return (la_ssize_t)n;
}

/* A ZIP of main.py (answering with tag) and data.bin (n bytes: zeros, or noise that does not compress). */
static void make_package(const char *tag, size_t n, bool noise, struct buf *out)
{
	char code[256];
	struct archive *a = archive_write_new();
	unsigned char *data = calloc(n ? n : 1, 1);

	snprintf(code, sizeof(code), "def handler(event, context):\n    return '%s'\n", tag);
	unsigned seed = 2166136261u;  /* the same tag, the same noise: the same package */
	for (const char *p = tag; *p; p++)
		seed = (seed ^ (unsigned char)*p) * 16777619u;
	for (size_t i = 0; noise && i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		data[i] = (unsigned char)(seed >> 16);
	}
	memcpy(data, tag, strlen(tag) < n ? strlen(tag) : n);  /* a digest of its own */
	archive_write_set_format_zip(a);
	archive_write_set_bytes_in_last_block(a, 1);
	archive_write_open(a, out, NULL, collect, NULL);
	const char *names[] = { "main.py", "data.bin" };
	const void *bodies[] = { code, data };
	size_t sizes[] = { strlen(code), n };
	for (int i = 0; i < 2; i++) {
		struct archive_entry *e = archive_entry_new();
		archive_entry_set_pathname(e, names[i]);
		archive_entry_set_filetype(e, AE_IFREG);
		archive_entry_set_perm(e, 0644);
		archive_entry_set_size(e, (la_int64_t)sizes[i]);
		archive_write_header(a, e);
		archive_write_data(a, bodies[i], sizes[i]);
		archive_entry_free(e);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(data);
}

/* Uploads a package as a new version of fn; the answer (its codeSha256 among the fields). */
static struct resp *upload(const char *key, const char *fn, const char *tag, size_t n, bool noise)
{
	struct buf zip = BUF_INIT, b64 = BUF_INIT;
	make_package(tag, n, noise, &zip);
	base64_encode(zip.data, zip.len, &b64);
	char *body = xasprintf("{\"code\":\"%s\"}", b64.data);
	struct resp *r = httpf("POST", key, body, V1 "/functions/%s/versions", fn);
	free(body);
	buf_free(&b64);
	buf_free(&zip);
	return r;
}

static bool bare_fn(const char *key, const char *name)
{
	char body[256];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\"}", name);
	return http("POST", V1 "/functions", key, body)->status == 201;
}

static long long blob_count(const char *sha)
{
	char q[256];
	snprintf(q, sizeof(q), "SELECT COUNT(*) FROM code_blobs WHERE sha256 = '%s'", sha);
	return stack_sql_number(q);
}

static void unreferenced_code_blobs_are_collected(void)
{
	char key[128], tenant[80], sha[3][72];
	signup("collect", key, tenant);
	CHECK(bare_fn(key, "kept"), "function");
	for (int i = 0; i < 3; i++) {
		char tag[32];
		snprintf(tag, sizeof(tag), "collect-%d-%s", i, tenant);
		struct resp *r = upload(key, "kept", tag, 1024, false);
		CHECK_STATUS(r, 201);
		snprintf(sha[i], sizeof(sha[i]), "%s", jps(r->json, "codeSha256") ? jps(r->json, "codeSha256") : "");
	}
	/* Version 1 is published, 3 is the draft's code; 2 is referenced by nothing once deleted. */
	CHECK_STATUS(http("DELETE", V1 "/functions/kept/versions/2", key, NULL), 204);
	bool gone = false;
	for (int i = 0; i < 300 && !gone; i++, sleep_ms(100))
		gone = blob_count(sha[1]) == 0;
	CHECK(gone, "the package of a deleted version was never collected");
	CHECK(blob_count(sha[0]) == 1 && blob_count(sha[2]) == 1, "a package still referenced was collected");
	char tag[64];
	snprintf(tag, sizeof(tag), "collect-0-%s", tenant);
	struct resp *r = http("POST", V1 "/functions/kept/invoke", key, "{}");
	CHECK(r->status == 200 && jis(r->json, "body", tag), "the published version no longer runs: %s", r->body);
}

static long long tree_total;

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)flag, (void)ftw;
	tree_total += (long long)st->st_blocks * 512;
	return 0;
}

/* The disk the worker's unpacked code takes, and whether the tree of sha is there. */
static long long cache_bytes(void)
{
	char dir[1024], code[1100];
	if (!stack_config("dir", dir, sizeof(dir)))
		return -1;
	snprintf(code, sizeof(code), "%s/code", dir);
	tree_total = 0;
	nftw(code, add_size, 16, FTW_PHYS);
	return tree_total;
}

static bool cached(const char *sha)
{
	char dir[1024], tree[1200];
	struct stat st;
	if (!stack_config("dir", dir, sizeof(dir)))
		return false;
	snprintf(tree, sizeof(tree), "%s/code/%s", dir, sha);
	return stat(tree, &st) == 0;
}

#define CACHED_FNS 5
#define TREE_MB 30

/*
 * Five packages of 30 MB unpacked through a 100 MB cache. f0 keeps a live instance
 * (invoked all along), so though it is the least recently unpacked, it stays; the
 * next least recent go until the rest fits.
 */
static void the_code_cache_stays_within_its_cap_least_recent_first_never_one_in_use(void)
{
	char key[128], tenant[80], names[CACHED_FNS][16], sha[CACHED_FNS][72], tag[64];
	signup("cache", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	for (int i = 0; i < CACHED_FNS; i++) {
		snprintf(names[i], sizeof(names[i]), "f%d", i);
		snprintf(tag, sizeof(tag), "tree-%d-%s", i, tenant);
		CHECK(bare_fn(key, names[i]), "function %d", i);
		struct resp *r = upload(key, names[i], tag, (size_t)TREE_MB << 20, false);
		CHECK_STATUS(r, 201);
		snprintf(sha[i], sizeof(sha[i]), "%s", jps(r->json, "codeSha256") ? jps(r->json, "codeSha256") : "");
		r = httpf("POST", key, "{}", V1 "/functions/%s/invoke", names[i]);
		CHECK(r->status == 200 && jis(r->json, "body", tag), "%s: %s", names[i], r->body);
	}
	bool trimmed = false;
	long long bytes = -1;
	for (int i = 0; i < 40 && !trimmed; i++) {
		CHECK_STATUS(http("POST", V1 "/functions/f0/invoke", key, "{}"), 200);
		sleep_ms(1000);
		bytes = cache_bytes();
		/* Two trees of the least recent go; the cache may be looked at in the middle of a removal. */
		trimmed = bytes >= 0 && bytes <= 100LL << 20 && !cached(sha[1]) && !cached(sha[2]);
	}
	CHECK(trimmed, "the cache holds %lld MB (cap 100 MB); trees f0-f4 cached: %d%d%d%d%d", bytes >> 20,
	      cached(sha[0]), cached(sha[1]), cached(sha[2]), cached(sha[3]), cached(sha[4]));
	CHECK(cached(sha[0]), "the tree of an instance in use was evicted");
	CHECK(cached(sha[4]), "the most recently used tree was evicted");
	/* An evicted version runs again: its code is fetched anew. */
	snprintf(tag, sizeof(tag), "tree-1-%s", tenant);
	struct resp *r = http("POST", V1 "/functions/f1/invoke", key, "{}");
	CHECK(r->status == 200 && jis(r->json, "body", tag), "%s", r->body);
}

/* The test stack's free plan keeps 8 MB of code: two packages of 3 MB fit, a third does not. */
static void a_tenants_stored_code_counts_against_its_plan(void)
{
	char key[128], tenant[80];
	signup("stored", key, tenant);
	CHECK(bare_fn(key, "one") && bare_fn(key, "two") && bare_fn(key, "three"), "functions");
	CHECK_STATUS(upload(key, "one", "a", 3 << 20, true), 201);
	CHECK_STATUS(upload(key, "two", "b", 3 << 20, true), 201);
	struct resp *r = upload(key, "three", "c", 3 << 20, true);
	CHECK(platform_error(r, 403, "PLAN_LIMIT_EXCEEDED") && strstr(jps(r->json, "error.message"), "8 MB of stored code"),
	      "%ld %s", r->status, r->body);
	/* The same package again costs nothing more. */
	CHECK_STATUS(upload(key, "one", "a", 3 << 20, true), 201);
	/* Deleting a function gives its room back at once. */
	CHECK_STATUS(http("DELETE", V1 "/functions/two", key, NULL), 204);
	CHECK_STATUS(upload(key, "three", "c", 3 << 20, true), 201);
}

/* A package over 50 MB is refused by tf-api (400); a body over 70 MB by nginx (413) before it is read. */
static void packages_over_50_mb_and_uploads_over_70_mb_are_refused(void)
{
	char key[128], tenant[80];
	signup("huge", key, tenant);
	CHECK_STATUS(http("POST", "/api/billing/upgrade", key, NULL), 200);
	CHECK(bare_fn(key, "huge"), "function");
	struct resp *r = upload(key, "huge", "big", 51 << 20, true);
	CHECK(platform_error(r, 400, "INVALID_CODE_PACKAGE") && strstr(jps(r->json, "error.details.0.message"), "50 MB"), "%ld %.300s",
	      r->status, r->body);
	size_t n = (71u << 20);
	char *body = malloc(n + 1);
	memset(body, 'A', n);
	memcpy(body, "{\"code\":\"", 9);
	memcpy(body + n - 2, "\"}", 2);
	body[n] = '\0';
	r = httpf("POST", key, body, V1 "/functions/%s/versions", "huge");
	free(body);
	CHECK(platform_error(r, 413, "PAYLOAD_TOO_LARGE"), "%ld %.300s", r->status, r->body);
	CHECK(jpi(http("GET", V1 "/functions/huge/versions", key, NULL)->json, "total", -1) == 0 ||
	      json_object_array_length(jp(last_resp()->json, "versions")) == 0, "a version was stored: %s", last_resp()->body);
}

static const struct test tests[] = {
	{ "storage: a package over 50 MB and an upload over 70 MB are refused", packages_over_50_mb_and_uploads_over_70_mb_are_refused },
	{ "storage: code blobs no version or function references are collected", unreferenced_code_blobs_are_collected },
	{ "storage: a runner's code cache stays within its cap, least recently used first, never one in use",
	  the_code_cache_stays_within_its_cap_least_recent_first_never_one_in_use },
	{ "storage: a tenant's stored code counts against its plan", a_tenants_stored_code_counts_against_its_plan },
};
const struct suite suite_storage = { tests, sizeof(tests) / sizeof(tests[0]) };
