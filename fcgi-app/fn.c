#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deploy.h"
#include "fn.h"
#include "jsonx.h"
#include "xalloc.h"

#define TS(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"
/* One column list for every read of a function; CODE is the only column that varies. */
#define FN_COLUMNS(CODE)                                                                        \
	"SELECT id, tenant_id, name, description, runtime, handler, memory_mb, timeout_s, env,"   \
	" tags, trigger_type, " CODE ", code_sha256, published_version, draft_changed, "           \
	TS("deployed_at") ", owner_id, " TS("created_at") ", " TS("updated_at") ", next_version, max_retries," \
	" max_event_age_s, reserved_concurrency,"                                                    \
	" (SELECT IF(t.type = 'Http', CONCAT('/fn/', t.tenant_id, t.http_path), CONCAT('/hooks/', t.hook_token))" \
	"  FROM triggers t WHERE t.function_id = functions.id AND t.type IN ('Http', 'Webhook')"        \
	"  AND t.enabled = 1 ORDER BY t.type = 'Http' DESC, t.created_at, t.id LIMIT 1),"               \
	TAU_SCHEDULE("scheduleExpression") ", " TAU_SCHEDULE("timezone") ", published_routing"     \
	" FROM functions"
/* A field of the config of the function's TauFunctions cron trigger. */
#define TAU_SCHEDULE(field)                                                                          \
	" (SELECT JSON_VALUE(t.config, '$." field "') FROM triggers t WHERE t.function_id = functions.id" \
	"  AND t.type = 'Scheduled' AND t.origin = 'tau' LIMIT 1)"

static const char SQL_BY_ID[] = FN_COLUMNS("code") " WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL";
static const char SQL_BY_ID_LOCK[] = FN_COLUMNS("code") " WHERE id = ? AND tenant_id = ? AND deleted_at IS NULL FOR UPDATE";
static const char SQL_BY_NAME[] = FN_COLUMNS("code") " WHERE name = ? AND tenant_id = ? AND deleted_at IS NULL";
static const char SQL_BY_NAME_LOCK[] = FN_COLUMNS("code") " WHERE name = ? AND tenant_id = ? AND deleted_at IS NULL FOR UPDATE";
static const char SQL_LIST[] = FN_COLUMNS("NULL") " WHERE tenant_id = ? AND deleted_at IS NULL ORDER BY seq";

static void copy(char *dst, size_t n, const char *s)
{
	snprintf(dst, n, "%s", s ? s : "");
}

static char *dup_or(const char *s, const char *def)
{
	return s ? xstrdup(s) : def ? xstrdup(def) : NULL;
}

/* The public URL of the function's first enabled HTTP route, else of its webhook, when it has one. */
static void set_url(struct req *r, struct fn *f, const char *path)
{
	char base[512];

	f->url[0] = '\0';
	if (path == NULL)
		return;
	req_base_url(r, base, sizeof(base));
	snprintf(f->url, sizeof(f->url), "%s%s", base, path);
}

