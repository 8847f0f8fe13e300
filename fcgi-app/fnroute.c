/*
 * Public HTTP routes: /fn/{tenantId}{httpPath} reaches the function of the
 * tenant's enabled Http trigger whose route matches (the most specific, as API
 * Gateway chooses), with API Gateway's payload format 2.0 event, and its result is
 * answered as API Gateway maps it (common/apigw.h). No API key is asked for unless
 * the trigger's authType says so. The invocation is an ordinary synchronous one:
 * the tenant's quota, concurrency and records apply.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "apigw.h"
#include "cors.h"
#include "handlers.h"
#include "httproute.h"
#include "invoke.h"
#include "jsonx.h"
#include "log.h"
#include "timefmt.h"
#include "xalloc.h"

#define FN_PREFIX "/fn/"
#define MAX_ROUTES_PER_TENANT 1000
#define CORS_MAX_AGE_S 600

/* The request's headers, from FastCGI's HTTP_* parameters, named as clients send them (lower case). */
struct headers {
	struct apigw_header v[TF_APIGW_MAX_HEADERS];
	char names[TF_APIGW_MAX_HEADERS][96];
	size_t n;
};

static void collect_headers(struct req *r, struct headers *h)
{
	h->n = 0;
	for (char **e = r->fcgx->envp; e && *e && h->n < TF_APIGW_MAX_HEADERS; e++) {
		const char *kv = *e, *eq = strchr(kv, '=');
		const char *name = NULL;
		size_t len = 0;
		if (eq == NULL)
			continue;
		if (strncmp(kv, "HTTP_", 5) == 0)
			name = kv + 5, len = (size_t)(eq - kv - 5);
		else if (strncmp(kv, "CONTENT_TYPE=", 13) == 0 || strncmp(kv, "CONTENT_LENGTH=", 15) == 0)
			name = kv, len = (size_t)(eq - kv);
		if (name == NULL || len == 0 || len >= sizeof(h->names[0]) || eq[1] == '\0')
			continue;
		for (size_t i = 0; i < len; i++)
			h->names[h->n][i] = name[i] == '_' ? '-' : (char)tolower((unsigned char)name[i]);
		h->names[h->n][len] = '\0';
		h->v[h->n].name = h->names[h->n];
		h->v[h->n].value = eq + 1;
		h->n++;
	}
}

/* The route's tenant, as the identity its invocation runs under (plan and operator flag from its row). */
static void route_identity(struct req *r, const char *tenant, const char *plan, bool is_operator)
{
	struct identity *w = &r->who;
	w->authenticated = true;
	snprintf(w->tenant, sizeof(w->tenant), "%.*s", (int)sizeof(w->tenant) - 1, tenant);  /* it matched a stored id */
	snprintf(w->plan, sizeof(w->plan), "%s", plan ? plan : "free");
	w->is_operator = is_operator;
}

/* Whether a trigger's config allows method ("ANY", or no list at all, allows every one). */
static bool method_allowed(json_object *config, const char *method)
{
	json_object *m = jget(config, "httpMethods");
	size_t n = m ? json_object_array_length(m) : 0;
	if (n == 0)
		return true;
	for (size_t i = 0; i < n; i++) {
		const char *x = json_object_get_string(json_object_array_get_idx(m, i));
		if (strcmp(x, "ANY") == 0 || strcmp(x, method) == 0)
			return true;
	}
	return false;
}

static void methods_text(json_object *config, char *out, size_t n)
{
	json_object *m = jget(config, "httpMethods");
	size_t k = m ? json_object_array_length(m) : 0, len = 0;

	snprintf(out, n, "%s", k == 0 ? "*" : "");
	for (size_t i = 0; i < k && len + 12 < n; i++) {
		const char *x = json_object_get_string(json_object_array_get_idx(m, i));
		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "", strcmp(x, "ANY") == 0 ? "*" : x);
	}
}

/* The route a request reaches. */
struct route_hit {
	char trigger_id[48], fn_id[32], fn_name[80], target[80], pattern[TF_ROUTE_MAX_PATTERN + 1], plan[16];
	bool is_operator;     /* the tenant's */
	json_object *config;  /* owned */
	json_object *params;  /* owned */
	bool path_matched;    /* some route matched the path, if not the method */
};

/* Finds the most specific enabled route of the tenant matching path and method. 0 found, 1 none, -1 error. */
static int find_route(struct req *r, const char *tenant, const char *path, const char *method, bool preflight,
                      struct route_hit *hit)
{
	struct db_rows *rows = NULL;
	char why[64];

