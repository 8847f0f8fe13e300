#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "error.h"

static const struct {
	const char *code;
	int platform_status;
	int tau_status;  /* TauFunctions answers validation errors with 422 */
} kinds[TF_E__MAX] = {
	[TF_OK]                    = { "OK", 200, 200 },
	[TF_E_VALIDATION]          = { "VALIDATION_ERROR", 400, 422 },
	[TF_E_INVALID_CODE]        = { "INVALID_CODE_PACKAGE", 400, 422 },
	[TF_E_UNAUTHORIZED]        = { "UNAUTHORIZED", 401, 401 },
	[TF_E_FORBIDDEN]           = { "FORBIDDEN", 403, 403 },
	[TF_E_PLAN_LIMIT]          = { "PLAN_LIMIT_EXCEEDED", 403, 403 },
	[TF_E_NOT_FOUND]           = { "NOT_FOUND", 404, 404 },
	[TF_E_METHOD]              = { "METHOD_NOT_ALLOWED", 405, 405 },
	[TF_E_CONFLICT]            = { "CONFLICT", 409, 409 },
	[TF_E_NOT_DEPLOYED]        = { "NOT_DEPLOYED", 409, 409 },
	[TF_E_TOO_LARGE]           = { "PAYLOAD_TOO_LARGE", 413, 413 },
	[TF_E_MEDIA_TYPE]          = { "UNSUPPORTED_MEDIA_TYPE", 415, 415 },
	[TF_E_RATE_LIMIT]          = { "RATE_LIMIT_EXCEEDED", 429, 429 },
	[TF_E_THROTTLED]           = { "TOO_MANY_REQUESTS", 429, 429 },
	[TF_E_INTERNAL]            = { "INTERNAL_ERROR", 500, 500 },
	[TF_E_UNAVAILABLE]         = { "SERVICE_UNAVAILABLE", 503, 503 },
	[TF_E_RUNTIME_UNAVAILABLE] = { "RUNTIME_UNAVAILABLE", 503, 503 },
};

int tf_fail(struct tf_error *e, enum tf_errkind kind, const char *fmt, ...)
{
	va_list ap;

	e->kind = kind;
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -1;
}

void tf_detail(struct tf_error *e, const char *field, const char *fmt, ...)
{
	va_list ap;
	char msg[256];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (e->details == NULL)
		e->details = json_object_new_array();
	json_object *d = json_object_new_object();
	json_object_object_add(d, "field", json_object_new_string(field));
	json_object_object_add(d, "message", json_object_new_string(msg));
	json_object_array_add(e->details, d);
}

void tf_details_merge(struct tf_error *e, const struct tf_error *from, const char *prefix)
{
	size_t n = from->details ? json_object_array_length(from->details) : 0;

	for (size_t i = 0; i < n; i++) {
		json_object *d = json_object_array_get_idx(from->details, i), *f = NULL, *m = NULL;
		json_object_object_get_ex(d, "field", &f);
		json_object_object_get_ex(d, "message", &m);
		char field[192];
		snprintf(field, sizeof(field), "%s.%s", prefix, f ? json_object_get_string(f) : "");
		tf_detail(e, field, "%s", m ? json_object_get_string(m) : "");
	}
}

void tf_help(struct tf_error *e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(e->help, sizeof(e->help), fmt, ap);
	va_end(ap);
}

void tf_error_reset(struct tf_error *e)
{
	json_object_put(e->details);
	memset(e, 0, sizeof(*e));
}

int tf_error_status(enum tf_errkind kind, enum tf_surface surface)
{
	if (kind <= TF_OK || kind >= TF_E__MAX)
		kind = TF_E_INTERNAL;
	return surface == TF_SURFACE_TAU ? kinds[kind].tau_status : kinds[kind].platform_status;
}

const char *tf_error_code(enum tf_errkind kind)
{
	if (kind <= TF_OK || kind >= TF_E__MAX)
		kind = TF_E_INTERNAL;
	return kinds[kind].code;
}
