/*
 * Invocation: the published version of a function runs once in a sandbox on
 * some runner. tf-api never writes MariaDB here: for a synchronous one, one
 * Redis script counts the quota and takes the concurrency places, and the job
 * goes straight to a runner over its link (runlink.h); an asynchronous one is
 * committed to MariaDB and queued on the durable stream.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "cache.h"
#include "handlers.h"
#include "invoke.h"
#include "job_version.h"
#include "routing.h"
#include "runlink.h"
#include "aliases.h"
#include "asyncq.h"
#include "concurrency.h"
#include "fn.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "num.h"
#include "runtimes.h"
#include "tenant.h"
#include "timefmt.h"
#include "validate.h"
#include "xalloc.h"

#define QUOTA_TTL_S (2 * 24 * 3600)
#define ASYNC_RETRY_AFTER_S 5

/* Lua: takes one from today's quota (KEYS[1], kept TTL seconds) unless LIMIT < 0; returns SPENT when spent. */
#define QUOTA_LUA(LIMIT, TTL, SPENT)                                                           \
	"local n = redis.call('INCR', KEYS[1]) "                                                    \
	"if n == 1 then redis.call('EXPIRE', KEYS[1], " TTL ") end "                                \
	"local limit = tonumber(" LIMIT ") "                                                        \
	"if limit >= 0 and n > limit then redis.call('DECR', KEYS[1]) return " SPENT " end "

/*
 * Refuses past the function's reserved concurrency (-2) or the tenant's account
 * concurrency (-4), takes one from today's quota (unless limit < 0; -1 when
 * spent) and takes the places: the one round trip to Redis on the invocation's
 * path. A refused invocation costs no quota.
 */
static const char ADMIT_SYNC[] =
	/* The request's rate-limit window first (KEYS[4], unless ARGV[8] < 0): refused past it, -5. */
	"local rate = 0 "
	"if tonumber(ARGV[8]) >= 0 then rate = redis.call('INCR', KEYS[4]) "
	"if rate == 1 then redis.call('EXPIRE', KEYS[4], ARGV[9]) end "
	"if rate > tonumber(ARGV[8]) then return {-5, rate} end end "
	TF_PLACES_FULL_LUA("reserved", "KEYS[2]", "ARGV[3]", "ARGV[4]", "{-2, rate}")
	TF_PLACES_FULL_LUA("account", "KEYS[3]", "ARGV[7]", "ARGV[4]", "{-4, rate}")
	QUOTA_LUA("ARGV[1]", "ARGV[2]", "{-1, rate}")
	TF_CONC_TAKE_LUA("KEYS[2]", "ARGV[4]", "ARGV[5]", "ARGV[6]")
	TF_ACCOUNT_TAKE_LUA("KEYS[3]", "ARGV[4]", "ARGV[5]", "ARGV[6]")
	"return {n, rate}";

/* The answer when the quota script said today's invocations are spent. */
static int quota_spent(struct req *r, const struct plan_limits *limits)
{
	return tf_fail(&r->err, TF_E_PLAN_LIMIT,
	               "The %s plan allows %lld invocations per day; upgrade with POST /api/billing/upgrade",
	               limits->name, limits->invocations_per_day);
}

static void quota_key(const struct job *j, char *key, size_t n)
{
	char day[16];
	utc_day(now_ms(), day, sizeof(day));
	snprintf(key, n, TF_KEY_QUOTA_FMT, j->tenant, day);
}

