/*
 * Redis through hiredis 0.14 with binary-safe arguments (%s and %b of
 * redisCommand). One struct rds per thread; it reconnects before the next
 * command once an I/O error has broken the connection. Commands are never
 * retried by this layer: the caller knows whether a command is safe to repeat.
 */
#ifndef TF_RDS_H
#define TF_RDS_H

#include <hiredis/hiredis.h>
#include <stdbool.h>

struct rds_config {
	const char *socket;  /* unix socket, or NULL/"" for host and port */
	const char *host;
	int port;
};

struct rds;

struct rds *rds_open(const struct rds_config *cfg);
void rds_close(struct rds *r);
/* Returns the reply (free with freeReplyObject) or NULL on a connection error. */
redisReply *rds_cmd(struct rds *r, const char *fmt, ...);
redisReply *rds_cmdargv(struct rds *r, int argc, const char **argv, const size_t *lens);
/*
 * Runs a Lua script by its digest (EVALSHA: the text travels and is hashed only
 * when Redis does not know it yet). script must be a constant; fmt is what
 * follows it, as for rds_cmd: "2 %s %s %d".
 */
redisReply *rds_eval(struct rds *r, const char *script, const char *fmt, ...);
/* Pipelining: queue commands, then read their replies in order. */
int rds_append(struct rds *r, const char *fmt, ...);
redisReply *rds_reply(struct rds *r);
/* Sends what was appended without waiting for the replies (rds_reply reads them later). */
int rds_flush(struct rds *r);
/* Socket read timeout for the next commands (blocking pops need a long one). */
void rds_set_timeout(struct rds *r, int ms);
const char *rds_error(const struct rds *r);

/* True for a non-NULL reply that is not an error. */
bool rds_ok(const redisReply *rep);
/* The integer of an integer reply (or a numeric string), def otherwise. */
long long rds_int(const redisReply *rep, long long def);

#endif
