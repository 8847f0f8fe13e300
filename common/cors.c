#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "cors.h"
#include "httptext.h"

static bool is_star(const char *s)
{
	return s == NULL || strcmp(s, "*") == 0;
}

/* Whether the comma-separated list has item, compared as cmp does. */
static bool listed(const char *list, const char *item, size_t n, int (*cmp)(const char *, const char *, size_t))
{
	while (list != NULL && *list) {
		list += strspn(list, " \t,");
		size_t k = strcspn(list, ",");
		size_t m = k;
		while (m > 0 && (list[m - 1] == ' ' || list[m - 1] == '\t'))
			m--;
		if (m > 0 && m == n && cmp(list, item, n) == 0)
			return true;
		list += k;
	}
	return false;
}

static int case_cmp(const char *a, const char *b, size_t n)
{
	return strncasecmp(a, b, n);
}

static int exact_cmp(const char *a, const char *b, size_t n)
{
	return memcmp(a, b, n);
}

/* The request's header names as "a, b" when each is a token; NULL (and b empty) otherwise. */
static const char *token_list(const char *s, struct buf *b)
{
	while (s != NULL && *s) {
		s += strspn(s, " \t,");
		size_t k = strcspn(s, ",");
		size_t m = k;
		while (m > 0 && (s[m - 1] == ' ' || s[m - 1] == '\t'))
			m--;
		if (m > 0) {
			if (!http_token_ok(s, m)) {
				buf_reset(b);
				return NULL;
			}
			if (b->len > 0)
				buf_puts(b, ", ");
			buf_append(b, s, m);
		}
		s += k;
	}
	return b->len > 0 ? b->data : NULL;
}

/* The Allow-Origin value for origin: "*", the origin itself, or NULL when it is not allowed. */
static const char *allowed_origin(const struct cors_config *c, const char *origin)
{
	if (origin == NULL)
		return NULL;
	if (is_star(c->allow_origins))
		return "*";
	if (!http_value_ok(origin, strlen(origin)) || !listed(c->allow_origins, origin, strlen(origin), case_cmp))
		return NULL;
	return origin;
}

/* Whether the preflight asks for a method c allows; methods are case-sensitive (RFC 9110 section 9.1). */
static bool method_allowed(const struct cors_config *c, const char *method)
{
	return method != NULL && http_token_ok(method, strlen(method)) &&
	       (is_star(c->allow_methods) || listed(c->allow_methods, method, strlen(method), exact_cmp));
}

static int preflight_lines(const struct cors_config *c, const char *request_method, const char *request_headers,
                           struct apigw_answer *out, char *why, size_t whysz)
{
	struct buf asked = BUF_INIT;
	char age[24];
	int rc = -1;

	/* "*" is taken literally on a request with credentials: name the one asked for instead. */
	if (apigw_answer_add(out, "Access-Control-Allow-Methods",
	                     is_star(c->allow_methods) ? request_method : c->allow_methods, why, whysz) != 0)
		goto out;
	const char *headers = is_star(c->allow_headers) ? token_list(request_headers, &asked) : c->allow_headers;
	if (headers && apigw_answer_add(out, "Access-Control-Allow-Headers", headers, why, whysz) != 0)
		goto out;
	if (c->max_age_s > 0) {
		snprintf(age, sizeof(age), "%d", c->max_age_s);
		if (apigw_answer_add(out, "Access-Control-Max-Age", age, why, whysz) != 0)
			goto out;
	}
	rc = 0;
out:
	buf_free(&asked);
	return rc;
}

int cors_headers(const struct cors_config *c, const char *origin, bool preflight, const char *request_method,
                 const char *request_headers, struct apigw_answer *out)
{
	const char *allow = allowed_origin(c, origin);
	char why[128];

	apigw_answer_remove(out, "access-control-");
	if (preflight) {
		out->status = 204;
		buf_reset(&out->body);
		/* A preflight for a method the trigger does not take gets nothing to allow it with. */
		if (!method_allowed(c, request_method))
			allow = NULL;
	}
	if (!is_star(c->allow_origins) && apigw_answer_add(out, "Vary", "Origin", why, sizeof(why)) != 0)
		return -1;
	if (allow == NULL)
		return 0;
	if (apigw_answer_add(out, "Access-Control-Allow-Origin", allow, why, sizeof(why)) != 0)
		return -1;
	/* Browsers refuse credentials with "*": only an origin that was named may have them. */
	if (c->allow_credentials && strcmp(allow, "*") != 0 &&
	    apigw_answer_add(out, "Access-Control-Allow-Credentials", "true", why, sizeof(why)) != 0)
		return -1;
	if (preflight)
		return preflight_lines(c, request_method, request_headers, out, why, sizeof(why));
	if (c->expose_headers &&
	    apigw_answer_add(out, "Access-Control-Expose-Headers", c->expose_headers, why, sizeof(why)) != 0)
		return -1;
	return 0;
}
