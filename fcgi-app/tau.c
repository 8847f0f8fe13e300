/* TauFunctions: signup, plan limits, self-service upgrade and API keys. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "cache.h"
#include "handlers.h"
#include "ids.h"
#include "keys.h"
#include "timefmt.h"
#include "jsonx.h"
#include "tenant.h"
#include "validate.h"

#define TAU_PATH "/saas/api/v1/sdk/tau"

static int check_tenant_id(const char *s, char *why, size_t whysz)
{
	size_t n = strlen(s);
	bool ok = n >= 3 && n <= 63 && isalnum((unsigned char)s[0]) && isalnum((unsigned char)s[n - 1]);
	for (const char *p = s; ok && *p; p++)
		ok = islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-';
	if (!ok)
		snprintf(why, whysz, "must be 3-63 lowercase letters, digits or '-', starting and ending with a letter or digit");
	return ok ? 0 : -1;
}

/* A tenant id the platform keeps for itself is no signup's to take. */
static int check_signup_tenant_id(const char *s, char *why, size_t whysz)
{
	if (check_tenant_id(s, why, whysz) != 0)
		return -1;
	if (strcmp(s, TF_OPERATOR_TENANT) != 0)
		return 0;
	snprintf(why, whysz, "is reserved for the platform's operator");
	return -1;
}

static const struct vfield signup_fields[] = {
	{ .name = "tenantId", .type = V_STRING, .required = true, .min = 3, .max = 63,
	  .check = check_signup_tenant_id,
	  .message = "must be 3-63 lowercase letters, digits or '-', starting and ending with a letter or digit" },
	{ .name = "agent", .type = V_STRING, .min = 1, .max = 128 },
};
VTABLE(signup_body, signup_fields, "{\"tenantId\": \"acme-team\"}");

/* POST /api/signup — Signup (Public) */
int tau_signup(struct req *r)
{
	json_object *body = NULL, *out = NULL;
	char key[96], key_id[21], base[256];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, signup_fields, TF_ARRAY_LEN(signup_fields), &r->err) != 0)
		goto out;
	const char *tenant = jstr(body, "tenantId"), *agent = jstr(body, "agent");
	struct db *db = r->conn->db;
	if (db_begin(db) != 0) {
		req_db_fail(r, "signup begin");
		goto out;
	}
	if (db_exec(db, "INSERT INTO tenants (id, plan, agent, created_at) VALUES (?, 'free', ?, NOW(3))",
	            DB_ARGS(DB_STR(tenant), DB_STR(agent)), NULL) != 0) {
		if (db_is_duplicate(db)) {
			tf_detail(&r->err, "tenantId", "is already taken");
			tf_fail(&r->err, TF_E_CONFLICT, "Tenant %s already exists", tenant);
		} else {
			req_db_fail(r, "signup insert");
		}
		db_rollback(db);
		goto out;
	}
	if (api_key_create(r, tenant, "free", key, sizeof(key), key_id) != 0) {
		db_rollback(db);
		goto out;
	}
	if (db_commit(db) != 0) {
		req_db_fail(r, "signup commit");
		goto out;
	}
	req_base_url(r, base, sizeof(base));
	char url[512];
	out = json_object_new_object();
	jadd_str(out, "apiKey", key);
	jadd_str(out, "tenantId", tenant);
	jadd_str(out, "plan", "free");
	json_object_object_add(out, "limits", plan_limits_json(plan_find("free")));
	json_object *ep = json_object_new_object();
	snprintf(url, sizeof(url), "%s" TAU_PATH "/functions", base);
	jadd_str(ep, "functions", url);
	snprintf(url, sizeof(url), "%s" TAU_PATH "/runtimes", base);
	jadd_str(ep, "runtimes", url);
	json_object_object_add(out, "endpoints", ep);
	rc = req_reply(r, 201, out);
out:
	json_object_put(body);
	return rc;
}

/* GET /api/signup/limits — Signup (Public) */
int tau_signup_limits(struct req *r)
{
	json_object *out = json_object_new_object();
	json_object_object_add(out, "free", plan_limits_json(plan_find("free")));
	json_object_object_add(out, "pro", plan_limits_json(plan_find("pro")));
	return req_reply(r, 200, out);
}

/* POST /api/billing/upgrade — Free Plan Limits ("Upgrade") */
int tau_billing_upgrade(struct req *r)
{
	if (!r->app->self_service_upgrade)
		return tf_fail(&r->err, TF_E_FORBIDDEN,
		               "Self-service upgrade is disabled on this server; contact support");
	if (db_exec(r->conn->db, "UPDATE tenants SET plan = 'pro' WHERE id = ?",
	            DB_ARGS(DB_STR(r->who.tenant)), NULL) != 0)
		return req_db_fail(r, "upgrade");
	cache_drop_tenant(r, r->who.tenant);
	json_object *out = json_object_new_object();
	jadd_str(out, "tenantId", r->who.tenant);
	jadd_str(out, "plan", "pro");
	jadd_str(out, "previousPlan", r->who.plan);
	json_object_object_add(out, "limits", plan_limits_json(plan_find("pro")));
	return req_reply(r, 200, out);
}

