/*
 * A ZIP archive's own directory, read without libarchive: the end record, the
 * central directory and each entry's local header. It is read for what
 * libarchive does not say: whether the archive is whole (libarchive's streaming
 * reader accepts one cut short), what type each entry claims (libarchive reads
 * a named pipe as a regular file), and whether the central directory and the
 * local headers describe the same entries at distinct places.
 */
#ifndef TF_ZIPDIR_H
#define TF_ZIPDIR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct zipdir_entry {
	const char *name;    /* in the archive's bytes, not NUL-terminated */
	size_t name_len;
	bool dos_slashes;    /* libarchive reads this name's '\' as '/' */
	uint64_t offset;     /* of the local header */
	uint64_t end;        /* just past the entry's data */
};

/*
 * Reads and checks the directory. *entries (freed by the caller) gets them in
 * the order of their local headers, which is libarchive's order. 0, or -1 with
 * INVALID_CODE_PACKAGE.
 */
int zipdir_read(const void *zip, size_t len, struct zipdir_entry **entries, size_t *n, struct tf_error *err);

#endif
