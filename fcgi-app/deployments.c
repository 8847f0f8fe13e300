/*
 * The Deployments API of the platform reference: a deployment is created here,
 * InProgress, and moved by the leader worker's controller (worker/deployer.c);
 * reads show its live state; a rollback by hand ends it at once.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "deploy.h"
#include "fn.h"
#include "handlers.h"
#include "ids.h"
#include "jsonx.h"
#include "timefmt.h"
#include "validate.h"

#define MAX_DURATION_MS (7LL * 86400 * 1000)  /* a step or test lasts at most a week */
#define DEFAULT_CANARY_PERCENTAGE 10
#define DEFAULT_CANARY_DURATION "PT10M"
#define DEFAULT_TEST_DURATION "PT5M"

static int check_strategy(const char *s, char *why, size_t whysz)
{
	if (strcmp(s, "Canary") == 0 || strcmp(s, "BlueGreen") == 0)
		return 0;
	snprintf(why, whysz, "must be Canary or BlueGreen");
	return -1;
}

static int check_duration(const char *s, char *why, size_t whysz)
{
	int64_t ms;
	if (iso8601_duration(s, MAX_DURATION_MS, &ms) == 0 && ms >= 1000)
		return 0;
	snprintf(why, whysz, "must be an ISO 8601 duration from PT1S to P7D, such as PT10M or PT30S");
	return -1;
}

static int check_unproven(const char *s, char *why, size_t whysz)
{
	if (strcmp(s, "Rollback") == 0 || strcmp(s, "Promote") == 0)
		return 0;
	snprintf(why, whysz, "must be Rollback (the default) or Promote");
	return -1;
}

static const struct vfield create_fields[] = {
	{ .name = "functionName", .type = V_STRING, .required = true, .min = 1, .max = 64, .check = check_function_name },
	{ .name = "version", .type = V_INT, .required = true, .min = 1, .max = INT32_MAX },
	{ .name = "strategy", .type = V_STRING, .required = true, .min = 1, .max = 16, .check = check_strategy },
	{ .name = "config", .type = V_OBJECT },
};
VTABLE(deployment_create_body, create_fields,
       "{\"functionName\": \"resize\", \"version\": 2, \"strategy\": \"Canary\", \"config\": {\"canaryDuration\": \"PT5M\","
       " \"canaryIncrements\": [10, 50, 100], \"rollbackOnErrorRate\": 0.05}}");

/* What judges both strategies. */
#define JUDGE_FIELDS                                                                                         \
	{ .name = "rollbackOnErrorRate", .type = V_NUMBER, .fmin = 0, .fmax = 1,                              \
	  .message = "must be a number from 0 to 1 (a share of the target's invocations)" },                     \
	{ .name = "rollbackOnLatencyP99", .type = V_NUMBER, .fmin = 1, .fmax = 900000,                        \
	  .message = "must be milliseconds from 1 to 900000" },                                                 \
	{ .name = "minInvocations", .type = V_INT, .min = 1, .max = 1000000 },                                  \
	{ .name = "maxExtensions", .type = V_INT, .min = 0, .max = 100 },                                       \
	{ .name = "onUnproven", .type = V_STRING, .min = 1, .max = 16, .check = check_unproven },                \
	{ .name = "alias", .type = V_STRING, .min = 1, .max = 64, .check = check_function_name }

static const struct vfield canary_fields[] = {
	{ .name = "canaryPercentage", .type = V_INT, .min = 1, .max = 99 },
	{ .name = "canaryDuration", .type = V_STRING, .min = 1, .max = 32, .check = check_duration },
	{ .name = "canaryIncrements", .type = V_INTARRAY, .min = 1, .max = TF_DEPLOY_MAX_STEPS - 1, .fmin = 1, .fmax = 100 },
	JUDGE_FIELDS,
};

static const struct vfield bluegreen_fields[] = {
	{ .name = "testDuration", .type = V_STRING, .min = 1, .max = 32, .check = check_duration },
	{ .name = "keepBlue", .type = V_BOOL },
	{ .name = "testAlias", .type = V_STRING, .min = 1, .max = 64, .check = check_function_name },
	JUDGE_FIELDS,
};

