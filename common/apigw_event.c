/* The request an HTTP trigger receives, as API Gateway's payload format 2.0 event. */
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "apigw.h"
#include "base64.h"
#include "httproute.h"
#include "httptext.h"
#include "jsonx.h"
#include "strfmt.h"
#include "textsafe.h"

#define APIGW_MAX_FIELD   1024   /* any other string the caller gives: an IP, an id, a host */
#define APIGW_MAX_METHOD  32


static const char *or_empty(const char *s)
{
	return s ? s : "";
}

/* s[0..n) as a JSON string, with what is not UTF-8 replaced, so that the event is always valid. */
static json_object *text_n(const char *s, size_t n)
{
	struct buf b = BUF_INIT;

	utf8_repair(&b, s, n);
	json_object *o = json_object_new_string_len(b.data ? b.data : "", (int)b.len);
	buf_free(&b);
	return o;
}

static json_object *text(const char *s)
{
	return text_n(or_empty(s), strlen(or_empty(s)));
}

static const char *header_value(const struct apigw_request *rq, const char *name)
{
	for (size_t i = 0; i < rq->nheaders; i++)
		if (strcasecmp(rq->headers[i].name, name) == 0)
			return rq->headers[i].value;
	return NULL;
}

int apigw_request_check(const struct apigw_request *rq, char *why, size_t whysz)
{
	const char *fields[] = { rq->route_method, rq->route_pattern, rq->source_ip, rq->user_agent, rq->request_id,
	                         rq->account_id, rq->api_id, rq->domain_name, rq->protocol, rq->content_type };

	if (rq->method == NULL || strlen(rq->method) > APIGW_MAX_METHOD || !http_token_ok(rq->method, strlen(rq->method)))
		return why_fail(why, whysz, "the method is not an HTTP token of at most %d characters", APIGW_MAX_METHOD);
	if (rq->raw_path == NULL || rq->raw_path[0] != '/')
		return why_fail(why, whysz, "the path does not start with '/'");
	if (rq->nheaders > TF_APIGW_MAX_HEADERS)
		return why_fail(why, whysz, "the request has more than %d header lines", TF_APIGW_MAX_HEADERS);
	/* As API Gateway counts its quota: the request line and the header values together. */
	size_t bytes = strlen(rq->method) + strlen(rq->raw_path) + strlen(or_empty(rq->raw_query));
	for (size_t i = 0; i < rq->nheaders; i++) {
		const struct apigw_header *h = &rq->headers[i];
		if (h->name == NULL || h->value == NULL || !http_token_ok(h->name, strlen(h->name)))
			return why_fail(why, whysz, "header line %zu has no name that is an HTTP token", i + 1);
		bytes += strlen(h->name) + strlen(h->value);
	}
	if (bytes > TF_APIGW_MAX_HEADER_BYTES)
		return why_fail(why, whysz, "the request line and headers exceed %ld bytes", TF_APIGW_MAX_HEADER_BYTES);
	/* The decoded path is never longer than the raw one; one that is came from elsewhere. */
	if (rq->path != NULL && strlen(rq->path) > strlen(rq->raw_path))
		return why_fail(why, whysz, "the decoded path is longer than the path");
	for (size_t i = 0; i < TF_ARRAY_LEN(fields); i++)
		if (fields[i] != NULL && strnlen(fields[i], APIGW_MAX_FIELD + 1) > APIGW_MAX_FIELD)
			return why_fail(why, whysz, "a field of the request context exceeds %d bytes", APIGW_MAX_FIELD);
	if (rq->body_len > TF_APIGW_MAX_BODY)
		return why_fail(why, whysz, "the body exceeds %ld bytes", TF_APIGW_MAX_BODY);
	if (rq->body == NULL && rq->body_len > 0)
		return why_fail(why, whysz, "the body is missing");
	return 0;
}

/* Whether the media type's essence is t (case-insensitive), or ends with suffix when t starts with '+'. */
static bool essence_is(const char *ess, size_t n, const char *t)
{
	size_t k = strlen(t);

	if (t[0] == '+')
		return n > k && strncasecmp(ess + n - k, t, k) == 0 && memchr(ess, '/', n - k) != NULL;
	return n == k && strncasecmp(ess, t, k) == 0;
}

