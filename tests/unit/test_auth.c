/* Tokens, passwords, base64, durations and the duration histogram. */
#include <jwt.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "buf.h"
#include "histogram.h"
#include "password.h"
#include "timefmt.h"
#include "token.h"
#include "unit.h"

static const unsigned char KEY[] = "0123456789abcdef0123456789abcdef";
#define KEYLEN (sizeof(KEY) - 1)

static void a_token_verifies_until_it_expires(void **state)
{
	struct token_claims c;
	(void)state;
	char *t = token_issue(KEY, KEYLEN, "usr_abc", 7, 1000, 60);
	assert_non_null(t);
	assert_int_equal(token_verify(KEY, KEYLEN, t, 1030, &c), 0);
	assert_string_equal(c.sub, "usr_abc");
	assert_int_equal(c.exp, 1060);
	assert_int_equal(c.ver, 7);
	assert_int_equal(token_verify(KEY, KEYLEN, t, 1060, &c), -1);  /* expired */
	const unsigned char other[] = "another-secret-another-secret-xx";
	assert_int_equal(token_verify(other, sizeof(other) - 1, t, 1030, &c), -1);
	free(t);
}

/* A token signed with alg and the same secret, as an attacker holding it would make. */
static char *signed_with(jwt_alg_t alg)
{
	jwt_t *j = NULL;
	jwt_new(&j);
	jwt_add_grant(j, "sub", "usr_abc");
	jwt_add_grant_int(j, "exp", 4000000000L);
	jwt_set_alg(j, alg, alg == JWT_ALG_NONE ? NULL : KEY, alg == JWT_ALG_NONE ? 0 : (int)KEYLEN);
	char *t = jwt_encode_str(j);
	jwt_free(j);
	return t;
}

static void forged_tokens_are_refused(void **state)
{
	struct token_claims c;
	(void)state;
	char *hs512 = signed_with(JWT_ALG_HS512), *hs384 = signed_with(JWT_ALG_HS384), *none = signed_with(JWT_ALG_NONE);
	assert_int_equal(token_verify(KEY, KEYLEN, hs512, 1000, &c), -1);
	assert_int_equal(token_verify(KEY, KEYLEN, hs384, 1000, &c), -1);
	assert_int_equal(token_verify(KEY, KEYLEN, none, 1000, &c), -1);
	/* alg none with a made-up signature segment, past the shape check. */
	char forged[1024];
	snprintf(forged, sizeof(forged), "%sAAAA", none);
	assert_int_equal(token_verify(KEY, KEYLEN, forged, 1000, &c), -1);
	/* A real token with its payload changed keeps its signature: refused. */
	char *good = token_issue(KEY, KEYLEN, "usr_abc", 0, 1000, 60);
	char *dot = strchr(good, '.');
	dot[2] = dot[2] == 'A' ? 'B' : 'A';
	assert_int_equal(token_verify(KEY, KEYLEN, good, 1030, &c), -1);
	const char *junk[] = { "", "a.b", "a..c", "a.b.c.d", "not a token", "eyJhbGciOiJIUzI1NiJ9.e30.x" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++)
		assert_int_equal(token_verify(KEY, KEYLEN, junk[i], 1000, &c), -1);
	free(hs512);
	free(hs384);
	free(none);
	free(good);
}

/* base64url without padding, as JWT segments are. */
static void b64url(const void *p, size_t n, struct buf *out)
{
	struct buf b = BUF_INIT;
	base64_encode(p, n, &b);
	for (size_t i = 0; i < b.len && b.data[i] != '='; i++)
		buf_putc(out, b.data[i] == '+' ? '-' : b.data[i] == '/' ? '_' : b.data[i]);
	buf_free(&b);
}

