/*
 * Platform API accounts: login, and the users of a tenant (beyond the reference:
 * an operator needs to make them). Passwords are yescrypt hashes; a token names
 * only the user and the version of the user's tokens, so a removed user's or
 * changed role's tokens follow at once, and a new password revokes every token
 * issued before it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api.h"
#include "cache.h"
#include "handlers.h"
#include "ids.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "password.h"
#include "strfmt.h"
#include "timefmt.h"
#include "token.h"
#include "validate.h"
#include "xalloc.h"

#define LOGIN_FAILURE_LIMIT 10      /* failed logins of one username from one address ([ratelimit] login_failures) ... */
#define LOGIN_FAILURE_WINDOW_S 900  /* ... in this long, then 429 until it passes */
#define BOOTSTRAP_ADMIN "admin"
#define BOOTSTRAP_PASSWORD_CHARS 24

static const struct { const char *name; unsigned role; } roles[] = {
	{ "Admin", ROLE_ADMIN }, { "Developer", ROLE_DEVELOPER }, { "Operator", ROLE_OPERATOR }, { "Viewer", ROLE_VIEWER },
};

int role_parse(const char *name, unsigned *role)
{
	for (size_t i = 0; name && i < TF_ARRAY_LEN(roles); i++) {
		if (strcmp(name, roles[i].name) == 0) {
			*role = roles[i].role;
			return 0;
		}
	}
	return -1;
}

const char *role_name(unsigned role)
{
	for (size_t i = 0; i < TF_ARRAY_LEN(roles); i++)
		if (roles[i].role == role)
			return roles[i].name;
	return "Viewer";
}

static int check_role(const char *s, char *why, size_t whysz)
{
	unsigned r;
	if (role_parse(s, &r) == 0)
		return 0;
	snprintf(why, whysz, "must be Admin, Developer, Operator or Viewer");
	return -1;
}

