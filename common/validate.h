/*
 * Validation as data: a request body is described once by a table of fields,
 * and validate() applies any table, collecting one detail per bad field.
 */
#ifndef TF_VALIDATE_H
#define TF_VALIDATE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#include "error.h"

enum vtype {
	V_STRING,   /* min/max bound the length in bytes */
	V_INT,      /* min/max bound the value; step, when set, divides it */
	V_BOOL,
	V_STRMAP,   /* object of string values; min/max bound the entry count */
	V_OBJECT,   /* any object */
	V_ANY,      /* any JSON value */
	V_STRARRAY, /* array of strings; min/max bound the count, check applies to each */
	V_NUMBER,   /* any JSON number; fmin/fmax bound the value */
	V_INTARRAY, /* array of integers; min/max bound the count, fmin/fmax each value */
};

/*
 * A request body's validation table with an example body that passes it: the
 * route table points at it, and /openapi.json shows both.
 */
struct vtable {
	const struct vfield *fields;
	size_t n;
	const char *example;  /* JSON text, or NULL */
};
#define VTABLE(name, arr, ex) const struct vtable name = { arr, sizeof(arr) / sizeof(arr[0]), ex }

struct vfield {
	const char *name;
	enum vtype type;
	bool required;
	long long min, max;
	long long step;
	size_t max_bytes;       /* V_STRMAP: keys and values together */
	double fmin, fmax;      /* V_NUMBER, V_INTARRAY: the values' bounds */
	/* Extra check of a string (or of each key of a V_STRMAP); 0 when fine. */
	int (*check)(const char *s, char *why, size_t whysz);
	const char *message;    /* said instead of the generic range message */
};

/*
 * Checks body against the table. Unknown fields are errors too, so that a
 * misspelt field is never silently ignored. Returns 0, or -1 with err filled.
 */
int validate(json_object *body, const struct vfield *fields, size_t n, struct tf_error *err);

/* Checks used by several tables. */
int check_env_key(const char *s, char *why, size_t whysz);
int check_tag_key(const char *s, char *why, size_t whysz);
int check_function_name(const char *s, char *why, size_t whysz);

#endif