/* Admits a synchronous job: its reserved and account concurrency, its quota. */
static int admit_sync(struct req *r, const struct job *j)
{
	const struct plan_limits *limits = tenant_limits(r);
	char key[128], limit[32], ttl[16], conc[64], tconc[96];

	quota_key(j, key, sizeof(key));
	conc_key(j->function_id, conc, sizeof(conc));
	conc_tenant_key(j->tenant, tconc, sizeof(tconc));
	snprintf(limit, sizeof(limit), "%lld", limits ? limits->invocations_per_day : -1LL);
	snprintf(ttl, sizeof(ttl), "%d", QUOTA_TTL_S);
	/* The places are held until the latest the job can end: started at wait_until, then init and timeout. */
	const struct rate_hold *rate = &r->rate;
	redisReply *rep = rds_eval(r->conn->rds, ADMIT_SYNC, "4 %s %s %s %s %s %s %d %lld %lld %s %d %lld %d", key, conc,
	                           tconc, rate->pending ? rate->key : key, limit, ttl, j->reserved_concurrency,
	                           (long long)now_ms(),
	                           (long long)(j->wait_until_ms + (int64_t)j->timeout_s * 1000 + TF_INIT_TIMEOUT_MS),
	                           j->request_id, j->account_concurrency, rate->pending ? rate->limit : -1LL,
	                           2 * rate->window_s);
	if (!rds_ok(rep) || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		if (rep)
			log_error("admission script: %s", rep->str ? rep->str : "not a pair");
		freeReplyObject(rep);
		return req_redis_fail(r, "admission");
	}
	long long n = rds_int(rep->element[0], -1), counted = rds_int(rep->element[1], 0);
	freeReplyObject(rep);
	if (ratelimit_counted(r, counted) != 0)
		return -1;
	if (n == -2 || n == -4) {
		conc_record_throttle(r->conn->rds, j->tenant, j->function_id);
		r->err.retry_after = 1;
		if (n == -4)
			return tf_fail(&r->err, TF_E_THROTTLED,
			               "Rate exceeded: tenant %s is running its account concurrency of %d invocations at once"
			               " (the %s plan's); retry shortly", j->tenant, j->account_concurrency,
			               limits ? limits->name : "operator");
		return tf_fail(&r->err, TF_E_THROTTLED, "Rate exceeded: %s is running its reserved concurrency of %d",
		               j->function_name, j->reserved_concurrency);
	}
	if (n < 0)
		return quota_spent(r, limits);
	return 0;
}

/* Gives back a quota unit taken for an invocation that was then not accepted. */
static void quota_refund(struct req *r, const struct job *j)
{
	char key[128];
	quota_key(j, key, sizeof(key));
	freeReplyObject(rds_cmd(r->conn->rds, "DECR %s", key));
}

void invoke_give_back(struct rds *rds, const struct job *j)
{
	char key[128];
	int n = conc_give_back(rds, j);

	quota_key(j, key, sizeof(key));
	n += rds_append(rds, "DECR %s", key) == 0;
	for (int i = 0; i < n; i++)
		freeReplyObject(rds_reply(rds));
}

/* The tenant's account concurrency, as its plan says (none for the operator). */
static int account_concurrency_of(const struct req *r)
{
	const struct plan_limits *limits = tenant_limits(r);
	return limits ? (int)limits->concurrency : -1;
}

int invoke_sync(struct req *r, struct job *j, sync_answer_fn answer, json_object *ctx)
{
	int wait_s = j->timeout_s + r->app->sync_margin_s;

	if (runtimes_check(r, j->runtime, false) != 0)
		return -1;
	uuid_v4(j->request_id);
	snprintf(j->trace_id, sizeof(j->trace_id), "%s", r->trace_id);
	snprintf(r->request_id, sizeof(r->request_id), "%s", j->request_id);
	snprintf(j->tenant, sizeof(j->tenant), "%s", r->who.tenant);
	snprintf(j->type, sizeof(j->type), "RequestResponse");
	j->account_concurrency = account_concurrency_of(r);
	j->enqueued_ms = now_ms();
	j->wait_until_ms = j->enqueued_ms + (int64_t)wait_s * 1000;
	if (runlink_waiting() >= r->app->sync_max_waiting) {
		/* A bound on this process's memory, far above what the tenants' concurrency allows together. */
		r->err.retry_after = 1;
		return tf_fail(&r->err, TF_E_THROTTLED,
		               "Rate exceeded: this API process holds %ld synchronous invocations in flight; retry shortly",
		               r->app->sync_max_waiting);
	}
	if (admit_sync(r, j) != 0)
		return -1;
	return runlink_park(r, j, answer, ctx);
}

/*
 * For an asynchronous invocation, in one step: refuse past the queue depths
 * (the function's and the whole platform's), then take one from today's quota,
 * then count it in the depths. -2 and -3 name the full queue, -1 the quota.
 */
static const char ASYNC_ADMIT[] =
	"local fn = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or '0') "
	"local all = tonumber(redis.call('HGET', KEYS[2], '*') or '0') "
	"if fn >= tonumber(ARGV[4]) then return -2 end "
	"if all >= tonumber(ARGV[5]) then return -3 end "
	QUOTA_LUA("ARGV[1]", "ARGV[2]", "-1")
	"redis.call('HINCRBY', KEYS[2], ARGV[3], 1) "
	"redis.call('HINCRBY', KEYS[2], '*', 1) "
	"return n";

