/* Platform API accounts: login, tokens and their forgeries, users, the first Admin. */
#include <jwt.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base64.h"
#include "platform.h"

static void the_first_admin_logs_in_with_the_generated_password(void)
{
	char path[1024];
	struct stat st;
	snprintf(path, sizeof(path), "%s/credentials.json", getenv("TF_STACK_DIR"));
	CHECK(stat(path, &st) == 0 && (st.st_mode & 0777) == 0600, "credentials.json is not mode 0600");
	char *text = slurp(path, NULL);
	json_object *c = json_tokener_parse(text);
	free(text);
	CHECK(c && jps(c, "baseUrl") && strcmp(jps(c, "adminUsername"), "admin") == 0 && strlen(jps(c, "adminPassword")) >= 16,
	      "credentials: %s", c ? json_object_to_json_string(c) : "unreadable");
	json_object *o = json_object_new_object();
	json_object_object_add(o, "username", json_object_new_string("admin"));
	json_object_object_add(o, "password", json_object_new_string(jps(c, "adminPassword")));
	struct resp *r = http("POST", V1 "/authentication/login", NULL, json_object_to_json_string(o));
	json_object_put(o);
	json_object_put(c);
	CHECK_STATUS(r, 200);
	CHECK(jps(r->json, "token") && jps(r->json, "expiresAt") && strcmp(jps(r->json, "user.username"), "admin") == 0 &&
	      strcmp(jps(r->json, "user.role"), "Admin") == 0, "%s", r->body);
	CHECK(http("POST", V1 "/authentication/login", NULL, "{\"username\":\"admin\",\"password\":\"Admin123!\"}")->status == 401,
	      "the reference's sample password works");
}

static void wrong_credentials_are_401_and_many_are_429(void)
{
	char key[128], tenant[80], user[96], token[1024];
	signup("login", key, tenant);
	CHECK(user_with_role(key, "Viewer", user, token), "user");
	char body[256];
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"not-the-password\"}", user);
	struct resp *r = http("POST", V1 "/authentication/login", NULL, body);
	CHECK(platform_error(r, 401, "UNAUTHORIZED"), "%s", r->body);
	r = http("POST", V1 "/authentication/login", NULL, "{\"username\":\"nobody-here\",\"password\":\"whatever-pass\"}");
	CHECK(platform_error(r, 401, "UNAUTHORIZED"), "%s", r->body);
	r = http("POST", V1 "/authentication/login", NULL, "{\"username\":\"x\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "password"), "%s", r->body);
	for (int i = 0; i < 12; i++)
		r = http("POST", V1 "/authentication/login", NULL, body);
	char hdr[32];
	CHECK(platform_error(r, 429, "RATE_LIMIT_EXCEEDED") && resp_header(r, "Retry-After", hdr, sizeof(hdr)), "%ld %s", r->status, r->body);
}

/* The stack's token key, so that forgeries are signed exactly as an attacker holding it would. */
static size_t token_key(unsigned char *key, size_t n)
{
	char path[1024];
	size_t len = 0;
	snprintf(path, sizeof(path), "%s/secrets/jwt.key", getenv("TF_STACK_DIR"));
	char *k = slurp(path, &len);
	if (k == NULL || len > n)
		return 0;
	memcpy(key, k, len);
	free(k);
	return len;
}

static char *forge(jwt_alg_t alg, const unsigned char *key, size_t keylen, const char *sub, long exp)
{
	jwt_t *j = NULL;
	jwt_new(&j);
	jwt_add_grant(j, "sub", sub);
	jwt_add_grant_int(j, "exp", exp);
	jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? NULL : key, alg == JWT_ALG_NONE ? 0 : (int)keylen);
	char *t = jwt_encode_str(j);
	jwt_free(j);
	return t;
}

