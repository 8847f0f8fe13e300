/*
 * HTTP triggers as API Gateway HTTP APIs: route patterns (common/httproute.c), the
 * payload format 2.0 event (common/apigw_event.c), the answer a result maps to
 * (common/apigw_answer.c) and CORS (common/cors.c).
 */
#include <stdlib.h>
#include <string.h>

#include "httproute.h"
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
};
UNIT_TABLE(unit_apigw, tests);
