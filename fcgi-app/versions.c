/* Versions: immutable snapshots of a function's draft. A TauFunctions deploy publishes one. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "fn.h"
#include "handlers.h"
#include "jsonx.h"
#include "base64.h"
#include "code.h"
#include "codezip.h"
#include "num.h"
#include "sha256.h"
#include "validate.h"
#include "xalloc.h"
#include <stdlib.h>

/*
 * Publishes the draft as the next version, inside the caller's transaction with
 * the function row locked. As Lambda's PublishVersion, an unchanged draft
 * publishes nothing new: the version already published stays the answer.
 */
static int version_publish(struct req *r, const struct fn *f)
{
	struct db *db = r->conn->db;

	if (f->code_sha256[0] == '\0')
		return tf_fail(&r->err, TF_E_CONFLICT, "Function %s has no code to deploy", f->id);
	if (f->published_version && !f->draft_changed)
		return 0;
	/* A deployment owns the published version while it moves traffic. */
	if (fn_check_no_deployment(r, f) != 0)
		return -1;
	if (db_exec(db,
	            "INSERT INTO versions (function_id, number, code_sha256, code_size, runtime, handler,"
	            " memory_mb, timeout_s, env, description, created_by, created_at)"
	            " SELECT f.id, f.next_version, f.code_sha256, b.size, f.runtime, f.handler, f.memory_mb,"
	            " f.timeout_s, f.env, f.description, ?, NOW(3)"
	            " FROM functions f JOIN code_blobs b ON b.sha256 = f.code_sha256 WHERE f.id = ?",
	            DB_ARGS(DB_STR(r->who.principal), DB_STR(f->id)), NULL) != 0)
		return req_db_fail(r, "version insert");
	if (db_exec(db,
	            "UPDATE functions SET published_version = next_version, next_version = next_version + 1,"
	            " draft_changed = 0, deployed_at = NOW(3) WHERE id = ?",
	            DB_ARGS(DB_STR(f->id)), NULL) != 0)
		return req_db_fail(r, "publish");
	return 0;
}

/* POST /saas/api/v1/sdk/tau/functions/:id/deploy — Functions — Lifecycle */
int tau_functions_deploy(struct req *r)
{
	struct db *db = r->conn->db;
	struct fn f = { 0 };
	json_object *body = NULL;
	int rc = -1;

	/* The deploy takes no body; anything sent must at least be JSON. */
	if (req_json(r, &body) != 0)
		goto out;
	if (db_begin(db) != 0) {
		req_db_fail(r, "deploy begin");
		goto out;
	}
	if (fn_load(r, FN_BY_ID, r->params[0], true, &f) != 0 || version_publish(r, &f) != 0) {
		db_rollback(db);
		goto out;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "deploy commit");
		goto out;
	}
	cache_drop_function(r, f.id);
	fn_free(&f);
	if (fn_load(r, FN_BY_ID, r->params[0], false, &f) != 0)
		goto out;
	json_object *o = json_object_new_object();
	jadd_str(o, "id", f.id);
	jadd_str(o, "status", fn_tau_status(&f));
	jadd_str(o, "deployedAt", f.deployed_at);
	jadd_int(o, "version", f.published_version);
	rc = req_reply(r, 200, o);
out:
	fn_free(&f);
	json_object_put(body);
	return rc;
}

/* The platform API: versions of a function addressed by name. */

static const struct vfield version_fields[] = {
	{ .name = "code", .type = V_STRING, .required = true, .min = 4, .max = TF_MAX_VERSION_BODY,
	  .message = "must be a base64-encoded ZIP file" },
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },
	{ .name = "environment", .type = V_STRMAP, .min = 0, .max = TF_MAX_ENV_VARS,
	  .max_bytes = TF_MAX_ENV_BYTES, .check = check_env_key },
};
VTABLE(version_create_body, version_fields, "{\"code\": \"UEsFBgAAAAAAAAAAAAAAAAAAAAAAAA==\", \"description\": \"first\"}");

/* Decodes and checks the package under its limits; -1 with INVALID_CODE_PACKAGE. */
static int unpack_check(struct req *r, const char *b64, struct buf *zip, uint64_t *unpacked)
{
	if (base64_decode(b64, strlen(b64), TF_MAX_ZIP_BYTES, zip) != 0) {
		tf_detail(&r->err, "code", "must be base64 (RFC 4648) of a ZIP file of at most %ld MB",
		          TF_MAX_ZIP_BYTES / TF_MIB);
		return tf_fail(&r->err, TF_E_INVALID_CODE, "Code is not valid base64 or is too large");
	}
	if (codezip_check(zip->data, zip->len, unpacked, &r->err) != 0) {
		tf_detail(&r->err, "code", "%s", r->err.message);
		return -1;
	}
	return 0;
}

