/*
 * HTTP triggers as API Gateway HTTP APIs: route patterns (common/httproute.c), the
 * payload format 2.0 event (common/apigw_event.c), the answer a result maps to
 * (common/apigw_answer.c) and CORS (common/cors.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apigw.h"
#include "cors.h"
#include "httproute.h"
#include "jsonx.h"
#include "unit.h"

/* The reason a pattern is refused, or NULL when it is accepted. */
static const char *refusal(const char *pattern)
{
	static char why[256];

	return route_pattern_check(pattern, why, sizeof(why)) == 0 ? NULL : why;
}

static void assert_refused_for(const char *pattern, const char *reason)
{
	const char *why = refusal(pattern);
	if (why == NULL || strstr(why, reason) == NULL)
		fail_msg("\"%s\": expected a refusal saying \"%s\", got \"%s\"", pattern, reason, why ? why : "(accepted)");
}

/* ---- route patterns ---- */

static void a_pattern_of_literals_and_parameters_is_accepted(void **state)
{
	(void)state;
	const char *ok[] = { "/", "/api/process", "/users/{id}", "/files/{proxy+}", "/a.b/c~d/e-f/g_h/.well",
	                     "/{_x}/{y1}/{Z}", "/v1/{org}/items/{rest+}" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (refusal(ok[i]) != NULL)
			fail_msg("\"%s\" refused: %s", ok[i], refusal(ok[i]));
}

static void an_empty_pattern_is_refused(void **state)
{
	(void)state;
	assert_refused_for("", "must not be empty");
	assert_refused_for(NULL, "must not be empty");
}

static void a_pattern_must_start_with_a_slash(void **state)
{
	(void)state;
	assert_refused_for("api/process", "must start with '/'");
	assert_refused_for("{id}", "must start with '/'");
}

static void a_pattern_with_an_empty_segment_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/a//b", "empty segment");
	assert_refused_for("//", "empty segment");
}

static void a_pattern_with_a_trailing_slash_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/users/", "must not end with '/'");
}

static void a_dot_or_dot_dot_segment_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/a/./b", "\".\" or \"..\" segment");
	assert_refused_for("/a/..", "\".\" or \"..\" segment");
	assert_refused_for("/../etc", "\".\" or \"..\" segment");
}

static void a_query_string_or_a_fragment_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/search?q=1", "query string");
	assert_refused_for("/{id}?", "query string");
	assert_refused_for("/page#top", "fragment");
}

static void a_percent_escape_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/a%2Fb", "percent-escapes");
}

static void a_character_outside_the_segment_alphabet_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/a b", "' '");
	assert_refused_for("/a:b", "':'");
	assert_refused_for("/a*", "'*'");
	assert_refused_for("/caf\xc3\xa9", "byte 0xc3");
	assert_refused_for("/a\tb", "byte 0x09");
}

static void a_parameter_must_be_a_whole_segment(void **state)
{
	(void)state;
	assert_refused_for("/file{id}.txt", "whole segment");
	assert_refused_for("/{a}b", "whole segment");
	assert_refused_for("/a}", "whole segment");
}

static void a_parameter_name_must_be_an_identifier(void **state)
{
	(void)state;
	assert_refused_for("/{}", "\"{}\", whose name is not");
	assert_refused_for("/{1x}", "\"{1x}\", whose name is not");
	assert_refused_for("/{a-b}", "whose name is not");
	assert_refused_for("/{+}", "\"{+}\", whose name is not");
	assert_refused_for("/{a{b}", "whose name is not");
}

static void a_greedy_parameter_is_only_the_last_segment(void **state)
{
	(void)state;
	assert_refused_for("/{proxy+}/x", "greedy parameter \"{proxy+}\" as the last segment");
	assert_refused_for("/a/{p+}/{q}", "as the last segment");
}

static void a_parameter_name_used_twice_is_refused(void **state)
{
	(void)state;
	assert_refused_for("/{id}/{id}", "\"id\" twice");
	assert_refused_for("/{id}/x/{id+}", "\"id\" twice");
}

static void a_pattern_past_its_length_or_segment_bound_is_refused(void **state)
{
	(void)state;
	char long_one[TF_ROUTE_MAX_PATTERN + 2];
	long_one[0] = '/';
	memset(long_one + 1, 'a', TF_ROUTE_MAX_PATTERN);
	long_one[TF_ROUTE_MAX_PATTERN + 1] = '\0';
	assert_refused_for(long_one, "at most 512 characters");
	long_one[TF_ROUTE_MAX_PATTERN] = '\0';
	assert_null(refusal(long_one));

	char many[4 * (TF_ROUTE_MAX_SEGMENTS + 1) + 1] = "";
	for (int i = 0; i < TF_ROUTE_MAX_SEGMENTS; i++)
		strcat(many, "/ab");
	assert_null(refusal(many));
	strcat(many, "/ab");
	assert_refused_for(many, "at most 32 segments");
}

static void a_pattern_past_its_length_bound_matches_nothing(void **state)
{
	(void)state;
	/* Never checked, as a caller might pass it: a parameter name longer than any pattern. */
	char pattern[2 * TF_ROUTE_MAX_PATTERN];
	pattern[0] = '/';
	pattern[1] = '{';
	memset(pattern + 2, 'n', sizeof(pattern) - 4);
	pattern[sizeof(pattern) - 2] = '}';
	pattern[sizeof(pattern) - 1] = '\0';
	json_object *p = json_object_new_object();
	assert_false(route_pattern_match(pattern, "/x", p));
	assert_int_equal(json_object_object_length(p), 0);
	json_object_put(p);
}

static void a_literal_pattern_matches_only_its_own_path(void **state)
{
	(void)state;
	assert_true(route_pattern_match("/api/process", "/api/process", NULL));
	assert_false(route_pattern_match("/api/process", "/api/Process", NULL));
	assert_false(route_pattern_match("/api/process", "/api/process/", NULL));
	assert_false(route_pattern_match("/api/process", "/api", NULL));
	assert_false(route_pattern_match("/api/process", "/api/process/x", NULL));
	assert_false(route_pattern_match("/api/process", "api/process", NULL));
	assert_false(route_pattern_match("/api/process", "/api//process", NULL));
}

