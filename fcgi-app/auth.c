/*
 * Who is calling. TauFunctions API keys ("tf_free_…", "tf_pro_…") are looked
 * up by their SHA-256, the only form in which they are stored; a key acts for
 * its tenant with Admin and Developer rights. Anything else must be a platform
 * token (HS256 JWT) naming a user who still exists and the user's current token
 * version (a password change raises it, revoking every older token); the user's
 * role and tenant are read now, not taken from the token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "api.h"
#include "cache.h"
#include "ids.h"
#include "log.h"
#include "sha256.h"
#include "timefmt.h"
#include "token.h"

#define KEY_PREFIX_SHOWN 12  /* characters of a key shown back to its owner */

void api_key_hash(const char *key, char out[65])
{
	sha256_hex(key, strlen(key), out);
}

/* An identity as cached: its fields, one per line. */
static void identity_to_cache(struct req *r, const char *ckey, uint64_t epoch)
{
	const struct identity *w = &r->who;
	char v[512];
	snprintf(v, sizeof(v), "%s\n%s\n%s\n%d\n%s\n%s\n%s\n%u", w->tenant, w->plan, w->key_id, w->is_operator,
	         w->user_id, w->username, w->principal, w->roles);
	cache_put(ckey, w->tenant, NULL, v, epoch);
}

static bool identity_from_cache(struct req *r, const char *ckey, uint64_t *epoch)
{
	char *v = cache_get(ckey, epoch);
	struct identity *w = &r->who;
	char *fields[8];
	int n = 0;

	if (v == NULL)
		return false;
	for (char *p = v; n < 8; n++) {
		fields[n] = p;
		char *nl = strchr(p, '\n');
		if (nl == NULL) {
			n++;
			break;
		}
		*nl = '\0';
		p = nl + 1;
	}
	bool ok = n == 8;
	if (ok) {
		snprintf(w->tenant, sizeof(w->tenant), "%s", fields[0]);
		snprintf(w->plan, sizeof(w->plan), "%s", fields[1]);
		snprintf(w->key_id, sizeof(w->key_id), "%s", fields[2]);
		w->is_operator = fields[3][0] == '1';
		snprintf(w->user_id, sizeof(w->user_id), "%s", fields[4]);
		snprintf(w->username, sizeof(w->username), "%s", fields[5]);
		snprintf(w->principal, sizeof(w->principal), "%s", fields[6]);
		w->roles = (unsigned)strtoul(fields[7], NULL, 10);
		w->authenticated = true;
	}
	free(v);
	return ok;
}

static bool is_api_key(const char *t)
{
	return strncmp(t, "tf_free_", 8) == 0 || strncmp(t, "tf_pro_", 7) == 0;
}

static int auth_api_key(struct req *r, const char *key)
{
	char hash[65];
	struct db_rows *rows = NULL;

	if (strlen(key) > 128)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid API key");
	api_key_hash(key, hash);
	char ckey[80];
	uint64_t epoch = 0;
	snprintf(ckey, sizeof(ckey), "key:%s", hash);
	if (identity_from_cache(r, ckey, &epoch))
		return 0;
	if (db_query(r->conn->db,
	             "SELECT k.id, k.tenant_id, t.plan, t.is_operator,"
	             " k.last_used_at IS NULL OR k.last_used_at < NOW(3) - INTERVAL 60 SECOND"
	             " FROM api_keys k JOIN tenants t ON t.id = k.tenant_id"
	             " WHERE k.key_hash = ? AND k.revoked_at IS NULL",
	             DB_ARGS(DB_STR(hash)), &rows) != 0)
		return req_db_fail(r, "api key lookup");
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid API key");
	}
	struct identity *w = &r->who;
	w->authenticated = true;
	snprintf(w->key_id, sizeof(w->key_id), "%s", db_val(rows, 0, 0));
	snprintf(w->tenant, sizeof(w->tenant), "%s", db_val(rows, 0, 1));
	snprintf(w->plan, sizeof(w->plan), "%s", db_val(rows, 0, 2));
	w->is_operator = db_ll(rows, 0, 3, 0) == 1;
	snprintf(w->principal, sizeof(w->principal), "%s", w->key_id);
	w->roles = ROLE_ADMIN | ROLE_DEVELOPER;
	bool stale = db_ll(rows, 0, 4, 0) == 1;
	db_rows_free(rows);
	identity_to_cache(r, ckey, epoch);
	/* last_used_at is a hint for people, so it is written at most once a minute. */
	if (stale)
		db_exec(r->conn->db, "UPDATE api_keys SET last_used_at = NOW(3) WHERE id = ?",
		        DB_ARGS(DB_STR(w->key_id)), NULL);
	return 0;
}

