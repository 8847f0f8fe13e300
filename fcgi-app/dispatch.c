/*
 * The life of one request: route, authenticate, authorize, rate-limit, read the
 * body within its route's limit, run the handler, answer in the format of the
 * surface the request came through, and log one line carrying the traceId.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "dispatch.h"
#include "runlink.h"
#include "ids.h"
#include "jsonx.h"
#include "log.h"
#include "mediatype.h"
#include "num.h"
#include "timefmt.h"
#include "xalloc.h"

static const char *reason_phrase(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 202: return "Accepted";
	case 204: return "No Content";
	case 301: return "Moved Permanently";
	case 302: return "Found";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 307: return "Temporary Redirect";
	case 308: return "Permanent Redirect";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 502: return "Bad Gateway";
	case 503: return "Service Unavailable";
	case 504: return "Gateway Timeout";
	default: return "Unknown";
	}
}

/* The error body of each surface, from the one error type. */
static json_object *error_body(struct req *r, int status)
{
	const struct tf_error *e = &r->err;
	json_object *o = json_object_new_object();

	if (r->surface == TF_SURFACE_TAU) {
		jadd_str(o, "error", e->message);
		jadd_str(o, "code", tf_error_code(e->kind));
		jadd_int(o, "status", status);
		if (e->details)
			json_object_object_add(o, "details", json_object_get(e->details));
		if (e->help[0])
			jadd_str(o, "help", e->help);
		jadd_str(o, "traceId", r->trace_id);
		return o;
	}
	char ts[40];
	iso8601_s(now_ms(), ts, sizeof(ts));
	json_object *inner = json_object_new_object();
	jadd_str(inner, "code", tf_error_code(e->kind));
	jadd_str(inner, "message", e->message);
	json_object_object_add(inner, "details",
	                       e->details ? json_object_get(e->details) : json_object_new_array());
	if (e->help[0])
		jadd_str(inner, "help", e->help);
	jadd_str(inner, "traceId", r->trace_id);
	jadd_str(inner, "timestamp", ts);
	json_object_object_add(o, "error", inner);
	return o;
}

static void send_response(struct req *r)
{
	/* Formatted with our own buffer: libfcgi's printf knows only part of C's. */
	struct buf head = BUF_INIT;
	const char *body = r->raw ? (r->raw_out.data ? r->raw_out.data : "") : r->out ? json_text(r->out) : NULL;
	size_t blen = r->raw ? r->raw_out.len : body ? strlen(body) : 0;

	buf_printf(&head, "Status: %d %s\r\nX-Trace-Id: %s\r\n", r->status, reason_phrase(r->status),
	           r->trace_id);
	if (r->request_id[0])  /* the invocation it made, for the client and nginx's access line */
		buf_printf(&head, "X-Request-Id: %s\r\n", r->request_id);
	if (r->raw)
		buf_printf(&head, "Content-Length: %zu\r\n", blen);  /* its Content-Type is among the headers */
	else if (body)
		buf_printf(&head, "Content-Type: application/json\r\nContent-Length: %zu\r\n", blen);
	buf_append(&head, r->headers.data ? r->headers.data : "", r->headers.len);
	buf_puts(&head, "\r\n");
	FCGX_PutStr(head.data, (int)head.len, r->fcgx->out);
	if (body)
		FCGX_PutStr(body, (int)blen, r->fcgx->out);
	buf_free(&head);
}

#define SHOWN_CONTENT_TYPE_MAX 64  /* characters of a refused Content-Type said back */

/* Every body is read as JSON, so one declared as anything else is refused rather than misread. */
static int check_content_type(struct req *r)
{
	const char *ct = req_header(r, "CONTENT_TYPE");
	char shown[SHOWN_CONTENT_TYPE_MAX + 1];
	size_t n = 0;

	if (media_type_is_json(ct))
		return 0;
	for (const char *p = ct; p && *p && n < SHOWN_CONTENT_TYPE_MAX; p++)
		shown[n++] = *p >= 0x20 && *p < 0x7f ? *p : '?';
	shown[n] = '\0';
	tf_detail(&r->err, "Content-Type", "must be application/json (UTF-8), not %s", n ? shown : "absent");
	return tf_fail(&r->err, TF_E_MEDIA_TYPE, "A request body must be sent as Content-Type: application/json");
}

/* Reads the body, refusing (without reading) one over the route's limit or not declared JSON. */
static int read_body(struct req *r)
{
	size_t limit = r->route->max_body ? r->route->max_body : TF_MAX_BODY;
	const char *cl = req_header(r, "CONTENT_LENGTH");
	long long n = 0;

	if (cl && *cl && parse_ll(cl, 0, INT64_MAX, &n) != 0)
		return tf_fail(&r->err, TF_E_VALIDATION, "Content-Length is not a number");
	/* A request without a body (curl -X POST …/deploy) needs no Content-Type. */
	if (n > 0 && !r->route->raw_body && check_content_type(r) != 0)
		return -1;
	if ((unsigned long long)n > limit)
		return tf_fail(&r->err, TF_E_TOO_LARGE, "Request body exceeds %zu bytes", limit);
	r->body = xmalloc((size_t)n + 1);
	size_t got = 0;
	while (got < (size_t)n) {
		int k = FCGX_GetStr(r->body + got, (int)((size_t)n - got), r->fcgx->in);
		if (k <= 0)
			break;
		got += (size_t)k;
	}
	r->body[got] = '\0';
	r->body_len = got;
	if (got != (size_t)n)
		return tf_fail(&r->err, TF_E_VALIDATION, "Request body ended early");
	return 0;
}

