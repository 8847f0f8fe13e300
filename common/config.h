/*
 * The INI configuration both daemons read. Every key can be overridden by the
 * environment variable TF_<SECTION>_<KEY> (see docs/configuration.md).
 */
#ifndef TF_CONFIG_H
#define TF_CONFIG_H

#include <stdbool.h>

#define TF_DEFAULT_CONFIG "/etc/taufunctions/taufunctions.conf"

struct config;

/* Returns NULL and a reason in err when the file cannot be read or parsed. */
struct config *config_load(const char *path, char *err, size_t errsz);
void config_free(struct config *c);
const char *config_str(const struct config *c, const char *section, const char *key,
                       const char *def);
/* Dies (start-up only) if the value is present but not a number in range. */
long long config_int(const struct config *c, const char *section, const char *key,
                     long long def, long long min, long long max);
bool config_bool(const struct config *c, const char *section, const char *key, bool def);
/* The name of the variable that overrides section.key, into out. */
void config_env_name(const char *section, const char *key, char *out, size_t n);

#endif