static int check_username(const char *s, char *why, size_t whysz)
{
	bool ok = strlen(s) >= 3;
	for (const char *p = s; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr("._@+-", *p);
	if (!ok)
		snprintf(why, whysz, "must be 3-128 letters, digits or . _ @ + -");
	return ok ? 0 : -1;
}

#define PASSWORD_RULE "must be 12-256 characters"

static const struct vfield login_fields[] = {
	{ .name = "username", .type = V_STRING, .required = true, .min = 1, .max = 128 },
	{ .name = "password", .type = V_STRING, .required = true, .min = 1, .max = TF_MAX_PASSWORD },
};
VTABLE(login_body, login_fields, "{\"username\": \"admin@example.com\", \"password\": \"a-long-passphrase\"}");

static const struct vfield user_fields[] = {
	{ .name = "username", .type = V_STRING, .required = true, .min = 3, .max = 128, .check = check_username },
	{ .name = "password", .type = V_STRING, .required = true, .min = TF_MIN_PASSWORD, .max = TF_MAX_PASSWORD,
	  .message = PASSWORD_RULE },
	{ .name = "role", .type = V_STRING, .required = true, .min = 1, .max = 16, .check = check_role },
};
VTABLE(user_create_body, user_fields,
       "{\"username\": \"dev@example.com\", \"password\": \"another-long-passphrase\", \"role\": \"Developer\"}");

static const struct vfield password_fields[] = {
	{ .name = "password", .type = V_STRING, .required = true, .min = TF_MIN_PASSWORD, .max = TF_MAX_PASSWORD,
	  .message = PASSWORD_RULE },
};
VTABLE(password_body, password_fields, "{\"password\": \"a-new-long-passphrase\"}");

/*
 * The counter of a username's failed logins from the client's address: counted
 * per address, so that failures from elsewhere never lock the user out here.
 */
static void login_key(struct req *r, const char *username, char *key, size_t n)
{
	const char *addr = req_header(r, "REMOTE_ADDR");
	snprintf(key, n, "tf:login:%s:%.64s", username, addr ? addr : "-");
}

/* Failed logins of a username from this address in the current window; counts one more when fail is set. */
static long long login_failures(struct req *r, const char *username, bool fail, int *ttl)
{
	char key[256];
	redisReply *rep;

	login_key(r, username, key, sizeof(key));
	if (fail) {
		rds_append(r->conn->rds, "INCR %s", key);
		rds_append(r->conn->rds, "EXPIRE %s %d NX", key, LOGIN_FAILURE_WINDOW_S);
		rep = rds_reply(r->conn->rds);
		freeReplyObject(rds_reply(r->conn->rds));
	} else {
		rep = rds_cmd(r->conn->rds, "GET %s", key);
	}
	long long n = rds_int(rep, 0);
	freeReplyObject(rep);
	rep = rds_cmd(r->conn->rds, "TTL %s", key);
	*ttl = (int)rds_int(rep, LOGIN_FAILURE_WINDOW_S);
	freeReplyObject(rep);
	return n;
}

/* POST /api/v1/authentication/login — Authentication */
int platform_login(struct req *r)
{
	json_object *body = NULL;
	struct db_rows *rows = NULL;
	int rc = -1, ttl = 0;

	if (req_json(r, &body) != 0 || validate(body, login_fields, TF_ARRAY_LEN(login_fields), &r->err) != 0)
		goto out;
	const char *username = jstr(body, "username"), *password = jstr(body, "password");
	if (login_failures(r, username, false, &ttl) >=
	    config_int(r->app->cfg, "ratelimit", "login_failures", LOGIN_FAILURE_LIMIT, 1, 1000000)) {
		r->err.retry_after = ttl > 0 ? ttl : 1;
		tf_fail(&r->err, TF_E_RATE_LIMIT, "Too many failed logins for this user from this address; try again in %d s",
		        ttl > 0 ? ttl : 1);
		goto out;
	}
	if (db_query(r->conn->db,
	             "SELECT u.id, u.password_hash, u.role, u.token_version FROM users u WHERE u.username = ? AND u.disabled = 0",
	             DB_ARGS(DB_STR(username)), &rows) != 0) {
		req_db_fail(r, "login");
		goto out;
	}
	/* An unknown user costs the same hash as a known one, so timing tells nothing. */
	const char *hash = rows->nrows ? db_val(rows, 0, 1) : r->app->dummy_hash;
	bool ok = password_verify(password, hash) && rows->nrows == 1;
	if (!ok) {
		login_failures(r, username, true, &ttl);
		tf_fail(&r->err, TF_E_UNAUTHORIZED, "Invalid username or password");
		goto out;
	}
	char key[256];
	login_key(r, username, key, sizeof(key));
	freeReplyObject(rds_cmd(r->conn->rds, "DEL %s", key));
	int64_t now = now_ms() / 1000;
	char *token = token_issue(r->app->token_key, r->app->token_key_len, db_val(rows, 0, 0), db_ll(rows, 0, 3, 0), now,
	                          r->app->token_ttl_s);
	if (token == NULL) {
		tf_fail(&r->err, TF_E_INTERNAL, "Cannot issue a token (trace %s)", r->trace_id);
		goto out;
	}
	char expires[40];
	iso8601_s((now + r->app->token_ttl_s) * 1000, expires, sizeof(expires));
	json_object *o = json_object_new_object();
	jadd_str(o, "token", token);
	jadd_str(o, "expiresAt", expires);
	json_object *user = json_object_new_object();
	jadd_str(user, "username", username);
	jadd_str(user, "role", db_val(rows, 0, 2));
	json_object_object_add(o, "user", user);
	free(token);
	rc = req_reply(r, 200, o);
out:
	db_rows_free(rows);
	json_object_put(body);
	return rc;
}

/* Inserts a user of tenant; 409 for a taken username. */
static int insert_user(struct req *r, const char *tenant, const char *username, const char *password,
                       const char *role, const char *created_by, char id[21])
{
	char hash[TF_PASSWORD_HASH];

	if (password_hash(password, hash, sizeof(hash)) != 0)
		return tf_fail(&r->err, TF_E_INTERNAL, "Cannot hash the password (trace %s)", r->trace_id);
	random_id(id, 21, "usr_", 16);
	if (db_exec(r->conn->db,
	            "INSERT INTO users (id, tenant_id, username, password_hash, role, created_by, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, ?, ?, NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(tenant), DB_STR(username), DB_STR(hash), DB_STR(role),
	                    DB_STR(created_by)), NULL) != 0) {
		if (!db_is_duplicate(r->conn->db))
			return req_db_fail(r, "user insert");
		tf_detail(&r->err, "username", "is already taken");
		return tf_fail(&r->err, TF_E_CONFLICT, "User %s already exists", username);
	}
	return 0;
}

