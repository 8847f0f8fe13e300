/* What a function controls, made storable and showable (common/textsafe.c). */
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "textsafe.h"
#include "unit.h"

#define FFFD "\xef\xbf\xbd"

static char *repaired(const char *s, size_t n)
{
	struct buf b = BUF_INIT;
	utf8_repair(&b, s, n);
	buf_putc(&b, '\0');
	return buf_steal(&b);
}

static void valid_text_is_kept_as_it_is(void **state)
{
	(void)state;
	const char *s = "plain, caf\xc3\xa9, \xe2\x82\xac, \xf0\x9f\x98\x80";
	char *r = repaired(s, strlen(s));
	assert_string_equal(r, s);
	free(r);
}

static void every_byte_that_is_not_utf8_becomes_a_replacement_character(void **state)
{
	(void)state;
	/* A stray continuation, a cut sequence, an overlong '/', a surrogate, a NUL. */
	const char s[] = "a\x80" "b\xc3" "c\xc0\xaf" "d\xed\xa0\x80" "e\0f";
	char *r = repaired(s, sizeof(s) - 1);
	assert_string_equal(r, "a" FFFD "b" FFFD "c" FFFD FFFD "d" FFFD FFFD FFFD "e" FFFD "f");
	assert_true(utf8_valid(r, strlen(r)));
	free(r);
}

static void a_long_text_is_cut_at_a_character_and_says_so(void **state)
{
	(void)state;
	char s[1000];
	for (size_t i = 0; i < sizeof(s) - 1; i += 2)
		s[i] = '\xc3', s[i + 1] = '\xa9';  /* é, two bytes each */
	char *t = text_bounded(s, sizeof(s), 100);
	assert_true(strlen(t) <= 100);
	assert_true(utf8_valid(t, strlen(t)));
	assert_non_null(strstr(t, "bytes truncated]"));
	assert_int_equal(strncmp(t, "\xc3\xa9\xc3\xa9", 4), 0);
	free(t);
	t = text_bounded("short", 5, 100);
	assert_string_equal(t, "short");
	free(t);
}

static void an_error_keeps_its_shape_within_its_bounds(void **state)
{
	(void)state;
	char type[400];
	memset(type, 'E', sizeof(type) - 1);
	type[sizeof(type) - 1] = '\0';
	json_object *err = json_object_new_object();
	jadd_str(err, "errorType", type);
	jadd_str(err, "errorMessage", "bad \xff byte");
	json_object *st = json_object_new_array();
	for (int i = 0; i < 100; i++)
		json_object_array_add(st, i % 2 ? json_object_new_string("  at f") : json_object_new_int(i));
	json_object_object_add(err, "stackTrace", st);
	jadd_str(err, "extra", "dropped");
	json_object *e = error_bounded(err);
	assert_true(strlen(jstr(e, "errorType")) <= TF_MAX_ERROR_TYPE);
	assert_string_equal(jstr(e, "errorMessage"), "bad " FFFD " byte");
	assert_int_equal(json_object_array_length(jget(e, "stackTrace")), 50);  /* the strings only */
	assert_null(jget(e, "extra"));
	json_object_put(e);
	json_object_put(err);
}

static void an_error_without_a_type_is_named_unknown(void **state)
{
	(void)state;
	json_object *err = json_object_new_object();
	jadd_int(err, "errorType", 7);
	json_object *e = error_bounded(err);
	assert_string_equal(jstr(e, "errorType"), "Runtime.Unknown");
	assert_string_equal(jstr(e, "errorMessage"), "");
	assert_int_equal(json_object_array_length(jget(e, "stackTrace")), 0);
	json_object_put(e);
	json_object_put(err);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(valid_text_is_kept_as_it_is),
	cmocka_unit_test(every_byte_that_is_not_utf8_becomes_a_replacement_character),
	cmocka_unit_test(a_long_text_is_cut_at_a_character_and_says_so),
	cmocka_unit_test(an_error_keeps_its_shape_within_its_bounds),
	cmocka_unit_test(an_error_without_a_type_is_named_unknown),
};
UNIT_TABLE(unit_textsafe, tests);