/* A config's fields checked with details "config.<field>". */
static int check_config(struct req *r, bool canary, json_object *config)
{
	struct tf_error inner = { 0 };
	const struct vfield *fields = canary ? canary_fields : bluegreen_fields;
	size_t n = canary ? TF_ARRAY_LEN(canary_fields) : TF_ARRAY_LEN(bluegreen_fields);

	if (validate(config, fields, n, &inner) == 0)
		return 0;
	tf_details_merge(&r->err, &inner, "config");
	tf_error_reset(&inner);
	return tf_fail(&r->err, TF_E_VALIDATION, "Invalid %s configuration", canary ? "Canary" : "BlueGreen");
}

/*
 * The target's shares step by step: canaryIncrements (rising, ending at 100, which
 * is added when missing), else canaryPercentage then 100. BlueGreen: a test, then all.
 */
static int canary_steps(struct req *r, json_object *config, json_object *steps)
{
	json_object *inc = jget(config, "canaryIncrements");
	long long pct = jint(config, "canaryPercentage", inc ? 0 : DEFAULT_CANARY_PERCENTAGE), last = 0;
	size_t n = inc ? json_object_array_length(inc) : 0;

	for (size_t i = 0; i < n; i++) {
		long long v = json_object_get_int64(json_object_array_get_idx(inc, i));
		if (v <= last) {
			tf_detail(&r->err, "config.canaryIncrements", "must rise step by step (entry %zu is %lld after %lld)", i, v, last);
			return tf_fail(&r->err, TF_E_VALIDATION, "Invalid Canary configuration");
		}
		json_object_array_add(steps, json_object_new_int((int)v));
		last = v;
	}
	if (inc && pct && pct != json_object_get_int64(json_object_array_get_idx(inc, 0))) {
		tf_detail(&r->err, "config.canaryPercentage", "must be the first of canaryIncrements (%lld), or be left out",
		          (long long)json_object_get_int64(json_object_array_get_idx(inc, 0)));
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid Canary configuration");
	}
	if (inc == NULL)
		json_object_array_add(steps, json_object_new_int((int)(last = pct)));
	if (last < 100)
		json_object_array_add(steps, json_object_new_int(100));
	return 0;
}

/* The config as stored: as sent, with the defaults a reader needs filled in. */
static void fill_defaults(json_object *config, bool canary, json_object *steps)
{
	if (canary) {
		if (!jget(config, "canaryPercentage"))
			json_object_object_add(config, "canaryPercentage", json_object_get(json_object_array_get_idx(steps, 0)));
		if (!jget(config, "canaryDuration"))
			jadd_str(config, "canaryDuration", DEFAULT_CANARY_DURATION);
		if (!jget(config, "canaryIncrements"))
			json_object_object_add(config, "canaryIncrements", json_object_get(steps));
	} else {
		if (!jget(config, "testDuration"))
			jadd_str(config, "testDuration", DEFAULT_TEST_DURATION);
		if (!jget(config, "keepBlue"))
			jadd_bool(config, "keepBlue", false);
		if (!jget(config, "testAlias"))
			jadd_str(config, "testAlias", TF_DEPLOY_TEST_ALIAS);
	}
	if (!jget(config, "minInvocations"))
		jadd_int(config, "minInvocations", TF_DEPLOY_DEFAULT_MIN_INVOCATIONS);
	if (!jget(config, "maxExtensions"))
		jadd_int(config, "maxExtensions", TF_DEPLOY_DEFAULT_MAX_EXTENSIONS);
	if (!jget(config, "onUnproven"))
		jadd_str(config, "onUnproven", "Rollback");
}

