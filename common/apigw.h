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

/*
 * What one answer may set. nginx holds an upstream's headers in one buffer
 * (fastcgi_buffer_size), which must have room for these and the platform's own.
 */
#define TF_APIGW_MAX_ANSWER_HEADERS       64
#define TF_APIGW_MAX_ANSWER_HEADER_BYTES  (8 * TF_KIB)

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

struct apigw_line {
	char *name;
	char *value;
};

/* An HTTP answer: what the function asked for, checked. apigw_answer_free() frees it. */
struct apigw_answer {
	int status;
	struct apigw_line *headers;   /* in order; a name may come more than once (Set-Cookie) */
	size_t nheaders;
	struct buf body;
};

#define APIGW_ANSWER_INIT { 0, NULL, 0, BUF_INIT }

/*
 * Maps a function's result (its JSON text) to an HTTP answer, as API Gateway does for
 * payload format 2.0. An object with "statusCode" says what to answer: statusCode,
 * headers, multiValueHeaders, cookies (one Set-Cookie each), body and
 * isBase64Encoded. Any other JSON value is answered 200 with the result's text, as
 * returned, as an application/json body. 0, or -1 with why set when the result is not
 * a valid HTTP answer (the caller answers 502); out is then empty.
 */
int apigw_answer(const char *result_json, size_t len, struct apigw_answer *out, char *why, size_t whysz);

/*
 * Adds one header line to a, unless the line would break the answer's bounds or is
 * not valid HTTP (the name a token, the value without CR, LF or other controls):
 * 0, or -1 with why set.
 */
int apigw_answer_add(struct apigw_answer *a, const char *name, const char *value, char *why, size_t whysz);
/* The value of a's first header named name (case-insensitive), or NULL. */
const char *apigw_answer_header(const struct apigw_answer *a, const char *name);
/* Removes every header line of a whose name starts with prefix (case-insensitive). */
void apigw_answer_remove(struct apigw_answer *a, const char *prefix);
void apigw_answer_free(struct apigw_answer *a);

#endif
