#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "jsonx.h"

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

static json_object *parse_or_null(const char *text)
{
	char why[64];
	return text ? json_parse_text(text, strlen(text), why, sizeof(why)) : NULL;
}

void deploy_from_row(const struct db_rows *rows, size_t i, struct deployment *d)
{
	memset(d, 0, sizeof(*d));
	copy(d->id, sizeof(d->id), db_val(rows, i, 0));
	copy(d->tenant, sizeof(d->tenant), db_val(rows, i, 1));
	copy(d->fn_id, sizeof(d->fn_id), db_val(rows, i, 2));
	copy(d->fn_name, sizeof(d->fn_name), db_val(rows, i, 3));
	copy(d->strategy, sizeof(d->strategy), db_val(rows, i, 4));
	copy(d->status, sizeof(d->status), db_val(rows, i, 5));
	copy(d->alias, sizeof(d->alias), db_val(rows, i, 6));
	copy(d->phase, sizeof(d->phase), db_val(rows, i, 7));
	d->source = db_ll(rows, i, 8, 0);
	d->target = db_ll(rows, i, 9, 0);
	d->step = (int)db_ll(rows, i, 10, -1);
	d->weight = (int)db_ll(rows, i, 11, 0);
	d->extensions = (int)db_ll(rows, i, 12, 0);
	json_object *steps = parse_or_null(db_val(rows, i, 13));
	size_t n = json_object_is_type(steps, json_type_array) ? json_object_array_length(steps) : 0;
	for (size_t k = 0; k < n && k < TF_DEPLOY_MAX_STEPS; k++)
		d->steps[d->nsteps++] = (int)json_object_get_int(json_object_array_get_idx(steps, k));
	json_object_put(steps);
	d->config = parse_or_null(db_val(rows, i, 14));
	if (d->config == NULL)
		d->config = json_object_new_object();
	d->alias_before = parse_or_null(db_val(rows, i, 15));
	d->step_started_ms = db_ll(rows, i, 16, 0);
	d->now_ms = db_ll(rows, i, 17, 0);
}

void deploy_free(struct deployment *d)
{
	json_object_put(d->config);
	json_object_put(d->alias_before);
	d->config = d->alias_before = NULL;
}

static const char *test_alias(const struct deployment *d)
{
	const char *a = jstr(d->config, "testAlias");
	return a ? a : TF_DEPLOY_TEST_ALIAS;
}

