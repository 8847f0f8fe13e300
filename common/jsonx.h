/* json-c helpers: bounded parsing of untrusted text and typed field access. */
#ifndef TF_JSONX_H
#define TF_JSONX_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

/* Whether text is exactly one JSON value (RFC 8259), nesting within TF_MAX_JSON_DEPTH. */
bool json_syntax_ok(const char *text, size_t len);
/* Parses any JSON value; NULL with a reason in why on failure. */
json_object *json_parse_text(const char *text, size_t len, char *why, size_t whysz);

/* What request input may not be, beyond JSON's syntax. */
enum json_fault_kind {
	JSON_FAULT_NONE,
	JSON_FAULT_SYNTAX,     /* not JSON at all */
	JSON_FAULT_UTF8,       /* bytes in a string that are not UTF-8 */
	JSON_FAULT_SURROGATE,  /* a \u escape of a lone UTF-16 surrogate */
	JSON_FAULT_DUPLICATE,  /* a member name given twice in one object */
};

struct json_fault {
	enum json_fault_kind kind;
	char field[64];   /* the top-level member it is under ("payload"); "" for the text as a whole */
	char why[320];    /* says what and where: "holds bytes that are not UTF-8 (in payload.name)" */
};

/*
 * Parses request input: any JSON value, in UTF-8, with no lone surrogate escapes
 * and no repeated member names. NULL with f filled on failure.
 */
json_object *json_parse_input(const char *text, size_t len, struct json_fault *f);
/* Parses a request body that must be a JSON object (an empty body is {}), as request input. */
int json_parse_body(const char *text, size_t len, json_object **out, struct tf_error *err);
/* Compact text of o, owned by o. */
const char *json_text(json_object *o);

/* The field as a string, or NULL when absent or of another type. */
const char *jstr(json_object *o, const char *key);
/* The field if present and not JSON null. */
json_object *jget(json_object *o, const char *key);
long long jint(json_object *o, const char *key, long long def);
bool jbool(json_object *o, const char *key, bool def);

/* Adds key: string, or JSON null when s is NULL. */
void jadd_str(json_object *o, const char *key, const char *s);
void jadd_int(json_object *o, const char *key, long long v);
void jadd_bool(json_object *o, const char *key, bool v);
/* Adds key: v with at most `decimals` digits after the point ("145.5", not "145.49999999999999"). */
void jadd_double(json_object *o, const char *key, double v, int decimals);
/* Adds key: the JSON parsed from text, or null if text is NULL or unparsable. */
void jadd_raw(json_object *o, const char *key, const char *text);

bool utf8_valid(const char *s, size_t n);
/* The length of the UTF-8 character at p (n > 0 bytes left), or 0 when there is none. */
size_t utf8_char(const unsigned char *p, size_t n);

#endif
