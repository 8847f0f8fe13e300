/* Passwords, stored only as libxcrypt yescrypt hashes. */
#ifndef TF_PASSWORD_H
#define TF_PASSWORD_H

#include <stdbool.h>
#include <stddef.h>

#define TF_MIN_PASSWORD 12
#define TF_MAX_PASSWORD 256
#define TF_PASSWORD_HASH 256

/* A new "$y$…" hash of password into out; 0 or -1. */
int password_hash(const char *password, char *out, size_t outsz);
/* Whether password matches the stored hash; compares in constant time. */
bool password_verify(const char *password, const char *hash);

#endif
