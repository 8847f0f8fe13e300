/*
 * Function code on this runner's disk, unpacked once per package digest under
 * <dir>/code/<sha256>. A package is checked against its digest before use, so
 * a corrupted or substituted blob never runs. Unpacking goes to a temporary
 * directory renamed into place: a reader sees a whole tree or none.
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "codezip.h"
#include "ids.h"
#include "log.h"
#include "sha256.h"
#include "strfmt.h"
#include "worker.h"

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

void remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

#define LINK_MAX_DEPTH 32  /* codezip bounds a package's depth well below this */

static int link_dir(const char *from, const char *to, int depth)
{
	DIR *d = opendir(from);
	struct dirent *de;
	char src[PATH_MAX], dst[PATH_MAX];
	int rc = 0;

	if (d == NULL || depth > LINK_MAX_DEPTH) {
		if (d)
			closedir(d);
		return -1;
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		struct stat st;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strfmt(src, sizeof(src), "%s/%s", from, de->d_name) != 0 ||
		    strfmt(dst, sizeof(dst), "%s/%s", to, de->d_name) != 0 || lstat(src, &st) != 0)
			rc = -1;
		else if (S_ISDIR(st.st_mode))
			rc = mkdir(dst, 0755) == 0 ? link_dir(src, dst, depth + 1) : -1;
		else if (S_ISREG(st.st_mode))
			rc = link(src, dst);
		/* nothing else is unpacked (codezip refuses links and devices) */
	}
	closedir(d);
	return rc;
}

int codecache_link(const char *from, const char *to)
{
	return link_dir(from, to, 0);
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
	if (access(path, F_OK) == 0)
		return 0;
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
		snprintf(why, whysz, "cannot create %s: %s", tmp, strerror(errno));
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
	if (rc != 0)
		snprintf(why, whysz, "cannot place code at %s", path);
out:
	db_rows_free(rows);
	return rc;
}
