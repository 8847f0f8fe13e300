#include <string.h>

#include "code.h"
#include "codezip.h"
#include "handler.h"
#include "sha256.h"

int code_blob_put(struct req *r, const char *sha, const void *zip, size_t len)
{
	if (db_exec(r->conn->db,
	            "INSERT IGNORE INTO code_blobs (sha256, size, bytes, created_at) VALUES (?, ?, ?, NOW(3))",
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