static void a_parameter_takes_one_whole_nonempty_segment(void **state)
{
	(void)state;
	json_object *p = json_object_new_object();
	assert_true(route_pattern_match("/users/{id}/posts/{post}", "/users/42/posts/a.b", p));
	assert_string_equal(json_object_get_string(json_object_object_get(p, "id")), "42");
	assert_string_equal(json_object_get_string(json_object_object_get(p, "post")), "a.b");
	assert_int_equal(json_object_object_length(p), 2);
	json_object_put(p);
	assert_false(route_pattern_match("/users/{id}", "/users/", NULL));
	assert_false(route_pattern_match("/users/{id}", "/users", NULL));
	assert_false(route_pattern_match("/users/{id}", "/users/42/x", NULL));
}

static void a_greedy_parameter_takes_the_rest_slashes_included(void **state)
{
	(void)state;
	json_object *p = json_object_new_object();
	assert_true(route_pattern_match("/files/{proxy+}", "/files/a/b/c.txt", p));
	assert_string_equal(json_object_get_string(json_object_object_get(p, "proxy")), "a/b/c.txt");
	assert_true(route_pattern_match("/files/{proxy+}", "/files/a/", p));
	assert_string_equal(json_object_get_string(json_object_object_get(p, "proxy")), "a/");
	json_object_put(p);
	assert_false(route_pattern_match("/files/{proxy+}", "/files/", NULL));
	assert_false(route_pattern_match("/files/{proxy+}", "/files", NULL));
}

static void a_trailing_slash_is_part_of_the_path(void **state)
{
	(void)state;
	assert_false(route_pattern_match("/users/{id}", "/users/42/", NULL));
	assert_true(route_pattern_match("/users/{id}", "/users/42", NULL));
}

static void the_root_matches_only_the_root(void **state)
{
	(void)state;
	assert_true(route_pattern_match("/", "/", NULL));
	assert_false(route_pattern_match("/", "/x", NULL));
	assert_false(route_pattern_match("/{proxy+}", "/", NULL));
	assert_true(route_pattern_match("/{proxy+}", "/x/y", NULL));
}

static void parameters_are_filled_only_on_a_match(void **state)
{
	(void)state;
	json_object *p = json_object_new_object();
	assert_false(route_pattern_match("/a/{x}/c", "/a/1/d", p));
	assert_int_equal(json_object_object_length(p), 0);
	json_object_put(p);
}

static void a_parameter_that_is_not_utf8_is_repaired(void **state)
{
	(void)state;
	json_object *p = json_object_new_object();
	assert_true(route_pattern_match("/u/{id}", "/u/a\xff", p));
	assert_string_equal(json_object_get_string(json_object_object_get(p, "id")), "a\xef\xbf\xbd");
	json_object_put(p);
}

static void a_literal_is_more_specific_than_a_parameter_than_a_greedy_one(void **state)
{
	(void)state;
	assert_true(route_specificity_cmp("/a/b", "/a/{x}") < 0);
	assert_true(route_specificity_cmp("/a/{x}", "/a/b") > 0);
	assert_true(route_specificity_cmp("/a/{x}", "/a/{p+}") < 0);
	assert_true(route_specificity_cmp("/a/b/{p+}", "/a/{p+}") < 0);
	assert_true(route_specificity_cmp("/a/{x}/{p+}", "/a/{p+}") < 0);
}

static void a_full_match_wins_over_any_greedy_one(void **state)
{
	(void)state;
	/* Both match "/a/b"; API Gateway puts a full match before a greedy one. */
	assert_true(route_specificity_cmp("/{x}/b", "/a/{p+}") < 0);
}

static void specificity_ignores_parameter_names(void **state)
{
	(void)state;
	assert_int_equal(route_specificity_cmp("/a/{x}", "/a/{y}"), 0);
	assert_int_equal(route_specificity_cmp("/f/{p+}", "/f/{q+}"), 0);
}

static int by_specificity(const void *a, const void *b)
{
	return route_specificity_cmp(*(const char *const *)a, *(const char *const *)b);
}

/* The first of the sorted patterns that matches path. */
static const char *route_for(const char **sorted, size_t n, const char *path)
{
	for (size_t i = 0; i < n; i++)
		if (route_pattern_match(sorted[i], path, NULL))
			return sorted[i];
	return "(none)";
}

static void the_most_specific_matching_route_wins(void **state)
{
	(void)state;
	/* API Gateway's own example of route selection. */
	const char *routes[] = { "/{proxy+}", "/pets/{proxy+}", "/pets/dog/{id}", "/pets/dog/1" };
	size_t n = sizeof(routes) / sizeof(routes[0]);
	qsort(routes, n, sizeof(routes[0]), by_specificity);
	assert_string_equal(route_for(routes, n, "/pets/dog/1"), "/pets/dog/1");
	assert_string_equal(route_for(routes, n, "/pets/dog/2"), "/pets/dog/{id}");
	assert_string_equal(route_for(routes, n, "/pets/cat/1"), "/pets/{proxy+}");
	assert_string_equal(route_for(routes, n, "/pets/dog/1/x"), "/pets/{proxy+}");
	assert_string_equal(route_for(routes, n, "/pets"), "/{proxy+}");
}

static void patterns_that_differ_only_in_parameter_names_overlap(void **state)
{
	(void)state;
	assert_true(route_patterns_overlap("/a/{x}", "/a/{y}"));
	assert_true(route_patterns_overlap("/f/{p+}", "/f/{q+}"));
	assert_true(route_patterns_overlap("/api/process", "/api/process"));
	assert_true(route_patterns_overlap("/", "/"));
}

static void a_literal_and_a_parameter_do_not_overlap(void **state)
{
	(void)state;
	assert_false(route_patterns_overlap("/a/b", "/a/{x}"));
	assert_false(route_patterns_overlap("/a/{x}", "/a/{p+}"));
}

static void patterns_that_match_no_common_path_do_not_overlap(void **state)
{
	(void)state;
	assert_false(route_patterns_overlap("/a/{x}", "/a/{x}/b"));
	assert_false(route_patterns_overlap("/a", "/b"));
	assert_false(route_patterns_overlap("/a/{x}/c", "/a/{y}/d"));
	assert_false(route_patterns_overlap("/", "/{p+}"));
}

/* ---- the event ---- */

