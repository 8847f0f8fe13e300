/*
 * The duties of the cluster's leader: one tf-worker at a time holds the Redis
 * lock (SET NX PX, renewed with each heartbeat); when it lapses another takes
 * over. The leader queues again accepted invocations that no stream holds, and
 * purges soft-deleted functions once their retention has passed.
 */
#include <stdio.h>
#include <string.h>

#include "asyncq.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define SWEEP_AGE_S 30              /* a Queued row this old that no stream holds is queued again */
#define SWEEP_BATCH 200
#define LEADER_TTL_MS 10000
#define PURGE_EVERY_MS 10000
#define PURGE_BATCH 20              /* functions purged per round, to keep each short */

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

/* Queues again the accepted invocations that no stream holds. */
static void sweep(struct rds *rds, struct db *db)
{
	struct db_rows *rows = NULL;

	/*
	 * Queued rows no stream holds: tf-api died between its commit and its XADD, or
	 * Redis lost its data. The set of ids the stream holds goes with the stream, so
	 * after a loss every old Queued row is queued again.
	 */
	if (db_query(db,
	             "SELECT request_id, job FROM invocations WHERE status = 'Queued' AND invocation_type = 'Event'"
	             " AND queued_at < NOW(3) - INTERVAL ? SECOND AND job IS NOT NULL LIMIT ?",
	             DB_ARGS(DB_INT(SWEEP_AGE_S), DB_INT(SWEEP_BATCH)), &rows) != 0) {
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
		log_fields(TFLOG_WARN, "re-queuing an accepted invocation no stream holds", "requestId", rid, NULL);
		if (async_enqueue(rds, rid, job) != 0)
			log_warn("sweep: cannot queue %s: %s", rid, rds_error(rds));
	}
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
	long long retention = config_int(W.cfg, "retention", "deleted_function_seconds", 7 * 86400, 0, 10LL * 365 * 86400);

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
	/*
	 * Code packages are content-addressed and shared; one the purged function used
	 * may be uploaded again this very moment. They stay until a collector with a
	 * grace period exists (docs/platform-api.md).
	 */
	db_rows_free(rows);
}

void scheduler_tick(struct rds *rds, struct db *db)
{
	if (!leader(rds))
		return;
	sweep(rds, db);
	purge(db);
}
