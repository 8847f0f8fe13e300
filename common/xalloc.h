/* Allocation that aborts on exhaustion, so callers never half-check malloc. */
#ifndef TF_XALLOC_H
#define TF_XALLOC_H

#include <stddef.h>
#include "tf.h"

void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* Returns a newly allocated formatted string. */
char *xasprintf(const char *fmt, ...) TF_PRINTF(1, 2);

#endif