/* The member at a dotted path ("requestContext.http.method"), or NULL. */
static json_object *dig(json_object *o, const char *dotted)
{
	char path[128];
	char *save = NULL;

	strcpy(path, dotted);
	for (char *k = strtok_r(path, ".", &save); k != NULL && o != NULL; k = strtok_r(NULL, ".", &save))
		if (!json_object_object_get_ex(o, k, &o))
			return NULL;
	return o;
}

static const char *dig_str(json_object *o, const char *dotted)
{
	json_object *v = dig(o, dotted);
	return json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

#define assert_member(ev, path, value) assert_string_equal(dig_str(ev, path) ? dig_str(ev, path) : "(absent)", value)

static const struct apigw_header get_headers[] = {
	{ "Host", "acme.fn.example" },
	{ "User-Agent", "curl/8.5.0" },
	{ "Cookie", "a=1; b=2" },
	{ "Accept", "*/*" },
	{ "cookie", "c=3" },
};

/* GET /t/acme/users/42?x=1&y=two%20words, as tf-api would describe it. */
static struct apigw_request get_request(json_object *params)
{
	return (struct apigw_request){
		.method = "GET",
		.raw_path = "/t/acme/users/42",
		.path = "/users/42",
		.route_method = "GET",
		.route_pattern = "/users/{id}",
		.raw_query = "x=1&y=two%20words",
		.headers = get_headers,
		.nheaders = sizeof(get_headers) / sizeof(get_headers[0]),
		.path_params = params,
		.source_ip = "203.0.113.7",
		.request_id = "c6af9ac6-7b61-11e6-9a41-93e8deadbeef",
		.time_ms = 1584039838390,
		.account_id = "acme",
		.domain_name = "acme.fn.example",
	};
}

static void a_get_with_query_and_cookies_has_every_field(void **state)
{
	(void)state;
	json_object *params = json_object_new_object();
	assert_true(route_pattern_match("/users/{id}", "/users/42", params));
	struct apigw_request rq = get_request(params);
	json_object *ev = apigw_event(&rq);
	assert_non_null(ev);

	assert_member(ev, "version", "2.0");
	assert_member(ev, "routeKey", "GET /users/{id}");
	assert_member(ev, "rawPath", "/t/acme/users/42");
	assert_member(ev, "rawQueryString", "x=1&y=two%20words");
	json_object *cookies = dig(ev, "cookies");
	assert_int_equal(json_object_array_length(cookies), 3);
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cookies, 0)), "a=1");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cookies, 1)), "b=2");
	assert_string_equal(json_object_get_string(json_object_array_get_idx(cookies, 2)), "c=3");
	assert_member(ev, "headers.host", "acme.fn.example");
	assert_member(ev, "headers.user-agent", "curl/8.5.0");
	assert_member(ev, "headers.accept", "*/*");
	assert_null(dig(ev, "headers.cookie"));
	assert_member(ev, "queryStringParameters.x", "1");
	assert_member(ev, "queryStringParameters.y", "two words");
	assert_member(ev, "pathParameters.id", "42");
	assert_member(ev, "requestContext.accountId", "acme");
	assert_member(ev, "requestContext.apiId", "acme");
	assert_member(ev, "requestContext.domainName", "acme.fn.example");
	assert_member(ev, "requestContext.domainPrefix", "acme");
	assert_member(ev, "requestContext.http.method", "GET");
	assert_member(ev, "requestContext.http.path", "/users/42");
	assert_member(ev, "requestContext.http.protocol", "HTTP/1.1");
	assert_member(ev, "requestContext.http.sourceIp", "203.0.113.7");
	assert_member(ev, "requestContext.http.userAgent", "curl/8.5.0");
	assert_member(ev, "requestContext.requestId", "c6af9ac6-7b61-11e6-9a41-93e8deadbeef");
	assert_member(ev, "requestContext.routeKey", "GET /users/{id}");
	assert_member(ev, "requestContext.stage", "$default");
	assert_member(ev, "requestContext.time", "12/Mar/2020:19:03:58 +0000");
	assert_int_equal(json_object_get_int64(dig(ev, "requestContext.timeEpoch")), 1584039838390);
	assert_null(dig(ev, "body"));
	assert_false(json_object_get_boolean(dig(ev, "isBase64Encoded")));
	assert_true(json_object_is_type(dig(ev, "isBase64Encoded"), json_type_boolean));
	json_object_put(ev);
	json_object_put(params);
}

static const struct apigw_header post_headers[] = {
	{ "Content-Type", "application/json; charset=utf-8" },
};

static struct apigw_request post_request(const char *content_type, const void *body, size_t n)
{
	static struct apigw_header h[1];
	h[0] = (struct apigw_header){ "Content-Type", content_type };
	return (struct apigw_request){
		.method = "POST", .raw_path = "/api/process", .route_method = "POST", .route_pattern = "/api/process",
		.headers = content_type ? h : NULL, .nheaders = content_type ? 1 : 0, .body = body, .body_len = n,
	};
}

static void a_json_body_goes_as_text(void **state)
{
	(void)state;
	const char body[] = "{\"name\":\"caf\xc3\xa9\",\"n\":1}";
	struct apigw_request rq = post_request(post_headers[0].value, body, strlen(body));
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "routeKey", "POST /api/process");
	assert_member(ev, "body", body);
	assert_false(json_object_get_boolean(dig(ev, "isBase64Encoded")));
	assert_member(ev, "headers.content-type", "application/json; charset=utf-8");
	json_object_put(ev);
}

static void a_binary_body_goes_base64(void **state)
{
	(void)state;
	const unsigned char png[] = { 0x00, 0xff, 0x10, 0x80 };
	struct apigw_request rq = post_request("image/png", png, sizeof(png));
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "body", "AP8QgA==");
	assert_true(json_object_get_boolean(dig(ev, "isBase64Encoded")));
	json_object_put(ev);

	/* A text type whose bytes are not UTF-8 is not text either. */
	rq = post_request("text/plain; charset=latin1", "caf\xe9", 4);
	ev = apigw_event(&rq);
	assert_member(ev, "body", "Y2Fm6Q==");
	assert_true(json_object_get_boolean(dig(ev, "isBase64Encoded")));
	json_object_put(ev);

	/* No type at all says nothing about the bytes: base64. */
	rq = post_request(NULL, "hi", 2);
	ev = apigw_event(&rq);
	assert_member(ev, "body", "aGk=");
	json_object_put(ev);
}

