/* Code packages: paths, links, limits, and unpacking that never escapes its directory. */
#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codezip.h"
#include "unit.h"

static void entry_paths_stay_relative_and_inside(void **state)
{
	(void)state;
	assert_true(zip_path_ok("index.js"));
	assert_true(zip_path_ok("node_modules/x/index.js"));
	assert_true(zip_path_ok("dir/"));
	assert_true(zip_path_ok("..hidden"));
	assert_false(zip_path_ok(""));
	assert_false(zip_path_ok("/etc/passwd"));
	assert_false(zip_path_ok("../evil"));
	assert_false(zip_path_ok("a/../../evil"));
	assert_false(zip_path_ok("a/./b"));
	assert_false(zip_path_ok("a//b"));
	assert_false(zip_path_ok("a\\..\\b"));
}

static void links_may_not_point_out(void **state)
{
	(void)state;
	assert_true(zip_link_ok("a/link", "b"));
	assert_true(zip_link_ok("a/link", "../b"));
	assert_true(zip_link_ok("node_modules/.bin/x", "../x/bin/x.js"));
	assert_false(zip_link_ok("link", "../outside"));
	assert_false(zip_link_ok("a/link", "../../outside"));
	assert_false(zip_link_ok("link", "/etc/shadow"));
	assert_false(zip_link_ok("link", ""));
	assert_false(zip_link_ok("a/link", "b/../../../x"));
}

/* An archive built entry by entry; type 'f' file, 'l' symlink, 'd' directory. */
struct entry {
	const char *path;
	char type;
	const char *target;
	size_t size;
};

static la_ssize_t collect(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	buf_append(ctx, p, n);
	return (la_ssize_t)n;
}

static void build_zip(const struct entry *e, size_t n, struct buf *out)
{
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	archive_write_open(a, out, NULL, collect, NULL);
	char *zeros = calloc(1, 1 << 20);
	for (size_t i = 0; i < n; i++) {
		struct archive_entry *ae = archive_entry_new();
		archive_entry_set_pathname(ae, e[i].path);
		archive_entry_set_perm(ae, 0644);
		if (e[i].type == 'l') {
			archive_entry_set_filetype(ae, AE_IFLNK);
			archive_entry_set_symlink(ae, e[i].target);
		} else if (e[i].type == 'd') {
			archive_entry_set_filetype(ae, AE_IFDIR);
			archive_entry_set_perm(ae, 0755);
		} else {
			archive_entry_set_filetype(ae, AE_IFREG);
			archive_entry_set_size(ae, (la_int64_t)e[i].size);
		}
		archive_write_header(a, ae);
		for (size_t left = e[i].type == 'f' ? e[i].size : 0; left > 0;) {
			size_t k = left < (1 << 20) ? left : (1 << 20);
			archive_write_data(a, zeros, k);
			left -= k;
		}
		archive_entry_free(ae);
	}
	archive_write_close(a);
	archive_write_free(a);
	free(zeros);
}

static int check_entries(const struct entry *e, size_t n, struct tf_error *err)
{
	struct buf zip = BUF_INIT;
	uint64_t unpacked = 0;
	build_zip(e, n, &zip);
	int rc = codezip_check(zip.data, zip.len, &unpacked, err);
	buf_free(&zip);
	return rc;
}

static void hostile_archives_are_refused(void **state)
{
	struct tf_error err = { 0 };
	(void)state;
	const struct entry slip[] = { { "ok.js", 'f', NULL, 3 }, { "../../etc/cron.d/x", 'f', NULL, 3 } };
	assert_int_equal(check_entries(slip, 2, &err), -1);
	assert_int_equal(err.kind, TF_E_INVALID_CODE);
	tf_error_reset(&err);
	const struct entry abs[] = { { "/etc/passwd", 'f', NULL, 3 } };
	assert_int_equal(check_entries(abs, 1, &err), -1);
	tf_error_reset(&err);
	const struct entry link[] = { { "escape", 'l', "../../../etc/shadow", 0 } };
	assert_int_equal(check_entries(link, 1, &err), -1);
	tf_error_reset(&err);
	/* A bomb: 51 MB of zeros compresses to almost nothing, but unpacks past the limit. */
	const struct entry bomb[] = { { "zeros.bin", 'f', NULL, 51u << 20 } };
	assert_int_equal(check_entries(bomb, 1, &err), -1);
	assert_non_null(strstr(err.message, "more than"));
	tf_error_reset(&err);
	assert_int_equal(codezip_check("not a zip at all", 16, NULL, &err), -1);
	tf_error_reset(&err);
}

static void a_one_file_package_unpacks_to_its_bytes(void **state)
{
	struct buf zip = BUF_INIT, again = BUF_INIT;
	struct tf_error err = { 0 };
	char dir[] = "/tmp/tf-unit-zip-XXXXXX", path[256], got[64] = { 0 };
	uint64_t unpacked = 0;
	(void)state;
	assert_int_equal(codezip_single("src/index.js", "hello();", 8, &zip), 0);
	assert_int_equal(codezip_single("src/index.js", "hello();", 8, &again), 0);
	assert_int_equal(zip.len, again.len);
	assert_memory_equal(zip.data, again.data, zip.len);  /* same input, same digest */
	assert_int_equal(codezip_check(zip.data, zip.len, &unpacked, &err), 0);
	assert_int_equal(unpacked, 8);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(codezip_extract(zip.data, zip.len, dir, &err), 0);
	snprintf(path, sizeof(path), "%s/src/index.js", dir);
	int fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	assert_int_equal(read(fd, got, sizeof(got)), 8);
	close(fd);
	assert_string_equal(got, "hello();");
	unlink(path);
	snprintf(path, sizeof(path), "%s/src", dir);
	rmdir(path);
	rmdir(dir);
	buf_free(&zip);
	buf_free(&again);
}

static void unpacking_never_writes_through_a_link(void **state)
{
	struct buf zip = BUF_INIT;
	struct tf_error err = { 0 };
	char dir[] = "/tmp/tf-unit-link-XXXXXX", outside[] = "/tmp/tf-unit-out-XXXXXX", path[256];
	(void)state;
	assert_non_null(mkdtemp(dir));
	assert_non_null(mkdtemp(outside));
	/* "d" is a link to a directory inside; a file under "d/" must not be written through it. */
	const struct entry e[] = { { "real/", 'd', NULL, 0 }, { "d", 'l', "real", 0 }, { "d/x.js", 'f', NULL, 4 } };
	build_zip(e, 3, &zip);
	assert_int_equal(codezip_extract(zip.data, zip.len, dir, &err), -1);
	assert_int_equal(err.kind, TF_E_INVALID_CODE);
	tf_error_reset(&err);
	snprintf(path, sizeof(path), "%s/real/x.js", dir);
	assert_int_equal(access(path, F_OK), -1);
	buf_free(&zip);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
	assert_int_equal(system(cmd), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(entry_paths_stay_relative_and_inside),
	cmocka_unit_test(links_may_not_point_out),
	cmocka_unit_test(hostile_archives_are_refused),
	cmocka_unit_test(a_one_file_package_unpacks_to_its_bytes),
	cmocka_unit_test(unpacking_never_writes_through_a_link),
};
UNIT_TABLE(unit_codezip, tests);
