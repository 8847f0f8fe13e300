/*
 * The one error type. A handler fills a tf_error and returns -1; the surface the
 * request came through (TauFunctions or the platform API) renders it in its own
 * format, so an error kind is named once and shown correctly on both.
 */
#ifndef TF_ERROR_H
#define TF_ERROR_H

#include <json-c/json.h>
#include "tf.h"

enum tf_errkind {
	TF_OK = 0,
	TF_E_VALIDATION,          /* bad input; details[] names the fields */
	TF_E_INVALID_CODE,        /* code package (ZIP) rejected */
	TF_E_UNAUTHORIZED,        /* missing or invalid credentials */
	TF_E_FORBIDDEN,           /* authenticated, but the role may not do this */
	TF_E_PLAN_LIMIT,          /* the tenant's plan does not allow more */
	TF_E_NOT_FOUND,
	TF_E_METHOD,              /* route exists, method does not */
	TF_E_CONFLICT,            /* name taken, resource in use */
	TF_E_NOT_DEPLOYED,        /* invoke before any deploy */
	TF_E_TOO_LARGE,
	TF_E_MEDIA_TYPE,          /* a body that is not application/json */
	TF_E_RATE_LIMIT,          /* per-identity request rate */
	TF_E_THROTTLED,           /* concurrency or queue limit */
	TF_E_INTERNAL,
	TF_E_UNAVAILABLE,         /* a dependency (MariaDB, Redis, runners) is down */
	TF_E_RUNTIME_UNAVAILABLE, /* no runner has the function's interpreter */
	TF_E__MAX
};

enum tf_surface {
	TF_SURFACE_TAU,       /* /api/signup, /api/keys, /api/billing, /saas/api/v1/sdk/tau */
	TF_SURFACE_PLATFORM,  /* /api/v1 */
};

struct tf_error {
	enum tf_errkind kind;
	char message[512];
	json_object *details;  /* array of {field, message}, or NULL */
	int retry_after;       /* seconds, sent as Retry-After when > 0 */
	char help[512];        /* the next step (a URL to call or read), sent as "help" when set */
};

/* Sets the error and returns -1, so a handler can `return tf_fail(...)`. */
int tf_fail(struct tf_error *e, enum tf_errkind kind, const char *fmt, ...) TF_PRINTF(3, 4);
/* Adds one field-level detail (kind must be set separately or already). */
void tf_detail(struct tf_error *e, const char *field, const char *fmt, ...) TF_PRINTF(3, 4);
void tf_error_reset(struct tf_error *e);
/* Sets what the caller can do next ("POST https://host/api/signup to get an API key"). */
void tf_help(struct tf_error *e, const char *fmt, ...) TF_PRINTF(2, 3);
/* Adds from's details to e, each field named "<prefix>.<field>" (a nested object's fields). */
void tf_details_merge(struct tf_error *e, const struct tf_error *from, const char *prefix);
int tf_error_status(enum tf_errkind kind, enum tf_surface surface);
const char *tf_error_code(enum tf_errkind kind);

#endif
