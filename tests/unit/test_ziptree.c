/* A package judged as a whole (common/ziptree.c): names, clashes, and every link resolved in the tree. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codezip.h"
#include "unit.h"
#include "xalloc.h"
#include "ziptree.h"

/* An entry: 'f' file, 'd' directory, 'l' link to target. */
struct e {
	const char *path;
	char type;
	const char *target;
};

static char message[512];

/* Judges the entries; message gets the error's. */
static int judge(const struct e *es, size_t n)
{
	struct zip_node *nodes = xcalloc(n ? n : 1, sizeof(*nodes));
	struct tf_error err = { 0 };

	for (size_t i = 0; i < n; i++) {
		nodes[i].path = xstrdup(es[i].path);
		nodes[i].type = es[i].type == 'd' ? ZIP_DIR : es[i].type == 'l' ? ZIP_LINK : ZIP_FILE;
		nodes[i].target = es[i].target ? xstrdup(es[i].target) : NULL;
	}
	int rc = ziptree_judge(nodes, n, &err);
	snprintf(message, sizeof(message), "%s", err.message);
	if (rc != 0)
		assert_int_equal(err.kind, TF_E_INVALID_CODE);
	tf_error_reset(&err);
	for (size_t i = 0; i < n; i++) {
		free(nodes[i].path);
		free(nodes[i].target);
	}
	free(nodes);
	return rc;
}

#define JUDGE(arr) judge(arr, sizeof(arr) / sizeof(arr[0]))
#define REFUSED_NAMING(arr, text)                                                   \
	do {                                                                            \
		assert_int_equal(JUDGE(arr), -1);                                           \
		if (strstr(message, text) == NULL)                                          \
			fail_msg("\"%s\" does not say %s", message, text);                      \
	} while (0)

static void entry_paths_stay_relative_and_inside(void **state)
{
	char name[300];
	(void)state;
	assert_null(zip_path_problem("index.js"));
	assert_null(zip_path_problem("node_modules/x/index.js"));
	assert_null(zip_path_problem("dir/"));
	assert_null(zip_path_problem("..hidden"));
	assert_non_null(zip_path_problem(""));
	assert_non_null(zip_path_problem("/etc/passwd"));
	assert_non_null(zip_path_problem("../evil"));
	assert_non_null(zip_path_problem("a/../../evil"));
	assert_non_null(zip_path_problem("a/./b"));
	assert_non_null(zip_path_problem("a//b"));
	assert_non_null(zip_path_problem("a\\..\\b"));
	memset(name, 'n', 255);
	name[255] = '\0';
	assert_null(zip_path_problem(name));
	strcpy(name + 255, "n");
	assert_non_null(strstr(zip_path_problem(name), "longer than 255"));
}

static void nesting_is_limited_to_tf_max_zip_depth(void **state)
{
	char deep[TF_MAX_ZIP_DEPTH * 2 + 8] = "";
	(void)state;
	for (int i = 0; i < TF_MAX_ZIP_DEPTH - 1; i++)
		strcat(deep, "d/");
	strcat(deep, "f");
	assert_null(zip_path_problem(deep));  /* a file in the deepest directory allowed */
	memmove(deep + 2, deep, strlen(deep) + 1);
	memcpy(deep, "d/", 2);
	assert_non_null(strstr(zip_path_problem(deep), "nested more than"));
	const struct e refused[] = { { deep, 'f', NULL } };
	REFUSED_NAMING(refused, "Entry \"d/d/d/");
}

static void a_name_twice_is_refused_naming_it(void **state)
{
	(void)state;
	const struct e twice[] = { { "index.js", 'f', NULL }, { "lib/a.js", 'f', NULL }, { "index.js", 'f', NULL } };
	REFUSED_NAMING(twice, "Entry \"index.js\" appears twice");
	/* "a/" and "a" are one name. */
	const struct e dirs[] = { { "a/", 'd', NULL }, { "a", 'd', NULL } };
	REFUSED_NAMING(dirs, "Entry \"a\" appears twice");
}

