/* Invocation, shared by both API surfaces and the triggers. */
#ifndef TF_INVOKE_H
#define TF_INVOKE_H

#include "api.h"
#include "job.h"
#include "runlink.h"

/*
 * Admits a synchronous invocation (reserved and account concurrency, the daily
 * quota) and parks the request on a runner link: returns REQ_PARKED, for the
 * handler to return, and answer shapes the answer once the outcome is in (see
 * runlink.h); the job is taken. The job must be complete but for its ids and
 * times, which this fills in. Returns -1 with r->err set when nothing will run.
 */
int invoke_sync(struct req *r, struct job *j, sync_answer_fn answer, json_object *ctx);
/* Gives back the places and the quota of an admitted invocation that then never ran. */
void invoke_give_back(struct rds *rds, const struct job *j);
/*
 * Accepts an asynchronous invocation: counts it against the quota, commits its
 * Queued row with the whole job, queues it, and answers 202. Nothing is answered
 * 202 that is not committed first.
 */
int invoke_async(struct req *r, struct job *j);
/* The same without an Idempotency-Key and without answering: j->request_id names it. */
int invoke_async_quiet(struct req *r, struct job *j);
/*
 * Fills the job with the version a trigger targets: target a version number, an
 * alias (chosen by its routing weights), or NULL for the published version, of a
 * function of the caller's tenant. -1 with r->err set.
 */
int invoke_load_target(struct req *r, const char *fn_id, const char *fn_name, const char *target, struct job *j);

#endif
