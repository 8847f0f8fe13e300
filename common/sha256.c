#include <openssl/evp.h>
#include <stdlib.h>

#include "sha256.h"

void sha256_hex(const void *p, size_t n, char out[TF_SHA256_HEX + 1])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (EVP_Digest(p, n, md, &mdlen, EVP_sha256(), NULL) != 1 || mdlen != sizeof(md))
		abort();
	for (size_t i = 0; i < sizeof(md); i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[TF_SHA256_HEX] = '\0';
}
