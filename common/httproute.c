#include <stdio.h>
#include <string.h>

#include "httproute.h"
#include "strfmt.h"
#include "textsafe.h"
#include "tf.h"

/* In the order of specificity: a literal is the most specific. */
enum seg_kind { SEG_LITERAL, SEG_PARAM, SEG_GREEDY };

struct seg {
	enum seg_kind kind;
	const char *s;   /* a literal's text or a parameter's name; for a path, the text taken */
	size_t n;
	size_t raw;      /* the segment's length in the pattern, braces included */
};


/* Reads the segment at p (just past a '/'); returns where the next one starts, or NULL at the end. */
static const char *next_seg(const char *p, struct seg *g)
{
	const char *end = strchr(p, '/');
	size_t n = end ? (size_t)(end - p) : strlen(p);

	*g = (struct seg){ SEG_LITERAL, p, n, n };
	if (n >= 2 && p[0] == '{' && p[n - 1] == '}') {
		g->kind = SEG_PARAM;
		g->s = p + 1;
		g->n = n - 2;
		if (g->n > 0 && g->s[g->n - 1] == '+') {
			g->kind = SEG_GREEDY;
			g->n--;
		}
	}
	return end ? end + 1 : NULL;
}

/* The segments of a pattern, at most max: their count ("/" has none), or -1. */
static int split(const char *pattern, struct seg *segs, size_t max)
{
	size_t k = 0;

	/* A name is copied into a buffer of this size: anything longer is no pattern. */
	if (pattern == NULL || pattern[0] != '/' || strnlen(pattern, TF_ROUTE_MAX_PATTERN + 1) > TF_ROUTE_MAX_PATTERN)
		return -1;
	if (pattern[1] == '\0')
		return 0;
	for (const char *p = pattern + 1; p != NULL; k++) {
		if (k == max)
			return -1;
		p = next_seg(p, &segs[k]);
	}
	return (int)k;
}

/* ASCII only, whatever the locale says a letter is. */
static bool ascii_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool ascii_alnum(char c)
{
	return ascii_alpha(c) || (c >= '0' && c <= '9');
}

/* RFC 3986's unreserved characters: nothing in them needs escaping or means anything. */
static bool unreserved(char c)
{
	return ascii_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool param_name_ok(const char *s, size_t n)
{
	if (n == 0 || !(ascii_alpha(s[0]) || s[0] == '_'))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!ascii_alnum(s[i]) && s[i] != '_')
			return false;
	return true;
}

static int check_literal(const struct seg *g, bool last, char *why, size_t whysz)
{
	if (g->n == 0 && last)
		return why_fail(why, whysz, "must not end with '/' (only the root \"/\" does)");
	if (g->n == 0)
		return why_fail(why, whysz, "must not have an empty segment (\"//\")");
	if ((g->n == 1 && g->s[0] == '.') || (g->n == 2 && g->s[0] == '.' && g->s[1] == '.'))
		return why_fail(why, whysz, "must not have a \".\" or \"..\" segment");
	for (size_t i = 0; i < g->n; i++) {
		unsigned char c = (unsigned char)g->s[i];
		if (unreserved((char)c))
			continue;
		if (c == '{' || c == '}')
			return why_fail(why, whysz, "must have each {parameter} as a whole segment");
		if (c >= 0x20 && c < 0x7f)
			return why_fail(why, whysz, "has '%c', which a path segment may not hold (only A-Z a-z 0-9 . _ ~ -)", c);
		return why_fail(why, whysz, "has byte 0x%02x, which a path segment may not hold (only A-Z a-z 0-9 . _ ~ -)", c);
	}
	return 0;
}

int route_pattern_check(const char *pattern, char *why, size_t whysz)
{
	struct seg segs[TF_ROUTE_MAX_SEGMENTS];
	size_t len = pattern ? strnlen(pattern, TF_ROUTE_MAX_PATTERN + 1) : 0;
	const char *bad;

	if (len == 0)
		return why_fail(why, whysz, "must not be empty");
	if (len > TF_ROUTE_MAX_PATTERN)
		return why_fail(why, whysz, "must be at most %d characters long", TF_ROUTE_MAX_PATTERN);
	if (pattern[0] != '/')
		return why_fail(why, whysz, "must start with '/'");
	/* Named before anything else: each is a mistake of its own, not a stray character. */
	if ((bad = strpbrk(pattern, "?#%")) != NULL)
		return why_fail(why, whysz, "%s", *bad == '?' ? "must not have a query string ('?')" :
		            *bad == '#' ? "must not have a fragment ('#')" : "must not have percent-escapes ('%')");
	if (len == 1)
		return 0;
	size_t k = 0;
	for (const char *p = pattern + 1; p != NULL; k++) {
		if (k == TF_ROUTE_MAX_SEGMENTS)
			return why_fail(why, whysz, "must have at most %d segments", TF_ROUTE_MAX_SEGMENTS);
		const char *next = next_seg(p, &segs[k]);
		const struct seg *g = &segs[k];
		if (g->kind == SEG_LITERAL) {
			if (check_literal(g, next == NULL, why, whysz) != 0)
				return -1;
		} else if (!param_name_ok(g->s, g->n)) {
			return why_fail(why, whysz, "has the parameter \"%.*s\", whose name is not [A-Za-z_][A-Za-z0-9_]*",
			            (int)g->raw, p);
		} else if (g->kind == SEG_GREEDY && next != NULL) {
			return why_fail(why, whysz, "must have its greedy parameter \"%.*s\" as the last segment", (int)g->raw, p);
		} else {
			for (size_t j = 0; j < k; j++)
				if (segs[j].kind != SEG_LITERAL && segs[j].n == g->n && memcmp(segs[j].s, g->s, g->n) == 0)
					return why_fail(why, whysz, "uses the parameter name \"%.*s\" twice", (int)g->n, g->s);
		}
		p = next;
	}
	return 0;
}

