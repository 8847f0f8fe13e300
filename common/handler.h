/*
 * Handler strings as Lambda reads them. Node: "dir/file.fn" (the module ends at
 * the first dot after the last slash; the rest may be a dotted property path).
 * Python: "pkg.mod.fn" (the module ends at the last dot; "/" reads as ".").
 */
#ifndef TF_HANDLER_H
#define TF_HANDLER_H

#include <stdbool.h>
#include <stddef.h>

#include "runtime.h"

#define TF_MAX_HANDLER 128

/* Checks the format; on failure writes the reason into why and returns -1. */
int handler_check(const char *handler, enum tf_language lang, char *why, size_t whysz);
/*
 * The file that inline code is stored as: "index.handler" → "index.js", or
 * "index.mjs" when the code is an ES module; "main.handler" → "main.py".
 */
int handler_inline_file(const char *handler, enum tf_language lang, const char *code,
                        char *out, size_t outsz);
/* Whether JavaScript source uses ES module syntax (import/export statements). */
bool js_is_esm(const char *code);

#endif
