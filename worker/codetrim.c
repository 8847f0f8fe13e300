/*
 * The runner's code cache kept within [worker] code_cache_mb. A small package may
 * unpack to 50 MB, and every version's digest is a tree of its own, so without a
 * cap a tenant uploading and invoking in a loop fills the runner's disk. Each tree
 * has a record under code/.meta/<sha256>: its size on disk, and, in its time stamp,
 * when an invocation last used it. Past the cap the least recently used trees go
 * first; never one an instance runs from, or one a starting invocation holds (a pin).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"
#include "num.h"
#include "sha256.h"
#include "strfmt.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define PINS_MAX 256                 /* invocations between finding their code and starting on it */
#define TMP_STALE_S 600              /* an unpacking left behind by a runner that died */

static pthread_mutex_t pin_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char sha[TF_SHA256_HEX + 1];
	int count;
} pins[PINS_MAX];

void codecache_pin(const char *sha, bool pin)
{
	pthread_mutex_lock(&pin_lock);
	int free_at = -1, at = -1;
	for (int i = 0; i < PINS_MAX && at < 0; i++) {
		if (pins[i].count > 0 && strcmp(pins[i].sha, sha) == 0)
			at = i;
		else if (pins[i].count == 0 && free_at < 0)
			free_at = i;
	}
	if (pin && at < 0 && free_at >= 0) {
		at = free_at;
		snprintf(pins[at].sha, sizeof(pins[at].sha), "%s", sha);
	}
	if (at >= 0)
		pins[at].count += pin ? 1 : -1;
	else if (pin)
		log_warn("code %s unpinned: more than %d invocations are starting", sha, PINS_MAX);
	pthread_mutex_unlock(&pin_lock);
}

static bool pinned(const char *sha)
{
	bool found = false;
	pthread_mutex_lock(&pin_lock);
	for (int i = 0; i < PINS_MAX && !found; i++)
		found = pins[i].count > 0 && strcmp(pins[i].sha, sha) == 0;
	pthread_mutex_unlock(&pin_lock);
	return found;
}

static __thread long long tree_bytes;  /* nftw's callback takes no argument of ours */

static int add_size(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)path, (void)flag, (void)ftw;
	tree_bytes += (long long)st->st_blocks * 512;
	return 0;
}

/* The disk a tree takes. */
static long long disk_of(const char *path)
{
	tree_bytes = 0;
	nftw(path, add_size, 16, FTW_PHYS);
	return tree_bytes;
}

static int meta_path(const char *sha, char *out, size_t n)
{
	return strfmt(out, n, "%s/code/.meta/%s", W.dir, sha);
}

