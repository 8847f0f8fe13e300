/*
 * The recorder: finished invocations travel through a Redis Stream and are
 * written to MariaDB in batches, off the invocation's path. An entry is
 * acknowledged only after its rows are committed; inserts are idempotent, so an
 * entry delivered twice (a recorder died after committing, before acking)
 * changes nothing. Entries a dead runner's recorder left pending are claimed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "histogram.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define RECORD_BATCH 256
#define RECORD_BLOCK_MS 1000
#define CLAIM_IDLE_MS 60000       /* a pending entry this old belongs to a dead recorder */
#define CLAIM_EVERY_MS 30000

char *record_json(const struct job *j, const struct outcome *oc, const struct log_lines *logs)
{
	json_object *o = json_object_new_object();
	outcome_add_fields(o, oc);
	jadd_str(o, "tenant", j->tenant);
	jadd_str(o, "functionId", j->function_id);
	jadd_str(o, "alias", j->alias[0] ? j->alias : NULL);
	jadd_str(o, "type", j->type[0] ? j->type : "RequestResponse");
	json_object *lines = json_object_new_array();
	for (size_t i = 0; i < logs->n; i++) {
		json_object *l = json_object_new_object();
		jadd_int(l, "ts", logs->v[i].ts_ms);
		jadd_str(l, "level", logs->v[i].level);
		jadd_str(l, "message", logs->v[i].message);
		json_object_array_add(lines, l);
	}
	json_object_object_add(o, "logs", lines);
	/* An asynchronous caller fetches the result later; a synchronous one has it already. */
	if (strcmp(j->type, "Event") == 0 && oc->result)
		jadd_raw(o, "result", oc->result);
	char *text = strdup(json_text(o));
	json_object_put(o);
	return text;
}

/* "2026-05-22 10:00:00.123" */
static void sql_time(int64_t ms, char *out, size_t n)
{
	char iso[40];
	iso8601_ms(ms, iso, sizeof(iso));
	iso[10] = ' ';
	snprintf(out, n, "%.23s", iso);
}

/* The minute an instant falls in, as SQL text. */
static void sql_minute(int64_t ms, char *out, size_t n)
{
	sql_time(ms / 60000 * 60000, out, n);
}

/*
 * Moves the counters and per-minute rollups by one invocation: function and
 * version totals, the minute's sums, and its duration histogram bucket.
 */
static int count_invocation(struct db *db, json_object *rec, const char *fid, const char *started, bool failed)
{
	char minute[32];
	json_object *d = jget(rec, "durationMs");
	double duration = d ? json_object_get_double(d) : 0;
	long long mem = jint(rec, "memoryUsedMB", 0);

	sql_minute(jint(rec, "startedMs", now_ms()), minute, sizeof(minute));
	return db_exec(db,
	               "INSERT INTO function_stats (function_id, invocations, last_invoked_at) VALUES (?, 1, ?)"
	               " ON DUPLICATE KEY UPDATE invocations = invocations + 1,"
	               " last_invoked_at = GREATEST(COALESCE(last_invoked_at, VALUES(last_invoked_at)), VALUES(last_invoked_at))",
	               DB_ARGS(DB_STR(fid), DB_STR(started)), NULL) != 0 ||
	       db_exec(db,
	               "INSERT INTO version_stats (function_id, version, invocations) VALUES (?, ?, 1)"
	               " ON DUPLICATE KEY UPDATE invocations = invocations + 1",
	               DB_ARGS(DB_STR(fid), DB_INT(jint(rec, "version", 0))), NULL) != 0 ||
	       db_exec(db,
	               "INSERT INTO metrics_minute (function_id, minute, invocations, errors, cold_starts, duration_sum,"
	               " memory_sum, memory_max) VALUES (?, ?, 1, ?, ?, ?, ?, ?)"
	               " ON DUPLICATE KEY UPDATE invocations = invocations + 1, errors = errors + VALUES(errors),"
	               " cold_starts = cold_starts + VALUES(cold_starts), duration_sum = duration_sum + VALUES(duration_sum),"
	               " memory_sum = memory_sum + VALUES(memory_sum), memory_max = GREATEST(memory_max, VALUES(memory_max))",
	               DB_ARGS(DB_STR(fid), DB_STR(minute), DB_INT(failed), DB_INT(jbool(rec, "coldStart", false)),
	                       DB_DOUBLE(duration), DB_INT(mem), DB_INT(mem)), NULL) != 0 ||
	       db_exec(db,
	               "INSERT INTO metrics_histogram (function_id, minute, bucket, count) VALUES (?, ?, ?, 1)"
	               " ON DUPLICATE KEY UPDATE count = count + 1",
	               DB_ARGS(DB_STR(fid), DB_STR(minute), DB_INT(hist_bucket(duration))), NULL) != 0
	           ? -1 : 0;
}

