#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ids.h"

void random_bytes(void *p, size_t n)
{
	/*
	 * glibc's arc4random: ChaCha20 per thread, seeded and reseeded from getrandom,
	 * so ids and keys cost no system call each (two per request otherwise).
	 */
	arc4random_buf(p, n);
}

/* Rejection sampling keeps every character equally likely. */
static void random_chars(char *out, size_t n, const char *alphabet, unsigned size)
{
	unsigned limit = 256 - 256 % size;
	unsigned char pool[64];
	size_t have = 0, used = 0;

	for (size_t i = 0; i < n;) {
		if (used == have) {
			random_bytes(pool, sizeof(pool));
			have = sizeof(pool);
			used = 0;
		}
		unsigned v = pool[used++];
		if (v < limit)
			out[i++] = alphabet[v % size];
	}
}

static void prefixed(char *out, size_t outsz, const char *prefix, size_t n, const char *alphabet)
{
	size_t plen = strlen(prefix);

	if (plen + n + 1 > outsz)
		abort();  /* a caller's buffer is sized by constants; this is a programming error */
	memcpy(out, prefix, plen);
	random_chars(out + plen, n, alphabet, (unsigned)strlen(alphabet));
	out[plen + n] = '\0';
}

void random_id(char *out, size_t outsz, const char *prefix, size_t n)
{
	prefixed(out, outsz, prefix, n, "abcdefghijklmnopqrstuvwxyz0123456789");
}

void random_token(char *out, size_t outsz, const char *prefix, size_t n)
{
	prefixed(out, outsz, prefix, n,
	         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
}

void uuid_v4(char out[TF_REQUEST_ID_LEN + 1])
{
	unsigned char b[16];

	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, TF_REQUEST_ID_LEN + 1,
	         "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
	         b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
	         b[13], b[14], b[15]);
}
