#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tf.h"
#include "tzdb.h"
#include "xalloc.h"

#define NAME_CHARS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/_+-"

/* Entries of the zoneinfo directory that are not zones to schedule in, though some are TZif files. */
static const struct {
	const char *name;
	bool prefix;
} not_zones[] = {
	{ "posix/", true },       /* copies of the main zones under other names */
	{ "right/", true },       /* zones counting leap seconds */
	{ "posixrules", false },  /* the default rule for POSIX TZ strings */
	{ "localtime", false },   /* the host's zone, a link out of the directory */
};

static struct {
	pthread_mutex_t lock;
	size_t n;
	struct {
		uint32_t hash;
		char name[TZDB_NAME_MAX + 1];
		struct tzone *zone;
	} e[TZDB_CACHE_ZONES];
} cache = { .lock = PTHREAD_MUTEX_INITIALIZER };

bool tzdb_name_ok(const char *name)
{
	size_t n = name ? strnlen(name, TZDB_NAME_MAX + 1) : 0;

	/* '.' is not a name character, so neither ".." nor a hidden file can be named. */
	if (n == 0 || n > TZDB_NAME_MAX || strspn(name, NAME_CHARS) != n || name[0] == '/' ||
	    name[n - 1] == '/' || strstr(name, "//") != NULL)
		return false;
	for (size_t i = 0; i < TF_ARRAY_LEN(not_zones); i++) {
		const char *z = not_zones[i].name;
		if (not_zones[i].prefix ? strncmp(name, z, strlen(z)) == 0 : strcmp(name, z) == 0)
			return false;
	}
	return true;
}

/* Reads the file of a zone, which must resolve (links followed) to a regular file inside TZDB_DIR. */
static struct tzone *tzdb_load(const char *name)
{
	char path[sizeof(TZDB_DIR) + 1 + TZDB_NAME_MAX + 1], root[PATH_MAX], real[PATH_MAX];
	unsigned char *data = NULL;
	struct tzone *z = NULL;
	struct stat st;
	size_t got = 0;
	int fd = -1;

	int len = snprintf(path, sizeof(path), "%s/%s", TZDB_DIR, name);
	if (len < 0 || (size_t)len >= sizeof(path) || realpath(TZDB_DIR, root) == NULL ||
	    realpath(path, real) == NULL)
		goto out;
	size_t rootlen = strlen(root);
	if (strncmp(real, root, rootlen) != 0 || real[rootlen] != '/')
		goto out;
	/* O_NONBLOCK: a FIFO planted in the directory must not hang the open; fstat refuses it. */
	fd = open(real, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > TZDB_FILE_MAX)
		goto out;
	/* Read to one byte past the limit, so that a file grown since fstat is still refused. */
	data = xmalloc(TZDB_FILE_MAX + 1);
	while (got <= TZDB_FILE_MAX) {
		ssize_t r = read(fd, data + got, TZDB_FILE_MAX + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	if (got > TZDB_FILE_MAX || tzif_parse(data, got, &z) != 0)
		z = NULL;
out:
	free(data);
	if (fd >= 0)
		close(fd);
	return z;
}

static uint32_t name_hash(const char *s)
{
	uint32_t h = 2166136261u;  /* FNV-1a */

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h;
}

/* With the lock held. */
static struct tzone *cache_find(const char *name, uint32_t hash)
{
	for (size_t i = 0; i < cache.n; i++)
		if (cache.e[i].hash == hash && strcmp(cache.e[i].name, name) == 0)
			return cache.e[i].zone;
	return NULL;
}

const struct tzone *tzdb_get(const char *name, struct tzone **own)
{
	*own = NULL;
	if (!tzdb_name_ok(name))
		return NULL;
	if (strcmp(name, "UTC") == 0)
		return tzone_utc();
	uint32_t hash = name_hash(name);
	pthread_mutex_lock(&cache.lock);
	struct tzone *z = cache_find(name, hash);
	pthread_mutex_unlock(&cache.lock);
	if (z != NULL)
		return z;

	/* Read without the lock: other threads' zones need not wait for this file. */
	struct tzone *loaded = tzdb_load(name);
	if (loaded == NULL)
		return NULL;
	pthread_mutex_lock(&cache.lock);
	z = cache_find(name, hash);
	if (z == NULL && cache.n < TZDB_CACHE_ZONES) {
		cache.e[cache.n].hash = hash;
		memcpy(cache.e[cache.n].name, name, strlen(name) + 1);
		cache.e[cache.n].zone = z = loaded;
		cache.n++;
		loaded = NULL;
	}
	pthread_mutex_unlock(&cache.lock);
	if (z == NULL) {
		*own = loaded;  /* the cache is full */
		return loaded;
	}
	tzone_free(loaded);  /* NULL when kept just now; else another thread kept the zone first */
	return z;
}
