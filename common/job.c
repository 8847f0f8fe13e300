#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "jsonx.h"
#include "tf.h"
#include "xalloc.h"

static const char *const status_names[] = {
	[OUTCOME_SUCCEEDED] = "Succeeded",
	[OUTCOME_FUNCTION_ERROR] = "FunctionError",
	[OUTCOME_TIMEOUT] = "TimedOut",
	[OUTCOME_OUT_OF_MEMORY] = "OutOfMemory",
	[OUTCOME_CRASHED] = "Crashed",
	[OUTCOME_PLATFORM_ERROR] = "PlatformError",
};

const char *outcome_status_name(enum outcome_status s)
{
	return (unsigned)s < TF_ARRAY_LEN(status_names) ? status_names[s] : "PlatformError";
}

int billed_ms_of(double duration_ms)
{
	long steps = (long)ceil(duration_ms / TF_BILLING_STEP_MS);
	return (int)(steps < 1 ? TF_BILLING_STEP_MS : steps * TF_BILLING_STEP_MS);
}

json_object *lambda_error(const char *type, const char *message)
{
	json_object *e = json_object_new_object();
	jadd_str(e, "errorType", type);
	jadd_str(e, "errorMessage", message);
	json_object_object_add(e, "stackTrace", json_object_new_array());
	return e;
}

/* Copies a string field into a fixed buffer; -1 if absent or too long. */
static int copy_field(json_object *o, const char *key, char *dst, size_t n, bool required)
{
	const char *s = jstr(o, key);

	if (s == NULL) {
		dst[0] = '\0';
		return required ? -1 : 0;
	}
	if (strlen(s) >= n)
		return -1;
	memcpy(dst, s, strlen(s) + 1);
	return 0;
}

/*
 * The text of o with one more field whose value is JSON text already: spliced in
 * as it is rather than parsed and printed again, which matters for 6 MB. Frees o.
 */
static char *with_raw_field(json_object *o, const char *key, const char *raw)
{
	const char *head = json_text(o);
	size_t hl = strlen(head);
	char *out = xasprintf("%.*s%s\"%s\":%s}", (int)(hl - 1), head, hl > 2 ? "," : "", key, raw ? raw : "null");
	json_object_put(o);
	return out;
}

char *job_to_json(const struct job *j)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", j->request_id);
	if (j->trace_id[0])
		jadd_str(o, "traceId", j->trace_id);
	jadd_str(o, "tenant", j->tenant);
	jadd_str(o, "functionId", j->function_id);
	jadd_str(o, "functionName", j->function_name);
	jadd_int(o, "version", j->version);
	jadd_str(o, "codeSha256", j->code_sha256);
	jadd_str(o, "runtime", j->runtime);
	jadd_str(o, "handler", j->handler);
	jadd_int(o, "memoryMB", j->memory_mb);
	jadd_int(o, "timeout", j->timeout_s);
	json_object_object_add(o, "env", json_object_get(j->env));
	jadd_str(o, "alias", j->alias);
	jadd_str(o, "type", j->type);
	jadd_int(o, "maxRetries", j->max_retries);
	jadd_int(o, "maxEventAgeSeconds", j->max_event_age_s);
	jadd_int(o, "reservedConcurrency", j->reserved_concurrency);
	jadd_int(o, "accountConcurrency", j->account_concurrency);
	jadd_int(o, "enqueuedMs", j->enqueued_ms);
	jadd_int(o, "waitUntilMs", j->wait_until_ms);
	return with_raw_field(o, "payload", j->payload);
}

