#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "validate.h"

static const char *type_name(enum vtype t)
{
	switch (t) {
	case V_STRING: return "a string";
	case V_INT: return "an integer";
	case V_BOOL: return "true or false";
	case V_STRMAP: return "an object of strings";
	case V_OBJECT: return "an object";
	case V_ANY: return "a JSON value";
	case V_STRARRAY: return "an array of strings";
	case V_NUMBER: return "a number";
	case V_INTARRAY: return "an array of integers";
	}
	return "a value";
}

static bool type_matches(json_object *v, enum vtype t)
{
	switch (t) {
	case V_STRING: return json_object_is_type(v, json_type_string);
	case V_INT: return json_object_is_type(v, json_type_int);
	case V_BOOL: return json_object_is_type(v, json_type_boolean);
	case V_STRMAP:
	case V_OBJECT: return json_object_is_type(v, json_type_object);
	case V_ANY: return true;
	case V_STRARRAY:
	case V_INTARRAY: return json_object_is_type(v, json_type_array);
	case V_NUMBER: return json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double);
	}
	return false;
}

/* A JSON string usable as C text: valid UTF-8 without NUL bytes. */
static bool clean_string(json_object *v)
{
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	return strlen(s) == n && utf8_valid(s, n);
}

static void check_string(const struct vfield *f, json_object *v, struct tf_error *err)
{
	const char *s = json_object_get_string(v);
	size_t n = (size_t)json_object_get_string_len(v);
	char why[192];

	if (!clean_string(v)) {
		tf_detail(err, f->name, "must be valid UTF-8 text without NUL characters");
	} else if ((long long)n < f->min || (f->max && (long long)n > f->max)) {
		if (f->message)
			tf_detail(err, f->name, "%s", f->message);
		else
			tf_detail(err, f->name, "must be %lld-%lld characters long", f->min, f->max);
	} else if (f->check && f->check(s, why, sizeof(why)) != 0) {
		tf_detail(err, f->name, "%s", why);
	}
}

static void check_int(const struct vfield *f, json_object *v, struct tf_error *err)
{
	long long x = json_object_get_int64(v);
	bool bad = x < f->min || x > f->max || (f->step && (x - f->min) % f->step != 0);

	if (!bad)
		return;
	if (f->message)
		tf_detail(err, f->name, "%s", f->message);
	else
		tf_detail(err, f->name, "must be an integer from %lld to %lld", f->min, f->max);
}

static void check_map(const struct vfield *f, json_object *v, struct tf_error *err)
{
	size_t bytes = 0;
	long long count = 0;
	char why[192];

	json_object_object_foreach(v, key, val) {
		count++;
		bytes += strlen(key);
		if (!json_object_is_type(val, json_type_string) || !clean_string(val)) {
			tf_detail(err, f->name, "value of \"%.64s\" must be a string", key);
			return;
		}
		bytes += (size_t)json_object_get_string_len(val);
		if (!utf8_valid(key, strlen(key))) {
			tf_detail(err, f->name, "keys must be valid UTF-8");
			return;
		}
		if (f->check && f->check(key, why, sizeof(why)) != 0) {
			tf_detail(err, f->name, "\"%.64s\": %s", key, why);
			return;
		}
	}
	if (count < f->min || (f->max && count > f->max))
		tf_detail(err, f->name, "must have %lld-%lld entries", f->min, f->max);
	else if (f->max_bytes && bytes > f->max_bytes)
		tf_detail(err, f->name, "keys and values together must not exceed %zu bytes", f->max_bytes);
}

#define MAX_ARRAY_ITEM 256  /* bytes of one string of a V_STRARRAY */

static void check_array(const struct vfield *f, json_object *v, struct tf_error *err)
{
	size_t n = json_object_array_length(v);
	char why[192];

	if ((long long)n < f->min || (f->max && (long long)n > f->max)) {
		tf_detail(err, f->name, "must have %lld-%lld entries", f->min, f->max);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		if (!json_object_is_type(item, json_type_string) || !clean_string(item) ||
		    json_object_get_string_len(item) > MAX_ARRAY_ITEM) {
			tf_detail(err, f->name, "entry %zu must be a string of at most %d bytes", i, MAX_ARRAY_ITEM);
			return;
		}
		if (f->check && f->check(json_object_get_string(item), why, sizeof(why)) != 0) {
			tf_detail(err, f->name, "\"%.64s\": %s", json_object_get_string(item), why);
			return;
		}
	}
}

