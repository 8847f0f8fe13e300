/*
 * Code packages as archives: limits, whole archives only, the types entries
 * claim, the central directory and local headers agreeing, and unpacking that
 * reproduces the tree and never escapes its directory. (The tree's own rules
 * are tested in test_ziptree.c.)
 */
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
	archive_write_set_bytes_in_last_block(a, 1);  /* no padding: the archive ends with its end record */
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
	/* An empty archive, its end record alone, is a ZIP. */
	assert_int_equal(codezip_check("PK\5\6\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22, NULL, &err), 0);
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
	assert_non_null(strstr(err.message, "inside \"d\", which is a link"));
	tf_error_reset(&err);
	snprintf(path, sizeof(path), "%s/real/x.js", dir);
	assert_int_equal(access(path, F_OK), -1);
	buf_free(&zip);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s %s", dir, outside);
	assert_int_equal(system(cmd), 0);
}


/* The offset of the nth (from 0) occurrence of a 4-byte signature. */
static size_t find_sig(const struct buf *b, const char *sig, int nth)
{
	for (size_t i = 0; i + 4 <= b->len; i++)
		if (memcmp(b->data + i, sig, 4) == 0 && nth-- == 0)
			return i;
	fail_msg("signature %d not found", nth);
	return 0;
}

static void put16(struct buf *b, size_t at, unsigned v)
{
	b->data[at] = (char)(v & 0xff);
	b->data[at + 1] = (char)(v >> 8);
}

static void put32(struct buf *b, size_t at, uint32_t v)
{
	put16(b, at, v & 0xffff);
	put16(b, at + 2, v >> 16);
}

/* codezip_check's verdict on zip; the message must hold text. */
static void refused_saying(const struct buf *zip, const char *text)
{
	struct tf_error err = { 0 };

	assert_int_equal(codezip_check(zip->data, zip->len, NULL, &err), -1);
	assert_int_equal(err.kind, TF_E_INVALID_CODE);
	if (strstr(err.message, text) == NULL)
		fail_msg("\"%s\" does not say %s", err.message, text);
	tf_error_reset(&err);
}

static const struct entry two_files[] = { { "main.py", 'f', NULL, 10 }, { "lib/util.py", 'f', NULL, 20 } };

/* Made by Python's zipfile, as a client would: external_attr = (0o010644 << 16), a named pipe. */
static const unsigned char python_fifo_zip[] = {
	0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89,
	0xf6, 0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x6d, 0x61,
	0x69, 0x6e, 0x2e, 0x70, 0x79, 0x78, 0x20, 0x3d, 0x20, 0x31, 0x0a, 0x50, 0x4b, 0x03, 0x04, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x00, 0x00, 0x70, 0x69, 0x70, 0x65, 0x50, 0x4b, 0x01,
	0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89, 0xf6,
	0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x81, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x61, 0x69, 0x6e, 0x2e,
	0x70, 0x79, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x11, 0x2b, 0x00, 0x00, 0x00,
	0x70, 0x69, 0x70, 0x65, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00,
	0x67, 0x00, 0x00, 0x00, 0x4d, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* The same with the pipe claimed only in Info-ZIP's "xl" extra field, which libarchive reads over the attributes. */
static const unsigned char python_xl_fifo_zip[] = {
	0x50, 0x4b, 0x03, 0x04, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89,
	0xf6, 0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x6d, 0x61,
	0x69, 0x6e, 0x2e, 0x70, 0x79, 0x78, 0x20, 0x3d, 0x20, 0x31, 0x0a, 0x50, 0x4b, 0x03, 0x04, 0x14,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x09, 0x00, 0x70, 0x69, 0x70, 0x65, 0x78, 0x6c, 0x05,
	0x00, 0x04, 0x00, 0x00, 0xa4, 0x11, 0x50, 0x4b, 0x01, 0x02, 0x14, 0x03, 0x14, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x3b, 0x89, 0xf6, 0x8b, 0x06, 0x00, 0x00, 0x00, 0x06, 0x00,
	0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xa4, 0x81,
	0x00, 0x00, 0x00, 0x00, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x70, 0x79, 0x50, 0x4b, 0x01, 0x02, 0x14,
	0x03, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00, 0x09, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xa4, 0x81, 0x2b, 0x00, 0x00, 0x00, 0x70, 0x69, 0x70, 0x65, 0x78, 0x6c, 0x05,
	0x00, 0x04, 0x00, 0x00, 0xa4, 0x11, 0x50, 0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00,
	0x02, 0x00, 0x70, 0x00, 0x00, 0x00, 0x56, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static void a_named_pipe_is_refused_though_libarchive_reads_it_as_a_file(void **state)
{
	struct buf zip = BUF_INIT;
	(void)state;
	buf_append(&zip, python_fifo_zip, sizeof(python_fifo_zip));
	refused_saying(&zip, "Entry \"pipe\" is a named pipe (FIFO)");
	buf_free(&zip);
	buf_append(&zip, python_xl_fifo_zip, sizeof(python_xl_fifo_zip));
	refused_saying(&zip, "Entry \"pipe\" is a named pipe (FIFO)");
	buf_free(&zip);
	/* The same claim in an archive libarchive made: a device, a socket. */
	const struct { uint32_t mode; const char *says; } kinds[] = {
		{ 0020644, "is a device" }, { 0060644, "is a device" }, { 0140644, "is a socket" }, { 0010644, "FIFO" },
	};
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		build_zip(two_files, 2, &zip);
		put32(&zip, find_sig(&zip, "PK\1\2", 1) + 38, kinds[i].mode << 16);
		refused_saying(&zip, kinds[i].says);
		refused_saying(&zip, "\"lib/util.py\"");
		buf_free(&zip);
	}
}

static void an_archive_cut_short_is_refused(void **state)
{
	struct buf zip = BUF_INIT;
	uint64_t unpacked = 0;
	struct tf_error err = { 0 };
	(void)state;
	build_zip(two_files, 2, &zip);
	assert_int_equal(codezip_check(zip.data, zip.len, &unpacked, &err), 0);
	assert_int_equal(unpacked, 30);
	size_t whole = zip.len;
	zip.len = whole - 22;  /* without its end-of-central-directory record */
	refused_saying(&zip, "end-of-central-directory record is missing");
	zip.len = find_sig(&zip, "PK\1\2", 0);  /* without its central directory either */
	refused_saying(&zip, "end-of-central-directory record is missing");
	zip.len = whole - 1;
	refused_saying(&zip, "end-of-central-directory record is missing");
	zip.len = whole;
	buf_append(&zip, "trailing", 8);  /* bytes after the end record that its comment length does not cover */
	refused_saying(&zip, "data after its end-of-central-directory record");
	buf_free(&zip);
	/* Zeros after it are a writer's padding to a block (as libarchive's), not data. */
	build_zip(two_files, 2, &zip);
	buf_append(&zip, (char[4096]){ 0 }, 4096);
	assert_int_equal(codezip_check(zip.data, zip.len, NULL, &err), 0);
	buf_free(&zip);
}

static void the_central_directory_and_the_local_headers_must_agree(void **state)
{
	struct buf zip = BUF_INIT;
	(void)state;
	/* Another name in the local header than in the directory. */
	build_zip(two_files, 2, &zip);
	zip.data[find_sig(&zip, "PK\3\4", 0) + 30] = 'M';
	refused_saying(&zip, "Entry \"main.py\" has another name in its local header");
	buf_free(&zip);
	/* Other sizes in the local header. */
	build_zip(two_files, 2, &zip);
	put32(&zip, find_sig(&zip, "PK\3\4", 1) + 18, 7777);
	refused_saying(&zip, "Entry \"lib/util.py\" cannot be read");
	buf_free(&zip);
	/* Two directory entries for one local header. */
	const struct entry same_length[] = { { "a.py", 'f', NULL, 10 }, { "b.py", 'f', NULL, 20 } };
	build_zip(same_length, 2, &zip);
	size_t cd0 = find_sig(&zip, "PK\1\2", 0), cd1 = find_sig(&zip, "PK\1\2", 1);
	memcpy(zip.data + cd1 + 42, zip.data + cd0 + 42, 4);
	zip.data[cd1 + 46] = 'a';
	refused_saying(&zip, "overlaps the data of another entry");
	buf_free(&zip);
	/* An end record that counts another number of entries. */
	build_zip(two_files, 2, &zip);
	size_t end = find_sig(&zip, "PK\5\6", 0);
	put16(&zip, end + 8, 3);
	put16(&zip, end + 10, 3);
	refused_saying(&zip, "fewer entries than its end record says");
	put16(&zip, end + 8, 1);
	put16(&zip, end + 10, 1);
	refused_saying(&zip, "more entries than its end record says");
	buf_free(&zip);
	/* Data in front: the directory is not where the end record says. */
	build_zip(two_files, 2, &zip);
	struct buf prefixed = BUF_INIT;
	buf_append(&prefixed, "#!/bin/sh\n", 10);
	buf_append(&prefixed, zip.data, zip.len);
	refused_saying(&prefixed, "central directory is not where its end record says");
	buf_free(&prefixed);
	buf_free(&zip);
	/* An encrypted entry. */
	build_zip(two_files, 2, &zip);
	zip.data[find_sig(&zip, "PK\1\2", 0) + 8] |= 1;
	refused_saying(&zip, "Entry \"main.py\" is encrypted");
	buf_free(&zip);
}

/* Made by Python's zipfile with its Zip64 limits lowered: Zip64 sizes in the directory, a Zip64 end record. */
static const unsigned char python_zip64_zip[] = {
	0x50, 0x4b, 0x03, 0x04, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x48, 0x81, 0x5d, 0x79, 0xe9,
	0xb3, 0x73, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x07, 0x00, 0x14, 0x00, 0x6d, 0x61,
	0x69, 0x6e, 0x2e, 0x70, 0x79, 0x01, 0x00, 0x10, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x64, 0x65, 0x66, 0x20, 0x68, 0x61, 0x6e,
	0x64, 0x6c, 0x65, 0x72, 0x28, 0x65, 0x2c, 0x20, 0x63, 0x29, 0x3a, 0x0a, 0x20, 0x20, 0x20, 0x20,
	0x72, 0x65, 0x74, 0x75, 0x72, 0x6e, 0x20, 0x36, 0x34, 0x0a, 0x50, 0x4b, 0x03, 0x04, 0x2d, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0f, 0x48, 0x81, 0x5d, 0x54, 0xf5, 0xa7, 0xc7, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0x09, 0x00, 0x14, 0x00, 0x6c, 0x69, 0x62, 0x2f, 0x78, 0x2e, 0x74, 0x78,
	0x74, 0x01, 0x00, 0x10, 0x00, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x32, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30,
	0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36,
	0x37, 0x38, 0x39, 0x30, 0x31, 0x32, 0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x30, 0x31, 0x32,
	0x33, 0x34, 0x35, 0x36, 0x37, 0x38, 0x39, 0x50, 0x4b, 0x01, 0x02, 0x2d, 0x03, 0x2d, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x0f, 0x48, 0x81, 0x5d, 0x79, 0xe9, 0xb3, 0x73, 0xff, 0xff, 0xff, 0xff, 0xff,
	0xff, 0xff, 0xff, 0x07, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80,
	0x01, 0x00, 0x00, 0x00, 0x00, 0x6d, 0x61, 0x69, 0x6e, 0x2e, 0x70, 0x79, 0x01, 0x00, 0x10, 0x00,
	0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x21, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x50, 0x4b, 0x01, 0x02, 0x2d, 0x03, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0f, 0x48, 0x81, 0x5d,
	0x54, 0xf5, 0xa7, 0xc7, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x09, 0x00, 0x1c, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x01, 0xff, 0xff, 0xff, 0xff, 0x6c, 0x69,
	0x62, 0x2f, 0x78, 0x2e, 0x74, 0x78, 0x74, 0x01, 0x00, 0x18, 0x00, 0x32, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x5a, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x50, 0x4b, 0x06, 0x06, 0x2c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x2d,
	0x00, 0x2d, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x9c, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0xc7, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x50, 0x4b, 0x06, 0x07, 0x00,
	0x00, 0x00, 0x00, 0x63, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x50,
	0x4b, 0x05, 0x06, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x02, 0x00, 0x9c, 0x00, 0x00, 0x00, 0xc7,
	0x00, 0x00, 0x00, 0x00, 0x00,
};

static void a_zip64_archive_is_read_through_its_zip64_fields(void **state)
{
	struct buf zip = BUF_INIT;
	struct tf_error err = { 0 };
	uint64_t unpacked = 0;
	(void)state;
	buf_append(&zip, python_zip64_zip, sizeof(python_zip64_zip));
	assert_int_equal(codezip_check(zip.data, zip.len, &unpacked, &err), 0);
	assert_int_equal(unpacked, 83);
	/* Its Zip64 end record must be where the locator says. */
	size_t loc = find_sig(&zip, "PK\6\7", 0);
	zip.data[loc + 8]++;
	refused_saying(&zip, "Zip64 end record");
	buf_free(&zip);
}

static char *read_link(const char *dir, const char *path, char *out, size_t n)
{
	char full[4096];
	snprintf(full, sizeof(full), "%s/%s", dir, path);
	ssize_t k = readlink(full, out, n - 1);
	if (k < 0)
		return NULL;
	out[k] = '\0';
	return out;
}

static void kept_links_and_deep_nesting_unpack_as_they_are(void **state)
{
	static char deep[TF_MAX_ZIP_DEPTH * 2 + 8], deepdir[TF_MAX_ZIP_DEPTH * 2 + 8];
	struct buf zip = BUF_INIT;
	struct tf_error err = { 0 };
	char dir[] = "/tmp/tf-unit-keep-XXXXXX", got[TF_MAX_ZIP_PATH + 1], full[4096];
	struct stat st;
	(void)state;
	deep[0] = '\0';
	for (int i = 0; i < TF_MAX_ZIP_DEPTH - 1; i++)
		strcat(deep, "d/");
	snprintf(deepdir, strlen(deep), "%s", deep);  /* without its last '/' */
	strcat(deep, "f.txt");
	const struct entry e[] = {
		{ "src/app.py", 'f', NULL, 5 }, { "main.py", 'l', "src/app.py", 0 }, { "lib", 'l', "src", 0 },
		{ "a/b/top", 'l', "../..", 0 }, { deep, 'f', NULL, 3 }, { "bottom", 'l', deepdir, 0 },
		{ "dangling", 'l', "not/there", 0 }, { "empty/", 'd', NULL, 0 },
	};
	build_zip(e, sizeof(e) / sizeof(e[0]), &zip);
	assert_non_null(mkdtemp(dir));
	assert_int_equal(codezip_extract(zip.data, zip.len, dir, &err), 0);
	assert_string_equal(read_link(dir, "main.py", got, sizeof(got)), "src/app.py");
	assert_string_equal(read_link(dir, "lib", got, sizeof(got)), "src");
	assert_string_equal(read_link(dir, "a/b/top", got, sizeof(got)), "../..");
	assert_string_equal(read_link(dir, "dangling", got, sizeof(got)), "not/there");
	assert_string_equal(read_link(dir, "bottom", got, sizeof(got)), deepdir);
	snprintf(full, sizeof(full), "%s/bottom/f.txt", dir);
	assert_int_equal(stat(full, &st), 0);
	assert_int_equal(st.st_size, 3);
	snprintf(full, sizeof(full), "%s/empty", dir);
	assert_int_equal(lstat(full, &st), 0);
	assert_true(S_ISDIR(st.st_mode));
	buf_free(&zip);
	char cmd[600];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(hostile_archives_are_refused),
	cmocka_unit_test(a_one_file_package_unpacks_to_its_bytes),
	cmocka_unit_test(unpacking_never_writes_through_a_link),
	cmocka_unit_test(a_named_pipe_is_refused_though_libarchive_reads_it_as_a_file),
	cmocka_unit_test(an_archive_cut_short_is_refused),
	cmocka_unit_test(the_central_directory_and_the_local_headers_must_agree),
	cmocka_unit_test(a_zip64_archive_is_read_through_its_zip64_fields),
	cmocka_unit_test(kept_links_and_deep_nesting_unpack_as_they_are),
};
UNIT_TABLE(unit_codezip, tests);