static void text_types_are_text_and_the_rest_is_binary(void **state)
{
	(void)state;
	const char *text[] = { "text/plain", "text/html; charset=utf-8", "TEXT/CSV", "application/json",
	                       "Application/JSON ; charset=UTF-8", "application/xml", "application/javascript",
	                       "application/x-www-form-urlencoded", "application/ld+json",
	                       "application/problem+json", "image/svg+xml", " application/json" };
	const char *binary[] = { "application/octet-stream", "image/png", "multipart/form-data; boundary=x",
	                         "application/jsonx", "+json", "text/", "", "application/pdf" };
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (!apigw_text_type(text[i]))
			fail_msg("\"%s\" is not text", text[i]);
	for (size_t i = 0; i < sizeof(binary) / sizeof(binary[0]); i++)
		if (apigw_text_type(binary[i]))
			fail_msg("\"%s\" is text", binary[i]);
	assert_false(apigw_text_type(NULL));
}

static void repeated_headers_are_joined_with_commas(void **state)
{
	(void)state;
	const struct apigw_header h[] = { { "X-Multi", "a" }, { "x-multi", "b" }, { "X-MULTI", "c, d" } };
	struct apigw_request rq = { .method = "GET", .raw_path = "/", .headers = h, .nheaders = 3 };
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "headers.x-multi", "a,b,c, d");
	assert_int_equal(json_object_object_length(dig(ev, "headers")), 1);
	json_object_put(ev);
}

static void percent_encoded_paths_and_queries_are_decoded_once(void **state)
{
	(void)state;
	json_object *params = json_object_new_object();
	assert_true(route_pattern_match("/users/{name}", "/users/caf\xc3\xa9 x", params));
	struct apigw_request rq = {
		.method = "GET", .raw_path = "/users/caf%C3%A9%20x", .path = "/users/caf\xc3\xa9 x",
		.route_method = "GET", .route_pattern = "/users/{name}", .path_params = params,
		.raw_query = "q=a%20b+c&e=%E2%82%AC&pct=%zz%4&k%3D=v&plus=%2B",
	};
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "rawPath", "/users/caf%C3%A9%20x");
	assert_member(ev, "requestContext.http.path", "/users/caf\xc3\xa9 x");
	assert_member(ev, "pathParameters.name", "caf\xc3\xa9 x");
	assert_member(ev, "rawQueryString", "q=a%20b+c&e=%E2%82%AC&pct=%zz%4&k%3D=v&plus=%2B");
	assert_member(ev, "queryStringParameters.q", "a b c");
	assert_member(ev, "queryStringParameters.e", "\xe2\x82\xac");
	assert_member(ev, "queryStringParameters.pct", "%zz%4");
	assert_member(ev, "queryStringParameters.plus", "+");
	assert_string_equal(json_object_get_string(json_object_object_get(dig(ev, "queryStringParameters"), "k=")), "v");
	json_object_put(ev);
	json_object_put(params);
}

static void repeated_query_keys_are_joined_with_commas(void **state)
{
	(void)state;
	struct apigw_request rq = { .method = "GET", .raw_path = "/", .raw_query = "a=1&a=2&b=&c&&=x&a=3" };
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "queryStringParameters.a", "1,2,3");
	assert_member(ev, "queryStringParameters.b", "");
	assert_member(ev, "queryStringParameters.c", "");
	assert_int_equal(json_object_object_length(dig(ev, "queryStringParameters")), 3);
	json_object_put(ev);
}

static void empty_and_absent_parts_are_omitted(void **state)
{
	(void)state;
	json_object *none = json_object_new_object();
	struct apigw_request rq = { .method = "GET", .raw_path = "/", .raw_query = "", .path_params = none,
	                            .body = "", .body_len = 0 };
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "routeKey", "$default");
	assert_member(ev, "requestContext.routeKey", "$default");
	assert_member(ev, "rawQueryString", "");
	assert_null(dig(ev, "cookies"));
	assert_null(dig(ev, "queryStringParameters"));
	assert_null(dig(ev, "pathParameters"));
	assert_null(dig(ev, "body"));
	assert_false(json_object_get_boolean(dig(ev, "isBase64Encoded")));
	assert_int_equal(json_object_object_length(dig(ev, "headers")), 0);
	assert_member(ev, "requestContext.http.userAgent", "");
	json_object_put(ev);
	json_object_put(none);
	/* A Cookie header with nothing in it brings no cookie. */
	const struct apigw_header h[] = { { "Cookie", " ; " } };
	rq = (struct apigw_request){ .method = "GET", .raw_path = "/", .headers = h, .nheaders = 1 };
	ev = apigw_event(&rq);
	assert_null(dig(ev, "cookies"));
	json_object_put(ev);
}

static void a_trigger_on_every_method_is_keyed_any(void **state)
{
	(void)state;
	struct apigw_request rq = { .method = "DELETE", .raw_path = "/x", .route_pattern = "/x" };
	json_object *ev = apigw_event(&rq);
	assert_member(ev, "routeKey", "ANY /x");
	assert_member(ev, "requestContext.http.method", "DELETE");
	json_object_put(ev);
}

static void bytes_that_are_not_utf8_become_replacement_characters(void **state)
{
	(void)state;
	const struct apigw_header h[] = { { "X-Latin", "caf\xe9" } };
	json_object *params = json_object_new_object();
	json_object_object_add(params, "id", json_object_new_string("\xff"));
	struct apigw_request rq = { .method = "GET", .raw_path = "/a\xff", .raw_query = "q=%FF\xfe",
	                            .headers = h, .nheaders = 1, .path_params = params };
	json_object *ev = apigw_event(&rq);
	const char *text = json_text(ev);
	assert_true(utf8_valid(text, strlen(text)));
	assert_member(ev, "headers.x-latin", "caf\xef\xbf\xbd");
	assert_member(ev, "queryStringParameters.q", "\xef\xbf\xbd\xef\xbf\xbd");
	assert_member(ev, "rawPath", "/a\xef\xbf\xbd");
	assert_member(ev, "pathParameters.id", "\xef\xbf\xbd");
	json_object_put(ev);
	json_object_put(params);
}