static int run_route(struct req *r)
{
	bool known;

	r->route = route_match(r->method, r->path, r, &known);
	if (r->route == NULL) {
		char base[512], allow[128];
		req_base_url(r, base, sizeof(base));
		if (known) {
			route_methods(r->path, allow, sizeof(allow));
			req_add_header(r, "Allow", "%s", allow);
			return tf_fail(&r->err, TF_E_METHOD, "Method %s is not allowed on %s; it takes %s", r->method, r->path, allow);
		}
		tf_help(&r->err, "%s/llms.txt lists every endpoint; %s/openapi.json describes them", base, base);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "No such endpoint: %s %s (see %s/llms.txt)", r->method, r->path, base);
	}
	r->surface = r->route->surface;
	if (r->route->auth != AUTH_NONE) {
		if (auth_request(r) != 0)
			return -1;
		if ((r->who.roles & r->route->roles) == 0)
			return tf_fail(&r->err, TF_E_FORBIDDEN, "Your role may not call %s %s", r->method,
			               r->route->pattern);
	}
	if (r->route->rate_class && ratelimit_check(r) != 0)
		return -1;
	if (read_body(r) != 0)
		return -1;
	return r->route->fn(r);
}

static void log_request(struct req *r)
{
	char status[12], ms[48];
	long long us = (long long)((mono_ms_f() - r->started_mono) * 1000.0);

	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(ms, sizeof(ms), "%lld.%03lld", us / 1000, us % 1000);
	/* The path holds ids and names only; secrets travel in headers and bodies. */
	log_fields(r->status >= 500 ? TFLOG_ERROR : TFLOG_INFO, "request", "method", r->method,
	           "path", r->path, "status", status, "ms", ms, "traceId", r->trace_id,
	           "requestId", r->request_id[0] ? r->request_id : NULL, "tenant",
	           r->who.authenticated ? r->who.tenant : NULL,
	           "error", r->status >= 400 ? tf_error_code(r->err.kind) : NULL, NULL);
}

static void finish(struct req *r, int rc)
{
	if (rc != 0) {
		int status = tf_error_status(r->err.kind, r->surface);
		if (r->err.retry_after > 0)
			req_add_header(r, "Retry-After", "%d", r->err.retry_after);
		if (r->err.kind == TF_E_INTERNAL)
			log_fields(TFLOG_ERROR, "internal error", "message", r->err.message, "traceId",
			           r->trace_id, NULL);
		req_reply(r, status, error_body(r, status));
	} else if (r->status == 0) {
		r->status = 204;
	}
	send_response(r);
	log_request(r);
	json_object_put(r->out);
	tf_error_reset(&r->err);
	buf_free(&r->raw_out);
	buf_free(&r->headers);
	free(r->body);
}

void dispatch_finish(struct req *r, int rc)
{
	FCGX_Request *fr = r->fcgx;

	finish(r, rc);
	free(r);
	FCGX_Finish_r(fr);
	free(fr);
}

bool dispatch(const struct app *app, struct conn *conn, FCGX_Request *fr)
{
	struct req *r = xcalloc(1, sizeof(*r));

	r->app = app;
	r->conn = conn;
	r->fcgx = fr;
	r->started_mono = mono_ms_f();
	random_id(r->trace_id, sizeof(r->trace_id), "trace-", 20);
	r->method = req_header(r, "REQUEST_METHOD");
	r->query = req_header(r, "QUERY_STRING");
	const char *uri = req_header(r, "REQUEST_URI");
	if (r->method == NULL)
		r->method = "GET";
	if (uri == NULL)
		uri = "/";
	size_t plen = strcspn(uri, "?");
	int rc;
	/* The surface is the path's prefix, so even a path too long to route answers in its format. */
	snprintf(r->path, sizeof(r->path), "%.*s", (int)(plen < sizeof(r->path) ? plen : sizeof(r->path) - 1), uri);
	r->surface = surface_of_path(r->path);
	if (plen >= sizeof(r->path)) {
		snprintf(r->path, sizeof(r->path), "%s", "(too long)");
		rc = tf_fail(&r->err, TF_E_NOT_FOUND, "No such endpoint: the path is %zu bytes long, over %zu", plen,
		             sizeof(r->path) - 1);
	} else {
		rc = run_route(r);
	}
	if (rc != REQ_PARKED && r->rate.pending)
		ratelimit_settle(r);  /* a request that failed before its admission still counts */
	if (rc == REQ_PARKED) {
		/* The handler has let go of it: from here it belongs to its runner link. */
		runlink_launch(r);
		return true;
	}
	finish(r, rc);
	free(r);
	return false;
}
