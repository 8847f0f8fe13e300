/*
 * The dispatchers: each takes one synchronous job at a time from the runner
 * links, runs it in a warm instance or a new one, answers its caller on the
 * link it came by, and leaves the record to the publisher.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "concurrency.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define POP_TIMEOUT_S 1   /* how often an idle dispatcher looks at the stop flag */
#define PUBLISH_GATHER_MS 2  /* the publisher waits this long after the first record for others */

static void platform_error(struct outcome *oc, const char *msg)
{
	oc->status = OUTCOME_PLATFORM_ERROR;
	json_object_put(oc->error);
	oc->error = lambda_error("Platform.Error", msg);
}

int run_job(struct db *db, const struct job *j, struct outcome *oc, struct log_lines *logs)
{
	char key[96], code_dir[PATH_MAX], why[256];
	enum acquired how;

	const struct runtime_def *rt = runtime_def_find(j->runtime);
	if (rt == NULL || !rt->available) {
		platform_error(oc, "this runner does not have the function's runtime");
		return 1;
	}
	snprintf(key, sizeof(key), "%s@%d", j->function_id, j->version);
	struct instance *in = pool_acquire(key, rt, j->memory_mb, &how);
	if (in == NULL) {
		platform_error(oc, "this runner has no room for another instance (slots or memory budget)");
		return 1;
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
			return 0;
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
			return 0;
		}
	}
	instance_invoke(in, j, oc, logs);
	pool_release(in);
	return 0;
}

/*
 * What a finished synchronous invocation leaves to write: its record for the
 * recorder. The dispatcher answers its caller first and hands it to the
 * publisher, which writes all that has gathered in one pipeline: under load, one
 * round trip serves many invocations.
 */
struct pub_item {
	char *record;
	struct pub_item *next;
};

static pthread_mutex_t pub_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t pub_cond = PTHREAD_COND_INITIALIZER;
static struct pub_item *pub_head, *pub_tail;

/* Hands the publisher a record. */
static void publish_later(char *record)
{
	struct pub_item *it = xcalloc(1, sizeof(*it));

	it->record = record;
	pthread_mutex_lock(&pub_lock);
	/* Woken only for the first: what comes while it writes waits for its next pipeline. */
	if (pub_tail) {
		pub_tail->next = it;
	} else {
		pub_head = it;
		pthread_cond_signal(&pub_cond);
	}
	pub_tail = it;
	pthread_mutex_unlock(&pub_lock);
}

static struct pub_item *take_published(bool *stop)
{
	struct timespec until;

	pthread_mutex_lock(&pub_lock);
	while (pub_head == NULL && !W.stopping) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += POP_TIMEOUT_S;
		pthread_cond_timedwait(&pub_cond, &pub_lock, &until);
	}
	struct pub_item *all = pub_head;
	pub_head = pub_tail = NULL;
	*stop = all == NULL && W.stopping;
	pthread_mutex_unlock(&pub_lock);
	return all;
}

/* Appends what was published meanwhile to the list taken. */
static struct pub_item *gather_more(struct pub_item *all)
{
	pthread_mutex_lock(&pub_lock);
	struct pub_item *more = pub_head;
	pub_head = pub_tail = NULL;
	pthread_mutex_unlock(&pub_lock);
	if (all == NULL)
		return more;
	struct pub_item *last = all;
	while (last->next)
		last = last->next;
	last->next = more;
	return all;
}

void *publisher_main(void *arg)
{
	(void)arg;
	struct rds *rds = rds_open(&W.rdc);

	for (bool stop = false; !stop;) {
		struct pub_item *all = take_published(&stop);
		/* A moment for more to gather: the records and places wait, the callers do not. */
		if (all && !stop)
			nanosleep(&(struct timespec){ 0, PUBLISH_GATHER_MS * 1000000L }, NULL);
		all = gather_more(all);
		int queued = 0;
		for (struct pub_item *it = all; it; it = it->next)
			queued += rds_append(rds, "XADD %s * r %b", TF_KEY_RECORDS, it->record, strlen(it->record)) == 0;
		for (int i = 0; i < queued; i++) {
			redisReply *rep = rds_reply(rds);
			if (!rds_ok(rep))
				log_error("publishing records: %s", rep ? rep->str : rds_error(rds));
			freeReplyObject(rep);
		}
		while (all) {
			struct pub_item *next = all->next;
			free(all->record);
			free(all);
			all = next;
		}
	}
	rds_close(rds);
	return NULL;
}

void outcome_begin(const struct job *j, struct outcome *oc)
{
	memset(oc, 0, sizeof(*oc));
	snprintf(oc->request_id, sizeof(oc->request_id), "%s", j->request_id);
	snprintf(oc->runner, sizeof(oc->runner), "%s", W.id);
	oc->version = j->version;
	oc->started_ms = now_ms();
}

/*
 * Sends the give-back of the job's concurrency places before its caller is answered,
 * so that the caller's next invocation finds them free; the replies are read after
 * (read_given_back), off the caller's wait.
 */
static int give_back_sent(struct rds *rds, const struct job *j)
{
	int n = conc_give_back(rds, j);
	if (n > 0 && rds_flush(rds) != 0) {
		log_error("giving back the places of %s: %s", j->request_id, rds_error(rds));
		return 0;
	}
	return n;
}

static void read_given_back(struct rds *rds, int n)
{
	for (int i = 0; i < n; i++)
		freeReplyObject(rds_reply(rds));
}

void *dispatcher_main(void *arg)
{
	(void)arg;
	struct db *db = db_open(&W.dbc);
	struct rds *rds = rds_open(&W.rdc);

	/* A drain ends when nothing is queued or running any more (main.c waits for it). */
	while (!W.stopping) {
		struct run_item *it = link_take(POP_TIMEOUT_S * 1000);
		if (it == NULL)
			continue;
		struct job *j = link_job(it);
		if (now_ms() > j->wait_until_ms) {
			/* Its caller has given up; running it now would only bill for nothing. */
			log_warn("job %s expired before it could run", j->request_id);
			read_given_back(rds, give_back_sent(rds, j));
			link_refuse(it, "expired");
			link_done(it);
			continue;
		}
		struct outcome oc = { 0 };
		struct log_lines logs = { 0 };
		char key[96];
		outcome_begin(j, &oc);
		if (run_job(db, j, &oc, &logs) != 0) {
			/* Nothing of it ran: another runner may have the room or the runtime. */
			link_refuse(it, jstr(oc.error, "errorMessage"));
			link_done(it);
			log_lines_free(&logs);
			outcome_free(&oc);
			continue;
		}
		snprintf(key, sizeof(key), "%s@%d", j->function_id, j->version);
		int sent = give_back_sent(rds, j);
		link_answer(it, &oc, pool_idle(key));
		read_given_back(rds, sent);
		log_invocation(j, &oc);
		publish_later(record_json(j, &oc, &logs));
		link_done(it);
		log_lines_free(&logs);
		outcome_free(&oc);
	}
	rds_close(rds);
	db_close(db);
	return NULL;
}
