/* Versions: immutable snapshots of a function's draft. A TauFunctions deploy publishes one. */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "fn.h"
#include "handlers.h"
#include "jsonx.h"

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