/* The function's environment with the version's overrides on top. */
static char *merged_env(const char *base, json_object *overrides)
{
	char why[64];
	json_object *env = json_parse_text(base, strlen(base), why, sizeof(why));
	if (env == NULL)
		env = json_object_new_object();
	if (overrides) {
		json_object_object_foreach(overrides, k, v)
			json_object_object_add(env, k, json_object_get(v));
	}
	char *text = xstrdup(json_text(env));
	json_object_put(env);
	return text;
}

static json_object *version_json(struct req *r, const struct db_rows *rows, size_t i, bool detail);

#define VERSION_COLUMNS \
	"SELECT v.number, v.code_sha256, v.code_size, v.runtime, v.handler, v.memory_mb, v.timeout_s, v.env," \
	" DATE_FORMAT(v.created_at, '%Y-%m-%dT%H:%i:%sZ'), v.created_by, COALESCE(s.invocations, 0), v.description" \
	" FROM versions v LEFT JOIN version_stats s ON s.function_id = v.function_id AND s.version = v.number"

/* POST /api/v1/functions/{name}/versions — Create Function Version */
int platform_versions_create(struct req *r)
{
	struct db *db = r->conn->db;
	json_object *body = NULL;
	struct db_rows *rows = NULL;
	struct buf zip = BUF_INIT;
	struct fn f = { 0 };
	char sha[65], *env = NULL;
	uint64_t unpacked = 0;
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, version_fields, TF_ARRAY_LEN(version_fields), &r->err) != 0 ||
	    unpack_check(r, jstr(body, "code"), &zip, &unpacked) != 0)
		goto out;
	sha256_hex(zip.data, zip.len, sha);
	if (db_begin(db) != 0) {
		req_db_fail(r, "version begin");
		goto out;
	}
	if (fn_by_name(r, true, &f) != 0 || code_blob_put(r, sha, zip.data, zip.len) != 0)
		goto rollback;
	env = merged_env(f.env, jget(body, "environment"));
	const char *desc = jstr(body, "description");
	/* The number comes from the locked function row: never reused, even after deletes. */
	if (db_exec(db,
	            "INSERT INTO versions (function_id, number, code_sha256, code_size, runtime, handler, memory_mb,"
	            " timeout_s, env, description, created_by, created_at)"
	            " SELECT id, next_version, ?, ?, runtime, handler, memory_mb, timeout_s, ?, ?, ?, NOW(3)"
	            " FROM functions WHERE id = ?",
	            DB_ARGS(DB_STR(sha), DB_INT((long long)zip.len), DB_STR(env), DB_STR(desc ? desc : ""),
	                    DB_STR(r->who.principal), DB_STR(f.id)), NULL) != 0 ||
	    /* The first version is published: a function with one version has nothing else to serve. */
	    db_exec(db,
	            "UPDATE functions SET code_sha256 = ?, next_version = ? + 1,"
	            " published_version = COALESCE(published_version, ?),"
	            " deployed_at = COALESCE(deployed_at, NOW(3)), updated_at = NOW(3) WHERE id = ?",
	            DB_ARGS(DB_STR(sha), DB_INT(f.next_version), DB_INT(f.next_version), DB_STR(f.id)), NULL) != 0) {
		req_db_fail(r, "version insert");
		goto rollback;
	}
	if (db_query(db, VERSION_COLUMNS " WHERE v.function_id = ? AND v.number = ?",
	             DB_ARGS(DB_STR(f.id), DB_INT(f.next_version)), &rows) != 0 || rows->nrows != 1) {
		req_db_fail(r, "version read");
		goto rollback;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "version commit");
		goto out;
	}
	cache_drop_function(r, f.id);
	rc = req_reply(r, 201, version_json(r, rows, 0, false));
	goto out;
rollback:
	db_rollback(db);
out:
	free(env);
	buf_free(&zip);
	db_rows_free(rows);
	fn_free(&f);
	json_object_put(body);
	return rc;
}

static json_object *version_json(struct req *r, const struct db_rows *rows, size_t i, bool detail)
{
	const struct runtime_info *rt = runtime_find(db_val(rows, i, 3));
	long long n = db_ll(rows, i, 0, 0);
	char location[160];
	json_object *o = json_object_new_object();

	jadd_str(o, "functionName", r->params[0]);
	jadd_int(o, "version", n);
	json_object_object_add(o, "versionString", version_string(n));
	jadd_str(o, "codeSha256", db_val(rows, i, 1));
	jadd_int(o, "codeSize", db_ll(rows, i, 2, 0));
	snprintf(location, sizeof(location), "mariadb://code_blobs/%s", db_val(rows, i, 1));
	jadd_str(o, "codeLocation", location);
	jadd_str(o, "runtime", rt ? rt->platform_name : db_val(rows, i, 3));
	if (detail) {
		jadd_str(o, "handler", db_val(rows, i, 4));
		jadd_int(o, "memorySize", db_ll(rows, i, 5, 0));
		jadd_int(o, "timeout", db_ll(rows, i, 6, 0));
		jadd_raw(o, "environment", db_val(rows, i, 7));
		jadd_str(o, "description", db_val(rows, i, 11));
		jadd_int(o, "invocationCount", db_ll(rows, i, 10, 0));
		jadd_str(o, "status", "Active");
	}
	jadd_str(o, "createdAt", db_val(rows, i, 8));
	jadd_str(o, "createdBy", db_val(rows, i, 9));
	return o;
}

