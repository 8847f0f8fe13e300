/*
 * Invocations addressed by request id: an asynchronous caller's view of its
 * fire-and-forget calls, the dead letters, and re-driving them (beyond the reference).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "asyncq.h"
#include "fn.h"
#include "handlers.h"
#include "jsonx.h"
#include "log.h"

/* GET /api/v1/functions/{name}/invocations/{requestId} — an invocation's outcome (beyond the reference) */
int platform_invocation_get(struct req *r)
{
	struct db_rows *rows = NULL;
	struct fn f;

	if (fn_by_name(r, false, &f) != 0)
		return -1;
	int rc = db_query(r->conn->db,
	                  "SELECT status, invocation_type, version, alias, attempts, error_type, error_message, result,"
	                  " DATE_FORMAT(queued_at, '%Y-%m-%dT%H:%i:%s.%f'), DATE_FORMAT(started_at, '%Y-%m-%dT%H:%i:%s.%f'),"
	                  " DATE_FORMAT(finished_at, '%Y-%m-%dT%H:%i:%s.%f'), duration_ms, billed_ms, memory_used_mb, cold_start"
	                  " FROM invocations WHERE request_id = ? AND function_id = ?",
	                  DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &rows);
	if (rc != 0) {
		fn_free(&f);
		return req_db_fail(r, "invocation");
	}
	if (rows->nrows == 0) {
		db_rows_free(rows);
		rc = tf_fail(&r->err, TF_E_NOT_FOUND, "Invocation %s of %s not found", r->params[1], f.name);
		fn_free(&f);
		return rc;
	}
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", r->params[1]);
	jadd_str(o, "functionName", f.name);
	jadd_str(o, "status", db_val(rows, 0, 0));
	jadd_str(o, "invocationType", db_val(rows, 0, 1));
	jadd_int(o, "version", db_ll(rows, 0, 2, 0));
	jadd_str(o, "alias", db_val(rows, 0, 3));
	jadd_int(o, "attempts", db_ll(rows, 0, 4, 0));
	const char *times[] = { "queuedAt", "startedAt", "finishedAt" };
	bool started = db_ll(rows, 0, 4, 0) > 0;  /* a queued row's started_at is only a placeholder */
	for (int i = 0; i < 3; i++) {
		char ts[40];
		const char *v = i == 1 && !started ? NULL : db_val(rows, 0, 8 + (size_t)i);
		snprintf(ts, sizeof(ts), "%.23sZ", v ? v : "");
		jadd_str(o, times[i], v ? ts : NULL);
	}
	bool finished = db_val(rows, 0, 10) != NULL;
	if (finished) {
		json_object_object_add(o, "executionTime", json_object_new_int64((long long)db_double(rows, 0, 11, 0)));
		jadd_int(o, "billedDuration", db_ll(rows, 0, 12, 0));
		jadd_int(o, "memoryUsed", db_ll(rows, 0, 13, 0));
		jadd_bool(o, "wasColdStart", db_ll(rows, 0, 14, 0) == 1);
	}
	jadd_raw(o, "result", db_val(rows, 0, 7));
	if (db_val(rows, 0, 5)) {
		json_object *e = json_object_new_object();
		jadd_str(e, "errorType", db_val(rows, 0, 5));
		jadd_str(e, "errorMessage", db_val(rows, 0, 6));
		json_object_object_add(o, "error", e);
	} else {
		json_object_object_add(o, "error", NULL);
	}
	db_rows_free(rows);
	fn_free(&f);
	return req_reply(r, 200, o);
}

/* GET /api/v1/functions/{name}/dead-letters — asynchronous invocations that failed every try */
int platform_dead_letters(struct req *r)
{
	struct db_rows *rows, *count;

	if (fn_page(r,
	            "SELECT request_id, attempts, error_type, error_message, DATE_FORMAT(queued_at, '%Y-%m-%dT%H:%i:%sZ'),"
	            " DATE_FORMAT(finished_at, '%Y-%m-%dT%H:%i:%sZ'), JSON_EXTRACT(job, '$.payload'), version"
	            " FROM invocations WHERE function_id = ? AND status = 'DeadLettered'"
	            " ORDER BY finished_at DESC LIMIT ? OFFSET ?",
	            "SELECT COUNT(*) FROM invocations WHERE function_id = ? AND status = 'DeadLettered'", "dead letters",
	            &rows, &count) != 0)
		return -1;
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *d = json_object_new_object();
		jadd_str(d, "requestId", db_val(rows, i, 0));
		jadd_int(d, "attempts", db_ll(rows, i, 1, 0));
		json_object *e = json_object_new_object();
		jadd_str(e, "errorType", db_val(rows, i, 2));
		jadd_str(e, "errorMessage", db_val(rows, i, 3));
		json_object_object_add(d, "error", e);
		jadd_str(d, "queuedAt", db_val(rows, i, 4));
		jadd_str(d, "deadLetteredAt", db_val(rows, i, 5));
		jadd_raw(d, "payload", db_val(rows, i, 6));
		jadd_int(d, "version", db_ll(rows, i, 7, 0));
		json_object_array_add(list, d);
	}
	return fn_page_reply(r, "deadLetters", list, rows, count);
}

/* POST /api/v1/functions/{name}/invocations/{requestId}/redrive — a dead letter tried again */
int platform_redrive(struct req *r)
{
	struct db_rows *rows = NULL;
	uint64_t n = 0;
	struct fn f;
	int rc = -1;

	if (fn_by_name(r, false, &f) != 0)
		return -1;
	/* Back to Queued with its tries counted afresh; the row keeps its job and payload. */
	if (db_exec(r->conn->db,
	            "UPDATE invocations SET status = 'Queued', attempts = 0, next_attempt_at = NULL, queued_at = NOW(3),"
	            " finished_at = NULL, error_type = NULL, error_message = NULL, result = NULL WHERE request_id = ? AND function_id = ? AND status = 'DeadLettered'",
	            DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &n) != 0 ||
	    db_query(r->conn->db, "SELECT status, job FROM invocations WHERE request_id = ? AND function_id = ?",
	             DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &rows) != 0) {
		req_db_fail(r, "redrive");
		goto out;
	}
	if (rows->nrows == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Invocation %s of %s not found", r->params[1], f.name);
		goto out;
	}
	if (n == 0) {
		tf_fail(&r->err, TF_E_CONFLICT, "Invocation %s is %s, not DeadLettered", r->params[1], db_val(rows, 0, 0));
		goto out;
	}
	freeReplyObject(rds_cmd(r->conn->rds, "HINCRBY %s %s 1", TF_KEY_ASYNC_DEPTH, f.id));
	freeReplyObject(rds_cmd(r->conn->rds, "HINCRBY %s * 1", TF_KEY_ASYNC_DEPTH));
	/* Committed as Queued: if the stream misses it, the leader's sweep does not. */
	if (db_val(rows, 0, 1) && async_enqueue(r->conn->rds, r->params[1], db_val(rows, 0, 1)) != 0)
		log_fields(TFLOG_WARN, "redriven job left to the sweep", "requestId", r->params[1], NULL);
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", r->params[1]);
	jadd_str(o, "status", "Queued");
	rc = req_reply(r, 202, o);
out:
	db_rows_free(rows);
	fn_free(&f);
	return rc;
}
