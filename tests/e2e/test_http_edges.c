/*
 * HTTP at its edges, sent byte for byte: what nginx answers itself (malformed or
 * oversized requests, methods it refuses, paths outside the API) is JSON in the error
 * format of the surface the request was for, as tf-api's own answers are.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "platform.h"

#define TAU_FNS "/saas/api/v1/sdk/tau/functions"

/* A JSON answer in the TauFunctions format: {"error", "code", "status"}. */
static bool tau_shaped(const struct resp *r, long status, const char *code)
{
	char type[64];
	return r->status == status && jps(r->json, "error") && jis(r->json, "code", code) &&
	       jpi(r->json, "status", 0) == status && resp_header(r, "Content-Type", type, sizeof(type)) &&
	       strncmp(type, "application/json", 16) == 0;
}

static bool platform_shaped(const struct resp *r, long status, const char *code)
{
	char type[64];
	return platform_error(r, status, code) && resp_header(r, "Content-Type", type, sizeof(type)) &&
	       strncmp(type, "application/json", 16) == 0;
}

/* "METHOD PATH HTTP/1.1" with a Host, the extra header lines given, and nothing else. */
static struct resp *wire(const char *method, const char *path, const char *headers)
{
	char *req = NULL;
	if (asprintf(&req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s\r\n", method, path,
	             headers ? headers : "") < 0)
		return NULL;
	struct resp *r = http_wire(req, strlen(req));
	free(req);
	return r;
}

/* A string of n times c, in one of two static buffers (an answer may quote the other). */
static const char *repeat(char c, size_t n)
{
	static char bufs[2][64 * 1024 + 1];
	static int next;
	char *s = bufs[next++ % 2];
	if (n > sizeof(bufs[0]) - 1)
		n = sizeof(bufs[0]) - 1;
	memset(s, c, n);
	s[n] = '\0';
	return s;
}

static void what_nginx_answers_itself_is_json_in_the_surfaces_format(void)
{
	static char big_header[70 * 1024], url[21 * 1024];
	char path[256], trace[96];

	snprintf(big_header, sizeof(big_header), "X-Big: %s\r\n", repeat('h', 64 * 1024));
	for (int platform = 1; platform >= 0; platform--) {
		const char *base = platform ? V1 "/functions" : TAU_FNS;
		bool (*shaped)(const struct resp *, long, const char *) = platform ? platform_shaped : tau_shaped;
		struct resp *r;

		snprintf(path, sizeof(path), "%s/a%%00b", base);
		r = wire("GET", path, NULL);
		CHECK(shaped(r, 400, "BAD_REQUEST"), "%%00 in %s: %ld %.300s", base, r->status, r->body);
		snprintf(url, sizeof(url), "%s/%s", base, repeat('a', 20 * 1024));
		r = wire("GET", url, NULL);
		CHECK(shaped(r, 414, "URI_TOO_LONG"), "20 KB URL of %s: %ld %.300s", base, r->status, r->body);
		r = wire("GET", base, big_header);
		CHECK(shaped(r, 431, "REQUEST_HEADER_FIELDS_TOO_LARGE"), "64 KB header to %s: %ld %.300s", base, r->status, r->body);
		r = wire("POST", base, "Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n");
		CHECK(shaped(r, 400, "BAD_REQUEST"), "Content-Length and Transfer-Encoding to %s: %ld %.300s", base, r->status, r->body);
		/* Two identities in one request: refused, never one of them picked. */
		r = wire("GET", base, "Authorization: Bearer one\r\nAuthorization: Bearer two\r\n");
		CHECK(shaped(r, 400, "BAD_REQUEST") && strstr(r->body, "Authorization"), "two Authorization headers to %s: %ld %.300s",
		      base, r->status, r->body);
		r = wire("POST", base, "Transfer-Encoding: gzip\r\n");
		CHECK(shaped(r, 501, "NOT_IMPLEMENTED"), "Transfer-Encoding gzip to %s: %ld %.300s", base, r->status, r->body);
		snprintf(path, sizeof(path), "GET %s HTTP/2.0\r\nHost: 127.0.0.1\r\n\r\n", base);
		r = http_wire(path, strlen(path));
		CHECK(shaped(r, 505, "HTTP_VERSION_NOT_SUPPORTED"), "HTTP/2.0 on %s: %ld %.300s", base, r->status, r->body);
		r = wire("TRACE", base, NULL);
		CHECK(shaped(r, 405, "METHOD_NOT_ALLOWED"), "TRACE %s: %ld %.300s", base, r->status, r->body);
		/* nginx's answers carry a trace id too, in the header as in the body. */
		const char *in_body = platform ? jps(r->json, "error.traceId") : jps(r->json, "traceId");
		CHECK(resp_header(r, "X-Trace-Id", trace, sizeof(trace)) && in_body && strcmp(trace, in_body) == 0, "%s", r->headers);
		/* A method nginx lets through is tf-api's to refuse, in the same format. */
		r = wire("BREW", base, NULL);
		CHECK(shaped(r, 405, "METHOD_NOT_ALLOWED"), "BREW %s: %ld %.300s", base, r->status, r->body);
	}
	/* Outside both APIs nginx answers in TauFunctions' format; a request line it cannot read, too. */
	const char *garbage = "GARBAGE\r\n\r\n";
	struct resp *r = http_wire(garbage, strlen(garbage));
	CHECK(tau_shaped(r, 400, "BAD_REQUEST"), "garbage: %ld %.300s", r->status, r->body);
	r = wire("GET", "/no/such/page", NULL);
	CHECK(tau_shaped(r, 404, "NOT_FOUND"), "%ld %.300s", r->status, r->body);
	r = wire("TRACE", "/", NULL);
	CHECK(tau_shaped(r, 405, "METHOD_NOT_ALLOWED"), "%ld %.300s", r->status, r->body);
	r = wire("GET", "/.tf-error", NULL);
	CHECK(tau_shaped(r, 404, "NOT_FOUND"), "the error location is not a page: %ld %.300s", r->status, r->body);
}

static void a_path_too_long_to_route_answers_in_its_surfaces_format(void)
{
	const char *tail = repeat('b', 1100);
	char path[1300];
	snprintf(path, sizeof(path), V1 "/functions/%s", tail);
	struct resp *r = http("GET", path, NULL, NULL);
	CHECK(platform_shaped(r, 404, "NOT_FOUND"), "%ld %.300s", r->status, r->body);
	snprintf(path, sizeof(path), V1 "/%s", tail + 84);  /* exactly 1,024 bytes */
	CHECK(strlen(path) == 1024, "%zu", strlen(path));
	r = http("GET", path, NULL, NULL);
	CHECK(platform_shaped(r, 404, "NOT_FOUND"), "%ld %.300s", r->status, r->body);
	snprintf(path, sizeof(path), TAU_FNS "/%s", tail);
	r = http("GET", path, NULL, NULL);
	CHECK(tau_shaped(r, 404, "NOT_FOUND"), "%ld %.300s", r->status, r->body);
}

static const struct test tests[] = {
	{ "http: what nginx answers itself is JSON in the error format of the request's surface", what_nginx_answers_itself_is_json_in_the_surfaces_format },
	{ "http: a path of 1,024 bytes or more answers in its surface's error format", a_path_too_long_to_route_answers_in_its_surfaces_format },
};
const struct suite suite_http_edges = { tests, sizeof(tests) / sizeof(tests[0]) };
