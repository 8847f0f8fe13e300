/* Synchronous invocation through the run queue, shared by both API surfaces. */
#ifndef TF_INVOKE_H
#define TF_INVOKE_H

#include "api.h"
#include "job.h"

/*
 * Counts the invocation against the tenant's daily quota, queues the job and
 * waits for its outcome. The job must be complete but for its ids and times,
 * which this fills in. Returns -1 with r->err set when nothing ran.
 */
int invoke_sync(struct req *r, struct job *j, struct outcome *oc);
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