	memset(hit, 0, sizeof(*hit));
	if (db_query(r->conn->db,
	             "SELECT t.id, t.http_path, t.config, t.target, f.id, f.name, tn.plan, tn.is_operator FROM triggers t"
	             " JOIN functions f ON f.id = t.function_id JOIN tenants tn ON tn.id = t.tenant_id"
	             " WHERE t.tenant_id = ? AND t.type = 'Http' AND t.enabled = 1 AND f.deleted_at IS NULL LIMIT ?",
	             DB_ARGS(DB_STR(tenant), DB_INT(MAX_ROUTES_PER_TENANT)), &rows) != 0)
		return req_db_fail(r, "routes");
	for (size_t i = 0; i < rows->nrows; i++) {
		const char *pattern = db_val(rows, i, 1), *text = db_val(rows, i, 2);
		json_object *params = json_object_new_object();
		if (pattern == NULL || !route_pattern_match(pattern, path, params)) {
			json_object_put(params);
			continue;
		}
		hit->path_matched = true;
		json_object *config = json_parse_text(text, strlen(text), why, sizeof(why));
		/* A preflight is for a route that a browser may then call, with whatever method. */
		bool usable = config && (preflight ? jbool(config, "corsEnabled", false) : method_allowed(config, method));
		if (!usable || (hit->config && route_specificity_cmp(pattern, hit->pattern) >= 0)) {
			json_object_put(config);
			json_object_put(params);
			continue;
		}
		json_object_put(hit->config);
		json_object_put(hit->params);
		hit->config = config, hit->params = params;
		snprintf(hit->trigger_id, sizeof(hit->trigger_id), "%s", db_val(rows, i, 0));
		snprintf(hit->pattern, sizeof(hit->pattern), "%s", pattern);
		snprintf(hit->target, sizeof(hit->target), "%s", db_val(rows, i, 3) ? db_val(rows, i, 3) : "");
		snprintf(hit->fn_id, sizeof(hit->fn_id), "%s", db_val(rows, i, 4));
		snprintf(hit->fn_name, sizeof(hit->fn_name), "%s", db_val(rows, i, 5));
		snprintf(hit->plan, sizeof(hit->plan), "%s", db_val(rows, i, 6) ? db_val(rows, i, 6) : "free");
		hit->is_operator = db_ll(rows, i, 7, 0) == 1;
	}
	db_rows_free(rows);
	return hit->config ? 0 : 1;
}

static void route_hit_free(struct route_hit *hit)
{
	json_object_put(hit->config);
	json_object_put(hit->params);
}

/* Adds the answer's headers as they are: a function's header values may be long. */
static void add_answer_headers(struct req *r, const struct apigw_answer *a)
{
	for (size_t i = 0; i < a->nheaders; i++)
		buf_printf(&r->headers, "%s: %s\r\n", a->headers[i].name, a->headers[i].value);
}

/* API Gateway's own answers when the integration fails: a short JSON message, no details. */
static int gateway_answer(struct req *r, int status, const char *message)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "message", message);
	const char *text = json_text(o);
	buf_puts(&r->headers, "Content-Type: application/json\r\n");
	req_reply_raw(r, status, text, strlen(text));
	json_object_put(o);
	return 0;
}

static void cors_of(json_object *config, char *methods, size_t n, struct cors_config *c)
{
	methods_text(config, methods, n);
	*c = (struct cors_config){ .allow_origins = "*", .allow_methods = methods, .allow_headers = "*",
	                           .max_age_s = CORS_MAX_AGE_S };
}

/* The route's answer from its function's outcome (runlink.h); ctx is the route's configuration. */
static int route_answer(struct req *r, const struct job *j, const struct outcome *oc, json_object *config)
{
	struct apigw_answer a = APIGW_ANSWER_INIT;
	char why[192], methods[96];
	int rc;

	if (oc->status == OUTCOME_TIMEOUT) {
		rc = gateway_answer(r, 504, "Endpoint request timed out");
	} else if (oc->status != OUTCOME_SUCCEEDED) {
		rc = gateway_answer(r, 500, "Internal Server Error");  /* the function failed: its logs say how */
	} else if (apigw_answer(oc->result, strlen(oc->result), &a, why, sizeof(why)) != 0) {
		log_fields(TFLOG_WARN, "a function's HTTP answer is not valid", "requestId", j->request_id, "error", why,
		           "traceId", r->trace_id, NULL);
		rc = gateway_answer(r, 502, "Internal Server Error");
	} else {
		struct cors_config c;
		cors_of(config, methods, sizeof(methods), &c);
		if (jbool(config, "corsEnabled", false))
			cors_headers(&c, req_header(r, "HTTP_ORIGIN"), false, NULL, NULL, &a);
		add_answer_headers(r, &a);
		rc = req_reply_raw(r, a.status, a.body.data ? a.body.data : "", a.body.len);
	}
	apigw_answer_free(&a);
	return rc;
}

