/*
 * Triggers as stored, and the checks every new one passes: its type's config
 * (validation as data, one table per type), its target, the function's trigger
 * limit, and, for an HTTP route, that no other trigger of the tenant serves it.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "aliases.h"
#include "ids.h"
#include "jsonx.h"
#include "num.h"
#include "schedule.h"
#include "httproute.h"
#include "triggers.h"
#include "validate.h"

static int check_method(const char *s, char *why, size_t whysz)
{
	static const char *const methods[] = { "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "ANY" };
	for (size_t i = 0; i < TF_ARRAY_LEN(methods); i++)
		if (strcmp(s, methods[i]) == 0)
			return 0;
	snprintf(why, whysz, "must be GET, POST, PUT, PATCH, DELETE, HEAD, OPTIONS or ANY");
	return -1;
}

static int check_http_path(const char *s, char *why, size_t whysz)
{
	return route_pattern_check(s, why, whysz);
}

static int check_auth_type(const char *s, char *why, size_t whysz)
{
	if (strcmp(s, "NONE") == 0 || strcmp(s, "API_KEY") == 0)
		return 0;
	snprintf(why, whysz, "must be NONE (public) or API_KEY (a TauFunctions API key of the tenant)");
	return -1;
}

static int check_schedule(const char *s, char *why, size_t whysz)
{
	struct schedule sched;
	return schedule_parse(s, schedule_dialect_of(s), &sched, why, whysz);
}

static int check_timezone(const char *s, char *why, size_t whysz)
{
	if (schedule_zone_ok(s))
		return 0;
	snprintf(why, whysz, "must be an IANA time zone such as UTC, America/New_York or Europe/Berlin");
	return -1;
}

static int check_topic(const char *s, char *why, size_t whysz)
{
	bool ok = isalnum((unsigned char)s[0]);
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("._-/:", *p) != NULL;
	if (!ok)
		snprintf(why, whysz, "must be 1-128 letters, digits or ._-/: starting with a letter or digit");
	return ok ? 0 : -1;
}

static const struct vfield http_fields[] = {
	{ .name = "httpPath", .type = V_STRING, .required = true, .min = 1, .max = 512, .check = check_http_path },
	{ .name = "httpMethods", .type = V_STRARRAY, .min = 1, .max = 8, .check = check_method },
	{ .name = "corsEnabled", .type = V_BOOL },
	{ .name = "authType", .type = V_STRING, .min = 1, .max = 16, .check = check_auth_type },
};
static const struct vfield scheduled_fields[] = {
	{ .name = "scheduleExpression", .type = V_STRING, .required = true, .min = 1, .max = 256, .check = check_schedule },
	{ .name = "timezone", .type = V_STRING, .min = 1, .max = 64, .check = check_timezone },
};
static const struct vfield event_fields[] = {
	{ .name = "topic", .type = V_STRING, .required = true, .min = 1, .max = 128, .check = check_topic },
};

static const struct {
	const char *name, *tau_name;
	const struct vfield *fields;
	size_t nfields;
} types[TRIG__MAX] = {
	[TRIG_HTTP] = { "Http", "http", http_fields, TF_ARRAY_LEN(http_fields) },
	[TRIG_SCHEDULED] = { "Scheduled", "cron", scheduled_fields, TF_ARRAY_LEN(scheduled_fields) },
	[TRIG_EVENT] = { "Event", "event", event_fields, TF_ARRAY_LEN(event_fields) },
	[TRIG_WEBHOOK] = { "Webhook", "webhook", NULL, 0 },
	[TRIG_MANUAL] = { "Manual", "manual", NULL, 0 },
};

int trigger_type_parse(const char *s, enum trigger_type *out)
{
	for (int t = 0; s && t < TRIG__MAX; t++) {
		if (strcmp(s, types[t].name) == 0 || strcmp(s, types[t].tau_name) == 0) {
			*out = (enum trigger_type)t;
			return 0;
		}
	}
	return -1;
}

const char *trigger_type_name(enum trigger_type t)
{
	return t >= 0 && t < TRIG__MAX ? types[t].name : "Manual";
}

/* Validates config against the type's table, naming fields "config.<field>". */
static int check_config(struct req *r, enum trigger_type t, json_object *config)
{
	struct tf_error inner = { 0 };

	if (!json_object_is_type(config, json_type_object)) {
		tf_detail(&r->err, "config", "must be an object");
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	}
	if (validate(config, types[t].fields, types[t].nfields, &inner) == 0)
		return 0;
	tf_details_merge(&r->err, &inner, "config");
	tf_error_reset(&inner);
	return tf_fail(&r->err, TF_E_VALIDATION, "Invalid %s trigger configuration", types[t].name);
}

