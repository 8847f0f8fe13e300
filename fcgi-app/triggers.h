/*
 * Triggers: what reaches a function besides the invoke endpoints — a public HTTP
 * route, a schedule, an event topic, a signed webhook, or nothing but invoke
 * (manual). One model for both surfaces: the platform API's Triggers API and the
 * TauFunctions `trigger` field.
 */
#ifndef TF_TRIGGERS_H
#define TF_TRIGGERS_H

#include <json-c/json.h>

#include "api.h"
#include "fn.h"
#include "schedule.h"

#define TF_TRIGGER_ID_LEN 20          /* "trigger-" and 12 characters */
#define TF_HOOK_TOKEN_LEN 43          /* the unguessable part of a webhook's URL */
#define TF_HOOK_SECRET_LEN 48
#define TF_DEFAULT_TRIGGERS_PER_FUNCTION 10

enum trigger_type { TRIG_HTTP, TRIG_SCHEDULED, TRIG_EVENT, TRIG_WEBHOOK, TRIG_MANUAL, TRIG__MAX };

/* The reference's names ("Http", "Scheduled", …) and Tau's ("http", "cron", …); -1 when neither. */
int trigger_type_parse(const char *s, enum trigger_type *out);
const char *trigger_type_name(enum trigger_type t);

/* What a new trigger is. config is validated and normalized by trigger_add; it stays the caller's. */
struct trigger_spec {
	enum trigger_type type;
	bool tau;             /* made by a TauFunctions `trigger` field (replaced by the next one) */
	json_object *target;  /* a version number or an alias name (string or integer), or NULL: the published version */
	json_object *config;
};

/*
 * Adds a trigger to f, whose row the caller's transaction holds locked: checks
 * the spec (details name config.<field>), the function's trigger limit and route
 * collisions (409). id gets its id; for a webhook, secret gets the secret shown
 * once. -1 with r->err set.
 */
int trigger_add(struct req *r, const struct fn *f, const struct trigger_spec *sp, char id[TF_TRIGGER_ID_LEN + 1],
                char *secret, size_t secretsz);
/* Inside the caller's transaction: removes the triggers a TauFunctions `trigger` field made for f. */
int trigger_remove_tau(struct req *r, const struct fn *f);
/* The trigger's public view; secret (NULL but at creation) is added for a webhook. */
int trigger_reply(struct req *r, int status, const struct fn *f, const char *id, const char *secret);
/* The trigger's list of a function: every trigger's public view. */
int trigger_list_json(struct req *r, const struct fn *f, json_object **out);

#endif
