/* Functions: create, list, get, update and delete, TauFunctions surface (by fn_ id). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "code.h"
#include "fn.h"
#include "handler.h"
#include "handlers.h"
#include "ids.h"
#include "jsonx.h"
#include "runtime.h"
#include "tenant.h"
#include "num.h"
#include "strfmt.h"
#include "triggers.h"
#include "validate.h"

static int check_runtime(const char *s, char *why, size_t whysz)
{
	if (runtime_find(s))
		return 0;
	snprintf(why, whysz, "must be one of %s", runtime_list_text());
	return -1;
}

static int check_trigger(const char *s, char *why, size_t whysz)
{
	static const char *const triggers[] = { "http", "cron", "event", "webhook", "manual" };
	for (size_t i = 0; i < TF_ARRAY_LEN(triggers); i++)
		if (strcmp(s, triggers[i]) == 0)
			return 0;
	snprintf(why, whysz, "must be one of http, cron, event, webhook, manual");
	return -1;
}

#define MEMORY_MESSAGE "must be 128-10240 MB in 64 MB increments"

/* The TauFunctions function body; create requires the first four. */
#define TAU_FIELDS(REQ)                                                                          \
	{ .name = "name", .type = V_STRING, .required = REQ, .min = 1, .max = 64,                   \
	  .check = check_function_name },                                                            \
	{ .name = "runtime", .type = V_STRING, .required = REQ, .min = 1, .max = 32,                \
	  .check = check_runtime },                                                                  \
	{ .name = "handler", .type = V_STRING, .required = REQ, .min = 1, .max = TF_MAX_HANDLER },  \
	{ .name = "code", .type = V_STRING, .required = REQ, .min = 1, .max = TF_MAX_INLINE_CODE,   \
	  .message = "must be 1 byte to 4 MB of source" },                                           \
	{ .name = "trigger", .type = V_STRING, .min = 1, .max = 16, .check = check_trigger },      \
	{ .name = "schedule", .type = V_STRING, .min = 1, .max = 256 },                            \
	{ .name = "timezone", .type = V_STRING, .min = 1, .max = 64 },                             \
	{ .name = "topic", .type = V_STRING, .min = 1, .max = 128 },                               \
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },                          \
	{ .name = "envVars", .type = V_STRMAP, .min = 0, .max = TF_MAX_ENV_VARS,                    \
	  .max_bytes = TF_MAX_ENV_BYTES, .check = check_env_key },                                   \
	{ .name = "timeout", .type = V_INT, .min = TF_MIN_TIMEOUT_S, .max = TF_MAX_TIMEOUT_S,       \
	  .message = "must be 1-900 seconds" },                                                      \
	{ .name = "memoryMB", .type = V_INT, .min = TF_MIN_MEMORY_MB, .max = TF_MAX_MEMORY_MB,      \
	  .step = TF_MEMORY_STEP_MB, .message = MEMORY_MESSAGE }

static const struct vfield create_fields[] = { TAU_FIELDS(true) };
static const struct vfield update_fields[] = { TAU_FIELDS(false) };
VTABLE(tau_function_create_body, create_fields,
       "{\"name\": \"hello\", \"runtime\": \"nodejs20\", \"handler\": \"index.handler\","
       " \"code\": \"exports.handler = async (event) => ({ statusCode: 200, body: 'hi' });\"}");
VTABLE(tau_function_update_body, update_fields, "{\"timeout\": 10, \"memoryMB\": 256}");

/* The handler's format depends on the runtime's language. */
static int check_handler_for(struct req *r, const char *handler, const char *runtime)
{
	const struct runtime_info *rt = runtime_find(runtime);
	char why[192];

	if (rt && handler_check(handler, rt->lang, why, sizeof(why)) != 0) {
		tf_detail(&r->err, "handler", "%s", why);
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	}
	return 0;
}

/* Answers with the function as now stored; a webhook secret made just now is shown this once. */
static int reply_fn(struct req *r, int status, const char *id, bool with_code, const char *secret)
{
	struct fn f;

	if (fn_load(r, FN_BY_ID, id, false, &f) != 0)
		return -1;
	json_object *o = fn_tau_json(&f, with_code);
	if (secret && secret[0])
		jadd_str(o, "webhookSecret", secret);
	req_reply(r, status, o);
	fn_free(&f);
	return 0;
}

