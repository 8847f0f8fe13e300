/*
 * The rules a code package's tree must keep (docs/code-packages.md), checked at
 * upload, where the client can be told, and again before a runner unpacks it.
 * Every rule is one the unpacked tree must keep the same on every runner, on a
 * cold start and in an adopted spare alike: a package that passes here unpacks
 * and links without error, and nothing in it reaches outside it.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codezip.h"
#include "ziptree.h"

#define STR_(x) #x
#define STR(x) STR_(x)

void zip_label(const char *name, size_t len, char out[ZIP_LABEL_SIZE])
{
	size_t keep = len > 80 ? 80 : len, o = 0;

	for (size_t i = 0; i < keep; i++) {
		unsigned char c = (unsigned char)name[i];
		out[o++] = (c < 0x20 || c >= 0x7f) ? '?' : (char)c;
	}
	if (keep < len) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
}

const char *zip_path_problem(const char *path)
{
	size_t n = strlen(path), depth = 0;

	if (n == 0)
		return "has an empty name";
	if (n > TF_MAX_ZIP_PATH)
		return "has a path longer than " STR(TF_MAX_ZIP_PATH) " bytes";
	if (path[0] == '/')
		return "has an absolute path; paths are relative to the package root";
	if (strchr(path, '\\'))
		return "has a backslash in its path; separate directories with '/'";
	for (const char *seg = path; *seg;) {
		const char *end = strchr(seg, '/');
		size_t sl = end ? (size_t)(end - seg) : strlen(seg);
		/* A trailing slash (a directory entry) leaves one empty last segment. */
		if (sl == 0)
			return "has an empty segment (\"//\") in its path";
		if ((sl == 1 && seg[0] == '.') || (sl == 2 && seg[0] == '.' && seg[1] == '.'))
			return "has a \".\" or \"..\" segment; paths must name entries inside the package directly";
		if (sl > TF_MAX_ZIP_NAME)
			return "has a name longer than " STR(TF_MAX_ZIP_NAME) " bytes in its path";
		if (++depth > TF_MAX_ZIP_DEPTH)
			return "is nested more than " STR(TF_MAX_ZIP_DEPTH) " levels deep";
		if (end == NULL || end[1] == '\0')
			break;
		seg = end + 1;
	}
	return NULL;
}

static int by_path(const void *a, const void *b)
{
	return strcmp(((const struct zip_node *)a)->path, ((const struct zip_node *)b)->path);
}

/* strcmp of the first klen bytes of key (no NUL there) against s. */
static int keycmp(const char *key, size_t klen, const char *s)
{
	size_t sl = strlen(s);
	int c = memcmp(key, s, klen < sl ? klen : sl);

	if (c != 0)
		return c;
	return klen < sl ? -1 : klen > sl;
}