/* POST /api/v1/users — Users (beyond the reference) */
int platform_users_create(struct req *r)
{
	json_object *body = NULL;
	char id[21];
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, user_fields, TF_ARRAY_LEN(user_fields), &r->err) != 0 ||
	    insert_user(r, r->who.tenant, jstr(body, "username"), jstr(body, "password"), jstr(body, "role"),
	                r->who.principal, id) != 0)
		goto out;
	json_object *o = json_object_new_object();
	jadd_str(o, "id", id);
	jadd_str(o, "username", jstr(body, "username"));
	jadd_str(o, "role", jstr(body, "role"));
	rc = req_reply(r, 201, o);
out:
	json_object_put(body);
	return rc;
}

/* GET /api/v1/users — Users (beyond the reference) */
int platform_users_list(struct req *r)
{
	struct db_rows *rows = NULL;

	if (db_query(r->conn->db,
	             "SELECT id, username, role, DATE_FORMAT(created_at, '%Y-%m-%dT%H:%i:%sZ')"
	             " FROM users WHERE tenant_id = ? ORDER BY created_at, id",
	             DB_ARGS(DB_STR(r->who.tenant)), &rows) != 0)
		return req_db_fail(r, "user list");
	json_object *list = json_object_new_array();
	for (size_t i = 0; i < rows->nrows; i++) {
		json_object *u = json_object_new_object();
		jadd_str(u, "id", db_val(rows, i, 0));
		jadd_str(u, "username", db_val(rows, i, 1));
		jadd_str(u, "role", db_val(rows, i, 2));
		jadd_str(u, "createdAt", db_val(rows, i, 3));
		json_object_array_add(list, u);
	}
	json_object *o = json_object_new_object();
	json_object_object_add(o, "users", list);
	jadd_int(o, "total", (long long)rows->nrows);
	db_rows_free(rows);
	return req_reply(r, 200, o);
}

/* DELETE /api/v1/users/{username} — Users (beyond the reference) */
int platform_users_delete(struct req *r)
{
	uint64_t n = 0;

	if (strcmp(r->params[0], r->who.username) == 0)
		return tf_fail(&r->err, TF_E_CONFLICT, "You cannot delete yourself");
	if (db_exec(r->conn->db, "DELETE FROM users WHERE username = ? AND tenant_id = ?",
	            DB_ARGS(DB_STR(r->params[0]), DB_STR(r->who.tenant)), &n) != 0)
		return req_db_fail(r, "user delete");
	if (n == 0)
		return tf_fail(&r->err, TF_E_NOT_FOUND, "User %s not found", r->params[0]);
	cache_drop_tenant(r, r->who.tenant);
	return req_reply(r, 204, NULL);
}

/* PUT /api/v1/users/{username}/password — Users (beyond the reference) */
int platform_users_password(struct req *r)
{
	json_object *body = NULL;
	char hash[TF_PASSWORD_HASH];
	uint64_t n = 0;
	int rc = -1;

	if (req_json(r, &body) != 0 || validate(body, password_fields, TF_ARRAY_LEN(password_fields), &r->err) != 0)
		goto out;
	if (password_hash(jstr(body, "password"), hash, sizeof(hash)) != 0) {
		tf_fail(&r->err, TF_E_INTERNAL, "Cannot hash the password (trace %s)", r->trace_id);
		goto out;
	}
	/* A new password signs the user out everywhere: every token issued before it stops working. */
	if (db_exec(r->conn->db,
	            "UPDATE users SET password_hash = ?, token_version = token_version + 1, updated_at = NOW(3)"
	            " WHERE username = ? AND tenant_id = ?",
	            DB_ARGS(DB_STR(hash), DB_STR(r->params[0]), DB_STR(r->who.tenant)), &n) != 0) {
		req_db_fail(r, "password change");
		goto out;
	}
	if (n == 0) {
		tf_fail(&r->err, TF_E_NOT_FOUND, "User %s not found", r->params[0]);
		goto out;
	}
	cache_drop_tenant(r, r->who.tenant);
	rc = req_reply(r, 204, NULL);
out:
	explicit_bzero(hash, sizeof(hash));
	json_object_put(body);
	return rc;
}