/* Tau's names for the fields of the trigger it makes, in the errors of its config. */
static void tau_trigger_fields(struct req *r)
{
	static const char *const names[][2] = {
		{ "config.scheduleExpression", "schedule" }, { "config.timezone", "timezone" },
		{ "config.topic", "topic" }, { "config.httpPath", "name" },
	};
	size_t n = r->err.details ? json_object_array_length(r->err.details) : 0;
	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(r->err.details, i);
		for (size_t k = 0; k < TF_ARRAY_LEN(names); k++)
			if (jstr(d, "field") && strcmp(jstr(d, "field"), names[k][0]) == 0)
				json_object_object_add(d, "field", json_object_new_string(names[k][1]));
	}
}

/*
 * The TauFunctions `trigger` field made real, inside the function's transaction:
 * the function's one Tau-made trigger is replaced by one of this type. http is a
 * public route at /fn/<tenant>/<name>; cron runs `schedule` (5-field Unix cron, or
 * an AWS cron()/rate()/at()) in `timezone`; event listens on `topic` (the
 * function's name by default); webhook gets a signed URL; manual, no trigger.
 */
static int tau_trigger_apply(struct req *r, const char *fn_id, const char *type, json_object *body, char *secret,
                             size_t secretsz)
{
	struct fn f = { 0 };
	json_object *config = json_object_new_object();
	char id[TF_TRIGGER_ID_LEN + 1], path[80];
	int rc = -1;

	struct trigger_spec sp = { .tau = true, .config = config };
	if (trigger_type_parse(type, &sp.type) != 0 || fn_load(r, FN_BY_ID, fn_id, true, &f) != 0)
		goto out;
	if (sp.type != TRIG_SCHEDULED && jget(body, "schedule")) {
		tf_detail(&r->err, "schedule", "is for trigger cron only");
		tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
		goto out;
	}
	if (sp.type == TRIG_SCHEDULED && jstr(body, "schedule") == NULL && f.schedule[0] == '\0') {
		tf_detail(&r->err, "schedule", "is required with trigger cron: a cron expression such as \"0 2 * * *\"");
		tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
		goto out;
	}
	snprintf(path, sizeof(path), "/%s", f.name);
	if (sp.type == TRIG_HTTP)
		jadd_str(config, "httpPath", path);
	if (sp.type == TRIG_SCHEDULED) {
		jadd_str(config, "scheduleExpression", jstr(body, "schedule") ? jstr(body, "schedule") : f.schedule);
		if (jstr(body, "timezone"))
			jadd_str(config, "timezone", jstr(body, "timezone"));
	}
	if (sp.type == TRIG_EVENT)
		jadd_str(config, "topic", jstr(body, "topic") ? jstr(body, "topic") : f.name);
	if (trigger_remove_tau(r, &f) != 0 || (sp.type != TRIG_MANUAL && trigger_add(r, &f, &sp, id, secret, secretsz) != 0)) {
		tau_trigger_fields(r);
		goto out;
	}
	rc = 0;
out:
	fn_free(&f);
	json_object_put(config);
	return rc;
}

/* What both surfaces store when they create a function. */
struct fn_spec {
	const char *name, *description, *runtime, *handler, *env, *tags, *trigger;
	const char *code;          /* inline source, or NULL */
	long long memory_mb, timeout_s;
	long long max_retries, max_event_age_s;  /* -1 / 0: unchanged, or the default on create */
	long long reserved_concurrency;          /* RESERVED_UNCHANGED, RESERVED_NONE or 0 and up */
};

#define RESERVED_UNCHANGED (-2)
#define RESERVED_NONE (-1)

/* reservedConcurrency of a body: a number sets it, null removes it, absence keeps it. */
static long long reserved_of(json_object *body)
{
	json_object *v = NULL;
	if (!json_object_object_get_ex(body, "reservedConcurrency", &v))
		return RESERVED_UNCHANGED;
	return v ? json_object_get_int64(v) : RESERVED_NONE;
}

