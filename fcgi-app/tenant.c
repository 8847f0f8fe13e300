#include "tenant.h"

int tenant_lock(struct req *r, const struct plan_limits **limits)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db, "SELECT plan, is_operator FROM tenants WHERE id = ? FOR UPDATE",
	             DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "tenant lock");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Tenant no longer exists");
	}
	*limits = db_ll(rows, 0, 1, 0) == 1 ? NULL : plan_find(db_val(rows, 0, 0));
	if (*limits == NULL && db_ll(rows, 0, 1, 0) != 1)
		*limits = plan_find("free");  /* an unknown plan gets the smallest */
	db_rows_free(rows);
	return 0;
}

const struct plan_limits *tenant_limits(const struct req *r)
{
	if (r->who.is_operator)
		return NULL;
	const struct plan_limits *p = plan_find(r->who.plan);
	return p ? p : plan_find("free");
}

int tenant_has_room(struct req *r, enum plan_item item, const struct plan_limits **limits)
{
	static const char *const count_sql[] = {
		[PLAN_FUNCTIONS] = "SELECT COUNT(*) FROM functions WHERE tenant_id = ? AND deleted_at IS NULL",
		[PLAN_API_KEYS] = "SELECT COUNT(*) FROM api_keys WHERE tenant_id = ? AND revoked_at IS NULL",
	};
	struct db_rows *rows = NULL;

	if (tenant_lock(r, limits) != 0)
		return -1;
	if (*limits == NULL)
		return 0;
	if (db_query(r->conn->db, count_sql[item], DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "plan count");
	long long have = db_ll(rows, 0, 0, 0);
	db_rows_free(rows);
	long long max = item == PLAN_FUNCTIONS ? (*limits)->functions : (*limits)->api_keys;
	if (have < max)
		return 0;
	return tf_fail(&r->err, TF_E_PLAN_LIMIT, "The %s plan allows %lld %s; upgrade with POST /api/billing/upgrade",
	               (*limits)->name, max, item == PLAN_FUNCTIONS ? "functions" : max == 1 ? "API key" : "API keys");
}
