#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codezip.h"
#include "xalloc.h"
#include "zipdir.h"
#include "ziptree.h"

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


/*
 * The seekable reader only: it reads the central directory, as zipdir.c does,
 * and refuses an archive without one. (The streaming reader, which
 * archive_read_support_format_zip also registers, reads local headers alone and
 * accepts an archive cut short.)
 */
static struct archive *open_archive(const void *zip, size_t len, struct tf_error *err)
{
	struct archive *a = archive_read_new();

	if (a == NULL) {
		tf_fail(err, TF_E_INTERNAL, "Cannot read the code package: out of memory");
		return NULL;
	}
	/* Mac resource forks would fold some entries into others; every entry stays an entry. */
	if (archive_read_support_format_zip_seekable(a) != ARCHIVE_OK ||
	    archive_read_set_options(a, "zip:!mac-ext") != ARCHIVE_OK) {
		tf_fail(err, TF_E_INTERNAL, "Cannot read the code package: %s", archive_error_string(a));
		archive_read_free(a);
		return NULL;
	}
	if (archive_read_open_memory(a, zip, len) != ARCHIVE_OK) {
		tf_fail(err, TF_E_INVALID_CODE, "Code package is not a ZIP archive");
		archive_read_free(a);
		return NULL;
	}
	return a;
}

static int count_data(struct archive *a, const char *label, uint64_t *total, struct tf_error *err)
{
	char chunk[65536];

	for (;;) {
		la_ssize_t n = archive_read_data(a, chunk, sizeof(chunk));
		if (n == 0)
			return 0;
		if (n < 0)
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" has corrupt data: %s", label,
			               archive_error_string(a));
		*total += (uint64_t)n;
		if (*total > TF_MAX_ZIP_UNPACKED)
			return tf_fail(err, TF_E_INVALID_CODE, "Code package unpacks to more than %ld MB",
			               TF_MAX_ZIP_UNPACKED / TF_MIB);
	}
}

/* Whether libarchive read the name the directory holds (a directory's with '/' added, DOS '\' as '/'). */
static bool same_name(const struct zipdir_entry *d, const char *path, bool is_dir)
{
	size_t n = strlen(path);

	if (!(n == d->name_len || (is_dir && n == d->name_len + 1 && path[n - 1] == '/')))
		return false;
	for (size_t i = 0; i < d->name_len; i++)
		if (path[i] != d->name[i] && !(d->dos_slashes && d->name[i] == '\\' && path[i] == '/'))
			return false;
	return true;
}

/*
 * Reads every entry as libarchive will unpack it, and checks that libarchive
 * reads the entries the directory lists, in its order, under its names: what
 * is judged is what is unpacked. Any warning of libarchive (sizes or CRCs that
 * differ between a local header and the directory) refuses the archive.
 */
static int collect(struct archive *a, const struct zipdir_entry *dir, size_t ndir, struct zip_node *nodes,
                   size_t *n, uint64_t *unpacked, struct tf_error *err)
{
	struct archive_entry *e;
	char label[ZIP_LABEL_SIZE];

	*n = 0;
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (*n >= ndir)
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Code package has more entries than its central directory lists; make the archive again");
		zip_label(dir[*n].name, dir[*n].name_len, label);
		if (r != ARCHIVE_OK)
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" cannot be read: %s", label,
			               archive_error_string(a) ? archive_error_string(a) : "damaged");
		const char *path = archive_entry_pathname(e), *target = NULL;
		mode_t type = archive_entry_filetype(e);
		if (path == NULL)
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" has a name that cannot be read; use ASCII names",
			               label);
		if (!same_name(&dir[*n], path, type == AE_IFDIR))
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Entry \"%s\" carries a second name in an extra field; make the archive again without it", label);
		if (archive_entry_hardlink(e) != NULL)
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" is a hard link; store the file itself", label);
		struct zip_node *node = &nodes[*n];
		if (type == AE_IFREG) {
			node->type = ZIP_FILE;
			if (count_data(a, label, unpacked, err) != 0)
				return -1;
		} else if (type == AE_IFDIR) {
			node->type = ZIP_DIR;
		} else if (type == AE_IFLNK) {
			node->type = ZIP_LINK;
			if ((target = archive_entry_symlink(e)) == NULL)
				return tf_fail(err, TF_E_INVALID_CODE, "Link \"%s\" has a target that cannot be read", label);
		} else {
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Entry \"%s\" is a device, socket or pipe; a package holds only files, directories and links",
			               label);
		}
		node->path = xstrdup(path);
		node->target = target ? xstrdup(target) : NULL;
		++*n;
	}
	if (*n != ndir)
		return tf_fail(err, TF_E_INVALID_CODE,
		               "Code package has entries libarchive cannot reach; make the archive again");
	return 0;
}