bool apigw_text_type(const char *ct)
{
	static const char *const text_types[] = {
		"application/json", "application/xml", "application/javascript",
		"application/x-www-form-urlencoded", "+json", "+xml",
	};

	if (ct == NULL)
		return false;
	ct += strspn(ct, " \t");
	size_t n = strcspn(ct, "; \t");
	if (n > 5 && strncasecmp(ct, "text/", 5) == 0)
		return true;
	for (size_t i = 0; i < TF_ARRAY_LEN(text_types); i++)
		if (essence_is(ct, n, text_types[i]))
			return true;
	return false;
}

/* Adds value to key of o, after a ',' when key is there already: how format 2.0 joins repeats. */
static void add_joined(json_object *o, const char *key, const char *value, size_t n)
{
	json_object *old;
	struct buf b = BUF_INIT;

	if (json_object_object_get_ex(o, key, &old)) {
		buf_puts(&b, json_object_get_string(old));
		buf_putc(&b, ',');
	}
	utf8_repair(&b, value, n);
	json_object_object_add(o, key, json_object_new_string_len(b.data, (int)b.len));
	buf_free(&b);
}

/* Each cookie of a Cookie header ("a=1; b=2") as its own element. */
static void add_cookies(json_object *cookies, const char *v)
{
	while (*v) {
		v += strspn(v, " \t");
		size_t n = strcspn(v, ";");
		size_t k = n;
		while (k > 0 && (v[k - 1] == ' ' || v[k - 1] == '\t'))
			k--;
		if (k > 0)
			json_object_array_add(cookies, text_n(v, k));
		v += n + (v[n] == ';');
	}
}

static void add_headers(json_object *ev, const struct apigw_request *rq)
{
	json_object *headers = json_object_new_object(), *cookies = json_object_new_array();
	struct buf name = BUF_INIT;

	for (size_t i = 0; i < rq->nheaders; i++) {
		buf_reset(&name);
		http_lower(&name, rq->headers[i].name, strlen(rq->headers[i].name));
		if (strcmp(name.data, "cookie") == 0)
			add_cookies(cookies, rq->headers[i].value);
		else
			add_joined(headers, name.data, rq->headers[i].value, strlen(rq->headers[i].value));
	}
	buf_free(&name);
	if (json_object_array_length(cookies) > 0)
		json_object_object_add(ev, "cookies", cookies);
	else
		json_object_put(cookies);
	json_object_object_add(ev, "headers", headers);
}

/* "a=1&b=x+y&a=2" as {"a": "1,2", "b": "x y"}; NULL when there is no parameter. */
static json_object *query_params(const char *q)
{
	json_object *params = json_object_new_object();
	struct buf key = BUF_INIT, val = BUF_INIT, safe = BUF_INIT;

	while (q != NULL && *q) {
		size_t n = strcspn(q, "&");
		const char *eq = memchr(q, '=', n);
		size_t kn = eq ? (size_t)(eq - q) : n;
		buf_reset(&key);
		buf_reset(&val);
		buf_reset(&safe);
		url_decode_buf(&key, q, kn, true);
		if (eq)
			url_decode_buf(&val, eq + 1, n - kn - 1, true);
		/* A parameter without a name ("=x", "&&") names nothing a handler could ask for. */
		if (key.len > 0) {
			utf8_repair(&safe, key.data, key.len);
			buf_putc(&safe, '\0');
			add_joined(params, safe.data, val.data ? val.data : "", val.len);
		}
		q += n + (q[n] == '&');
	}
	buf_free(&key);
	buf_free(&val);
	buf_free(&safe);
	if (json_object_object_length(params) == 0) {
		json_object_put(params);
		return NULL;
	}
	return params;
}

/* The route's parameters again, with keys and values made valid UTF-8 whoever filled them. */
static json_object *path_params(json_object *given)
{
	if (given == NULL || !json_object_is_type(given, json_type_object) || json_object_object_length(given) == 0)
		return NULL;
	json_object *params = json_object_new_object();
	struct buf key = BUF_INIT;
	json_object_object_foreach(given, k, v) {
		buf_reset(&key);
		utf8_repair(&key, k, strlen(k));
		buf_putc(&key, '\0');
		const char *s = json_object_is_type(v, json_type_string) ? json_object_get_string(v) : json_text(v);
		size_t n = json_object_is_type(v, json_type_string) ? (size_t)json_object_get_string_len(v) : strlen(s);
		json_object_object_add(params, key.data, text_n(s, n));
	}
	buf_free(&key);
	return params;
}