static void forged_and_expired_tokens_are_401(void)
{
	unsigned char key[256];
	size_t keylen = token_key(key, sizeof(key));
	char admin[1024];
	CHECK(keylen >= 32, "cannot read the token key");
	CHECK(admin_token(admin), "admin login");
	/* The admin's real user id, from a real token's payload, so only the forgery differs. */
	jwt_t *real = NULL;
	CHECK(jwt_decode(&real, admin, key, (int)keylen) == 0, "decode");
	char sub[64];
	snprintf(sub, sizeof(sub), "%s", jwt_get_grant(real, "sub"));
	jwt_free(real);
	long future = (long)time(NULL) + 3600, past = (long)time(NULL) - 10;
	const unsigned char wrong[] = "not-the-server-key-not-the-server-key";
	struct { const char *what; char *token; } cases[] = {
		{ "HS512 with the server's key", forge(JWT_ALG_HS512, key, keylen, sub, future) },
		{ "HS384 with the server's key", forge(JWT_ALG_HS384, key, keylen, sub, future) },
		{ "alg none", forge(JWT_ALG_NONE, NULL, 0, sub, future) },
		{ "another key", forge(JWT_ALG_HS256, wrong, sizeof(wrong) - 1, sub, future) },
		{ "expired", forge(JWT_ALG_HS256, key, keylen, sub, past) },
		{ "unknown user", forge(JWT_ALG_HS256, key, keylen, "usr_doesnotexist00", future) },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct resp *r = http("GET", V1 "/functions", cases[i].token, NULL);
		CHECK(platform_error(r, 401, "UNAUTHORIZED"), "%s: %ld %s", cases[i].what, r->status, r->body);
		free(cases[i].token);
	}
	/* The same claims signed HS256 with the server's key are accepted: the checks above are real. */
	char *good = forge(JWT_ALG_HS256, key, keylen, sub, future);
	struct resp *r = http("GET", V1 "/functions", good, NULL);
	free(good);
	CHECK_STATUS(r, 200);
	/* A tampered signature and malformed tokens. */
	char tampered[1100];
	snprintf(tampered, sizeof(tampered), "%s", admin);
	tampered[strlen(tampered) - 2] = tampered[strlen(tampered) - 2] == 'A' ? 'B' : 'A';
	const char *junk[] = { tampered, "a.b.c", "not-a-token", "eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", "...." };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		r = http("GET", V1 "/functions", junk[i], NULL);
		CHECK(platform_error(r, 401, "UNAUTHORIZED"), "%s: %ld %s", junk[i], r->status, r->body);
	}
	r = http("GET", V1 "/functions", NULL, NULL);
	CHECK(platform_error(r, 401, "UNAUTHORIZED"), "no token: %s", r->body);
}

static void b64url(const void *p, size_t n, struct buf *out)
{
	struct buf b = BUF_INIT;
	base64_encode(p, n, &b);
	for (size_t i = 0; i < b.len && b.data[i] != '='; i++)
		buf_putc(out, b.data[i] == '+' ? '-' : b.data[i] == '/' ? '_' : b.data[i]);
	buf_free(&b);
}

/* Exactly this header and these claims, signed HS256 with key: only the key's holder can make it. */
static char *hand_signed(const unsigned char *key, size_t keylen, const char *header, const char *claims)
{
	struct buf t = BUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	b64url(header, strlen(header), &t);
	buf_putc(&t, '.');
	b64url(claims, strlen(claims), &t);
	HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)t.data, t.len, mac, &n);
	buf_putc(&t, '.');
	b64url(mac, n, &t);
	return buf_steal(&t);
}

/* The user id a real token names. */
static bool sub_of(const char *token, const unsigned char *key, size_t keylen, char *sub, size_t n)
{
	jwt_t *j = NULL;
	if (jwt_decode(&j, token, key, (int)keylen) != 0)
		return false;
	snprintf(sub, n, "%s", jwt_get_grant(j, "sub"));
	jwt_free(j);
	return true;
}