static int async_admit(struct req *r, const struct job *j)
{
	const struct plan_limits *limits = tenant_limits(r);
	char key[128], limit[32], ttl[16], fn_max[32], all_max[32];

	quota_key(j, key, sizeof(key));
	snprintf(limit, sizeof(limit), "%lld", limits ? limits->invocations_per_day : -1LL);
	snprintf(ttl, sizeof(ttl), "%d", QUOTA_TTL_S);
	snprintf(fn_max, sizeof(fn_max), "%lld", r->app->async_max_depth_function);
	snprintf(all_max, sizeof(all_max), "%lld", r->app->async_max_depth);
	redisReply *rep = rds_eval(r->conn->rds, ASYNC_ADMIT, "2 %s %s %s %s %s %s %s", key, TF_KEY_ASYNC_DEPTH,
	                          limit, ttl, j->function_id, fn_max, all_max);
	if (!rds_ok(rep)) {
		freeReplyObject(rep);
		return req_redis_fail(r, "async admit");
	}
	long long n = rds_int(rep, -1);
	freeReplyObject(rep);
	if (n == -2 || n == -3) {
		r->err.retry_after = ASYNC_RETRY_AFTER_S;
		return tf_fail(&r->err, TF_E_THROTTLED, "The %s queue is full (%lld invocations waiting); retry later",
		               n == -2 ? "function's" : "platform's", n == -2 ? r->app->async_max_depth_function : r->app->async_max_depth);
	}
	if (n < 0)
		return quota_spent(r, limits);
	return 0;
}

/* Gives back what async_admit took, for an invocation that was then not accepted. */
static void async_unadmit(struct req *r, const struct job *j)
{
	quota_refund(r, j);
	rds_append(r->conn->rds, "HINCRBY %s %s -1", TF_KEY_ASYNC_DEPTH, j->function_id);
	rds_append(r->conn->rds, "HINCRBY %s * -1", TF_KEY_ASYNC_DEPTH);
	freeReplyObject(rds_reply(r->conn->rds));
	freeReplyObject(rds_reply(r->conn->rds));
}

/* The Idempotency-Key header: up to 255 printable characters, or NULL when none was sent. */
static int idempotency_key(struct req *r, const char **out)
{
	const char *k = req_header(r, "HTTP_IDEMPOTENCY_KEY");

	*out = NULL;
	if (k == NULL || *k == '\0')
		return 0;
	bool ok = strlen(k) <= 255;
	for (const char *p = k; ok && *p; p++)
		ok = *p > 0x20 && *p < 0x7f;
	if (!ok) {
		tf_detail(&r->err, "Idempotency-Key", "must be 1-255 printable ASCII characters, no spaces");
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid Idempotency-Key header");
	}
	*out = k;
	return 0;
}

/*
 * Answers a repeated Idempotency-Key with the first request's id and status: 0
 * when answered, 1 when the key is new (only if !must_exist), -1 on error.
 */
static int replay(struct req *r, const struct job *j, const char *idem, bool must_exist)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT request_id, status FROM invocations WHERE function_id = ? AND idempotency_key = ?",
	             DB_ARGS(DB_STR(j->function_id), DB_STR(idem)), &rows) != 0)
		return req_db_fail(r, "idempotency lookup");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		if (!must_exist)
			return 1;
		return tf_fail(&r->err, TF_E_CONFLICT, "A request with this Idempotency-Key is being queued; retry");
	}
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", db_val(rows, 0, 0));
	jadd_str(o, "status", db_val(rows, 0, 1));
	db_rows_free(rows);
	req_add_header(r, "Idempotent-Replayed", "true");
	return req_reply(r, 202, o);
}

#define COMMIT_CHECK_MS 15000      /* how long a request waits to learn whether its row was stored */
#define COMMIT_CHECK_EVERY_MS 200

/*
 * Whether the row of request id was stored, after the connection died during its
 * INSERT: asked again until MariaDB answers, within the request's deadline.
 * 1 stored, 0 not stored, -1 still unknown.
 */
