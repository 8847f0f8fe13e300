#include <string.h>

#include "plan.h"

static const struct plan_limits plans[] = {
	{ "free", 10, 100, 1 },
	{ "pro", 1000, 1000000, 20 },
};

const struct plan_limits *plan_find(const char *name)
{
	for (size_t i = 0; name && i < sizeof(plans) / sizeof(plans[0]); i++)
		if (strcmp(name, plans[i].name) == 0)
			return &plans[i];
	return NULL;
}

json_object *plan_limits_json(const struct plan_limits *p)
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "functions", json_object_new_int64(p->functions));
	json_object_object_add(o, "invocationsPerDay", json_object_new_int64(p->invocations_per_day));
	json_object_object_add(o, "apiKeys", json_object_new_int64(p->api_keys));
	return o;
}