static void a_token_is_read_exactly_alg_hs256_and_each_claim_once(void)
{
	unsigned char key[256];
	size_t keylen = token_key(key, sizeof(key));
	char key_t[128], tenant[80], user[96], viewer[1024], admin[1024], vsub[64], asub[64], claims[512];
	CHECK(keylen >= 32, "cannot read the token key");
	signup("exact", key_t, tenant);
	CHECK(user_with_role(key_t, "Viewer", user, viewer), "viewer");
	CHECK(user_with_role(key_t, "Admin", user, admin), "admin");
	CHECK(sub_of(viewer, key, keylen, vsub, sizeof(vsub)) && sub_of(admin, key, keylen, asub, sizeof(asub)), "subs");
	long exp = (long)time(NULL) + 3600;
	/* The same claims, signed the same way, with the header spelt exactly: accepted. */
	snprintf(claims, sizeof(claims), "{\"sub\":\"%s\",\"exp\":%ld}", vsub, exp);
	char *good = hand_signed(key, keylen, "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", claims);
	CHECK_STATUS(http("GET", V1 "/functions", good, NULL), 200);
	free(good);
	struct { const char *what, *header; char claims[512]; } cases[] = {
		{ "alg hs256", "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", "" },
		{ "alg Hs256", "{\"alg\":\"Hs256\"}", "" },
		{ "a repeated sub (a Viewer's, then an Admin's)", "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", "" },
		{ "a repeated alg", "{\"alg\":\"HS512\",\"alg\":\"HS256\"}", "" },
	};
	snprintf(cases[0].claims, sizeof(cases[0].claims), "%s", claims);
	snprintf(cases[1].claims, sizeof(cases[1].claims), "%s", claims);
	snprintf(cases[2].claims, sizeof(cases[2].claims), "{\"sub\":\"%s\",\"exp\":%ld,\"sub\":\"%s\"}", vsub, exp, asub);
	snprintf(cases[3].claims, sizeof(cases[3].claims), "%s", claims);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = hand_signed(key, keylen, cases[i].header, cases[i].claims);
		struct resp *r = http("GET", V1 "/users", t, NULL);
		free(t);
		CHECK(platform_error(r, 401, "UNAUTHORIZED"), "%s: %ld %s", cases[i].what, r->status, r->body);
	}
}

static void a_new_password_revokes_every_token_of_the_user_at_once(void)
{
	char key[128], tenant[80], admin_user[96], admin[1024], dev_user[96], dev[1024], dev2[1024], pw[160];
	signup("revoke", key, tenant);
	CHECK(user_with_role(key, "Admin", admin_user, admin), "admin user");
	CHECK(user_with_role(admin, "Developer", dev_user, dev), "developer user");
	snprintf(pw, sizeof(pw), "correct-horse-%s", dev_user);
	CHECK(login(dev_user, pw, dev2), "a second login");
	/* Both tokens work, and are now in tf-api's identity cache. */
	CHECK_STATUS(http("GET", V1 "/functions", dev, NULL), 200);
	CHECK_STATUS(http("GET", V1 "/functions", dev2, NULL), 200);
	CHECK_STATUS(httpf("PUT", admin, "{\"password\":\"a-brand-new-password\"}", V1 "/users/%s/password", dev_user), 204);
	CHECK(platform_error(http("GET", V1 "/functions", dev, NULL), 401, "UNAUTHORIZED"), "a token from before the change works");
	CHECK(platform_error(http("GET", V1 "/functions", dev2, NULL), 401, "UNAUTHORIZED"), "the other token from before works");
	/* A token of the new password works; other users' tokens were never touched. */
	char fresh[1024];
	CHECK(login(dev_user, "a-brand-new-password", fresh), "the new password");
	CHECK_STATUS(http("GET", V1 "/functions", fresh, NULL), 200);
	CHECK_STATUS(http("GET", V1 "/users", admin, NULL), 200);
	/* An Admin changing their own password signs themselves out too. */
	CHECK_STATUS(httpf("PUT", admin, "{\"password\":\"another-new-password\"}", V1 "/users/%s/password", admin_user), 204);
	CHECK(platform_error(http("GET", V1 "/users", admin, NULL), 401, "UNAUTHORIZED"), "the Admin's old token works");
}