/* The index of the first node whose path is not below key. */
static size_t lower_bound(const struct zip_node *nodes, size_t n, const char *key, size_t klen)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (keycmp(key, klen, nodes[mid].path) > 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

enum found { FOUND_MISSING, FOUND_FILE, FOUND_DIR, FOUND_LINK };

/*
 * What key names in the tree. A directory need not have an entry of its own:
 * one is implied by any entry below it. key must have room for one more byte.
 */
static enum found lookup(const struct zip_node *nodes, size_t n, char *key, size_t klen,
                         const struct zip_node **node)
{
	size_t i = lower_bound(nodes, n, key, klen);

	*node = NULL;
	if (i < n && keycmp(key, klen, nodes[i].path) == 0) {
		*node = &nodes[i];
		return nodes[i].type == ZIP_DIR ? FOUND_DIR : nodes[i].type == ZIP_LINK ? FOUND_LINK : FOUND_FILE;
	}
	/* Every path under "key/" sorts together, from the first not below "key/" on. */
	key[klen] = '/';
	i = lower_bound(nodes, n, key, klen + 1);
	bool below = i < n && strncmp(nodes[i].path, key, klen + 1) == 0;
	key[klen] = '\0';
	return below ? FOUND_DIR : FOUND_MISSING;
}

static size_t segments(const char *path, size_t len)
{
	size_t k = len > 0;

	for (size_t i = 0; i < len; i++)
		k += path[i] == '/';
	return k;
}

enum verdict { LINK_INSIDE, LINK_ESCAPES, LINK_LOOPS, LINK_TOO_COMPLEX };

/* One link being resolved: where the walk is, and what is left of each target it follows. */
struct walk {
	char cur[TF_MAX_ZIP_PATH + 2];  /* a directory of the tree; "" is the root */
	size_t curlen;
	const char *left[TF_MAX_ZIP_LINK_HOPS + 1];
	int nleft;
};

/* The next segment of the innermost target that has one; false when all are used up. */
static bool next_segment(struct walk *w, const char **seg, size_t *len)
{
	while (w->nleft > 0) {
		const char *s = w->left[w->nleft - 1];
		while (*s == '/')
			s++;
		if (*s == '\0') {
			w->nleft--;
			continue;
		}
		const char *end = strchrnul(s, '/');
		*seg = s;
		*len = (size_t)(end - s);
		w->left[w->nleft - 1] = end;
		return true;
	}
	return false;
}

/*
 * Resolves a link as the kernel would inside the unpacked package, segment by
 * segment from the link's directory, following the links it meets. A ".." at the
 * root is an escape even if the path would come back down: outside the package
 * is the runner's disk. Where the tree ends (a missing name, or a file with more
 * after it) the kernel would stop with an error; rather than rely on that, the
 * rest is read literally, and must not climb above the root either.
 */
static enum verdict resolve(const struct zip_node *nodes, size_t n, const struct zip_node *link, long *steps)
{
	struct walk w;  /* about 1.4 KB */
	const struct zip_node *hit;
	const char *seg;
	size_t len;
	long literal = -1;  /* segments below the root, once the walk has left the tree */
	int hops = 0;

	const char *slash = strrchr(link->path, '/');
	w.curlen = slash ? (size_t)(slash - link->path) : 0;
	memcpy(w.cur, link->path, w.curlen);
	w.cur[w.curlen] = '\0';
	w.left[0] = link->target;
	w.nleft = 1;
	while (next_segment(&w, &seg, &len)) {
		bool up = len == 2 && seg[0] == '.' && seg[1] == '.';
		if (len == 1 && seg[0] == '.')
			continue;
		if (++*steps > TF_MAX_ZIP_LINK_STEPS)
			return LINK_TOO_COMPLEX;
		if (literal >= 0) {
			literal += up ? -1 : 1;
			if (literal < 0)
				return LINK_ESCAPES;
			continue;
		}
		if (up) {
			if (w.curlen == 0)
				return LINK_ESCAPES;
			char *p = memrchr(w.cur, '/', w.curlen);
			w.curlen = p ? (size_t)(p - w.cur) : 0;
			w.cur[w.curlen] = '\0';
			continue;
		}
		size_t was = w.curlen, at = was ? was + 1 : 0;
		if (at + len > TF_MAX_ZIP_PATH) {
			/* No entry has so long a path: the walk has left the tree. */
			literal = (long)segments(w.cur, was) + 1;
			continue;
		}
		if (was)
			w.cur[was] = '/';
		memcpy(w.cur + at, seg, len);
		w.curlen = at + len;
		w.cur[w.curlen] = '\0';
		switch (lookup(nodes, n, w.cur, w.curlen, &hit)) {
		case FOUND_DIR:
			break;
		case FOUND_LINK:
			/* Its target is read from the directory that holds it, where the walk is. */
			w.curlen = was;
			w.cur[was] = '\0';
			if (++hops > TF_MAX_ZIP_LINK_HOPS)
				return LINK_LOOPS;
			w.left[w.nleft++] = hit->target;
			break;
		case FOUND_FILE:
		case FOUND_MISSING:
			literal = (long)segments(w.cur, w.curlen);
			break;
		}
	}
	return LINK_INSIDE;
}

static const char *type_name(enum zip_type t)
{
	return t == ZIP_DIR ? "directory" : t == ZIP_LINK ? "link" : "file";
}

/* Two entries of one name, or an entry inside something that is not a directory. */
static int judge_names(struct zip_node *nodes, size_t n, struct tf_error *err)
{
	char a[ZIP_LABEL_SIZE], b[ZIP_LABEL_SIZE];

	for (size_t i = 0; i + 1 < n; i++) {
		if (strcmp(nodes[i].path, nodes[i + 1].path) != 0)
			continue;
		zip_label(nodes[i].path, strlen(nodes[i].path), a);
		if (nodes[i].type == nodes[i + 1].type)
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" appears twice in the package; keep one", a);
		/* Named in a fixed order: qsort leaves equal paths in any. */
		enum zip_type x = nodes[i].type, y = nodes[i + 1].type;
		enum zip_type first = x == ZIP_DIR || y == ZIP_DIR ? ZIP_DIR : ZIP_FILE;
		enum zip_type other = x == first ? y : x;
		return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" is both a %s and a %s; rename one of them", a,
		               type_name(first), type_name(other));
	}
	for (size_t i = 0; i < n; i++) {
		const char *path = nodes[i].path;
		for (const char *s = strchr(path, '/'); s; s = strchr(s + 1, '/')) {
			size_t k = lower_bound(nodes, n, path, (size_t)(s - path));
			if (k >= n || keycmp(path, (size_t)(s - path), nodes[k].path) != 0 || nodes[k].type == ZIP_DIR)
				continue;
			zip_label(path, strlen(path), a);
			zip_label(path, (size_t)(s - path), b);
			if (nodes[k].type == ZIP_LINK)
				return tf_fail(err, TF_E_INVALID_CODE,
				               "Entry \"%s\" is inside \"%s\", which is a link; put it under the link's target instead",
				               a, b);
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" is inside \"%s\", which is a file; rename one of them",
			               a, b);
		}
	}
	return 0;
}

