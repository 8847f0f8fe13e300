/*
 * Webhooks: POST /hooks/{token} delivers to a Webhook trigger. The token is
 * unguessable, but only a signature proves the sender has the trigger's secret:
 * X-TF-Signature: sha256=<hex HMAC-SHA256 of the raw body>, with X-TF-Timestamp
 * (Unix seconds) within five minutes of now. A signature is taken once: it is
 * remembered for a day, so a captured delivery replayed with a fresh timestamp
 * is refused. A sender that can sign "<timestamp>.<raw body>" instead binds the
 * timestamp into the signature, and then no replay is possible at all; both are
 * accepted. An accepted delivery is an asynchronous invocation, answered 202.
 */
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "apigw.h"
#include "handlers.h"
#include "invoke.h"
#include "jsonx.h"
#include "num.h"
#include "timefmt.h"
#include "xalloc.h"

#define HOOK_WINDOW_S 300                  /* a delivery's timestamp is within five minutes of now */
#define HOOK_SIGNATURE_PREFIX "sha256="
#define HOOK_BODY_REPLAY_S 86400           /* a body-only signature is remembered this long */
#define TF_KEY_HOOK_SEEN_FMT "tf:hook:%s:%s"  /* trigger, signature: a delivery already taken */

struct hook {
	char trigger_id[48], tenant[65], fn_id[32], fn_name[65], target[65], secret[128];
};

static int find_hook(struct req *r, const char *token, struct hook *h)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT t.id, t.tenant_id, f.id, f.name, t.target, t.hook_secret FROM triggers t"
	             " JOIN functions f ON f.id = t.function_id WHERE t.hook_token = ? AND t.type = 'Webhook'"
	             " AND t.enabled = 1 AND f.deleted_at IS NULL",
	             DB_ARGS(DB_STR(token)), &rows) != 0)
		return req_db_fail(r, "webhook lookup");
	bool found = rows->nrows == 1 && db_val(rows, 0, 5);
	if (found) {
		snprintf(h->trigger_id, sizeof(h->trigger_id), "%s", db_val(rows, 0, 0));
		snprintf(h->tenant, sizeof(h->tenant), "%s", db_val(rows, 0, 1));
		snprintf(h->fn_id, sizeof(h->fn_id), "%s", db_val(rows, 0, 2));
		snprintf(h->fn_name, sizeof(h->fn_name), "%s", db_val(rows, 0, 3));
		snprintf(h->target, sizeof(h->target), "%s", db_val(rows, 0, 4) ? db_val(rows, 0, 4) : "");
		snprintf(h->secret, sizeof(h->secret), "%s", db_val(rows, 0, 5));
	}
	db_rows_free(rows);
	return found ? 0 : tf_fail(&r->err, TF_E_NOT_FOUND, "No such webhook");
}

/* hex HMAC-SHA256 of prefix (may be empty) and the body under the secret */
static void hook_mac(const struct hook *h, const char *prefix, const struct req *r, char hex[2 * EVP_MAX_MD_SIZE + 1])
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	size_t pl = strlen(prefix);
	unsigned char *text = xmalloc(pl + r->body_len + 1);

	memcpy(text, prefix, pl);
	memcpy(text + pl, r->body ? r->body : "", r->body_len);
	HMAC(EVP_sha256(), h->secret, (int)strlen(h->secret), text, pl + r->body_len, mac, &maclen);
	free(text);
	for (unsigned i = 0; i < maclen; i++)
		snprintf(hex + 2 * i, 3, "%02x", mac[i]);
	OPENSSL_cleanse(mac, sizeof(mac));
}

static bool hex_equal(const char *given, const char *want)
{
	size_t n = strlen(want);
	return strlen(given) == n && CRYPTO_memcmp(given, want, n) == 0;
}

/*
 * Whether the delivery carries a fresh timestamp and a signature under the
 * secret (compared in constant time); *remember is how long the signature must
 * then be remembered to refuse its replays.
 */
static int check_signature(struct req *r, const struct hook *h, const char *timestamp, const char *signature,
                           int *remember)
{
	long long ts;
	char hex[2 * EVP_MAX_MD_SIZE + 1], prefix[32];
	size_t pl = strlen(HOOK_SIGNATURE_PREFIX);

	if (timestamp == NULL || signature == NULL)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED,
		               "A delivery must carry X-TF-Timestamp (Unix seconds) and X-TF-Signature: sha256=<hex HMAC-SHA256"
		               " of the raw body under the webhook's secret>");
	int64_t now = now_ms() / 1000;
	if (parse_ll(timestamp, 0, INT32_MAX * 4LL, &ts) != 0 || ts < now - HOOK_WINDOW_S || ts > now + HOOK_WINDOW_S)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "X-TF-Timestamp must be Unix seconds within %d seconds of now",
		               HOOK_WINDOW_S);
	if (strncmp(signature, HOOK_SIGNATURE_PREFIX, pl) != 0)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "X-TF-Signature must be sha256=<hex HMAC-SHA256 of the raw body>");
	hook_mac(h, "", r, hex);
	*remember = HOOK_BODY_REPLAY_S;
	bool ok = hex_equal(signature + pl, hex);
	if (!ok) {
		snprintf(prefix, sizeof(prefix), "%lld.", ts);
		hook_mac(h, prefix, r, hex);
		*remember = 2 * HOOK_WINDOW_S;
		ok = hex_equal(signature + pl, hex);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	return ok ? 0 : tf_fail(&r->err, TF_E_UNAUTHORIZED, "The signature does not match the body under the webhook's secret");
}