static void admins_manage_the_users_of_their_tenant(void)
{
	char key[128], tenant[80], admin_user[96], admin[1024], dev_user[96], dev[1024];
	signup("users", key, tenant);
	CHECK(user_with_role(key, "Admin", admin_user, admin), "admin user");
	CHECK(user_with_role(admin, "Developer", dev_user, dev), "developer user");
	struct resp *r = http("GET", V1 "/users", admin, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jpi(r->json, "total", 0) == 2, "%s", r->body);
	CHECK(strstr(r->body, "password") == NULL && strstr(r->body, "$y$") == NULL, "hash exposed: %s", r->body);
	/* A Developer may not manage users. */
	CHECK(platform_error(http("GET", V1 "/users", dev, NULL), 403, "FORBIDDEN"), "developer listed users");
	/* Bad input names its field; a taken name is 409. */
	r = http("POST", V1 "/users", admin, "{\"username\":\"x y\",\"password\":\"short\",\"role\":\"Root\"}");
	CHECK(platform_error(r, 400, "VALIDATION_ERROR") && names_field(r, "username") && names_field(r, "password") &&
	      names_field(r, "role"), "%s", r->body);
	char body[256];
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"another-long-one\",\"role\":\"Viewer\"}", dev_user);
	CHECK(platform_error(http("POST", V1 "/users", admin, body), 409, "CONFLICT"), "taken username");
	/* A new password replaces the old one at once. */
	CHECK_STATUS(httpf("PUT", admin, "{\"password\":\"a-brand-new-password\"}", V1 "/users/%s/password", dev_user), 204);
	char fresh[1024], old[160];
	snprintf(old, sizeof(old), "correct-horse-%s", dev_user);
	CHECK(!login(dev_user, old, fresh), "the old password still works");
	CHECK(login(dev_user, "a-brand-new-password", fresh), "the new password does not work");
	/* A deleted user's token stops working at once. */
	CHECK_STATUS(httpf("DELETE", admin, NULL, V1 "/users/%s", dev_user), 204);
	CHECK(platform_error(http("GET", V1 "/functions", fresh, NULL), 401, "UNAUTHORIZED"), "deleted user's token works");
	CHECK(platform_error(httpf("DELETE", admin, NULL, V1 "/users/%s", admin_user), 409, "CONFLICT"), "deleted self");
	/* Another tenant's user is not there to delete. */
	char other[128], t2[80], u2[96], tok2[1024];
	signup("users2", other, t2);
	CHECK(user_with_role(other, "Viewer", u2, tok2), "other user");
	CHECK(platform_error(httpf("DELETE", admin, NULL, V1 "/users/%s", u2), 404, "NOT_FOUND"), "deleted another tenant's user");
}

/* Runs a statement on database db of the stack's MariaDB; its first value as a number, -1 on failure. */
static long long sql_on(const char *db, const char *query)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "mariadb --no-defaults -S '%s/run/mysql.sock' -u root %s -N -B -e \"%s\" 2>/dev/null",
	         getenv("TF_STACK_DIR"), db, query);
	FILE *p = popen(cmd, "r");
	long long v = -1;
	if (p == NULL)
		return -1;
	if (fscanf(p, "%lld", &v) != 1)
		v = -1;
	pclose(p);
	return v;
}

/* tf-api's start-up steps, against database db of the test stack's MariaDB. */
static int tf_api_on(const char *db, const char *args)
{
	char cmd[2048];
	snprintf(cmd, sizeof(cmd), "TF_MARIADB_DATABASE=%s '%s/fcgi-app/tf-api' --config '%s/taufunctions.conf' %s >/dev/null 2>&1",
	         db, getenv("TF_BUILD"), getenv("TF_STACK_DIR"), args);
	return system(cmd);
}

