/*
 * Aliases: a name for a version of a function, optionally splitting invocations
 * between versions by weight (routingConfig), as a canary does.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "aliases.h"
#include "api.h"
#include "deploy.h"
#include "fn.h"
#include "handlers.h"
#include "ids.h"
#include "jsonx.h"
#include "num.h"
#include "routing.h"
#include "validate.h"

static int check_alias_name(const char *s, char *why, size_t whysz)
{
	bool ok = isalpha((unsigned char)s[0]);
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || *p == '-' || *p == '_';
	if (!ok)
		snprintf(why, whysz, "must be 1-64 letters, digits, '-' or '_', starting with a letter");
	return ok ? 0 : -1;
}

static const struct vfield create_fields[] = {
	{ .name = "aliasName", .type = V_STRING, .required = true, .min = 1, .max = 64, .check = check_alias_name },
	{ .name = "version", .type = V_INT, .required = true, .min = 1, .max = INT32_MAX },
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },
};
VTABLE(alias_create_body, create_fields, "{\"aliasName\": \"production\", \"version\": 1}");

static const struct vfield update_fields[] = {
	{ .name = "version", .type = V_INT, .min = 1, .max = INT32_MAX },
	{ .name = "routingConfig", .type = V_OBJECT },
	{ .name = "description", .type = V_STRING, .min = 0, .max = 256 },
};
VTABLE(alias_update_body, update_fields, "{\"version\": 2, \"routingConfig\": {\"1\": 90, \"2\": 10}}");

#define MAX_ROUTES 16

/* Whether version n of the function exists. */
static int version_exists(struct req *r, const char *fn_id, long long n, bool *exists)
{
	struct db_rows *rows = NULL;
	if (db_query(r->conn->db, "SELECT 1 FROM versions WHERE function_id = ? AND number = ?",
	             DB_ARGS(DB_STR(fn_id), DB_INT(n)), &rows) != 0)
		return req_db_fail(r, "version lookup");
	*exists = rows->nrows > 0;
	db_rows_free(rows);
	return 0;
}

/*
 * routingConfig: {"<version>": weight, ...}, every version existing, weights
 * whole numbers 0-100 summing to exactly 100. An empty object clears routing.
 */
static int check_routing(struct req *r, const char *fn_id, json_object *rc)
{
	long long sum = 0;
	int n = 0;

	json_object_object_foreach(rc, k, v) {
		long long ver;
		bool exists = false;
		if (++n > MAX_ROUTES) {
			tf_detail(&r->err, "routingConfig", "may name at most %d versions", MAX_ROUTES);
			break;
		}
		if (parse_ll(k, 1, INT32_MAX, &ver) != 0) {
			tf_detail(&r->err, "routingConfig", "keys must be version numbers (\"%.32s\" is not)", k);
			continue;
		}
		if (!json_object_is_type(v, json_type_int) || json_object_get_int64(v) < 0 || json_object_get_int64(v) > 100) {
			tf_detail(&r->err, "routingConfig", "weight of version %lld must be a whole number from 0 to 100", ver);
			continue;
		}
		sum += json_object_get_int64(v);
		if (version_exists(r, fn_id, ver, &exists) != 0)
			return -1;
		if (!exists)
			tf_detail(&r->err, "routingConfig", "version %lld does not exist", ver);
	}
	if (n > 0 && sum != 100)
		tf_detail(&r->err, "routingConfig", "weights must sum to 100, not %lld", sum);
	return r->err.details ? tf_fail(&r->err, TF_E_VALIDATION, "Invalid routing configuration") : 0;
}

#define ALIAS_COLUMNS \
	"SELECT name, version, routing, description, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')," \
	" DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ') FROM aliases"

static json_object *alias_json(struct req *r, const struct db_rows *rows, bool created_only)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "functionName", r->params[0]);
	jadd_str(o, "aliasName", db_val(rows, 0, 0));
	jadd_int(o, "version", db_ll(rows, 0, 1, 0));
	if (!created_only)
		json_object_object_add(o, "routingConfig", json_object_new_object());
	if (!created_only && db_val(rows, 0, 2))
		jadd_raw(o, "routingConfig", db_val(rows, 0, 2));
	jadd_str(o, "description", db_val(rows, 0, 3));
	jadd_str(o, "createdAt", db_val(rows, 0, 4));
	if (!created_only)
		jadd_str(o, "updatedAt", db_val(rows, 0, 5));
	return o;
}

static int reply_alias(struct req *r, int status, const char *fn_id, const char *name, bool created_only)
{
	struct db_rows *rows = NULL;
	if (db_query(r->conn->db, ALIAS_COLUMNS " WHERE function_id = ? AND name = ?",
	             DB_ARGS(DB_STR(fn_id), DB_STR(name)), &rows) != 0)
		return req_db_fail(r, "alias read");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Alias %s of %s not found", name, r->params[0]);
	}
	req_reply(r, status, alias_json(r, rows, created_only));
	db_rows_free(rows);
	return 0;
}

