#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cache.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "xalloc.h"

#define CACHE_BUCKETS 1024
#define CACHE_MAX_ENTRIES 50000     /* past this everything is dropped: the cache is an optimisation */
#define INVALIDATE_CHANNEL TF_CHANNEL_INVALIDATE

struct entry {
	struct entry *next;
	char *key;
	char tenant[65];
	char fn_id[32];
	char *value;
	int64_t expires;  /* monotonic ms */
};

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static struct entry *buckets[CACHE_BUCKETS];
static size_t count;
static uint64_t epoch;  /* drops so far: a put from before one is not kept */

static unsigned hash_of(const char *s)
{
	unsigned h = 2166136261u;  /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % CACHE_BUCKETS;
}

static void free_entry(struct entry *e)
{
	free(e->key);
	free(e->value);
	free(e);
	count--;
}

char *cache_get(const char *key, uint64_t *at)
{
	char *v = NULL;
	int64_t now = mono_ms();

	pthread_mutex_lock(&lock);
	*at = epoch;
	for (struct entry *e = buckets[hash_of(key)]; e; e = e->next) {
		if (strcmp(e->key, key) == 0) {
			if (e->expires > now)
				v = xstrdup(e->value);
			break;
		}
	}
	pthread_mutex_unlock(&lock);
	return v;
}

static bool of_key(const struct entry *e, const char *key);

/* Removes entries matching pred from every bucket (callers hold the lock). */
static void drop_where(bool (*pred)(const struct entry *, const char *), const char *arg)
{
	if (pred != of_key)
		epoch++;
	for (size_t b = 0; b < CACHE_BUCKETS; b++) {
		for (struct entry **p = &buckets[b]; *p;) {
			if (pred(*p, arg)) {
				struct entry *dead = *p;
				*p = dead->next;
				free_entry(dead);
			} else {
				p = &(*p)->next;
			}
		}
	}
}

static bool any(const struct entry *e, const char *arg)
{
	(void)e, (void)arg;
	return true;
}

static bool of_key(const struct entry *e, const char *key)
{
	return strcmp(e->key, key) == 0;
}

static bool of_tenant(const struct entry *e, const char *tenant)
{
	return strcmp(e->tenant, tenant) == 0;
}

static bool of_function(const struct entry *e, const char *fn_id)
{
	return strcmp(e->fn_id, fn_id) == 0;
}

void cache_put(const char *key, const char *tenant, const char *fn_id, const char *value, uint64_t at)
{
	struct entry *e = xcalloc(1, sizeof(*e));
	e->key = xstrdup(key);
	snprintf(e->tenant, sizeof(e->tenant), "%s", tenant ? tenant : "");
	snprintf(e->fn_id, sizeof(e->fn_id), "%s", fn_id ? fn_id : "");
	e->value = xstrdup(value);
	e->expires = mono_ms() + CACHE_TTL_MS;

	pthread_mutex_lock(&lock);
	if (at != epoch) {  /* read before a change that dropped entries: it may be stale */
		pthread_mutex_unlock(&lock);
		free(e->key);
		free(e->value);
		free(e);
		return;
	}
	drop_where(of_key, key);
	if (count >= CACHE_MAX_ENTRIES)
		drop_where(any, NULL);
	unsigned h = hash_of(key);
	e->next = buckets[h];
	buckets[h] = e;
	count++;
	pthread_mutex_unlock(&lock);
}

static void drop_local(const char *kind, const char *id)
{
	pthread_mutex_lock(&lock);
	drop_where(strcmp(kind, "tenant") == 0 ? of_tenant : of_function, id);
	pthread_mutex_unlock(&lock);
}

static void drop_everywhere(struct req *r, const char *kind, const char *id)
{
	drop_local(kind, id);
	redisReply *rep = rds_cmd(r->conn->rds, "PUBLISH %s %s:%s", INVALIDATE_CHANNEL, kind, id);
	if (!rds_ok(rep))
		log_warn("cannot tell other processes to drop %s %s: entries expire within %d s", kind, id,
		         CACHE_TTL_MS / 1000);
	freeReplyObject(rep);
}

void cache_drop_tenant(struct req *r, const char *tenant)
{
	drop_everywhere(r, "tenant", tenant);
}

void cache_drop_function(struct req *r, const char *fn_id)
{
	drop_everywhere(r, "fn", fn_id);
}

/* Applies invalidations published by every tf-api process, this one's included. */
static void *subscriber(void *arg)
{
	const struct app *app = arg;

	for (;;) {
		struct rds *rds = rds_open(&app->rdc);
		rds_set_timeout(rds, 0);
		redisReply *rep = rds_cmd(rds, "SUBSCRIBE %s", INVALIDATE_CHANNEL);
		if (rds_ok(rep)) {
			freeReplyObject(rep);
			/* A reconnect may have missed messages: start from nothing. */
			pthread_mutex_lock(&lock);
			drop_where(any, NULL);
			pthread_mutex_unlock(&lock);
			while ((rep = rds_reply(rds)) != NULL) {
				if (rep->type == REDIS_REPLY_ARRAY && rep->elements == 3 && rep->element[2]->type == REDIS_REPLY_STRING) {
					char *msg = rep->element[2]->str, *colon = strchr(msg, ':');
					if (colon) {
						*colon = '\0';
						drop_local(msg, colon + 1);
					}
				}
				freeReplyObject(rep);
			}
		} else {
			freeReplyObject(rep);
		}
		rds_close(rds);
		sleep(1);
	}
	return NULL;
}

void cache_start(const struct app *app)
{
	pthread_t t;
	if (pthread_create(&t, NULL, subscriber, (void *)app) != 0)
		fatal("cannot start the cache's invalidation thread");
	pthread_detach(t);
}
