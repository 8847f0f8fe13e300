/*
 * Asynchronous invocations. tf-api committed each one's row (Queued, with its job)
 * before answering 202, then added it to a Redis Stream read by every worker
 * through one consumer group. A worker acknowledges an entry only after the
 * outcome is committed; while an entry runs, its worker claims it anew every few
 * seconds, so it is never taken over alive. An entry whose worker died idles past
 * the visibility timeout and another worker claims it.
 */
#include <stdint.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "asyncq.h"
#include "concurrency.h"
#include "retry.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"

#define ASYNC_BLOCK_MS 1000
/* An entry idle for [async] visibility_timeout_ms lost its worker; each consumer looks six times as often. */
#define ASYNC_CLAIM_EVERY_MS (W.visibility_ms / 6)
#define ASYNC_MAX_RUNNING 4096
#define ASYNC_THROTTLED_MAX_WAIT_S 60  /* the longest a throttled invocation waits for its next chance */
#define ASYNC_PLACE_SLACK_MS 10000   /* a concurrency place outlives its run's limit by this */

static pthread_mutex_t running_lock = PTHREAD_MUTEX_INITIALIZER;
static char running[ASYNC_MAX_RUNNING][40];     /* stream ids this runner works on */
static char running_by[ASYNC_MAX_RUNNING][96];  /* the consumer that holds each */

static void running_set(const char *id, const char *consumer, bool add)
{
	pthread_mutex_lock(&running_lock);
	for (int i = 0; i < ASYNC_MAX_RUNNING; i++) {
		if (add && running[i][0] == '\0') {
			snprintf(running[i], sizeof(running[i]), "%s", id);
			snprintf(running_by[i], sizeof(running_by[i]), "%s", consumer);
			break;
		}
		if (!add && strcmp(running[i], id) == 0) {
			running[i][0] = '\0';
			break;
		}
	}
	pthread_mutex_unlock(&running_lock);
}

/* Whether this runner works on the entry already (it must never claim from itself what it runs). */
static bool running_has(const char *id)
{
	bool found = false;

	pthread_mutex_lock(&running_lock);
	for (int i = 0; i < ASYNC_MAX_RUNNING && !found; i++)
		found = strcmp(running[i], id) == 0;
	pthread_mutex_unlock(&running_lock);
	return found;
}

void async_touch(struct rds *rds)
{
	int n = 0;

	pthread_mutex_lock(&running_lock);
	for (int i = 0; i < ASYNC_MAX_RUNNING; i++) {
		if (running[i][0] == '\0')
			continue;
		/* Claiming one's own entry resets its idle time: "still being worked on". */
		rds_append(rds, "XCLAIM %s %s %s 0 %s JUSTID", TF_KEY_ASYNC, TF_GROUP_RUNNERS, running_by[i], running[i]);
		n++;
	}
	pthread_mutex_unlock(&running_lock);
	for (int i = 0; i < n; i++)
		freeReplyObject(rds_reply(rds));
}

/* Which try this is: within the current round (re-driving starts a new one) and ever. */
struct try {
	long long attempt, ever, age_s;
};

/* What became of one try: the status the row takes, and when a retry is due. */
struct verdict {
	const char *status;     /* Succeeded, Retrying or DeadLettered */
	int64_t next_attempt_ms;
};

/* Any try that did not succeed (error, timeout, out of memory, crash) failed (common/retry.c). */
static struct verdict judge(const struct job *j, const struct outcome *oc, const struct try *tr)
{
	struct retry_verdict r = retry_judge(oc->status == OUTCOME_SUCCEEDED, tr->attempt, j->max_retries, tr->age_s,
	                                     j->max_event_age_s, W.retry_backoff_ms);
	return (struct verdict){ r.status, r.delay_ms ? now_ms() + r.delay_ms : 0 };
}

/*
 * A function's reserved concurrency as it is now, not as it was when its events
 * were queued (setting 0 must stop a backlog too): read from MariaDB at most once
 * a second per function, kept in a small table shared by the consumers.
 */
#define RESERVATION_SLOTS 256
#define RESERVATION_FRESH_MS 1000

static pthread_mutex_t reservation_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
	char function_id[32];
	int reserved;
	int64_t read_ms;
} reservations[RESERVATION_SLOTS];

