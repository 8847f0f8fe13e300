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

int ratelimit_check(struct req *r)
{
	const struct rate_class *c = NULL;
	char key[TF_MAX_PARAM + 256];

	for (size_t i = 0; i < TF_ARRAY_LEN(classes) && c == NULL; i++)
		if (strcmp(classes[i].name, r->route->rate_class) == 0)
			c = &classes[i];
	if (c == NULL)
		return 0;
	long long now = now_ms() / 1000, window = now - now % c->window_s;
	char ident[TF_MAX_PARAM + 80];
	const char *addr = req_header(r, "REMOTE_ADDR");
	if (c->by == RATE_FUNCTION && r->nparams > 0)
		snprintf(ident, sizeof(ident), "%s/%s", r->who.tenant, r->params[0]);
	else if (c->by == RATE_ADDRESS)
		snprintf(ident, sizeof(ident), "addr:%.64s", addr ? addr : "-");
	else
		snprintf(ident, sizeof(ident), "%s", r->who.principal);
	snprintf(key, sizeof(key), TF_KEY_RATE_FMT, c->name, ident, window);

	struct rds *rds = r->conn->rds;
	if (rds_append(rds, "INCR %s", key) != 0 || rds_append(rds, "EXPIRE %s %d", key, 2 * c->window_s) != 0)
		goto unavailable;
	redisReply *count = rds_reply(rds);
	redisReply *expire = rds_reply(rds);
	long long n = rds_int(count, -1);
	freeReplyObject(count);
	if (expire)
		freeReplyObject(expire);
	if (n < 0)
		goto unavailable;

	long long reset = window + c->window_s;
	req_add_header(r, "X-RateLimit-Limit", "%lld", c->limit);
	req_add_header(r, "X-RateLimit-Remaining", "%lld", n >= c->limit ? 0 : c->limit - n);
	req_add_header(r, "X-RateLimit-Reset", "%lld", reset);
	if (n > c->limit) {
		r->err.retry_after = (int)(reset - now > 0 ? reset - now : 1);
		return tf_fail(&r->err, TF_E_RATE_LIMIT, "Rate limit of %lld requests per %s exceeded; try again in %lld s",
		               c->limit, c->window_s == HOUR_S ? "hour from one address" : "minute",
		               reset - now > 0 ? reset - now : 1);
	}
	return 0;
unavailable:
	/* Limits protect the platform; an outage of their counter must not stop it. */
	log_warn("rate limit counter unavailable: %s", rds_error(rds));
	return 0;
}
