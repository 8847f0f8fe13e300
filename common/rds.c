#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>

#include <openssl/sha.h>
#include <pthread.h>

#include "log.h"
#include "num.h"
#include "rds.h"
#include "xalloc.h"

#define RDS_CONNECT_TIMEOUT_MS 2000
#define RDS_DEFAULT_TIMEOUT_MS 5000

struct rds {
	struct rds_config cfg;
	redisContext *ctx;
	int timeout_ms;
	char err[128];
};

struct rds *rds_open(const struct rds_config *cfg)
{
	struct rds *r = xcalloc(1, sizeof(*r));
	r->cfg = *cfg;
	r->timeout_ms = RDS_DEFAULT_TIMEOUT_MS;
	return r;
}

static void drop(struct rds *r)
{
	if (r->ctx) {
		snprintf(r->err, sizeof(r->err), "%s", r->ctx->errstr);
		redisFree(r->ctx);
	}
	r->ctx = NULL;
}

void rds_close(struct rds *r)
{
	if (r == NULL)
		return;
	drop(r);
	free(r);
}

static struct timeval tv_of(int ms)
{
	struct timeval tv = { .tv_sec = ms / 1000, .tv_usec = (ms % 1000) * 1000 };
	return tv;
}

static int ensure(struct rds *r)
{
	if (r->ctx && r->ctx->err)
		drop(r);
	if (r->ctx)
		return 0;
	struct timeval ctv = tv_of(RDS_CONNECT_TIMEOUT_MS);
	redisContext *c = r->cfg.socket && r->cfg.socket[0]
	                      ? redisConnectUnixWithTimeout(r->cfg.socket, ctv)
	                      : redisConnectWithTimeout(r->cfg.host, r->cfg.port, ctv);
	if (c == NULL || c->err) {
		snprintf(r->err, sizeof(r->err), "%s", c ? c->errstr : "cannot allocate context");
		if (c)
			redisFree(c);
		return -1;
	}
	r->ctx = c;
	redisSetTimeout(c, tv_of(r->timeout_ms));
	return 0;
}

static redisReply *checked(struct rds *r, void *rep)
{
	if (rep == NULL)
		drop(r);  /* the context is unusable after an I/O or protocol error */
	return rep;
}

redisReply *rds_cmd(struct rds *r, const char *fmt, ...)
{
	va_list ap;

	if (ensure(r) != 0)
		return NULL;
	va_start(ap, fmt);
	void *rep = redisvCommand(r->ctx, fmt, ap);
	va_end(ap);
	return checked(r, rep);
}

redisReply *rds_cmdargv(struct rds *r, int argc, const char **argv, const size_t *lens)
{
	if (ensure(r) != 0)
		return NULL;
	return checked(r, redisCommandArgv(r->ctx, argc, argv, lens));
}

#define RDS_SCRIPTS_MAX 16

/* The SHA-1 of each script text (by address: the scripts are constants), computed once. */
static const char *script_sha(const char *script)
{
	static struct { const char *script; char sha[41]; } known[RDS_SCRIPTS_MAX];
	static int n;
	static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	const char *sha = NULL;

	pthread_mutex_lock(&lock);
	for (int i = 0; i < n && sha == NULL; i++)
		if (known[i].script == script)
			sha = known[i].sha;
	if (sha == NULL && n < RDS_SCRIPTS_MAX) {
		unsigned char d[SHA_DIGEST_LENGTH];
		SHA1((const unsigned char *)script, strlen(script), d);
		for (int i = 0; i < SHA_DIGEST_LENGTH; i++)
			snprintf(known[n].sha + 2 * i, 3, "%02x", d[i]);
		known[n].script = script;
		sha = known[n++].sha;
	}
	pthread_mutex_unlock(&lock);
	return sha;
}

redisReply *rds_eval(struct rds *r, const char *script, const char *fmt, ...)
{
	char cmd[512];
	va_list ap, again;
	const char *sha = script_sha(script);

	if (sha == NULL || snprintf(cmd, sizeof(cmd), "EVALSHA %s %s", sha, fmt) >= (int)sizeof(cmd))
		fatal("rds_eval: too many scripts, or a format too long");
	if (ensure(r) != 0)
		return NULL;
	va_start(ap, fmt);
	va_copy(again, ap);
	redisReply *rep = checked(r, redisvCommand(r->ctx, cmd, ap));
	if (rep && rep->type == REDIS_REPLY_ERROR && strncmp(rep->str, "NOSCRIPT", 8) == 0) {
		/* Redis restarted (or flushed its scripts): loaded again, then run. */
		freeReplyObject(rep);
		rep = checked(r, redisCommand(r->ctx, "SCRIPT LOAD %s", script));
		if (rep && rep->type != REDIS_REPLY_ERROR) {
			freeReplyObject(rep);
			rep = checked(r, redisvCommand(r->ctx, cmd, again));
		}
	}
	va_end(again);
	va_end(ap);
	return rep;
}

int rds_append(struct rds *r, const char *fmt, ...)
{
	va_list ap;

	if (ensure(r) != 0)
		return -1;
	va_start(ap, fmt);
	int rc = redisvAppendCommand(r->ctx, fmt, ap);
	va_end(ap);
	return rc == REDIS_OK ? 0 : -1;
}

int rds_flush(struct rds *r)
{
	int done = 0;

	if (r->ctx == NULL)
		return -1;
	while (!done)
		if (redisBufferWrite(r->ctx, &done) != REDIS_OK) {
			drop(r);
			return -1;
		}
	return 0;
}

redisReply *rds_reply(struct rds *r)
{
	void *rep = NULL;

	if (r->ctx == NULL)
		return NULL;
	if (redisGetReply(r->ctx, &rep) != REDIS_OK)
		rep = NULL;
	return checked(r, rep);
}

void rds_set_timeout(struct rds *r, int ms)
{
	r->timeout_ms = ms;
	if (r->ctx)
		redisSetTimeout(r->ctx, tv_of(ms));
}

const char *rds_error(const struct rds *r)
{
	return r->ctx && r->ctx->err ? r->ctx->errstr : r->err;
}

bool rds_ok(const redisReply *rep)
{
	return rep != NULL && rep->type != REDIS_REPLY_ERROR;
}

long long rds_int(const redisReply *rep, long long def)
{
	long long v;

	if (rep == NULL)
		return def;
	if (rep->type == REDIS_REPLY_INTEGER)
		return rep->integer;
	if (rep->type == REDIS_REPLY_STRING && parse_ll(rep->str, INT64_MIN, INT64_MAX, &v) == 0)
		return v;
	return def;
}
