/* The stream of asynchronous jobs, shared by tf-api (enqueue) and the leader's sweep. */
#ifndef TF_ASYNCQ_H
#define TF_ASYNCQ_H

#include "rds.h"

#define TF_KEY_ASYNC_IDS "tf:async:ids"      /* request ids the stream holds, for the sweep */
#define TF_KEY_ASYNC_DEPTH "tf:async:depth"  /* hash: function id -> invocations not yet final; "*" all */

/*
 * Adds a job to the stream and its id to the set, both or neither (MULTI/EXEC):
 * an id marked held must be in the stream, or the sweep would skip it forever.
 */
int async_enqueue(struct rds *rds, const char *request_id, const char *job_json);

#endif