int write_record(struct db *db, json_object *rec)
{
	char started[32];
	const char *rid = jstr(rec, "requestId"), *fid = jstr(rec, "functionId"), *st = jstr(rec, "status");
	json_object *d = jget(rec, "durationMs"), *im = jget(rec, "initMs"), *err = jget(rec, "error");
	json_object *res = jget(rec, "result");
	/* An invocation succeeded or failed; how it failed is its error type. */
	bool failed = !(st && strcmp(st, "Succeeded") == 0);
	const char *status = failed ? "Failed" : "Succeeded";
	const char *result = res ? json_text(res) : NULL;
	uint64_t n = 0;

	if (rid == NULL || fid == NULL)
		return 0;  /* unreadable: nothing to keep */
	sql_time(jint(rec, "startedMs", now_ms()), started, sizeof(started));
	double duration = d ? json_object_get_double(d) : 0, init = im ? json_object_get_double(im) : 0;
	long long billed = jint(rec, "billedMs", 0), mem = jint(rec, "memoryUsedMB", 0);
	int cold = jbool(rec, "coldStart", false);
	const char *etype = jstr(err, "errorType"), *emsg = jstr(err, "errorMessage");
	const char *runner = jstr(rec, "runner"), *stream = jstr(rec, "logStreamName");
	/* A synchronous invocation is new here; an asynchronous one has its Queued row to finish. */
	if (db_exec(db,
	            "INSERT IGNORE INTO invocations (request_id, tenant_id, function_id, version, alias,"
	            " invocation_type, status, error_type, error_message, started_at, duration_ms, init_ms,"
	            " billed_ms, memory_used_mb, cold_start, runner_id, log_stream, attempts, finished_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NOW(3))",
	            DB_ARGS(DB_STR(rid), DB_STR(jstr(rec, "tenant")), DB_STR(fid), DB_INT(jint(rec, "version", 0)),
	                    DB_STR(jstr(rec, "alias")), DB_STR(jstr(rec, "type")), DB_STR(status), DB_STR(etype),
	                    DB_STR(emsg), DB_STR(started), DB_DOUBLE(duration), DB_DOUBLE(init), DB_INT(billed),
	                    DB_INT(mem), DB_INT(cold), DB_STR(runner), DB_STR(stream)),
	            &n) != 0)
		return -1;
	if (n == 0 &&
	    db_exec(db,
	            "UPDATE invocations SET status = ?, error_type = ?, error_message = ?, started_at = ?, duration_ms = ?,"
	            " init_ms = ?, billed_ms = ?, memory_used_mb = ?, cold_start = ?, runner_id = ?, log_stream = ?,"
	            " result = ?, finished_at = NOW(3) WHERE request_id = ? AND status IN ('Queued', 'Running')",
	            DB_ARGS(DB_STR(status), DB_STR(etype), DB_STR(emsg), DB_STR(started), DB_DOUBLE(duration),
	                    DB_DOUBLE(init), DB_INT(billed), DB_INT(mem), DB_INT(cold), DB_STR(runner), DB_STR(stream),
	                    DB_STR(result), DB_STR(rid)),
	            &n) != 0)
		return -1;
	if (n == 0)
		return 0;  /* delivered before and written then: counted once, logged once */
	if (count_invocation(db, rec, fid, started, failed) != 0)
		return -1;
	json_object *lines = jget(rec, "logs");
	size_t nl = lines && json_object_is_type(lines, json_type_array) ? json_object_array_length(lines) : 0;
	for (size_t i = 0; i < nl; i++) {
		json_object *l = json_object_array_get_idx(lines, i);
		char ts[32];
		sql_time(jint(l, "ts", now_ms()), ts, sizeof(ts));
		const char *msg = jstr(l, "message");
		if (db_exec(db,
		            "INSERT IGNORE INTO invocation_logs (function_id, request_id, seq, ts, level, message)"
		            " VALUES (?, ?, ?, ?, ?, ?)",
		            DB_ARGS(DB_STR(fid), DB_STR(rid), DB_INT((long long)i), DB_STR(ts),
		                    DB_STR(jstr(l, "level")), DB_STR(msg ? msg : "")), NULL) != 0)
			return -1;
	}
	return 0;
}

