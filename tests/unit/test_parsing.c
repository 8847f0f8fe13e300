/* Numbers, times, UTF-8, JSON bodies, config names, ids, error mapping, billing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "ids.h"
#include "job.h"
#include "jsonx.h"
#include "mediatype.h"
#include "num.h"
#include "timefmt.h"
#include "unit.h"

static void numbers_parse_only_whole_decimals_in_range(void **state)
{
	long long v;
	(void)state;
	assert_int_equal(parse_ll("42", 0, 100, &v), 0);
	assert_int_equal(v, 42);
	assert_int_equal(parse_ll("-7", -10, 10, &v), 0);
	assert_int_equal(v, -7);
	const char *bad[] = { "", " 1", "+1", "1 ", "1.5", "0x10", "abc", "101", "-11", "99999999999999999999", NULL };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(parse_ll(bad[i], -10, 100, &v), -1);
	assert_int_equal(parse_lln("123456", 3, 0, 1000, &v), 0);
	assert_int_equal(v, 123);
}

static void iso8601_times_parse_in_every_form(void **state)
{
	int64_t ms;
	(void)state;
	assert_int_equal(iso8601_parse("1970-01-01T00:00:00Z", &ms), 0);
	assert_int_equal(ms, 0);
	assert_int_equal(iso8601_parse("2026-05-22T10:00:00.123Z", &ms), 0);
	char out[40];
	iso8601_ms(ms, out, sizeof(out));
	assert_string_equal(out, "2026-05-22T10:00:00.123Z");
	assert_int_equal(iso8601_parse("2026-05-22T12:00:00+02:00", &ms), 0);
	iso8601_s(ms, out, sizeof(out));
	assert_string_equal(out, "2026-05-22T10:00:00Z");
	assert_int_equal(iso8601_parse("2024-02-29", &ms), 0);
	utc_day(ms, out, sizeof(out));
	assert_string_equal(out, "20240229");
	const char *bad[] = { "", "yesterday", "2026-13-01T00:00:00Z", "2023-02-29", "2026-05-22T25:00:00Z",
	                      "2026-05-22T10:00:00", "2026-05-22T10:00:00Zjunk", "2026-5-22", "2026-05-22T10:00:00.Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(iso8601_parse(bad[i], &ms), -1);
}

static void utf8_is_checked_strictly(void **state)
{
	(void)state;
	assert_true(utf8_valid("plain", 5));
	assert_true(utf8_valid("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", 9));
	assert_false(utf8_valid("\xc3", 1));                 /* cut short */
	assert_false(utf8_valid("\xc0\xaf", 2));             /* overlong '/' */
	assert_false(utf8_valid("\xed\xa0\x80", 3));         /* surrogate */
	assert_false(utf8_valid("\xf4\x90\x80\x80", 4));     /* past U+10FFFF */
	assert_false(utf8_valid("\xff", 1));
}

static void request_bodies_must_be_json_objects(void **state)
{
	json_object *o = NULL;
	struct tf_error e = { 0 };
	(void)state;
	assert_int_equal(json_parse_body("", 0, &o, &e), 0);
	assert_true(json_object_is_type(o, json_type_object));
	json_object_put(o);
	assert_int_equal(json_parse_body(" {\"a\":1} \n", 10, &o, &e), 0);
	json_object_put(o);
	const char *bad[] = { "[1]", "{\"a\":1} x", "{\"a\":", "{'a':1}", "{\"a\":1,}", "nul" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tf_error_reset(&e);
		assert_int_equal(json_parse_body(bad[i], strlen(bad[i]), &o, &e), -1);
		assert_int_equal(e.kind, TF_E_VALIDATION);
		assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(e.details, 0), "field")), "body");
	}
	tf_error_reset(&e);
	/* Nesting deeper than the limit is refused, not recursed into. */
	struct buf deep = BUF_INIT;
	for (int i = 0; i < 100; i++)
		buf_puts(&deep, "{\"a\":");
	buf_puts(&deep, "1");
	for (int i = 0; i < 100; i++)
		buf_putc(&deep, '}');
	assert_int_equal(json_parse_body(deep.data, deep.len, &o, &e), -1);
	buf_free(&deep);
	tf_error_reset(&e);
}

static void any_json_value_parses_on_its_own(void **state)
{
	char why[64];
	(void)state;
	const char *ok[] = { "42", "-1.5e3", "\"text\"", "true", "null", "[1,2]", "{\"a\":{}}", " 7 " };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		json_object *o = json_parse_text(ok[i], strlen(ok[i]), why, sizeof(why));
		assert_true(o != NULL || strcmp(ok[i], "null") == 0);
		json_object_put(o);
	}
	json_object *n = json_parse_text("42", 2, why, sizeof(why));
	assert_int_equal(json_object_get_int(n), 42);
	json_object_put(n);
	const char *bad[] = { "4 2", "{\"a\":", "[1,", "tru", "1.", "", "01", "+1", ".5", "{'a':1}", "[1,]",
	                      "{\"a\" 1}", "\"\\x\"", "\"tab\there\"", "NaN", "Infinity", "[1]]", "{\"a\":1,}", "\"\\u12\"" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(json_parse_text(bad[i], strlen(bad[i]), why, sizeof(why)));
}

