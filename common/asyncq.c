#include <string.h>

#include "asyncq.h"
#include "keys.h"

int async_enqueue(struct rds *rds, const char *request_id, const char *job_json)
{
	int queued = 0;

	queued += rds_append(rds, "MULTI") == 0;
	queued += rds_append(rds, "SADD %s %s", TF_KEY_ASYNC_IDS, request_id) == 0;
	queued += rds_append(rds, "XADD %s * job %b", TF_KEY_ASYNC, job_json, strlen(job_json)) == 0;
	queued += rds_append(rds, "EXEC") == 0;
	redisReply *last = NULL;
	for (int i = 0; i < queued; i++) {
		freeReplyObject(last);
		last = rds_reply(rds);
	}
	/* EXEC answers an array of both results, or nil/error when the transaction failed. */
	int rc = queued == 4 && last && last->type == REDIS_REPLY_ARRAY && last->elements == 2 &&
	         last->element[0]->type != REDIS_REPLY_ERROR && last->element[1]->type != REDIS_REPLY_ERROR ? 0 : -1;
	freeReplyObject(last);
	return rc;
}