/* POST /api/v1/functions/{name}/aliases — Create Alias */
int platform_aliases_create(struct req *r)
{
	json_object *body = NULL;
	struct fn f = { 0 };
	bool exists = false;
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, create_fields, TF_ARRAY_LEN(create_fields), &r->err) != 0 ||
	    fn_by_name(r, false, &f) != 0 || version_exists(r, f.id, jint(body, "version", 0), &exists) != 0)
		goto out;
	if (!exists) {
		tf_detail(&r->err, "version", "version %lld does not exist", jint(body, "version", 0));
		tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
		goto out;
	}
	const char *desc = jstr(body, "description");
	if (db_exec(r->conn->db,
	            "INSERT INTO aliases (function_id, name, version, description, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(f.id), DB_STR(jstr(body, "aliasName")), DB_INT(jint(body, "version", 0)),
	                    DB_STR(desc ? desc : "")), NULL) != 0) {
		if (db_is_duplicate(r->conn->db))
			tf_fail(&r->err, TF_E_CONFLICT, "Alias %s already exists", jstr(body, "aliasName"));
		else
			req_db_fail(r, "alias insert");
		goto out;
	}
	rc = reply_alias(r, 201, f.id, jstr(body, "aliasName"), true);
out:
	fn_free(&f);
	json_object_put(body);
	return rc;
}

/* GET /api/v1/functions/{name}/aliases/{alias} — Get Alias Details */
int platform_aliases_get(struct req *r)
{
	struct fn f;

	if (fn_by_name(r, false, &f) != 0)
		return -1;
	int rc = reply_alias(r, 200, f.id, r->params[1], false);
	fn_free(&f);
	return rc;
}

/* An alias a deployment in progress moves (or tests green on) is the deployment's until it ends: 409. */
static int alias_free(struct req *r, const char *fn_id, const char *alias)
{
	int held = deploy_holds_alias(r->conn->db, fn_id, alias);
	if (held < 0)
		return req_db_fail(r, "alias deployment check");
	return held ? tf_fail(&r->err, TF_E_CONFLICT, "Alias %s is moved by a deployment in progress: wait for it or roll it back",
	                      alias)
	            : 0;
}

/* PUT /api/v1/functions/{name}/aliases/{alias} — Update Alias */
int platform_aliases_update(struct req *r)
{
	json_object *body = NULL;
	struct fn f = { 0 };
	uint64_t n = 0;
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, update_fields, TF_ARRAY_LEN(update_fields), &r->err) != 0 ||
	    fn_by_name(r, false, &f) != 0)
		goto out;
	if (alias_free(r, f.id, r->params[1]) != 0)
		goto out;
	json_object *routing = jget(body, "routingConfig");
	if (routing && check_routing(r, f.id, routing) != 0)
		goto out;
	if (jget(body, "version")) {
		bool exists = false;
		if (version_exists(r, f.id, jint(body, "version", 0), &exists) != 0)
			goto out;
		if (!exists) {
			tf_detail(&r->err, "version", "version %lld does not exist", jint(body, "version", 0));
			tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
			goto out;
		}
	}
	/* routingConfig replaces the routing when sent; {} (or null) clears it. */
	const char *routing_text = routing && json_object_object_length(routing) > 0 ? json_text(routing) : NULL;
	if (db_exec(r->conn->db,
	            "UPDATE aliases SET version = COALESCE(?, version), routing = IF(?, ?, routing),"
	            " description = COALESCE(?, description), updated_at = NOW(3) WHERE function_id = ? AND name = ?",
	            DB_ARGS(jget(body, "version") ? DB_INT(jint(body, "version", 0)) : DB_NULL,
	                    DB_INT(json_object_object_get_ex(body, "routingConfig", NULL)),
	                    DB_STR(routing_text), DB_STR(jstr(body, "description")), DB_STR(f.id), DB_STR(r->params[1])),
	            &n) != 0) {
		req_db_fail(r, "alias update");
		goto out;
	}
	rc = reply_alias(r, 200, f.id, r->params[1], false);
out:
	fn_free(&f);
	json_object_put(body);
	return rc;
}

/* DELETE /api/v1/functions/{name}/aliases/{alias} — Delete Alias */
int platform_aliases_delete(struct req *r)
{
	struct fn f;
	uint64_t n = 0;

	if (fn_by_name(r, false, &f) != 0)
		return -1;
	if (alias_free(r, f.id, r->params[1]) != 0) {
		fn_free(&f);
		return -1;
	}
	int rc = db_exec(r->conn->db, "DELETE FROM aliases WHERE function_id = ? AND name = ?",
	                 DB_ARGS(DB_STR(f.id), DB_STR(r->params[1])), &n);
	fn_free(&f);
	if (rc != 0)
		return req_db_fail(r, "alias delete");
	if (n == 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Alias %s of %s not found", r->params[1], r->params[0]);
	return req_reply(r, 204, NULL);
}

int alias_pick_version(struct req *r, const char *fn_id, const char *alias, long long *version)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, "SELECT version, routing FROM aliases WHERE function_id = ? AND name = ?",
	             DB_ARGS(DB_STR(fn_id), DB_STR(alias)), &rows) != 0)
		return req_db_fail(r, "alias lookup");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Alias %s not found", alias);
	}
	*version = routing_pick(db_val(rows, 0, 1), db_ll(rows, 0, 0, 0));
	db_rows_free(rows);
	return 0;
}
