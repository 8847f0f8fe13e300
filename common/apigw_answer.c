/* A function's result as the HTTP answer, as API Gateway maps payload format 2.0's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "apigw.h"
#include "base64.h"
#include "httptext.h"
#include "jsonx.h"
#include "strfmt.h"
#include "xalloc.h"

#define DEFAULT_CONTENT_TYPE "application/json"

/*
 * Headers a function may not set, dropped as a proxy drops them: the platform frames
 * the answer itself (length, encoding, connection), and nginx acts on some names from
 * an upstream instead of passing them on ("Status" sets the status line, X-Accel-*
 * redirect internally or change buffering), which would hand a function the proxy.
 */
static const char *const dropped[] = {
	"content-length", "transfer-encoding", "connection", "keep-alive", "proxy-connection",
	"upgrade", "te", "trailer", "status",
};
static const char dropped_prefix[] = "x-accel-";


static size_t line_bytes(size_t name, size_t value)
{
	return name + value + 4;  /* ": " and CRLF */
}

static int add_line(struct apigw_answer *a, const char *name, size_t nn, const char *value, size_t vn,
                    char *why, size_t whysz)
{
	size_t bytes = line_bytes(nn, vn);

	if (!http_token_ok(name, nn))
		return why_fail(why, whysz, "a header name is not an HTTP token");
	if (!http_value_ok(value, vn))
		return why_fail(why, whysz, "the value of header \"%.*s\" holds CR, LF or another control character",
		            (int)(nn < 64 ? nn : 64), name);
	if (a->nheaders == TF_APIGW_MAX_ANSWER_HEADERS)
		return why_fail(why, whysz, "the answer has more than %d header lines", TF_APIGW_MAX_ANSWER_HEADERS);
	for (size_t i = 0; i < a->nheaders; i++)
		bytes += line_bytes(strlen(a->headers[i].name), strlen(a->headers[i].value));
	if (bytes > TF_APIGW_MAX_ANSWER_HEADER_BYTES)
		return why_fail(why, whysz, "the answer's headers exceed %ld bytes", TF_APIGW_MAX_ANSWER_HEADER_BYTES);
	a->headers = xrealloc(a->headers, (a->nheaders + 1) * sizeof(*a->headers));
	a->headers[a->nheaders++] = (struct apigw_line){ xstrndup(name, nn), xstrndup(value, vn) };
	return 0;
}

int apigw_answer_add(struct apigw_answer *a, const char *name, const char *value, char *why, size_t whysz)
{
	return add_line(a, name, strlen(name), value, strlen(value), why, whysz);
}

const char *apigw_answer_header(const struct apigw_answer *a, const char *name)
{
	for (size_t i = 0; i < a->nheaders; i++)
		if (strcasecmp(a->headers[i].name, name) == 0)
			return a->headers[i].value;
	return NULL;
}

void apigw_answer_remove(struct apigw_answer *a, const char *prefix)
{
	size_t k = 0;

	for (size_t i = 0; i < a->nheaders; i++) {
		if (strncasecmp(a->headers[i].name, prefix, strlen(prefix)) == 0) {
			free(a->headers[i].name);
			free(a->headers[i].value);
		} else {
			a->headers[k++] = a->headers[i];
		}
	}
	a->nheaders = k;
}

void apigw_answer_free(struct apigw_answer *a)
{
	apigw_answer_remove(a, "");
	free(a->headers);
	buf_free(&a->body);
	*a = (struct apigw_answer)APIGW_ANSWER_INIT;
}

static bool is_dropped(const char *name)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(dropped); i++)
		if (strcasecmp(name, dropped[i]) == 0)
			return true;
	return strncasecmp(name, dropped_prefix, strlen(dropped_prefix)) == 0;
}

/* A header value as API Gateway takes it: a string, or a number or boolean written out. */
static int value_text(json_object *v, const char **s, size_t *n)
{
	switch (json_object_get_type(v)) {
	case json_type_string:
		*s = json_object_get_string(v);
		*n = (size_t)json_object_get_string_len(v);
		return 0;
	case json_type_int:
	case json_type_double:
	case json_type_boolean:
		*s = json_text(v);
		*n = strlen(*s);
		return 0;
	default:
		return -1;
	}
}

/* One header from the function: dropped when the platform owns it, else checked and added. */
static int add_from_function(struct apigw_answer *a, const char *name, json_object *v, char *why, size_t whysz)
{
	const char *s;
	size_t n;

	if (value_text(v, &s, &n) != 0)
		return why_fail(why, whysz, "the value of header \"%.64s\" is not a string, number or boolean", name);
	if (is_dropped(name))
		return 0;
	/* A field value's surrounding whitespace is not part of it (RFC 9110 section 5.5). */
	while (n > 0 && (*s == ' ' || *s == '\t'))
		s++, n--;
	while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	return add_line(a, name, strlen(name), s, n, why, whysz);
}

static bool has_line(const struct apigw_answer *a, size_t upto, const char *name, json_object *v)
{
	const char *s;
	size_t n;

	if (value_text(v, &s, &n) != 0)
		return false;
	for (size_t i = 0; i < upto; i++)
		if (strcasecmp(a->headers[i].name, name) == 0 && strlen(a->headers[i].value) == n &&
		    memcmp(a->headers[i].value, s, n) == 0)
			return true;
	return false;
}