void deploy_phase_name(const struct deployment *d, int step, char *out, size_t n)
{
	if (strcmp(d->strategy, "BlueGreen") == 0)
		snprintf(out, n, step <= 0 ? "Testing %s" : "Switched", test_alias(d));
	else
		snprintf(out, n, "Canary %d%%", step >= 0 && step < d->nsteps ? d->steps[step] : 0);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

int deploy_metrics(struct db *db, const char *fn_id, long long version, int64_t since_ms, struct deploy_metrics *m)
{
	struct db_rows *rows = NULL;

	memset(m, 0, sizeof(*m));
	if (db_query(db,
	             "SELECT duration_ms, status <> 'Succeeded' FROM invocations WHERE function_id = ? AND version = ?"
	             " AND started_at >= FROM_UNIXTIME(? / 1000) AND status NOT IN ('Queued', 'Running') LIMIT ?",
	             DB_ARGS(DB_STR(fn_id), DB_INT(version), DB_INT(since_ms), DB_INT(TF_DEPLOY_METRICS_ROWS)), &rows) != 0)
		return -1;
	size_t n = rows->nrows;
	double *d = n ? malloc(n * sizeof(*d)) : NULL, sum = 0;
	for (size_t i = 0; d && i < n; i++) {
		d[i] = db_double(rows, i, 0, 0);
		sum += d[i];
		m->errors += db_ll(rows, i, 1, 0);
	}
	m->count = (long long)n;
	if (d) {
		qsort(d, n, sizeof(*d), cmp_double);
		m->avg_ms = sum / (double)n;
		m->p99_ms = d[(size_t)ceil(0.99 * (double)n) - 1];
		m->error_rate = (double)m->errors / (double)n;
	}
	free(d);
	db_rows_free(rows);
	return 0;
}

void deploy_thresholds_of(json_object *config, struct deploy_thresholds *t)
{
	json_object *v;
	t->error_rate = json_object_object_get_ex(config, "rollbackOnErrorRate", &v) && v ? json_object_get_double(v) : -1;
	t->p99_ms = json_object_object_get_ex(config, "rollbackOnLatencyP99", &v) && v ? json_object_get_double(v) : -1;
	t->min_invocations = jint(config, "minInvocations", TF_DEPLOY_DEFAULT_MIN_INVOCATIONS);
}

int deploy_judge(const struct deploy_metrics *m, const struct deploy_thresholds *t, const char *phase, char *why,
                 size_t whysz)
{
	if (m->count < t->min_invocations || m->count == 0)
		return 0;
	if (t->error_rate >= 0 && m->error_rate > t->error_rate) {
		snprintf(why, whysz, "errorRate %.2f > %g in %s (%lld of %lld invocations failed)", m->error_rate, t->error_rate,
		         phase, m->errors, m->count);
		return 1;
	}
	if (t->p99_ms > 0 && m->p99_ms > t->p99_ms) {
		snprintf(why, whysz, "p99Duration %.1f ms > %g ms in %s (%lld invocations)", m->p99_ms, t->p99_ms, phase,
		         m->count);
		return 1;
	}
	return 0;
}

/* The alias routing that sends weight percent to the target (NULL: none). */
static void split_text(long long source, long long target, int weight, char *out, size_t n)
{
	snprintf(out, n, "{\"%lld\": %d, \"%lld\": %d}", source, 100 - weight, target, weight);
}

int deploy_route(struct db *db, const struct deployment *d, int weight)
{
	char split[96];
	bool blue_green = strcmp(d->strategy, "BlueGreen") == 0;

	split_text(d->source, d->target, weight, split, sizeof(split));
	const char *routing = weight > 0 && weight < 100 ? split : NULL;
	if (db_exec(db, "UPDATE functions SET published_routing = ? WHERE id = ?",
	            DB_ARGS(DB_STR(routing), DB_STR(d->fn_id)), NULL) != 0)
		return -1;
	if (d->alias[0]) {
		long long before = jint(d->alias_before, "version", d->source);
		split_text(before, d->target, weight, split, sizeof(split));
		if (db_exec(db, "UPDATE aliases SET routing = ?, updated_at = NOW(3) WHERE function_id = ? AND name = ?",
		            DB_ARGS(DB_STR(routing ? split : NULL), DB_STR(d->fn_id), DB_STR(d->alias)), NULL) != 0)
			return -1;
	}
	/* The test route of green: an alias, made when the test starts. */
	if (blue_green &&
	    db_exec(db,
	            "INSERT INTO aliases (function_id, name, version, routing, description, created_at, updated_at)"
	            " VALUES (?, ?, ?, NULL, ?, NOW(3), NOW(3))"
	            " ON DUPLICATE KEY UPDATE version = IF(description = VALUES(description), VALUES(version), version)",
	            DB_ARGS(DB_STR(d->fn_id), DB_STR(test_alias(d)), DB_INT(d->target), DB_STR(d->id)), NULL) != 0)
		return -1;
	return 0;
}

int deploy_finish(struct db *db, const struct deployment *d, const char *from, const char *status, const char *why)
{
	bool completed = strcmp(status, "Completed") == 0;
	const char *phase = completed ? (strcmp(d->strategy, "BlueGreen") == 0 ? "Switched" : "Completed") : "Rolled back";
	uint64_t n = 0;

	/* The row first: whoever ends it second (the controller, or a rollback by hand) changes nothing. */
	if (db_exec(db,
	            "UPDATE deployments SET status = ?, progress = IF(?, 100, progress), weight = IF(?, 100, 0),"
	            " current_phase = ?, rollback_reason = COALESCE(?, rollback_reason), completed_at = NOW(3),"
	            " updated_at = NOW(3) WHERE id = ? AND status = ?",
	            DB_ARGS(DB_STR(status), DB_INT(completed), DB_INT(completed), DB_STR(phase), DB_STR(why),
	                    DB_STR(d->id), DB_STR(from)), &n) != 0)
		return -1;
	if (n == 0)
		return 1;
	if (db_exec(db, "UPDATE functions SET published_routing = NULL, published_version = ? WHERE id = ?",
	            DB_ARGS(DB_INT(completed ? d->target : d->source), DB_STR(d->fn_id)), NULL) != 0)
		return -1;
	if (d->alias[0]) {
		long long before = jint(d->alias_before, "version", d->source);
		json_object *routing = jget(d->alias_before, "routing");
		/* The routing column is text, so JSON_OBJECT kept it as a string: put back that text. */
		const char *restore = routing == NULL || completed ? NULL
		                      : json_object_is_type(routing, json_type_string) ? json_object_get_string(routing)
		                                                                       : json_text(routing);
		if (db_exec(db, "UPDATE aliases SET version = ?, routing = ?, updated_at = NOW(3) WHERE function_id = ? AND name = ?",
		            DB_ARGS(DB_INT(completed ? d->target : before), DB_STR(restore), DB_STR(d->fn_id), DB_STR(d->alias)),
		            NULL) != 0)
			return -1;
	}
	/* The test alias this deployment made (its description names it) goes. */
	return db_exec(db, "DELETE FROM aliases WHERE function_id = ? AND name = ? AND description = ?",
	               DB_ARGS(DB_STR(d->fn_id), DB_STR(test_alias(d)), DB_STR(d->id)), NULL);
}

int deploy_in_progress(struct db *db, const char *fn_id, char *id, size_t idsz)
{
	struct db_rows *rows = NULL;

	if (db_query(db, "SELECT id FROM deployments WHERE function_id = ? AND status = 'InProgress' LIMIT 1",
	             DB_ARGS(DB_STR(fn_id)), &rows) != 0)
		return -1;
	int found = rows->nrows > 0;
	if (found && id)
		snprintf(id, idsz, "%s", db_val(rows, 0, 0));
	db_rows_free(rows);
	return found;
}

int deploy_holds_alias(struct db *db, const char *fn_id, const char *alias)
{
	struct db_rows *rows = NULL;

	if (db_query(db,
	             "SELECT COUNT(*) FROM deployments WHERE function_id = ? AND status = 'InProgress' AND (alias = ?"
	             " OR (strategy = 'BlueGreen' AND JSON_VALUE(config, '$.testAlias') = ?))",
	             DB_ARGS(DB_STR(fn_id), DB_STR(alias), DB_STR(alias)), &rows) != 0)
		return -1;
	int held = db_ll(rows, 0, 0, 0) > 0;
	db_rows_free(rows);
	return held;
}
