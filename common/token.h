/*
 * Platform API tokens: JWTs signed with HMAC-SHA256 under the server's secret.
 * libjwt 1.10's decoder accepts any HMAC algorithm and ignores "exp", so both are
 * checked here; "alg: none", other algorithms, bad signatures, expired and
 * malformed tokens are all refused.
 */
#ifndef TF_TOKEN_H
#define TF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TF_MAX_TOKEN 4096

struct token_claims {
	char sub[32];       /* the user's id */
	int64_t exp;        /* seconds since the epoch */
};

/* A new token for user sub, valid ttl_s seconds from now_s; free() it. NULL on failure. */
char *token_issue(const unsigned char *key, size_t keylen, const char *sub, int64_t now_s, int64_t ttl_s);
/* 0 when token is a valid, unexpired HS256 token of this key; -1 otherwise. */
int token_verify(const unsigned char *key, size_t keylen, const char *token, int64_t now_s,
                 struct token_claims *out);

#endif