/* Whether an update changes what a deploy publishes (the rest applies at once, as Lambda's). */
static bool changes_code_or_config(const struct fn_spec *sp)
{
	return sp->name || sp->description || sp->runtime || sp->handler || sp->env || sp->tags || sp->trigger ||
	       sp->code || sp->memory_mb || sp->timeout_s;
}

/*
 * Creates a function within the caller's plan, inside one transaction; id gets
 * its fn_ id. Inline code is packed and stored with it; without code the
 * function waits for its first version.
 */
static int fn_insert(struct req *r, const struct fn_spec *sp, char id[TF_FN_ID_LEN + 1], json_object *tau_body,
                     char *secret, size_t secretsz)
{
	const struct plan_limits *limits;
	const struct runtime_info *rt = runtime_find(sp->runtime);
	struct db *db = r->conn->db;
	char sha[65];

	if (db_begin(db) != 0)
		return req_db_fail(r, "create begin");
	if (tenant_has_room(r, PLAN_FUNCTIONS, &limits) != 0)
		goto rollback;
	if (sp->code && code_store_inline(r, sp->handler, rt->lang, sp->code, sha) != 0)
		goto rollback;
	random_id(id, TF_FN_ID_LEN + 1, "fn_", TF_FN_ID_LEN - 3);
	if (db_exec(db,
	            "INSERT INTO functions (id, tenant_id, name, description, runtime, handler, memory_mb,"
	            " timeout_s, env, tags, trigger_type, code, code_sha256, owner_id, max_retries, max_event_age_s,"
	            " reserved_concurrency, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(r->who.tenant), DB_STR(sp->name), DB_STR(sp->description ? sp->description : ""),
	                    DB_STR(rt->id), DB_STR(sp->handler), DB_INT(sp->memory_mb), DB_INT(sp->timeout_s),
	                    DB_STR(sp->env ? sp->env : "{}"), DB_STR(sp->tags ? sp->tags : "{}"),
	                    DB_STR(sp->trigger ? sp->trigger : "http"), DB_STR(sp->code),
	                    DB_STR(sp->code ? sha : NULL), DB_STR(r->who.principal),
	                    DB_INT(sp->max_retries >= 0 ? sp->max_retries : 2),
	                    DB_INT(sp->max_event_age_s > 0 ? sp->max_event_age_s : 21600),
	                    sp->reserved_concurrency >= 0 ? DB_INT(sp->reserved_concurrency) : DB_NULL), NULL) != 0) {
		if (db_is_duplicate(db)) {
			tf_detail(&r->err, "name", "is already used by another function");
			tf_fail(&r->err, TF_E_CONFLICT, "Function %s already exists", sp->name);
		} else {
			req_db_fail(r, "function insert");
		}
		goto rollback;
	}
	/* A TauFunctions function has its trigger from the start (http unless it says otherwise). */
	if (tau_body && tau_trigger_apply(r, id, sp->trigger ? sp->trigger : "http", tau_body, secret, secretsz) != 0)
		goto rollback;
	if (db_commit(db) != 0)
		return req_db_fail(r, "create commit");
	return 0;
rollback:
	db_rollback(db);
	return -1;
}

static const char *json_field_text(json_object *body, const char *key)
{
	json_object *v = jget(body, key);
	return v ? json_text(v) : NULL;
}

/* POST /saas/api/v1/sdk/tau/functions — Functions — CRUD */
int tau_functions_create(struct req *r)
{
	json_object *body = NULL;
	char id[TF_FN_ID_LEN + 1];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, create_fields, TF_ARRAY_LEN(create_fields), &r->err) != 0 ||
	    check_handler_for(r, jstr(body, "handler"), jstr(body, "runtime")) != 0)
		goto out;
	struct fn_spec sp = {
		.name = jstr(body, "name"), .description = jstr(body, "description"), .runtime = jstr(body, "runtime"),
		.handler = jstr(body, "handler"), .env = json_field_text(body, "envVars"), .trigger = jstr(body, "trigger"),
		.code = jstr(body, "code"), .memory_mb = jint(body, "memoryMB", TF_DEFAULT_MEMORY_MB),
		.timeout_s = jint(body, "timeout", TF_DEFAULT_TIMEOUT_S), .max_retries = -1,
		.reserved_concurrency = RESERVED_NONE,
	};
	char secret[TF_HOOK_SECRET_LEN + 16] = "";
	if (fn_insert(r, &sp, id, body, secret, sizeof(secret)) == 0)
		rc = reply_fn(r, 201, id, false, secret);