/* Writes the first Admin's credentials where only root can read them. */
static int write_credentials(const char *path, const char *base_url, const char *password)
{
	char tmp[4096];
	json_object *o = json_object_new_object();
	int rc = -1;

	jadd_str(o, "baseUrl", base_url);
	jadd_str(o, "adminUsername", BOOTSTRAP_ADMIN);
	jadd_str(o, "adminPassword", password);
	const char *text = json_object_to_json_string_ext(o, JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_NOSLASHESCAPE);
	if (strfmt(tmp, sizeof(tmp), "%s.tmp", path) != 0)
		goto out;
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		goto out;
	bool written = fchmod(fd, 0600) == 0 && write(fd, text, strlen(text)) == (ssize_t)strlen(text) &&
	               write(fd, "\n", 1) == 1 && fsync(fd) == 0;
	close(fd);
	rc = written && rename(tmp, path) == 0 ? 0 : -1;
out:
	json_object_put(o);
	return rc;
}

int bootstrap_admin(const struct app *app, const char *out_path, const char *base_url)
{
	struct db *db = db_open(&app->dbc);
	struct db_rows *rows = NULL;
	char password[BOOTSTRAP_PASSWORD_CHARS + 1], hash[TF_PASSWORD_HASH], id[21];
	int rc = -1;

	if (db_query(db, "SELECT COUNT(*) FROM users u JOIN tenants t ON t.id = u.tenant_id WHERE t.is_operator = 1",
	             DB_NOARGS, &rows) != 0) {
		log_error("bootstrap: %s", db_error(db));
		goto out;
	}
	if (db_ll(rows, 0, 0, 0) > 0) {
		rc = 0;  /* done before: the password is the operator's now, never rotated here */
		goto out;
	}
	random_token(password, sizeof(password), "", BOOTSTRAP_PASSWORD_CHARS);
	random_id(id, sizeof(id), "usr_", 16);
	if (password_hash(password, hash, sizeof(hash)) != 0 || db_begin(db) != 0)
		goto out;
	db_rows_free(rows);
	rows = NULL;
	if (db_query(db, "SELECT is_operator FROM tenants WHERE id = ? FOR UPDATE", DB_ARGS(DB_STR(TF_OPERATOR_TENANT)),
	             &rows) != 0) {
		log_error("bootstrap: %s", db_error(db));
		db_rollback(db);
		goto out;
	}
	/*
	 * A tenant of that name this code did not make was signed up by someone (before
	 * the name was reserved): making it the operator's would hand them the platform.
	 */
	if (rows->nrows > 0 && db_ll(rows, 0, 0, 0) != 1) {
		log_error("bootstrap: a tenant named %s exists that is not the operator's (a signup?); it is not made the "
		          "operator tenant. Rename or remove it, then start again", TF_OPERATOR_TENANT);
		db_rollback(db);
		goto out;
	}
	if ((rows->nrows == 0 &&
	     db_exec(db, "INSERT INTO tenants (id, plan, is_operator, created_at) VALUES (?, 'pro', 1, NOW(3))",
	             DB_ARGS(DB_STR(TF_OPERATOR_TENANT)), NULL) != 0) ||
	    db_exec(db,
	            "INSERT INTO users (id, tenant_id, username, password_hash, role, created_by, created_at, updated_at)"
	            " VALUES (?, ?, ?, ?, 'Admin', 'bootstrap', NOW(3), NOW(3))",
	            DB_ARGS(DB_STR(id), DB_STR(TF_OPERATOR_TENANT), DB_STR(BOOTSTRAP_ADMIN), DB_STR(hash)), NULL) != 0) {
		log_error("bootstrap: %s", db_error(db));
		db_rollback(db);
		goto out;
	}
	/* The file first: an Admin nobody can log in as would be worse than none. */
	if (write_credentials(out_path, base_url, password) != 0) {
		log_error("bootstrap: cannot write %s: %s", out_path, strerror(errno));
		db_rollback(db);
		goto out;
	}
	if (db_commit(db) != 0) {
		unlink(out_path);
		goto out;
	}
	log_info("created the operator tenant and its Admin; credentials in %s", out_path);
	rc = 0;
out:
	explicit_bzero(password, sizeof(password));
	db_rows_free(rows);
	db_close(db);
	return rc;
}
