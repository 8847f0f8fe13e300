#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "jsonx.h"
#include "strfmt.h"
#include "tf.h"
#include "xalloc.h"

/*
 * A strict RFC 8259 syntax check, run before json-c builds anything: json-c 0.16
 * accepts text JSON forbids ('single quotes', "1.", and more) and may print it
 * back as it came, which would hand invalid JSON to a runtime. Depth is bounded.
 *
 * Request input is held to more than syntax: to what RFC 8259 asks of JSON that
 * systems exchange. UTF-8 throughout, since json-c keeps bytes that are not, which
 * MariaDB then refuses and a Python runtime cannot read; \u escapes that stand for
 * characters, since json-c turns a lone surrogate into U+FFFD without a word; and
 * member names unique within their object, since json-c keeps the last one as
 * silently. A failure names the path of members and indices leading to it.
 */
struct seg {
	const char *name;  /* the member being read, as written; NULL in an array */
	size_t len;
	size_t index;      /* the element being read, in an array */
};

struct scan {
	const char *p, *end;
	int depth;
	bool input;               /* request input's rules, beyond syntax */
	struct json_fault *fault; /* filled when one of those rules fails */
	struct seg path[TF_MAX_JSON_DEPTH];
};

/* The member names of one object, their escapes decoded, to find a repeated one. */
struct names {
	struct buf text;   /* the names, one after another */
	size_t *ends;      /* where each ends in text */
	size_t n, cap;
};

#define SHOWN_NAME_MAX 48  /* bytes of a member name quoted back in a message */

/* A name as it may appear in a message: printable ASCII, anything else as '?'. */
static void show_name(struct buf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n && i < SHOWN_NAME_MAX; i++)
		buf_putc(b, p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?');
	if (n > SHOWN_NAME_MAX)
		buf_puts(b, "...");
}

/* "payload.items[3].name": the first `levels` steps of the path. */
static void show_path(const struct scan *s, int levels, struct buf *b)
{
	for (int i = 0; i < levels; i++) {
		const struct seg *g = &s->path[i];
		if (g->name == NULL) {
			buf_printf(b, "[%zu]", g->index);
			continue;
		}
		if (i > 0)
			buf_putc(b, '.');
		show_name(b, g->name, g->len);
	}
}

/*
 * Records a broken rule of request input, `levels` steps down the path (a member
 * name is one step above its value). name is the repeated member name of a
 * JSON_FAULT_DUPLICATE. Returns false, so a scanner can return it.
 */
static bool fault_at(struct scan *s, enum json_fault_kind kind, int levels, const char *name, size_t namelen)
{
	struct json_fault *f = s->fault;
	struct buf where = BUF_INIT, field = BUF_INIT, shown = BUF_INIT;

	if (f == NULL || f->kind != JSON_FAULT_NONE)
		return false;
	f->kind = kind;
	show_path(s, levels, &where);
	if (levels > 0 && s->path[0].name)
		show_name(&field, s->path[0].name, s->path[0].len);
	const char *at = where.len ? where.data : "the top level";
	switch (kind) {
	case JSON_FAULT_UTF8:
		snprintf(f->why, sizeof(f->why), "holds bytes that are not UTF-8 (in %s)", at);
		break;
	case JSON_FAULT_SURROGATE:
		snprintf(f->why, sizeof(f->why),
		         "holds a \\u escape of a lone UTF-16 surrogate, which stands for no character (in %s)", at);
		break;
	case JSON_FAULT_DUPLICATE:
		show_name(&shown, name, namelen);
		if (levels == 0) {
			/* A repeated field of the body itself: the detail names it. */
			buf_reset(&field);
			buf_puts(&field, shown.data);
			snprintf(f->why, sizeof(f->why), "is given more than once");
		} else {
			snprintf(f->why, sizeof(f->why), "has the member \"%s\" more than once (in %s)", shown.data, at);
		}
		break;
	default:
		break;
	}
	snprintf(f->field, sizeof(f->field), "%s", field.len ? field.data : "");
	buf_free(&where);
	buf_free(&field);
	buf_free(&shown);
	return false;
}

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

