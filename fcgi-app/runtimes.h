/* Which runtimes live runners have, as they advertise them in Redis. */
#ifndef TF_RUNTIMES_H
#define TF_RUNTIMES_H

#include <stdbool.h>

#include "api.h"
#include "runtime.h"

#define TF_MAX_RUNTIMES 16

struct runner_view {
	long long live_runners;
	bool available[TF_MAX_RUNTIMES];  /* indexed like tf_runtimes[] */
};

/* A view at most a second old (fresh when fresh is set); -1 when Redis fails. */
int runtimes_view(struct req *r, bool fresh, struct runner_view *out);
/*
 * Whether some live runner can run this runtime; -1 with 503 otherwise. With
 * can_wait (an asynchronous invocation), no live runner at all is not a refusal:
 * it waits for one; a runtime that live runners lack still is.
 */
int runtimes_check(struct req *r, const char *runtime, bool can_wait);

#endif
