#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#define CONFIG_MAX_LINE 4096
#define CONFIG_MAX_ENTRIES 512

struct entry {
	char *section;
	char *key;
	char *value;
};

struct config {
	struct entry *e;
	size_t n;
};

static char *trim(char *s)
{
	while (isspace((unsigned char)*s))
		s++;
	size_t n = strlen(s);
	while (n > 0 && isspace((unsigned char)s[n - 1]))
		s[--n] = '\0';
	return s;
}

struct config *config_load(const char *path, char *err, size_t errsz)
{
	struct config *c = xcalloc(1, sizeof(*c));
	char line[CONFIG_MAX_LINE], section[128] = "";
	int lineno = 0;

	if (path == NULL)
		return c;  /* defaults and environment only */
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		snprintf(err, errsz, "%s: %s", path, strerror(errno));
		goto fail;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			snprintf(err, errsz, "%s:%d: line too long", path, lineno);
			goto fail_file;
		}
		char *s = trim(line);
		if (*s == '\0' || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			char *end = strchr(s, ']');
			if (end == NULL || end[1] != '\0' || (size_t)(end - s - 1) >= sizeof(section)) {
				snprintf(err, errsz, "%s:%d: bad section header", path, lineno);
				goto fail_file;
			}
			*end = '\0';
			snprintf(section, sizeof(section), "%s", trim(s + 1));
			continue;
		}
		char *eq = strchr(s, '=');
		if (eq == NULL || section[0] == '\0') {
			snprintf(err, errsz, "%s:%d: expected key = value inside a section", path, lineno);
			goto fail_file;
		}
		if (c->n == CONFIG_MAX_ENTRIES) {
			snprintf(err, errsz, "%s: too many entries", path);
			goto fail_file;
		}
		*eq = '\0';
		c->e = xrealloc(c->e, (c->n + 1) * sizeof(*c->e));
		c->e[c->n].section = xstrdup(section);
		c->e[c->n].key = xstrdup(trim(s));
		c->e[c->n].value = xstrdup(trim(eq + 1));
		c->n++;
	}
	fclose(f);
	return c;
fail_file:
	fclose(f);
fail:
	config_free(c);
	return NULL;
}

void config_free(struct config *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->n; i++) {
		free(c->e[i].section);
		free(c->e[i].key);
		free(c->e[i].value);
	}
	free(c->e);
	free(c);
}

void config_env_name(const char *section, const char *key, char *out, size_t n)
{
	size_t j = 0;
	const char *parts[2] = { section, key };

	if (n == 0)
		return;
	for (const char *p = "TF_"; *p && j + 1 < n; p++)
		out[j++] = *p;
	for (int k = 0; k < 2; k++) {
		if (k == 1 && j + 1 < n)
			out[j++] = '_';
		for (const char *p = parts[k]; *p && j + 1 < n; p++)
			out[j++] = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
	}
	out[j] = '\0';
}

const char *config_str(const struct config *c, const char *section, const char *key,
                       const char *def)
{
	char name[256];

	config_env_name(section, key, name, sizeof(name));
	const char *env = getenv(name);
	if (env != NULL)
		return env;
	/* The last assignment in the file wins, as in most INI readers. */
	for (size_t i = c->n; i-- > 0;) {
		if (strcmp(c->e[i].section, section) == 0 && strcmp(c->e[i].key, key) == 0)
			return c->e[i].value;
	}
	return def;
}

long long config_int(const struct config *c, const char *section, const char *key,
                     long long def, long long min, long long max)
{
	const char *s = config_str(c, section, key, NULL);
	long long v;

	if (s == NULL || *s == '\0')
		return def;
	if (parse_ll(s, min, max, &v) != 0)
		fatal("config %s.%s: \"%s\" is not a whole number from %lld to %lld", section, key, s,
		      min, max);
	return v;
}

bool config_bool(const struct config *c, const char *section, const char *key, bool def)
{
	const char *s = config_str(c, section, key, NULL);

	if (s == NULL || *s == '\0')
		return def;
	if (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0 ||
	    strcmp(s, "on") == 0)
		return true;
	if (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0 ||
	    strcmp(s, "off") == 0)
		return false;
	fatal("config %s.%s: \"%s\" is not true or false", section, key, s);
}