static void a_file_and_a_directory_of_one_name_clash(void **state)
{
	(void)state;
	const struct e both[] = { { "lib", 'f', NULL }, { "lib/", 'd', NULL } };
	REFUSED_NAMING(both, "Entry \"lib\" is both a directory and a file");
	const struct e implied[] = { { "lib", 'f', NULL }, { "lib/x.js", 'f', NULL } };
	REFUSED_NAMING(implied, "Entry \"lib/x.js\" is inside \"lib\", which is a file");
	const struct e deeper[] = { { "a/b", 'f', NULL }, { "a/b/c/d.js", 'f', NULL } };
	REFUSED_NAMING(deeper, "inside \"a/b\", which is a file");
}

static void an_entry_under_a_link_is_refused(void **state)
{
	(void)state;
	/* Unpacking never writes through a link, so such a package could never run. */
	const struct e under[] = { { "real/", 'd', NULL }, { "d", 'l', "real" }, { "d/x.js", 'f', NULL } };
	REFUSED_NAMING(under, "Entry \"d/x.js\" is inside \"d\", which is a link");
}

static void a_chain_of_links_that_climbs_out_is_refused(void **state)
{
	(void)state;
	/* Each link's own text climbs at most one level, yet together they reach the runner's /etc. */
	const struct e chain[] = {
		{ "main.py", 'f', NULL }, { "ln", 'l', "." }, { "u1", 'l', "ln/.." }, { "u2", 'l', "u1/.." },
		{ "u3", 'l', "u2/.." }, { "u4", 'l', "u3/.." }, { "u5", 'l', "u4/.." }, { "u6", 'l', "u5/.." },
		{ "u7", 'l', "u6/.." }, { "pw", 'l', "u7/etc/passwd" },
	};
	REFUSED_NAMING(chain, "leads outside the package");
	/* The first link in path order that leads out is the one named. */
	assert_non_null(strstr(message, "Link \"pw\""));
	const struct e cache[] = { { "ln", 'l', "." }, { "u1", 'l', "ln/.." } };
	REFUSED_NAMING(cache, "Link \"u1\" (to \"ln/..\") leads outside the package");
	const struct e via_dir_link[] = { { "a/b/", 'd', NULL }, { "a/up", 'l', "b/../.." }, { "x", 'l', "a/up/.." } };
	REFUSED_NAMING(via_dir_link, "Link \"x\"");
}

static void a_step_above_the_root_is_refused_even_if_it_comes_back(void **state)
{
	(void)state;
	const struct e back[] = { { "app/", 'd', NULL }, { "app/l", 'l', "../../app/index.js" } };
	REFUSED_NAMING(back, "Link \"app/l\"");
	const struct e out[] = { { "l", 'l', "../x" } };
	REFUSED_NAMING(out, "leads outside");
}

static void absolute_and_empty_targets_are_refused(void **state)
{
	(void)state;
	const struct e abs[] = { { "passwd", 'l', "/etc/passwd" } };
	REFUSED_NAMING(abs, "Link \"passwd\" has the absolute target \"/etc/passwd\"");
	const struct e empty[] = { { "l", 'l', "" } };
	REFUSED_NAMING(empty, "empty target");
}

static void links_that_stay_inside_are_kept(void **state)
{
	(void)state;
	const struct e kept[] = {
		{ "node_modules/x/bin/x.js", 'f', NULL },
		{ "node_modules/.bin/x", 'l', "../x/bin/x.js" },
		{ "pkg/lib/", 'd', NULL },
		{ "lib", 'l', "pkg/lib" },
		{ "self", 'l', "." },
		{ "a/b/top", 'l', "../.." },
		{ "a/b/via", 'l', "../../lib/../self/node_modules" },
		{ "chain1", 'l', "chain2" },
		{ "chain2", 'l', "lib//" },
		{ "dangling", 'l', "not/there" },
	};
	assert_int_equal(JUDGE(kept), 0);
	const struct e none[] = { { "index.js", 'f', NULL } };
	assert_int_equal(JUDGE(none), 0);
}

static void past_the_end_of_the_tree_the_rest_is_read_literally(void **state)
{
	(void)state;
	/* The kernel would stop at "missing"; the rule does not count on it. */
	const struct e climbs[] = { { "l", 'l', "missing/../.." } };
	REFUSED_NAMING(climbs, "Link \"l\"");
	const struct e after_file[] = { { "f.txt", 'f', NULL }, { "l", 'l', "f.txt/../../x" } };
	REFUSED_NAMING(after_file, "Link \"l\"");
	const struct e stays[] = { { "a/", 'd', NULL }, { "a/l", 'l', "missing/../../x" }, { "m", 'l', "gone/../x" } };
	assert_int_equal(JUDGE(stays), 0);
}