/* The UTF-16 code unit of the 4 hex digits at p (which the caller made sure exist); -1 if not hex. */
static long hex4(const char *p)
{
	long u = 0;
	for (int i = 0; i < 4; i++) {
		if (!isxdigit((unsigned char)p[i]))
			return -1;
		u = u * 16 + (isdigit((unsigned char)p[i]) ? p[i] - '0' : (tolower((unsigned char)p[i]) - 'a' + 10));
	}
	return u;
}

#define IS_HIGH_SURROGATE(u) ((u) >= 0xd800 && (u) <= 0xdbff)
#define IS_LOW_SURROGATE(u) ((u) >= 0xdc00 && (u) <= 0xdfff)

/* After "\u": four hex digits, and for request input a character, not half of one. */
static bool scan_unicode_escape(struct scan *s, int levels)
{
	if (s->end - s->p < 4)
		return false;
	long u = hex4(s->p);
	if (u < 0)
		return false;
	s->p += 4;
	if (!s->input || !(IS_HIGH_SURROGATE(u) || IS_LOW_SURROGATE(u)))
		return true;
	if (IS_HIGH_SURROGATE(u) && s->end - s->p >= 6 && s->p[0] == '\\' && s->p[1] == 'u') {
		long low = hex4(s->p + 2);
		if (low < 0)
			return false;
		if (IS_LOW_SURROGATE(low)) {
			s->p += 6;
			return true;
		}
	}
	return fault_at(s, JSON_FAULT_SURROGATE, levels, NULL, 0);
}