/* The fault json_parse_input finds in text (NONE when it parses). */
static enum json_fault_kind input_fault(const char *text, struct json_fault *f)
{
	json_object *o = json_parse_input(text, strlen(text), f);
	json_object_put(o);
	return o ? JSON_FAULT_NONE : f->kind;
}

static void request_input_must_be_utf8_with_characters_and_unique_names(void **state)
{
	struct json_fault f;
	(void)state;
	const char *ok[] = { "{\"s\":\"\xc3\xa9\xf0\x9f\x98\x80\"}", "{\"s\":\"\\ud83d\\ude00\"}", "\"\\u00e9\"",
	                     "{\"a\":1,\"b\":{\"a\":1},\"c\":[{\"a\":1},{\"a\":2}]}", "{\"a\\u0000\":1,\"a\":2}", "[]", "{}" };
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_int_equal(input_fault(ok[i], &f), JSON_FAULT_NONE);

	/* Bytes that are not UTF-8 are named by the path they sit under. */
	assert_int_equal(input_fault("{\"payload\":{\"name\":\"x\xff\"}}", &f), JSON_FAULT_UTF8);
	assert_string_equal(f.field, "payload");
	assert_non_null(strstr(f.why, "payload.name"));
	assert_int_equal(input_fault("{\"payload\":[1,{\"a\":[\"\xc0\xaf\"]}]}", &f), JSON_FAULT_UTF8);
	assert_non_null(strstr(f.why, "payload[1].a[0]"));
	assert_int_equal(input_fault("{\"payload\":\"\xed\xa0\x80\"}", &f), JSON_FAULT_UTF8);  /* an encoded surrogate */
	assert_int_equal(input_fault("{\"\xff\":1}", &f), JSON_FAULT_UTF8);
	assert_string_equal(f.field, "");

	/* \u escapes must stand for characters: a surrogate only as the first half of a pair. */
	const char *lone[] = { "{\"payload\":\"\\ud800\"}", "{\"payload\":\"\\udc00\"}", "{\"payload\":\"\\ud800\\u0041\"}",
	                       "{\"payload\":\"\\ud800x\"}", "{\"payload\":\"\\udbff\\ud800\"}", "{\"payload\":{\"\\ud800\":1}}" };
	for (size_t i = 0; i < sizeof(lone) / sizeof(lone[0]); i++) {
		assert_int_equal(input_fault(lone[i], &f), JSON_FAULT_SURROGATE);
		assert_string_equal(f.field, "payload");
	}
	assert_int_equal(input_fault("{\"payload\":\"\\ud800\\u12\"}", &f), JSON_FAULT_SYNTAX);

	/* A repeated member name, however it is spelt, names the member. */
	assert_int_equal(input_fault("{\"name\":\"a\",\"name\":\"b\"}", &f), JSON_FAULT_DUPLICATE);
	assert_string_equal(f.field, "name");
	assert_int_equal(input_fault("{\"name\":\"a\",\"n\\u0061me\":\"b\"}", &f), JSON_FAULT_DUPLICATE);
	assert_string_equal(f.field, "name");
	assert_int_equal(input_fault("{\"payload\":{\"x\":[{\"k\":1,\"j\":0,\"k\":2}]}}", &f), JSON_FAULT_DUPLICATE);
	assert_string_equal(f.field, "payload");
	assert_non_null(strstr(f.why, "\"k\""));
	assert_non_null(strstr(f.why, "payload.x[0]"));

	/* A request body's detail is on the field the fault is under. */
	json_object *o = NULL;
	struct tf_error e = { 0 };
	assert_int_equal(json_parse_body("{\"payload\":\"\\udc00\"}", 20, &o, &e), -1);
	assert_int_equal(e.kind, TF_E_VALIDATION);
	assert_string_equal(json_object_get_string(json_object_object_get(json_object_array_get_idx(e.details, 0), "field")), "payload");
	tf_error_reset(&e);

	/* Frames between the platform's own processes are held to syntax only. */
	char why[64];
	const char *frame = "{\"a\":\"\xff\",\"a\":\"\\ud800\"}";
	o = json_parse_text(frame, strlen(frame), why, sizeof(why));
	assert_non_null(o);
	json_object_put(o);
}

static void only_application_json_in_utf8_is_json(void **state)
{
	(void)state;
	const char *json[] = { "application/json", "Application/JSON", " application/json ", "application/json;charset=utf-8",
	                       "application/json; charset=UTF-8", "application/json; charset=\"utf-8\"", "application/json;",
	                       "application/json; foo=bar; charset=utf-8" };
	for (size_t i = 0; i < sizeof(json) / sizeof(json[0]); i++)
		assert_true(media_type_is_json(json[i]));
	const char *not_json[] = { "", "application/x-www-form-urlencoded", "text/plain", "text/json", "application/jsonx",
	                           "application/json-patch+json", "application/vnd.api+json", "application/json; charset=latin1",
	                           "application/json; charset=\"utf-8", "application/json; charset", "application/json x",
	                           "application/json; =utf-8", "json" };
	for (size_t i = 0; i < sizeof(not_json) / sizeof(not_json[0]); i++)
		assert_false(media_type_is_json(not_json[i]));
	assert_false(media_type_is_json(NULL));
}

