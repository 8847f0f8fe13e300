/*
 * Concurrency places: the invocations running at once, held in Redis sorted sets
 * of request ids scored by the instant each must be over by. One set per function
 * with a reserved concurrency (beyond the spec, as Lambda's), and one per tenant
 * with an account concurrency (its plan's). An entry whose holder died without
 * giving it back expires with that instant, so a crash never shrinks a limit for
 * good. tf-api takes the places of a synchronous invocation in the same script
 * that queues it; a worker takes those of an asynchronous one before running it.
 */
#ifndef TF_CONCURRENCY_H
#define TF_CONCURRENCY_H

#include <stdint.h>

#include "job.h"
#include "rds.h"

#define TF_KEY_CONC_FMT "tf:conc:%s"  /* zset of one function: request id -> deadline (ms) */
#define TF_KEY_TENANT_CONC_FMT "tf:tconc:%s"  /* the same of one tenant */
#define TF_CONC_SLACK_MS 60000        /* the set outlives its last deadline by this */

/*
 * Lua fragments for scripts that take a place: CONC_FULL returns -2 when the
 * function's reservation is taken up; CONC_TAKE then takes a place. K is the set's
 * key, LIMIT the reservation (negative: none), NOW and UNTIL milliseconds, RID the
 * request id, each a Lua expression.
 */
#define TF_PLACES_FULL_LUA(VAR, K, LIMIT, NOW, FULL)                                       \
	"local " VAR " = tonumber(" LIMIT ") "                                                  \
	"if " VAR " >= 0 then redis.call('ZREMRANGEBYSCORE', " K ", '-inf', " NOW ") "         \
	"if redis.call('ZCARD', " K ") >= " VAR " then return " FULL " end end "
#define TF_PLACES_TAKE_LUA(VAR, K, NOW, UNTIL, RID)                                        \
	"if " VAR " >= 0 then redis.call('ZADD', " K ", " UNTIL ", " RID ") "                  \
	"local ttl = tonumber(" UNTIL ") - tonumber(" NOW ") + " TF_STR(TF_CONC_SLACK_MS) " "   \
	"if redis.call('PTTL', " K ") < ttl then redis.call('PEXPIRE', " K ", ttl) end end "
#define TF_CONC_FULL_LUA(K, LIMIT, NOW) TF_PLACES_FULL_LUA("reserved", K, LIMIT, NOW, "-2")
#define TF_CONC_TAKE_LUA(K, NOW, UNTIL, RID) TF_PLACES_TAKE_LUA("reserved", K, NOW, UNTIL, RID)
/* The same for the tenant's set: ACCOUNT_FULL returns -4 when the tenant's limit is taken up. */
#define TF_ACCOUNT_FULL_LUA(K, LIMIT, NOW) TF_PLACES_FULL_LUA("account", K, LIMIT, NOW, "-4")
#define TF_ACCOUNT_TAKE_LUA(K, NOW, UNTIL, RID) TF_PLACES_TAKE_LUA("account", K, NOW, UNTIL, RID)
#define TF_STR_(x) #x
#define TF_STR(x) TF_STR_(x)

/* The set's key for a function, and for a tenant. */
void conc_key(const char *function_id, char *out, size_t n);
void conc_tenant_key(const char *tenant, char *out, size_t n);

/*
 * Takes the job's places until until_ms: 1 taken (or no limits), 0 throttled by the
 * function's reservation, -4 by the tenant's account concurrency, -1 Redis failed.
 */
int conc_take(struct rds *rds, const struct job *j, int64_t until_ms);

/* Appends (pipelined) the commands that give the job's places back; how many replies to read. */
int conc_give_back(struct rds *rds, const struct job *j);

/* Counts one throttled invocation of a function: a record for the recorder's rollups. */
void conc_record_throttle(struct rds *rds, const char *tenant, const char *function_id);

#endif