static void the_first_start_never_makes_a_signed_up_operator_tenant_the_operators(void)
{
	char db[64], args[1024], creds[1024];
	CHECK(getenv("TF_BUILD"), "TF_BUILD is not set");
	unique("tfboot", db, sizeof(db));
	for (char *p = db; *p; p++)
		if (*p == '-')
			*p = '_';
	snprintf(creds, sizeof(creds), "%s/credentials-%s.json", getenv("TF_STACK_DIR"), db);
	snprintf(args, sizeof(args), "--bootstrap-admin '%s' --base-url http://127.0.0.1", creds);
	/* A database of an older release, where someone signed up "operator" before the first Admin existed. */
	bool migrated = tf_api_on(db, "--migrate-only") == 0;
	bool signed_up = sql_on(db, "INSERT INTO tenants (id, plan, created_at) VALUES ('operator', 'free', NOW(3)); SELECT 1") == 1;
	int rc = tf_api_on(db, args);
	long long promoted = sql_on(db, "SELECT is_operator FROM tenants WHERE id = 'operator'");
	long long users = sql_on(db, "SELECT COUNT(*) FROM users");
	FILE *f = fopen(creds, "r");
	bool written = f != NULL;
	if (f)
		fclose(f);
	char drop[128];
	snprintf(drop, sizeof(drop), "DROP DATABASE IF EXISTS %s", db);
	sql_on("mysql", drop);
	remove(creds);
	CHECK(migrated && signed_up, "setting up database %s", db);
	CHECK(rc != 0 && promoted == 0 && users == 0 && !written,
	      "bootstrap exit %d, is_operator %lld, %lld users, credentials %s", rc, promoted, users, written ? "written" : "absent");
}

static void an_api_key_acts_on_v1_as_admin_and_developer(void)
{
	char key[128], tenant[80];
	signup("keyv1", key, tenant);
	struct resp *r = http("POST", V1 "/functions", key,
	                      "{\"name\":\"by-key\",\"runtime\":\"python3.11\",\"handler\":\"main.handler\"}");
	CHECK_STATUS(r, 201);
	CHECK(strncmp(jps(r->json, "ownerId"), "key_", 4) == 0, "%s", r->body);
	CHECK_STATUS(http("DELETE", V1 "/functions/by-key", key, NULL), 204);
	/* Runner nodes are the operator's alone. */
	CHECK(platform_error(http("GET", V1 "/runners", key, NULL), 403, "FORBIDDEN"), "runners shown to a tenant");
}

static void the_operator_tenant_is_not_bound_by_the_free_plan(void)
{
	char admin[1024], name[64];
	CHECK(admin_token(admin), "admin login");
	for (int i = 0; i < 11; i++) {
		unique("op", name, sizeof(name));
		char body[256];
		snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Nodejs20\",\"handler\":\"index.handler\"}", name);
		struct resp *r = http("POST", V1 "/functions", admin, body);
		CHECK(r->status == 201, "function %d: %ld %s", i, r->status, r->body);
	}
}

static const struct test tests[] = {
	{ "the first Admin logs in with the generated password from credentials.json (0600)", the_first_admin_logs_in_with_the_generated_password },
	{ "wrong credentials are 401; repeated failures are 429", wrong_credentials_are_401_and_many_are_429 },
	{ "forged, expired, tampered and malformed tokens are 401", forged_and_expired_tokens_are_401 },
	{ "a token is read exactly: alg HS256 spelt so, each claim once", a_token_is_read_exactly_alg_hs256_and_each_claim_once },
	{ "Admins manage the users of their tenant; changes take effect at once", admins_manage_the_users_of_their_tenant },
	{ "a new password revokes every token of the user at once, cached ones too", a_new_password_revokes_every_token_of_the_user_at_once },
	{ "an API key acts on /api/v1 as Admin and Developer of its tenant", an_api_key_acts_on_v1_as_admin_and_developer },
	{ "the operator tenant is not bound by the free plan", the_operator_tenant_is_not_bound_by_the_free_plan },
	{ "the first start never makes a signed-up tenant named operator the operator's", the_first_start_never_makes_a_signed_up_operator_tenant_the_operators },
};
const struct suite suite_platform_accounts = { tests, sizeof(tests) / sizeof(tests[0]) };
