#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "jsonx.h"
#include "strfmt.h"
#include "tf.h"

/*
 * A strict RFC 8259 syntax check, run before json-c builds anything: json-c 0.16
 * accepts text JSON forbids ('single quotes', "1.", and more) and may print it
 * back as it came, which would hand invalid JSON to a runtime. Depth is bounded.
 */
struct scan {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool digits1(struct scan *s)
{
	const char *start = s->p;
	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

static bool scan_number(struct scan *s)
{
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0')
		s->p++;
	else if (!digits1(s))
		return false;
	if (s->p < s->end && *s->p == '.') {
		s->p++;
		if (!digits1(s))
			return false;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (!digits1(s))
			return false;
	}
	return true;
}

static bool scan_string(struct scan *s)
{
	s->p++;  /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			for (int i = 0; i < 4; i++, s->p++)
				if (s->p >= s->end || !isxdigit((unsigned char)*s->p))
					return false;
		} else if (!strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
	return false;
}

static bool scan_word(struct scan *s, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, w, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool scan_value(struct scan *s);

static bool scan_container(struct scan *s, char close, bool object)
{
	if (++s->depth > TF_MAX_JSON_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		s->depth--;
		return true;
	}
	for (;;) {
		if (object) {
			skip_ws(s);
			if (s->p >= s->end || *s->p != '"' || !scan_string(s))
				return false;
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		}
		if (!scan_value(s))
			return false;
		skip_ws(s);
		if (s->p >= s->end)
			return false;
		if (*s->p == ',') {
			s->p++;
			continue;
		}
		if (*s->p++ != close)
			return false;
		s->depth--;
		return true;
	}
}

static bool scan_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': return scan_container(s, '}', true);
	case '[': return scan_container(s, ']', false);
	case '"': return scan_string(s);
	case 't': return scan_word(s, "true");
	case 'f': return scan_word(s, "false");
	case 'n': return scan_word(s, "null");
	default: return scan_number(s);
	}
}

bool json_syntax_ok(const char *text, size_t len)
{
	struct scan s = { text, text + len, 0 };
	if (!scan_value(&s))
		return false;
	skip_ws(&s);
	return s.p == s.end;
}

json_object *json_parse_text(const char *text, size_t len, char *why, size_t whysz)
{
	if (!json_syntax_ok(text, len)) {
		snprintf(why, whysz, "not valid JSON (RFC 8259)");
		return NULL;
	}

	json_tokener *tok = json_tokener_new_ex(TF_MAX_JSON_DEPTH);
	json_object *o = NULL;

	if (tok == NULL) {
		snprintf(why, whysz, "out of memory");
		return NULL;
	}
	if (len > INT32_MAX) {
		snprintf(why, whysz, "document too large");
		goto out;
	}
	/* Strict mode rejects what JSON forbids (comments, trailing commas, bare words). */
	json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
	o = json_tokener_parse_ex(tok, text, (int)len);
	enum json_tokener_error e = json_tokener_get_error(tok);
	size_t end = json_tokener_get_parse_end(tok);
	if (e == json_tokener_continue && end == len) {
		/* A bare number ("42") ends only where something follows it: say the input ended. */
		o = json_tokener_parse_ex(tok, " ", 1);
		e = json_tokener_get_error(tok);
	}
	if (e == json_tokener_continue) {
		snprintf(why, whysz, "unexpected end of JSON");
		json_object_put(o);
		o = NULL;
	} else if (e != json_tokener_success) {
		snprintf(why, whysz, "%s", json_tokener_error_desc(e));
		json_object_put(o);
		o = NULL;
	} else if (end != len) {
		/* Trailing white space is fine; anything else after the value is not. */
		for (size_t i = end; i < len; i++) {
			if (text[i] != ' ' && text[i] != '\n' && text[i] != '\r' && text[i] != '\t') {
				snprintf(why, whysz, "unexpected data after the JSON value");
				json_object_put(o);
				o = NULL;
				break;
			}
		}
	}
out:
	json_tokener_free(tok);
	return o;
}

int json_parse_body(const char *text, size_t len, json_object **out, struct tf_error *err)
{
	char why[128];

	*out = NULL;
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i == len) {
		*out = json_object_new_object();
		return 0;
	}
	json_object *o = json_parse_text(text, len, why, sizeof(why));
	if (o == NULL) {
		tf_detail(err, "body", "is not valid JSON: %s", why);
		return tf_fail(err, TF_E_VALIDATION, "Request body is not valid JSON");
	}
	if (!json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		tf_detail(err, "body", "must be a JSON object");
		return tf_fail(err, TF_E_VALIDATION, "Request body must be a JSON object");
	}
	*out = o;
	return 0;
}

const char *json_text(json_object *o)
{
	return json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN | JSON_C_TO_STRING_NOSLASHESCAPE);
}

json_object *jget(json_object *o, const char *key)
{
	json_object *v = NULL;

	if (o == NULL || !json_object_object_get_ex(o, key, &v) || v == NULL)
		return NULL;
	return v;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

long long jint(json_object *o, const char *key, long long def)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_int) ? json_object_get_int64(v) : def;
}

bool jbool(json_object *o, const char *key, bool def)
{
	json_object *v = jget(o, key);
	return v && json_object_is_type(v, json_type_boolean) ? json_object_get_boolean(v) : def;
}

void jadd_str(json_object *o, const char *key, const char *s)
{
	json_object_object_add(o, key, s ? json_object_new_string(s) : NULL);
}

void jadd_int(json_object *o, const char *key, long long v)
{
	json_object_object_add(o, key, json_object_new_int64(v));
}

void jadd_bool(json_object *o, const char *key, bool v)
{
	json_object_object_add(o, key, json_object_new_boolean(v));
}

void jadd_double(json_object *o, const char *key, double v, int decimals)
{
	char text[64];

	/* Bounded so the text always fits: no figure the platform reports comes near. */
	if (!isfinite(v) || fabs(v) > 1e15)
		v = 0;
	if (decimals < 0 || decimals > 6)
		decimals = 2;
	if (strfmt(text, sizeof(text), "%.*f", decimals, v) != 0)
		snprintf(text, sizeof(text), "0");
	/* Trailing zeros say nothing; a bare "145." is not JSON, so the point goes with them. */
	char *dot = strchr(text, '.');
	if (dot) {
		char *end = text + strlen(text) - 1;
		while (end > dot && *end == '0')
			*end-- = '\0';
		if (end == dot)
			*end = '\0';
	}
	json_object_object_add(o, key, json_object_new_double_s(v, text));
}

void jadd_raw(json_object *o, const char *key, const char *text)
{
	char why[64];
	json_object *v = text ? json_parse_text(text, strlen(text), why, sizeof(why)) : NULL;
	json_object_object_add(o, key, v);
}

bool utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < n) {
		unsigned c = p[i];
		size_t extra;
		unsigned min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xe0) == 0xc0) {
			extra = 1, min = 0x80, c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			extra = 2, min = 0x800, c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			extra = 3, min = 0x10000, c &= 0x07;
		} else {
			return false;
		}
		if (extra > n - i - 1)  /* i < n, so this cannot wrap */
			return false;
		for (size_t k = 1; k <= extra; k++) {
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
			c = (c << 6) | (p[i + k] & 0x3f);
		}
		/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return false;
		i += extra + 1;
	}
	return true;
}
