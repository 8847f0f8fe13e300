/* Identifiers and secrets from the kernel's random source. */
#ifndef TF_IDS_H
#define TF_IDS_H

#include <stddef.h>

#define TF_FN_ID_LEN 23         /* "fn_" + 20 */
#define TF_REQUEST_ID_LEN 36    /* UUID v4 text */
#define TF_API_KEY_RANDOM 43    /* base62 characters, ~256 bits */

void random_bytes(void *p, size_t n);
/* Writes prefix + n random characters of [a-z0-9] and a NUL; out must hold them. */
void random_id(char *out, size_t outsz, const char *prefix, size_t n);
/* Writes prefix + n random base62 characters and a NUL. */
void random_token(char *out, size_t outsz, const char *prefix, size_t n);
void uuid_v4(char out[TF_REQUEST_ID_LEN + 1]);

#endif
