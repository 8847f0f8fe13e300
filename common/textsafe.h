/*
 * Text a function controls (its error, its result, its log lines) made safe to
 * store and to show before it goes anywhere: valid UTF-8, and bounded to what its
 * column holds. A sandbox can write any bytes to its pipes; MariaDB in strict mode
 * refuses invalid UTF-8 and values longer than the column, and a record it refuses
 * must never be retried forever.
 */
#ifndef TF_TEXTSAFE_H
#define TF_TEXTSAFE_H

#include <json-c/json.h>
#include <stddef.h>

#include "buf.h"
#include "tf.h"

#define TF_MAX_ERROR_TYPE      128             /* invocations.error_type VARCHAR(128) */
#define TF_MAX_ERROR_MESSAGE   (32 * TF_KIB)   /* within invocations.error_message TEXT (64 KiB) */
#define TF_MAX_STACK_FRAMES    64
#define TF_MAX_STACK_FRAME     (2 * TF_KIB)

/* Appends s with every byte that is not part of valid UTF-8 replaced by U+FFFD. */
void utf8_repair(struct buf *out, const char *s, size_t n);
/*
 * s as valid UTF-8 of at most max bytes (max >= 32): cut at a character boundary
 * and marked " …[N bytes truncated]" when longer. Allocated; free() it.
 */
char *text_bounded(const char *s, size_t n, size_t max);
/*
 * A function's error in Lambda's shape, made from what its runtime sent (any JSON
 * value): errorType, errorMessage and stackTrace bounded and valid; other fields
 * dropped. A new object; the caller owns it.
 */
json_object *error_bounded(json_object *err);

#endif
