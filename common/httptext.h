/*
 * The few rules of HTTP text that HTTP triggers need: which bytes a header name and
 * value may hold (RFC 9110 section 5), and percent-decoding as the URL Standard does
 * it. Pure, so that what reaches a function and what a function sends back can be
 * checked alone.
 */
#ifndef TF_HTTPTEXT_H
#define TF_HTTPTEXT_H

#include <stdbool.h>
#include <stddef.h>

#include "buf.h"

/* Whether s[0..n) is a non-empty RFC 9110 token (a header name, a method). */
bool http_token_ok(const char *s, size_t n);
/*
 * Whether s[0..n) may stand as a header field value: visible characters, spaces,
 * tabs and bytes over 0x7f, and never CR, LF, NUL or another control character,
 * which would end the line or smuggle a second one.
 */
bool http_value_ok(const char *s, size_t n);
/* ASCII lower case of s[0..n) appended to out. */
void http_lower(struct buf *out, const char *s, size_t n);
/*
 * Appends s[0..n) percent-decoded to out; '+' is a space when plus_is_space (a
 * query string, as application/x-www-form-urlencoded). A '%' that does not start two
 * hex digits is kept as it is, as the URL Standard's percent-decode does. The
 * result may hold any byte, NUL and bytes that are not UTF-8 included.
 */
void url_decode_buf(struct buf *out, const char *s, size_t n, bool plus_is_space);

#endif
