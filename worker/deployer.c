/*
 * The leader's deployment duty: each heartbeat, every deployment in progress is
 * judged on its target's invocations in the current step and moved on, held, or
 * rolled back. Its whole state is its MariaDB row (step, weight, when the step
 * started), so a new leader resumes the step where the old one left it; every
 * change of traffic is one transaction with the row, then tf-api's caches are
 * told to drop the function.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "deploy.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define DEPLOY_BATCH 50
#define DEFAULT_KEEP_BLUE_S 900

/* Tells every tf-api to drop what it cached of the function (its published version and split). */
static void invalidate(struct rds *rds, const char *fn_id)
{
	freeReplyObject(rds_cmd(rds, "PUBLISH %s fn:%s", TF_CHANNEL_INVALIDATE, fn_id));
}

/* The step's length: canaryDuration, or testDuration of a BlueGreen test, in ms. */
static int64_t step_ms(const struct deployment *d)
{
	const char *text = jstr(d->config, strcmp(d->strategy, "BlueGreen") == 0 ? "testDuration" : "canaryDuration");
	int64_t ms = 0;
	return text && iso8601_duration(text, INT64_MAX / 4, &ms) == 0 ? ms : 600000;
}

/* Moves d to step (its weight), in one transaction with its row. */
static int enter_step(struct db *db, const struct deployment *d, int step)
{
	char phase[64];
	uint64_t n = 0;
	int weight = strcmp(d->strategy, "BlueGreen") == 0 ? 0 : d->steps[step];
	int progress = strcmp(d->strategy, "BlueGreen") == 0 ? 50 : weight;

	deploy_phase_name(d, step, phase, sizeof(phase));
	if (db_begin(db) != 0)
		return -1;
	if (deploy_route(db, d, weight) != 0 ||
	    db_exec(db,
	            "UPDATE deployments SET step = ?, weight = ?, progress = ?, current_phase = ?, step_started_at = NOW(3),"
	            " step_extensions = 0, updated_at = NOW(3) WHERE id = ? AND status = 'InProgress' AND step = ?",
	            DB_ARGS(DB_INT(step), DB_INT(weight), DB_INT(progress), DB_STR(phase), DB_STR(d->id), DB_INT(d->step)),
	            &n) != 0 ||
	    n != 1 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	log_info("deployment %s of %s: %s", d->id, d->fn_name, phase);
	return 0;
}

/* Blue's idle instances stay warm for keep_blue_seconds beyond after_ms, on every runner. */
static long long keep_blue(struct rds *rds, const struct deployment *d, int64_t after_ms)
{
	long long keep = config_int(W.cfg, "deployments", "keep_blue_seconds", DEFAULT_KEEP_BLUE_S, 0, 86400);
	char member[96];
	snprintf(member, sizeof(member), "%s@%lld", d->fn_id, d->source);
	freeReplyObject(rds_cmd(rds, "ZADD %s %lld %s", TF_KEY_KEPT, (long long)(after_ms + keep * 1000), member));
	return keep;
}

static int finish(struct rds *rds, struct db *db, const struct deployment *d, const char *status, const char *why)
{
	if (db_begin(db) != 0 || deploy_finish(db, d, "InProgress", status, why) != 0 || db_commit(db) != 0) {
		db_rollback(db);
		return -1;
	}
	invalidate(rds, d->fn_id);
	if (strcmp(status, "Completed") == 0 && jbool(d->config, "keepBlue", false)) {
		/* Blue's idle instances stay warm this long, so that a rollback after the switch serves warm. */
		long long keep = keep_blue(rds, d, now_ms());
		db_exec(db, "UPDATE deployments SET keep_blue_until = NOW(3) + INTERVAL ? SECOND WHERE id = ?",
		        DB_ARGS(DB_INT(keep), DB_STR(d->id)), NULL);
	}
	log_info("deployment %s of %s: %s%s%s", d->id, d->fn_name, status, why ? ": " : "", why ? why : "");
	return 0;
}

/* The next step, or the end: a share of 100 (or the BlueGreen switch) completes the deployment. */
static void advance(struct rds *rds, struct db *db, const struct deployment *d)
{
	int next = d->step + 1;
	bool last = strcmp(d->strategy, "BlueGreen") == 0 || next >= d->nsteps || d->steps[next] >= 100;
	if (last)
		finish(rds, db, d, "Completed", NULL);
	else if (enter_step(db, d, next) == 0)
		invalidate(rds, d->fn_id);
}

static void judge(struct rds *rds, struct db *db, struct deployment *d)
{
	struct deploy_metrics m;
	struct deploy_thresholds t;
	char why[256];

	if (d->step < 0) {  /* new: its first step starts now */
		if (enter_step(db, d, 0) == 0)
			invalidate(rds, d->fn_id);
		/* Kept from the start of the test, so that no runner stops blue before the switch tells it to keep it. */
		if (strcmp(d->strategy, "BlueGreen") == 0 && jbool(d->config, "keepBlue", false))
			keep_blue(rds, d, now_ms() + step_ms(d));
		return;
	}
	if (deploy_metrics(db, d->fn_id, d->target, d->step_started_ms, &m) != 0) {
		log_warn("deployment %s: %s", d->id, db_error(db));
		return;
	}
	deploy_thresholds_of(d->config, &t);
	/* Judged all along the step: a target that fails every call goes back within seconds. */
	if (deploy_judge(&m, &t, d->phase, why, sizeof(why))) {
		finish(rds, db, d, "RolledBack", why);
		return;
	}
	int64_t held = d->now_ms - d->step_started_ms, length = step_ms(d);
	if (held < length * (1 + d->extensions))
		return;
	if (m.count >= t.min_invocations) {
		advance(rds, db, d);
		return;
	}
	/* Too few to tell: held longer, then rolled back as unproven (or promoted, if the config says so). */
	long long max_ext = jint(d->config, "maxExtensions", TF_DEPLOY_DEFAULT_MAX_EXTENSIONS);
	if (d->extensions < max_ext) {
		db_exec(db, "UPDATE deployments SET step_extensions = step_extensions + 1, updated_at = NOW(3) WHERE id = ?",
		        DB_ARGS(DB_STR(d->id)), NULL);
		log_info("deployment %s: %lld invocations of %lld needed in %s; the step is extended", d->id, m.count,
		         t.min_invocations, d->phase);
		return;
	}
	const char *unproven = jstr(d->config, "onUnproven");
	if (unproven && strcmp(unproven, "Promote") == 0) {
		advance(rds, db, d);
		return;
	}
	snprintf(why, sizeof(why), "unproven: %lld invocations < minInvocations %lld in %s", m.count, t.min_invocations,
	         d->phase);
	finish(rds, db, d, "RolledBack", why);
}

void deploy_tick(struct rds *rds, struct db *db)
{
	struct db_rows *rows = NULL;

	freeReplyObject(rds_cmd(rds, "ZREMRANGEBYSCORE %s -inf %lld", TF_KEY_KEPT, (long long)now_ms()));
	if (db_query(db, "SELECT " DEPLOY_COLUMNS DEPLOY_FROM " WHERE d.status = 'InProgress' ORDER BY d.started_at LIMIT ?",
	             DB_ARGS(DB_INT(DEPLOY_BATCH)), &rows) != 0) {
		log_warn("deployments: %s", db_error(db));
		return;
	}
	for (size_t i = 0; i < rows->nrows && !W.stopping; i++) {
		struct deployment d;
		deploy_from_row(rows, i, &d);
		judge(rds, db, &d);
		deploy_free(&d);
	}
	db_rows_free(rows);
}