static int take_status(json_object *r, struct apigw_answer *out, char *why, size_t whysz)
{
	json_object *sc = json_object_object_get(r, "statusCode");

	if (!json_object_is_type(sc, json_type_int))
		return why_fail(why, whysz, "statusCode is not an integer");
	int64_t status = json_object_get_int64(sc);
	if (status < 100 || status > 599)
		return why_fail(why, whysz, "statusCode %lld is not between 100 and 599", (long long)status);
	out->status = (int)status;
	return 0;
}

/*
 * headers, then the values of multiValueHeaders that headers does not already give
 * (API Gateway merges the two so), then one Set-Cookie per element of cookies.
 */
static int take_headers(json_object *r, struct apigw_answer *out, char *why, size_t whysz)
{
	json_object *headers = jget(r, "headers"), *multi = jget(r, "multiValueHeaders"), *cookies = jget(r, "cookies");

	if (headers && !json_object_is_type(headers, json_type_object))
		return why_fail(why, whysz, "headers is not an object");
	if (multi && !json_object_is_type(multi, json_type_object))
		return why_fail(why, whysz, "multiValueHeaders is not an object");
	if (cookies && !json_object_is_type(cookies, json_type_array))
		return why_fail(why, whysz, "cookies is not an array");
	if (headers) {
		json_object_object_foreach(headers, name, v)
			if (add_from_function(out, name, v, why, whysz) != 0)
				return -1;
	}
	size_t from_headers = out->nheaders;
	if (multi) {
		json_object_object_foreach(multi, name, list) {
			if (!json_object_is_type(list, json_type_array))
				return why_fail(why, whysz, "multiValueHeaders[\"%.64s\"] is not an array", name);
			for (size_t i = 0; i < json_object_array_length(list); i++) {
				json_object *v = json_object_array_get_idx(list, i);
				if (!has_line(out, from_headers, name, v) && add_from_function(out, name, v, why, whysz) != 0)
					return -1;
			}
		}
	}
	for (size_t i = 0; cookies && i < json_object_array_length(cookies); i++) {
		json_object *c = json_object_array_get_idx(cookies, i);
		if (!json_object_is_type(c, json_type_string))
			return why_fail(why, whysz, "cookies[%zu] is not a string", i);
		if (add_line(out, "Set-Cookie", strlen("Set-Cookie"), json_object_get_string(c),
		             (size_t)json_object_get_string_len(c), why, whysz) != 0)
			return -1;
	}
	return 0;
}

static int take_body(json_object *r, struct apigw_answer *out, char *why, size_t whysz)
{
	json_object *body = jget(r, "body"), *b64 = jget(r, "isBase64Encoded");

	if (b64 && !json_object_is_type(b64, json_type_boolean))
		return why_fail(why, whysz, "isBase64Encoded is not a boolean");
	if (body == NULL)
		return 0;
	if (b64 && json_object_get_boolean(b64)) {
		if (!json_object_is_type(body, json_type_string) ||
		    base64_decode(json_object_get_string(body), (size_t)json_object_get_string_len(body),
		                  TF_MAX_RESPONSE, &out->body) != 0)
			return why_fail(why, whysz, "isBase64Encoded is true but the body is not base64");
		return 0;
	}
	if (json_object_is_type(body, json_type_string))
		buf_append(&out->body, json_object_get_string(body), (size_t)json_object_get_string_len(body));
	else
		buf_puts(&out->body, json_text(body));
	return 0;
}

int apigw_answer(const char *text, size_t len, struct apigw_answer *out, char *why, size_t whysz)
{
	struct json_fault f;
	json_object *r = NULL;
	int rc = -1;
	size_t lead = 0;

	*out = (struct apigw_answer)APIGW_ANSWER_INIT;
	if (len > TF_MAX_RESPONSE) {
		why_fail(why, whysz, "the result exceeds %ld bytes", TF_MAX_RESPONSE);
		goto out;
	}
	while (lead < len && strchr(" \t\r\n", text[lead]) != NULL && text[lead] != '\0')
		lead++;
	/* Only an object can say how to answer; any other value is the body itself. */
	if (lead == len || text[lead] != '{') {
		if (!json_syntax_ok(text, len) || !utf8_valid(text, len)) {
			why_fail(why, whysz, "the result is not JSON in UTF-8");
			goto out;
		}
	} else if ((r = json_parse_input(text, len, &f)) == NULL) {
		why_fail(why, whysz, "the result is not JSON: %s", f.why);
		goto out;
	}
	if (r == NULL || !json_object_object_get_ex(r, "statusCode", NULL)) {
		out->status = 200;
		buf_append(&out->body, text, len);
	} else if (take_status(r, out, why, whysz) != 0 || take_headers(r, out, why, whysz) != 0 ||
	           take_body(r, out, why, whysz) != 0) {
		goto out;
	}
	if (apigw_answer_header(out, "content-type") == NULL &&
	    apigw_answer_add(out, "content-type", DEFAULT_CONTENT_TYPE, why, whysz) != 0)
		goto out;
	rc = 0;
out:
	json_object_put(r);
	if (rc != 0)
		apigw_answer_free(out);
	return rc;
}