static void check_number(const struct vfield *f, json_object *v, struct tf_error *err)
{
	double x = json_object_get_double(v);
	if (!(x >= f->fmin && x <= f->fmax))
		tf_detail(err, f->name, "%s", f->message ? f->message : "is out of range");
}

static void check_int_array(const struct vfield *f, json_object *v, struct tf_error *err)
{
	size_t n = json_object_array_length(v);

	if ((long long)n < f->min || (f->max && (long long)n > f->max)) {
		tf_detail(err, f->name, "must have %lld-%lld entries", f->min, f->max);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		json_object *item = json_object_array_get_idx(v, i);
		double x = json_object_is_type(item, json_type_int) ? (double)json_object_get_int64(item) : -1e300;
		if (!(x >= f->fmin && x <= f->fmax)) {
			tf_detail(err, f->name, "entry %zu must be an integer from %g to %g", i, f->fmin, f->fmax);
			return;
		}
	}
}

int validate(json_object *body, const struct vfield *fields, size_t n, struct tf_error *err)
{
	size_t before = err->details ? json_object_array_length(err->details) : 0;

	json_object_object_foreach(body, key, val) {
		(void)val;
		bool known = false;
		for (size_t i = 0; i < n && !known; i++)
			known = strcmp(key, fields[i].name) == 0;
		if (!known) {
			char accepted[512];
			size_t len = 0;
			accepted[0] = '\0';
			for (size_t i = 0; i < n; i++) {
				size_t need = strlen(fields[i].name) + 2;
				if (len + need >= sizeof(accepted))
					break;
				if (i)
					memcpy(accepted + len, ", ", 2), len += 2;
				memcpy(accepted + len, fields[i].name, need - 2);
				len += need - 2;
				accepted[len] = '\0';
			}
			tf_detail(err, key, "is not a known field; the accepted fields are %s", n ? accepted : "none");
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct vfield *f = &fields[i];
		json_object *v = jget(body, f->name);
		if (v == NULL) {
			if (f->required)
				tf_detail(err, f->name, "is required");
			continue;
		}
		if (!type_matches(v, f->type)) {
			tf_detail(err, f->name, "must be %s", type_name(f->type));
			continue;
		}
		if (f->type == V_STRING)
			check_string(f, v, err);
		else if (f->type == V_INT)
			check_int(f, v, err);
		else if (f->type == V_STRMAP)
			check_map(f, v, err);
		else if (f->type == V_STRARRAY)
			check_array(f, v, err);
		else if (f->type == V_NUMBER)
			check_number(f, v, err);
		else if (f->type == V_INTARRAY)
			check_int_array(f, v, err);
	}
	size_t after = err->details ? json_object_array_length(err->details) : 0;
	if (after == before)
		return 0;
	return tf_fail(err, TF_E_VALIDATION, "Request validation failed");
}

int check_env_key(const char *s, char *why, size_t whysz)
{
	bool ok = (isalpha((unsigned char)s[0]) || s[0] == '_') && strlen(s) <= 128;
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '_';
	if (!ok)
		snprintf(why, whysz, "environment variable names must match [A-Za-z_][A-Za-z0-9_]* (at most 128)");
	return ok ? 0 : -1;
}

int check_tag_key(const char *s, char *why, size_t whysz)
{
	size_t n = strlen(s);
	bool ok = n >= 1 && n <= 128;
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("_.:/=+-@ ", *p) != NULL;
	if (!ok)
		snprintf(why, whysz, "tag keys must be 1-128 characters of letters, digits, spaces and _.:/=+-@");
	return ok ? 0 : -1;
}

int check_function_name(const char *s, char *why, size_t whysz)
{
	size_t n = strlen(s);
	bool ok = n >= 1 && n <= 64 && isalnum((unsigned char)s[0]);
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
	if (!ok)
		snprintf(why, whysz, "must be 1-64 letters, digits, '-' or '_', starting with a letter or digit");
	return ok ? 0 : -1;
}