static void a_request_past_its_bounds_is_refused(void **state)
{
	(void)state;
	char why[128];
	static struct apigw_header many[TF_APIGW_MAX_HEADERS + 1];
	for (size_t i = 0; i < TF_APIGW_MAX_HEADERS + 1; i++)
		many[i] = (struct apigw_header){ "X-A", "1" };
	struct apigw_request rq = { .method = "GET", .raw_path = "/", .headers = many, .nheaders = TF_APIGW_MAX_HEADERS };
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), 0);
	rq.nheaders++;
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "more than 128 header lines"));
	assert_null(apigw_event(&rq));

	static char big[TF_APIGW_MAX_HEADER_BYTES];
	memset(big, 'v', sizeof(big) - 1);
	const struct apigw_header one[] = { { "X-Big", big } };
	rq = (struct apigw_request){ .method = "GET", .raw_path = "/", .headers = one, .nheaders = 1 };
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "exceed 10240 bytes"));

	rq = (struct apigw_request){ .method = "POST", .raw_path = "/", .body = big, .body_len = TF_APIGW_MAX_BODY + 1 };
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "body exceeds"));

	rq = (struct apigw_request){ .method = "GET", .raw_path = "/a", .path = "/a/b" };
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "decoded path is longer"));
	char ip[2048];
	memset(ip, '1', sizeof(ip) - 1);
	ip[sizeof(ip) - 1] = '\0';
	rq = (struct apigw_request){ .method = "GET", .raw_path = "/", .source_ip = ip };
	assert_int_equal(apigw_request_check(&rq, why, sizeof(why)), -1);
	assert_non_null(strstr(why, "exceeds 1024 bytes"));

	rq = (struct apigw_request){ .method = "GE T", .raw_path = "/" };
	assert_null(apigw_event(&rq));
	rq = (struct apigw_request){ .method = "GET", .raw_path = "x" };
	assert_null(apigw_event(&rq));
	const struct apigw_header bad[] = { { "Bad Name", "v" } };
	rq = (struct apigw_request){ .method = "GET", .raw_path = "/", .headers = bad, .nheaders = 1 };
	assert_null(apigw_event(&rq));
}

/* ---- the answer ---- */

static struct apigw_answer answer_ok(const char *result)
{
	struct apigw_answer a;
	char why[256];

	if (apigw_answer(result, strlen(result), &a, why, sizeof(why)) != 0)
		fail_msg("%s: refused: %s", result, why);
	return a;
}

static void assert_answer_refused(const char *result, size_t len, const char *reason)
{
	struct apigw_answer a;
	char why[256] = "";

	if (apigw_answer(result, len, &a, why, sizeof(why)) == 0)
		fail_msg("%.*s: accepted", (int)len, result);
	if (strstr(why, reason) == NULL)
		fail_msg("%.*s: expected a refusal saying \"%s\", got \"%s\"", (int)len, result, reason, why);
	assert_int_equal(a.nheaders, 0);
	assert_int_equal(a.body.len, 0);
}

#define assert_refused(result, reason) assert_answer_refused(result, strlen(result), reason)

static void assert_line(const struct apigw_answer *a, size_t i, const char *name, const char *value)
{
	if (i >= a->nheaders)
		fail_msg("no header line %zu (there are %zu)", i, a->nheaders);
	assert_string_equal(a->headers[i].name, name);
	assert_string_equal(a->headers[i].value, value);
}

static void a_full_answer_gives_status_headers_and_body(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":201,\"headers\":{\"Content-Type\":\"text/plain\","
	                                  "\"X-Request\":\"abc\"},\"body\":\"hello\",\"isBase64Encoded\":false,"
	                                  "\"unknown\":1}");
	assert_int_equal(a.status, 201);
	assert_int_equal(a.nheaders, 2);
	assert_line(&a, 0, "Content-Type", "text/plain");
	assert_line(&a, 1, "X-Request", "abc");
	assert_string_equal(a.body.data, "hello");
	apigw_answer_free(&a);
}

static void an_object_without_status_code_is_the_json_body(void **state)
{
	(void)state;
	const char *result = "{ \"message\": \"Hello from Lambda!\", \"body\": \"not this\" }";
	struct apigw_answer a = answer_ok(result);
	assert_int_equal(a.status, 200);
	assert_int_equal(a.nheaders, 1);
	assert_line(&a, 0, "content-type", "application/json");
	assert_string_equal(a.body.data, result);
	apigw_answer_free(&a);
}

static void a_string_result_is_its_json_text(void **state)
{
	(void)state;
	/* As a Lambda function URL shows it: the client sees the quotes. */
	struct apigw_answer a = answer_ok("\"Hello, world!\"");
	assert_int_equal(a.status, 200);
	assert_string_equal(a.body.data, "\"Hello, world!\"");
	assert_line(&a, 0, "content-type", "application/json");
	apigw_answer_free(&a);
}

static void a_number_array_or_null_result_is_its_json_text(void **state)
{
	(void)state;
	const char *results[] = { "42", "-1.5e3", "[1,{\"statusCode\":500}]", "true", "null" };
	for (size_t i = 0; i < sizeof(results) / sizeof(results[0]); i++) {
		struct apigw_answer a = answer_ok(results[i]);
		assert_int_equal(a.status, 200);
		assert_string_equal(a.body.data, results[i]);
		assert_string_equal(apigw_answer_header(&a, "Content-Type"), "application/json");
		apigw_answer_free(&a);
	}
}

static void cookies_become_one_set_cookie_line_each(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"cookies\":[\"a=1; Path=/; HttpOnly\",\"b=2; Max-Age=60\"],"
	                                  "\"headers\":{\"content-type\":\"text/html\"}}");
	assert_int_equal(a.nheaders, 3);
	assert_line(&a, 0, "content-type", "text/html");
	assert_line(&a, 1, "Set-Cookie", "a=1; Path=/; HttpOnly");
	assert_line(&a, 2, "Set-Cookie", "b=2; Max-Age=60");
	apigw_answer_free(&a);
}

