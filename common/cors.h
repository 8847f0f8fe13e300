/*
 * CORS for HTTP triggers, as API Gateway HTTP APIs do it when an API has a CORS
 * configuration: the platform answers preflights itself, without invoking the
 * function, and sets the Access-Control-* headers of every answer, ignoring those the
 * function set, so that one configuration says who may call and a handler cannot
 * widen it by accident.
 *
 * Allow-Origin is "*" when the configuration allows any origin (and then never with
 * credentials, which browsers refuse with "*"); otherwise it echoes the request's
 * Origin when the configuration lists it, and is absent when it does not. An answer
 * that depends on the Origin says so with "Vary: Origin", so that a cache does not
 * give one origin's answer to another.
 */
#ifndef TF_CORS_H
#define TF_CORS_H

#include <stdbool.h>

#include "apigw.h"

struct cors_config {
	const char *allow_origins;   /* "*", or origins separated by commas: "https://a.example, https://b.example" */
	const char *allow_methods;   /* the trigger's methods: "GET, POST"; "*" for any */
	const char *allow_headers;   /* NULL or "*": whatever the preflight asks for */
	const char *expose_headers;  /* NULL: none beyond the CORS-safelisted ones */
	int max_age_s;               /* how long a browser may keep a preflight's answer; 0: not said */
	bool allow_credentials;
};

/*
 * Sets the CORS headers of out for a request from origin (NULL when the request had no
 * Origin header). A preflight (OPTIONS with Access-Control-Request-Method) is answered
 * whole: out becomes 204 with no body, and allows request_method and request_headers
 * (the Access-Control-Request-* values; either may be NULL) when c does. Any other
 * answer keeps its status and body. Access-Control-* headers already in out are
 * removed first. 0, or -1 when out has no room left for the lines within its bounds.
 */
int cors_headers(const struct cors_config *c, const char *origin, bool preflight, const char *request_method,
                 const char *request_headers, struct apigw_answer *out);

#endif