static int judge_links(struct zip_node *nodes, size_t n, struct tf_error *err)
{
	char a[ZIP_LABEL_SIZE], t[ZIP_LABEL_SIZE];
	long steps = 0;

	/* Every target first: resolution may follow any link, and only relative ones are followed. */
	for (size_t i = 0; i < n; i++) {
		const char *target = nodes[i].target;
		if (nodes[i].type != ZIP_LINK)
			continue;
		zip_label(nodes[i].path, strlen(nodes[i].path), a);
		if (target == NULL || target[0] == '\0')
			return tf_fail(err, TF_E_INVALID_CODE, "Link \"%s\" has an empty target", a);
		if (strlen(target) > TF_MAX_ZIP_PATH)
			return tf_fail(err, TF_E_INVALID_CODE, "Link \"%s\" has a target longer than %d bytes", a,
			               TF_MAX_ZIP_PATH);
		zip_label(target, strlen(target), t);
		if (target[0] == '/')
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Link \"%s\" has the absolute target \"%s\"; a link must point inside the package, relative to its own directory",
			               a, t);
	}
	for (size_t i = 0; i < n; i++) {
		if (nodes[i].type != ZIP_LINK)
			continue;
		enum verdict v = resolve(nodes, n, &nodes[i], &steps);
		if (v == LINK_INSIDE)
			continue;
		zip_label(nodes[i].path, strlen(nodes[i].path), a);
		zip_label(nodes[i].target, strlen(nodes[i].target), t);
		if (v == LINK_ESCAPES)
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Link \"%s\" (to \"%s\") leads outside the package, directly or through other links; a link must point inside the package",
			               a, t);
		if (v == LINK_LOOPS)
			return tf_fail(err, TF_E_INVALID_CODE,
			               "Link \"%s\" (to \"%s\") never resolves: its links form a loop or a chain of more than %d",
			               a, t, TF_MAX_ZIP_LINK_HOPS);
		return tf_fail(err, TF_E_INVALID_CODE,
		               "The package's links take more than %ld steps to resolve, at link \"%s\"; use fewer or more direct links",
		               (long)TF_MAX_ZIP_LINK_STEPS, a);
	}
	return 0;
}

int ziptree_judge(struct zip_node *nodes, size_t n, struct tf_error *err)
{
	char a[ZIP_LABEL_SIZE];

	for (size_t i = 0; i < n; i++) {
		const char *why = zip_path_problem(nodes[i].path);
		if (why) {
			zip_label(nodes[i].path, strlen(nodes[i].path), a);
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" %s", a, why);
		}
		size_t len = strlen(nodes[i].path);
		if (nodes[i].type == ZIP_DIR && nodes[i].path[len - 1] == '/')
			nodes[i].path[len - 1] = '\0';
		else if (nodes[i].path[len - 1] == '/') {
			zip_label(nodes[i].path, len, a);
			return tf_fail(err, TF_E_INVALID_CODE, "Entry \"%s\" ends in '/' but is not a directory", a);
		}
	}
	qsort(nodes, n, sizeof(*nodes), by_path);
	if (judge_names(nodes, n, err) != 0)
		return -1;
	return judge_links(nodes, n, err);
}
