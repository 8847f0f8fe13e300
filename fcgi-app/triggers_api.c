/* The Triggers API of the platform reference, and (beyond it) listing and reading triggers. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "fn.h"
#include "ids.h"
#include "handlers.h"
#include "jsonx.h"
#include "triggers.h"
#include "validate.h"

static int check_type(const char *s, char *why, size_t whysz)
{
	enum trigger_type t;
	if (trigger_type_parse(s, &t) == 0)
		return 0;
	snprintf(why, whysz, "must be Http, Scheduled, Event, Webhook or Manual");
	return -1;
}

static const struct vfield create_fields[] = {
	{ .name = "type", .type = V_STRING, .required = true, .min = 1, .max = 16, .check = check_type },
	{ .name = "targetVersion", .type = V_ANY },
	{ .name = "config", .type = V_OBJECT },
};
VTABLE(trigger_create_body, create_fields,
       "{\"type\": \"Http\", \"config\": {\"httpPath\": \"/process\", \"httpMethods\": [\"POST\"], \"corsEnabled\": true}}");

/* POST /api/v1/functions/{name}/triggers — Create Trigger */
int platform_triggers_create(struct req *r)
{
	json_object *body = NULL, *empty = json_object_new_object();
	struct db *db = r->conn->db;
	struct fn f = { 0 };
	char id[TF_TRIGGER_ID_LEN + 1], secret[TF_HOOK_SECRET_LEN + 16] = "";
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, create_fields, TF_ARRAY_LEN(create_fields), &r->err) != 0)
		goto out;
	struct trigger_spec sp = { .target = jget(body, "targetVersion"), .config = jget(body, "config") };
	trigger_type_parse(jstr(body, "type"), &sp.type);
	if (sp.config == NULL)
		sp.config = empty;
	if (db_begin(db) != 0) {
		req_db_fail(r, "trigger begin");
		goto out;
	}
	if (fn_by_name(r, true, &f) != 0 || trigger_add(r, &f, &sp, id, secret, sizeof(secret)) != 0) {
		db_rollback(db);
		goto out;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "trigger commit");
		goto out;
	}
	cache_drop_function(r, f.id);  /* routes are cached with their function */
	rc = trigger_reply(r, 201, &f, id, secret);
out:
	explicit_bzero(secret, sizeof(secret));
	fn_free(&f);
	json_object_put(empty);
	json_object_put(body);
	return rc;
}

/* GET /api/v1/functions/{name}/triggers — Triggers (beyond the reference) */
int platform_triggers_list(struct req *r)
{
	struct fn f = { 0 };
	json_object *list = NULL;
	int rc = -1;

	if (fn_by_name(r, false, &f) == 0 && trigger_list_json(r, &f, &list) == 0) {
		json_object *o = json_object_new_object();
		jadd_str(o, "functionName", f.name);
		jadd_int(o, "total", (long long)json_object_array_length(list));
		json_object_object_add(o, "triggers", list);
		rc = req_reply(r, 200, o);
	}
	fn_free(&f);
	return rc;
}

/* GET /api/v1/functions/{name}/triggers/{id} — Triggers (beyond the reference) */
int platform_triggers_get(struct req *r)
{
	struct fn f = { 0 };
	int rc = fn_by_name(r, false, &f) == 0 ? trigger_reply(r, 200, &f, r->params[1], NULL) : -1;
	fn_free(&f);
	return rc;
}

/* Sets a trigger's enabled flag and answers {triggerId, isEnabled, updatedAt}. */
static int set_enabled(struct req *r, bool enabled)
{
	struct fn f = { 0 };
	struct db_rows *rows = NULL;
	uint64_t n = 0;
	int rc = -1;

	if (fn_by_name(r, false, &f) != 0)
		goto out;
	/* A schedule enabled again starts from now: the leader computes its next tick. */
	if (db_exec(r->conn->db,
	            "UPDATE triggers SET enabled = ?, next_fire_at = IF(?, next_fire_at, NULL), updated_at = NOW(3)"
	            " WHERE id = ? AND function_id = ?",
	            DB_ARGS(DB_INT(enabled), DB_INT(enabled), DB_STR(r->params[1]), DB_STR(f.id)), &n) != 0) {
		req_db_fail(r, "trigger enable");
		goto out;
	}
	if (db_query(r->conn->db,
	             "SELECT enabled, DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ') FROM triggers WHERE id = ? AND function_id = ?",
	             DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &rows) != 0) {
		req_db_fail(r, "trigger read");
		goto out;
	}
	if (rows->nrows == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Trigger %s of %s not found", r->params[1], f.name);
		goto out;
	}
	cache_drop_function(r, f.id);  /* a disabled route answers 404 at once, in every tf-api */
	json_object *o = json_object_new_object();
	jadd_str(o, "triggerId", r->params[1]);
	jadd_bool(o, "isEnabled", db_ll(rows, 0, 0, 0) == 1);
	jadd_str(o, "updatedAt", db_val(rows, 0, 1));
	rc = req_reply(r, 200, o);
out:
	db_rows_free(rows);
	fn_free(&f);
	return rc;
}

/* PUT /api/v1/functions/{name}/triggers/{id}/enable — Enable/Disable Trigger */
int platform_triggers_enable(struct req *r)
{
	return set_enabled(r, true);
}

/* PUT /api/v1/functions/{name}/triggers/{id}/disable — Enable/Disable Trigger */
int platform_triggers_disable(struct req *r)
{
	return set_enabled(r, false);
}

/* DELETE /api/v1/functions/{name}/triggers/{id} — Delete Trigger */
int platform_triggers_delete(struct req *r)
{
	struct fn f = { 0 };
	uint64_t n = 0;
	int rc = -1;

	if (fn_by_name(r, false, &f) != 0)
		goto out;
	if (db_exec(r->conn->db, "DELETE FROM triggers WHERE id = ? AND function_id = ?",
	            DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &n) != 0) {
		req_db_fail(r, "trigger delete");
		goto out;
	}
	if (n == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Trigger %s of %s not found", r->params[1], f.name);
		goto out;
	}
	cache_drop_function(r, f.id);
	rc = req_reply(r, 204, NULL);
out:
	fn_free(&f);
	return rc;
}

/*
 * POST /api/v1/functions/{name}/triggers/{id}/secret — a Webhook trigger's new
 * secret (beyond the reference), shown once like the first: the old one stops
 * signing at once.
 */
int platform_triggers_rotate_secret(struct req *r)
{
	struct fn f = { 0 };
	char secret[TF_HOOK_SECRET_LEN + 16];
	uint64_t n = 0;
	int rc = -1;

	random_token(secret, sizeof(secret), "whsec_", TF_HOOK_SECRET_LEN);
	if (fn_by_name(r, false, &f) != 0)
		goto out;
	if (db_exec(r->conn->db,
	            "UPDATE triggers SET hook_secret = ?, updated_at = NOW(3) WHERE id = ? AND function_id = ? AND type = 'Webhook'",
	            DB_ARGS(DB_STR(secret), DB_STR(r->params[1]), DB_STR(f.id)), &n) != 0) {
		req_db_fail(r, "trigger secret");
		goto out;
	}
	if (n == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Webhook trigger %s of %s not found", r->params[1], f.name);
		goto out;
	}
	rc = trigger_reply(r, 200, &f, r->params[1], secret);
out:
	explicit_bzero(secret, sizeof(secret));
	fn_free(&f);
	return rc;
}
