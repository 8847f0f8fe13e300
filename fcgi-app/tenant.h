#ifndef TF_TENANT_H
#define TF_TENANT_H

#include "api.h"
#include "plan.h"

/*
 * Inside a transaction: locks the caller's tenant row, so that counting what
 * it owns and adding one more cannot race, and returns its plan's limits
 * (NULL for the operator tenant, which no plan binds).
 */
int tenant_lock(struct req *r, const struct plan_limits **limits);
/* What a plan counts. */
enum plan_item { PLAN_FUNCTIONS, PLAN_API_KEYS };

/*
 * Inside a transaction: locks the tenant and counts its live items of one kind;
 * -1 with 403 PLAN_LIMIT_EXCEEDED when one more would pass the plan. *limits gets
 * the plan's limits (NULL for the operator tenant).
 */
int tenant_has_room(struct req *r, enum plan_item item, const struct plan_limits **limits);
/* The plan limits of the caller, as known from authentication. */
const struct plan_limits *tenant_limits(const struct req *r);

#endif
