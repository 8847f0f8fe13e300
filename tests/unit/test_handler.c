/* Handler strings and the file inline code is stored as. */
#include <string.h>

#include "handler.h"
#include "runtime.h"
#include "unit.h"

static void handlers_are_checked_per_language(void **state)
{
	char why[192];
	(void)state;
	const char *node_ok[] = { "index.handler", "src/app.main", "a-b/c_d.fn", "index.nested.fn", "i.$h" };
	for (size_t i = 0; i < sizeof(node_ok) / sizeof(node_ok[0]); i++)
		assert_int_equal(handler_check(node_ok[i], TF_LANG_NODE, why, sizeof(why)), 0);
	const char *py_ok[] = { "main.handler", "pkg.mod.fn", "pkg/mod.fn", "a_b.c" };
	for (size_t i = 0; i < sizeof(py_ok) / sizeof(py_ok[0]); i++)
		assert_int_equal(handler_check(py_ok[i], TF_LANG_PYTHON, why, sizeof(why)), 0);
	const char *bad[] = { "", "index", ".handler", "index.", "../x.handler", "/abs.handler", "a//b.fn",
	                      "a/./b.fn", "index.1fn", "in dex.handler", "index.han-dler" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(handler_check(bad[i], TF_LANG_NODE, why, sizeof(why)), -1);
		assert_int_equal(handler_check(bad[i], TF_LANG_PYTHON, why, sizeof(why)), -1);
	}
	assert_int_equal(handler_check("main.$x", TF_LANG_PYTHON, why, sizeof(why)), -1);
}

static void inline_code_takes_the_name_the_handler_gives(void **state)
{
	char f[160];
	(void)state;
	assert_int_equal(handler_inline_file("index.handler", TF_LANG_NODE, "module.exports.handler = 1", f, sizeof(f)), 0);
	assert_string_equal(f, "index.js");
	assert_int_equal(handler_inline_file("index.handler", TF_LANG_NODE, "export const handler = 1", f, sizeof(f)), 0);
	assert_string_equal(f, "index.mjs");
	assert_int_equal(handler_inline_file("src/app.a.b", TF_LANG_NODE, "", f, sizeof(f)), 0);
	assert_string_equal(f, "src/app.js");
	assert_int_equal(handler_inline_file("main.handler", TF_LANG_PYTHON, "", f, sizeof(f)), 0);
	assert_string_equal(f, "main.py");
	assert_int_equal(handler_inline_file("pkg.mod.fn", TF_LANG_PYTHON, "", f, sizeof(f)), 0);
	assert_string_equal(f, "pkg/mod.py");
}

static void es_modules_are_told_by_their_statements(void **state)
{
	(void)state;
	assert_true(js_is_esm("export const handler = async () => 1;"));
	assert_true(js_is_esm("import fs from 'fs';\nexport default 1"));
	assert_true(js_is_esm("  import { x } from './x.mjs'"));
	assert_true(js_is_esm("import './side-effect.mjs'"));
	assert_false(js_is_esm("module.exports.handler = async () => 1;"));
	assert_false(js_is_esm("const m = await import('./x.mjs');"));
	assert_false(js_is_esm("console.log(import.meta)"));
	assert_false(js_is_esm("const exported = 1; const importer = 2;"));
	assert_false(js_is_esm(""));
}

static void runtimes_are_found_by_either_spelling(void **state)
{
	(void)state;
	assert_string_equal(runtime_find("python3.11")->id, "python3.11");
	assert_string_equal(runtime_find("Python311")->id, "python3.11");
	assert_string_equal(runtime_find("Nodejs20")->id, "nodejs20");
	assert_string_equal(runtime_find("nodejs22")->platform_name, "Nodejs22");
	assert_null(runtime_find("nodejs16"));
	assert_null(runtime_find("python3"));
	assert_null(runtime_find(NULL));
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(handlers_are_checked_per_language),
	cmocka_unit_test(inline_code_takes_the_name_the_handler_gives),
	cmocka_unit_test(es_modules_are_told_by_their_statements),
	cmocka_unit_test(runtimes_are_found_by_either_spelling),
};
UNIT_TABLE(unit_handler, tests);
