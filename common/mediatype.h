/*
 * Which request bodies read as JSON. RFC 8259 registers application/json with no
 * parameters and says its text is UTF-8; a charset parameter is tolerated only
 * when it says so, since a body declared in another charset would be read as
 * something its sender did not mean.
 */
#ifndef TF_MEDIATYPE_H
#define TF_MEDIATYPE_H

#include <stdbool.h>

/*
 * Whether a Content-Type header value is application/json (case-insensitive),
 * with at most a charset parameter of UTF-8; other parameters are ignored, and
 * other types, +json ones included, are not JSON here. NULL is not JSON.
 */
bool media_type_is_json(const char *content_type);

#endif
