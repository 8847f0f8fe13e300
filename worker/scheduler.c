/*
 * The duties of the cluster's leader: one tf-worker at a time holds the Redis
 * lock (SET NX PX, renewed with each heartbeat); when it lapses another takes
 * over. The leader queues again accepted invocations that no stream holds, purges
 * soft-deleted functions, collects code packages nothing references and drops
 * finished invocations once their retention has passed.
 */
#include <stdio.h>
#include <string.h>

#include "asyncq.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define SWEEP_BATCH 200
#define LEADER_TTL_MS 10000
#define PURGE_EVERY_MS 10000
#define UPKEEP_EVERY_MS 30000
#define RUNNING_LOST_S 1200         /* past the longest timeout and the visibility timeout: its worker is gone */
#define PURGE_BATCH 20              /* functions purged per round, to keep each short */
#define EXPIRE_BATCH 200            /* finished invocations dropped per round, in one transaction */
#define DAY_S 86400
#define RETENTION_MAX_S (10LL * 365 * DAY_S)

/* Whether this worker holds the cluster's leader lock (taking or renewing it). */
static bool leader(struct rds *rds)
{
	redisReply *rep = rds_cmd(rds, "SET tf:leader %s NX PX %d", W.id, LEADER_TTL_MS);
	bool mine = rds_ok(rep) && rep->type == REDIS_REPLY_STATUS;
	freeReplyObject(rep);
	if (mine)
		return true;
	rep = rds_cmd(rds, "GET tf:leader");
	mine = rds_ok(rep) && rep->type == REDIS_REPLY_STRING && strcmp(rep->str, W.id) == 0;
	freeReplyObject(rep);
	if (mine)
		freeReplyObject(rds_cmd(rds, "PEXPIRE tf:leader %d", LEADER_TTL_MS));
	return mine;
}

/*
 * Queues again the accepted invocations that no stream holds: Queued ones (tf-api
 * died between its commit and its XADD, or Redis lost its data), Retrying ones
 * whose backoff has passed, and Running ones whose worker and stream entry are
 * both gone. The set of ids the stream holds goes with the stream, so after a loss
 * every such row is queued again; delivery is at least once.
 */
static void sweep(struct rds *rds, struct db *db)
{
	struct db_rows *rows = NULL;

	if (db_query(db,
	             "SELECT request_id, job, status FROM invocations WHERE invocation_type = 'Event' AND job IS NOT NULL AND ("
	             " (status = 'Queued' AND queued_at < NOW(3) - INTERVAL ? SECOND)"
	             " OR (status = 'Retrying' AND next_attempt_at <= NOW(3))"
	             " OR (status = 'Running' AND started_at < NOW(3) - INTERVAL ? SECOND))"
	             " ORDER BY COALESCE(next_attempt_at, queued_at) LIMIT ?",
	             DB_ARGS(DB_INT(W.requeue_after_s), DB_INT(RUNNING_LOST_S), DB_INT(SWEEP_BATCH)), &rows) != 0) {
		log_warn("sweep: %s", db_error(db));
		return;
	}
	for (size_t i = 0; i < rows->nrows; i++) {
		const char *rid = db_val(rows, i, 0), *job = db_val(rows, i, 1);
		redisReply *held = rds_cmd(rds, "SISMEMBER %s %s", TF_KEY_ASYNC_IDS, rid);
		bool in_stream = rds_int(held, 0) == 1;
		freeReplyObject(held);
		if (in_stream)
			continue;
		log_fields(TFLOG_INFO, "queuing an accepted invocation again", "requestId", rid, "was", db_val(rows, i, 2), NULL);
		if (async_enqueue(rds, rid, job) != 0)
			log_warn("sweep: cannot queue %s: %s", rid, rds_error(rds));
	}
	db_rows_free(rows);
}

/*
 * Keeps what backs the async queue honest: the depth counters are recounted from
 * the rows (a crash may have left them off), and idempotency keys older than a day
 * are freed, so a key repeated later queues anew.
 */
static void upkeep(struct rds *rds, struct db *db)
{
	static int64_t last;
	struct db_rows *rows = NULL;

	if (mono_ms() - last < UPKEEP_EVERY_MS)
		return;
	last = mono_ms();
	if (db_exec(db, "UPDATE invocations SET idempotency_key = NULL WHERE idempotency_key IS NOT NULL"
	                " AND queued_at < NOW(3) - INTERVAL 1 DAY LIMIT 10000", DB_NOARGS, NULL) != 0)
		log_warn("idempotency upkeep: %s", db_error(db));
	if (db_query(db, "SELECT function_id, COUNT(*) FROM invocations WHERE status IN ('Queued', 'Running', 'Retrying')"
	                 " GROUP BY function_id", DB_NOARGS, &rows) != 0) {
		log_warn("depth upkeep: %s", db_error(db));
		return;
	}
	long long total = 0;
	rds_append(rds, "MULTI");
	rds_append(rds, "DEL %s", TF_KEY_ASYNC_DEPTH);
	for (size_t i = 0; i < rows->nrows; i++) {
		rds_append(rds, "HSET %s %s %lld", TF_KEY_ASYNC_DEPTH, db_val(rows, i, 0), db_ll(rows, i, 1, 0));
		total += db_ll(rows, i, 1, 0);
	}
	rds_append(rds, "HSET %s * %lld", TF_KEY_ASYNC_DEPTH, total);
	rds_append(rds, "EXEC");
	for (size_t i = 0; i < rows->nrows + 4; i++)
		freeReplyObject(rds_reply(rds));
	db_rows_free(rows);
}

/*
 * Removes everything of one function deleted longer ago than the retention: its
 * logs, invocations, rollups, aliases, deployments, versions and row, in one
 * transaction.
 */
