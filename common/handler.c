#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "handler.h"

/* Where the module part ends: index of the separating dot, or -1. */
static long module_end(const char *h, enum tf_language lang)
{
	if (lang == TF_LANG_PYTHON) {
		const char *dot = strrchr(h, '.');
		return dot ? dot - h : -1;
	}
	const char *slash = strrchr(h, '/');
	const char *dot = strchr(slash ? slash : h, '.');
	return dot ? dot - h : -1;
}

static bool ident_char(char c, bool first)
{
	return c == '_' || c == '$' || isalpha((unsigned char)c) || (!first && isdigit((unsigned char)c));
}

int handler_check(const char *h, enum tf_language lang, char *why, size_t whysz)
{
	size_t n = strlen(h);
	long end = module_end(h, lang);

	if (n == 0 || n > TF_MAX_HANDLER) {
		snprintf(why, whysz, "handler must be 1-%d characters", TF_MAX_HANDLER);
		return -1;
	}
	if (end <= 0 || (size_t)end + 1 >= n) {
		snprintf(why, whysz, "handler must look like %s",
		         lang == TF_LANG_NODE ? "file.function (index.handler)" : "module.function (main.handler)");
		return -1;
	}
	/* Module part: path segments of [A-Za-z0-9_-], never empty, never "." or "..". */
	size_t seg = 0;
	for (long i = 0; i < end; i++) {
		char c = h[i];
		bool sep = c == '/' || (lang == TF_LANG_PYTHON && c == '.');
		if (sep) {
			if (seg == 0)
				goto bad_module;
			seg = 0;
		} else if (isalnum((unsigned char)c) || c == '_' || c == '-') {
			seg++;
		} else {
			goto bad_module;
		}
	}
	if (seg == 0)
		goto bad_module;
	/* Function part: identifiers, dotted for Node's nested properties. */
	bool first = true;
	for (size_t i = (size_t)end + 1; i < n; i++) {
		if (h[i] == '.' && lang == TF_LANG_NODE && !first) {
			first = true;
			continue;
		}
		if (!ident_char(h[i], first) || (lang == TF_LANG_PYTHON && h[i] == '$'))
			goto bad_function;
		first = false;
	}
	if (first)
		goto bad_function;
	return 0;
bad_module:
	snprintf(why, whysz, "handler's module part may hold only letters, digits, '_', '-' and '/' between names");
	return -1;
bad_function:
	snprintf(why, whysz, "handler's function part must be an identifier");
	return -1;
}

/* True if the text at p starts with word followed by a non-identifier character. */
static bool keyword_at(const char *p, const char *word)
{
	size_t n = strlen(word);
	return strncmp(p, word, n) == 0 && !ident_char(p[n], false);
}

bool js_is_esm(const char *code)
{
	/*
	 * Only statements at the start of a line count: `import x from`, `import {`,
	 * `import "m"`, `export ...`. `import(` is a dynamic import, which CommonJS
	 * has too. Text inside comments and strings can fool this, as it would fool
	 * any check short of a parser; an ESM handler can always say so by name.
	 */
	for (const char *line = code; line && *line; line = strchr(line, '\n'), line = line ? line + 1 : NULL) {
		const char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (keyword_at(p, "export"))
			return true;
		if (keyword_at(p, "import")) {
			p += 6;
			while (*p == ' ' || *p == '\t')
				p++;
			if (*p != '(' && *p != '.')
				return true;
		}
	}
	return false;
}

int handler_inline_file(const char *h, enum tf_language lang, const char *code, char *out,
                        size_t outsz)
{
	long end = module_end(h, lang);
	int n;

	if (end <= 0)
		return -1;
	if (lang == TF_LANG_NODE) {
		n = snprintf(out, outsz, "%.*s.%s", (int)end, h, js_is_esm(code) ? "mjs" : "js");
	} else {
		n = snprintf(out, outsz, "%.*s.py", (int)end, h);
		for (long i = 0; i < end && i < (long)outsz; i++)
			if (out[i] == '.')
				out[i] = '/';
	}
	return n > 0 && (size_t)n < outsz ? 0 : -1;
}
