/*
 * tf-api's links to the runners (docs/invocation-path.md): a synchronous
 * invocation is sent straight to a runner that holds an idle warm instance of
 * its version, else to the least loaded one with its runtime, and its request
 * is parked (no thread waits for it) until the runner answers, the runner's
 * link breaks, or the invocation's deadline passes.
 */
#ifndef TF_RUNLINK_H
#define TF_RUNLINK_H

#include "api.h"
#include "job.h"

/*
 * Shapes a request's answer from its invocation's outcome, on whichever thread
 * the outcome arrives: it may use the request (but not r->conn), the job and
 * ctx, and sets the response or r->err (returning -1).
 */
typedef int (*sync_answer_fn)(struct req *r, const struct job *j, const struct outcome *oc, json_object *ctx);

/* Starts the thread that follows the registry and keeps a link to every live runner. */
void runlink_start(const struct app *app);
/*
 * Parks r on the job: takes the job (its env and payload; *j is left empty) and
 * ctx (a reference), and returns REQ_PARKED for the handler to return. The job
 * is sent when dispatch has let go of the request (runlink_launch); when no
 * runner is linked it waits a few seconds for one before the caller hears 503.
 */
int runlink_park(struct req *r, struct job *j, sync_answer_fn answer, json_object *ctx);
/* Sends a parked request's job; from here the request belongs to its link. */
void runlink_launch(struct req *r);
/* Synchronous invocations this process has sent and not yet answered. */
long runlink_waiting(void);

#endif
