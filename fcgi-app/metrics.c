/* Invocation statistics, computed from the recorded invocations. */
#include <math.h>
#include <stdio.h>

#include "fn.h"
#include "handlers.h"
#include "jsonx.h"

static double round2(double v)
{
	return round(v * 100.0) / 100.0;
}

/* GET /saas/api/v1/sdk/tau/functions/:id/stats — Functions — Lifecycle */
int tau_functions_stats(struct req *r)
{
	struct fn f;
	struct db_rows *rows = NULL;

	if (fn_load(r, FN_BY_ID, r->params[0], false, &f) != 0)
		return -1;
	int rc = db_query(r->conn->db,
	                  "SELECT COUNT(*), COALESCE(AVG(duration_ms), 0), COALESCE(SUM(status <> 'Succeeded'), 0),"
	                  " COALESCE(SUM(cold_start), 0),"
	                  " COALESCE(SUM(started_at >= NOW(3) - INTERVAL 1 DAY), 0),"
	                  " COALESCE(AVG(IF(started_at >= NOW(3) - INTERVAL 1 DAY, duration_ms, NULL)), 0),"
	                  " COALESCE(SUM(started_at >= NOW(3) - INTERVAL 1 DAY AND status <> 'Succeeded'), 0),"
	                  " COALESCE(SUM(started_at >= NOW(3) - INTERVAL 1 DAY AND cold_start = 1), 0),"
	                  " DATE_FORMAT(MAX(started_at), '%Y-%m-%dT%H:%i:%sZ')"
	                  " FROM invocations WHERE function_id = ?",
	                  DB_ARGS(DB_STR(f.id)), &rows);
	fn_free(&f);
	if (rc != 0)
		return req_db_fail(r, "stats");
	json_object *o = json_object_new_object();
	jadd_int(o, "totalInvocations", db_ll(rows, 0, 0, 0));
	json_object_object_add(o, "avgDuration", json_object_new_double(round2(db_double(rows, 0, 1, 0))));
	jadd_int(o, "errors", db_ll(rows, 0, 2, 0));
	jadd_int(o, "coldStarts", db_ll(rows, 0, 3, 0));
	jadd_str(o, "lastInvokedAt", db_val(rows, 0, 8));
	json_object *day = json_object_new_object();
	jadd_int(day, "invocations", db_ll(rows, 0, 4, 0));
	json_object_object_add(day, "avgDuration", json_object_new_double(round2(db_double(rows, 0, 5, 0))));
	jadd_int(day, "errors", db_ll(rows, 0, 6, 0));
	jadd_int(day, "coldStarts", db_ll(rows, 0, 7, 0));
	json_object_object_add(o, "last24h", day);
	db_rows_free(rows);
	return req_reply(r, 200, o);
}