/* A token of exactly this header and these claims, correctly signed with KEY: what only the key's holder can make. */
static char *signed_token(const char *header, const char *claims)
{
	struct buf t = BUF_INIT;
	unsigned char mac[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	b64url(header, strlen(header), &t);
	buf_putc(&t, '.');
	b64url(claims, strlen(claims), &t);
	HMAC(EVP_sha256(), KEY, (int)KEYLEN, (const unsigned char *)t.data, t.len, mac, &n);
	buf_putc(&t, '.');
	b64url(mac, n, &t);
	return buf_steal(&t);
}

static void tokens_are_read_exactly_as_issued(void **state)
{
	struct token_claims c;
	(void)state;
	const char *claims = "{\"sub\":\"usr_abc\",\"ver\":3,\"exp\":4000000000}";
	static const struct { const char *header, *claims; int rc; } cases[] = {
		{ "{\"alg\":\"HS256\",\"typ\":\"JWT\"}", NULL, 0 },
		{ "{\"alg\":\"HS256\"}", NULL, 0 },
		{ "{\"alg\":\"hs256\",\"typ\":\"JWT\"}", NULL, -1 },         /* libjwt reads alg without regard to case */
		{ "{\"alg\":\"HS256 \"}", NULL, -1 },
		{ "{\"alg\":\"HS256\",\"typ\":\"jwt+x\"}", NULL, -1 },
		{ "{\"alg\":\"HS256\",\"alg\":\"HS256\"}", NULL, -1 },       /* a repeated member, even an agreeing one */
		{ "{\"alg\":\"HS256\",\"crit\":[\"b64\"]}", NULL, -1 },
		{ "[\"HS256\"]", NULL, -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"sub\":\"usr_admin\",\"exp\":4000000000}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"exp\":4000000000.0}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"exp\":\"4000000000\"}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"ver\":\"3\",\"exp\":4000000000}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"ver\":-1,\"exp\":4000000000}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_\xff\",\"exp\":4000000000}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"\",\"exp\":4000000000}", -1 },
		{ "{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\"}", -1 },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *t = signed_token(cases[i].header, cases[i].claims ? cases[i].claims : claims);
		memset(&c, 0, sizeof(c));
		int rc = token_verify(KEY, KEYLEN, t, 1000, &c);
		if (rc != cases[i].rc)
			fail_msg("case %zu (%s %s): %d", i, cases[i].header, cases[i].claims ? cases[i].claims : "", rc);
		if (rc == 0)
			assert_int_equal(c.ver, 3);
		free(t);
	}
	/* A token without "ver" (issued before versions) is of version 0. */
	char *t = signed_token("{\"alg\":\"HS256\"}", "{\"sub\":\"usr_abc\",\"exp\":4000000000}");
	assert_int_equal(token_verify(KEY, KEYLEN, t, 1000, &c), 0);
	assert_int_equal(c.ver, 0);
	/*
	 * The last character of a 32-byte signature carries 2 bits no decoder reads; a
	 * signature is compared as the text it must be, so changing them is a forgery too.
	 */
	size_t n = strlen(t);
	const char *alphabet = "AEIMQUYcgkosw048";  /* the characters whose low 2 bits are 0 */
	char last = t[n - 1];
	assert_non_null(strchr(alphabet, last));
	t[n - 1] = (char)(last == 'A' ? 'B' : last + 1);
	assert_int_equal(token_verify(KEY, KEYLEN, t, 1000, &c), -1);
	free(t);
}

static void passwords_are_yescrypt_hashes(void **state)
{
	char h[TF_PASSWORD_HASH], h2[TF_PASSWORD_HASH];
	(void)state;
	assert_int_equal(password_hash("correct horse battery", h, sizeof(h)), 0);
	assert_int_equal(strncmp(h, "$y$", 3), 0);
	assert_null(strstr(h, "correct horse"));
	assert_true(password_verify("correct horse battery", h));
	assert_false(password_verify("correct horse batterY", h));
	assert_false(password_verify("", h));
	assert_int_equal(password_hash("correct horse battery", h2, sizeof(h2)), 0);
	assert_string_not_equal(h, h2);  /* salted */
}

static void base64_decodes_strictly_and_within_bounds(void **state)
{
	struct buf b = BUF_INIT;
	(void)state;
	assert_int_equal(base64_decode("aGVsbG8=", 8, 100, &b), 0);
	assert_int_equal(b.len, 5);
	assert_memory_equal(b.data, "hello", 5);
	buf_reset(&b);
	assert_int_equal(base64_decode("aGVsbG8", 7, 100, &b), 0);  /* padding optional */
	assert_int_equal(b.len, 5);
	const char *bad[] = { "aGVs bG8=", "aGVsbG8*", "a", "aGVsbG9=", "aGVsbG8===" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		assert_int_equal(base64_decode(bad[i], strlen(bad[i]), 100, &b), -1);
	}
	buf_reset(&b);
	assert_int_equal(base64_decode("aGVsbG8=", 8, 4, &b), -1);  /* over the bound */
	struct buf e = BUF_INIT;
	base64_encode("hi!?", 4, &e);
	assert_string_equal(e.data, "aGkhPw==");
	buf_free(&e);
	buf_free(&b);
}

static void iso8601_durations_parse(void **state)
{
	int64_t ms;
	(void)state;
	struct { const char *s; int64_t ms; } ok[] = {
		{ "PT1H", 3600000 }, { "PT30M", 1800000 }, { "PT90S", 90000 }, { "P1D", 86400000 },
		{ "P1DT12H", 129600000 }, { "P1W", 604800000 }, { "PT0.5S", 500 }, { "PT1H30M15S", 5415000 },
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		assert_int_equal(iso8601_duration(ok[i].s, INT64_MAX, &ms), 0);
		assert_int_equal(ms, ok[i].ms);
	}
	const char *bad[] = { "", "P", "PT", "1H", "PT1D", "P1H", "PT-1H", "PTH", "PT1H1H", "PT1S1M", "P1DT", "PT0S" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(iso8601_duration(bad[i], INT64_MAX, &ms), -1);
	assert_int_equal(iso8601_duration("P400D", 366LL * 86400000, &ms), -1);
}

static void histogram_percentiles_stay_within_two_percent(void **state)
{
	uint64_t counts[HIST_BUCKETS] = { 0 };
	(void)state;
	/* 1..1000 ms, one each: p50 is 500, p95 950, p99 990. */
	for (int ms = 1; ms <= 1000; ms++)
		counts[hist_bucket(ms)]++;
	double want[][2] = { { 50, 500 }, { 95, 950 }, { 99, 990 }, { 100, 1000 } };
	for (size_t i = 0; i < 4; i++) {
		double got = hist_percentile(counts, want[i][0]);
		assert_true(fabs(got - want[i][1]) / want[i][1] <= 0.02);
	}
	uint64_t empty[HIST_BUCKETS] = { 0 };
	assert_true(hist_percentile(empty, 50) == 0);
	assert_int_equal(hist_bucket(0), 0);
	assert_int_equal(hist_bucket(-5), 0);
	assert_int_equal(hist_bucket(1e12), HIST_BUCKETS - 1);
	assert_true(hist_value(hist_bucket(900000)) > 800000);  /* the longest timeout fits */
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_token_verifies_until_it_expires),
	cmocka_unit_test(forged_tokens_are_refused),
	cmocka_unit_test(tokens_are_read_exactly_as_issued),
	cmocka_unit_test(passwords_are_yescrypt_hashes),
	cmocka_unit_test(base64_decodes_strictly_and_within_bounds),
	cmocka_unit_test(iso8601_durations_parse),
	cmocka_unit_test(histogram_percentiles_stay_within_two_percent),
};
UNIT_TABLE(unit_auth, tests);
