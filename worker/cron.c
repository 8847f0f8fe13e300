/*
 * The leader's schedule duty: Scheduled triggers fire as asynchronous invocations
 * of their target, with EventBridge's scheduled event. A tick fires once across
 * every worker: its row in trigger_ticks is written in the same transaction as
 * the invocation's row, before the invocation is queued, so a leader that dies
 * mid-tick leaves either both (the sweep queues the invocation) or neither (the
 * next leader fires it). A tick missed while every worker was down fires once on
 * recovery if it is within [triggers] missed_tick_seconds; older ones are skipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "asyncq.h"
#include "ids.h"
#include "job_version.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "num.h"
#include "plan.h"
#include "routing.h"
#include "schedule.h"
#include "timefmt.h"
#include "worker.h"

#define CRON_BATCH 50                  /* triggers looked at per round */
#define QUOTA_TTL_S (2 * 24 * 3600)

/* "2026-05-22 10:00:00.123" for SQL, from epoch milliseconds. */
static void sql_time(int64_t ms, char *out, size_t n)
{
	char iso[40];
	iso8601_ms(ms, iso, sizeof(iso));
	iso[10] = ' ';
	snprintf(out, n, "%.23s", iso);
}

/* The next tick of a trigger's schedule after after_ms, as SQL time; SCHED_NEVER_SQL when there is none. */
static void next_tick(const char *config, int64_t anchor_ms, int64_t after_ms, char *out, size_t n)
{
	char why[160];
	json_object *c = json_parse_text(config, strlen(config), why, sizeof(why));
	const char *expr = jstr(c, "scheduleExpression"), *tz = jstr(c, "timezone");
	struct schedule s;
	int64_t next = 0;

	snprintf(out, n, "%s", SCHED_NEVER_SQL);
	if (expr && schedule_parse(expr, schedule_dialect_of(expr), &s, why, sizeof(why)) == 0 &&
	    schedule_next(&s, tz, anchor_ms / 1000, after_ms / 1000, &next) == 0)
		sql_time(next * 1000, out, n);
	json_object_put(c);
}

/* Schedules new, enabled again, or changed get their next tick, from now. */
static void plan_ticks(struct db *db)
{
	struct db_rows *rows = NULL;
	char next[32];

	if (db_query(db,
	             "SELECT t.id, t.config, CAST(UNIX_TIMESTAMP(t.created_at) * 1000 AS SIGNED) FROM triggers t"
	             " JOIN functions f ON f.id = t.function_id WHERE t.type = 'Scheduled' AND t.enabled = 1"
	             " AND t.next_fire_at IS NULL AND f.deleted_at IS NULL LIMIT ?",
	             DB_ARGS(DB_INT(CRON_BATCH)), &rows) != 0) {
		log_warn("schedules: %s", db_error(db));
		return;
	}
	for (size_t i = 0; i < rows->nrows; i++) {
		next_tick(db_val(rows, i, 1), db_ll(rows, i, 2, 0), now_ms(), next, sizeof(next));
		if (db_exec(db, "UPDATE triggers SET next_fire_at = ? WHERE id = ? AND next_fire_at IS NULL",
		            DB_ARGS(DB_STR(next), DB_STR(db_val(rows, i, 0))), NULL) != 0)
			log_warn("schedule of %s: %s", db_val(rows, i, 0), db_error(db));
	}
	db_rows_free(rows);
}

/* The version a target names: a number, an alias (by its routing weights), or the published one. */
static long long target_version(struct db *db, const char *fn_id, const char *target, long long published)
{
	struct db_rows *rows = NULL;
	long long v = 0;

	if (target == NULL || target[0] == '\0')
		return published;
	if (parse_ll(target, 1, INT32_MAX, &v) == 0)
		return v;
	if (db_query(db, "SELECT version, routing FROM aliases WHERE function_id = ? AND name = ?",
	             DB_ARGS(DB_STR(fn_id), DB_STR(target)), &rows) != 0 || rows->nrows == 0) {
		db_rows_free(rows);
		return 0;
	}
	v = routing_pick(db_val(rows, 0, 1), db_ll(rows, 0, 0, 0));
	db_rows_free(rows);
	return v;
}