/* GET /api/v1/functions/{name}/versions — List Function Versions */
int platform_versions_list(struct req *r)
{
	struct db_rows *rows, *count;

	if (fn_page(r, VERSION_COLUMNS " WHERE v.function_id = ? ORDER BY v.number DESC LIMIT ? OFFSET ?",
	            "SELECT COUNT(*) FROM versions WHERE function_id = ?", "version list", &rows, &count) != 0)
		return -1;
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *v = json_object_new_object();
		long long n = db_ll(rows, i, 0, 0);
		jadd_int(v, "version", n);
		json_object_object_add(v, "versionString", version_string(n));
		jadd_str(v, "codeSha256", db_val(rows, i, 1));
		jadd_int(v, "invocationCount", db_ll(rows, i, 10, 0));
		jadd_str(v, "createdAt", db_val(rows, i, 8));
		json_object_array_add(list, v);
	}
	return fn_page_reply(r, "versions", list, rows, count);
}

/* A {version} route parameter: "6" or "v6". */
static int version_param(struct req *r, const char *s, long long *n)
{
	if ((s[0] == 'v' || s[0] == 'V') && s[1])
		s++;
	if (parse_ll(s, 1, INT32_MAX, n) != 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Version %s not found", r->params[1]);
	return 0;
}

/* GET /api/v1/functions/{name}/versions/{version} — Get Version Details */
int platform_versions_get(struct req *r)
{
	struct db_rows *rows = NULL;
	long long n;
	struct fn f;

	if (version_param(r, r->params[1], &n) != 0 || fn_by_name(r, false, &f) != 0)
		return -1;
	int rc = db_query(r->conn->db, VERSION_COLUMNS " WHERE v.function_id = ? AND v.number = ?",
	                  DB_ARGS(DB_STR(f.id), DB_INT(n)), &rows);
	fn_free(&f);
	if (rc != 0)
		return req_db_fail(r, "version get");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Version %lld of %s not found", n, r->params[0]);
	}
	req_reply(r, 200, version_json(r, rows, 0, true));
	db_rows_free(rows);
	return 0;
}

/* DELETE /api/v1/functions/{name}/versions/{version} — Delete Version */
int platform_versions_delete(struct req *r)
{
	struct db *db = r->conn->db;
	struct db_rows *rows = NULL;
	char path[32];
	long long n;
	struct fn f = { 0 };
	int rc = -1;

	if (version_param(r, r->params[1], &n) != 0)
		return -1;
	snprintf(path, sizeof(path), "$.\"%lld\"", n);
	if (db_begin(db) != 0)
		return req_db_fail(r, "version delete begin");
	if (fn_by_name(r, true, &f) != 0)
		goto rollback;
	/* What still refers to it: the published version, an alias or its routing, a deployment. */
	if (db_query(db,
	             "SELECT (SELECT COUNT(*) FROM versions WHERE function_id = ? AND number = ?),"
	             " (SELECT COUNT(*) FROM aliases WHERE function_id = ? AND (version = ? OR JSON_CONTAINS_PATH(COALESCE(routing, '{}'), 'one', ?))),"
	             " (SELECT COUNT(*) FROM deployments WHERE function_id = ? AND status = 'InProgress' AND (target_version = ? OR source_version = ?))",
	             DB_ARGS(DB_STR(f.id), DB_INT(n), DB_STR(f.id), DB_INT(n), DB_STR(path), DB_STR(f.id), DB_INT(n),
	                     DB_INT(n)), &rows) != 0) {
		req_db_fail(r, "version references");
		goto rollback;
	}
	if (db_ll(rows, 0, 0, 0) == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Version %lld of %s not found", n, f.name);
		goto rollback;
	}
	if (n == f.published_version || db_ll(rows, 0, 1, 0) > 0 || db_ll(rows, 0, 2, 0) > 0) {
		tf_fail(&r->err, TF_E_CONFLICT, "Version %lld is %s", n,
		        n == f.published_version ? "the published version" :
		        db_ll(rows, 0, 1, 0) > 0 ? "used by an alias" : "part of a deployment in progress");
		goto rollback;
	}
	if (db_exec(db, "DELETE FROM versions WHERE function_id = ? AND number = ?", DB_ARGS(DB_STR(f.id), DB_INT(n)), NULL) != 0 ||
	    db_commit(db) != 0) {
		req_db_fail(r, "version delete");
		goto rollback;
	}
	rc = req_reply(r, 204, NULL);
	goto out;
rollback:
	db_rollback(db);
out:
	db_rows_free(rows);
	fn_free(&f);
	return rc;
}
