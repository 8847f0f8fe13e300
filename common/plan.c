#include <stdio.h>
#include <string.h>

#include "plan.h"
#include "tf.h"

/*
 * The reference's free plan, and a pro plan. Concurrency bounds how many of a
 * tenant's invocations run at once, so that no tenant holds every API thread or
 * runner slot; code bytes bound what a tenant keeps in code packages.
 */
static struct plan_limits plans[] = {
	{ "free", 10, 100, 1, 10, 512 * TF_MIB },
	{ "pro", 1000, 1000000, 20, 25, 10240 * TF_MIB },
};

void plan_configure(const struct config *cfg)
{
	char key[64];

	for (size_t i = 0; i < TF_ARRAY_LEN(plans); i++) {
		snprintf(key, sizeof(key), "%s_concurrency", plans[i].name);
		plans[i].concurrency = config_int(cfg, "plans", key, plans[i].concurrency, 1, 1000000);
		snprintf(key, sizeof(key), "%s_code_mb", plans[i].name);
		plans[i].code_bytes = config_int(cfg, "plans", key, plans[i].code_bytes / TF_MIB, 1, 1LL << 30) * TF_MIB;
	}
}

const struct plan_limits *plan_find(const char *name)
{
	for (size_t i = 0; name && i < TF_ARRAY_LEN(plans); i++)
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
