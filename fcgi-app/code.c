#include <string.h>

#include "code.h"
#include "codezip.h"
#include "handler.h"
#include "sha256.h"
#include "tenant.h"

/*
 * What the tenant stores in code packages, in bytes: each package its live
 * functions' drafts or versions reference, once, and this one if it is not among
 * them. A deleted function's packages stop counting at once, though they stay
 * until it is purged.
 */
static int stored_with(struct req *r, const char *sha, size_t len, long long *bytes)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT COALESCE(SUM(b.size), 0), COALESCE(SUM(b.sha256 = ?), 0) FROM code_blobs b WHERE b.sha256 IN"
	             " (SELECT v.code_sha256 FROM versions v JOIN functions f ON f.id = v.function_id"
	             "  WHERE f.tenant_id = ? AND f.deleted_at IS NULL"
	             "  UNION SELECT code_sha256 FROM functions WHERE tenant_id = ? AND deleted_at IS NULL AND code_sha256 IS NOT NULL)",
	             DB_ARGS(DB_STR(sha), DB_STR(r->who.tenant), DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "stored code");
	*bytes = db_ll(rows, 0, 0, 0) + (db_ll(rows, 0, 1, 0) > 0 ? 0 : (long long)len);
	db_rows_free(rows);
	return 0;
}

int code_blob_put(struct req *r, const char *sha, const void *zip, size_t len)
{
	const struct plan_limits *limits;
	long long bytes = 0;

	/* The tenant's row is locked: two uploads of one tenant cannot both take the last room. */
	if (tenant_lock(r, &limits) != 0 || (limits && stored_with(r, sha, len, &bytes) != 0))
		return -1;
	if (limits && bytes > limits->code_bytes)
		return tf_fail(&r->err, TF_E_PLAN_LIMIT,
		               "The %s plan allows %lld MB of stored code and this package would make it %lld MB; delete"
		               " versions or functions you no longer need, or upgrade with POST /api/billing/upgrade",
		               limits->name, limits->code_bytes / TF_MIB, (bytes + TF_MIB - 1) / TF_MIB);
	/* Stored again, a package is touched: the collector leaves it alone for its grace period. */
	if (db_exec(r->conn->db,
	            "INSERT INTO code_blobs (sha256, size, bytes, created_at, touched_at) VALUES (?, ?, ?, NOW(3), NOW(3))"
	            " ON DUPLICATE KEY UPDATE touched_at = NOW(3)",
	            DB_ARGS(DB_STR(sha), DB_INT((long long)len), DB_BLOB(zip, len)), NULL) != 0)
		return req_db_fail(r, "code store");
	return 0;
}

int code_store_inline(struct req *r, const char *handler, enum tf_language lang,
                      const char *code, char sha_out[65])
{
	char file[TF_MAX_HANDLER + 8];
	struct buf zip = BUF_INIT;
	int rc = -1;

	if (handler_inline_file(handler, lang, code, file, sizeof(file)) != 0) {
		tf_detail(&r->err, "handler", "does not name a file");
		return tf_fail(&r->err, TF_E_VALIDATION, "Request validation failed");
	}
	if (codezip_single(file, code, strlen(code), &zip) != 0) {
		tf_fail(&r->err, TF_E_INTERNAL, "Cannot package the code (trace %s)", r->trace_id);
		goto out;
	}
	/* The rule uploads keep (docs/code-packages.md) holds for inline code too: a runner unpacks nothing else. */
	if (codezip_check(zip.data, zip.len, NULL, &r->err) != 0) {
		tf_detail(&r->err, "code", "%s", r->err.message);
		goto out;
	}
	sha256_hex(zip.data, zip.len, sha_out);
	rc = code_blob_put(r, sha_out, zip.data, zip.len);
out:
	buf_free(&zip);
	return rc;
}
