/*
 * Invocation: the published version of a function runs once in a sandbox on
 * some runner. tf-api never writes MariaDB here: one Redis script counts the
 * quota and queues the job, then the thread waits on the job's reply list.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "handlers.h"
#include "invoke.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "runtimes.h"
#include "tenant.h"
#include "timefmt.h"
#include "validate.h"
#include "xalloc.h"

#define QUOTA_TTL_S (2 * 24 * 3600)
#define REPLY_SLACK_MS 2000

/* Takes one from today's quota (unless limit < 0) and queues the job, atomically. */
static const char QUOTA_AND_QUEUE[] =
	"local n = redis.call('INCR', KEYS[1]) "
	"if n == 1 then redis.call('EXPIRE', KEYS[1], ARGV[3]) end "
	"local limit = tonumber(ARGV[1]) "
	"if limit >= 0 and n > limit then redis.call('DECR', KEYS[1]) return -1 end "
	"redis.call('LPUSH', KEYS[2], ARGV[2]) "
	"return n";

static int enqueue(struct req *r, const struct job *j)
{
	const struct plan_limits *limits = tenant_limits(r);
	char quota_key[128], day[16], limit[32], ttl[16];

	utc_day(now_ms(), day, sizeof(day));
	snprintf(quota_key, sizeof(quota_key), TF_KEY_QUOTA_FMT, j->tenant, day);
	snprintf(limit, sizeof(limit), "%lld", limits ? limits->invocations_per_day : -1LL);
	snprintf(ttl, sizeof(ttl), "%d", QUOTA_TTL_S);
	char *text = job_to_json(j);
	redisReply *rep = rds_cmd(r->conn->rds, "EVAL %s 2 %s %s %s %b %s", QUOTA_AND_QUEUE, quota_key,
	                          TF_KEY_RUN_QUEUE, limit, text, strlen(text), ttl);
	free(text);
	if (!rds_ok(rep)) {
		if (rep)
			log_error("quota script: %s", rep->str);
		freeReplyObject(rep);
		return req_redis_fail(r, "enqueue");
	}
	long long n = rds_int(rep, -1);
	freeReplyObject(rep);
	if (n < 0)
		return tf_fail(&r->err, TF_E_PLAN_LIMIT,
		               "The %s plan allows %lld invocations per day; upgrade with POST /api/billing/upgrade",
		               limits->name, limits->invocations_per_day);
	return 0;
}

static int wait_outcome(struct req *r, const struct job *j, int wait_s, struct outcome *oc)
{
	char key[96];
	struct rds *rds = r->conn->rds;

	snprintf(key, sizeof(key), TF_KEY_REPLY_FMT, j->request_id);
	rds_set_timeout(rds, wait_s * 1000 + REPLY_SLACK_MS);
	redisReply *rep = rds_cmd(rds, "BLPOP %s %d", key, wait_s);
	rds_set_timeout(rds, 5000);
	if (rep == NULL)
		return req_redis_fail(r, "wait for outcome");
	int rc;
	if (rep->type != REDIS_REPLY_ARRAY || rep->elements != 2) {
		log_fields(TFLOG_WARN, "no runner answered in time", "requestId", j->request_id,
		           "traceId", r->trace_id, NULL);
		rc = tf_fail(&r->err, TF_E_UNAVAILABLE, "No runner answered in time; try again");
	} else if (outcome_from_json(rep->element[1]->str, rep->element[1]->len, oc) != 0) {
		rc = tf_fail(&r->err, TF_E_INTERNAL, "Malformed outcome (trace %s)", r->trace_id);
	} else {
		rc = 0;
	}
	freeReplyObject(rep);
	return rc;
}

int invoke_sync(struct req *r, struct job *j, struct outcome *oc)
{
	int wait_s = j->timeout_s + r->app->sync_margin_s;

	if (runtimes_check(r, j->runtime) != 0)
		return -1;
	uuid_v4(j->request_id);
	snprintf(j->tenant, sizeof(j->tenant), "%s", r->who.tenant);
	snprintf(j->type, sizeof(j->type), "RequestResponse");
	j->enqueued_ms = now_ms();
	j->wait_until_ms = j->enqueued_ms + (int64_t)wait_s * 1000;
	if (enqueue(r, j) != 0 || wait_outcome(r, j, wait_s, oc) != 0)
		return -1;
	if (oc->status == OUTCOME_PLATFORM_ERROR) {
		const char *msg = jstr(oc->error, "errorMessage");
		log_fields(TFLOG_ERROR, "invocation failed on the platform", "requestId", j->request_id,
		           "error", msg, "traceId", r->trace_id, NULL);
		return tf_fail(&r->err, TF_E_UNAVAILABLE, "The invocation could not run: %s",
		               msg ? msg : "runner error");
	}
	return 0;
}

