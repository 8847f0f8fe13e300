/*
 * Function code on this runner's disk, unpacked once per package digest under
 * <dir>/code/<sha256>. A package is checked against its digest before use, so
 * a corrupted or substituted blob never runs. Unpacking goes to a temporary
 * directory renamed into place: a reader sees a whole tree or none.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codezip.h"
#include "ids.h"
#include "log.h"
#include "sha256.h"
#include "strfmt.h"
#include "worker.h"
#include "xalloc.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

/* One entry of a directory, reproduced in the copy: a hard link, a directory, or a symlink. */
static int link_entry(int from, int to, const char *name, bool *is_dir)
{
	char target[TF_MAX_ZIP_PATH + 1];
	struct stat st;

	*is_dir = false;
	if (fstatat(from, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return -1;
	if (S_ISDIR(st.st_mode)) {
		*is_dir = true;
		return mkdirat(to, name, 0755);
	}
	if (S_ISREG(st.st_mode))
		return linkat(from, name, to, name, 0);
	if (S_ISLNK(st.st_mode)) {
		/* codezip kept it because it resolves inside the package; it is copied as it is, never followed. */
		ssize_t n = readlinkat(from, name, target, sizeof(target));
		if (n < 0 || (size_t)n >= sizeof(target))
			return -1;
		target[n] = '\0';
		return symlinkat(target, to, name);
	}
	return -1;  /* codezip unpacks nothing else */
}

/* Reproduces one directory (rel, under both roots); the directories found in it are queued. */
static int link_one_dir(int from_root, int to_root, const char *rel, char ***queue, size_t *nq, size_t *cap)
{
	int from = openat(from_root, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int to = openat(to_root, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	DIR *d = from >= 0 ? fdopendir(from) : NULL;
	struct dirent *de;
	int rc = -1;

	if (d)
		from = -1;  /* the DIR owns it now */
	if (d == NULL || to < 0)
		goto out;
	rc = 0;
	while (rc == 0 && (de = readdir(d)) != NULL) {
		bool is_dir;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if ((rc = link_entry(dirfd(d), to, de->d_name, &is_dir)) != 0 || !is_dir)
			continue;
		char *sub = strcmp(rel, ".") == 0 ? xstrdup(de->d_name) : xasprintf("%s/%s", rel, de->d_name);
		if (strlen(sub) > TF_MAX_ZIP_PATH) {
			free(sub);
			rc = -1;
			break;
		}
		if (*nq == *cap) {
			*cap = *cap ? *cap * 2 : 64;
			*queue = xrealloc(*queue, *cap * sizeof(**queue));
		}
		(*queue)[(*nq)++] = sub;
	}
out:
	if (d)
		closedir(d);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
	return rc;
}

/*
 * The tree is walked breadth first from a queue on the heap, not by recursion:
 * a package may nest TF_MAX_ZIP_DEPTH directories deep, and a dispatcher
 * thread's stack is no place for that.
 */
int codecache_link(const char *from, const char *to)
{
	int from_root = open(from, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	int to_root = open(to, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	char **queue = NULL;
	size_t nq = 0, cap = 0;
	int rc = -1;

	if (from_root < 0 || to_root < 0)
		goto out;
	rc = link_one_dir(from_root, to_root, ".", &queue, &nq, &cap);
	for (size_t i = 0; rc == 0 && i < nq; i++)
		rc = link_one_dir(from_root, to_root, queue[i], &queue, &nq, &cap);
out:
	for (size_t i = 0; i < nq; i++)
		free(queue[i]);
	free(queue);
	if (from_root >= 0)
		close(from_root);
	if (to_root >= 0)
		close(to_root);
	return rc;
}

static bool valid_sha(const char *sha)
{
	if (strlen(sha) != TF_SHA256_HEX)
		return false;
	for (const char *p = sha; *p; p++)
		if (!((*p >= '0' && *p <= '9') || (*p >= 'a' && *p <= 'f')))
			return false;
	return true;
}

int codecache_get(struct db *db, const char *sha, char *path, size_t n, char *why, size_t whysz)
{
	struct db_rows *rows = NULL;
	struct tf_error err = { 0 };
	char tmp[PATH_MAX], digest[TF_SHA256_HEX + 1], suffix[16];
	int rc = -1;

	if (!valid_sha(sha)) {
		snprintf(why, whysz, "malformed code digest");
		return -1;
	}
	if (strfmt(path, n, "%s/code/%s", W.dir, sha) != 0) {
		snprintf(why, whysz, "code path too long");
		return -1;
	}
	codecache_pin(sha, true);  /* released by the caller, or below on failure */
	if (access(path, F_OK) == 0) {
		codecache_touch(sha);
		return 0;
	}
	if (db_query(db, "SELECT bytes FROM code_blobs WHERE sha256 = ?", DB_ARGS(DB_STR(sha)), &rows) != 0) {
		snprintf(why, whysz, "cannot fetch code: %s", db_error(db));
		return -1;
	}
	if (rows->nrows == 0) {
		snprintf(why, whysz, "code package %.12s is missing", sha);
		goto out;
	}
	sha256_hex(rows->cell[0], rows->len[0], digest);
	if (strcmp(digest, sha) != 0) {
		log_error("code package %s does not match its digest (%s)", sha, digest);
		snprintf(why, whysz, "code package %.12s is corrupt", sha);
		goto out;
	}
	random_id(suffix, sizeof(suffix), "", 8);
	if (strfmt(tmp, sizeof(tmp), "%s/code/.tmp-%s-%s", W.dir, sha, suffix) != 0 || mkdir(tmp, 0755) != 0) {
		/* The runner's paths are for its log; the caller is told what failed. */
		log_error("cannot create %s: %s", tmp, strerror(errno));
		snprintf(why, whysz, "cannot make room for the code on this runner");
		goto out;
	}
	if (codezip_extract(rows->cell[0], rows->len[0], tmp, &err) != 0) {
		snprintf(why, whysz, "cannot unpack code: %s", err.message);
		tf_error_reset(&err);
		remove_tree(tmp);
		goto out;
	}
	/* Another thread may have won the race; its tree is the same. */
	if (rename(tmp, path) != 0)
		remove_tree(tmp);
	rc = access(path, F_OK) == 0 ? 0 : -1;
	if (rc != 0) {
		log_error("cannot place code at %s", path);
		snprintf(why, whysz, "cannot place the code on this runner");
	}
out:
	db_rows_free(rows);
	if (rc != 0) {
		codecache_pin(sha, false);
	} else {
		codecache_record(sha, path);
		codecache_trim();  /* a new tree may take the cache past its cap */
	}
	return rc;
}
