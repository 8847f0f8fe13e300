/*
 * Runner nodes, cluster-wide: what each tf-worker reports in its heartbeat
 * (its link's port, its instances by function version across every tenant).
 * Only the operator tenant's Admins and Viewers see them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "handlers.h"
#include "jsonx.h"
#include "keys.h"
#include "timefmt.h"

static int operator_only(struct req *r)
{
	if (!r->who.is_operator)
		return tf_fail(&r->err, TF_E_FORBIDDEN, "Runner nodes are visible to the operator's Admins and Viewers only");
	return 0;
}

/* The heartbeat hash of one runner: field, value pairs. */
static redisReply *heartbeat_of(struct req *r, const char *id)
{
	char key[128];
	snprintf(key, sizeof(key), TF_KEY_RUNNER_FMT, id);
	redisReply *rep = rds_cmd(r->conn->rds, "HGETALL %s", key);
	if (rep && rep->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(rep);
		return NULL;
	}
	return rep;
}

static const char *field(const redisReply *h, const char *name)
{
	for (size_t i = 0; h && i + 1 < h->elements; i += 2)
		if (strcmp(h->element[i]->str, name) == 0)
			return h->element[i + 1]->str;
	return NULL;
}

static double fnum(const redisReply *h, const char *name)
{
	const char *v = field(h, name);
	return v ? strtod(v, NULL) : 0;
}

static json_object *runner_json(struct req *r, const struct db_rows *rows, size_t i, bool detail)
{
	const char *id = db_val(rows, i, 0);
	redisReply *h = heartbeat_of(r, id);
	bool alive = db_ll(rows, i, 5, 0) == 1;
	json_object *o = json_object_new_object();

	jadd_str(o, "nodeId", id);
	jadd_str(o, "hostname", db_val(rows, i, 1));
	/* The TCP port of its runner link (tf-api on other hosts reaches it there). */
	const char *port = field(h, "port");
	json_object_object_add(o, "port", port ? json_object_new_int(atoi(port)) : NULL);
	json_object *health = json_object_new_object();
	jadd_bool(health, "isHealthy", alive);
	jadd_double(health, "cpuUsage", fnum(h, "cpuUsage"), 1);
	jadd_double(health, "memoryUsage", fnum(h, "memoryUsage"), 1);
	jadd_int(health, "activeContainers", (long long)fnum(h, "instances"));
	if (detail)
		jadd_int(health, "queuedInvocations", (long long)fnum(h, "queued"));
	/* Beyond the spec: a runner stopping takes no new work while it finishes what it runs. */
	jadd_bool(health, "draining", alive && fnum(h, "draining") == 1);
	json_object_object_add(o, "health", health);
	jadd_str(o, "runtimes", db_val(rows, i, 2));
	if (detail) {
		json_object *res = json_object_new_object();
		jadd_int(res, "totalCpuCores", (long long)fnum(h, "cores"));
		jadd_int(res, "totalMemoryMB", (long long)fnum(h, "memoryMB"));
		jadd_int(res, "maxContainers", db_ll(rows, i, 6, 0));
		json_object_object_add(o, "resources", res);
		const char *containers = field(h, "containers");
		jadd_raw(o, "activeContainers", containers ? containers : "{}");
	}
	jadd_str(o, "startedAt", db_val(rows, i, 3));
	jadd_str(o, "lastHeartbeat", db_val(rows, i, 4));
	freeReplyObject(h);
	return o;
}

#define RUNNER_COLUMNS \
	"SELECT id, hostname, runtimes, DATE_FORMAT(started_at, '%Y-%m-%dT%H:%i:%sZ')," \
	" DATE_FORMAT(last_heartbeat, '%Y-%m-%dT%H:%i:%sZ'), last_heartbeat > NOW(3) - INTERVAL 15 SECOND, max_instances" \
	" FROM runners"

/* GET /api/v1/runners — List Runner Nodes */
int platform_runners_list(struct req *r)
{
	struct db_rows *rows = NULL;

	if (operator_only(r) != 0)
		return -1;
	if (db_query(r->conn->db, RUNNER_COLUMNS " ORDER BY id", DB_NOARGS, &rows) != 0)
		return req_db_fail(r, "runner list");
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(list, runner_json(r, rows, i, false));
	json_object *o = json_object_new_object();
	json_object_object_add(o, "runners", list);
	jadd_int(o, "total", (long long)rows->nrows);
	/* Beyond the spec: the cluster's backlog, which the runners share. */
	json_object_object_add(o, "queueDepth", queue_depth_json(r, true));
	db_rows_free(rows);
	return req_reply(r, 200, o);
}

/* GET /api/v1/runners/{nodeId} — Get Runner Details */
int platform_runners_get(struct req *r)
{
	struct db_rows *rows = NULL, *m = NULL;

	if (operator_only(r) != 0)
		return -1;
	if (db_query(r->conn->db, RUNNER_COLUMNS " WHERE id = ?", DB_ARGS(DB_STR(r->params[0])), &rows) != 0)
		return req_db_fail(r, "runner");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Runner %s not found", r->params[0]);
	}
	json_object *o = runner_json(r, rows, 0, true);
	db_rows_free(rows);
	if (db_query(r->conn->db,
	             "SELECT COUNT(*), COALESCE(SUM(status = 'Succeeded'), 0), COALESCE(SUM(status = 'Failed'), 0),"
	             " COALESCE(SUM(cold_start), 0), COALESCE(AVG(duration_ms), 0), COALESCE(AVG(IF(cold_start = 1, init_ms, NULL)), 0)"
	             " FROM invocations WHERE runner_id = ?",
	             DB_ARGS(DB_STR(r->params[0])), &m) != 0) {
		json_object_put(o);
		return req_db_fail(r, "runner metrics");
	}
	json_object *mj = json_object_new_object();
	jadd_int(mj, "totalInvocations", db_ll(m, 0, 0, 0));
	jadd_int(mj, "successfulInvocations", db_ll(m, 0, 1, 0));
	jadd_int(mj, "failedInvocations", db_ll(m, 0, 2, 0));
	jadd_int(mj, "coldStarts", db_ll(m, 0, 3, 0));
	jadd_double(mj, "avgInvocationDuration", db_double(m, 0, 4, 0), 2);
	jadd_double(mj, "avgColdStartDuration", db_double(m, 0, 5, 0), 2);
	json_object_object_add(o, "metrics", mj);
	db_rows_free(m);
	return req_reply(r, 200, o);
}