/* Loads the published version of a function of the caller's tenant into a job. */
static int load_published(struct req *r, const char *id, struct job *j)
{
	struct db_rows *rows = NULL;
	int rc = -1;

	if (db_query(r->conn->db,
	             "SELECT f.id, f.name, f.published_version, v.code_sha256, v.runtime, v.handler,"
	             " v.memory_mb, v.timeout_s, v.env"
	             " FROM functions f LEFT JOIN versions v ON v.function_id = f.id AND v.number = f.published_version"
	             " WHERE f.id = ? AND f.tenant_id = ? AND f.deleted_at IS NULL",
	             DB_ARGS(DB_STR(id), DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "invoke lookup");
	if (rows->nrows == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "Function %s not found", id);
		goto out;
	}
	if (db_val(rows, 0, 2) == NULL || db_val(rows, 0, 3) == NULL) {
		tf_fail(&r->err, TF_E_NOT_DEPLOYED,
		        "Function %s has not been deployed; call POST .../functions/%s/deploy first", id, id);
		goto out;
	}
	char why[64];
	const char *env = db_val(rows, 0, 8);
	snprintf(j->function_id, sizeof(j->function_id), "%s", db_val(rows, 0, 0));
	snprintf(j->function_name, sizeof(j->function_name), "%s", db_val(rows, 0, 1));
	j->version = (int)db_ll(rows, 0, 2, 0);
	snprintf(j->code_sha256, sizeof(j->code_sha256), "%s", db_val(rows, 0, 3));
	snprintf(j->runtime, sizeof(j->runtime), "%s", db_val(rows, 0, 4));
	snprintf(j->handler, sizeof(j->handler), "%s", db_val(rows, 0, 5));
	j->memory_mb = (int)db_ll(rows, 0, 6, TF_DEFAULT_MEMORY_MB);
	j->timeout_s = (int)db_ll(rows, 0, 7, TF_DEFAULT_TIMEOUT_S);
	j->env = json_parse_text(env, strlen(env), why, sizeof(why));
	if (j->env == NULL)
		j->env = json_object_new_object();
	rc = 0;
out:
	db_rows_free(rows);
	return rc;
}

static const struct vfield tau_invoke_fields[] = {
	{ .name = "payload", .type = V_ANY },
};

/* The event as JSON text: the payload field, or {} when none was sent (as Lambda). */
static int payload_text(struct req *r, json_object *body, char **out)
{
	json_object *p = jget(body, "payload");
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

/* POST /saas/api/v1/sdk/tau/functions/:id/invoke — Functions — Lifecycle */
int tau_functions_invoke(struct req *r)
{
	struct job j = { 0 };
	struct outcome oc = { 0 };
	json_object *body = NULL;
	int rc = -1;

	if (req_json(r, &body) != 0 ||
	    validate(body, tau_invoke_fields, TF_ARRAY_LEN(tau_invoke_fields), &r->err) != 0 ||
	    load_published(r, r->params[0], &j) != 0 || payload_text(r, body, &j.payload) != 0 ||
	    invoke_sync(r, &j, &oc) != 0)
		goto out;
	json_object *out = json_object_new_object();
	if (oc.status == OUTCOME_SUCCEEDED) {
		tau_add_result(out, oc.result);
	} else {
		/* Lambda's error shape, marked so it cannot be read as a platform error. */
		req_add_header(r, "X-Function-Error", "Unhandled");
		jadd_str(out, "functionError", "Unhandled");
		json_object_object_foreach(oc.error, k, v)
			json_object_object_add(out, k, json_object_get(v));
	}
	jadd_int(out, "duration", (long long)ceil(oc.duration_ms));
	jadd_int(out, "billedMs", oc.billed_ms);
	jadd_str(out, "requestId", j.request_id);
	jadd_int(out, "version", oc.version);
	rc = req_reply(r, 200, out);
out:
	outcome_free(&oc);
	job_free(&j);
	json_object_put(body);
	return rc;
}
