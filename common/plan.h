/* What each plan allows. The operator tenant is bound by none of it. */
#ifndef TF_PLAN_H
#define TF_PLAN_H

#include <json-c/json.h>

#include "config.h"

struct plan_limits {
	const char *name;
	long long functions;
	long long invocations_per_day;
	long long api_keys;
	long long concurrency;   /* invocations of the tenant running at once ([plans] <name>_concurrency) */
	long long code_bytes;    /* code packages stored for the tenant ([plans] <name>_code_mb) */
};

/* Reads the plans' configurable limits; once, at start-up, before any request. */
void plan_configure(const struct config *cfg);
/* "free" or "pro"; NULL for anything else. */
const struct plan_limits *plan_find(const char *name);
/* {"functions":10,"invocationsPerDay":100,"apiKeys":1} */
json_object *plan_limits_json(const struct plan_limits *p);

#endif
