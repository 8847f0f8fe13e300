/*
 * Platform API tokens: JWTs signed with HMAC-SHA256 under the server's secret,
 * naming a user and the version of the user's tokens they belong to. A token is
 * valid only when its header says exactly {"alg":"HS256"} (with "typ":"JWT" or no
 * "typ"), its signature matches, its claims are unique and UTF-8, and it has not
 * expired; whether its version is still the user's is the caller's to check.
 */
#ifndef TF_TOKEN_H
#define TF_TOKEN_H

#include <stddef.h>
#include <stdint.h>

#define TF_MAX_TOKEN 4096

struct token_claims {
	char sub[32];       /* the user's id */
	int64_t exp;        /* seconds since the epoch */
	long long ver;      /* the user's token version when issued ("ver"; 0 when absent) */
};

/* A new token for user sub at token version ver, valid ttl_s seconds from now_s; free() it. NULL on failure. */
char *token_issue(const unsigned char *key, size_t keylen, const char *sub, long long ver, int64_t now_s,
                  int64_t ttl_s);
/* 0 when token is a valid, unexpired HS256 token of this key; -1 otherwise. */
int token_verify(const unsigned char *key, size_t keylen, const char *token, int64_t now_s,
                 struct token_claims *out);

#endif