/* "12/Mar/2020:19:03:58 +0000", with English month names whatever the locale. */
static void clf_time(int64_t ms, char *out, size_t n)
{
	static const char months[12][4] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (gmtime_r(&t, &tm) == NULL || tm.tm_mon < 0 || tm.tm_mon > 11) {
		snprintf(out, n, "01/Jan/1970:00:00:00 +0000");
		return;
	}
	snprintf(out, n, "%02d/%s/%04d:%02d:%02d:%02d +0000", tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900,
	         tm.tm_hour, tm.tm_min, tm.tm_sec);
}

static json_object *request_context(const struct apigw_request *rq, const char *route_key)
{
	json_object *ctx = json_object_new_object(), *http = json_object_new_object();
	const char *domain = or_empty(rq->domain_name);
	size_t prefix = strcspn(domain, ".");
	const char *ua = rq->user_agent ? rq->user_agent : header_value(rq, "user-agent");
	const char *path = rq->path ? rq->path : rq->raw_path;
	char when[64];

	json_object_object_add(ctx, "accountId", text(rq->account_id));
	json_object_object_add(ctx, "apiId", rq->api_id ? text(rq->api_id) : text_n(domain, prefix));
	json_object_object_add(ctx, "domainName", text(domain));
	json_object_object_add(ctx, "domainPrefix", text_n(domain, prefix));
	json_object_object_add(http, "method", text(rq->method));
	json_object_object_add(http, "path", text(path));
	json_object_object_add(http, "protocol", text(rq->protocol ? rq->protocol : "HTTP/1.1"));
	json_object_object_add(http, "sourceIp", text(rq->source_ip));
	json_object_object_add(http, "userAgent", text(ua));
	json_object_object_add(ctx, "http", http);
	json_object_object_add(ctx, "requestId", text(rq->request_id));
	json_object_object_add(ctx, "routeKey", text(route_key));
	json_object_object_add(ctx, "stage", json_object_new_string("$default"));
	clf_time(rq->time_ms, when, sizeof(when));
	json_object_object_add(ctx, "time", json_object_new_string(when));
	json_object_object_add(ctx, "timeEpoch", json_object_new_int64(rq->time_ms));
	return ctx;
}

static void add_body(json_object *ev, const struct apigw_request *rq)
{
	const char *ct = rq->content_type ? rq->content_type : header_value(rq, "content-type");

	if (rq->body_len == 0) {
		json_object_object_add(ev, "isBase64Encoded", json_object_new_boolean(false));
		return;
	}
	bool as_text = apigw_text_type(ct) && utf8_valid(rq->body, rq->body_len);
	if (as_text) {
		json_object_object_add(ev, "body", json_object_new_string_len(rq->body, (int)rq->body_len));
	} else {
		struct buf b = BUF_INIT;
		base64_encode(rq->body, rq->body_len, &b);
		json_object_object_add(ev, "body", json_object_new_string_len(b.data, (int)b.len));
		buf_free(&b);
	}
	json_object_object_add(ev, "isBase64Encoded", json_object_new_boolean(!as_text));
}

json_object *apigw_event(const struct apigw_request *rq)
{
	char why[128];
	struct buf route_key = BUF_INIT;

	if (apigw_request_check(rq, why, sizeof(why)) != 0)
		return NULL;
	if (rq->route_pattern)
		buf_printf(&route_key, "%s %s", rq->route_method ? rq->route_method : "ANY", rq->route_pattern);
	else
		buf_puts(&route_key, "$default");
	json_object *ev = json_object_new_object();
	json_object_object_add(ev, "version", json_object_new_string("2.0"));
	json_object_object_add(ev, "routeKey", text(route_key.data));
	json_object_object_add(ev, "rawPath", text(rq->raw_path));
	json_object_object_add(ev, "rawQueryString", text(rq->raw_query));
	add_headers(ev, rq);
	json_object *q = query_params(rq->raw_query);
	if (q)
		json_object_object_add(ev, "queryStringParameters", q);
	json_object *pp = path_params(rq->path_params);
	if (pp)
		json_object_object_add(ev, "pathParameters", pp);
	json_object_object_add(ev, "requestContext", request_context(rq, route_key.data));
	add_body(ev, rq);
	buf_free(&route_key);
	return ev;
}