int job_from_json(const char *text, size_t len, struct job *j, char *why, size_t whysz)
{
	json_object *o = json_parse_text(text, len, why, whysz);
	int rc = -1;

	memset(j, 0, sizeof(*j));
	if (o == NULL)
		return -1;
	if (copy_field(o, "requestId", j->request_id, sizeof(j->request_id), true) ||
	    copy_field(o, "tenant", j->tenant, sizeof(j->tenant), true) ||
	    copy_field(o, "functionId", j->function_id, sizeof(j->function_id), true) ||
	    copy_field(o, "functionName", j->function_name, sizeof(j->function_name), true) ||
	    copy_field(o, "codeSha256", j->code_sha256, sizeof(j->code_sha256), true) ||
	    copy_field(o, "runtime", j->runtime, sizeof(j->runtime), true) ||
	    copy_field(o, "handler", j->handler, sizeof(j->handler), true) ||
	    copy_field(o, "alias", j->alias, sizeof(j->alias), false) ||
	    copy_field(o, "type", j->type, sizeof(j->type), false) ||
	    copy_field(o, "traceId", j->trace_id, sizeof(j->trace_id), false)) {
		snprintf(why, whysz, "a string field is missing or too long");
		goto out;
	}
	j->version = (int)jint(o, "version", 0);
	j->memory_mb = (int)jint(o, "memoryMB", 0);
	j->timeout_s = (int)jint(o, "timeout", 0);
	j->max_retries = (int)jint(o, "maxRetries", 2);
	j->max_event_age_s = (int)jint(o, "maxEventAgeSeconds", 21600);
	j->reserved_concurrency = (int)jint(o, "reservedConcurrency", -1);
	j->account_concurrency = (int)jint(o, "accountConcurrency", -1);
	j->enqueued_ms = jint(o, "enqueuedMs", 0);
	j->wait_until_ms = jint(o, "waitUntilMs", 0);
	if (j->version < 1 || j->memory_mb < TF_MIN_MEMORY_MB || j->memory_mb > TF_MAX_MEMORY_MB ||
	    j->timeout_s < TF_MIN_TIMEOUT_S || j->timeout_s > TF_MAX_TIMEOUT_S) {
		snprintf(why, whysz, "version, memoryMB or timeout out of range");
		goto out;
	}
	json_object *env = jget(o, "env");
	j->env = env && json_object_is_type(env, json_type_object) ? json_object_get(env)
	                                                           : json_object_new_object();
	json_object *payload = jget(o, "payload");
	j->payload = xstrdup(payload ? json_text(payload) : "null");
	rc = 0;
out:
	json_object_put(o);
	return rc;
}

void job_free(struct job *j)
{
	json_object_put(j->env);
	free(j->payload);
	j->env = NULL;
	j->payload = NULL;
}

void outcome_add_fields(json_object *o, const struct outcome *oc)
{
	jadd_str(o, "requestId", oc->request_id);
	jadd_str(o, "status", outcome_status_name(oc->status));
	json_object_object_add(o, "error", json_object_get(oc->error));
	jadd_double(o, "durationMs", oc->duration_ms, 3);
	jadd_double(o, "initMs", oc->init_ms, 3);
	jadd_int(o, "billedMs", oc->billed_ms);
	jadd_int(o, "memoryUsedMB", oc->memory_used_mb);
	jadd_bool(o, "coldStart", oc->cold_start);
	jadd_int(o, "version", oc->version);
	jadd_str(o, "runner", oc->runner);
	jadd_str(o, "logStreamName", oc->log_stream[0] ? oc->log_stream : NULL);
	jadd_int(o, "startedMs", oc->started_ms);
}

char *outcome_to_json(const struct outcome *oc)
{
	json_object *o = json_object_new_object();
	outcome_add_fields(o, oc);
	return with_raw_field(o, "result", oc->result);
}

int outcome_from_json(const char *text, size_t len, struct outcome *oc)
{
	char why[64];
	json_object *o = json_parse_text(text, len, why, sizeof(why));

	memset(oc, 0, sizeof(*oc));
	if (o == NULL)
		return -1;
	copy_field(o, "requestId", oc->request_id, sizeof(oc->request_id), false);
	copy_field(o, "runner", oc->runner, sizeof(oc->runner), false);
	copy_field(o, "logStreamName", oc->log_stream, sizeof(oc->log_stream), false);
	const char *st = jstr(o, "status");
	oc->status = OUTCOME_PLATFORM_ERROR;
	for (size_t i = 0; st && i < TF_ARRAY_LEN(status_names); i++)
		if (strcmp(st, status_names[i]) == 0)
			oc->status = (enum outcome_status)i;
	json_object *err = jget(o, "error");
	oc->error = err ? json_object_get(err) : NULL;
	json_object *d = jget(o, "durationMs");
	oc->duration_ms = d ? json_object_get_double(d) : 0;
	json_object *im = jget(o, "initMs");
	oc->init_ms = im ? json_object_get_double(im) : 0;
	oc->billed_ms = (int)jint(o, "billedMs", 0);
	oc->memory_used_mb = (int)jint(o, "memoryUsedMB", 0);
	oc->cold_start = jbool(o, "coldStart", false);
	oc->version = (int)jint(o, "version", 0);
	oc->started_ms = jint(o, "startedMs", 0);
	json_object *res = jget(o, "result");
	oc->result = oc->status == OUTCOME_SUCCEEDED ? xstrdup(res ? json_text(res) : "null") : NULL;
	json_object_put(o);
	return 0;
}

void outcome_free(struct outcome *oc)
{
	free(oc->result);
	json_object_put(oc->error);
	oc->result = NULL;
	oc->error = NULL;
}
