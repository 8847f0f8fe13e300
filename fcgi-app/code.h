/* Function code: packages in code_blobs, addressed by SHA-256. */
#ifndef TF_CODE_H
#define TF_CODE_H

#include "api.h"
#include "runtime.h"

/*
 * Packs inline source as the one file its handler names and stores the
 * package (inside the caller's transaction). sha_out gets its digest.
 */
int code_store_inline(struct req *r, const char *handler, enum tf_language lang,
                      const char *code, char sha_out[65]);
/* Stores a package once; the same bytes stored again change nothing. */
int code_blob_put(struct req *r, const char *sha, const void *zip, size_t len);

#endif