static void add_param(json_object *params, const struct seg *name, const struct seg *value)
{
	char key[TF_ROUTE_MAX_PATTERN + 1];
	struct buf b = BUF_INIT;

	memcpy(key, name->s, name->n);
	key[name->n] = '\0';
	utf8_repair(&b, value->s, value->n);
	json_object_object_add(params, key, json_object_new_string_len(b.data ? b.data : "", (int)b.len));
	buf_free(&b);
}

bool route_pattern_match(const char *pattern, const char *path, json_object *params)
{
	struct seg segs[TF_ROUTE_MAX_SEGMENTS], taken[TF_ROUTE_MAX_SEGMENTS];
	int n = split(pattern, segs, TF_ROUTE_MAX_SEGMENTS);

	if (n < 0 || path == NULL || path[0] != '/' || strnlen(path, TF_ROUTE_MAX_PATH + 1) > TF_ROUTE_MAX_PATH)
		return false;
	/* p: where the path's next segment starts; NULL once the path has been used up. */
	const char *p = path + 1;
	if (n == 0)
		return *p == '\0';
	for (int i = 0; i < n; i++) {
		if (p == NULL)
			return false;
		if (segs[i].kind == SEG_GREEDY) {
			if (*p == '\0')
				return false;
			taken[i] = (struct seg){ SEG_GREEDY, p, strlen(p), 0 };
			p = NULL;
			break;
		}
		const char *end = strchr(p, '/');
		size_t len = end ? (size_t)(end - p) : strlen(p);
		if (segs[i].kind == SEG_LITERAL ? len != segs[i].n || memcmp(p, segs[i].s, len) != 0 : len == 0)
			return false;
		taken[i] = (struct seg){ segs[i].kind, p, len, 0 };
		p = end ? end + 1 : NULL;
	}
	/* What is left, if only a trailing '/', is a path this pattern does not name. */
	if (p != NULL)
		return false;
	for (int i = 0; params != NULL && i < n; i++)
		if (segs[i].kind != SEG_LITERAL)
			add_param(params, &segs[i], &taken[i]);
	return true;
}

static int literal_cmp(const struct seg *a, const struct seg *b)
{
	int c = memcmp(a->s, b->s, a->n < b->n ? a->n : b->n);
	return c != 0 ? c : (a->n > b->n) - (a->n < b->n);
}

int route_specificity_cmp(const char *a, const char *b)
{
	struct seg sa[TF_ROUTE_MAX_SEGMENTS], sb[TF_ROUTE_MAX_SEGMENTS];
	int na = split(a, sa, TF_ROUTE_MAX_SEGMENTS), nb = split(b, sb, TF_ROUTE_MAX_SEGMENTS);

	na = na < 0 ? 0 : na;
	nb = nb < 0 ? 0 : nb;
	/* API Gateway's first rule: any full match wins over a greedy one. */
	bool ga = na > 0 && sa[na - 1].kind == SEG_GREEDY, gb = nb > 0 && sb[nb - 1].kind == SEG_GREEDY;
	if (ga != gb)
		return ga ? 1 : -1;
	for (int i = 0; i < na && i < nb; i++) {
		if (sa[i].kind != sb[i].kind)
			return sa[i].kind < sb[i].kind ? -1 : 1;
		if (sa[i].kind == SEG_LITERAL) {
			int c = literal_cmp(&sa[i], &sb[i]);
			if (c != 0)
				return c;
		}
	}
	return nb - na;
}

bool route_patterns_overlap(const char *a, const char *b)
{
	/* Only patterns of one shape tie, and those match exactly the same paths. */
	return route_specificity_cmp(a, b) == 0;
}
