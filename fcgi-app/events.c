/*
 * Events (beyond the reference): a tenant publishes {topic, payload} and every
 * enabled Event trigger of its own on that topic gets one asynchronous invocation
 * with the payload as its event. A topic belongs to its tenant: another tenant's
 * triggers never see it.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "handlers.h"
#include "invoke.h"
#include "jsonx.h"
#include "validate.h"

#define MAX_EVENTS_PER_REQUEST 10   /* as EventBridge's PutEvents */
#define MAX_TARGETS_PER_TOPIC 100   /* triggers one event fans out to */

static const struct vfield event_fields[] = {
	{ .name = "topic", .type = V_STRING, .required = true, .min = 1, .max = 128 },
	{ .name = "payload", .type = V_ANY },
};
VTABLE(event_publish_body, event_fields, "{\"topic\": \"orders.created\", \"payload\": {\"order\": 7}}");

static const struct vfield batch_fields[] = {
	{ .name = "events", .type = V_ANY, .required = true },
};

/* Validates one event of a batch, its details named "events[i].field". */
static int check_event(struct req *r, json_object *e, size_t i)
{
	struct tf_error inner = { 0 };
	char prefix[32];

	snprintf(prefix, sizeof(prefix), "events[%zu]", i);
	if (!json_object_is_type(e, json_type_object)) {
		tf_detail(&r->err, prefix, "must be an object {topic, payload}");
		return -1;
	}
	if (validate(e, event_fields, TF_ARRAY_LEN(event_fields), &inner) == 0)
		return 0;
	tf_details_merge(&r->err, &inner, prefix);
	tf_error_reset(&inner);
	return -1;
}

/* Queues the event for every trigger on its topic; answers {topic, requestIds}. -1 with r->err set. */
static int fan_out(struct req *r, json_object *e, json_object **out)
{
	struct db_rows *rows = NULL;
	const char *topic = jstr(e, "topic");
	json_object *payload = jget(e, "payload");
	const char *text = payload ? json_text(payload) : "{}";
	int rc = 0;

	if (strlen(text) > TF_MAX_PAYLOAD)
		return tf_fail(&r->err, TF_E_TOO_LARGE, "The payload of an event exceeds %ld bytes", TF_MAX_PAYLOAD);
	if (db_query(r->conn->db,
	             "SELECT f.id, f.name, t.target FROM triggers t JOIN functions f ON f.id = t.function_id"
	             " WHERE t.tenant_id = ? AND t.type = 'Event' AND t.enabled = 1 AND t.topic = ?"
	             " AND f.deleted_at IS NULL ORDER BY t.created_at LIMIT ?",
	             DB_ARGS(DB_STR(r->who.tenant), DB_STR(topic), DB_INT(MAX_TARGETS_PER_TOPIC)), &rows) != 0)
		return req_db_fail(r, "event targets");
	*out = json_object_new_object();
	json_object *ids = json_object_new_array();
	jadd_str(*out, "topic", topic);
	json_object_object_add(*out, "requestIds", ids);
	for (size_t i = 0; i < rows->nrows && rc == 0; i++) {
		struct job j = { 0 };
		rc = invoke_load_target(r, db_val(rows, i, 0), db_val(rows, i, 1), db_val(rows, i, 2), &j);
		if (rc == 0) {
			j.payload = strdup(text);
			rc = invoke_async_quiet(r, &j);
		}
		if (rc == 0)
			json_object_array_add(ids, json_object_new_string(j.request_id));
		job_free(&j);
	}
	db_rows_free(rows);
	if (rc != 0) {
		/* What was queued before the failure runs: the error says so, so that a retry can leave it out. */
		if (json_object_array_length(ids) > 0)
			tf_help(&r->err, "%zu invocations of topic %.128s were queued before this failure and will run: %.300s",
			        json_object_array_length(ids), topic, json_object_to_json_string(ids));
		json_object_put(*out);
		*out = NULL;
	}
	return rc;
}

/* POST /api/v1/events — Events (beyond the reference): {topic, payload} or {events: [up to 10]} */
int platform_events_publish(struct req *r)
{
	json_object *body = NULL, *answers = NULL;
	int rc = -1;

	/* Counted before anything is queued (the invoke class's count is otherwise left to an admission). */
	if (ratelimit_settle(r) != 0 || req_json(r, &body) != 0)
		goto out;
	json_object *batch = jget(body, "events");
	if (batch == NULL) {
		if (validate(body, event_fields, TF_ARRAY_LEN(event_fields), &r->err) != 0)
			goto out;
	} else if (validate(body, batch_fields, TF_ARRAY_LEN(batch_fields), &r->err) != 0) {
		goto out;
	} else if (!json_object_is_type(batch, json_type_array) || json_object_array_length(batch) == 0 ||
	           json_object_array_length(batch) > MAX_EVENTS_PER_REQUEST) {
		tf_detail(&r->err, "events", "must be an array of 1-%d events", MAX_EVENTS_PER_REQUEST);
		tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
		goto out;
	} else {
		for (size_t i = 0; i < json_object_array_length(batch); i++)
			check_event(r, json_object_array_get_idx(batch, i), i);
		if (r->err.details) {
			tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
			goto out;
		}
	}
	/* Every event is checked before the first is queued: a bad batch queues nothing. */
	if (batch == NULL) {
		if (fan_out(r, body, &answers) == 0)
			rc = req_reply(r, 202, answers);
		goto out;
	}
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < json_object_array_length(batch); i++) {
		json_object *one = NULL;
		if (fan_out(r, json_object_array_get_idx(batch, i), &one) != 0) {
			json_object_put(list);
			goto out;
		}
		json_object_array_add(list, one);
	}
	answers = json_object_new_object();
	json_object_object_add(answers, "events", list);
	rc = req_reply(r, 202, answers);
out:
	json_object_put(body);
	return rc;
}