static int was_stored(struct req *r, const char *request_id)
{
	int64_t until = mono_ms() + COMMIT_CHECK_MS;

	for (;;) {
		struct db_rows *rows = NULL;
		if (db_query(r->conn->db, "SELECT COUNT(*) FROM invocations WHERE request_id = ?",
		             DB_ARGS(DB_STR(request_id)), &rows) == 0) {
			long long n = db_ll(rows, 0, 0, 0);
			db_rows_free(rows);
			return n > 0 ? 1 : 0;
		}
		if (mono_ms() + COMMIT_CHECK_EVERY_MS > until)
			return -1;
		nanosleep(&(struct timespec){ 0, COMMIT_CHECK_EVERY_MS * 1000000L }, NULL);
	}
}

/*
 * Accepts an asynchronous invocation without answering: 0 when committed (the
 * platform owes it a run), 1 when a repeated Idempotency-Key was answered with the
 * first request's id, -1 with r->err set.
 */
static int async_accept(struct req *r, struct job *j, const char *idem)
{
	struct db *db = r->conn->db;

	if (ratelimit_settle(r) != 0 || runtimes_check(r, j->runtime, true) != 0)
		return -1;
	uuid_v4(j->request_id);
	snprintf(j->trace_id, sizeof(j->trace_id), "%s", r->trace_id);
	snprintf(r->request_id, sizeof(r->request_id), "%s", j->request_id);
	snprintf(j->tenant, sizeof(j->tenant), "%s", r->who.tenant);
	snprintf(j->type, sizeof(j->type), "Event");
	j->account_concurrency = account_concurrency_of(r);
	j->enqueued_ms = now_ms();
	j->wait_until_ms = 0;  /* nobody waits: it runs whenever a runner takes it */
	/* A repeat is answered before any limit: it asks for nothing new. */
	int seen = idem ? replay(r, j, idem, false) : 1;
	if (seen != 1)
		return seen == 0 ? 1 : -1;
	if (async_admit(r, j) != 0)
		return -1;
	char *text = job_to_json(j);
	int rc = db_exec(db,
	                 "INSERT INTO invocations (request_id, tenant_id, function_id, version, alias, invocation_type,"
	                 " status, started_at, queued_at, job, idempotency_key)"
	                 " VALUES (?, ?, ?, ?, ?, 'Event', 'Queued', NOW(3), NOW(3), ?, ?)",
	                 DB_ARGS(DB_STR(j->request_id), DB_STR(j->tenant), DB_STR(j->function_id), DB_INT(j->version),
	                         DB_STR(j->alias[0] ? j->alias : NULL), DB_STR(text), DB_STR(idem)), NULL);
	/*
	 * The connection died after the INSERT may have reached MariaDB: the row may be
	 * committed. The answer must say what was stored, so ask until it can be known.
	 */
	int stored = rc != 0 && db_outcome_unknown(db) ? was_stored(r, j->request_id) : 0;
	if (stored == 1) {
		log_fields(TFLOG_WARN, "stored although its commit was not confirmed", "requestId", j->request_id,
		           "traceId", r->trace_id, NULL);
		rc = 0;
	} else if (stored < 0) {
		/* Nothing is given back: it may be accepted. The leader recounts the depths from the rows. */
		free(text);
		log_fields(TFLOG_ERROR, "outcome of an accepted invocation unknown", "requestId", j->request_id,
		           "error", db_error(db), "traceId", r->trace_id, NULL);
		return tf_fail(&r->err, TF_E_UNAVAILABLE,
		               "The database went away while accepting invocation %s, so whether it was accepted is not"
		               " known; GET /api/v1/functions/%s/invocations/%s tells once the database is back (or retry"
		               " with the same Idempotency-Key)", j->request_id, j->function_name, j->request_id);
	}
	if (rc != 0) {
		free(text);
		async_unadmit(r, j);
		if (idem && db_is_duplicate(db))
			return replay(r, j, idem, true) == 0 ? 1 : -1;  /* the same key, accepted a moment ago */
		return req_db_fail(r, "queue invocation");
	}
	/*
	 * Committed: from here the platform owes this invocation a run. Should the
	 * stream lose it (Redis down now, or losing data later), the row is still Queued
	 * and the leader's sweep queues it again.
	 */
	if (async_enqueue(r->conn->rds, j->request_id, text) != 0)
		log_fields(TFLOG_WARN, "async job left to the sweep", "requestId", j->request_id, "error",
		           rds_error(r->conn->rds), NULL);
	free(text);
	return 0;
}

