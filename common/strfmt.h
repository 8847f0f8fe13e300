#ifndef TF_STRFMT_H
#define TF_STRFMT_H

#include <stddef.h>

#include "tf.h"

/* snprintf that reports truncation: 0 when all of it fit, -1 otherwise. */
int strfmt(char *out, size_t n, const char *fmt, ...) TF_PRINTF(3, 4);

/* Writes a reason into why (truncated to fit) and returns -1: `return why_fail(why, n, "…", …)`. */
int why_fail(char *why, size_t whysz, const char *fmt, ...) TF_PRINTF(3, 4);

#endif