/* EventBridge's scheduled event, as Lambda functions on a schedule receive it. */
static char *scheduled_event(const char *tenant, const char *trigger_id, int64_t tick_ms)
{
	char id[TF_REQUEST_ID_LEN + 1], time[40], resource[160];
	json_object *e = json_object_new_object();

	uuid_v4(id);
	iso8601_s(tick_ms, time, sizeof(time));
	snprintf(resource, sizeof(resource), "tf:%s:trigger/%s", tenant, trigger_id);
	jadd_str(e, "version", "0");
	jadd_str(e, "id", id);
	jadd_str(e, "detail-type", "Scheduled Event");
	jadd_str(e, "source", "aws.events");
	jadd_str(e, "account", tenant);
	jadd_str(e, "time", time);
	jadd_str(e, "region", "tf");
	json_object *resources = json_object_new_array();
	json_object_array_add(resources, json_object_new_string(resource));
	json_object_object_add(e, "resources", resources);
	json_object_object_add(e, "detail", json_object_new_object());
	char *text = strdup(json_text(e));
	json_object_put(e);
	return text;
}

/* The job of one tick: the target version of the trigger's function. -1 when it cannot run now. */
static int tick_job(struct db *db, const char *fn_id, const char *target, const char *tenant, const char *trigger_id,
                    int64_t tick_ms, struct job *j)
{
	struct db_rows *fn = NULL;
	int rc = -1;

	memset(j, 0, sizeof(*j));
	if (db_query(db,
	             "SELECT f.name, COALESCE(f.published_version, 0), t.plan, t.is_operator, f.published_routing"
	             " FROM functions f JOIN tenants t ON t.id = f.tenant_id WHERE f.id = ?",
	             DB_ARGS(DB_STR(fn_id)), &fn) != 0 || fn->nrows != 1)
		goto out;
	/* The published version, split as a deployment in progress splits it. */
	long long published = routing_pick(db_val(fn, 0, 4), db_ll(fn, 0, 1, 0));
	long long version = target_version(db, fn_id, target, published);
	if (version <= 0 || job_load_version(db, fn_id, version, j) != 0)
		goto out;
	uuid_v4(j->request_id);
	snprintf(j->tenant, sizeof(j->tenant), "%s", tenant);
	snprintf(j->function_name, sizeof(j->function_name), "%s", db_val(fn, 0, 0));
	if (target && target[0] && parse_ll(target, 1, INT32_MAX, &version) != 0)
		snprintf(j->alias, sizeof(j->alias), "%s", target);
	snprintf(j->type, sizeof(j->type), "Event");
	const struct plan_limits *limits = db_ll(fn, 0, 3, 0) == 1 ? NULL : plan_find(db_val(fn, 0, 2));
	j->account_concurrency = limits ? (int)limits->concurrency : -1;
	j->enqueued_ms = now_ms();
	j->payload = scheduled_event(tenant, trigger_id, tick_ms);
	rc = 0;
out:
	db_rows_free(fn);
	return rc;
}

/* Takes one from today's quota of the tenant (its plan's), refusing past it; true when taken. */
static bool quota_take(struct rds *rds, struct db *db, const char *tenant)
{
	struct db_rows *rows = NULL;
	char key[160], day[16];

	if (db_query(db, "SELECT plan, is_operator FROM tenants WHERE id = ?", DB_ARGS(DB_STR(tenant)), &rows) != 0)
		return true;  /* MariaDB answers the tick's writes next, or the tick waits */
	const struct plan_limits *limits = rows->nrows == 1 && db_ll(rows, 0, 1, 0) != 1 ? plan_find(db_val(rows, 0, 0)) : NULL;
	db_rows_free(rows);
	if (limits == NULL)
		return true;
	utc_day(now_ms(), day, sizeof(day));
	snprintf(key, sizeof(key), TF_KEY_QUOTA_FMT, tenant, day);
	redisReply *rep = rds_cmd(rds, "INCR %s", key);
	long long n = rds_int(rep, 0);
	freeReplyObject(rep);
	freeReplyObject(rds_cmd(rds, "EXPIRE %s %d", key, QUOTA_TTL_S));
	if (n <= limits->invocations_per_day)
		return true;
	freeReplyObject(rds_cmd(rds, "DECR %s", key));
	return false;
}

static void refund(struct rds *rds, const char *tenant)
{
	char key[160], day[16];
	utc_day(now_ms(), day, sizeof(day));
	snprintf(key, sizeof(key), TF_KEY_QUOTA_FMT, tenant, day);
	freeReplyObject(rds_cmd(rds, "DECR %s", key));
}