out:
	json_object_put(body);
	return rc;
}

/* GET /saas/api/v1/sdk/tau/functions — Functions — CRUD */
int tau_functions_list(struct req *r)
{
	json_object *list;

	if (fn_list_tau(r, &list) != 0)
		return -1;
	json_object *out = json_object_new_object();
	json_object_object_add(out, "functions", list);
	return req_reply(r, 200, out);
}

/* GET /saas/api/v1/sdk/tau/functions/:id — Functions — CRUD */
int tau_functions_get(struct req *r)
{
	return reply_fn(r, 200, r->params[0], true, NULL);
}

/*
 * Changes a function of the caller's tenant under its row lock, inside one
 * transaction: fields of sp left NULL (or 0) keep their stored value. The handler
 * is checked against the runtime it will have; inline code is repacked when the
 * code, handler or runtime changes, as the package names its file after them.
 * f gets the function as it was.
 */
/* Whether a TauFunctions update changes what its trigger is (a renamed http route moves with its name). */
static bool tau_trigger_changes(json_object *tau_body, const struct fn_spec *sp, const struct fn *f)
{
	if (tau_body == NULL)
		return false;
	const char *type = sp->trigger ? sp->trigger : f->trigger;
	return sp->trigger || jget(tau_body, "schedule") || jget(tau_body, "timezone") || jget(tau_body, "topic") ||
	       (sp->name && strcmp(sp->name, f->name) != 0 && strcmp(type, "http") == 0);
}

static int fn_update(struct req *r, enum fn_lookup by, const char *key, const struct fn_spec *sp, struct fn *f,
                     json_object *tau_body, char *secret, size_t secretsz)
{
	struct db *db = r->conn->db;
	char sha[65];

	if (db_begin(db) != 0)
		return req_db_fail(r, "update begin");
	if (fn_load(r, by, key, true, f) != 0)
		goto rollback;
	const struct runtime_info *rt = runtime_find(sp->runtime ? sp->runtime : f->runtime);
	const char *handler = sp->handler ? sp->handler : f->handler;
	const char *code = sp->code ? sp->code : f->code;
	if (rt == NULL || check_handler_for(r, handler, rt->id) != 0)
		goto rollback;
	snprintf(sha, sizeof(sha), "%s", f->code_sha256);
	bool repack = sp->code || sp->handler || sp->runtime;
	if (repack && code && code_store_inline(r, handler, rt->lang, code, sha) != 0)
		goto rollback;
	const char *name = sp->name ? sp->name : f->name;
	long long reserved = sp->reserved_concurrency == RESERVED_UNCHANGED ? f->reserved_concurrency : sp->reserved_concurrency;
	if (db_exec(db,
	            "UPDATE functions SET name = ?, description = ?, runtime = ?, handler = ?, memory_mb = ?,"
	            " timeout_s = ?, env = ?, tags = ?, trigger_type = ?, code = ?, code_sha256 = ?, max_retries = ?,"
	            " max_event_age_s = ?, reserved_concurrency = ?,"
	            " draft_changed = IF(?, published_version IS NOT NULL, draft_changed), updated_at = NOW(3) WHERE id = ?",
	            DB_ARGS(DB_STR(name), DB_STR(sp->description ? sp->description : f->description), DB_STR(rt->id),
	                    DB_STR(handler), DB_INT(sp->memory_mb ? sp->memory_mb : f->memory_mb),
	                    DB_INT(sp->timeout_s ? sp->timeout_s : f->timeout_s), DB_STR(sp->env ? sp->env : f->env),
	                    DB_STR(sp->tags ? sp->tags : f->tags), DB_STR(sp->trigger ? sp->trigger : f->trigger),
	                    DB_STR(code), DB_STR(sha[0] ? sha : NULL),
	                    DB_INT(sp->max_retries >= 0 ? sp->max_retries : f->max_retries),
	                    DB_INT(sp->max_event_age_s > 0 ? sp->max_event_age_s : f->max_event_age_s),
	                    reserved >= 0 ? DB_INT(reserved) : DB_NULL, DB_INT(changes_code_or_config(sp)),
	                    DB_STR(f->id)), NULL) != 0) {
		if (db_is_duplicate(db)) {
			tf_detail(&r->err, "name", "is already used by another function");
			tf_fail(&r->err, TF_E_CONFLICT, "Function %s already exists", name);
		} else {
			req_db_fail(r, "function update");
		}
		goto rollback;
	}
	if (tau_trigger_changes(tau_body, sp, f) &&
	    tau_trigger_apply(r, f->id, sp->trigger ? sp->trigger : f->trigger, tau_body, secret, secretsz) != 0)
		goto rollback;
	if (db_commit(db) != 0)
		return req_db_fail(r, "update commit");
	cache_drop_function(r, f->id);
	return 0;
rollback:
	db_rollback(db);
	return -1;
}

