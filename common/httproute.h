/*
 * Route patterns of HTTP triggers ("httpPath"), as API Gateway HTTP APIs have them:
 * "/api/process", "/users/{id}", "/files/{proxy+}". Pure, so that the rules that
 * decide which function a request reaches can be tested alone.
 *
 * A pattern is an absolute path of segments, each either literal text of unreserved
 * URL characters (RFC 3986 section 2.3) or a whole-segment parameter {name}; the last
 * segment may be a greedy {name+} that takes the rest of the path. "/" alone is the
 * root. Patterns have no query, fragment, percent-escape, "." or ".." segment, empty
 * segment or trailing '/', so that one path is never spelt two ways.
 */
#ifndef TF_HTTPROUTE_H
#define TF_HTTPROUTE_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

#define TF_ROUTE_MAX_PATTERN   512    /* characters of an httpPath */
#define TF_ROUTE_MAX_SEGMENTS  32     /* '/'-separated parts of an httpPath */
#define TF_ROUTE_MAX_PATH      8192   /* a longer request path matches no route (nginx's line is 8 KB) */

/*
 * 0 when pattern is a valid route pattern; otherwise -1 with why set to one line that
 * reads after the field's name ("has an empty segment (\"//\")"), as validate()'s
 * checks do. A parameter name is [A-Za-z_][A-Za-z0-9_]* and is used once.
 */
int route_pattern_check(const char *pattern, char *why, size_t whysz);

/*
 * Whether path, the request's percent-decoded path below the tenant's prefix
 * ("/users/42"), matches the valid pattern. Literal segments compare exactly (case
 * matters); {name} takes one whole non-empty segment; {name+} takes the rest, slashes
 * included, at least one character. A trailing '/' is part of the path, as in API
 * Gateway: "/users/42/" does not match "/users/{id}". On a match, and only then,
 * each parameter is added to params (when not NULL) as name: value, in valid UTF-8
 * (bytes that are not become U+FFFD).
 */
bool route_pattern_match(const char *pattern, const char *path, json_object *params);

/*
 * Orders valid patterns most specific first, as API Gateway chooses among the routes
 * that match one request: a pattern without a greedy parameter before one with it;
 * then segment by segment from the left, a literal before a {param} before a
 * {proxy+}; then the longer pattern first. Patterns of the same shape compare by
 * their literal text, so that the order is total. 0 only for patterns of one shape
 * (the same literals and kinds in the same places, whatever the parameters' names).
 */
int route_specificity_cmp(const char *a, const char *b);

/*
 * Whether two valid patterns could match the same path with the same specificity, so
 * that neither would win: "/a/{x}" and "/a/{y}" do; "/a/b" and "/a/{x}" do not (the
 * literal wins). A trigger whose route overlaps another's on a common method is
 * refused.
 */
bool route_patterns_overlap(const char *a, const char *b);

#endif
