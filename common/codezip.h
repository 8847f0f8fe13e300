/*
 * Code packages are ZIP archives, content-addressed by their SHA-256. Inline
 * code becomes a one-file archive; uploaded archives are checked as a whole
 * before they are stored, and again before a runner unpacks them (the rules:
 * docs/code-packages.md). Sizes and counts are counted while reading (a
 * header's claims are never trusted), the archive must be whole, and the tree
 * it unpacks to holds only files, directories and links that stay inside it.
 * Unpacking never follows a link, so no entry can write outside the tree.
 */
#ifndef TF_CODEZIP_H
#define TF_CODEZIP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

#define TF_MAX_ZIP_BYTES     (50 * TF_MIB)   /* the archive itself */
#define TF_MAX_ZIP_UNPACKED  (50 * TF_MIB)   /* every file unpacked, together */
#define TF_MAX_ZIP_ENTRIES   10000
#define TF_MAX_ZIP_PATH      1024   /* bytes of an entry's path, or of a link's target */
#define TF_MAX_ZIP_NAME      255    /* bytes of one segment of a path: the file systems' NAME_MAX */
#define TF_MAX_ZIP_DEPTH     128    /* segments of a path: directories an entry is nested in, plus one */
#define TF_MAX_ZIP_LINK_HOPS 40     /* links followed resolving one link, as Linux's MAXSYMLINKS */
#define TF_MAX_ZIP_LINK_STEPS (1L << 20)  /* path segments walked resolving all of a package's links */

/* A deterministic archive of one file (fixed time stamps): same input, same digest. */
int codezip_single(const char *name, const void *data, size_t len, struct buf *out);
/* Checks an archive without unpacking it; *unpacked gets the total file bytes. */
int codezip_check(const void *zip, size_t len, uint64_t *unpacked, struct tf_error *err);
/* Checks, then unpacks into dir, an existing empty directory. */
int codezip_extract(const void *zip, size_t len, const char *dir, struct tf_error *err);

#endif