/* PUT /saas/api/v1/sdk/tau/functions/:id — Functions — CRUD */
int tau_functions_update(struct req *r)
{
	json_object *body = NULL;
	struct fn f = { 0 };
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, update_fields, TF_ARRAY_LEN(update_fields), &r->err) != 0)
		goto out;
	struct fn_spec sp = {
		.name = jstr(body, "name"), .description = jstr(body, "description"), .runtime = jstr(body, "runtime"),
		.handler = jstr(body, "handler"), .env = json_field_text(body, "envVars"), .trigger = jstr(body, "trigger"),
		.code = jstr(body, "code"), .memory_mb = jint(body, "memoryMB", 0), .timeout_s = jint(body, "timeout", 0),
		.max_retries = -1, .reserved_concurrency = RESERVED_UNCHANGED,
	};
	char secret[TF_HOOK_SECRET_LEN + 16] = "";
	if (fn_update(r, FN_BY_ID, r->params[0], &sp, &f, body, secret, sizeof(secret)) == 0)
		rc = reply_fn(r, 200, f.id, false, secret);
out:
	fn_free(&f);
	json_object_put(body);
	return rc;
}

/* DELETE /saas/api/v1/sdk/tau/functions/:id — Functions — CRUD */
int tau_functions_delete(struct req *r)
{
	uint64_t n = 0;

	if (db_exec(r->conn->db,
	            "UPDATE functions SET deleted_at = NOW(3) WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL",
	            DB_ARGS(DB_STR(r->params[0]), DB_STR(r->who.tenant)), &n) != 0)
		return req_db_fail(r, "function delete");
	if (n == 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Function %s not found", r->params[0]);
	/* Its routes, schedules and topics stop at once, and its route is free for a new function. */
	if (db_exec(r->conn->db, "DELETE FROM triggers WHERE function_id = ?", DB_ARGS(DB_STR(r->params[0])), NULL) != 0)
		return req_db_fail(r, "function triggers delete");
	cache_drop_function(r, r->params[0]);
	json_object *out = json_object_new_object();
	jadd_bool(out, "deleted", true);
	jadd_str(out, "id", r->params[0]);
	return req_reply(r, 200, out);
}

/* Asynchronous invocation settings, as Lambda's (beyond the reference). */
#define ASYNC_FIELDS                                                                             \
	{ .name = "maxRetries", .type = V_INT, .min = 0, .max = 2, .message = "must be 0, 1 or 2" },    \
	{ .name = "maxEventAgeSeconds", .type = V_INT, .min = 60, .max = 21600,                      \
	  .message = "must be 60-21600 seconds" },                                                   \
	{ .name = "reservedConcurrency", .type = V_INT, .min = 0, .max = TF_MAX_RESERVED_CONCURRENCY, \
	  .message = "must be 0-1000, or null for no reservation" }

/* The platform API's function body (Functions API): create requires the first three. */
#define PLATFORM_FIELDS(REQ)                                                                     \
	{ .name = "name", .type = V_STRING, .required = REQ, .min = 1, .max = 64,                   \
	  .check = check_function_name },                                                            \
	{ .name = "runtime", .type = V_STRING, .required = REQ, .min = 1, .max = 32,                \
	  .check = check_runtime },                                                                  \
	{ .name = "handler", .type = V_STRING, .required = REQ, .min = 1, .max = TF_MAX_HANDLER },  \
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },                          \
	{ .name = "memorySize", .type = V_INT, .min = TF_MIN_MEMORY_MB, .max = TF_MAX_MEMORY_MB,    \
	  .step = TF_MEMORY_STEP_MB, .message = "MemorySize must be 128-10240 MB in 64 MB increments" }, \
	{ .name = "timeout", .type = V_INT, .min = TF_MIN_TIMEOUT_S, .max = TF_MAX_TIMEOUT_S,       \
	  .message = "Timeout must be 1-900 seconds" },                                              \
	{ .name = "environment", .type = V_STRMAP, .min = 0, .max = TF_MAX_ENV_VARS,                \
	  .max_bytes = TF_MAX_ENV_BYTES, .check = check_env_key },                                   \
	{ .name = "tags", .type = V_STRMAP, .min = 0, .max = TF_MAX_TAGS, .max_bytes = 16 * 1024,   \
	  .check = check_tag_key },                                                                  \
	ASYNC_FIELDS