static void multi_value_headers_become_one_line_per_value(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"headers\":{\"X-A\":\"1\"},"
	                                  "\"multiValueHeaders\":{\"x-a\":[\"1\",\"2\"],\"X-B\":[\"3\",4]}}");
	assert_int_equal(a.nheaders, 5);
	assert_line(&a, 0, "X-A", "1");
	assert_line(&a, 1, "x-a", "2");
	assert_line(&a, 2, "X-B", "3");
	assert_line(&a, 3, "X-B", "4");
	assert_line(&a, 4, "content-type", "application/json");
	apigw_answer_free(&a);
	assert_refused("{\"statusCode\":200,\"multiValueHeaders\":{\"X-A\":\"1\"}}", "is not an array");
	assert_refused("{\"statusCode\":200,\"multiValueHeaders\":[]}", "multiValueHeaders is not an object");
}

static void numbers_and_booleans_in_headers_are_written_out(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"headers\":{\"X-N\":5,\"X-T\":true,\"X-D\":1.5,"
	                                  "\"X-Space\":\"  padded\\t \"}}");
	assert_string_equal(apigw_answer_header(&a, "X-N"), "5");
	assert_string_equal(apigw_answer_header(&a, "X-T"), "true");
	assert_string_equal(apigw_answer_header(&a, "X-D"), "1.5");
	assert_string_equal(apigw_answer_header(&a, "X-Space"), "padded");
	apigw_answer_free(&a);
}

static void a_header_that_is_not_a_scalar_is_refused(void **state)
{
	(void)state;
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-O\":{}}}", "is not a string, number or boolean");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-O\":[\"a\"]}}", "is not a string, number or boolean");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-O\":null}}", "is not a string, number or boolean");
	assert_refused("{\"statusCode\":200,\"headers\":\"x\"}", "headers is not an object");
	assert_refused("{\"statusCode\":200,\"cookies\":\"a=1\"}", "cookies is not an array");
	assert_refused("{\"statusCode\":200,\"cookies\":[1]}", "cookies[0] is not a string");
}

static void a_base64_body_is_decoded(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"headers\":{\"Content-Type\":\"image/png\"},"
	                                  "\"body\":\"AP8QgA==\",\"isBase64Encoded\":true}");
	assert_int_equal(a.body.len, 4);
	assert_memory_equal(a.body.data, "\x00\xff\x10\x80", 4);
	assert_int_equal(a.nheaders, 1);
	apigw_answer_free(&a);
}

static void a_body_that_does_not_decode_is_refused(void **state)
{
	(void)state;
	assert_refused("{\"statusCode\":200,\"body\":\"not base64!\",\"isBase64Encoded\":true}", "not base64");
	assert_refused("{\"statusCode\":200,\"body\":\"QQ=\\n\",\"isBase64Encoded\":true}", "not base64");
	assert_refused("{\"statusCode\":200,\"body\":{\"a\":1},\"isBase64Encoded\":true}", "not base64");
	assert_refused("{\"statusCode\":200,\"body\":\"QQ==\",\"isBase64Encoded\":\"yes\"}", "not a boolean");
}

static void a_body_that_is_not_a_string_is_json_encoded(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"body\":{\"a\":[1,\"x/y\"]}}");
	assert_string_equal(a.body.data, "{\"a\":[1,\"x/y\"]}");
	apigw_answer_free(&a);
	a = answer_ok("{\"statusCode\":200,\"body\":5}");
	assert_string_equal(a.body.data, "5");
	apigw_answer_free(&a);
}

static void an_answer_without_a_type_or_body_is_empty_json(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":204}");
	assert_int_equal(a.status, 204);
	assert_int_equal(a.body.len, 0);
	assert_int_equal(a.nheaders, 1);
	assert_line(&a, 0, "content-type", "application/json");
	apigw_answer_free(&a);
	a = answer_ok("{\"statusCode\":200,\"body\":null,\"headers\":null,\"cookies\":null}");
	assert_int_equal(a.body.len, 0);
	apigw_answer_free(&a);
}

static void header_injection_is_refused(void **state)
{
	(void)state;
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-A\":\"a\\r\\nSet-Cookie: stolen=1\"}}", "holds CR, LF");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-A\":\"a\\nb\"}}", "holds CR, LF");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-A\":\"a\\u0000b\"}}", "holds CR, LF");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-A\":\"bell\\u0007\"}}", "holds CR, LF");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-A\\r\\nX-B\":\"1\"}}", "not an HTTP token");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X A\":\"1\"}}", "not an HTTP token");
	assert_refused("{\"statusCode\":200,\"headers\":{\"\":\"1\"}}", "not an HTTP token");
	assert_refused("{\"statusCode\":200,\"headers\":{\"X-\\u00e9\":\"1\"}}", "not an HTTP token");
	assert_refused("{\"statusCode\":200,\"cookies\":[\"a=1\\r\\nLocation: /evil\"]}", "holds CR, LF");
	assert_refused("{\"statusCode\":200,\"multiValueHeaders\":{\"X-A\":[\"ok\",\"\\r\"]}}", "holds CR, LF");
}

static void headers_the_platform_owns_are_dropped(void **state)
{
	(void)state;
	struct apigw_answer a = answer_ok("{\"statusCode\":200,\"headers\":{\"Content-Length\":\"999\","
	                                  "\"Transfer-Encoding\":\"chunked\",\"Connection\":\"close\",\"Status\":\"302\","
	                                  "\"X-Accel-Redirect\":\"/api/v1/admin\",\"x-accel-buffering\":\"no\","
	                                  "\"Location\":\"/next\"},\"multiValueHeaders\":{\"Keep-Alive\":[\"5\"]}}");
	assert_int_equal(a.nheaders, 2);
	assert_line(&a, 0, "Location", "/next");
	assert_line(&a, 1, "content-type", "application/json");
	apigw_answer_free(&a);
}

static void a_bad_status_code_is_refused(void **state)
{
	(void)state;
	const char *bad[] = { "\"200\"", "200.5", "2e2", "99", "600", "-200", "null", "true", "{}",
	                      "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char result[128];
		snprintf(result, sizeof(result), "{\"statusCode\":%s,\"body\":\"x\"}", bad[i]);
		assert_refused(result, "statusCode");
	}
	struct apigw_answer a = answer_ok("{\"statusCode\":599}");
	assert_int_equal(a.status, 599);
	apigw_answer_free(&a);
	a = answer_ok("{\"statusCode\":100}");
	assert_int_equal(a.status, 100);
	apigw_answer_free(&a);
}

