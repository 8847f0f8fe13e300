#include <errno.h>
#include <jwt.h>
#include <stdio.h>
#include <string.h>

#include "token.h"

char *token_issue(const unsigned char *key, size_t keylen, const char *sub, int64_t now_s, int64_t ttl_s)
{
	jwt_t *jwt = NULL;
	char *text = NULL;

	if (jwt_new(&jwt) != 0)
		return NULL;
	if (jwt_add_grant(jwt, "sub", sub) == 0 && jwt_add_grant_int(jwt, "iat", (long)now_s) == 0 &&
	    jwt_add_grant_int(jwt, "exp", (long)(now_s + ttl_s)) == 0 &&
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

int token_verify(const unsigned char *key, size_t keylen, const char *token, int64_t now_s,
                 struct token_claims *out)
{
	jwt_t *jwt = NULL;
	int rc = -1;

	if (!well_formed(token) || jwt_decode(&jwt, token, key, (int)keylen) != 0)
		return -1;
	if (jwt_get_alg(jwt) != JWT_ALG_HS256)
		goto out;
	errno = 0;
	long exp = jwt_get_grant_int(jwt, "exp");
	if (errno != 0 || exp <= now_s)
		goto out;
	const char *sub = jwt_get_grant(jwt, "sub");
	if (sub == NULL || strlen(sub) >= sizeof(out->sub) || strlen(sub) == 0)
		goto out;
	memcpy(out->sub, sub, strlen(sub) + 1);
	out->exp = exp;
	rc = 0;
out:
	jwt_free(jwt);
	return rc;
}