/* Runs the route's function with the request as its event; its answer comes in route_answer. */
static int serve(struct req *r, const char *tenant, const char *path, const struct headers *h, struct route_hit *hit)
{
	struct job j = { 0 };
	char why[192];
	json_object *event = NULL;
	int rc = -1;

	struct apigw_request rq = {
		.method = r->method, .raw_path = r->path, .path = path,
		.route_method = method_allowed(hit->config, "\x01") ? "ANY" : r->method, .route_pattern = hit->pattern,
		.raw_query = r->query, .headers = h->v, .nheaders = h->n, .path_params = hit->params,
		.source_ip = req_header(r, "REMOTE_ADDR"), .request_id = r->trace_id, .time_ms = now_ms(),
		.account_id = tenant, .domain_name = req_header(r, "HTTP_HOST"), .protocol = req_header(r, "SERVER_PROTOCOL"),
		.body = r->body, .body_len = r->body_len,
	};
	if (apigw_request_check(&rq, why, sizeof(why)) != 0) {
		tf_fail(&r->err, r->body_len > TF_APIGW_MAX_BODY ? TF_E_TOO_LARGE : TF_E_VALIDATION, "%s", why);
		goto out;
	}
	if ((event = apigw_event(&rq)) == NULL) {
		tf_fail(&r->err, TF_E_VALIDATION, "The request cannot be made into an event");
		goto out;
	}
	if (invoke_load_target(r, hit->fn_id, hit->fn_name, hit->target[0] ? hit->target : NULL, &j) != 0)
		goto out;
	const char *text = json_text(event);
	if (strlen(text) > TF_MAX_PAYLOAD) {
		tf_fail(&r->err, TF_E_TOO_LARGE, "The request makes an event over %ld bytes", TF_MAX_PAYLOAD);
		goto out;
	}
	j.payload = xstrdup(text);
	rc = invoke_sync(r, &j, route_answer, hit->config);
out:
	json_object_put(event);
	job_free(&j);
	return rc;
}

/* A browser's preflight of a CORS route: answered here, without running the function. */
static int preflight(struct req *r, struct route_hit *hit)
{
	struct apigw_answer a = APIGW_ANSWER_INIT;
	struct cors_config c;
	char methods[96];

	cors_of(hit->config, methods, sizeof(methods), &c);
	int rc = cors_headers(&c, req_header(r, "HTTP_ORIGIN"), true, req_header(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD"),
	                      req_header(r, "HTTP_ACCESS_CONTROL_REQUEST_HEADERS"), &a);
	if (rc == 0) {
		add_answer_headers(r, &a);
		rc = req_reply_raw(r, a.status ? a.status : 204, a.body.data ? a.body.data : "", a.body.len);
	}
	apigw_answer_free(&a);
	return rc;
}

/* * /fn/{tenantId}/… — a public route of an Http trigger */
int fn_route_serve(struct req *r)
{
	const char *tenant = r->params[0];
	/* Below the tenant's prefix, as the client sent it: "/fn/acme/users/42" -> "/users/42". */
	const char *rest = r->path + strlen(FN_PREFIX);
	rest += strcspn(rest, "/");
	char path[TF_ROUTE_MAX_PATH + 1];
	struct headers h;
	struct route_hit hit;
	int rc = -1;

	if (url_decode(rest, strlen(rest), false, path, sizeof(path)) != 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "No route %s %s", r->method, r->path);
	bool is_preflight = strcmp(r->method, "OPTIONS") == 0 && req_header(r, "HTTP_ORIGIN") &&
	                    req_header(r, "HTTP_ACCESS_CONTROL_REQUEST_METHOD");
	int found = find_route(r, tenant, path, r->method, is_preflight, &hit);
	if (found == 1 && is_preflight)  /* not a CORS route: an OPTIONS request like any other */
		found = find_route(r, tenant, path, r->method, false, &hit);
	if (found < 0)
		goto out;
	if (found == 1) {
		if (hit.path_matched)
			tf_fail(&r->err, TF_E_METHOD, "The route %s does not take %s", path, r->method);
		else
			tf_fail(&r->err, TF_E_NOT_FOUND, "No route %s %s", r->method, r->path);
		goto out;
	}
	/* One query found the route and its tenant: a tenant without routes is as unknown as a path. */
	route_identity(r, tenant, hit.plan, hit.is_operator);
	if (is_preflight && jbool(hit.config, "corsEnabled", false)) {
		rc = preflight(r, &hit);
		goto out;
	}
	/* A route that asks for a key takes one of its own tenant's, and no other. */
	if (jstr(hit.config, "authType") && strcmp(jstr(hit.config, "authType"), "API_KEY") == 0) {
		char saved[sizeof(r->who.tenant)];
		snprintf(saved, sizeof(saved), "%s", r->who.tenant);
		if (auth_request(r) != 0)
			goto out;
		if (strcmp(saved, r->who.tenant) != 0) {
			tf_fail(&r->err, TF_E_UNAUTHORIZED, "This route takes an API key of its own tenant");
			goto out;
		}
	}
	snprintf(r->who.principal, sizeof(r->who.principal), "%s", hit.trigger_id);
	collect_headers(r, &h);
	rc = serve(r, tenant, path, &h, &hit);
out:
	route_hit_free(&hit);
	return rc;
}