static int purge_function(struct db *db, const char *id)
{
	static const char *const steps[] = {
		"DELETE FROM invocation_logs WHERE function_id = ?",
		"DELETE FROM invocations WHERE function_id = ?",
		"DELETE FROM metrics_histogram WHERE function_id = ?",
		"DELETE FROM metrics_minute WHERE function_id = ?",
		"DELETE FROM function_stats WHERE function_id = ?",
		"DELETE FROM version_stats WHERE function_id = ?",
		"DELETE FROM aliases WHERE function_id = ?",
		"DELETE FROM deployments WHERE function_id = ?",
		"DELETE FROM trigger_ticks WHERE trigger_id IN (SELECT id FROM triggers WHERE function_id = ?)",
		"DELETE FROM triggers WHERE function_id = ?",
		"DELETE FROM versions WHERE function_id = ?",
		"DELETE FROM functions WHERE id = ? AND deleted_at IS NOT NULL",
	};
	if (db_begin(db) != 0)
		return -1;
	for (size_t i = 0; i < TF_ARRAY_LEN(steps); i++) {
		if (db_exec(db, steps[i], DB_ARGS(DB_STR(id)), NULL) != 0) {
			db_rollback(db);
			return -1;
		}
	}
	return db_commit(db);
}

static void purge(struct db *db)
{
	static int64_t last;
	struct db_rows *rows = NULL;
	long long retention = config_int(W.cfg, "retention", "deleted_function_seconds", 7 * DAY_S, 0, RETENTION_MAX_S);

	if (mono_ms() - last < PURGE_EVERY_MS)
		return;
	last = mono_ms();
	if (db_query(db, "SELECT id FROM functions WHERE deleted_at IS NOT NULL AND deleted_at < NOW(3) - INTERVAL ? SECOND LIMIT ?",
	             DB_ARGS(DB_INT(retention), DB_INT(PURGE_BATCH)), &rows) != 0) {
		log_warn("purge: %s", db_error(db));
		return;
	}
	for (size_t i = 0; i < rows->nrows; i++) {
		if (purge_function(db, db_val(rows, i, 0)) == 0)
			log_info("purged deleted function %s", db_val(rows, i, 0));
		else
			log_warn("purge of %s: %s", db_val(rows, i, 0), db_error(db));
	}
	db_rows_free(rows);
}

#define COLLECT_BATCH 100  /* code packages dropped per round */

/*
 * Drops code packages that no version and no function (draft, or deleted and not
 * yet purged) references. Packages are content-addressed and shared: one may be
 * stored again this very moment for a new version, which touches it, so only those
 * untouched for [retention] code_blob_seconds go.
 */
static void collect_blobs(struct db *db)
{
	static int64_t last;
	long long grace = config_int(W.cfg, "retention", "code_blob_seconds", 3600, 0, RETENTION_MAX_S);
	uint64_t n = 0;

	if (mono_ms() - last < PURGE_EVERY_MS)
		return;
	last = mono_ms();
	if (db_exec(db,
	            "DELETE FROM code_blobs WHERE COALESCE(touched_at, created_at) < NOW(3) - INTERVAL ? SECOND"
	            " AND NOT EXISTS (SELECT 1 FROM versions v WHERE v.code_sha256 = code_blobs.sha256)"
	            " AND NOT EXISTS (SELECT 1 FROM functions f WHERE f.code_sha256 = code_blobs.sha256) LIMIT ?",
	            DB_ARGS(DB_INT(grace), DB_INT(COLLECT_BATCH)), &n) != 0)
		log_warn("code collection: %s", db_error(db));
	else if (n > 0)
		log_info("collected %llu code packages no version uses", (unsigned long long)n);
}

/*
 * Drops finished invocations (their result, error and log lines) once the results
 * retention has passed. Rollups keep their counts; waiting ones are never dropped.
 */
static void expire_results(struct db *db)
{
	static int64_t last;
	long long retention = config_int(W.cfg, "retention", "invocation_seconds", 7 * DAY_S, 60, RETENTION_MAX_S);
	struct db_rows *rows = NULL;

	if (mono_ms() - last < PURGE_EVERY_MS)
		return;
	last = mono_ms();
	if (db_query(db,
	             "SELECT request_id FROM invocations WHERE status IN ('Succeeded', 'Failed', 'DeadLettered')"
	             " AND finished_at < NOW(3) - INTERVAL ? SECOND LIMIT ?",
	             DB_ARGS(DB_INT(retention), DB_INT(EXPIRE_BATCH)), &rows) != 0) {
		log_warn("results retention: %s", db_error(db));
		return;
	}
	/* One transaction for the batch; a row re-driven meanwhile is no longer final and keeps its logs. */
	int rc = db_begin(db);
	for (size_t i = 0; i < rows->nrows && rc == 0; i++) {
		const char *rid = db_val(rows, i, 0);
		uint64_t n = 0;
		rc = db_exec(db, "DELETE FROM invocations WHERE request_id = ? AND status IN ('Succeeded', 'Failed', 'DeadLettered')",
		             DB_ARGS(DB_STR(rid)), &n);
		if (rc == 0 && n == 1)
			rc = db_exec(db, "DELETE FROM invocation_logs WHERE request_id = ?", DB_ARGS(DB_STR(rid)), NULL);
	}
	if (rc != 0 || db_commit(db) != 0) {
		log_warn("results retention: %s", db_error(db));
		db_rollback(db);
	}
	db_rows_free(rows);
}

void scheduler_tick(struct rds *rds, struct db *db)
{
	if (!leader(rds))
		return;
	cron_tick(rds, db);
	deploy_tick(rds, db);
	sweep(rds, db);
	upkeep(rds, db);
	purge(db);
	collect_blobs(db);
	expire_results(db);
}
