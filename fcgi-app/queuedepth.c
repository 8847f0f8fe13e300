/*
 * Waiting work, as /health and the runner figures show it: synchronous jobs no
 * runner has taken yet, and asynchronous invocations not yet final, in total and
 * for the functions with the longest backlog.
 */
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "asyncq.h"
#include "handlers.h"
#include "jsonx.h"
#include "keys.h"
#include "runlink.h"

#define DEPTH_TOP_FUNCTIONS 20

struct depth {
	const char *function_id;
	long long n;
};

static int deepest_first(const void *a, const void *b)
{
	const struct depth *x = a, *y = b;
	return (y->n > x->n) - (y->n < x->n);
}

/* The functions with waiting asynchronous invocations, deepest first. */
static json_object *by_function(redisReply *h)
{
	size_t n = h && h->type == REDIS_REPLY_ARRAY ? h->elements / 2 : 0, used = 0;
	struct depth *d = calloc(n ? n : 1, sizeof(*d));
	json_object *list = json_object_new_array();

	for (size_t i = 0; d && i < n; i++) {
		const char *id = h->element[2 * i]->str;
		long long depth = rds_int(h->element[2 * i + 1], 0);
		if (id && strcmp(id, "*") != 0 && depth > 0)
			d[used++] = (struct depth){ id, depth };
	}
	if (d)
		qsort(d, used, sizeof(*d), deepest_first);
	for (size_t i = 0; d && i < used && i < DEPTH_TOP_FUNCTIONS; i++) {
		json_object *o = json_object_new_object();
		jadd_str(o, "functionId", d[i].function_id);
		jadd_int(o, "depth", d[i].n);
		json_object_array_add(list, o);
	}
	free(d);
	return list;
}

json_object *queue_depth_json(struct req *r, bool per_function)
{
	redisReply *async = rds_cmd(r->conn->rds, "HGET %s *", TF_KEY_ASYNC_DEPTH);
	json_object *q = json_object_new_object();

	/* Synchronous invocations wait on runner links, not in a queue: those this process awaits. */
	jadd_int(q, "sync", runlink_waiting());
	jadd_int(q, "async", rds_int(async, 0));
	freeReplyObject(async);
	if (per_function) {
		redisReply *all = rds_cmd(r->conn->rds, "HGETALL %s", TF_KEY_ASYNC_DEPTH);
		json_object_object_add(q, "asyncByFunction", by_function(rds_ok(all) ? all : NULL));
		freeReplyObject(all);
	}
	return q;
}