int invoke_async(struct req *r, struct job *j)
{
	const char *idem = NULL;

	if (idempotency_key(r, &idem) != 0)
		return -1;
	int rc = async_accept(r, j, idem);
	if (rc != 0)
		return rc < 0 ? -1 : 0;
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", j->request_id);
	jadd_str(o, "status", "Queued");
	return req_reply(r, 202, o);
}

int invoke_async_quiet(struct req *r, struct job *j)
{
	return async_accept(r, j, NULL) == 0 ? 0 : -1;
}

/* Fills the job with version n of a function the caller may see (fn_id already checked). */
static int load_version(struct req *r, const char *fn_id, const char *fn_name, long long n, struct job *j)
{
	int rc = job_load_version(r->conn->db, fn_id, n, j);
	if (rc < 0)
		return req_db_fail(r, "version lookup");
	if (rc > 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Version %lld of %s not found", n, fn_name);
	snprintf(j->function_name, sizeof(j->function_name), "%s", fn_name);
	return 0;
}

static void template_to_cache(const char *ckey, const struct job *j, const char *routing, uint64_t epoch);
static bool template_from_cache(const char *ckey, struct job *j, char *routing, size_t routingsz, uint64_t *epoch);

/* The job of another version of the same function (a deployment's target), from the cache when it can. */
static int load_version_cached(struct req *r, long long n, struct job *j)
{
	char ckey[128], name[sizeof(j->function_name)], id[sizeof(j->function_id)];

	/* Copies: the job's own fields are rewritten from them. */
	snprintf(id, sizeof(id), "%s", j->function_id);
	snprintf(name, sizeof(name), "%s", j->function_name);
	snprintf(ckey, sizeof(ckey), "ver:%s:%lld", id, n);
	json_object_put(j->env);
	j->env = NULL;
	uint64_t epoch;
	if (template_from_cache(ckey, j, NULL, 0, &epoch))
		return 0;
	if (load_version(r, id, name, n, j) != 0)
		return -1;
	template_to_cache(ckey, j, NULL, epoch);
	return 0;
}

static int published_of(struct req *r, const struct fn *f, long long *n);
static int load_version(struct req *r, const char *fn_id, const char *fn_name, long long n, struct job *j);

/* What an unqualified invocation of a function needs, as cached. */
static void template_to_cache(const char *ckey, const struct job *j, const char *routing, uint64_t epoch)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "id", j->function_id);
	jadd_str(o, "name", j->function_name);
	jadd_int(o, "version", j->version);
	jadd_str(o, "sha", j->code_sha256);
	jadd_str(o, "runtime", j->runtime);
	jadd_str(o, "handler", j->handler);
	jadd_int(o, "memory", j->memory_mb);
	jadd_int(o, "timeout", j->timeout_s);
	jadd_int(o, "maxRetries", j->max_retries);
	jadd_int(o, "maxEventAgeSeconds", j->max_event_age_s);
	jadd_int(o, "reservedConcurrency", j->reserved_concurrency);
	json_object_object_add(o, "env", json_object_get(j->env));
	if (routing && routing[0])
		jadd_str(o, "routing", routing);
	cache_put(ckey, j->tenant, j->function_id, json_text(o), epoch);
	json_object_put(o);
}

static bool template_from_cache(const char *ckey, struct job *j, char *routing, size_t routingsz, uint64_t *epoch)
{
	char *text = cache_get(ckey, epoch), why[64];
	json_object *o = text ? json_parse_text(text, strlen(text), why, sizeof(why)) : NULL;

	free(text);
	if (o == NULL)
		return false;
	snprintf(j->function_id, sizeof(j->function_id), "%s", jstr(o, "id"));
	snprintf(j->function_name, sizeof(j->function_name), "%s", jstr(o, "name"));
	j->version = (int)jint(o, "version", 0);
	snprintf(j->code_sha256, sizeof(j->code_sha256), "%s", jstr(o, "sha"));
	snprintf(j->runtime, sizeof(j->runtime), "%s", jstr(o, "runtime"));
	snprintf(j->handler, sizeof(j->handler), "%s", jstr(o, "handler"));
	j->memory_mb = (int)jint(o, "memory", TF_DEFAULT_MEMORY_MB);
	j->timeout_s = (int)jint(o, "timeout", TF_DEFAULT_TIMEOUT_S);
	j->max_retries = (int)jint(o, "maxRetries", 2);
	j->max_event_age_s = (int)jint(o, "maxEventAgeSeconds", 21600);
	j->reserved_concurrency = (int)jint(o, "reservedConcurrency", -1);
	json_object *env = jget(o, "env");
	j->env = env ? json_object_get(env) : json_object_new_object();
	if (routing)
		snprintf(routing, routingsz, "%s", jstr(o, "routing") ? jstr(o, "routing") : "");
	json_object_put(o);
	return true;
}