/* What must hold of the function's versions and aliases; the function row is locked. */
static int check_targets(struct req *r, const struct fn *f, long long version, json_object *config, bool canary,
                         char *alias_before, size_t abn)
{
	struct db *db = r->conn->db;
	struct db_rows *rows = NULL;
	const char *alias = jstr(config, "alias"), *test = jstr(config, "testAlias");
	char running[48];

	int busy = deploy_in_progress(db, f->id, running, sizeof(running));
	if (busy < 0)
		return req_db_fail(r, "deployment check");
	if (busy)
		return tf_fail(&r->err, TF_E_CONFLICT, "Function %s has a deployment in progress (%s): wait for it or roll it back",
		               f->name, running);
	if (f->published_version <= 0)
		return tf_fail(&r->err, TF_E_CONFLICT, "Function %s has no published version to deploy from: publish one first",
		               f->name);
	if (db_query(db,
	             "SELECT (SELECT COUNT(*) FROM versions WHERE function_id = ? AND number = ?),"
	             " (SELECT JSON_OBJECT('version', version, 'routing', routing) FROM aliases WHERE function_id = ? AND name = ?),"
	             " (SELECT COUNT(*) FROM aliases WHERE function_id = ? AND name = ?)",
	             DB_ARGS(DB_STR(f->id), DB_INT(version), DB_STR(f->id), DB_STR(alias), DB_STR(f->id),
	                     DB_STR(canary ? NULL : test)), &rows) != 0)
		return req_db_fail(r, "deployment targets");
	bool exists = db_ll(rows, 0, 0, 0) > 0, alias_found = db_val(rows, 0, 1) != NULL, test_taken = db_ll(rows, 0, 2, 0) > 0;
	snprintf(alias_before, abn, "%s", alias_found ? db_val(rows, 0, 1) : "");
	db_rows_free(rows);
	if (!exists)
		tf_detail(&r->err, "version", "%s has no version %lld", f->name, version);
	else if (version == f->published_version)
		tf_detail(&r->err, "version", "is the published version already");
	if (alias && !alias_found)
		tf_detail(&r->err, "config.alias", "%s has no alias %s", f->name, alias);
	if (r->err.details)
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	if (test_taken)
		return tf_fail(&r->err, TF_E_CONFLICT, "%s has an alias %s already: name green's test alias with config.testAlias",
		               f->name, test);
	return 0;
}

/* The columns of a deployment's public view, after SELECT. */
#define VIEW_COLUMNS                                                                                        \
	"d.id, f.name, d.target_version, d.source_version, d.strategy, d.status, d.progress, d.current_phase,"   \
	" DATE_FORMAT(d.started_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(d.completed_at, '%Y-%m-%dT%H:%i:%sZ'),"   \
	" d.deployed_by, d.rollback_reason, d.config, d.weight, d.alias,"                                        \
	" CAST(COALESCE(UNIX_TIMESTAMP(d.step_started_at), UNIX_TIMESTAMP(d.started_at)) * 1000 AS SIGNED),"     \
	" d.function_id, DATE_FORMAT(d.keep_blue_until, '%Y-%m-%dT%H:%i:%sZ')"                                   \
	" FROM deployments d JOIN functions f ON f.id = d.function_id"

static json_object *metrics_json(const struct deploy_metrics *m)
{
	json_object *o = json_object_new_object();
	jadd_int(o, "invocationCount", m->count);
	jadd_int(o, "errorCount", m->errors);
	json_object_object_add(o, "errorRate", json_object_new_double(m->error_rate));
	json_object_object_add(o, "avgDuration", json_object_new_double(m->avg_ms));
	json_object_object_add(o, "p99Duration", json_object_new_double(m->p99_ms));
	return o;
}

/* The whole view (get and create) or the list's (short). */
static json_object *view(struct req *r, const struct db_rows *rows, size_t i, bool whole)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "deploymentId", db_val(rows, i, 0));
	jadd_str(o, "functionName", db_val(rows, i, 1));
	jadd_int(o, "targetVersion", db_ll(rows, i, 2, 0));
	if (whole)
		jadd_int(o, "sourceVersion", db_ll(rows, i, 3, 0));
	jadd_str(o, "strategy", db_val(rows, i, 4));
	jadd_str(o, "status", db_val(rows, i, 5));
	if (whole) {
		jadd_int(o, "progress", db_ll(rows, i, 6, 0));
		jadd_str(o, "currentPhase", db_val(rows, i, 7) ? db_val(rows, i, 7) : "Starting");
		jadd_int(o, "trafficPercentage", db_ll(rows, i, 13, 0));
	}
	jadd_str(o, "startedAt", db_val(rows, i, 8));
	jadd_str(o, "completedAt", db_val(rows, i, 9));
	if (!whole)
		return o;
	jadd_str(o, "deployedBy", db_val(rows, i, 10));
	if (db_val(rows, i, 11))
		jadd_str(o, "rollbackReason", db_val(rows, i, 11));
	jadd_raw(o, "config", db_val(rows, i, 12));
	if (db_val(rows, i, 14))
		jadd_str(o, "alias", db_val(rows, i, 14));
	if (db_val(rows, i, 17))
		jadd_str(o, "keepBlueUntil", db_val(rows, i, 17));
	/* The target's invocations in the current phase (the last one, once it has ended). */
	struct deploy_metrics m;
	if (deploy_metrics(r->conn->db, db_val(rows, i, 16), db_ll(rows, i, 2, 0), db_ll(rows, i, 15, 0), &m) == 0)
		json_object_object_add(o, "metrics", metrics_json(&m));
	return o;
}