static int current_reservation(struct db *db, const struct job *j)
{
	unsigned h = 5381;
	for (const char *p = j->function_id; *p; p++)
		h = h * 33 + (unsigned char)*p;
	h %= RESERVATION_SLOTS;
	int reserved = j->reserved_concurrency;
	bool fresh;

	pthread_mutex_lock(&reservation_lock);
	fresh = strcmp(reservations[h].function_id, j->function_id) == 0 &&
	        mono_ms() - reservations[h].read_ms < RESERVATION_FRESH_MS;
	if (fresh)
		reserved = reservations[h].reserved;
	pthread_mutex_unlock(&reservation_lock);
	if (fresh)
		return reserved;
	struct db_rows *rows = NULL;
	if (db_query(db, "SELECT COALESCE(reserved_concurrency, -1) FROM functions WHERE id = ?",
	             DB_ARGS(DB_STR(j->function_id)), &rows) != 0)
		return reserved;  /* MariaDB away: the reservation the event was queued with */
	if (rows->nrows == 1)
		reserved = (int)db_ll(rows, 0, 0, -1);
	db_rows_free(rows);
	pthread_mutex_lock(&reservation_lock);
	snprintf(reservations[h].function_id, sizeof(reservations[h].function_id), "%s", j->function_id);
	reservations[h].reserved = reserved;
	reservations[h].read_ms = mono_ms();
	pthread_mutex_unlock(&reservation_lock);
	return reserved;
}

/* Drops the stream entry of an invocation whose row says what comes next. */
static void let_go(struct rds *rds, const char *id, const struct job *j)
{
	rds_append(rds, "XACK %s %s %s", TF_KEY_ASYNC, TF_GROUP_RUNNERS, id);
	rds_append(rds, "XDEL %s %s", TF_KEY_ASYNC, id);
	rds_append(rds, "SREM %s %s", TF_KEY_ASYNC_IDS, j->request_id);
	for (int i = 0; i < 3; i++)
		freeReplyObject(rds_reply(rds));
}

/* Appends the commands that take a finished invocation out of the depth counters; their count. */
static int depth_down(struct rds *rds, const struct job *j)
{
	rds_append(rds, "HINCRBY %s %s -1", TF_KEY_ASYNC_DEPTH, j->function_id);
	rds_append(rds, "HINCRBY %s * -1", TF_KEY_ASYNC_DEPTH);
	return 2;
}

/* The record of one try, as write_record reads it; NULL only if it cannot be made. */
static json_object *try_record(const struct job *j, const struct outcome *oc, const struct log_lines *logs,
                               const struct try *tr, struct verdict v)
{
	char *text = record_json(j, oc, logs), why[64];
	json_object *rec = json_parse_text(text, strlen(text), why, sizeof(why));

	log_invocation(j, oc);
	free(text);
	if (rec) {
		jadd_str(rec, "finalStatus", v.status);
		jadd_int(rec, "try", tr->ever);
		jadd_int(rec, "nextAttemptMs", v.next_attempt_ms);
	}
	return rec;
}

/* Takes a settled invocation off the stream, the depths (if final and new) and its place. */
static void release(struct rds *rds, const char *id, const struct job *j, bool final, bool first)
{
	let_go(rds, id, j);
	int replies = final && first ? depth_down(rds, j) : 0;
	replies += conc_give_back(rds, j);
	for (int i = 0; i < replies; i++)
		freeReplyObject(rds_reply(rds));
}

/* Commits the record, then acknowledges the entry; false when it was not committed. */
static bool finish(struct db *db, struct rds *rds, const char *id, const struct job *j, json_object *rec)
{
	struct tally *t = tally_new();
	int written = -1;
	bool ok = db_begin(db) == 0 && (written = write_record(db, rec, t)) >= 0 && tally_flush(db, t) == 0 &&
	          db_commit(db) == 0;

	tally_free(t);
	free(t);
	if (!ok) {
		log_error("async %s: cannot record the outcome: %s", j->request_id, db_error(db));
		db_rollback(db);
		return false;
	}
	/*
	 * A retry is queued again by the leader when due; only a final outcome leaves
	 * the depth, once (a duplicate run found the row finished already).
	 */
	release(rds, id, j, strcmp(jstr(rec, "finalStatus"), "Retrying") != 0, written == 0);
	return true;
}

