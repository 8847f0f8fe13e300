#ifndef TF_SHA256_H
#define TF_SHA256_H

#include <stddef.h>

#define TF_SHA256_HEX 64

/* Lower-case hex digest of p[0..n) into out (65 bytes with the NUL). */
void sha256_hex(const void *p, size_t n, char out[TF_SHA256_HEX + 1]);

#endif
