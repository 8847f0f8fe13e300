/* Function logs: what handlers wrote to stdout and stderr, line by line. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "fn.h"
#include "handlers.h"
#include "jsonx.h"
#include "num.h"
#include "timefmt.h"

#define LOGS_DEFAULT_LIMIT 50
#define LOGS_MAX_LIMIT 1000

/* "2026-05-22 10:00:00.123" for comparing with a DATETIME(3) column. */
static void sql_time(int64_t ms, char *out, size_t n)
{
	char iso[40];
	iso8601_ms(ms, iso, sizeof(iso));
	iso[10] = ' ';
	snprintf(out, n, "%.23s", iso);
}

/* GET /saas/api/v1/sdk/tau/functions/:id/logs — Functions — Lifecycle */
int tau_functions_logs(struct req *r)
{
	char qv[64], since_sql[32];
	long long limit = LOGS_DEFAULT_LIMIT;
	int64_t since = 0;
	struct db_rows *rows = NULL;
	struct fn f;

	if (req_query(r, "limit", qv, sizeof(qv)) && parse_ll(qv, 1, LOGS_MAX_LIMIT, &limit) != 0)
		tf_detail(&r->err, "limit", "must be a whole number from 1 to %d", LOGS_MAX_LIMIT);
	if (req_query(r, "since", qv, sizeof(qv)) && iso8601_parse(qv, &since) != 0)
		tf_detail(&r->err, "since", "must be an ISO 8601 time such as 2026-05-22T00:00:00Z");
	if (r->err.details)
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid query parameters");
	if (fn_load(r, FN_BY_ID, r->params[0], false, &f) != 0)
		return -1;
	sql_time(since, since_sql, sizeof(since_sql));
	/* The newest lines within the limit, shown oldest first. */
	int rc = db_query(r->conn->db,
	                  "SELECT DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f'), level, message, request_id"
	                  " FROM invocation_logs WHERE function_id = ? AND ts >= ?"
	                  " ORDER BY ts DESC, id DESC LIMIT ?",
	                  DB_ARGS(DB_STR(f.id), DB_STR(since_sql), DB_INT(limit)), &rows);
	fn_free(&f);
	if (rc != 0)
		return req_db_fail(r, "logs");
	json_object *logs = json_object_new_array();
	for (size_t i = rows->nrows; i-- > 0;) {
		char ts[40], level[16];
		snprintf(ts, sizeof(ts), "%.23sZ", db_val(rows, i, 0));
		snprintf(level, sizeof(level), "%s", db_val(rows, i, 1));
		for (char *p = level; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		json_object *l = json_object_new_object();
		jadd_str(l, "timestamp", ts);
		jadd_str(l, "level", level);
		jadd_str(l, "message", db_val(rows, i, 2));
		jadd_str(l, "requestId", db_val(rows, i, 3));
		json_object_array_add(logs, l);
	}
	db_rows_free(rows);
	json_object *out = json_object_new_object();
	json_object_object_add(out, "logs", logs);
	return req_reply(r, 200, out);
}

/* GET /api/v1/functions/{name}/invocations/{requestId}/logs — Get Invocation Logs */
int platform_invocation_logs(struct req *r)
{
	struct db_rows *inv = NULL, *rows = NULL;
	struct fn f;
	int rc = -1;

	if (fn_by_name(r, false, &f) != 0)
		return -1;
	if (db_query(r->conn->db, "SELECT version FROM invocations WHERE request_id = ? AND function_id = ?",
	             DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &inv) != 0 ||
	    db_query(r->conn->db,
	             "SELECT DATE_FORMAT(ts, '%Y-%m-%dT%H:%i:%s.%f'), level, message FROM invocation_logs"
	             " WHERE request_id = ? AND function_id = ? ORDER BY seq LIMIT 100000",
	             DB_ARGS(DB_STR(r->params[1]), DB_STR(f.id)), &rows) != 0) {
		req_db_fail(r, "invocation logs");
		goto out;
	}
	if (inv->nrows == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Invocation %s of %s not found", r->params[1], f.name);
		goto out;
	}
	json_object *logs = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		char ts[40];
		snprintf(ts, sizeof(ts), "%.23sZ", db_val(rows, i, 0));
		json_object *l = json_object_new_object();
		jadd_str(l, "timestamp", ts);
		jadd_str(l, "level", db_val(rows, i, 1));
		jadd_str(l, "message", db_val(rows, i, 2));
		json_object_array_add(logs, l);
	}
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", r->params[1]);
	json_object_object_add(o, "logs", logs);
	jadd_str(o, "functionName", f.name);
	json_object_object_add(o, "version", version_string(db_ll(inv, 0, 0, 0)));
	rc = req_reply(r, 200, o);
out:
	db_rows_free(inv);
	db_rows_free(rows);
	fn_free(&f);
	return rc;
}