/* A delivery is taken once: its signature is remembered (a replay is refused). */
static int check_not_replayed(struct req *r, const struct hook *h, const char *signature, int remember)
{
	char key[256];
	snprintf(key, sizeof(key), TF_KEY_HOOK_SEEN_FMT, h->trigger_id, signature + strlen(HOOK_SIGNATURE_PREFIX));
	redisReply *rep = rds_cmd(r->conn->rds, "SET %s 1 NX EX %d", key, remember);
	if (rep == NULL)
		return req_redis_fail(r, "webhook replay check");
	bool fresh = rep->type == REDIS_REPLY_STATUS;
	freeReplyObject(rep);
	return fresh ? 0 : tf_fail(&r->err, TF_E_UNAUTHORIZED, "This delivery was taken already (a replay)");
}

/* POST /hooks/{token} — a Webhook trigger's deliveries */
int webhook_deliver(struct req *r)
{
	struct hook h;
	struct job j = { 0 };
	json_object *event = NULL;
	int rc = -1;

	if (find_hook(r, r->params[0], &h) != 0)
		return -1;
	const char *signature = req_header(r, "HTTP_X_TF_SIGNATURE");
	int remember = 0;
	if (check_signature(r, &h, req_header(r, "HTTP_X_TF_TIMESTAMP"), signature, &remember) != 0 ||
	    check_not_replayed(r, &h, signature, remember) != 0)
		goto out;
	/* The delivery runs as its tenant's, within the tenant's quota and limits. */
	r->who.authenticated = true;
	snprintf(r->who.tenant, sizeof(r->who.tenant), "%s", h.tenant);
	snprintf(r->who.principal, sizeof(r->who.principal), "%s", h.trigger_id);
	struct db_rows *rows = NULL;
	if (db_query(r->conn->db, "SELECT plan, is_operator FROM tenants WHERE id = ?", DB_ARGS(DB_STR(h.tenant)), &rows) != 0) {
		req_db_fail(r, "webhook tenant");
		goto out;
	}
	snprintf(r->who.plan, sizeof(r->who.plan), "%s", rows->nrows ? db_val(rows, 0, 0) : "free");
	r->who.is_operator = rows->nrows && db_ll(rows, 0, 1, 0) == 1;
	db_rows_free(rows);
	struct apigw_header hdr[2] = { { "content-type", req_header(r, "CONTENT_TYPE") },
	                               { "user-agent", req_header(r, "HTTP_USER_AGENT") } };
	size_t nh = (hdr[0].value ? 1 : 0);
	if (hdr[1].value)
		hdr[nh++] = hdr[1];
	struct apigw_request rq = {
		.method = "POST", .raw_path = r->path, .route_method = "POST", .route_pattern = NULL, .raw_query = r->query,
		.headers = hdr, .nheaders = nh, .source_ip = req_header(r, "REMOTE_ADDR"), .request_id = r->trace_id,
		.time_ms = now_ms(), .account_id = h.tenant, .domain_name = req_header(r, "HTTP_HOST"),
		.body = r->body, .body_len = r->body_len,
	};
	char why[160];
	if (apigw_request_check(&rq, why, sizeof(why)) != 0 || (event = apigw_event(&rq)) == NULL) {
		tf_fail(&r->err, TF_E_VALIDATION, "The delivery cannot be made into an event: %s", why);
		goto out;
	}
	if (invoke_load_target(r, h.fn_id, h.fn_name, h.target[0] ? h.target : NULL, &j) != 0)
		goto out;
	j.payload = xstrdup(json_text(event));
	if (strlen(j.payload) > TF_MAX_PAYLOAD) {
		tf_fail(&r->err, TF_E_TOO_LARGE, "The delivery makes an event over %ld bytes", TF_MAX_PAYLOAD);
		goto out;
	}
	if (invoke_async_quiet(r, &j) != 0)
		goto out;
	json_object *o = json_object_new_object();
	jadd_str(o, "requestId", j.request_id);
	jadd_str(o, "status", "Queued");
	rc = req_reply(r, 202, o);
out:
	OPENSSL_cleanse(h.secret, sizeof(h.secret));
	json_object_put(event);
	job_free(&j);
	return rc;
}