static void a_result_that_is_not_json_is_refused(void **state)
{
	(void)state;
	assert_refused("Hello", "not JSON");
	assert_refused("", "not JSON");
	assert_refused("{\"statusCode\":200", "not JSON");
	assert_refused("\"caf\xe9\"", "not JSON");
	assert_refused("{\"statusCode\":200,\"statusCode\":500}", "not JSON");
	assert_answer_refused("\"a\0b\"", 5, "not JSON");
}

static void an_answer_past_its_header_bounds_is_refused(void **state)
{
	(void)state;
	struct buf b = BUF_INIT;
	buf_puts(&b, "{\"statusCode\":200,\"headers\":{");
	for (int i = 0; i < TF_APIGW_MAX_ANSWER_HEADERS; i++)
		buf_printf(&b, "%s\"X-%d\":\"v\"", i ? "," : "", i);
	buf_puts(&b, "}}");
	assert_refused(b.data, "more than 64 header lines");
	buf_reset(&b);
	buf_puts(&b, "{\"statusCode\":200,\"headers\":{\"X-Big\":\"");
	for (long i = 0; i < TF_APIGW_MAX_ANSWER_HEADER_BYTES; i++)
		buf_putc(&b, 'v');
	buf_puts(&b, "\"}}");
	assert_refused(b.data, "exceed 8192 bytes");
	buf_free(&b);
}

/* ---- CORS ---- */

static const struct cors_config listed_origins = {
	.allow_origins = "https://a.example, https://b.example",
	.allow_methods = "GET, POST",
	.expose_headers = "X-Request-Id",
	.max_age_s = 300,
	.allow_credentials = true,
};

static const struct cors_config any_origin = { .allow_origins = "*", .allow_methods = "GET", .max_age_s = 0 };

static struct apigw_answer function_answer(void)
{
	return answer_ok("{\"statusCode\":200,\"headers\":{\"Access-Control-Allow-Origin\":\"*\","
	                 "\"access-control-allow-credentials\":\"true\",\"X-Own\":\"kept\"},\"body\":\"hi\"}");
}

static void any_origin_is_answered_with_a_star(void **state)
{
	(void)state;
	struct apigw_answer a = function_answer();
	assert_int_equal(cors_headers(&any_origin, "https://evil.example", false, NULL, NULL, &a), 0);
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Origin"), "*");
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Credentials"));
	assert_null(apigw_answer_header(&a, "Vary"));
	assert_string_equal(a.body.data, "hi");
	assert_int_equal(a.status, 200);
	apigw_answer_free(&a);
}

static void credentials_are_never_allowed_with_a_star(void **state)
{
	(void)state;
	struct cors_config c = any_origin;
	c.allow_credentials = true;
	struct apigw_answer a = function_answer();
	assert_int_equal(cors_headers(&c, "https://a.example", false, NULL, NULL, &a), 0);
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Origin"), "*");
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Credentials"));
	apigw_answer_free(&a);
}

static void a_listed_origin_is_echoed_and_the_answer_varies_by_origin(void **state)
{
	(void)state;
	struct apigw_answer a = function_answer();
	assert_int_equal(cors_headers(&listed_origins, "https://b.example", false, "GET", NULL, &a), 0);
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Origin"), "https://b.example");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Expose-Headers"), "X-Request-Id");
	assert_string_equal(apigw_answer_header(&a, "Vary"), "Origin");
	assert_null(apigw_answer_header(&a, "Access-Control-Max-Age"));
	apigw_answer_free(&a);
}

static void the_functions_own_cors_headers_are_replaced(void **state)
{
	(void)state;
	struct apigw_answer a = function_answer();
	assert_int_equal(cors_headers(&listed_origins, "https://evil.example", false, "GET", NULL, &a), 0);
	for (size_t i = 0; i < a.nheaders; i++)
		if (strncasecmp(a.headers[i].name, "access-control-", 15) == 0)
			fail_msg("%s: %s kept", a.headers[i].name, a.headers[i].value);
	assert_string_equal(apigw_answer_header(&a, "X-Own"), "kept");
	apigw_answer_free(&a);
}

static void an_origin_not_listed_gets_only_vary(void **state)
{
	(void)state;
	struct apigw_answer a = APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, "https://a.example.evil", false, "GET", NULL, &a), 0);
	assert_int_equal(a.nheaders, 1);
	assert_line(&a, 0, "Vary", "Origin");
	apigw_answer_free(&a);
	a = (struct apigw_answer)APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, NULL, false, "GET", NULL, &a), 0);
	assert_int_equal(a.nheaders, 1);
	assert_line(&a, 0, "Vary", "Origin");
	apigw_answer_free(&a);
}

static void a_preflight_is_answered_whole(void **state)
{
	(void)state;
	struct apigw_answer a = function_answer();
	assert_int_equal(cors_headers(&listed_origins, "https://a.example", true, "POST", "Content-Type, x-custom", &a), 0);
	assert_int_equal(a.status, 204);
	assert_int_equal(a.body.len, 0);
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Origin"), "https://a.example");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Methods"), "GET, POST");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Headers"), "Content-Type, x-custom");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Max-Age"), "300");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Credentials"), "true");
	assert_string_equal(apigw_answer_header(&a, "Vary"), "Origin");
	assert_null(apigw_answer_header(&a, "Access-Control-Expose-Headers"));
	apigw_answer_free(&a);
}

static void a_preflight_for_a_method_not_allowed_allows_nothing(void **state)
{
	(void)state;
	struct apigw_answer a = APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, "https://a.example", true, "DELETE", NULL, &a), 0);
	assert_int_equal(a.status, 204);
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Origin"));
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Methods"));
	apigw_answer_free(&a);
	/* Methods are case-sensitive. */
	a = (struct apigw_answer)APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, "https://a.example", true, "post", NULL, &a), 0);
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Methods"));
	apigw_answer_free(&a);
}

