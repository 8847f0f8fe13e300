/* Functions: create, list, get, update and delete, TauFunctions surface (by fn_ id). */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "code.h"
#include "fn.h"
#include "handler.h"
#include "handlers.h"
#include "ids.h"
#include "jsonx.h"
#include "runtime.h"
#include "tenant.h"
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
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },                          \
	{ .name = "envVars", .type = V_STRMAP, .min = 0, .max = TF_MAX_ENV_VARS,                    \
	  .max_bytes = TF_MAX_ENV_BYTES, .check = check_env_key },                                   \
	{ .name = "timeout", .type = V_INT, .min = TF_MIN_TIMEOUT_S, .max = TF_MAX_TIMEOUT_S,       \
	  .message = "must be 1-900 seconds" },                                                      \
	{ .name = "memoryMB", .type = V_INT, .min = TF_MIN_MEMORY_MB, .max = TF_MAX_MEMORY_MB,      \
	  .step = TF_MEMORY_STEP_MB, .message = MEMORY_MESSAGE }

static const struct vfield create_fields[] = { TAU_FIELDS(true) };
static const struct vfield update_fields[] = { TAU_FIELDS(false) };

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

static const char *env_text(json_object *body)
{
	json_object *env = jget(body, "envVars");
	return env ? json_text(env) : "{}";
}

/* Answers with the function as now stored. */
static int reply_fn(struct req *r, int status, const char *id, bool with_code)
{
	struct fn f;

	if (fn_load(r, FN_BY_ID, id, false, &f) != 0)
		return -1;
	req_reply(r, status, fn_tau_json(&f, with_code));
	fn_free(&f);
	return 0;
}

/* POST /saas/api/v1/sdk/tau/functions — Functions — CRUD */
int tau_functions_create(struct req *r)
{
	const struct plan_limits *limits;
	struct db *db = r->conn->db;
	json_object *body = NULL;
	char id[TF_FN_ID_LEN + 1], sha[65];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, create_fields, TF_ARRAY_LEN(create_fields), &r->err) != 0)
		goto out;
	const struct runtime_info *rt = runtime_find(jstr(body, "runtime"));
	const char *handler = jstr(body, "handler"), *code = jstr(body, "code");
	if (check_handler_for(r, handler, rt->id) != 0)
		goto out;
	if (db_begin(db) != 0) {
		req_db_fail(r, "create begin");
		goto out;
	}
	if (tenant_has_room(r, PLAN_FUNCTIONS, &limits) != 0)
		goto rollback;
	if (code_store_inline(r, handler, rt->lang, code, sha) != 0)
		goto rollback;
	random_id(id, sizeof(id), "fn_", TF_FN_ID_LEN - 3);
	const char *trigger = jstr(body, "trigger"), *desc = jstr(body, "description");
	if (db_exec(db,
	            "INSERT INTO functions (id, tenant_id, name, description, runtime, handler, memory_mb,"
	            " timeout_s, env, tags, trigger_type, code, code_sha256, owner_id, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(r->who.tenant), DB_STR(jstr(body, "name")),
	                    DB_STR(desc ? desc : ""), DB_STR(rt->id), DB_STR(handler),
	                    DB_INT(jint(body, "memoryMB", TF_DEFAULT_MEMORY_MB)),
	                    DB_INT(jint(body, "timeout", TF_DEFAULT_TIMEOUT_S)), DB_STR(env_text(body)),
	                    DB_STR(trigger ? trigger : "http"), DB_STR(code), DB_STR(sha),
	                    DB_STR(r->who.principal)), NULL) != 0) {
		if (db_is_duplicate(db)) {
			tf_detail(&r->err, "name", "is already used by another function");
			tf_fail(&r->err, TF_E_CONFLICT, "Function %s already exists", jstr(body, "name"));
		} else {
			req_db_fail(r, "function insert");
		}
		goto rollback;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "create commit");
		goto out;
	}
	rc = reply_fn(r, 201, id, false);
	goto out;
rollback:
	db_rollback(db);
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
	return reply_fn(r, 200, r->params[0], true);
}

/* PUT /saas/api/v1/sdk/tau/functions/:id — Functions — CRUD */
int tau_functions_update(struct req *r)
{
	struct db *db = r->conn->db;
	json_object *body = NULL;
	struct fn f = { 0 };
	char sha[65];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, update_fields, TF_ARRAY_LEN(update_fields), &r->err) != 0)
		goto out;
	if (db_begin(db) != 0) {
		req_db_fail(r, "update begin");
		goto out;
	}
	if (fn_load(r, FN_BY_ID, r->params[0], true, &f) != 0)
		goto rollback;
	const struct runtime_info *rt = runtime_find(jstr(body, "runtime") ? jstr(body, "runtime") : f.runtime);
	const char *handler = jstr(body, "handler") ? jstr(body, "handler") : f.handler;
	const char *code = jstr(body, "code") ? jstr(body, "code") : f.code;
	if (rt == NULL || check_handler_for(r, handler, rt->id) != 0) {
		if (rt == NULL)
			tf_fail(&r->err, TF_E_INTERNAL, "Stored runtime %s is unknown", f.runtime);
		goto rollback;
	}
	snprintf(sha, sizeof(sha), "%s", f.code_sha256);
	/* The package names its file after the handler, so either change repacks it. */
	bool repack = jget(body, "code") || jget(body, "handler") || jget(body, "runtime");
	if (repack && code && code_store_inline(r, handler, rt->lang, code, sha) != 0)
		goto rollback;
	const char *name = jstr(body, "name") ? jstr(body, "name") : f.name;
	const char *desc = jstr(body, "description") ? jstr(body, "description") : f.description;
	const char *trigger = jstr(body, "trigger") ? jstr(body, "trigger") : f.trigger;
	const char *env = jget(body, "envVars") ? json_text(jget(body, "envVars")) : f.env;
	if (db_exec(db,
	            "UPDATE functions SET name = ?, description = ?, runtime = ?, handler = ?, memory_mb = ?,"
	            " timeout_s = ?, env = ?, trigger_type = ?, code = ?, code_sha256 = ?,"
	            " draft_changed = (published_version IS NOT NULL), updated_at = NOW(3) WHERE id = ?",
	            DB_ARGS(DB_STR(name), DB_STR(desc), DB_STR(rt->id), DB_STR(handler),
	                    DB_INT(jint(body, "memoryMB", f.memory_mb)), DB_INT(jint(body, "timeout", f.timeout_s)),
	                    DB_STR(env), DB_STR(trigger), DB_STR(code), DB_STR(sha), DB_STR(f.id)), NULL) != 0) {
		if (db_is_duplicate(db)) {
			tf_detail(&r->err, "name", "is already used by another function");
			tf_fail(&r->err, TF_E_CONFLICT, "Function %s already exists", name);
		} else {
			req_db_fail(r, "function update");
		}
		goto rollback;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "update commit");
		goto out;
	}
	rc = reply_fn(r, 200, f.id, false);
	goto out;
rollback:
	db_rollback(db);
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
	json_object *out = json_object_new_object();
	jadd_bool(out, "deleted", true);
	jadd_str(out, "id", r->params[0]);
	return req_reply(r, 200, out);
}
