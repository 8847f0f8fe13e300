#ifndef TF_BASE64_H
#define TF_BASE64_H

#include <stddef.h>

#include "buf.h"

/*
 * Decodes standard base64 (RFC 4648, padding optional, no line breaks or other
 * characters) into out, refusing anything that would decode to more than max
 * bytes before allocating it. 0, or -1 when the text is not base64 or too long.
 */
int base64_decode(const char *s, size_t n, size_t max, struct buf *out);
void base64_encode(const void *p, size_t n, struct buf *out);

#endif