/* The version or alias a trigger runs must exist now (it may be changed or removed later: then it answers an error). */
static int check_target(struct req *r, const struct fn *f, json_object *target)
{
	long long v = 0;
	struct db_rows *rows = NULL;

	if (target == NULL)
		return 0;
	bool number = json_object_is_type(target, json_type_int) ||
	              (json_object_is_type(target, json_type_string) &&
	               parse_ll(json_object_get_string(target), 1, INT32_MAX, &v) == 0);
	if (json_object_is_type(target, json_type_int))
		v = json_object_get_int64(target);
	if (!number && !json_object_is_type(target, json_type_string)) {
		tf_detail(&r->err, "targetVersion", "must be a version number or an alias name");
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	}
	const char *sql = number ? "SELECT 1 FROM versions WHERE function_id = ? AND number = ?"
	                         : "SELECT 1 FROM aliases WHERE function_id = ? AND name = ?";
	int rc = number ? db_query(r->conn->db, sql, DB_ARGS(DB_STR(f->id), DB_INT(v)), &rows)
	                : db_query(r->conn->db, sql, DB_ARGS(DB_STR(f->id), DB_STR(json_object_get_string(target))), &rows);
	if (rc != 0)
		return req_db_fail(r, "trigger target");
	bool exists = rows->nrows > 0;
	db_rows_free(rows);
	if (exists)
		return 0;
	if (number)
		tf_detail(&r->err, "targetVersion", "version %lld of %s does not exist", v, f->name);
	else
		tf_detail(&r->err, "targetVersion", "%s has no alias %.64s", f->name, json_object_get_string(target));
	return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
}

static bool methods_overlap(json_object *a, json_object *b)
{
	size_t na = a ? json_object_array_length(a) : 0, nb = b ? json_object_array_length(b) : 0;
	if (na == 0 || nb == 0)
		return true;  /* no methods listed: any */
	for (size_t i = 0; i < na; i++) {
		const char *x = json_object_get_string(json_object_array_get_idx(a, i));
		for (size_t k = 0; k < nb; k++) {
			const char *y = json_object_get_string(json_object_array_get_idx(b, k));
			if (strcmp(x, "ANY") == 0 || strcmp(y, "ANY") == 0 || strcmp(x, y) == 0)
				return true;
		}
	}
	return false;
}

/* No other Http trigger of the tenant may serve a request this one would: that is 409. */
static int check_route_free(struct req *r, json_object *config)
{
	struct db_rows *rows = NULL;
	const char *path = jstr(config, "httpPath");

	if (db_query(r->conn->db,
	             "SELECT t.id, t.http_path, t.config FROM triggers t JOIN functions f ON f.id = t.function_id"
	             " WHERE t.tenant_id = ? AND t.type = 'Http' AND f.deleted_at IS NULL",
	             DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "trigger routes");
	int rc = 0;
	for (size_t i = 0; i < rows->nrows && rc == 0; i++) {
		char why[64];
		const char *other = db_val(rows, i, 1), *text = db_val(rows, i, 2);
		json_object *oc = text ? json_parse_text(text, strlen(text), why, sizeof(why)) : NULL;
		if (other && route_patterns_overlap(path, other) && methods_overlap(jget(config, "httpMethods"), jget(oc, "httpMethods"))) {
			tf_detail(&r->err, "config.httpPath", "%s is served by trigger %s already", other, db_val(rows, i, 0));
			rc = tf_fail(&r->err, TF_E_CONFLICT, "The route %s collides with trigger %s", path, db_val(rows, i, 0));
		}
		json_object_put(oc);
	}
	db_rows_free(rows);
	return rc;
}

static int check_room(struct req *r, const struct fn *f)
{
	struct db_rows *rows = NULL;
	long long max = config_int(r->app->cfg, "triggers", "max_per_function", TF_DEFAULT_TRIGGERS_PER_FUNCTION, 1, 1000);

	if (db_query(r->conn->db, "SELECT COUNT(*) FROM triggers WHERE function_id = ?", DB_ARGS(DB_STR(f->id)), &rows) != 0)
		return req_db_fail(r, "trigger count");
	long long have = db_ll(rows, 0, 0, 0);
	db_rows_free(rows);
	if (have < max)
		return 0;
	tf_detail(&r->err, "type", "%s has %lld triggers, the most a function may have; delete one first", f->name, have);
	return tf_fail(&r->err, TF_E_VALIDATION, "A function may have at most %lld triggers", max);
}

int trigger_add(struct req *r, const struct fn *f, const struct trigger_spec *sp, char id[TF_TRIGGER_ID_LEN + 1],
                char *secret, size_t secretsz)
{
	char token[TF_HOOK_TOKEN_LEN + 1] = "", target[64] = "";
	json_object *config = sp->config;

	if (check_config(r, sp->type, config) != 0 || check_target(r, f, sp->target) != 0 || check_room(r, f) != 0 ||
	    (sp->type == TRIG_HTTP && check_route_free(r, config) != 0))
		return -1;
	if (sp->target)
		snprintf(target, sizeof(target), "%s", json_object_get_string(sp->target));
	random_id(id, TF_TRIGGER_ID_LEN + 1, "trigger-", TF_TRIGGER_ID_LEN - 8);
	if (sp->type == TRIG_WEBHOOK) {
		random_token(token, sizeof(token), "", TF_HOOK_TOKEN_LEN);
		random_token(secret, secretsz, "whsec_", TF_HOOK_SECRET_LEN);
	}
	if (db_exec(r->conn->db,
	            "INSERT INTO triggers (id, tenant_id, function_id, type, target, enabled, config, http_path, topic,"
	            " hook_token, hook_secret, origin, created_by, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(r->who.tenant), DB_STR(f->id), DB_STR(types[sp->type].name),
	                    DB_STR(target[0] ? target : NULL), DB_STR(json_text(config)), DB_STR(jstr(config, "httpPath")),
	                    DB_STR(jstr(config, "topic")), DB_STR(token[0] ? token : NULL),
	                    DB_STR(sp->type == TRIG_WEBHOOK ? secret : NULL), DB_STR(sp->tau ? "tau" : "api"),
	                    DB_STR(r->who.principal)), NULL) != 0)
		return req_db_fail(r, "trigger insert");
	return 0;
}