static void a_preflight_on_any_method_names_the_one_asked_for(void **state)
{
	(void)state;
	struct cors_config c = { .allow_origins = "*", .allow_methods = "*", .allow_headers = "Authorization" };
	struct apigw_answer a = APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&c, "https://x.example", true, "PATCH", "x-other", &a), 0);
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Methods"), "PATCH");
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Headers"), "Authorization");
	assert_null(apigw_answer_header(&a, "Access-Control-Max-Age"));
	apigw_answer_free(&a);
}

static void requested_headers_that_are_not_tokens_are_not_echoed(void **state)
{
	(void)state;
	struct apigw_answer a = APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, "https://a.example", true, "GET", "x-a\r\nSet-Cookie: y", &a), 0);
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Headers"));
	assert_string_equal(apigw_answer_header(&a, "Access-Control-Allow-Methods"), "GET, POST");
	apigw_answer_free(&a);
	/* Nor is an Origin that could not stand as a header value, listed or not. */
	a = (struct apigw_answer)APIGW_ANSWER_INIT;
	assert_int_equal(cors_headers(&listed_origins, "https://a.example\r\nX: y", false, "GET", NULL, &a), 0);
	assert_null(apigw_answer_header(&a, "Access-Control-Allow-Origin"));
	apigw_answer_free(&a);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_pattern_of_literals_and_parameters_is_accepted),
	cmocka_unit_test(an_empty_pattern_is_refused),
	cmocka_unit_test(a_pattern_must_start_with_a_slash),
	cmocka_unit_test(a_pattern_with_an_empty_segment_is_refused),
	cmocka_unit_test(a_pattern_with_a_trailing_slash_is_refused),
	cmocka_unit_test(a_dot_or_dot_dot_segment_is_refused),
	cmocka_unit_test(a_query_string_or_a_fragment_is_refused),
	cmocka_unit_test(a_percent_escape_is_refused),
	cmocka_unit_test(a_character_outside_the_segment_alphabet_is_refused),
	cmocka_unit_test(a_parameter_must_be_a_whole_segment),
	cmocka_unit_test(a_parameter_name_must_be_an_identifier),
	cmocka_unit_test(a_greedy_parameter_is_only_the_last_segment),
	cmocka_unit_test(a_parameter_name_used_twice_is_refused),
	cmocka_unit_test(a_pattern_past_its_length_or_segment_bound_is_refused),
	cmocka_unit_test(a_pattern_past_its_length_bound_matches_nothing),
	cmocka_unit_test(a_literal_pattern_matches_only_its_own_path),
	cmocka_unit_test(a_parameter_takes_one_whole_nonempty_segment),
	cmocka_unit_test(a_greedy_parameter_takes_the_rest_slashes_included),
	cmocka_unit_test(a_trailing_slash_is_part_of_the_path),
	cmocka_unit_test(the_root_matches_only_the_root),
	cmocka_unit_test(parameters_are_filled_only_on_a_match),
	cmocka_unit_test(a_parameter_that_is_not_utf8_is_repaired),
	cmocka_unit_test(a_literal_is_more_specific_than_a_parameter_than_a_greedy_one),
	cmocka_unit_test(a_full_match_wins_over_any_greedy_one),
	cmocka_unit_test(specificity_ignores_parameter_names),
	cmocka_unit_test(the_most_specific_matching_route_wins),
	cmocka_unit_test(patterns_that_differ_only_in_parameter_names_overlap),
	cmocka_unit_test(a_literal_and_a_parameter_do_not_overlap),
	cmocka_unit_test(patterns_that_match_no_common_path_do_not_overlap),
	cmocka_unit_test(a_get_with_query_and_cookies_has_every_field),
	cmocka_unit_test(a_json_body_goes_as_text),
	cmocka_unit_test(a_binary_body_goes_base64),
	cmocka_unit_test(text_types_are_text_and_the_rest_is_binary),
	cmocka_unit_test(repeated_headers_are_joined_with_commas),
	cmocka_unit_test(percent_encoded_paths_and_queries_are_decoded_once),
	cmocka_unit_test(repeated_query_keys_are_joined_with_commas),
	cmocka_unit_test(empty_and_absent_parts_are_omitted),
	cmocka_unit_test(a_trigger_on_every_method_is_keyed_any),
	cmocka_unit_test(bytes_that_are_not_utf8_become_replacement_characters),
	cmocka_unit_test(a_request_past_its_bounds_is_refused),
	cmocka_unit_test(a_full_answer_gives_status_headers_and_body),
	cmocka_unit_test(an_object_without_status_code_is_the_json_body),
	cmocka_unit_test(a_string_result_is_its_json_text),
	cmocka_unit_test(a_number_array_or_null_result_is_its_json_text),
	cmocka_unit_test(cookies_become_one_set_cookie_line_each),
	cmocka_unit_test(multi_value_headers_become_one_line_per_value),
	cmocka_unit_test(numbers_and_booleans_in_headers_are_written_out),
	cmocka_unit_test(a_header_that_is_not_a_scalar_is_refused),
	cmocka_unit_test(a_base64_body_is_decoded),
	cmocka_unit_test(a_body_that_does_not_decode_is_refused),
	cmocka_unit_test(a_body_that_is_not_a_string_is_json_encoded),
	cmocka_unit_test(an_answer_without_a_type_or_body_is_empty_json),
	cmocka_unit_test(header_injection_is_refused),
	cmocka_unit_test(headers_the_platform_owns_are_dropped),
	cmocka_unit_test(a_bad_status_code_is_refused),
	cmocka_unit_test(a_result_that_is_not_json_is_refused),
	cmocka_unit_test(an_answer_past_its_header_bounds_is_refused),
	cmocka_unit_test(any_origin_is_answered_with_a_star),
	cmocka_unit_test(credentials_are_never_allowed_with_a_star),
	cmocka_unit_test(a_listed_origin_is_echoed_and_the_answer_varies_by_origin),
	cmocka_unit_test(the_functions_own_cors_headers_are_replaced),
	cmocka_unit_test(an_origin_not_listed_gets_only_vary),
	cmocka_unit_test(a_preflight_is_answered_whole),
	cmocka_unit_test(a_preflight_for_a_method_not_allowed_allows_nothing),
	cmocka_unit_test(a_preflight_on_any_method_names_the_one_asked_for),
	cmocka_unit_test(requested_headers_that_are_not_tokens_are_not_echoed),
};
UNIT_TABLE(unit_apigw, tests);