/* codezip_check, saying how many entries the package has. */
static int check(const void *zip, size_t len, uint64_t *unpacked, size_t *entries, struct tf_error *err)
{
	struct zipdir_entry *dir = NULL;
	struct zip_node *nodes = NULL;
	struct archive *a = NULL;
	size_t ndir = 0, n = 0;
	uint64_t total = 0;
	int rc = -1;

	if (len > TF_MAX_ZIP_BYTES) {
		tf_fail(err, TF_E_INVALID_CODE, "Code package is larger than %ld MB", TF_MAX_ZIP_BYTES / TF_MIB);
		goto out;
	}
	/* An empty archive is a ZIP too, though libarchive will not open one: there is nothing in it to read. */
	if (zipdir_read(zip, len, &dir, &ndir, err) != 0 || (ndir > 0 && (a = open_archive(zip, len, err)) == NULL))
		goto out;
	nodes = xcalloc(ndir ? ndir : 1, sizeof(*nodes));
	if ((a && collect(a, dir, ndir, nodes, &n, &total, err) != 0) || ziptree_judge(nodes, n, err) != 0)
		goto out;
	if (unpacked)
		*unpacked = total;
	*entries = ndir;
	rc = 0;
out:
	for (size_t i = 0; nodes && i < n; i++) {
		free(nodes[i].path);
		free(nodes[i].target);
	}
	free(nodes);
	free(dir);
	if (a)
		archive_read_free(a);
	return rc;
}

int codezip_check(const void *zip, size_t len, uint64_t *unpacked, struct tf_error *err)
{
	size_t entries;

	return check(zip, len, unpacked, &entries, err);
}

/* Unpacks a package codezip_check accepted; it still follows no link and overwrites nothing. */
static int unpack(const void *zip, size_t len, int root, struct tf_error *err)
{
	struct archive *a = open_archive(zip, len, err);
	struct archive_entry *e;
	uint64_t total = 0;
	int rc = -1;

	if (a == NULL)
		return -1;
	for (;;) {
		int r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK) {
			tf_fail(err, TF_E_INVALID_CODE, "Code package cannot be read: %s", archive_error_string(a));
			goto out;
		}
		const char *path = archive_entry_pathname(e);
		mode_t type = archive_entry_filetype(e);
		mode_t mode = (archive_entry_perm(e) & 0111) ? 0755 : 0644;
		int made = type == AE_IFREG ? write_entry(root, path, a, mode, &total, err)
		         : type == AE_IFDIR ? make_dir(root, path, err)
		         : type == AE_IFLNK ? make_link(root, path, archive_entry_symlink(e), err)
		         : tf_fail(err, TF_E_INVALID_CODE, "Code package changed while it was unpacked");
		if (made != 0)
			goto out;
	}
	rc = 0;
out:
	archive_read_free(a);
	return rc;
}

int codezip_extract(const void *zip, size_t len, const char *dir, struct tf_error *err)
{
	size_t entries;
	int root = -1, rc = -1;

	/* Judged again on the runner: a package stored under older rules is not unpacked unless it keeps these. */
	if (check(zip, len, NULL, &entries, err) != 0)
		return -1;
	if (entries == 0)
		return 0;
	if ((root = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return tf_fail(err, TF_E_INTERNAL, "Cannot open the directory to unpack into: %s", strerror(errno));
	rc = unpack(zip, len, root, err);
	close(root);
	return rc;
}
