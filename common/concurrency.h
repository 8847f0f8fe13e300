/*
 * Reserved concurrency (beyond the spec, as Lambda's): the invocations of one
 * function running at once, held in a Redis sorted set of request ids scored by
 * the instant each must be over by. An entry whose holder died without giving it
 * back expires with that instant, so a crash never shrinks the reservation for
 * good. tf-api takes a place for a synchronous invocation in the same script that
 * queues it; a worker takes one for an asynchronous invocation before running it.
 */
#ifndef TF_CONCURRENCY_H
#define TF_CONCURRENCY_H

#include <stdint.h>

#include "job.h"
#include "rds.h"

#define TF_KEY_CONC_FMT "tf:conc:%s"  /* zset of one function: request id -> deadline (ms) */
#define TF_CONC_SLACK_MS 60000        /* the set outlives its last deadline by this */

/*
 * Lua fragments for scripts that take a place: CONC_FULL returns -2 when the
 * function's reservation is taken up; CONC_TAKE then takes a place. K is the set's
 * key, LIMIT the reservation (negative: none), NOW and UNTIL milliseconds, RID the
 * request id, each a Lua expression.
 */
#define TF_CONC_FULL_LUA(K, LIMIT, NOW)                                                    \
	"local reserved = tonumber(" LIMIT ") "                                                 \
	"if reserved >= 0 then redis.call('ZREMRANGEBYSCORE', " K ", '-inf', " NOW ") "        \
	"if redis.call('ZCARD', " K ") >= reserved then return -2 end end "
#define TF_CONC_TAKE_LUA(K, NOW, UNTIL, RID)                                               \
	"if reserved >= 0 then redis.call('ZADD', " K ", " UNTIL ", " RID ") "                 \
	"local ttl = tonumber(" UNTIL ") - tonumber(" NOW ") + " TF_STR(TF_CONC_SLACK_MS) " "   \
	"if redis.call('PTTL', " K ") < ttl then redis.call('PEXPIRE', " K ", ttl) end end "
#define TF_STR_(x) #x
#define TF_STR(x) TF_STR_(x)

/* The set's key for a function. */
void conc_key(const char *function_id, char *out, size_t n);

/* Takes a place for the job until until_ms: 1 taken (or no reservation), 0 throttled, -1 Redis failed. */
int conc_take(struct rds *rds, const struct job *j, int64_t until_ms);

/* Appends (pipelined, one reply to read) the command that gives the job's place back; false if it had none. */
bool conc_give_back(struct rds *rds, const struct job *j);

/* Counts one throttled invocation of a function: a record for the recorder's rollups. */
void conc_record_throttle(struct rds *rds, const char *tenant, const char *function_id);

#endif