size_t utf8_char(const unsigned char *p, size_t n)
{
	unsigned c = p[0];
	size_t extra;
	unsigned min;

	if (c < 0x80)
		return 1;
	else if ((c & 0xe0) == 0xc0)
		extra = 1, min = 0x80, c &= 0x1f;
	else if ((c & 0xf0) == 0xe0)
		extra = 2, min = 0x800, c &= 0x0f;
	else if ((c & 0xf8) == 0xf0)
		extra = 3, min = 0x10000, c &= 0x07;
	else
		return 0;
	if (extra > n - 1)
		return 0;
	for (size_t k = 1; k <= extra; k++) {
		if ((p[k] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (p[k] & 0x3f);
	}
	/* Overlong forms, surrogates and values past U+10FFFF are not UTF-8. */
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	return extra + 1;
}

/* A string; `levels` is where it sits on the path, for a fault. */
static bool scan_string(struct scan *s, int levels)
{
	s->p++;  /* the opening quote */
	while (s->p < s->end) {
		unsigned char c = (unsigned char)*s->p++;
		if (c == '"')
			return true;
		if (c < 0x20)
			return false;
		if (c >= 0x80 && s->input) {
			size_t n = utf8_char((const unsigned char *)s->p - 1, (size_t)(s->end - s->p) + 1);
			if (n == 0)
				return fault_at(s, JSON_FAULT_UTF8, levels, NULL, 0);
			s->p += n - 1;
			continue;
		}
		if (c != '\\')
			continue;
		if (s->p >= s->end)
			return false;
		c = (unsigned char)*s->p++;
		if (c == 'u') {
			if (!scan_unicode_escape(s, levels))
				return false;
		} else if (!strchr("\"\\/bfnrt", c)) {
			return false;
		}
	}
	return false;
}

static void put_utf8(struct buf *b, unsigned long cp)
{
	if (cp < 0x80) {
		buf_putc(b, (char)cp);
	} else if (cp < 0x800) {
		buf_putc(b, (char)(0xc0 | (cp >> 6)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else if (cp < 0x10000) {
		buf_putc(b, (char)(0xe0 | (cp >> 12)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	} else {
		buf_putc(b, (char)(0xf0 | (cp >> 18)));
		buf_putc(b, (char)(0x80 | ((cp >> 12) & 0x3f)));
		buf_putc(b, (char)(0x80 | ((cp >> 6) & 0x3f)));
		buf_putc(b, (char)(0x80 | (cp & 0x3f)));
	}
}

/* Appends the characters of a scanned name (p..p+n, quotes excluded): "a" and "\u0061" are one name. */
static void decode_name(struct buf *b, const char *p, size_t n)
{
	static const char plain[] = "\"\\/bfnrt", meant[] = "\"\\/\b\f\n\r\t";

	for (size_t i = 0; i < n; i++) {
		if (p[i] != '\\') {
			buf_putc(b, p[i]);
			continue;
		}
		char e = p[++i];
		if (e != 'u') {
			buf_putc(b, meant[strchr(plain, e) - plain]);
			continue;
		}
		unsigned long cp = (unsigned long)hex4(p + i + 1);
		i += 4;
		/* Scanned as request input, a high surrogate is always followed by its low one. */
		if (IS_HIGH_SURROGATE(cp) && i + 6 < n && p[i + 1] == '\\') {
			unsigned long low = (unsigned long)hex4(p + i + 3);
			cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
			i += 6;
		}
		put_utf8(b, cp);
	}
}

static void names_add(struct names *ns, const char *p, size_t n)
{
	decode_name(&ns->text, p, n);
	if (ns->n == ns->cap) {
		ns->cap = ns->cap ? ns->cap * 2 : 8;
		ns->ends = xrealloc(ns->ends, ns->cap * sizeof(*ns->ends));
	}
	ns->ends[ns->n++] = ns->text.len;
}

struct name_ref {
	const char *p;
	size_t n;
};

static int by_bytes(const void *a, const void *b)
{
	const struct name_ref *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->n < y->n ? x->n : y->n);
	return c ? c : (x->n > y->n) - (x->n < y->n);
}

/* A name given twice: sorted, repeats are neighbours. NULL when every name is unique. */
static const struct name_ref *repeated_name(const struct names *ns, struct name_ref *refs)
{
	for (size_t i = 0; i < ns->n; i++) {
		size_t from = i ? ns->ends[i - 1] : 0;
		refs[i] = (struct name_ref){ ns->text.data + from, ns->ends[i] - from };
	}
	qsort(refs, ns->n, sizeof(*refs), by_bytes);
	for (size_t i = 1; i < ns->n; i++)
		if (by_bytes(&refs[i - 1], &refs[i]) == 0)
			return &refs[i];
	return NULL;
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

/* The members or elements of an object or array, the opening bracket at s->p. */
static bool scan_members(struct scan *s, char close, bool object, struct names *ns)
{
	struct seg *here = &s->path[s->depth - 1];

	*here = (struct seg){ NULL, 0, 0 };
	s->p++;
	skip_ws(s);
	if (s->p < s->end && *s->p == close) {
		s->p++;
		return true;
	}
	for (size_t i = 0;; i++) {
		if (object) {
			skip_ws(s);
			const char *name = s->p + 1;
			if (s->p >= s->end || *s->p != '"' || !scan_string(s, s->depth - 1))
				return false;
			*here = (struct seg){ name, (size_t)(s->p - 1 - name), 0 };
			if (s->input)
				names_add(ns, name, here->len);
			skip_ws(s);
			if (s->p >= s->end || *s->p++ != ':')
				return false;
		} else {
			*here = (struct seg){ NULL, 0, i };
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
		return *s->p++ == close;
	}
}

static bool scan_container(struct scan *s, char close, bool object)
{
	struct names ns = { BUF_INIT, NULL, 0, 0 };
	struct name_ref *refs = NULL;
	bool ok = false;

	if (s->depth >= TF_MAX_JSON_DEPTH)
		return false;
	s->depth++;
	if (!scan_members(s, close, object, &ns))
		goto out;
	if (ns.n > 1) {
		refs = xmalloc(ns.n * sizeof(*refs));
		const struct name_ref *twice = repeated_name(&ns, refs);
		if (twice) {
			fault_at(s, JSON_FAULT_DUPLICATE, s->depth - 1, twice->p, twice->n);
			goto out;
		}
	}
	ok = true;
out:
	s->depth--;
	free(refs);
	free(ns.ends);
	buf_free(&ns.text);
	return ok;
}

static bool scan_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '{': return scan_container(s, '}', true);
	case '[': return scan_container(s, ']', false);
	case '"': return scan_string(s, s->depth);
	case 't': return scan_word(s, "true");
	case 'f': return scan_word(s, "false");
	case 'n': return scan_word(s, "null");
	default: return scan_number(s);
	}
}

static bool scan_text(struct scan *s)
{
	if (!scan_value(s))
		return false;
	skip_ws(s);
	return s->p == s->end;
}

bool json_syntax_ok(const char *text, size_t len)
{
	struct scan s = { .p = text, .end = text + len };
	return scan_text(&s);
}

/*
 * A tokener per thread, reset for each parse: making one allocates and zeroes its
 * stack and buffer, which cost more than parsing a small document. One that parsed a
 * large document is freed rather than kept, with the buffer it grew.
 */
#define TOKENER_KEEP_LEN 65536
static pthread_key_t tokener_key;
static pthread_once_t tokener_once = PTHREAD_ONCE_INIT;

static void tokener_drop(void *tok)
{
	json_tokener_free(tok);
}

static void tokener_key_make(void)
{
	if (pthread_key_create(&tokener_key, tokener_drop) != 0)
		abort();
}

static json_tokener *tokener_take(void)
{
	pthread_once(&tokener_once, tokener_key_make);
	json_tokener *tok = pthread_getspecific(tokener_key);
	if (tok == NULL)
		return json_tokener_new_ex(TF_MAX_JSON_DEPTH);
	pthread_setspecific(tokener_key, NULL);
	json_tokener_reset(tok);
	return tok;
}

static void tokener_give_back(json_tokener *tok, size_t len)
{
	if (len > TOKENER_KEEP_LEN || pthread_getspecific(tokener_key) != NULL) {
		json_tokener_free(tok);
		return;
	}
	json_tokener_reset(tok);  /* holds nothing of the document it parsed */
	pthread_setspecific(tokener_key, tok);
}

/* json-c's tree of text that passed the scanner; NULL with a reason in why. */
static json_object *build(const char *text, size_t len, char *why, size_t whysz)
{
	json_tokener *tok = tokener_take();
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
	tokener_give_back(tok, len);
	return o;
}

json_object *json_parse_text(const char *text, size_t len, char *why, size_t whysz)
{
	if (!json_syntax_ok(text, len)) {
		snprintf(why, whysz, "not valid JSON (RFC 8259)");
		return NULL;
	}
	return build(text, len, why, whysz);
}

json_object *json_parse_input(const char *text, size_t len, struct json_fault *f)
{
	struct scan s = { .p = text, .end = text + len, .input = true, .fault = f };

	memset(f, 0, sizeof(*f));
	if (!scan_text(&s)) {
		if (f->kind == JSON_FAULT_NONE) {
			f->kind = JSON_FAULT_SYNTAX;
			snprintf(f->why, sizeof(f->why), "not valid JSON (RFC 8259)");
		}
		return NULL;
	}
	json_object *o = build(text, len, f->why, sizeof(f->why));
	if (o == NULL)
		f->kind = JSON_FAULT_SYNTAX;
	return o;
}

int json_parse_body(const char *text, size_t len, json_object **out, struct tf_error *err)
{
	struct json_fault f;

	*out = NULL;
	size_t i = 0;
	while (i < len && (text[i] == ' ' || text[i] == '\n' || text[i] == '\r' || text[i] == '\t'))
		i++;
	if (i == len) {
		*out = json_object_new_object();
		return 0;
	}
	json_object *o = json_parse_input(text, len, &f);
	if (o == NULL && f.kind == JSON_FAULT_SYNTAX) {
		tf_detail(err, "body", "is not valid JSON: %s", f.why);
		return tf_fail(err, TF_E_VALIDATION, "Request body is not valid JSON");
	}
	if (o == NULL) {
		tf_detail(err, f.field[0] ? f.field : "body", "%s", f.why);
		return tf_fail(err, TF_E_VALIDATION, "Request validation failed");
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
	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_char((const unsigned char *)s + i, n - i)) == 0)
			return false;
	return true;
}