static const struct vfield platform_create_fields[] = { PLATFORM_FIELDS(true) };
VTABLE(platform_function_create_body, platform_create_fields,
       "{\"name\": \"resize\", \"runtime\": \"Python311\", \"handler\": \"main.handler\", \"memorySize\": 256,"
       " \"timeout\": 30, \"environment\": {\"BUCKET\": \"images\"}}");
/* The name addresses the function; it is not changed through the platform API. */
static const struct vfield platform_update_fields[] = {
	{ .name = "runtime", .type = V_STRING, .min = 1, .max = 32, .check = check_runtime },
	{ .name = "handler", .type = V_STRING, .min = 1, .max = TF_MAX_HANDLER },
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },
	{ .name = "memorySize", .type = V_INT, .min = TF_MIN_MEMORY_MB, .max = TF_MAX_MEMORY_MB,
	  .step = TF_MEMORY_STEP_MB, .message = "MemorySize must be 128-10240 MB in 64 MB increments" },
	{ .name = "timeout", .type = V_INT, .min = TF_MIN_TIMEOUT_S, .max = TF_MAX_TIMEOUT_S,
	  .message = "Timeout must be 1-900 seconds" },
	{ .name = "environment", .type = V_STRMAP, .min = 0, .max = TF_MAX_ENV_VARS,
	  .max_bytes = TF_MAX_ENV_BYTES, .check = check_env_key },
	{ .name = "tags", .type = V_STRMAP, .min = 0, .max = TF_MAX_TAGS, .max_bytes = 16 * 1024,
	  .check = check_tag_key },
	ASYNC_FIELDS,
};
VTABLE(platform_function_update_body, platform_update_fields, "{\"memorySize\": 512, \"timeout\": 60}");

/* Answers with the function named in the route, as now stored. */
static int reply_platform(struct req *r, int status, const char *name, bool detail)
{
	struct fn f;

	if (fn_load(r, FN_BY_NAME, name, false, &f) != 0)
		return -1;
	req_reply(r, status, fn_platform_json(r, &f, detail));
	fn_free(&f);
	return 0;
}

