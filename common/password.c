#include <crypt.h>
#include <stdlib.h>
#include <string.h>

#include "password.h"
#include "xalloc.h"

int password_hash(const char *password, char *out, size_t outsz)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	int rc = -1;

	/* NULL random bytes: libxcrypt takes them from the kernel. 0: yescrypt's default cost. */
	if (crypt_gensalt_rn("$y$", 0, NULL, 0, salt, sizeof(salt)) == NULL)
		goto out;
	const char *h = crypt_rn(password, salt, data, (int)sizeof(*data));
	if (h == NULL || h[0] != '$' || strlen(h) >= outsz)
		goto out;
	memcpy(out, h, strlen(h) + 1);
	rc = 0;
out:
	explicit_bzero(data, sizeof(*data));
	free(data);
	return rc;
}

bool password_verify(const char *password, const char *hash)
{
	struct crypt_data *data = xcalloc(1, sizeof(*data));
	bool ok = false;

	const char *h = crypt_rn(password, hash, data, (int)sizeof(*data));
	if (h != NULL && h[0] == '$') {
		size_t n = strlen(hash);
		unsigned diff = (unsigned)(strlen(h) ^ n);
		for (size_t i = 0; i < n && h[i]; i++)
			diff |= (unsigned)(h[i] ^ hash[i]);
		ok = diff == 0;
	}
	explicit_bzero(data, sizeof(*data));
	free(data);
	return ok;
}