void codecache_record(const char *sha, const char *tree)
{
	char meta[PATH_MAX], text[32];

	int len = snprintf(text, sizeof(text), "%lld\n", disk_of(tree));
	if (meta_path(sha, meta, sizeof(meta)) != 0)
		return;
	int fd = open(meta, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	if (fd < 0 || write(fd, text, (size_t)len) != len)
		log_warn("cannot record the size of code %.12s: %s", sha, strerror(errno));
	if (fd >= 0)
		close(fd);
}

void codecache_touch(const char *sha)
{
	char meta[PATH_MAX];
	if (meta_path(sha, meta, sizeof(meta)) == 0)
		utimensat(AT_FDCWD, meta, NULL, 0);  /* now: the tree was just used */
}

struct cached {
	char sha[TF_SHA256_HEX + 1];
	long long bytes;
	long long used;  /* ns: invocations a second apart or less still come in order */
};

static int by_use(const void *a, const void *b)
{
	const struct cached *x = a, *y = b;
	return x->used < y->used ? -1 : x->used > y->used;
}

/* The trees the cache holds, from their records; *total gets their sum. A record-less tree gets one. */
static struct cached *list_cached(size_t *n, long long *total)
{
	char dir[PATH_MAX], meta[PATH_MAX], text[32];
	struct cached *v = NULL;
	size_t cap = 0;
	struct dirent *de;
	DIR *d;

	*n = 0, *total = 0;
	if (strfmt(dir, sizeof(dir), "%s/code", W.dir) != 0 || (d = opendir(dir)) == NULL)
		return NULL;
	while ((de = readdir(d)) != NULL) {
		char tree[PATH_MAX];
		struct stat st;
		if (strlen(de->d_name) != TF_SHA256_HEX || strfmt(tree, sizeof(tree), "%s/%s", dir, de->d_name) != 0 ||
		    meta_path(de->d_name, meta, sizeof(meta)) != 0)
			continue;
		if (stat(meta, &st) != 0) {
			codecache_record(de->d_name, tree);
			if (stat(meta, &st) != 0)
				continue;
		}
		long long bytes = 0;
		int fd = open(meta, O_RDONLY | O_CLOEXEC);
		ssize_t got = fd >= 0 ? read(fd, text, sizeof(text) - 1) : -1;
		if (fd >= 0)
			close(fd);
		text[got > 0 ? got : 0] = '\0';
		text[strcspn(text, "\n")] = '\0';
		if (parse_ll(text, 0, INT64_MAX, &bytes) != 0)
			continue;
		if (*n == cap)
			v = xrealloc(v, (cap = cap ? cap * 2 : 64) * sizeof(*v));
		snprintf(v[*n].sha, sizeof(v[*n].sha), "%s", de->d_name);
		v[*n].bytes = bytes;
		v[*n].used = (long long)st.st_mtim.tv_sec * 1000000000LL + st.st_mtim.tv_nsec;
		*total += bytes;
		(*n)++;
	}
	closedir(d);
	return v;
}

/* Unpackings a runner that died left behind: nobody will rename them into place. */
static void remove_stale_unpackings(void)
{
	char dir[PATH_MAX], path[PATH_MAX];
	struct dirent *de;
	struct stat st;
	DIR *d;

	if (strfmt(dir, sizeof(dir), "%s/code", W.dir) != 0 || (d = opendir(dir)) == NULL)
		return;
	while ((de = readdir(d)) != NULL)
		if (strncmp(de->d_name, ".tmp-", 5) == 0 && strfmt(path, sizeof(path), "%s/%s", dir, de->d_name) == 0 &&
		    stat(path, &st) == 0 && st.st_mtime < time(NULL) - TMP_STALE_S)
			remove_tree(path);
	closedir(d);
}

static pthread_mutex_t trim_lock = PTHREAD_MUTEX_INITIALIZER;

void codecache_trim(void)
{
	size_t n = 0;
	long long total = 0, cap = W.code_cache_mb * TF_MIB;
	char tree[PATH_MAX], meta[PATH_MAX];

	/* One trim at a time; a thread that finds one running leaves the work to it. */
	if (pthread_mutex_trylock(&trim_lock) != 0)
		return;
	remove_stale_unpackings();
	struct cached *v = list_cached(&n, &total);
	if (total > cap) {
		qsort(v, n, sizeof(*v), by_use);
		for (size_t i = 0; i < n && total > cap; i++) {
			if (pinned(v[i].sha) || pool_uses_code(v[i].sha) ||
			    strfmt(tree, sizeof(tree), "%s/code/%s", W.dir, v[i].sha) != 0 ||
			    meta_path(v[i].sha, meta, sizeof(meta)) != 0)
				continue;
			/* The record goes last: a tree without one is measured again, never forgotten. */
			remove_tree(tree);
			unlink(meta);
			total -= v[i].bytes;
			log_info("code %.12s evicted from the cache (%lld MB left, cap %lld MB)", v[i].sha, total / TF_MIB,
			         cap / TF_MIB);
		}
		if (total > cap)
			log_warn("the code cache holds %lld MB in use, over its cap of %lld MB", total / TF_MIB, cap / TF_MIB);
	}
	free(v);
	pthread_mutex_unlock(&trim_lock);
}
