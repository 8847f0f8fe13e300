/*
 * A code package judged as a whole, as the tree it unpacks to. Entries are
 * collected first (by codezip.c), then judged together: a rule such as "no link
 * leaves the package" can only be decided with every other entry in view,
 * because a link may pass through other links. Pure code: no archive, no disk.
 */
#ifndef TF_ZIPTREE_H
#define TF_ZIPTREE_H

#include <stddef.h>

#include "error.h"

enum zip_type { ZIP_FILE, ZIP_DIR, ZIP_LINK };

struct zip_node {
	char *path;          /* as the archive names it; a directory may end in '/' */
	enum zip_type type;
	char *target;        /* a link's target, else NULL */
};

/*
 * Judges the package: every path, duplicates, clashes, every link resolved.
 * Sorts nodes and strips directories' trailing '/'. 0, or -1 with
 * INVALID_CODE_PACKAGE naming the first entry at fault.
 */
int ziptree_judge(struct zip_node *nodes, size_t n, struct tf_error *err);

/* What is wrong with an entry's path (a phrase for a message), or NULL when nothing is. */
const char *zip_path_problem(const char *path);

/* An entry's name fit for a message: printable, at most about 80 bytes. */
#define ZIP_LABEL_SIZE 96
void zip_label(const char *name, size_t len, char out[ZIP_LABEL_SIZE]);

#endif