static int reply_one(struct req *r, int status, const char *id)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, "SELECT " VIEW_COLUMNS " WHERE d.id = ? AND d.tenant_id = ?",
	             DB_ARGS(DB_STR(id), DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "deployment read");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Deployment %s not found", id);
	}
	json_object *o = view(r, rows, 0, true);
	db_rows_free(rows);
	return req_reply(r, status, o);
}

/* POST /api/v1/deployments — Create Deployment */
int platform_deployments_create(struct req *r)
{
	json_object *body = NULL, *config = NULL, *steps = json_object_new_array();
	struct db *db = r->conn->db;
	struct fn f = { 0 };
	char id[TF_DEPLOY_ID_LEN + 1], alias_before[512];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, create_fields, TF_ARRAY_LEN(create_fields), &r->err) != 0)
		goto out;
	bool canary = strcmp(jstr(body, "strategy"), "Canary") == 0;
	long long version = jint(body, "version", 0);
	config = jget(body, "config") ? json_object_get(jget(body, "config")) : json_object_new_object();
	if (check_config(r, canary, config) != 0 || (canary && canary_steps(r, config, steps) != 0))
		goto out;
	if (!canary)
		json_object_array_add(steps, json_object_new_int(100));
	fill_defaults(config, canary, steps);
	if (db_begin(db) != 0) {
		req_db_fail(r, "deployment begin");
		goto out;
	}
	if (fn_load(r, FN_BY_NAME, jstr(body, "functionName"), true, &f) != 0 ||
	    check_targets(r, &f, version, config, canary, alias_before, sizeof(alias_before)) != 0)
		goto rollback;
	random_id(id, sizeof(id), "deploy-", TF_DEPLOY_ID_LEN - 7);
	if (db_exec(db,
	            "INSERT INTO deployments (id, tenant_id, function_id, target_version, source_version, strategy, status,"
	            " config, steps, alias, alias_before, progress, current_phase, deployed_by, started_at, updated_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, 'InProgress', ?, ?, ?, ?, 0, 'Starting', ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(r->who.tenant), DB_STR(f.id), DB_INT(version), DB_INT(f.published_version),
	                    DB_STR(jstr(body, "strategy")), DB_STR(json_text(config)), DB_STR(json_text(steps)),
	                    DB_STR(jstr(config, "alias")), DB_STR(alias_before[0] ? alias_before : NULL),
	                    DB_STR(r->who.principal)), NULL) != 0) {
		req_db_fail(r, "deployment insert");
		goto rollback;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "deployment commit");
		goto out;
	}
	rc = reply_one(r, 202, id);
	goto out;
rollback:
	db_rollback(db);
out:
	fn_free(&f);
	json_object_put(steps);
	json_object_put(config);
	json_object_put(body);
	return rc;
}

/* GET /api/v1/deployments/{id} — Get Deployment Status */
int platform_deployments_get(struct req *r)
{
	return reply_one(r, 200, r->params[0]);
}

static const char *const statuses[] = { "InProgress", "Completed", "RolledBack", "Failed" };

/* GET /api/v1/deployments — List Deployments: ?functionName, status, limit, offset */
int platform_deployments_list(struct req *r)
{
	char fn_q[80], status_q[32], why[160];
	const char *fn = req_query(r, "functionName", fn_q, sizeof(fn_q));
	const char *status = req_query(r, "status", status_q, sizeof(status_q));
	long long limit, offset;
	struct db_rows *rows = NULL, *count = NULL;

	if (page_params(r, &limit, &offset) != 0)
		return -1;
	if (fn && check_function_name(fn, why, sizeof(why)) != 0)
		tf_detail(&r->err, "functionName", "%s", why);
	bool known = status == NULL;
	for (size_t i = 0; status && i < TF_ARRAY_LEN(statuses); i++)
		known = known || strcmp(status, statuses[i]) == 0;
	if (!known)
		tf_detail(&r->err, "status", "must be InProgress, Completed, RolledBack or Failed");
	if (r->err.details)
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid query parameters");
#define LIST_WHERE " WHERE d.tenant_id = ? AND (? IS NULL OR f.name = ?) AND (? IS NULL OR d.status = ?)"
	if (db_query(r->conn->db, "SELECT " VIEW_COLUMNS LIST_WHERE " ORDER BY d.started_at DESC, d.id LIMIT ? OFFSET ?",
	             DB_ARGS(DB_STR(r->who.tenant), DB_STR(fn), DB_STR(fn), DB_STR(status), DB_STR(status), DB_INT(limit),
	                     DB_INT(offset)), &rows) != 0 ||
	    db_query(r->conn->db, "SELECT COUNT(*) FROM deployments d JOIN functions f ON f.id = d.function_id" LIST_WHERE,
	             DB_ARGS(DB_STR(r->who.tenant), DB_STR(fn), DB_STR(fn), DB_STR(status), DB_STR(status)), &count) != 0) {
		db_rows_free(rows);
		return req_db_fail(r, "deployment list");
	}
#undef LIST_WHERE
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(list, view(r, rows, i, false));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "deployments", list);
	jadd_int(o, "total", db_ll(count, 0, 0, 0));
	jadd_int(o, "limit", limit);
	jadd_int(o, "offset", offset);
	db_rows_free(rows);
	db_rows_free(count);
	return req_reply(r, 200, o);
}

