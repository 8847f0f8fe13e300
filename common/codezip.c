#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codezip.h"

#define ZIP_EPOCH 315532800  /* 1980-01-01, the earliest time a ZIP can hold */

static la_ssize_t to_buf(struct archive *a, void *ctx, const void *p, size_t n)
{
	(void)a;
	buf_append(ctx, p, n);
	return (la_ssize_t)n;
}

int codezip_single(const char *name, const void *data, size_t len, struct buf *out)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	int rc = -1;

	if (a == NULL || e == NULL)
		goto out;
	if (archive_write_set_format_zip(a) != ARCHIVE_OK ||
	    archive_write_set_options(a, "zip:compression=deflate") != ARCHIVE_OK ||
	    archive_write_open(a, out, NULL, to_buf, NULL) != ARCHIVE_OK)
		goto out;
	archive_entry_set_pathname(e, name);
	archive_entry_set_filetype(e, AE_IFREG);
	archive_entry_set_perm(e, 0644);
	archive_entry_set_size(e, (la_int64_t)len);
	archive_entry_set_mtime(e, ZIP_EPOCH, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	if (archive_write_header(a, e) != ARCHIVE_OK ||
	    archive_write_data(a, data, len) != (la_ssize_t)len ||
	    archive_write_close(a) != ARCHIVE_OK)
		goto out;
	rc = 0;
out:
	archive_entry_free(e);
	archive_write_free(a);
	return rc;
}

