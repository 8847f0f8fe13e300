/* Validation tables: one detail per bad field, unknown fields refused. */
#include <string.h>

#include "jsonx.h"
#include "tf.h"
#include "unit.h"
#include "validate.h"

static const struct vfield fields[] = {
	{ .name = "name", .type = V_STRING, .required = true, .min = 1, .max = 8, .check = check_function_name },
	{ .name = "memory", .type = V_INT, .min = 128, .max = 1024, .step = 64, .message = "bad memory" },
	{ .name = "env", .type = V_STRMAP, .max = 2, .max_bytes = 16, .check = check_env_key },
	{ .name = "flag", .type = V_BOOL },
	{ .name = "payload", .type = V_ANY },
};

/* Validates text and returns how many details it produced (0 when valid). */
static size_t details_of(const char *text, const char **first_field)
{
	struct tf_error e = { 0 };
	json_object *o = json_tokener_parse(text);
	int rc = validate(o, fields, TF_ARRAY_LEN(fields), &e);
	size_t n = e.details ? json_object_array_length(e.details) : 0;
	static char field[64];
	field[0] = '\0';
	if (n)
		strncpy(field, json_object_get_string(json_object_object_get(json_object_array_get_idx(e.details, 0), "field")), 63);
	if (first_field)
		*first_field = field;
	assert_int_equal(rc, n ? -1 : 0);
	if (n)
		assert_int_equal(e.kind, TF_E_VALIDATION);
	json_object_put(o);
	tf_error_reset(&e);
	return n;
}

static void a_valid_body_passes(void **state)
{
	(void)state;
	assert_int_equal(details_of("{\"name\":\"ok\",\"memory\":192,\"env\":{\"A\":\"b\"},\"flag\":true,\"payload\":[1]}", NULL), 0);
	assert_int_equal(details_of("{\"name\":\"ok\",\"memory\":null}", NULL), 0);
}

static void each_bad_field_gets_a_detail(void **state)
{
	const char *f;
	(void)state;
	assert_int_equal(details_of("{}", &f), 1);
	assert_string_equal(f, "name");
	assert_int_equal(details_of("{\"name\":\"ok\",\"memory\":200}", &f), 1);
	assert_string_equal(f, "memory");
	assert_int_equal(details_of("{\"name\":\"ok\",\"memory\":64}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"ok\",\"memory\":\"128\"}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"toolongname\"}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"bad name\"}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"ok\",\"env\":{\"A\":1}}", &f), 1);
	assert_string_equal(f, "env");
	assert_int_equal(details_of("{\"name\":\"ok\",\"env\":{\"9A\":\"x\"}}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"ok\",\"env\":{\"A\":\"1\",\"B\":\"2\",\"C\":\"3\"}}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"ok\",\"env\":{\"A\":\"0123456789abcdef\"}}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"ok\",\"flag\":1}", &f), 1);
	assert_int_equal(details_of("{\"name\":\"a\\u0000b\"}", &f), 1);
	/* Every bad field at once, not just the first. */
	assert_int_equal(details_of("{\"memory\":1,\"flag\":\"x\",\"extra\":1}", &f), 4);
}

static void unknown_fields_are_refused(void **state)
{
	const char *f;
	(void)state;
	assert_int_equal(details_of("{\"name\":\"ok\",\"nmae\":\"typo\"}", &f), 1);
	assert_string_equal(f, "nmae");
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_valid_body_passes),
	cmocka_unit_test(each_bad_field_gets_a_detail),
	cmocka_unit_test(unknown_fields_are_refused),
};
UNIT_TABLE(unit_validate, tests);
