/*
 * HTTP triggers speak API Gateway HTTP API's Lambda payload format 2.0: a request
 * becomes the event a function receives, and the function's result becomes the HTTP
 * answer, so that a handler written for API Gateway (or a Lambda function URL) runs
 * here unchanged. Pure: no I/O, so that each mapping rule can be tested alone.
 * docs/http-triggers.md gives the rules and where they follow AWS.
 */
#ifndef TF_APIGW_H
#define TF_APIGW_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "tf.h"

/*
 * What one request may bring. The header bound is API Gateway HTTP API's quota on
 * the request line and header values together; the body bound keeps its base64 and
 * the rest of the event under TF_MAX_PAYLOAD (the caller still checks the event's
 * text against it, as for any payload: escapes can make text longer).
 */
#define TF_APIGW_MAX_HEADERS        128
#define TF_APIGW_MAX_HEADER_BYTES   (10 * TF_KIB)
#define TF_APIGW_MAX_BODY           (4 * TF_MIB)

struct apigw_header {
	const char *name;    /* as received; the event has it in lower case */
	const char *value;
};

/* One request to an HTTP trigger. Strings are borrowed; NULL where the comment allows. */
struct apigw_request {
	const char *method;           /* "POST" */
	const char *raw_path;         /* as the client sent it, without the query: "/t/acme/users/4%32" */
	const char *path;             /* percent-decoded, below the tenant's prefix: "/users/42"; NULL: raw_path */
	const char *route_method;     /* the route's method, "POST", or "ANY" for a trigger on every method */
	const char *route_pattern;    /* the trigger's httpPath; NULL: the route is "$default" */
	const char *raw_query;        /* without the '?'; NULL or "" when there is none */
	const struct apigw_header *headers;
	size_t nheaders;
	json_object *path_params;     /* from route_pattern_match(); NULL or {} when none */
	const char *source_ip;
	const char *user_agent;       /* NULL: the user-agent header's */
	const char *request_id;
	int64_t time_ms;              /* when the request came, UTC epoch milliseconds */
	const char *account_id;       /* the tenant */
	const char *api_id;           /* NULL: the domain's first label, as API Gateway's */
	const char *domain_name;      /* the Host the request came to */
	const char *protocol;         /* NULL: "HTTP/1.1" */
	const void *body;
	size_t body_len;
	const char *content_type;     /* NULL: the content-type header's */
};

/*
 * 0 when rq is within the bounds above and well formed (a method and header names
 * that are HTTP tokens, a raw path starting with '/'); otherwise -1 with a one-line
 * reason, which the caller answers as a client error (431 for headers, 413 for a body).
 */
int apigw_request_check(const struct apigw_request *rq, char *why, size_t whysz);

/*
 * The payload format 2.0 event for rq, valid UTF-8 throughout (bytes that are not
 * UTF-8 become U+FFFD, except a body's, which goes base64). NULL when
 * apigw_request_check() refuses rq. A new object; the caller owns it.
 */
json_object *apigw_event(const struct apigw_request *rq);

/* Whether a body of this Content-Type goes to the function as text (else base64). */
bool apigw_text_type(const char *content_type);

#endif
