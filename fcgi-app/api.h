/* tf-api: the request, the identity behind it, and what every handler shares. */
#ifndef TF_API_H
#define TF_API_H

#include <fcgiapp.h>
#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "db.h"
#include "error.h"
#include "rds.h"
#include "settings.h"
#include "tf.h"

#define TF_MAX_ROUTE_PARAMS 4
#define TF_MAX_SECRET 256
#define TF_MAX_PARAM 256
#define TF_TRACE_ID_LEN 40
/* The operator's tenant: made by the first start, never by a signup (see bootstrap_admin). */
#define TF_OPERATOR_TENANT "operator"

enum role {
	ROLE_ADMIN = 1 << 0,
	ROLE_DEVELOPER = 1 << 1,
	ROLE_OPERATOR = 1 << 2,
	ROLE_VIEWER = 1 << 3,
};
#define ROLE_ALL (ROLE_ADMIN | ROLE_DEVELOPER | ROLE_OPERATOR | ROLE_VIEWER)

enum auth_mode {
	AUTH_NONE,   /* public */
	AUTH_KEY,    /* a TauFunctions API key */
	AUTH_ANY,    /* an API key or a platform JWT */
};

struct identity {
	bool authenticated;
	char tenant[65];
	char plan[16];
	bool is_operator;       /* the operator tenant: no plan limits */
	char key_id[21];        /* set when an API key was used */
	char user_id[21];       /* set when a platform token was used */
	char username[129];
	char principal[80];     /* who acted: "key_…" or a user id (ownerId, createdBy) */
	unsigned roles;
};

struct req;
struct pending;
typedef int (*handler_fn)(struct req *r);
/* What a handler returns when its answer comes later, from a runner (runlink.h). */
#define REQ_PARKED 1

struct route {
	const char *method;
	const char *pattern;     /* "/saas/api/v1/sdk/tau/functions/{id}" */
	handler_fn fn;
	enum tf_surface surface;
	enum auth_mode auth;
	unsigned roles;          /* roles allowed (API keys act as Admin + Developer) */
	const char *rate_class;  /* per-identity limit class, NULL for none */
	size_t max_body;         /* 0 for TF_MAX_BODY */
	bool raw_body;           /* any bytes of any Content-Type (a public route's or a webhook's) */
	const struct vtable *body;  /* what its JSON body must be (OpenAPI shows it), or NULL */
};

/* Settings every thread reads, fixed after start-up. */
struct app {
	const struct config *cfg;
	bool self_service_upgrade;
	const char *public_url;
	int sync_margin_s;
	long sync_max_waiting;               /* synchronous invocations in flight at once, a bound on memory */
	long long async_max_depth_function;  /* invoke-async answers 429 past these */
	long long async_max_depth;
	struct db_config dbc;
	struct rds_config rdc;
	unsigned char token_key[TF_MAX_SECRET];
	size_t token_key_len;
	int token_ttl_s;
	char dummy_hash[256];   /* verified against when a username is unknown: same time either way */
};

/* What one request thread owns. */
struct conn {
	struct db *db;
	struct rds *rds;
};

/* A request's rate-limit window, counted at once or with its invocation's admission. */
struct rate_hold {
	char key[TF_MAX_PARAM + 256];
	long long limit, now, reset;  /* reset and now: seconds */
	int window_s;
	bool pending;                 /* not counted yet */
};

struct req {
	const struct app *app;
	struct conn *conn;
	FCGX_Request *fcgx;
	const struct route *route;
	enum tf_surface surface;
	const char *method;
	char path[1024];
	const char *query;
	char *body;
	size_t body_len;
	char params[TF_MAX_ROUTE_PARAMS][TF_MAX_PARAM];
	size_t nparams;
	struct identity who;
	char trace_id[TF_TRACE_ID_LEN];
	double started_mono;    /* mono_ms_f() at arrival */
	struct tf_error err;
	/* The response. */
	int status;
	json_object *out;        /* body, owned; NULL for none */
	struct buf raw_out;      /* instead of out: bytes as they are, their Content-Type among headers */
	bool raw;
	struct buf headers;      /* extra "Name: value\r\n" lines */
	char request_id[40];     /* the invocation it made, for its log line, or "" */
	struct pending *parked;  /* set while its answer is awaited from a runner */
	struct rate_hold rate;
};

/* router.c */
const struct route *route_match(const char *method, const char *path, struct req *r,
                                bool *path_known);
enum tf_surface surface_of_path(const char *path);
/* Every route, for the documents generated from them (/openapi.json). */
const struct route *route_table(size_t *n);
/* The methods path takes, "GET, POST" (for Allow), into out; "" when none. */
void route_methods(const char *path, char *out, size_t n);

/* request.c */
/* Decodes %XX (and '+' as a space in a query); -1 on a bad escape, a NUL or overflow. */
int url_decode(const char *s, size_t n, bool plus_is_space, char *out, size_t outsz);
const char *req_header(struct req *r, const char *fcgi_name);
/* The decoded value of a query parameter, into out; NULL when absent. */
const char *req_query(struct req *r, const char *name, char *out, size_t outsz);
void req_add_header(struct req *r, const char *name, const char *fmt, ...) TF_PRINTF(3, 4);
/* Sets a JSON response; takes ownership of body. Returns 0. */
int req_reply(struct req *r, int status, json_object *body);
/* Sets a response of bytes as they are (a function's HTTP answer); headers added with req_add_header. */
int req_reply_raw(struct req *r, int status, const void *body, size_t len);
/* The base URL clients reach this platform at, without a trailing slash. */
void req_base_url(struct req *r, char *out, size_t n);
/* Reads ?limit= (1-100, default 20) and ?offset=; adds details and returns -1 on bad values. */
int page_params(struct req *r, long long *limit, long long *offset);
/* Parses the body as a JSON object; -1 with r->err set. */
int req_json(struct req *r, json_object **out);
/* Maps a database failure to 503 (connection) or 500, logging it. Returns -1. */
int req_db_fail(struct req *r, const char *what);
int req_redis_fail(struct req *r, const char *what);

/* auth.c */
int auth_request(struct req *r);
/* Hash of an API key as stored. */
void api_key_hash(const char *key, char out[65]);
/* Creates a key for tenant; the full key goes to key_out. Inside the caller's transaction. */
int api_key_create(struct req *r, const char *tenant, const char *plan, char *key_out,
                   size_t keysz, char id_out[21]);

/* secret.c: the token key, created at first start. */
void secret_load(const char *path, unsigned char *key, size_t *len);

/* users.c */
int role_parse(const char *name, unsigned *role);
const char *role_name(unsigned role);
/* Creates the operator tenant and its first Admin unless one exists (start-up only). */
int bootstrap_admin(const struct app *app, const char *out_path, const char *base_url);

/* ratelimit.c */
/*
 * The route's per-identity limit: counted now, or (the invoke class) left
 * pending for the invocation's admission script to count (ratelimit_counted);
 * whatever has a side effect first calls ratelimit_settle.
 */
int ratelimit_check(struct req *r);
/* Counts a pending limit now: -1 with r->err set past it. */
int ratelimit_settle(struct req *r);
/* A pending limit counted elsewhere, n its count: the headers, and -1 past it. */
int ratelimit_counted(struct req *r, long long n);

/* migrate.c */
int migrate_run(const struct config *cfg);

#endif