/* POST /api/keys — API keys (beyond the reference: the plan counts them, so they can be made) */
int tau_keys_create(struct req *r)
{
	const struct plan_limits *limits;
	struct db *db = r->conn->db;
	char key[96], key_id[21];
	json_object *body = NULL;
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, NULL, 0, &r->err) != 0)
		goto out;
	if (db_begin(db) != 0) {
		req_db_fail(r, "key begin");
		goto out;
	}
	if (tenant_has_room(r, PLAN_API_KEYS, &limits) != 0)
		goto rollback;
	const char *plan = limits ? limits->name : "pro";
	if (api_key_create(r, r->who.tenant, plan, key, sizeof(key), key_id) != 0)
		goto rollback;
	if (db_commit(db) != 0) {
		req_db_fail(r, "key commit");
		goto out;
	}
	json_object *o = json_object_new_object();
	jadd_str(o, "id", key_id);
	jadd_str(o, "apiKey", key);
	key[12] = '\0';
	jadd_str(o, "prefix", key);
	rc = req_reply(r, 201, o);
	goto out;
rollback:
	db_rollback(db);
out:
	json_object_put(body);
	return rc;
}

/* GET /api/keys */
int tau_keys_list(struct req *r)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT id, prefix, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ'),"
	             " DATE_FORMAT(last_used_at, '%Y-%m-%dT%H:%i:%sZ')"
	             " FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL ORDER BY created_at",
	             DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "key list");
	json_object *keys = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *k = json_object_new_object();
		jadd_str(k, "id", db_val(rows, i, 0));
		jadd_str(k, "prefix", db_val(rows, i, 1));
		jadd_str(k, "createdAt", db_val(rows, i, 2));
		jadd_str(k, "lastUsedAt", db_val(rows, i, 3));
		jadd_bool(k, "current", strcmp(db_val(rows, i, 0), r->who.key_id) == 0);
		json_object_array_add(keys, k);
	}
	db_rows_free(rows);
	json_object *out = json_object_new_object();
	json_object_object_add(out, "keys", keys);
	return req_reply(r, 200, out);
}

/* DELETE /api/keys/{id} */
int tau_keys_delete(struct req *r)
{
	uint64_t n = 0;

	if (db_exec(r->conn->db,
	            "UPDATE api_keys SET revoked_at = NOW(3) WHERE id = ? AND tenant_id = ? AND revoked_at IS NULL",
	            DB_ARGS(DB_STR(r->params[0]), DB_STR(r->who.tenant)), &n) != 0)
		return req_db_fail(r, "key revoke");
	if (n == 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "API key %s not found", r->params[0]);
	cache_drop_tenant(r, r->who.tenant);
	json_object *out = json_object_new_object();
	jadd_bool(out, "deleted", true);
	jadd_str(out, "id", r->params[0]);
	return req_reply(r, 200, out);
}

/* Today's invocations so far, from the daily counter the invoke path keeps. */
static long long invocations_today(struct req *r)
{
	char key[128], day[16];

	utc_day(now_ms(), day, sizeof(day));
	snprintf(key, sizeof(key), TF_KEY_QUOTA_FMT, r->who.tenant, day);
	redisReply *rep = rds_cmd(r->conn->rds, "GET %s", key);
	long long n = rds_int(rep, 0);
	freeReplyObject(rep);
	return n;
}

/* GET /api/account — the caller's tenant, plan and usage (beyond the reference) */
int tau_account_get(struct req *r)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT t.id, t.plan, t.agent, DATE_FORMAT(t.created_at, '%Y-%m-%dT%H:%i:%sZ'),"
	             " (SELECT COUNT(*) FROM functions f WHERE f.tenant_id = t.id AND f.deleted_at IS NULL),"
	             " (SELECT COUNT(*) FROM api_keys k WHERE k.tenant_id = t.id AND k.revoked_at IS NULL)"
	             " FROM tenants t WHERE t.id = ?",
	             DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "account");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_NOT_FOUND, "Tenant not found");
	}
	const struct plan_limits *limits = tenant_limits(r);
	json_object *o = json_object_new_object();
	jadd_str(o, "tenantId", db_val(rows, 0, 0));
	jadd_str(o, "plan", db_val(rows, 0, 1));
	jadd_str(o, "agent", db_val(rows, 0, 2));
	jadd_str(o, "createdAt", db_val(rows, 0, 3));
	json_object_object_add(o, "limits", limits ? plan_limits_json(limits) : NULL);
	json_object *usage = json_object_new_object();
	jadd_int(usage, "functions", db_ll(rows, 0, 4, 0));
	jadd_int(usage, "invocationsToday", invocations_today(r));
	jadd_int(usage, "apiKeys", db_ll(rows, 0, 5, 0));
	json_object_object_add(o, "usage", usage);
	db_rows_free(rows);
	return req_reply(r, 200, o);
}
