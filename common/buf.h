/* A growable byte buffer, always NUL-terminated after its data. */
#ifndef TF_BUF_H
#define TF_BUF_H

#include <stddef.h>
#include "tf.h"

struct buf {
	char *data;
	size_t len;
	size_t cap;
};

#define BUF_INIT { NULL, 0, 0 }

void buf_append(struct buf *b, const void *p, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) TF_PRINTF(2, 3);
/* Appends s as a JSON string literal, quotes included. */
void buf_json_string(struct buf *b, const char *s, size_t n);
void buf_reset(struct buf *b);
/* Hands the data to the caller (who frees it) and leaves b empty. */
char *buf_steal(struct buf *b);
void buf_free(struct buf *b);

#endif