/* POST /api/v1/functions — Create Function */
int platform_functions_create(struct req *r)
{
	json_object *body = NULL;
	char id[TF_FN_ID_LEN + 1];
	int rc = -1;

	if (req_json(r, &body) != 0 ||
	    validate(body, platform_create_fields, TF_ARRAY_LEN(platform_create_fields), &r->err) != 0 ||
	    check_handler_for(r, jstr(body, "handler"), jstr(body, "runtime")) != 0)
		goto out;
	struct fn_spec sp = {
		.name = jstr(body, "name"), .description = jstr(body, "description"), .runtime = jstr(body, "runtime"),
		.handler = jstr(body, "handler"), .env = json_field_text(body, "environment"),
		.tags = json_field_text(body, "tags"), .memory_mb = jint(body, "memorySize", TF_DEFAULT_MEMORY_MB),
		.timeout_s = jint(body, "timeout", TF_DEFAULT_TIMEOUT_S), .max_retries = jint(body, "maxRetries", -1),
		.max_event_age_s = jint(body, "maxEventAgeSeconds", 0), .reserved_concurrency = reserved_of(body),
	};
	if (sp.reserved_concurrency == RESERVED_UNCHANGED)
		sp.reserved_concurrency = RESERVED_NONE;
	if (fn_insert(r, &sp, id, NULL, NULL, 0) == 0)
		rc = reply_platform(r, 201, sp.name, false);
out:
	json_object_put(body);
	return rc;
}

#define LIST_DEFAULT_LIMIT 20
#define LIST_MAX_LIMIT 100

/* Reads limit and offset; -1 with details on bad values. */
int page_params(struct req *r, long long *limit, long long *offset)
{
	char v[32];

	*limit = LIST_DEFAULT_LIMIT;
	*offset = 0;
	if (req_query(r, "limit", v, sizeof(v)) && parse_ll(v, 1, LIST_MAX_LIMIT, limit) != 0)
		tf_detail(&r->err, "limit", "must be a whole number from 1 to %d", LIST_MAX_LIMIT);
	if (offset && req_query(r, "offset", v, sizeof(v)) && parse_ll(v, 0, INT32_MAX, offset) != 0)
		tf_detail(&r->err, "offset", "must be a whole number from 0");
	return r->err.details ? -1 : 0;
}

/* The filters of GET /api/v1/functions, bound as parameters of one statement. */
#define LIST_FILTER " FROM functions f LEFT JOIN function_stats s ON s.function_id = f.id" \
	" WHERE f.tenant_id = ? AND f.deleted_at IS NULL AND (? IS NULL OR f.runtime = ?)" \
	" AND (? IS NULL OR JSON_VALUE(f.tags, ?) = ?)"

/* GET /api/v1/functions — List Functions */
int platform_functions_list(struct req *r)
{
	char runtime_q[64], tag_q[600], path[300];
	const char *runtime = NULL, *tag_key = NULL, *tag_value = NULL;
	long long limit, offset;
	struct db_rows *rows = NULL, *count = NULL;

	page_params(r, &limit, &offset);
	if (req_query(r, "runtime", runtime_q, sizeof(runtime_q))) {
		const struct runtime_info *rt = runtime_find(runtime_q);
		if (rt == NULL)
			tf_detail(&r->err, "runtime", "must be one of %s", runtime_list_text());
		else
			runtime = rt->id;
	}
	if (req_query(r, "tag", tag_q, sizeof(tag_q))) {
		char *colon = strchr(tag_q, ':'), why[128];
		if (colon == NULL || colon == tag_q || (*colon = '\0', check_tag_key(tag_q, why, sizeof(why)) != 0) ||
		    strfmt(path, sizeof(path), "$.\"%s\"", tag_q) != 0) {
			tf_detail(&r->err, "tag", "must be key:value with a valid tag key");
		} else {
			tag_key = path;
			tag_value = colon + 1;
		}
	}
	if (r->err.details)
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid query parameters");
	const char *tk = tag_key ? "1" : NULL;
	if (db_query(r->conn->db,
	             "SELECT f.name, f.runtime, f.memory_mb, COALESCE(s.invocations, 0),"
	             " DATE_FORMAT(s.last_invoked_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(f.created_at, '%Y-%m-%dT%H:%i:%sZ')"
	             LIST_FILTER " ORDER BY f.seq LIMIT ? OFFSET ?",
	             DB_ARGS(DB_STR(r->who.tenant), DB_STR(runtime), DB_STR(runtime), DB_STR(tk), DB_STR(tag_key),
	                     DB_STR(tag_value), DB_INT(limit), DB_INT(offset)), &rows) != 0 ||
	    db_query(r->conn->db, "SELECT COUNT(*)" LIST_FILTER,
	             DB_ARGS(DB_STR(r->who.tenant), DB_STR(runtime), DB_STR(runtime), DB_STR(tk), DB_STR(tag_key),
	                     DB_STR(tag_value)), &count) != 0) {
		db_rows_free(rows);
		return req_db_fail(r, "function list");
	}
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		const struct runtime_info *rt = runtime_find(db_val(rows, i, 1));
		json_object *o = json_object_new_object();
		jadd_str(o, "name", db_val(rows, i, 0));
		jadd_str(o, "runtime", rt ? rt->platform_name : db_val(rows, i, 1));
		jadd_int(o, "memorySize", db_ll(rows, i, 2, 0));
		jadd_int(o, "totalInvocations", db_ll(rows, i, 3, 0));
		jadd_str(o, "lastInvokedAt", db_val(rows, i, 4));
		jadd_str(o, "createdAt", db_val(rows, i, 5));
		json_object_array_add(list, o);
	}
	json_object *out = json_object_new_object();
	json_object_object_add(out, "functions", list);
	jadd_int(out, "total", db_ll(count, 0, 0, 0));
	jadd_int(out, "limit", limit);
	jadd_int(out, "offset", offset);
	db_rows_free(rows);
	db_rows_free(count);
	return req_reply(r, 200, out);
}

