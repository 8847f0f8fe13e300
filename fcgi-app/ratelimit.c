/*
 * Per-identity request limits in fixed one-minute windows, counted in Redis so
 * that every tf-api process shares them. The limits follow the platform API's
 * table; each class can be changed with [ratelimit] <class> = N.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "keys.h"
#include "log.h"
#include "ratelimit.h"
#include "timefmt.h"

#define MINUTE_S 60
#define HOUR_S 3600

enum rate_identity {
	RATE_CALLER,    /* the key or user calling */
	RATE_FUNCTION,  /* the function called (invoke), whoever calls it */
	RATE_ADDRESS,   /* the client's address: endpoints without authentication */
};

struct rate_class {
	const char *name;
	long long limit;   /* requests per window ([ratelimit] <name>) */
	int window_s;
	enum rate_identity by;
};

/* The reference's per-endpoint limits, and a signup flood's. */
static struct rate_class classes[] = {
	{ "create", 20, MINUTE_S, RATE_CALLER },
	{ "read", 60, MINUTE_S, RATE_CALLER },
	{ "write", 20, MINUTE_S, RATE_CALLER },
	{ "delete", 10, MINUTE_S, RATE_CALLER },
	{ "toggle", 30, MINUTE_S, RATE_CALLER },
	{ "deploy", 10, MINUTE_S, RATE_CALLER },
	{ "invoke", 10000, MINUTE_S, RATE_FUNCTION },
	{ "signup", 30, HOUR_S, RATE_ADDRESS },
};

void ratelimit_init(const struct config *cfg)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(classes); i++)
		classes[i].limit = config_int(cfg, "ratelimit", classes[i].name, classes[i].limit, 1,
		                              1000000000);
}

/* The headers of a counted request, and 429 past the limit: n is its count in the window. */
static int apply(struct req *r, long long n)
{
	const struct rate_hold *h = &r->rate;
	long long left = h->reset - h->now > 0 ? h->reset - h->now : 1;

	req_add_header(r, "X-RateLimit-Limit", "%lld", h->limit);
	req_add_header(r, "X-RateLimit-Remaining", "%lld", n >= h->limit ? 0 : h->limit - n);
	req_add_header(r, "X-RateLimit-Reset", "%lld", h->reset);
	if (n <= h->limit)
		return 0;
	r->err.retry_after = (int)left;
	return tf_fail(&r->err, TF_E_RATE_LIMIT, "Rate limit of %lld requests per %s exceeded; try again in %lld s",
	               h->limit, h->window_s == HOUR_S ? "hour from one address" : "minute", left);
}

int ratelimit_check(struct req *r)
{
	const struct rate_class *c = NULL;
	struct rate_hold *h = &r->rate;

	for (size_t i = 0; i < TF_ARRAY_LEN(classes) && c == NULL; i++)
		if (strcmp(classes[i].name, r->route->rate_class) == 0)
			c = &classes[i];
	if (c == NULL)
		return 0;
	h->now = now_ms() / 1000;
	long long window = h->now - h->now % c->window_s;
	char ident[TF_MAX_PARAM + 80];
	const char *addr = req_header(r, "REMOTE_ADDR");
	if (c->by == RATE_FUNCTION && r->nparams > 0)
		snprintf(ident, sizeof(ident), "%s/%s", r->who.tenant, r->params[0]);
	else if (c->by == RATE_ADDRESS)
		snprintf(ident, sizeof(ident), "addr:%.64s", addr ? addr : "-");
	else
		snprintf(ident, sizeof(ident), "%s", r->who.principal);
	snprintf(h->key, sizeof(h->key), TF_KEY_RATE_FMT, c->name, ident, window);
	h->limit = c->limit;
	h->window_s = c->window_s;
	h->reset = window + c->window_s;
	h->pending = true;
	/* An invocation counts it in its admission script: one round trip fewer on its path. */
	return c->by == RATE_FUNCTION ? 0 : ratelimit_settle(r);
}

int ratelimit_settle(struct req *r)
{
	struct rate_hold *h = &r->rate;
	struct rds *rds = r->conn->rds;

	if (!h->pending)
		return 0;
	h->pending = false;
	if (rds_append(rds, "INCR %s", h->key) != 0 || rds_append(rds, "EXPIRE %s %d", h->key, 2 * h->window_s) != 0)
		goto unavailable;
	redisReply *count = rds_reply(rds);
	redisReply *expire = rds_reply(rds);
	long long n = rds_int(count, -1);
	freeReplyObject(count);
	if (expire)
		freeReplyObject(expire);
	if (n < 0)
		goto unavailable;
	return apply(r, n);
unavailable:
	/* Limits protect the platform; an outage of their counter must not stop it. */
	log_warn("rate limit counter unavailable: %s", rds_error(rds));
	return 0;
}

int ratelimit_counted(struct req *r, long long n)
{
	if (!r->rate.pending)
		return 0;
	r->rate.pending = false;
	return apply(r, n);
}