#define RECORD_TRIES 3  /* a record MariaDB refuses this often while it is up, it will always refuse */

/*
 * Records the try's outcome before the entry is let go. While MariaDB is away the
 * outcome waits for it, as every other does. A record it refuses while up is
 * written again without what the function controlled, as a platform failure of
 * this one invocation; one refused even so is dropped: the consumer moves on.
 */
static void settle(struct db *db, struct rds *rds, const char *id, const struct job *j, json_object *rec)
{
	for (int refused = 0; rec && !W.stopping;) {
		if (finish(db, rds, id, j, rec))
			return;
		if (db_is_down(db)) {
			sleep(1);
			continue;
		}
		if (++refused == RECORD_TRIES) {
			log_error("async %s: its outcome is refused; recording a platform failure instead", j->request_id);
			record_make_bare(rec);
		} else if (refused > RECORD_TRIES) {
			log_error("async %s: not even its bare outcome can be stored; dropped", j->request_id);
			release(rds, id, j, true, true);
			return;
		} else {
			sleep(1);
		}
	}
}

enum start_result {
	START_RUN,          /* marked Running: run it */
	START_NOT_WAITING,  /* finished already, or a retry not yet due (a redelivery) */
	START_TOO_OLD,      /* past maxEventAgeSeconds: now a dead letter, without a try */
	START_DB_FAILED,    /* MariaDB could not say: leave the entry pending */
};

/*
 * As Lambda, an event older than its maxEventAgeSeconds is not tried (again): it
 * becomes a dead letter. START_RUN when it is young enough (or not waiting at all).
 */
static enum start_result expire_if_old(struct db *db, const struct job *j)
{
	uint64_t n = 0;

	if (db_exec(db,
	            "UPDATE invocations SET status = 'DeadLettered', error_type = 'EventAgeExceeded',"
	            " error_message = 'The event was older than its maxEventAgeSeconds when a try was due',"
	            " next_attempt_at = NULL, finished_at = NOW(3)"
	            " WHERE request_id = ? AND status IN ('Queued', 'Retrying') AND queued_at < NOW(3) - INTERVAL ? SECOND",
	            DB_ARGS(DB_STR(j->request_id), DB_INT(j->max_event_age_s)), &n) != 0)
		return START_DB_FAILED;
	return n == 1 ? START_TOO_OLD : START_RUN;
}

/*
 * Marks the row Running and counts the try, unless it is not waiting to run. tr
 * gets the try's numbers and how long ago the invocation was queued.
 */
static enum start_result start(struct db *db, const struct job *j, struct try *tr)
{
	struct db_rows *rows = NULL;
	uint64_t n = 0;

	if (db_exec(db,
	            "UPDATE invocations SET status = 'Running', attempts = attempts + 1, tries = tries + 1,"
	            " started_at = NOW(3) WHERE request_id = ? AND (status IN ('Queued', 'Running')"
	            " OR (status = 'Retrying' AND (next_attempt_at IS NULL OR next_attempt_at <= NOW(3))))"
	            " AND (status = 'Running' OR queued_at >= NOW(3) - INTERVAL ? SECOND)",
	            DB_ARGS(DB_STR(j->request_id), DB_INT(j->max_event_age_s)), &n) != 0)
		return START_DB_FAILED;
	if (n != 1) {
		/* Not waiting, or too old: only the latter changes the row (the rare path pays the second write). */
		enum start_result old = expire_if_old(db, j);
		return old == START_RUN ? START_NOT_WAITING : old;
	}
	if (db_query(db, "SELECT attempts, tries, TIMESTAMPDIFF(SECOND, queued_at, NOW(3)) FROM invocations"
	                 " WHERE request_id = ?", DB_ARGS(DB_STR(j->request_id)), &rows) != 0)
		return START_DB_FAILED;
	tr->attempt = db_ll(rows, 0, 0, 1);
	tr->ever = db_ll(rows, 0, 1, 1);
	tr->age_s = db_ll(rows, 0, 2, 0);
	db_rows_free(rows);
	return START_RUN;
}