static void loops_and_chains_past_the_hop_limit_are_refused(void **state)
{
	char names[TF_MAX_ZIP_LINK_HOPS + 2][16], targets[TF_MAX_ZIP_LINK_HOPS + 2][16];
	struct e chain[TF_MAX_ZIP_LINK_HOPS + 3];
	(void)state;
	const struct e loop[] = { { "a", 'l', "b" }, { "b", 'l', "a" } };
	REFUSED_NAMING(loop, "never resolves");
	const struct e self[] = { { "s", 'l', "s/x" } };
	REFUSED_NAMING(self, "Link \"s\"");
	/* l0 -> l1 -> ... -> lN -> f: from l0, N links are followed. */
	for (int n = TF_MAX_ZIP_LINK_HOPS; n <= TF_MAX_ZIP_LINK_HOPS + 1; n++) {
		for (int i = 0; i <= n; i++) {
			snprintf(names[i], sizeof(names[i]), "l%02d", i);
			snprintf(targets[i], sizeof(targets[i]), i == n ? "f" : "l%02d", i + 1);
			chain[i] = (struct e){ names[i], 'l', targets[i] };
		}
		chain[n + 1] = (struct e){ "f", 'f', NULL };
		int rc = judge(chain, (size_t)n + 2);
		if (n == TF_MAX_ZIP_LINK_HOPS)
			assert_int_equal(rc, 0);
		else
			assert_true(rc == -1 && strstr(message, "Link \"l00\"") && strstr(message, "more than 40"));
	}
}

static void resolving_is_bounded_for_the_whole_package(void **state)
{
	enum { LINKS = 3000 };
	static char paths[LINKS][16];
	static char target[TF_MAX_ZIP_PATH + 1];
	static struct e many[LINKS + 1];
	(void)state;
	/* Each target walks about 400 segments; 3000 of them pass TF_MAX_ZIP_LINK_STEPS. */
	target[0] = '\0';
	while (strlen(target) + 5 <= TF_MAX_ZIP_PATH)
		strcat(target, "d/../");
	many[0] = (struct e){ "d/", 'd', NULL };
	for (int i = 0; i < LINKS; i++) {
		snprintf(paths[i], sizeof(paths[i]), "l%d", i);
		many[i + 1] = (struct e){ paths[i], 'l', target };
	}
	assert_int_equal(judge(many, LINKS + 1), -1);
	assert_non_null(strstr(message, "steps to resolve"));
}

static void long_names_are_cut_short_in_messages(void **state)
{
	char name[400];
	(void)state;
	memset(name, 'x', 200);
	name[200] = '\0';
	const struct e twice[] = { { name, 'f', NULL }, { name, 'f', NULL } };
	assert_int_equal(JUDGE(twice), -1);
	assert_non_null(strstr(message, "xxx...\" appears twice"));
	assert_true(strlen(message) < 200);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(entry_paths_stay_relative_and_inside),
	cmocka_unit_test(nesting_is_limited_to_tf_max_zip_depth),
	cmocka_unit_test(a_name_twice_is_refused_naming_it),
	cmocka_unit_test(a_file_and_a_directory_of_one_name_clash),
	cmocka_unit_test(an_entry_under_a_link_is_refused),
	cmocka_unit_test(a_chain_of_links_that_climbs_out_is_refused),
	cmocka_unit_test(a_step_above_the_root_is_refused_even_if_it_comes_back),
	cmocka_unit_test(absolute_and_empty_targets_are_refused),
	cmocka_unit_test(links_that_stay_inside_are_kept),
	cmocka_unit_test(past_the_end_of_the_tree_the_rest_is_read_literally),
	cmocka_unit_test(loops_and_chains_past_the_hop_limit_are_refused),
	cmocka_unit_test(resolving_is_bounded_for_the_whole_package),
	cmocka_unit_test(long_names_are_cut_short_in_messages),
};
UNIT_TABLE(unit_ziptree, tests);
