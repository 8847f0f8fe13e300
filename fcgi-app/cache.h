/*
 * What the hot path would otherwise ask MariaDB for on every request (an API
 * key's tenant, a token's user, the version a function runs), kept in the
 * process for a few seconds. A write drops what it changed here at once, before
 * it answers, and tells every other tf-api process through Redis; the expiry
 * bounds how stale anything could be if that message were lost.
 */
#ifndef TF_CACHE_H
#define TF_CACHE_H

#include <stdint.h>

#include "api.h"

#define CACHE_TTL_MS 10000

/* Starts the thread that applies other processes' invalidations. */
void cache_start(const struct app *app);
/*
 * A copy of the value (free it), or NULL. *epoch gets the cache's invalidation
 * count now: a value read from MariaDB after a miss is put with it, and is not
 * kept if something was dropped meanwhile (it may predate that change).
 */
char *cache_get(const char *key, uint64_t *epoch);
/* Stores value under key, tagged with the tenant and function (either may be NULL), unless dropped since epoch. */
void cache_put(const char *key, const char *tenant, const char *fn_id, const char *value, uint64_t epoch);
/* Drops everything of a tenant, or of one function, here and in every other process. */
void cache_drop_tenant(struct req *r, const char *tenant);
void cache_drop_function(struct req *r, const char *fn_id);

#endif