static void fn_from_row(struct req *r, const struct db_rows *rows, size_t i, struct fn *f)
{
	memset(f, 0, sizeof(*f));
	copy(f->id, sizeof(f->id), db_val(rows, i, 0));
	copy(f->tenant, sizeof(f->tenant), db_val(rows, i, 1));
	copy(f->name, sizeof(f->name), db_val(rows, i, 2));
	f->description = dup_or(db_val(rows, i, 3), "");
	copy(f->runtime, sizeof(f->runtime), db_val(rows, i, 4));
	copy(f->handler, sizeof(f->handler), db_val(rows, i, 5));
	f->memory_mb = (int)db_ll(rows, i, 6, 128);
	f->timeout_s = (int)db_ll(rows, i, 7, 3);
	f->env = dup_or(db_val(rows, i, 8), "{}");
	f->tags = dup_or(db_val(rows, i, 9), "{}");
	copy(f->trigger, sizeof(f->trigger), db_val(rows, i, 10));
	f->code = dup_or(db_val(rows, i, 11), NULL);
	copy(f->code_sha256, sizeof(f->code_sha256), db_val(rows, i, 12));
	f->published_version = db_ll(rows, i, 13, 0);
	f->draft_changed = db_ll(rows, i, 14, 0) == 1;
	copy(f->deployed_at, sizeof(f->deployed_at), db_val(rows, i, 15));
	copy(f->owner, sizeof(f->owner), db_val(rows, i, 16));
	copy(f->created_at, sizeof(f->created_at), db_val(rows, i, 17));
	copy(f->updated_at, sizeof(f->updated_at), db_val(rows, i, 18));
	f->next_version = db_ll(rows, i, 19, 1);
	f->max_retries = (int)db_ll(rows, i, 20, 2);
	f->max_event_age_s = (int)db_ll(rows, i, 21, 21600);
	f->reserved_concurrency = (int)db_ll(rows, i, 22, -1);
	set_url(r, f, db_val(rows, i, 23));
	copy(f->schedule, sizeof(f->schedule), db_val(rows, i, 24));
	copy(f->timezone, sizeof(f->timezone), db_val(rows, i, 25));
	copy(f->published_routing, sizeof(f->published_routing), db_val(rows, i, 26));
}

int fn_load(struct req *r, enum fn_lookup by, const char *key, bool for_update, struct fn *f)
{
	struct db_rows *rows = NULL;
	const char *sql = by == FN_BY_ID ? (for_update ? SQL_BY_ID_LOCK : SQL_BY_ID)
	                                 : (for_update ? SQL_BY_NAME_LOCK : SQL_BY_NAME);

	memset(f, 0, sizeof(*f));
	if (db_query(r->conn->db, sql, DB_ARGS(DB_STR(key), DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "function lookup");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Function %s not found", key);
	}
	fn_from_row(r, rows, 0, f);
	db_rows_free(rows);
	return 0;
}

void fn_free(struct fn *f)
{
	free(f->description);
	free(f->env);
	free(f->tags);
	free(f->code);
	memset(f, 0, sizeof(*f));
}

const char *fn_tau_status(const struct fn *f)
{
	if (f->published_version == 0)
		return "created";
	return f->draft_changed ? "pending_deploy" : "deployed";
}

json_object *fn_tau_json(const struct fn *f, bool with_code)
{
	json_object *o = json_object_new_object();

	jadd_str(o, "id", f->id);
	jadd_str(o, "name", f->name);
	jadd_str(o, "runtime", f->runtime);
	jadd_str(o, "handler", f->handler);
	jadd_str(o, "description", f->description);
	jadd_str(o, "trigger", f->trigger);
	if (f->url[0])
		jadd_str(o, "url", f->url);
	if (f->schedule[0]) {
		jadd_str(o, "schedule", f->schedule);
		jadd_str(o, "timezone", f->timezone[0] ? f->timezone : "UTC");
	}
	jadd_raw(o, "envVars", f->env);
	jadd_int(o, "timeout", f->timeout_s);
	jadd_int(o, "memoryMB", f->memory_mb);
	jadd_str(o, "status", fn_tau_status(f));
	if (f->published_version)
		jadd_int(o, "deployedVersion", f->published_version);
	else
		json_object_object_add(o, "deployedVersion", NULL);
	jadd_str(o, "deployedAt", f->deployed_at[0] ? f->deployed_at : NULL);
	jadd_str(o, "createdAt", f->created_at);
	jadd_str(o, "updatedAt", f->updated_at);
	if (with_code)
		jadd_str(o, "code", f->code);
	return o;
}

int fn_list_tau(struct req *r, json_object **out)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, SQL_LIST, DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "function list");
	*out = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		struct fn f;
		fn_from_row(r, rows, i, &f);
		json_object_array_add(*out, fn_tau_json(&f, false));
		fn_free(&f);
	}
	db_rows_free(rows);
	return 0;
}

