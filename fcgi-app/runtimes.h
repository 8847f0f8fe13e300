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
/* Whether some live runner can run this runtime; -1 with 503 otherwise. */
int runtimes_check(struct req *r, const char *runtime);

#endif
