/* Every route handler, by resource file. */
#ifndef TF_HANDLERS_H
#define TF_HANDLERS_H

#include <json-c/json.h>
#include <stdbool.h>

struct req;

/* health.c */
int health_get(struct req *r);
/* Waiting work {sync, async}, with the deepest functions' async backlogs when per_function. */
json_object *queue_depth_json(struct req *r, bool per_function);
/* tau.c */
int tau_signup(struct req *r);
int tau_signup_limits(struct req *r);
int tau_billing_upgrade(struct req *r);
int tau_keys_create(struct req *r);
int tau_keys_list(struct req *r);
int tau_keys_delete(struct req *r);
int tau_account_get(struct req *r);
/* functions.c */
int tau_functions_create(struct req *r);
int tau_functions_list(struct req *r);
int tau_functions_get(struct req *r);
int tau_functions_update(struct req *r);
int tau_functions_delete(struct req *r);
/* versions.c */
int tau_functions_deploy(struct req *r);
/* invoke.c */
int tau_functions_invoke(struct req *r);
/* metrics.c */
int tau_functions_stats(struct req *r);
/* logs.c */
int tau_functions_logs(struct req *r);
/* runtimes.c */
int tau_runtimes_list(struct req *r);

/* The platform API (/api/v1) */
int platform_login(struct req *r);
int platform_users_create(struct req *r);
int platform_users_list(struct req *r);
int platform_users_delete(struct req *r);
int platform_users_password(struct req *r);
int platform_functions_create(struct req *r);
int platform_functions_list(struct req *r);
int platform_functions_get(struct req *r);
int platform_functions_update(struct req *r);
int platform_functions_delete(struct req *r);
int platform_functions_metrics(struct req *r);
int platform_versions_create(struct req *r);
int platform_versions_list(struct req *r);
int platform_versions_get(struct req *r);
int platform_versions_delete(struct req *r);
int platform_aliases_create(struct req *r);
int platform_aliases_get(struct req *r);
int platform_aliases_update(struct req *r);
int platform_aliases_delete(struct req *r);
int platform_functions_invoke(struct req *r);
int platform_functions_invoke_async(struct req *r);
int platform_invocation_logs(struct req *r);
int platform_invocation_get(struct req *r);
int platform_dead_letters(struct req *r);
int platform_redrive(struct req *r);
int platform_triggers_create(struct req *r);
int platform_triggers_list(struct req *r);
int platform_triggers_get(struct req *r);
int platform_triggers_enable(struct req *r);
int platform_triggers_disable(struct req *r);
int platform_triggers_delete(struct req *r);
int platform_triggers_rotate_secret(struct req *r);
int platform_deployments_create(struct req *r);
int front_index(struct req *r);
int front_llms(struct req *r);
int front_openapi(struct req *r);

/* The request bodies of the route table (validation tables with an example each). */
struct vtable;
extern const struct vtable tau_function_create_body, tau_function_update_body, tau_invoke_body, signup_body,
	platform_function_create_body, platform_function_update_body, platform_invoke_body, version_create_body,
	alias_create_body, alias_update_body, trigger_create_body, deployment_create_body, deployment_rollback_body,
	event_publish_body, login_body, user_create_body, password_body;
int platform_deployments_list(struct req *r);
int platform_deployments_get(struct req *r);
int platform_deployments_rollback(struct req *r);
/* events.c */
int platform_events_publish(struct req *r);
/* fnroute.c: public HTTP routes; webhook.c: signed deliveries */
int fn_route_serve(struct req *r);
int webhook_deliver(struct req *r);
int platform_runners_list(struct req *r);
int platform_runners_get(struct req *r);

#endif