/* GET /api/v1/functions/{name} — Get Function Details */
int platform_functions_get(struct req *r)
{
	return reply_platform(r, 200, r->params[0], true);
}

/* PUT /api/v1/functions/{name} — Update Function Configuration */
int platform_functions_update(struct req *r)
{
	json_object *body = NULL;
	struct fn f = { 0 };
	int rc = -1;

	if (req_json(r, &body) != 0 ||
	    validate(body, platform_update_fields, TF_ARRAY_LEN(platform_update_fields), &r->err) != 0)
		goto out;
	struct fn_spec sp = {
		.description = jstr(body, "description"), .runtime = jstr(body, "runtime"), .handler = jstr(body, "handler"),
		.env = json_field_text(body, "environment"), .tags = json_field_text(body, "tags"),
		.memory_mb = jint(body, "memorySize", 0), .timeout_s = jint(body, "timeout", 0),
		.max_retries = jint(body, "maxRetries", -1), .max_event_age_s = jint(body, "maxEventAgeSeconds", 0),
		.reserved_concurrency = reserved_of(body),
	};
	if (fn_update(r, FN_BY_NAME, r->params[0], &sp, &f, NULL, NULL, 0) == 0)
		rc = reply_platform(r, 200, f.name, true);
out:
	fn_free(&f);
	json_object_put(body);
	return rc;
}

/* DELETE /api/v1/functions/{name} — Delete Function (soft delete with retention) */
int platform_functions_delete(struct req *r)
{
	struct db *db = r->conn->db;
	struct db_rows *rows = NULL;
	struct fn f = { 0 };
	int rc = -1;

	if (db_begin(db) != 0)
		return req_db_fail(r, "delete begin");
	if (fn_by_name(r, true, &f) != 0)
		goto rollback;
	if (db_query(db, "SELECT COUNT(*) FROM deployments WHERE function_id = ? AND status = 'InProgress'",
	             DB_ARGS(DB_STR(f.id)), &rows) != 0) {
		req_db_fail(r, "deployment check");
		goto rollback;
	}
	if (db_ll(rows, 0, 0, 0) > 0) {
		tf_fail(&r->err, TF_E_CONFLICT, "Function %s has a deployment in progress", f.name);
		goto rollback;
	}
	if (db_exec(db, "UPDATE functions SET deleted_at = NOW(3) WHERE id = ?", DB_ARGS(DB_STR(f.id)), NULL) != 0 ||
	    db_exec(db, "DELETE FROM triggers WHERE function_id = ?", DB_ARGS(DB_STR(f.id)), NULL) != 0 ||
	    db_commit(db) != 0) {
		req_db_fail(r, "function delete");
		goto rollback;
	}
	cache_drop_function(r, f.id);
	rc = req_reply(r, 204, NULL);
	goto out;
rollback:
	db_rollback(db);
out:
	db_rows_free(rows);
	fn_free(&f);
	return rc;
}
