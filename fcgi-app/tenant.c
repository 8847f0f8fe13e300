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