int zip_path_ok(const char *path)
{
	size_t n = strlen(path);

	if (n == 0 || n > TF_MAX_ZIP_PATH || path[0] == '/' || strchr(path, '\\'))
		return 0;
	for (const char *seg = path; *seg;) {
		const char *end = strchr(seg, '/');
		size_t sl = end ? (size_t)(end - seg) : strlen(seg);
		/* A trailing slash (a directory entry) leaves one empty last segment. */
		if (sl == 0 && end != NULL)
			return 0;
		if ((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return 1;
}

int zip_link_ok(const char *path, const char *target)
{
	long depth = 0;

	if (target == NULL || target[0] == '\0' || target[0] == '/' || strlen(target) > TF_MAX_ZIP_PATH)
		return 0;
	/* The link's directory: one level per '/' in its own path. */
	for (const char *p = path; *p; p++)
		if (*p == '/' && p[1] != '\0')
			depth++;
	for (const char *seg = target; *seg;) {
		const char *end = strchr(seg, '/');
		size_t sl = end ? (size_t)(end - seg) : strlen(seg);
		if (sl == 2 && seg[0] == '.' && seg[1] == '.')
			depth--;
		else if (sl > 0 && !(sl == 1 && seg[0] == '.'))
			depth++;
		if (depth < 0)
			return 0;
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return 1;
}

/* Opens the directory that will hold path's last segment, creating parents, following no link. */
static int open_parent(int root, const char *path, char *leaf, size_t leafsz)
{
	int dfd = dup(root);
	const char *seg = path;

	for (;;) {
		const char *end = strchr(seg, '/');
		if (end == NULL || end[1] == '\0') {
			size_t n = end ? (size_t)(end - seg) : strlen(seg);
			if (n >= leafsz) {
				close(dfd);
				return -1;
			}
			memcpy(leaf, seg, n);
			leaf[n] = '\0';
			return dfd;
		}
		char name[256];
		size_t n = (size_t)(end - seg);
		if (n >= sizeof(name)) {
			close(dfd);
			return -1;
		}
		memcpy(name, seg, n);
		name[n] = '\0';
		if (mkdirat(dfd, name, 0755) != 0 && errno != EEXIST) {
			close(dfd);
			return -1;
		}
		int next = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(dfd);
		if (next < 0)
			return -1;
		dfd = next;
		seg = end + 1;
	}
}

static int write_entry(int root, const char *path, struct archive *a, mode_t mode,
                       uint64_t *total, struct tf_error *err)
{
	char leaf[256];
	int dfd = open_parent(root, path, leaf, sizeof(leaf));
	int fd = -1, rc = -1;

	if (dfd < 0)
		return tf_fail(err, TF_E_INVALID_CODE, "Cannot create %s: a path segment is a link, a file or too long", path);
	fd = openat(dfd, leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
	if (fd < 0) {
		tf_fail(err, TF_E_INVALID_CODE, "Cannot create %s: %s", path,
		        errno == EEXIST ? "duplicate entry" : strerror(errno));
		goto out;
	}
	for (;;) {
		char chunk[65536];
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		if (n == 0)
			break;
		if (n < 0) {
			tf_fail(err, TF_E_INVALID_CODE, "Corrupt data in %s: %s", path, archive_error_string(a));
			goto out;
		}
		*total += (uint64_t)n;
		if (*total > TF_MAX_ZIP_UNPACKED) {
			tf_fail(err, TF_E_INVALID_CODE, "Code package unpacks to more than %ld MB", TF_MAX_ZIP_UNPACKED / TF_MIB);
			goto out;
		}
		for (la_ssize_t off = 0; off < n;) {
			ssize_t w = write(fd, chunk + off, (size_t)(n - off));
			if (w < 0) {
				tf_fail(err, TF_E_INTERNAL, "Cannot write %s: %s", path, strerror(errno));
				goto out;
			}
			off += w;
		}
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	close(dfd);
	return rc;
}

static int count_data(struct archive *a, const char *path, uint64_t *total, struct tf_error *err)
{
	char chunk[65536];

	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		if (n == 0)
			return 0;
		if (n < 0)
			return tf_fail(err, TF_E_INVALID_CODE, "Corrupt data in %s: %s", path, archive_error_string(a));
		*total += (uint64_t)n;
		if (*total > TF_MAX_ZIP_UNPACKED)
			return tf_fail(err, TF_E_INVALID_CODE, "Code package unpacks to more than %ld MB",
			               TF_MAX_ZIP_UNPACKED / TF_MIB);
	}
}

static int make_link(int root, const char *path, const char *target, struct tf_error *err)
{
	char leaf[256];
	int dfd = open_parent(root, path, leaf, sizeof(leaf));

	if (dfd < 0)
		return tf_fail(err, TF_E_INVALID_CODE, "Cannot create %s", path);
	int rc = symlinkat(target, dfd, leaf);
	close(dfd);
	if (rc != 0)
		return tf_fail(err, TF_E_INVALID_CODE, "Cannot create link %s: %s", path,
		               errno == EEXIST ? "duplicate entry" : strerror(errno));
	return 0;
}

static int make_dir(int root, const char *path, struct tf_error *err)
{
	char leaf[256];
	int dfd = open_parent(root, path, leaf, sizeof(leaf));

	if (dfd < 0)
		return tf_fail(err, TF_E_INVALID_CODE, "Cannot create directory %s", path);
	int rc = mkdirat(dfd, leaf, 0755);
	close(dfd);
	if (rc != 0 && errno != EEXIST)
		return tf_fail(err, TF_E_INVALID_CODE, "Cannot create directory %s", path);
	return 0;
}

/* Reads every entry, checking it; unpacks it too when root >= 0. */
static int walk(const void *zip, size_t len, int root, uint64_t *unpacked, struct tf_error *err)
{
	struct archive *a = archive_read_new();
	struct archive_entry *e;
	uint64_t total = 0;
	size_t entries = 0;
	int rc = -1;

	if (len > TF_MAX_ZIP_BYTES) {
		tf_fail(err, TF_E_INVALID_CODE, "Code package is larger than %ld MB", TF_MAX_ZIP_BYTES / TF_MIB);
		goto out;
	}
	archive_read_support_format_zip(a);
	if (archive_read_open_memory(a, zip, len) != ARCHIVE_OK) {
		tf_fail(err, TF_E_INVALID_CODE, "Code package is not a ZIP archive");
		goto out;
	}
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			tf_fail(err, TF_E_INVALID_CODE, "Code package is not a valid ZIP archive: %s",
			        archive_error_string(a));
			goto out;
		}
		if (++entries > TF_MAX_ZIP_ENTRIES) {
			tf_fail(err, TF_E_INVALID_CODE, "Code package has more than %d entries", TF_MAX_ZIP_ENTRIES);
			goto out;
		}
		const char *path = archive_entry_pathname(e);
		if (path == NULL || !zip_path_ok(path)) {
			tf_fail(err, TF_E_INVALID_CODE, "Entry \"%.200s\" has an absolute or escaping path",
			        path ? path : "(unreadable)");
			goto out;
		}
		if (archive_entry_hardlink(e) != NULL) {
			tf_fail(err, TF_E_INVALID_CODE, "Entry \"%.200s\" is a hard link", path);
			goto out;
		}
		mode_t type = archive_entry_filetype(e);
		mode_t mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;
		if (type == AE_IFREG) {
			if ((root >= 0 ? write_entry(root, path, a, mode, &total, err)
			               : count_data(a, path, &total, err)) != 0)
				goto out;
		} else if (type == AE_IFDIR) {
			if (root >= 0 && make_dir(root, path, err) != 0)
				goto out;
		} else if (type == AE_IFLNK) {
			const char *target = archive_entry_symlink(e);
			if (!zip_link_ok(path, target)) {
				tf_fail(err, TF_E_INVALID_CODE, "Link \"%.200s\" points outside the package", path);
				goto out;
			}
			if (root >= 0 && make_link(root, path, target, err) != 0)
				goto out;
		} else {
			tf_fail(err, TF_E_INVALID_CODE, "Entry \"%.200s\" is a device, socket or pipe", path);
			goto out;
		}
	}
	if (unpacked)
		*unpacked = total;
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

int codezip_check(const void *zip, size_t len, uint64_t *unpacked, struct tf_error *err)
{
	return walk(zip, len, -1, unpacked, err);
}

int codezip_extract(const void *zip, size_t len, const char *dir, struct tf_error *err)
{
	int root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (root < 0)
		return tf_fail(err, TF_E_INTERNAL, "Cannot open %s: %s", dir, strerror(errno));
	int rc = walk(zip, len, root, NULL, err);
	close(root);
	return rc;
}
