/*
 * Tokens are issued with libjwt but verified here, byte by byte, because libjwt
 * 1.10's decoder is too forgiving for a credential: it accepts any HMAC algorithm
 * and ignores "exp" (NOTES.md), reads "alg" without regard to case, keeps the last
 * of a repeated claim, and compares signatures with strcmp, whose running time tells
 * a forger how much of a guessed signature was right.
 */
#include <errno.h>
#include <jwt.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdio.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "jsonx.h"
#include "token.h"

#define TOKEN_ALG "HS256"         /* the only algorithm, spelt exactly so */
#define TOKEN_TYP "JWT"
#define HS256_BYTES 32
#define HS256_B64URL 43           /* 32 bytes in base64url, unpadded */

char *token_issue(const unsigned char *key, size_t keylen, const char *sub, long long ver, int64_t now_s,
                  int64_t ttl_s)
{
	jwt_t *jwt = NULL;
	char *text = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", sub) == 0 && jwt_add_grant_int(jwt, "ver", (long)ver) == 0 &&
	    jwt_add_grant_int(jwt, "iat", (long)now_s) == 0 && jwt_add_grant_int(jwt, "exp", (long)(now_s + ttl_s)) == 0 &&
	    jwt_set_alg(jwt, JWT_ALG_HS256, key, (int)keylen) == 0)
		text = jwt_encode_str(jwt);
	jwt_free(jwt);
	return text;
}

/* header.payload.signature, each non-empty base64url: refused before any parsing otherwise. */
static int well_formed(const char *t)
{
	int dots = 0;
	size_t seg = 0;

	if (strlen(t) > TF_MAX_TOKEN)
		return 0;
	for (const char *p = t; *p; p++) {
		if (*p == '.') {
			if (seg == 0)
				return 0;
			dots++;
			seg = 0;
		} else if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		           *p == '-' || *p == '_') {
			seg++;
		} else {
			return 0;
		}
	}
	return dots == 2 && seg > 0;
}

/* Whether sig is the HS256 signature of signed_part under key, compared in constant time. */
static bool signature_ok(const unsigned char *key, size_t keylen, const char *signed_part, size_t n,
                         const char *sig, size_t siglen)
{
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int maclen = 0;
	struct buf b64 = BUF_INIT;
	bool ok = false;

	if (siglen != HS256_B64URL ||
	    HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)signed_part, n, mac, &maclen) == NULL ||
	    maclen != HS256_BYTES)
		goto out;
	base64_encode(mac, maclen, &b64);
	for (size_t i = 0; i < b64.len; i++)
		b64.data[i] = b64.data[i] == '+' ? '-' : b64.data[i] == '/' ? '_' : b64.data[i];
	ok = b64.len >= HS256_B64URL && CRYPTO_memcmp(b64.data, sig, HS256_B64URL) == 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	buf_free(&b64);
	return ok;
}

/* One segment, base64url-decoded and parsed as request input would be (UTF-8, unique names). */
static json_object *segment_json(const char *seg, size_t n)
{
	char std[TF_MAX_TOKEN];
	struct buf raw = BUF_INIT;
	struct json_fault f;
	json_object *o = NULL;

	if (n >= sizeof(std))
		return NULL;
	for (size_t i = 0; i < n; i++)
		std[i] = seg[i] == '-' ? '+' : seg[i] == '_' ? '/' : seg[i];
	if (base64_decode(std, n, TF_MAX_TOKEN, &raw) == 0 && raw.len > 0)
		o = json_parse_input(raw.data, raw.len, &f);
	buf_free(&raw);
	if (o && !json_object_is_type(o, json_type_object)) {
		json_object_put(o);
		o = NULL;
	}
	return o;
}

static bool header_ok(json_object *h)
{
	const char *alg = jstr(h, "alg"), *typ = jstr(h, "typ");
	bool typ_ok = jget(h, "typ") == NULL || (typ && strcmp(typ, TOKEN_TYP) == 0);
	/* No extension is implemented, so none a token says it needs ("crit") can be honoured. */
	return alg && strcmp(alg, TOKEN_ALG) == 0 && typ_ok && !json_object_object_get_ex(h, "crit", NULL);
}

int token_verify(const unsigned char *key, size_t keylen, const char *token, int64_t now_s,
                 struct token_claims *out)
{
	json_object *header = NULL, *claims = NULL;
	int rc = -1;

	if (!well_formed(token))
		return -1;
	const char *dot1 = strchr(token, '.'), *dot2 = strchr(dot1 + 1, '.');
	/* The signature first: nothing of an unsigned token is parsed. */
	if (!signature_ok(key, keylen, token, (size_t)(dot2 - token), dot2 + 1, strlen(dot2 + 1)))
		return -1;
	header = segment_json(token, (size_t)(dot1 - token));
	claims = segment_json(dot1 + 1, (size_t)(dot2 - dot1 - 1));
	if (header == NULL || claims == NULL || !header_ok(header))
		goto out;
	json_object *exp = jget(claims, "exp"), *ver = jget(claims, "ver");
	const char *sub = jstr(claims, "sub");
	if (exp == NULL || !json_object_is_type(exp, json_type_int) || json_object_get_int64(exp) <= now_s)
		goto out;
	if (ver != NULL && (!json_object_is_type(ver, json_type_int) || json_object_get_int64(ver) < 0))
		goto out;
	if (sub == NULL || strlen(sub) == 0 || strlen(sub) >= sizeof(out->sub))
		goto out;
	memcpy(out->sub, sub, strlen(sub) + 1);
	out->exp = json_object_get_int64(exp);
	/* Tokens issued before versions existed count as the first version. */
	out->ver = ver ? json_object_get_int64(ver) : 0;
	rc = 0;
out:
	json_object_put(header);
	json_object_put(claims);
	return rc;
}