/*
 * The function runs its reserved concurrency already (or the tenant its account
 * concurrency): as Lambda does with a
 * throttled event, try again later (the leader queues it when due), without
 * counting a try; the longer it has waited, the longer the wait, up to a minute.
 * A Running row here lost its worker (this entry came back). Left pending (false)
 * when MariaDB cannot say so.
 */
static bool defer_throttled(struct db *db, struct rds *rds, const char *id, const struct job *j)
{
	enum start_result old = expire_if_old(db, j);
	uint64_t n = 0;

	if (old == START_TOO_OLD) {
		for (int i = depth_down(rds, j); i > 0; i--)
			freeReplyObject(rds_reply(rds));
	} else if (old == START_DB_FAILED ||
	           db_exec(db,
	                   "UPDATE invocations SET status = 'Retrying', next_attempt_at = NOW(3) + INTERVAL"
	                   " LEAST(?, 1 + TIMESTAMPDIFF(SECOND, queued_at, NOW(3)) DIV 10) SECOND"
	                   " WHERE request_id = ? AND status IN ('Queued', 'Retrying', 'Running')",
	                   DB_ARGS(DB_INT(ASYNC_THROTTLED_MAX_WAIT_S), DB_STR(j->request_id)), &n) != 0) {
		log_warn("async %s throttled, and cannot be deferred: %s", j->request_id, db_error(db));
		return false;
	}
	let_go(rds, id, j);
	if (n == 1)
		conc_record_throttle(rds, j->tenant, j->function_id);  /* not a redelivery of a finished one */
	return true;
}

/* What became of an entry a consumer was given. */
enum handled {
	HANDLED,       /* settled, or not this consumer's to run */
	LEFT_PENDING,  /* MariaDB or Redis could not say: this consumer tries it again, first */
};

static enum handled handle(struct db *db, struct rds *rds, const char *me, redisReply *entry)
{
	/* [id, [field, value]]; an entry deleted while pending comes back with a nil body */
	if (entry->type == REDIS_REPLY_ARRAY && entry->elements == 2 && entry->element[1]->type == REDIS_REPLY_NIL) {
		freeReplyObject(rds_cmd(rds, "XACK %s %s %s", TF_KEY_ASYNC, TF_GROUP_RUNNERS, entry->element[0]->str));
		return HANDLED;
	}
	if (entry->type != REDIS_REPLY_ARRAY || entry->elements != 2 || entry->element[1]->type != REDIS_REPLY_ARRAY ||
	    entry->element[1]->elements != 2)
		return HANDLED;
	const char *id = entry->element[0]->str;
	redisReply *body = entry->element[1]->element[1];
	struct job j;
	char why[128];

	if (job_from_json(body->str, body->len, &j, why, sizeof(why)) != 0) {
		log_error("async entry %s is malformed (%s); dropped", id, why);
		freeReplyObject(rds_cmd(rds, "XACK %s %s %s", TF_KEY_ASYNC, TF_GROUP_RUNNERS, id));
		freeReplyObject(rds_cmd(rds, "XDEL %s %s", TF_KEY_ASYNC, id));
		return HANDLED;
	}
	struct try tr = { 1, 1, 0 };
	j.reserved_concurrency = current_reservation(db, &j);  /* taken and given back as this says */
	int64_t until = now_ms() + (int64_t)j.timeout_s * 1000 + TF_INIT_TIMEOUT_MS + ASYNC_PLACE_SLACK_MS;
	int place = conc_take(rds, &j, until);
	if (place != 1) {
		/* Throttled by the function's reservation or the tenant's account; or Redis failed. */
		bool deferred = (place == 0 || place == -4) && defer_throttled(db, rds, id, &j);
		job_free(&j);  /* otherwise the entry stays pending */
		return deferred ? HANDLED : LEFT_PENDING;
	}
	enum start_result started = start(db, &j, &tr);
	if (started != START_RUN) {
		int replies = conc_give_back(rds, &j);
		if (started == START_TOO_OLD)
			replies += depth_down(rds, &j);
		for (int i = 0; i < replies; i++)
			freeReplyObject(rds_reply(rds));
		if (started == START_DB_FAILED)
			sleep(1);  /* pending still: read again by this consumer until MariaDB answers */
		else
			let_go(rds, id, &j);
		job_free(&j);
		return started == START_DB_FAILED ? LEFT_PENDING : HANDLED;
	}
	running_set(id, me, true);
	struct outcome oc;
	struct log_lines logs = { 0 };
	outcome_begin(&j, &oc);
	run_job(db, &j, &oc, &logs);
	json_object *rec = try_record(&j, &oc, &logs, &tr, judge(&j, &oc, &tr));
	settle(db, rds, id, &j, rec);  /* the outcome is only acknowledged once it is committed */
	json_object_put(rec);
	running_set(id, me, false);
	log_lines_free(&logs);
	outcome_free(&oc);
	job_free(&j);
	return HANDLED;
}