static void json_strings_escape_control_characters(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	buf_json_string(&b, "a\"b\\c\n\x01", 7);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\n\\u0001\"");
	buf_free(&b);
}

static void config_names_follow_the_section_and_key(void **state)
{
	char name[64], path[] = "/tmp/tf-unit-config-XXXXXX", err[128];
	(void)state;
	config_env_name("runtimes", "python3.11", name, sizeof(name));
	assert_string_equal(name, "TF_RUNTIMES_PYTHON3_11");
	int fd = mkstemp(path);
	const char text[] = "# comment\n[api]\nthreads = 8\n[billing]\nself_service_upgrade = no\n";
	assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	struct config *c = config_load(path, err, sizeof(err));
	assert_non_null(c);
	assert_int_equal(config_int(c, "api", "threads", 1, 1, 100), 8);
	assert_false(config_bool(c, "billing", "self_service_upgrade", true));
	assert_string_equal(config_str(c, "api", "missing", "dflt"), "dflt");
	setenv("TF_API_THREADS", "16", 1);
	assert_int_equal(config_int(c, "api", "threads", 1, 1, 100), 16);
	unsetenv("TF_API_THREADS");
	config_free(c);
	unlink(path);
	assert_null(config_load("/nonexistent/tf.conf", err, sizeof(err)));
}

static void ids_have_their_prefix_and_alphabet(void **state)
{
	char id[32], key[64], uuid[TF_REQUEST_ID_LEN + 1], other[TF_REQUEST_ID_LEN + 1];
	(void)state;
	random_id(id, sizeof(id), "fn_", 20);
	assert_int_equal(strlen(id), 23);
	assert_int_equal(strncmp(id, "fn_", 3), 0);
	assert_int_equal(strspn(id + 3, "abcdefghijklmnopqrstuvwxyz0123456789"), 20);
	random_token(key, sizeof(key), "tf_free_", TF_API_KEY_RANDOM);
	assert_int_equal(strlen(key), 8 + TF_API_KEY_RANDOM);
	uuid_v4(uuid);
	uuid_v4(other);
	assert_int_equal(strlen(uuid), 36);
	assert_int_equal(uuid[14], '4');
	assert_string_not_equal(uuid, other);
}

static void errors_map_to_each_surfaces_status(void **state)
{
	(void)state;
	assert_int_equal(tf_error_status(TF_E_VALIDATION, TF_SURFACE_TAU), 422);
	assert_int_equal(tf_error_status(TF_E_VALIDATION, TF_SURFACE_PLATFORM), 400);
	assert_int_equal(tf_error_status(TF_E_PLAN_LIMIT, TF_SURFACE_TAU), 403);
	assert_int_equal(tf_error_status(TF_E_RATE_LIMIT, TF_SURFACE_PLATFORM), 429);
	assert_string_equal(tf_error_code(TF_E_TOO_LARGE), "PAYLOAD_TOO_LARGE");
	assert_int_equal(tf_error_status(TF_E_MEDIA_TYPE, TF_SURFACE_TAU), 415);
	assert_string_equal(tf_error_code(TF_E_MEDIA_TYPE), "UNSUPPORTED_MEDIA_TYPE");
	assert_string_equal(tf_error_code(TF_E_UNAVAILABLE), "SERVICE_UNAVAILABLE");
	assert_int_equal(tf_error_status((enum tf_errkind)999, TF_SURFACE_TAU), 500);
}

static void billing_rounds_up_to_100_ms(void **state)
{
	(void)state;
	assert_int_equal(billed_ms_of(0), 100);
	assert_int_equal(billed_ms_of(1), 100);
	assert_int_equal(billed_ms_of(100), 100);
	assert_int_equal(billed_ms_of(100.01), 200);
	assert_int_equal(billed_ms_of(1002), 1100);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(numbers_parse_only_whole_decimals_in_range),
	cmocka_unit_test(iso8601_times_parse_in_every_form),
	cmocka_unit_test(utf8_is_checked_strictly),
	cmocka_unit_test(request_bodies_must_be_json_objects),
	cmocka_unit_test(any_json_value_parses_on_its_own),
	cmocka_unit_test(request_input_must_be_utf8_with_characters_and_unique_names),
	cmocka_unit_test(only_application_json_in_utf8_is_json),
	cmocka_unit_test(json_strings_escape_control_characters),
	cmocka_unit_test(config_names_follow_the_section_and_key),
	cmocka_unit_test(ids_have_their_prefix_and_alphabet),
	cmocka_unit_test(errors_map_to_each_surfaces_status),
	cmocka_unit_test(billing_rounds_up_to_100_ms),
};
UNIT_TABLE(unit_parsing, tests);