/*
 * The published version of a function of the caller's tenant, into the job: from
 * the cache, or from MariaDB (then cached). by/key as fn_load's.
 */
static int load_published(struct req *r, enum fn_lookup by, const char *key, struct job *j)
{
	char ckey[TF_MAX_PARAM + 96], routing[sizeof(((struct fn *)0)->published_routing)] = "";
	struct fn f = { 0 };
	long long version = 0;
	int rc = -1;

	snprintf(ckey, sizeof(ckey), "pub:%s:%s:%s", by == FN_BY_ID ? "id" : "name", r->who.tenant, key);
	snprintf(j->tenant, sizeof(j->tenant), "%s", r->who.tenant);
	uint64_t epoch;
	if (template_from_cache(ckey, j, routing, sizeof(routing), &epoch)) {
		rc = 0;
	} else if (fn_load(r, by, key, false, &f) == 0 && published_of(r, &f, &version) == 0 &&
	           load_version(r, f.id, f.name, version, j) == 0) {
		snprintf(routing, sizeof(routing), "%s", f.published_routing);
		template_to_cache(ckey, j, routing, epoch);
		rc = 0;
	}
	fn_free(&f);
	/* A deployment in progress sends a share of unqualified traffic to its target. */
	if (rc == 0 && routing[0] && (version = routing_pick(routing, j->version)) != j->version)
		rc = load_version_cached(r, version, j);
	return rc;
}

/* The version an unqualified invocation runs: the published one. */
static int published_of(struct req *r, const struct fn *f, long long *n)
{
	if (f->published_version <= 0) {
		char base[512];
		req_base_url(r, base, sizeof(base));
		if (r->surface == TF_SURFACE_TAU)
			tf_help(&r->err, "POST %s/saas/api/v1/sdk/tau/functions/%s/deploy", base, f->id);
		else
			tf_help(&r->err, "POST %s/api/v1/functions/%s/versions with {\"code\": \"<base64 ZIP>\"}", base, f->name);
		return tf_fail(&r->err, TF_E_NOT_DEPLOYED, "Function %s has no deployed version yet; deploy it first: %s",
		               f->name, r->err.help);
	}
	*n = f->published_version;
	return 0;
}

static const struct vfield tau_invoke_fields[] = {
	{ .name = "payload", .type = V_ANY },
};
VTABLE(tau_invoke_body, tau_invoke_fields, "{\"payload\": {\"name\": \"World\"}}");

/* The event as JSON text: the payload, or {} when none was sent (as Lambda). */
static int payload_text(struct req *r, json_object *p, char **out)
{
	const char *text = p ? json_text(p) : "{}";

	if (strlen(text) > TF_MAX_PAYLOAD)
		return tf_fail(&r->err, TF_E_TOO_LARGE, "Payload exceeds %ld bytes", TF_MAX_PAYLOAD);
	*out = xstrdup(text);
	return 0;
}

/*
 * A handler's value as an HTTP-style answer: {statusCode, body, headers} pass
 * through as the handler gave them; any other value is a 200 whose body is
 * the value (a string as it is, anything else as JSON text).
 */
static void tau_add_result(json_object *out, const char *result_text)
{
	char why[64];
	json_object *v = json_parse_text(result_text, strlen(result_text), why, sizeof(why));
	json_object *sc = json_object_is_type(v, json_type_object) ? jget(v, "statusCode") : NULL;

	if (sc && json_object_is_type(sc, json_type_int)) {
		json_object *body = jget(v, "body");
		jadd_int(out, "statusCode", json_object_get_int64(sc));
		if (body == NULL || json_object_is_type(body, json_type_string))
			json_object_object_add(out, "body", json_object_get(body));
		else
			jadd_str(out, "body", json_text(body));
		json_object *headers = jget(v, "headers");
		if (headers)
			json_object_object_add(out, "headers", json_object_get(headers));
		json_object *b64 = jget(v, "isBase64Encoded");
		if (b64)
			json_object_object_add(out, "isBase64Encoded", json_object_get(b64));
	} else {
		jadd_int(out, "statusCode", 200);
		if (v && json_object_is_type(v, json_type_string))
			jadd_str(out, "body", json_object_get_string(v));
		else
			jadd_str(out, "body", result_text);
	}
	json_object_put(v);
}