/* Consumers still reading or running; a drain waits for them to end. */
static atomic_int consumers;

int async_in_flight(void)
{
	return atomic_load(&consumers);
}

void *async_main(void *arg)
{
	struct rds *rds = rds_open(&W.rdc);
	struct db *db = db_open(&W.dbc);
	char me[96];
	bool backlog = true;  /* a restarted worker first finishes what it had taken */
	int64_t last_claim = 0;

	/* One consumer name per thread, the same across restarts: its pending entries are its own. */
	snprintf(me, sizeof(me), "%s-a%ld", W.id, (long)(intptr_t)arg);
	rds_set_timeout(rds, ASYNC_BLOCK_MS + 5000);
	freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_ASYNC, TF_GROUP_RUNNERS));
	atomic_fetch_add(&consumers, 1);
	/* Draining: what it runs finishes, nothing new is read. */
	while (!W.draining) {
		redisReply *rep;
		if (!backlog && mono_ms() - last_claim > ASYNC_CLAIM_EVERY_MS) {
			/* One entry a dead worker left behind, if any, becomes ours. */
			rep = rds_cmd(rds, "XAUTOCLAIM %s %s %s %d 0-0 COUNT 1", TF_KEY_ASYNC, TF_GROUP_RUNNERS, me,
			              W.visibility_ms);
			last_claim = mono_ms();
			if (rds_ok(rep) && rep->type == REDIS_REPLY_ARRAY && rep->elements >= 2 &&
			    rep->element[1]->type == REDIS_REPLY_ARRAY && rep->element[1]->elements > 0) {
				redisReply *e = rep->element[1]->element[0];
				/*
				 * An entry this runner still runs idled only because the runner was
				 * paused (stopped, or starved of CPU) past the timeout: the touch gives
				 * it back to its consumer; running it a second time here would not do.
				 */
				bool ours = e->type == REDIS_REPLY_ARRAY && e->elements == 2 && running_has(e->element[0]->str);
				if (!ours && handle(db, rds, me, e) == LEFT_PENDING)
					backlog = true;
				freeReplyObject(rep);
				continue;
			}
			freeReplyObject(rep);
		}
		rep = backlog ? rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT 1 STREAMS %s 0", TF_GROUP_RUNNERS, me, TF_KEY_ASYNC)
		              : rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT 1 BLOCK %d STREAMS %s >", TF_GROUP_RUNNERS, me,
		                        ASYNC_BLOCK_MS, TF_KEY_ASYNC);
		if (rep == NULL || rep->type == REDIS_REPLY_ERROR) {
			if (rep && strstr(rep->str, "NOGROUP"))
				freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_ASYNC, TF_GROUP_RUNNERS));
			freeReplyObject(rep);
			sleep(1);
			continue;
		}
		/* [[stream, [entry]]]; an empty backlog means this consumer has caught up. */
		/* An entry left pending (MariaDB away) is read again from the backlog as soon as it answers. */
		if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 1 && rep->element[0]->elements == 2 &&
		    rep->element[0]->element[1]->elements == 1)
			backlog = handle(db, rds, me, rep->element[0]->element[1]->element[0]) == LEFT_PENDING || backlog;
		else
			backlog = false;
		freeReplyObject(rep);
	}
	atomic_fetch_sub(&consumers, 1);
	db_close(db);
	rds_close(rds);
	return NULL;
}