int trigger_remove_tau(struct req *r, const struct fn *f)
{
	if (db_exec(r->conn->db, "DELETE FROM triggers WHERE function_id = ? AND origin = 'tau'",
	            DB_ARGS(DB_STR(f->id)), NULL) != 0)
		return req_db_fail(r, "trigger replace");
	return 0;
}

#define TRIGGER_COLUMNS                                                                                   \
	"SELECT id, type, target, enabled, config, http_path, hook_token,"                                    \
	" DATE_FORMAT(NULLIF(next_fire_at, '" SCHED_NEVER_SQL "'), '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(last_fired_at, '%Y-%m-%dT%H:%i:%sZ'),"   \
	" DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'), DATE_FORMAT(updated_at, '%Y-%m-%dT%H:%i:%sZ')"       \
	" FROM triggers"

/* A trigger's target as the client gave it: a number stays a number. */
static void add_target(json_object *o, const char *target)
{
	long long v;
	if (target == NULL)
		json_object_object_add(o, "targetVersion", NULL);
	else if (parse_ll(target, 1, INT32_MAX, &v) == 0)
		jadd_int(o, "targetVersion", v);
	else
		jadd_str(o, "targetVersion", target);
}

static json_object *trigger_json(struct req *r, const struct fn *f, const struct db_rows *rows, size_t i)
{
	json_object *o = json_object_new_object();
	char base[512], url[1200];
	enum trigger_type t = TRIG_MANUAL;

	trigger_type_parse(db_val(rows, i, 1), &t);
	req_base_url(r, base, sizeof(base));
	jadd_str(o, "triggerId", db_val(rows, i, 0));
	jadd_str(o, "functionName", f->name);
	jadd_str(o, "type", types[t].name);
	jadd_bool(o, "isEnabled", db_ll(rows, i, 3, 0) == 1);
	add_target(o, db_val(rows, i, 2));
	jadd_raw(o, "config", db_val(rows, i, 4));
	if (t == TRIG_HTTP && snprintf(url, sizeof(url), "%s/fn/%s%s", base, f->tenant, db_val(rows, i, 5)) > 0)
		jadd_str(o, "url", url);
	if (t == TRIG_WEBHOOK && snprintf(url, sizeof(url), "%s/hooks/%s", base, db_val(rows, i, 6)) > 0)
		jadd_str(o, "url", url);
	if (t == TRIG_SCHEDULED) {
		jadd_str(o, "nextFireAt", db_val(rows, i, 7));
		jadd_str(o, "lastFiredAt", db_val(rows, i, 8));
	}
	jadd_str(o, "createdAt", db_val(rows, i, 9));
	jadd_str(o, "updatedAt", db_val(rows, i, 10));
	return o;
}

int trigger_reply(struct req *r, int status, const struct fn *f, const char *id, const char *secret)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, TRIGGER_COLUMNS " WHERE id = ? AND function_id = ?",
	             DB_ARGS(DB_STR(id), DB_STR(f->id)), &rows) != 0)
		return req_db_fail(r, "trigger read");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Trigger %s of %s not found", id, f->name);
	}
	json_object *o = trigger_json(r, f, rows, 0);
	if (secret && secret[0])
		jadd_str(o, "secret", secret);  /* shown this once; kept only to check signatures */
	db_rows_free(rows);
	return req_reply(r, status, o);
}

int trigger_list_json(struct req *r, const struct fn *f, json_object **out)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, TRIGGER_COLUMNS " WHERE function_id = ? ORDER BY created_at, id",
	             DB_ARGS(DB_STR(f->id)), &rows) != 0)
		return req_db_fail(r, "trigger list");
	*out = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++)
		json_object_array_add(*out, trigger_json(r, f, rows, i));
	db_rows_free(rows);
	return 0;
}