/* Fires one due tick of one trigger, or skips it; its next tick is set either way. */
static void fire(struct rds *rds, struct db *db, const struct db_rows *rows, size_t i, long long window_s)
{
	const char *id = db_val(rows, i, 0), *tenant = db_val(rows, i, 1), *fn_id = db_val(rows, i, 2);
	const char *target = db_val(rows, i, 3), *config = db_val(rows, i, 4), *tick_text = db_val(rows, i, 6);
	int64_t tick_ms = db_ll(rows, i, 5, 0), now = now_ms();
	char next[32];
	struct job j = { 0 };
	uint64_t n = 0;

	next_tick(config, db_ll(rows, i, 7, 0), now, next, sizeof(next));
	bool missed = tick_ms < now - window_s * 1000;
	bool quota = !missed && quota_take(rds, db, tenant);
	bool runnable = quota && tick_job(db, fn_id, target, tenant, id, tick_ms, &j) == 0;
	if (quota && !runnable)
		refund(rds, tenant);
	char *text = runnable ? job_to_json(&j) : NULL;
	if (db_begin(db) != 0)
		goto out;
	/* The tick's row first: a second leader (or a retry) finds it and fires nothing. */
	if (runnable &&
	    db_exec(db, "INSERT IGNORE INTO trigger_ticks (trigger_id, tick_at, request_id, created_at) VALUES (?, ?, ?, NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(tick_text), DB_STR(j.request_id)), &n) != 0)
		goto fail;
	if (n == 1 &&
	    db_exec(db,
	            "INSERT INTO invocations (request_id, tenant_id, function_id, version, alias, invocation_type,"
	            " status, started_at, queued_at, job) VALUES (?, ?, ?, ?, ?, 'Event', 'Queued', NOW(3), NOW(3), ?)",
	            DB_ARGS(DB_STR(j.request_id), DB_STR(tenant), DB_STR(fn_id), DB_INT(j.version),
	                    DB_STR(j.alias[0] ? j.alias : NULL), DB_STR(text)), NULL) != 0)
		goto fail;
	if (db_exec(db,
	            "UPDATE triggers SET next_fire_at = ?, last_fired_at = IF(?, ?, last_fired_at) WHERE id = ?"
	            " AND next_fire_at = ?",
	            DB_ARGS(DB_STR(next), DB_INT(n == 1), DB_STR(tick_text), DB_STR(id), DB_STR(tick_text)), NULL) != 0 ||
	    db_commit(db) != 0)
		goto fail;
	if (runnable && n == 0)
		refund(rds, tenant);  /* another leader fired this tick */
	if (n == 1) {
		/* Committed: the platform owes it a run; a stream that loses it leaves it to the sweep. */
		rds_append(rds, "HINCRBY %s %s 1", TF_KEY_ASYNC_DEPTH, fn_id);
		rds_append(rds, "HINCRBY %s * 1", TF_KEY_ASYNC_DEPTH);
		freeReplyObject(rds_reply(rds));
		freeReplyObject(rds_reply(rds));
		if (async_enqueue(rds, j.request_id, text) != 0)
			log_warn("scheduled invocation %s left to the sweep: %s", j.request_id, rds_error(rds));
		log_info("trigger %s fired for %s (invocation %s)", id, tick_text, j.request_id);
	} else if (missed) {
		log_warn("trigger %s: the tick of %s was missed by more than %lld s; skipped", id, tick_text, window_s);
	} else if (!runnable) {
		log_warn("trigger %s: the tick of %s skipped: %s", id, tick_text,
		         quota ? "its target version or alias no longer exists" : "its tenant is past today's quota");
	}
	goto out;
fail:
	log_warn("trigger %s: %s", id, db_error(db));
	db_rollback(db);
	if (runnable)
		refund(rds, tenant);  /* tried again at the next round */
out:
	free(text);
	job_free(&j);
}

void cron_tick(struct rds *rds, struct db *db)
{
	struct db_rows *rows = NULL;
	long long window = config_int(W.cfg, "triggers", "missed_tick_seconds", 3600, 0, 86400 * 30);

	plan_ticks(db);
	if (db_query(db,
	             "SELECT t.id, t.tenant_id, t.function_id, t.target, t.config,"
	             " CAST(UNIX_TIMESTAMP(t.next_fire_at) * 1000 AS SIGNED), DATE_FORMAT(t.next_fire_at, '%Y-%m-%d %H:%i:%s.%f'),"
	             " CAST(UNIX_TIMESTAMP(t.created_at) * 1000 AS SIGNED)"
	             " FROM triggers t JOIN functions f ON f.id = t.function_id WHERE t.type = 'Scheduled'"
	             " AND t.enabled = 1 AND t.next_fire_at <= NOW(3) AND f.deleted_at IS NULL"
	             " ORDER BY t.next_fire_at LIMIT ?",
	             DB_ARGS(DB_INT(CRON_BATCH)), &rows) != 0) {
		log_warn("due schedules: %s", db_error(db));
		return;
	}
	for (size_t i = 0; i < rows->nrows && !W.stopping; i++)
		fire(rds, db, rows, i, window);
	db_rows_free(rows);
}
