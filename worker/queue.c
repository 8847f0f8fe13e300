/*
 * The dispatchers: each takes one job at a time from the run queue, runs it in
 * a warm instance or a new one, and in one round trip answers the waiting
 * caller and queues the invocation's record for the recorder.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "concurrency.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define POP_TIMEOUT_S 1   /* how often an idle dispatcher looks at the stop flag */

static void platform_error(struct outcome *oc, const char *msg)
{
	oc->status = OUTCOME_PLATFORM_ERROR;
	json_object_put(oc->error);
	oc->error = lambda_error("Platform.Error", msg);
}

void run_job(struct db *db, const struct job *j, struct outcome *oc, struct log_lines *logs)
{
	char key[96], code_dir[PATH_MAX], why[256];
	enum acquired how;

	const struct runtime_def *rt = runtime_def_find(j->runtime);
	if (rt == NULL || !rt->available) {
		platform_error(oc, "this runner does not have the function's runtime");
		return;
	}
	snprintf(key, sizeof(key), "%s@%d", j->function_id, j->version);
	struct instance *in = pool_acquire(key, rt, j->memory_mb, &how);
	if (in == NULL) {
		platform_error(oc, "this runner has no room for another instance (slots or memory budget)");
		return;
	}
	if (how == ACQ_WARM && !instance_usable(in)) {
		/* Its runtime ended after its last answer: this invocation starts a new one. */
		instance_stop(in);
		how = ACQ_NEW;
	}
	if (how != ACQ_WARM) {
		oc->cold_start = true;
		/* The code is pinned from here until an instance runs from it: the cache's trim keeps it. */
		if (codecache_get(db, j->code_sha256, code_dir, sizeof(code_dir), why, sizeof(why)) != 0) {
			log_error("job %s: %s", j->request_id, why);
			platform_error(oc, "the function's code could not be prepared on this runner");
			if (how == ACQ_SPARE)
				instance_stop(in);  /* a spare is not handed to another function */
			pool_release(in);
			return;
		}
		int started = how == ACQ_SPARE ? instance_adopt(in, j, code_dir, oc, logs)
		                               : instance_start(in, j, rt, code_dir, oc, logs);
		if (started == 0) {
			char label[96];
			snprintf(label, sizeof(label), "%s:v%d", j->function_name, j->version);
			pool_name(in, key, label, j->code_sha256);
		}
		codecache_pin(j->code_sha256, false);
		if (started != 0) {
			pool_release(in);
			return;
		}
	}
	instance_invoke(in, j, oc, logs);
	pool_release(in);
}

/* Answers the caller and queues the record, pipelined: one round trip. */
static void publish(struct rds *rds, const struct job *j, const struct outcome *oc,
                    const struct log_lines *logs)
{
	char reply_key[96];
	char *reply = outcome_to_json(oc);
	char *record = record_json(j, oc, logs);

	log_invocation(j, oc);
	snprintf(reply_key, sizeof(reply_key), TF_KEY_REPLY_FMT, j->request_id);
	int queued = 0;
	queued += rds_append(rds, "RPUSH %s %b", reply_key, reply, strlen(reply)) == 0;
	queued += rds_append(rds, "EXPIRE %s %d", reply_key, TF_REPLY_TTL_S) == 0;
	queued += rds_append(rds, "XADD %s * r %b", TF_KEY_RECORDS, record, strlen(record)) == 0;
	queued += conc_give_back(rds, j);
	for (int i = 0; i < queued; i++) {
		redisReply *rep = rds_reply(rds);
		if (!rds_ok(rep))
			log_error("publishing %s: %s", j->request_id, rep ? rep->str : rds_error(rds));
		freeReplyObject(rep);
	}
	free(reply);
	free(record);
}

void outcome_begin(const struct job *j, struct outcome *oc)
{
	memset(oc, 0, sizeof(*oc));
	snprintf(oc->request_id, sizeof(oc->request_id), "%s", j->request_id);
	snprintf(oc->runner, sizeof(oc->runner), "%s", W.id);
	oc->version = j->version;
	oc->started_ms = now_ms();
}

void *dispatcher_main(void *arg)
{
	(void)arg;
	struct rds *rds = rds_open(&W.rdc);
	struct db *db = db_open(&W.dbc);

	rds_set_timeout(rds, (POP_TIMEOUT_S + 5) * 1000);
	while (!W.stopping) {
		redisReply *rep = rds_cmd(rds, "BRPOP %s %d", TF_KEY_RUN_QUEUE, POP_TIMEOUT_S);
		if (rep == NULL) {
			log_warn("run queue unavailable: %s", rds_error(rds));
			sleep(1);
			continue;
		}
		if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
			freeReplyObject(rep);
			continue;
		}
		struct job j;
		char why[128];
		int parsed = job_from_json(rep->element[1]->str, rep->element[1]->len, &j, why, sizeof(why));
		freeReplyObject(rep);
		if (parsed != 0) {
			log_error("dropping a malformed job: %s", why);
			continue;
		}
		if (now_ms() > j.wait_until_ms) {
			/* Its caller has given up; running it now would only bill for nothing. */
			log_warn("job %s expired in the queue", j.request_id);
			for (int i = conc_give_back(rds, &j); i > 0; i--)
				freeReplyObject(rds_reply(rds));
			job_free(&j);
			continue;
		}
		struct outcome oc = { 0 };
		struct log_lines logs = { 0 };
		outcome_begin(&j, &oc);
		run_job(db, &j, &oc, &logs);
		publish(rds, &j, &oc, &logs);
		log_lines_free(&logs);
		outcome_free(&oc);
		job_free(&j);
	}
	db_close(db);
	rds_close(rds);
	return NULL;
}
