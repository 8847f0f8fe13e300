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

#endif
