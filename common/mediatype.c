#include <ctype.h>
#include <string.h>
#include <strings.h>

#include "mediatype.h"

#define JSON_TYPE "application/json"

/* RFC 9110 token characters. */
static bool tchar(char c)
{
	return isalnum((unsigned char)c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *skip_ows(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* A parameter's value, token or quoted-string, into out (cut to outsz); NULL when malformed. */
static const char *param_value(const char *p, char *out, size_t outsz)
{
	size_t n = 0;

	if (*p != '"') {
		while (tchar(*p)) {
			if (n + 1 < outsz)
				out[n++] = *p;
			p++;
		}
		out[n] = '\0';
		return n ? p : NULL;
	}
	for (p++; *p != '"'; p++) {
		if (*p == '\0')
			return NULL;
		if (*p == '\\' && *++p == '\0')
			return NULL;
		if (n + 1 < outsz)
			out[n++] = *p;
	}
	out[n] = '\0';
	return p + 1;
}

bool media_type_is_json(const char *ct)
{
	if (ct == NULL)
		return false;
	const char *p = skip_ows(ct);
	if (strncasecmp(p, JSON_TYPE, strlen(JSON_TYPE)) != 0)
		return false;
	p += strlen(JSON_TYPE);
	for (;;) {
		p = skip_ows(p);
		if (*p == '\0')
			return true;
		if (*p++ != ';')
			return false;
		p = skip_ows(p);
		if (*p == '\0' || *p == ';')
			continue;
		const char *name = p;
		while (tchar(*p))
			p++;
		size_t namelen = (size_t)(p - name);
		char value[32];
		if (namelen == 0 || *p++ != '=' || (p = param_value(p, value, sizeof(value))) == NULL)
			return false;
		if (namelen == strlen("charset") && strncasecmp(name, "charset", namelen) == 0 &&
		    strcasecmp(value, "utf-8") != 0)
			return false;
	}
}
