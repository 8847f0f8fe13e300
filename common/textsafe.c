#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "textsafe.h"

static const char REPLACEMENT[] = "\xef\xbf\xbd";  /* U+FFFD */

/* The length of the character at p, or 0 when it is not UTF-8 or a NUL (which ends C text). */
static size_t text_char(const unsigned char *p, size_t n)
{
	return p[0] == 0 ? 0 : utf8_char(p, n);
}

void utf8_repair(struct buf *out, const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t run = 0;  /* valid bytes not yet copied, ending at i */

	for (size_t i = 0; i < n;) {
		size_t k = text_char(p + i, n - i);
		if (k > 0) {
			i += k, run += k;
			continue;
		}
		buf_append(out, p + i - run, run);
		buf_append(out, REPLACEMENT, sizeof(REPLACEMENT) - 1);
		run = 0;
		i++;
	}
	buf_append(out, p + n - run, run);
}

char *text_bounded(const char *s, size_t n, size_t max)
{
	struct buf b = BUF_INIT;
	char marker[48];

	utf8_repair(&b, s, n);
	if (b.len <= max) {
		buf_putc(&b, '\0');  /* an empty text still gets its allocation */
		b.len--;
		return buf_steal(&b);
	}
	/* The marker is sized for the whole length, which is at least what is dropped. */
	int mlen = snprintf(marker, sizeof(marker), " \xe2\x80\xa6[%zu bytes truncated]", b.len);
	size_t cut = max > (size_t)mlen ? max - (size_t)mlen : 0;
	while (cut > 0 && ((unsigned char)b.data[cut] & 0xc0) == 0x80)
		cut--;  /* never inside a character */
	snprintf(marker, sizeof(marker), " \xe2\x80\xa6[%zu bytes truncated]", b.len - cut);
	b.len = cut;
	buf_puts(&b, marker);
	return buf_steal(&b);
}

static void add_bounded(json_object *o, const char *key, const char *s, size_t n, size_t max)
{
	char *t = text_bounded(s, n, max);
	json_object_object_add(o, key, json_object_new_string(t));
	free(t);
}

/* An array of the strings of v (anything else in it is left out), bounded. */
static json_object *frames_bounded(json_object *v)
{
	json_object *out = json_object_new_array();
	size_t n = json_object_is_type(v, json_type_array) ? json_object_array_length(v) : 0;

	for (size_t i = 0, kept = 0; i < n && kept < TF_MAX_STACK_FRAMES; i++) {
		json_object *f = json_object_array_get_idx(v, i);
		if (!json_object_is_type(f, json_type_string))
			continue;
		char *t = text_bounded(json_object_get_string(f), (size_t)json_object_get_string_len(f), TF_MAX_STACK_FRAME);
		json_object_array_add(out, json_object_new_string(t));
		free(t);
		kept++;
	}
	return out;
}

json_object *error_bounded(json_object *err)
{
	json_object *e = json_object_new_object();
	json_object *type = jget(err, "errorType"), *msg = jget(err, "errorMessage");
	bool object = json_object_is_type(err, json_type_object);

	if (object && json_object_is_type(type, json_type_string) && json_object_get_string_len(type) > 0)
		add_bounded(e, "errorType", json_object_get_string(type), (size_t)json_object_get_string_len(type),
		            TF_MAX_ERROR_TYPE);
	else
		jadd_str(e, "errorType", "Runtime.Unknown");
	if (object && json_object_is_type(msg, json_type_string))
		add_bounded(e, "errorMessage", json_object_get_string(msg), (size_t)json_object_get_string_len(msg),
		            TF_MAX_ERROR_MESSAGE);
	else
		jadd_str(e, "errorMessage", "");
	json_object_object_add(e, "stackTrace", frames_bounded(object ? jget(err, "stackTrace") : NULL));
	/* Node's runtime on Lambda names its frames "trace"; kept when a runtime sends it. */
	if (object && jget(err, "trace"))
		json_object_object_add(e, "trace", frames_bounded(jget(err, "trace")));
	return e;
}