json_object *version_string(long long version)
{
	char v[32];
	if (version <= 0)
		return NULL;
	snprintf(v, sizeof(v), "v%lld", version);
	return json_object_new_string(v);
}

json_object *fn_platform_json(struct req *r, const struct fn *f, bool detail)
{
	const struct runtime_info *rt = runtime_find(f->runtime);
	json_object *o = json_object_new_object();

	jadd_str(o, "id", f->id);
	jadd_str(o, "name", f->name);
	jadd_str(o, "description", f->description);
	jadd_str(o, "runtime", rt ? rt->platform_name : f->runtime);
	jadd_str(o, "handler", f->handler);
	jadd_int(o, "memorySize", f->memory_mb);
	jadd_int(o, "timeout", f->timeout_s);
	json_object_object_add(o, "publishedVersion", version_string(f->published_version));
	jadd_str(o, "ownerId", f->owner[0] ? f->owner : NULL);
	if (detail) {
		struct db_rows *rows = NULL;
		jadd_raw(o, "environment", f->env);
		jadd_raw(o, "tags", f->tags);
		jadd_int(o, "maxRetries", f->max_retries);
		jadd_int(o, "maxEventAgeSeconds", f->max_event_age_s);
		if (f->reserved_concurrency >= 0)
			jadd_int(o, "reservedConcurrency", f->reserved_concurrency);
		else
			json_object_object_add(o, "reservedConcurrency", NULL);
		if (db_query(r->conn->db,
		             "SELECT invocations, DATE_FORMAT(last_invoked_at, '%Y-%m-%dT%H:%i:%sZ')"
		             " FROM function_stats WHERE function_id = ?",
		             DB_ARGS(DB_STR(f->id)), &rows) == 0) {
			jadd_int(o, "totalInvocations", db_ll(rows, 0, 0, 0));
			jadd_str(o, "lastInvokedAt", db_val(rows, 0, 1));
		}
		db_rows_free(rows);
	}
	jadd_str(o, "createdAt", f->created_at);
	jadd_str(o, "updatedAt", f->updated_at);
	return o;
}

int fn_by_name(struct req *r, bool for_update, struct fn *f)
{
	return fn_load(r, FN_BY_NAME, r->params[0], for_update, f);
}

int fn_page(struct req *r, const char *page_sql, const char *count_sql, const char *what, struct db_rows **rows,
            struct db_rows **count)
{
	long long limit, offset;
	struct fn f;

	*rows = *count = NULL;
	if (page_params(r, &limit, &offset) != 0)
		return tf_fail(&r->err, TF_E_VALIDATION, "Invalid query parameters");
	if (fn_by_name(r, false, &f) != 0)
		return -1;
	int rc = db_query(r->conn->db, page_sql, DB_ARGS(DB_STR(f.id), DB_INT(limit), DB_INT(offset)), rows);
	if (rc == 0)
		rc = db_query(r->conn->db, count_sql, DB_ARGS(DB_STR(f.id)), count);
	fn_free(&f);
	if (rc != 0) {
		db_rows_free(*rows);
		*rows = NULL;
		return req_db_fail(r, what);
	}
	return 0;
}

int fn_page_reply(struct req *r, const char *field, json_object *list, struct db_rows *rows, struct db_rows *count)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "functionName", r->params[0]);
	json_object_object_add(o, field, list);
	jadd_int(o, "total", db_ll(count, 0, 0, 0));
	db_rows_free(rows);
	db_rows_free(count);
	return req_reply(r, 200, o);
}

int fn_check_no_deployment(struct req *r, const struct fn *f)
{
	char running[48];
	int busy = deploy_in_progress(r->conn->db, f->id, running, sizeof(running));
	if (busy < 0)
		return req_db_fail(r, "deployment check");
	if (busy)
		return tf_fail(&r->err, TF_E_CONFLICT, "Function %s has a deployment in progress (%s): wait for it or roll it back",
		               f->name, running);
	return 0;
}
