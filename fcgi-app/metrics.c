/* Invocation statistics, computed from the recorded invocations. */
#include <math.h>
#include <stdio.h>

#include "fn.h"
#include "handlers.h"
#include "histogram.h"
#include "jsonx.h"
#include "timefmt.h"

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
	jadd_double(o, "avgDuration", db_double(rows, 0, 1, 0), 2);
	jadd_int(o, "errors", db_ll(rows, 0, 2, 0));
	jadd_int(o, "coldStarts", db_ll(rows, 0, 3, 0));
	jadd_str(o, "lastInvokedAt", db_val(rows, 0, 8));
	json_object *day = json_object_new_object();
	jadd_int(day, "invocations", db_ll(rows, 0, 4, 0));
	jadd_double(day, "avgDuration", db_double(rows, 0, 5, 0), 2);
	jadd_int(day, "errors", db_ll(rows, 0, 6, 0));
	jadd_int(day, "coldStarts", db_ll(rows, 0, 7, 0));
	json_object_object_add(o, "last24h", day);
	db_rows_free(rows);
	return req_reply(r, 200, o);
}

#define METRICS_MAX_WINDOW_MS (366LL * 86400 * 1000)

/* GET /api/v1/functions/{name}/metrics — Get Function Metrics */
int platform_functions_metrics(struct req *r)
{
	char window[64] = "PT1H", since[32], iso[40], now_text[40];
	int64_t window_ms;
	struct db_rows *sums = NULL, *hist = NULL;
	uint64_t counts[HIST_BUCKETS] = { 0 };
	struct fn f;

	if (req_query(r, "window", window, sizeof(window)) == NULL)
		snprintf(window, sizeof(window), "PT1H");
	if (iso8601_duration(window, METRICS_MAX_WINDOW_MS, &window_ms) != 0) {
		tf_detail(&r->err, "window", "must be an ISO 8601 duration such as PT1H, up to a year");
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid query parameters");
	}
	if (fn_by_name(r, false, &f) != 0)
		return -1;
	/* Rollups are per minute: the window starts at the minute it falls in. */
	int64_t now = now_ms(), from = (now - window_ms) / 60000 * 60000;
	iso8601_s(from, iso, sizeof(iso));
	snprintf(since, sizeof(since), "%.10s %.8s", iso, iso + 11);
	int rc = db_query(r->conn->db,
	                  "SELECT COALESCE(SUM(invocations), 0), COALESCE(SUM(errors), 0), COALESCE(SUM(cold_starts), 0),"
	                  " COALESCE(SUM(throttles), 0), COALESCE(SUM(duration_sum), 0), COALESCE(SUM(memory_sum), 0),"
	                  " COALESCE(MAX(memory_max), 0) FROM metrics_minute WHERE function_id = ? AND minute >= ?",
	                  DB_ARGS(DB_STR(f.id), DB_STR(since)), &sums);
	if (rc == 0)
		rc = db_query(r->conn->db,
		              "SELECT bucket, SUM(count) FROM metrics_histogram WHERE function_id = ? AND minute >= ? GROUP BY bucket",
		              DB_ARGS(DB_STR(f.id), DB_STR(since)), &hist);
	if (rc != 0) {
		db_rows_free(sums);
		fn_free(&f);
		return req_db_fail(r, "metrics");
	}
	for (size_t i = 0; i < hist->nrows; i++) {
		long long b = db_ll(hist, i, 0, -1);
		if (b >= 0 && b < HIST_BUCKETS)
			counts[b] += (uint64_t)db_ll(hist, i, 1, 0);
	}
	long long n = db_ll(sums, 0, 0, 0), errors = db_ll(sums, 0, 1, 0);
	json_object *m = json_object_new_object();
	jadd_int(m, "invocations", n);
	jadd_int(m, "errors", errors);
	jadd_double(m, "errorRate", n ? 100.0 * (double)errors / (double)n : 0, 2);
	jadd_int(m, "coldStarts", db_ll(sums, 0, 2, 0));
	jadd_double(m, "avgDuration", n ? db_double(sums, 0, 4, 0) / (double)n : 0, 2);
	jadd_double(m, "p50Duration", hist_percentile(counts, 50), 2);
	jadd_double(m, "p95Duration", hist_percentile(counts, 95), 2);
	jadd_double(m, "p99Duration", hist_percentile(counts, 99), 2);
	jadd_int(m, "avgMemoryUsed", n ? db_ll(sums, 0, 5, 0) / n : 0);
	jadd_int(m, "maxMemoryUsed", db_ll(sums, 0, 6, 0));
	jadd_int(m, "throttles", db_ll(sums, 0, 3, 0));
	json_object *o = json_object_new_object();
	jadd_str(o, "functionName", f.name);
	jadd_str(o, "window", window);
	json_object_object_add(o, "metrics", m);
	iso8601_s(now, now_text, sizeof(now_text));
	jadd_str(o, "timestamp", now_text);
	db_rows_free(sums);
	db_rows_free(hist);
	fn_free(&f);
	return req_reply(r, 200, o);
}