/* Writes one batch of stream entries in one transaction; 0 when committed. */
static int write_batch(struct db *db, redisReply *entries)
{
	if (db_begin(db) != 0)
		return -1;
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *e = entries->element[i];
		/* [id, [field, value]]; a deleted entry comes back with a nil body */
		if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY ||
		    e->element[1]->elements != 2)
			continue;
		redisReply *v = e->element[1]->element[1];
		char why[64];
		json_object *rec = json_parse_text(v->str, v->len, why, sizeof(why));
		int rc = rec ? write_record(db, rec) : 0;
		json_object_put(rec);
		if (rc != 0) {
			log_error("recording an invocation: %s", db_error(db));
			db_rollback(db);
			return -1;
		}
	}
	return db_commit(db);
}

static void ack(struct rds *rds, redisReply *entries)
{
	for (size_t i = 0; i < entries->elements; i++) {
		redisReply *id = entries->element[i]->element[0];
		rds_append(rds, "XACK %s %s %b", TF_KEY_RECORDS, TF_GROUP_RECORDERS, id->str, id->len);
		rds_append(rds, "XDEL %s %b", TF_KEY_RECORDS, id->str, id->len);
	}
	for (size_t i = 0; i < 2 * entries->elements; i++)
		freeReplyObject(rds_reply(rds));
}

/* Reads entries: this recorder's pending ones ("0") or new ones (">"). */
static redisReply *read_entries(struct rds *rds, const char *from, int block_ms)
{
	redisReply *rep = block_ms
	    ? rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s %s", TF_GROUP_RECORDERS,
	              W.id, RECORD_BATCH, block_ms, TF_KEY_RECORDS, from)
	    : rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s", TF_GROUP_RECORDERS, W.id,
	              RECORD_BATCH, TF_KEY_RECORDS, from);
	if (rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOGROUP")) {
		freeReplyObject(rep);
		freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_RECORDS, TF_GROUP_RECORDERS));
		return NULL;
	}
	return rep;
}

static redisReply *entries_of(redisReply *rep)
{
	/* [[stream, [entries...]]] */
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
		return NULL;
	redisReply *s = rep->element[0];
	return s->type == REDIS_REPLY_ARRAY && s->elements == 2 && s->element[1]->type == REDIS_REPLY_ARRAY
	           ? s->element[1] : NULL;
}

void *recorder_main(void *arg)
{
	(void)arg;
	struct rds *rds = rds_open(&W.rdc);
	struct db *db = db_open(&W.dbc);
	bool backlog = true;  /* start with what this runner left pending */
	int64_t last_claim = 0;

	rds_set_timeout(rds, RECORD_BLOCK_MS + 5000);
	freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_RECORDS, TF_GROUP_RECORDERS));
	while (!W.stopping) {
		if (mono_ms() - last_claim > CLAIM_EVERY_MS) {
			freeReplyObject(rds_cmd(rds, "XAUTOCLAIM %s %s %s %d 0-0 COUNT %d", TF_KEY_RECORDS,
			                        TF_GROUP_RECORDERS, W.id, CLAIM_IDLE_MS, RECORD_BATCH));
			last_claim = mono_ms();
			backlog = true;
		}
		redisReply *rep = read_entries(rds, backlog ? "0" : ">", backlog ? 0 : RECORD_BLOCK_MS);
		redisReply *entries = entries_of(rep);
		if (rep == NULL || (rep->type == REDIS_REPLY_ERROR)) {
			if (rep)
				log_warn("reading records: %s", rep->str);
			freeReplyObject(rep);
			sleep(1);
			continue;
		}
		if (entries == NULL || entries->elements == 0) {
			backlog = false;
			freeReplyObject(rep);
			continue;
		}
		if (write_batch(db, entries) == 0) {
			ack(rds, entries);
		} else {
			/* Kept pending; tried again from the backlog once MariaDB answers. */
			backlog = true;
			sleep(1);
		}
		freeReplyObject(rep);
	}
	db_close(db);
	rds_close(rds);
	return NULL;
}