static int auth_token(struct req *r, const char *token)
{
	struct token_claims c;
	struct db_rows *rows = NULL;
	unsigned role;

	if (token_verify(r->app->token_key, r->app->token_key_len, token, now_ms() / 1000, &c) != 0)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid or expired token");
	/*
	 * The version is part of the key: a revoked version is never found here, and a
	 * password change drops the user's tenant from every process's cache as well.
	 */
	char ckey[80];
	uint64_t epoch = 0;
	snprintf(ckey, sizeof(ckey), "user:%s:%lld", c.sub, c.ver);
	if (identity_from_cache(r, ckey, &epoch))
		return 0;
	if (db_query(r->conn->db,
	             "SELECT u.id, u.tenant_id, u.role, u.username, t.plan, t.is_operator"
	             " FROM users u JOIN tenants t ON t.id = u.tenant_id"
	             " WHERE u.id = ? AND u.disabled = 0 AND u.token_version = ?",
	             DB_ARGS(DB_STR(c.sub), DB_INT(c.ver)), &rows) != 0)
		return req_db_fail(r, "token user lookup");
	if (rows->nrows == 0 || role_parse(db_val(rows, 0, 2), &role) != 0) {
		db_rows_free(rows);
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid or expired token");
	}
	struct identity *w = &r->who;
	w->authenticated = true;
	snprintf(w->user_id, sizeof(w->user_id), "%s", db_val(rows, 0, 0));
	snprintf(w->tenant, sizeof(w->tenant), "%s", db_val(rows, 0, 1));
	snprintf(w->username, sizeof(w->username), "%s", db_val(rows, 0, 3));
	snprintf(w->plan, sizeof(w->plan), "%s", db_val(rows, 0, 4));
	w->is_operator = db_ll(rows, 0, 5, 0) == 1;
	snprintf(w->principal, sizeof(w->principal), "%s", w->user_id);
	w->roles = role;
	db_rows_free(rows);
	identity_to_cache(r, ckey, epoch);
	return 0;
}

int auth_request(struct req *r)
{
	const char *h = req_header(r, "HTTP_AUTHORIZATION");

	if (h == NULL || *h == '\0') {
		char base[512];
		req_base_url(r, base, sizeof(base));
		tf_help(&r->err, "POST %s/api/signup with {\"tenantId\": \"<name>\"} answers an API key", base);
		return tf_fail(&r->err, TF_E_UNAUTHORIZED,
		               "Missing credentials: send Authorization: Bearer <API key or token>; get an API key with"
		               " POST %s/api/signup", base);
	}
	if (strncasecmp(h, "Bearer ", 7) != 0)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Authorization must be a Bearer token");
	const char *token = h + 7;
	while (*token == ' ')
		token++;
	if (strlen(token) > TF_MAX_TOKEN)
		return tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid credentials");
	if (is_api_key(token))
		return auth_api_key(r, token);
	return auth_token(r, token);
}

int api_key_create(struct req *r, const char *tenant, const char *plan, char *key_out,
                   size_t keysz, char id_out[21])
{
	char hash[65], prefix[KEY_PREFIX_SHOWN + 1];

	random_token(key_out, keysz, strcmp(plan, "pro") == 0 ? "tf_pro_" : "tf_free_",
	             TF_API_KEY_RANDOM);
	random_id(id_out, 21, "key_", 16);
	api_key_hash(key_out, hash);
	snprintf(prefix, sizeof(prefix), "%s", key_out);
	if (db_exec(r->conn->db,
	            "INSERT INTO api_keys (id, tenant_id, prefix, key_hash, created_at)"
	            " VALUES (?, ?, ?, ?, NOW(3))",
	            DB_ARGS(DB_STR(id_out), DB_STR(tenant), DB_STR(prefix), DB_STR(hash)), NULL) != 0)
		return req_db_fail(r, "api key insert");
	return 0;
}
