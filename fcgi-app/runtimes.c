#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "handlers.h"
#include "jsonx.h"
#include "keys.h"
#include "runtimes.h"
#include "timefmt.h"

#define VIEW_MAX_AGE_MS 1000
#define VIEW_MAX_RUNNERS 256

static pthread_mutex_t view_lock = PTHREAD_MUTEX_INITIALIZER;
static struct runner_view cached;
static int64_t cached_at = -VIEW_MAX_AGE_MS - 1;

static void mark_runtimes(struct runner_view *v, const char *list)
{
	for (unsigned i = 0; i < tf_runtime_count && i < TF_MAX_RUNTIMES; i++) {
		size_t n = strlen(tf_runtimes[i].id);
		for (const char *p = list; p && *p; p = strchr(p, ','), p = p ? p + 1 : NULL) {
			if (strncmp(p, tf_runtimes[i].id, n) == 0 && (p[n] == ',' || p[n] == '\0'))
				v->available[i] = true;
		}
	}
}

static int fetch(struct req *r, struct runner_view *v)
{
	struct rds *rds = r->conn->rds;
	char min[32], key[128];

	memset(v, 0, sizeof(*v));
	snprintf(min, sizeof(min), "%lld", (long long)(now_ms() - TF_RUNNER_ALIVE_MS));
	redisReply *ids = rds_cmd(rds, "ZRANGEBYSCORE %s %s +inf LIMIT 0 %d", TF_KEY_RUNNERS, min,
	                          VIEW_MAX_RUNNERS);
	if (!rds_ok(ids) || ids->type != REDIS_REPLY_ARRAY) {
		freeReplyObject(ids);
		return -1;
	}
	v->live_runners = (long long)ids->elements;
	for (size_t i = 0; i < ids->elements; i++) {
		snprintf(key, sizeof(key), TF_KEY_RUNNER_FMT, ids->element[i]->str);
		rds_append(rds, "HGET %s runtimes", key);
	}
	int rc = 0;
	for (size_t i = 0; i < ids->elements; i++) {
		redisReply *rt = rds_reply(rds);
		if (rt == NULL) {
			rc = -1;
			break;
		}
		if (rt->type == REDIS_REPLY_STRING)
			mark_runtimes(v, rt->str);
		freeReplyObject(rt);
	}
	freeReplyObject(ids);
	return rc;
}

int runtimes_view(struct req *r, bool fresh, struct runner_view *out)
{
	int64_t now = mono_ms();

	pthread_mutex_lock(&view_lock);
	bool usable = !fresh && now - cached_at <= VIEW_MAX_AGE_MS;
	if (usable)
		*out = cached;
	pthread_mutex_unlock(&view_lock);
	if (usable)
		return 0;
	if (fetch(r, out) != 0)
		return -1;
	pthread_mutex_lock(&view_lock);
	cached = *out;
	cached_at = now;
	pthread_mutex_unlock(&view_lock);
	return 0;
}

int runtimes_check(struct req *r, const char *runtime, bool can_wait)
{
	struct runner_view v;

	if (runtimes_view(r, false, &v) != 0)
		return req_redis_fail(r, "runner view");
	/* With no runner known (all down, or a Redis that lost the registry until their next heartbeat) an
	 * asynchronous invocation waits in its queue, as it would for a free slot. */
	if (v.live_runners == 0 && can_wait)
		return 0;
	if (v.live_runners == 0) {
		r->err.retry_after = 5;
		return tf_fail(&r->err, TF_E_UNAVAILABLE, "No runner is online; try again shortly");
	}
	for (unsigned i = 0; i < tf_runtime_count && i < TF_MAX_RUNTIMES; i++)
		if (strcmp(tf_runtimes[i].id, runtime) == 0 && v.available[i])
			return 0;
	return tf_fail(&r->err, TF_E_RUNTIME_UNAVAILABLE,
	               "No runner has the %s runtime; see GET /saas/api/v1/sdk/tau/runtimes", runtime);
}

/* GET /saas/api/v1/sdk/tau/runtimes — Runtimes */
int tau_runtimes_list(struct req *r)
{
	struct runner_view v;

	if (runtimes_view(r, false, &v) != 0)
		return req_redis_fail(r, "runner view");
	json_object *list = json_object_new_array();
	for (unsigned i = 0; i < tf_runtime_count; i++) {
		json_object *o = json_object_new_object();
		jadd_str(o, "id", tf_runtimes[i].id);
		jadd_str(o, "name", tf_runtimes[i].name);
		jadd_str(o, "language", tf_runtimes[i].language);
		jadd_bool(o, "available", i < TF_MAX_RUNTIMES && v.available[i]);
		json_object_array_add(list, o);
	}
	json_object *out = json_object_new_object();
	json_object_object_add(out, "runtimes", list);
	return req_reply(r, 200, out);
}