/* The function's answer: its value, or Lambda's error shape marked as the function's. */
static void add_answer(struct req *r, json_object *out, const struct outcome *oc)
{
	if (oc->status == OUTCOME_SUCCEEDED) {
		tau_add_result(out, oc->result);
		return;
	}
	/* Marked so it cannot be read as a platform error (docs/function-errors.md). */
	req_add_header(r, "X-Function-Error", "Unhandled");
	jadd_str(out, "functionError", "Unhandled");
	if (oc->error == NULL) {
		jadd_str(out, "errorType", "Runtime.Unknown");
		jadd_str(out, "errorMessage", "The function failed without saying why");
		return;
	}
	json_object_object_foreach(oc->error, k, v)
		json_object_object_add(out, k, json_object_get(v));
}

/* The Tau answer of a synchronous invocation (runlink.h: on the thread its outcome arrives on). */
static int tau_answer(struct req *r, const struct job *j, const struct outcome *oc, json_object *ctx)
{
	(void)ctx;
	json_object *out = json_object_new_object();
	add_answer(r, out, oc);
	jadd_int(out, "duration", (long long)ceil(oc->duration_ms));
	jadd_int(out, "billedMs", oc->billed_ms);
	jadd_str(out, "requestId", j->request_id);
	jadd_int(out, "version", oc->version);
	return req_reply(r, 200, out);
}

/* POST /saas/api/v1/sdk/tau/functions/:id/invoke — Functions — Lifecycle */
int tau_functions_invoke(struct req *r)
{
	struct job j = { 0 };
	json_object *body = NULL;
	int rc = -1;

	if (req_json(r, &body) == 0 &&
	    validate(body, tau_invoke_fields, TF_ARRAY_LEN(tau_invoke_fields), &r->err) == 0 &&
	    load_published(r, FN_BY_ID, r->params[0], &j) == 0 && payload_text(r, jget(body, "payload"), &j.payload) == 0)
		rc = invoke_sync(r, &j, tau_answer, NULL);
	job_free(&j);
	json_object_put(body);
	return rc;
}

static int check_invocation_type(const char *s, char *why, size_t whysz)
{
	if (strcmp(s, "RequestResponse") == 0 || strcmp(s, "Event") == 0 || strcmp(s, "DryRun") == 0)
		return 0;
	snprintf(why, whysz, "must be RequestResponse, Event or DryRun");
	return -1;
}

static const struct vfield platform_invoke_fields[] = {
	{ .name = "payload", .type = V_ANY },
	{ .name = "alias", .type = V_STRING, .min = 1, .max = 64 },
	{ .name = "invocationType", .type = V_STRING, .min = 1, .max = 32, .check = check_invocation_type },
};
VTABLE(platform_invoke_body, platform_invoke_fields, "{\"payload\": {\"imageUrl\": \"https://example.com/a.jpg\"}}");

/*
 * The platform's payload: a JSON value, or a string holding JSON text (as the
 * reference's example sends it), which is parsed so the handler gets the value.
 */
static int platform_payload(struct req *r, json_object *body, char **out)
{
	json_object *p = jget(body, "payload");
	struct json_fault f;

	if (p == NULL || !json_object_is_type(p, json_type_string))
		return payload_text(r, p, out);
	const char *s = json_object_get_string(p);
	size_t n = (size_t)json_object_get_string_len(p);
	if (n > TF_MAX_PAYLOAD)
		return tf_fail(&r->err, TF_E_TOO_LARGE, "Payload exceeds %ld bytes", TF_MAX_PAYLOAD);
	json_object *v = json_parse_input(s, n, &f);
	if (v == NULL) {
		if (f.kind == JSON_FAULT_SYNTAX)
			tf_detail(&r->err, "payload", "a string payload must hold JSON text: %s", f.why);
		else if (f.field[0])
			tf_detail(&r->err, "payload", "the JSON text of a string payload is refused: \"%s\" %s", f.field, f.why);
		else
			tf_detail(&r->err, "payload", "the JSON text of a string payload is refused: it %s", f.why);
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	}
	int rc = payload_text(r, v, out);
	json_object_put(v);
	return rc;
}