static const struct vfield rollback_fields[] = {
	{ .name = "reason", .type = V_STRING, .min = 1, .max = 500 },
};
VTABLE(deployment_rollback_body, rollback_fields, "{\"reason\": \"errors after the switch\"}");

/*
 * POST /api/v1/deployments/{id}/rollback — Rollback Deployment. One in progress
 * gives all traffic back to its source at once; a completed one whose target is
 * still the published version makes its source the published version again (a
 * BlueGreen deployment with keepBlue then serves from blue's warm instances).
 */
int platform_deployments_rollback(struct req *r)
{
	json_object *body = NULL;
	struct db *db = r->conn->db;
	struct db_rows *rows = NULL;
	struct deployment d = { 0 };
	char reason[600];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, rollback_fields, TF_ARRAY_LEN(rollback_fields), &r->err) != 0)
		goto out;
	snprintf(reason, sizeof(reason), "%s", jstr(body, "reason") ? jstr(body, "reason") : "Rolled back by hand");
	if (db_begin(db) != 0) {
		req_db_fail(r, "rollback begin");
		goto out;
	}
	if (db_query(db, "SELECT " DEPLOY_COLUMNS ", f.published_version" DEPLOY_FROM " WHERE d.id = ? AND d.tenant_id = ? FOR UPDATE",
	             DB_ARGS(DB_STR(r->params[0]), DB_STR(r->who.tenant)), &rows) != 0) {
		req_db_fail(r, "rollback read");
		goto rollback;
	}
	if (rows->nrows == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Deployment %s not found", r->params[0]);
		goto rollback;
	}
	deploy_from_row(rows, 0, &d);
	bool revertible = strcmp(d.status, "InProgress") == 0 ||
	                  (strcmp(d.status, "Completed") == 0 && db_ll(rows, 0, 18, 0) == d.target);
	int done = revertible ? deploy_finish(db, &d, d.status, "RolledBack", reason) : 1;
	if (done < 0) {
		req_db_fail(r, "rollback");
		goto rollback;
	}
	if (done > 0) {
		tf_fail(&r->err, TF_E_CONFLICT, "Deployment %s is %s%s: there is nothing to roll back", d.id, d.status,
		        strcmp(d.status, "Completed") == 0 ? " and its target is no longer the published version" : "");
		goto rollback;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "rollback commit");
		goto out;
	}
	cache_drop_function(r, d.fn_id);
	db_rows_free(rows);
	rows = NULL;
	if (db_query(db, "SELECT status, rollback_reason, DATE_FORMAT(completed_at, '%Y-%m-%dT%H:%i:%sZ') FROM deployments"
	                 " WHERE id = ?", DB_ARGS(DB_STR(d.id)), &rows) != 0 || rows->nrows != 1) {
		req_db_fail(r, "rollback answer");
		goto out;
	}
	json_object *o = json_object_new_object();
	jadd_str(o, "deploymentId", d.id);
	jadd_str(o, "status", db_val(rows, 0, 0));
	jadd_str(o, "rollbackReason", db_val(rows, 0, 1));
	jadd_str(o, "completedAt", db_val(rows, 0, 2));
	rc = req_reply(r, 200, o);
	goto out;
rollback:
	db_rollback(db);
out:
	deploy_free(&d);
	db_rows_free(rows);
	json_object_put(body);
	return rc;
}