int invoke_load_target(struct req *r, const char *fn_id, const char *fn_name, const char *target, struct job *j)
{
	long long version;

	snprintf(j->tenant, sizeof(j->tenant), "%s", r->who.tenant);
	if (target == NULL || target[0] == '\0')
		return load_published(r, FN_BY_ID, fn_id, j);
	if (parse_ll(target, 1, INT32_MAX, &version) == 0)
		return load_version(r, fn_id, fn_name, version, j);
	if (alias_pick_version(r, fn_id, target, &version) != 0 || load_version(r, fn_id, fn_name, version, j) != 0)
		return -1;
	snprintf(j->alias, sizeof(j->alias), "%s", target);
	return 0;
}

/* Resolves the version the request names (alias, else the published one) into the job. */
static int platform_target(struct req *r, json_object *body, struct fn *f, struct job *j)
{
	long long version;
	const char *alias = jstr(body, "alias");

	if (alias == NULL)
		return load_published(r, FN_BY_NAME, r->params[0], j);
	if (fn_by_name(r, false, f) != 0 || alias_pick_version(r, f->id, alias, &version) != 0 ||
	    load_version(r, f->id, f->name, version, j) != 0)
		return -1;
	snprintf(j->alias, sizeof(j->alias), "%s", alias);
	return 0;
}

/* The platform API's answer of a synchronous invocation. */
static int platform_answer(struct req *r, const struct job *j, const struct outcome *oc, json_object *ctx)
{
	(void)ctx;
	json_object *o = json_object_new_object();
	add_answer(r, o, oc);
	jadd_int(o, "executionTime", (long long)ceil(oc->duration_ms));
	jadd_int(o, "billedDuration", oc->billed_ms);
	jadd_int(o, "memoryUsed", oc->memory_used_mb);
	jadd_bool(o, "wasColdStart", oc->cold_start);
	jadd_str(o, "requestId", j->request_id);
	jadd_str(o, "logStreamName", oc->log_stream[0] ? oc->log_stream : NULL);
	jadd_int(o, "version", oc->version);
	json_object_object_add(o, "versionString", version_string(oc->version));
	return req_reply(r, 200, o);
}

/* POST /api/v1/functions/{name}/invoke — Invoke Function (Synchronous) */
int platform_functions_invoke(struct req *r)
{
	struct job j = { 0 };
	struct fn f = { 0 };
	json_object *body = NULL;
	int rc = -1;

	if (req_json(r, &body) != 0 ||
	    validate(body, platform_invoke_fields, TF_ARRAY_LEN(platform_invoke_fields), &r->err) != 0 ||
	    platform_target(r, body, &f, &j) != 0 || platform_payload(r, body, &j.payload) != 0)
		goto out;
	const char *type = jstr(body, "invocationType") ? jstr(body, "invocationType") : "RequestResponse";
	if (strcmp(type, "DryRun") == 0)
		/* Everything an invocation would check, and nothing run: Lambda answers 204. */
		rc = ratelimit_settle(r) == 0 && runtimes_check(r, j.runtime, false) == 0 ? req_reply(r, 204, NULL) : -1;
	else if (strcmp(type, "Event") == 0)
		rc = invoke_async(r, &j);
	else
		rc = invoke_sync(r, &j, platform_answer, NULL);
out:
	fn_free(&f);
	job_free(&j);
	json_object_put(body);
	return rc;
}

/* POST /api/v1/functions/{name}/invoke-async — Invoke Function (Asynchronous) */
int platform_functions_invoke_async(struct req *r)
{
	struct job j = { 0 };
	struct fn f = { 0 };
	json_object *body = NULL;
	int rc = -1;

	if (req_json(r, &body) == 0 &&
	    validate(body, platform_invoke_fields, TF_ARRAY_LEN(platform_invoke_fields), &r->err) == 0 &&
	    platform_target(r, body, &f, &j) == 0 && platform_payload(r, body, &j.payload) == 0)
		rc = invoke_async(r, &j);
	fn_free(&f);
	job_free(&j);
	json_object_put(body);
	return rc;
}
