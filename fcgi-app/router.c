/*
 * The one route table of both API surfaces. Finding an endpoint is one grep of
 * its path; the table says who may call it, how it is rate-limited and how big
 * its body may be.
 */
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "handlers.h"

#define TAU "/saas/api/v1/sdk/tau"
#define V1 "/api/v1"
#define P TF_SURFACE_PLATFORM
#define WRITERS (ROLE_ADMIN | ROLE_DEVELOPER)     /* "Developer, Admin" */
#define OPERATORS (ROLE_ADMIN | ROLE_OPERATOR)    /* "Operator, Admin" */
#define WATCHERS (ROLE_ADMIN | ROLE_VIEWER)       /* "Admin, Viewer" */

static const struct route routes[] = {
	{ "GET", "/health", health_get, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },

	/* The front door: what a newcomer with only the base URL reads first. */
	{ "GET", "/", front_index, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },
	{ "GET", "/llms.txt", front_llms, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },
	{ "GET", "/.well-known/llms.txt", front_llms, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },
	{ "GET", "/openapi.json", front_openapi, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },
	{ "GET", V1 "/openapi.json", front_openapi, P, AUTH_NONE, 0, NULL, 0, false, NULL },

	/* TauFunctions: signup, plan, keys */
	{ "POST", "/api/signup", tau_signup, TF_SURFACE_TAU, AUTH_NONE, 0, "signup", 0, false, &signup_body },
	{ "GET", "/api/signup/limits", tau_signup_limits, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, 0, false, NULL },
	{ "POST", "/api/billing/upgrade", tau_billing_upgrade, TF_SURFACE_TAU, AUTH_ANY, ROLE_ADMIN, "write", 0, false, NULL },
	{ "GET", "/api/account", tau_account_get, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "POST", "/api/keys", tau_keys_create, TF_SURFACE_TAU, AUTH_ANY, ROLE_ADMIN, "write", 0, false, NULL },
	{ "GET", "/api/keys", tau_keys_list, TF_SURFACE_TAU, AUTH_ANY, ROLE_ADMIN, "read", 0, false, NULL },
	{ "DELETE", "/api/keys/{id}", tau_keys_delete, TF_SURFACE_TAU, AUTH_ANY, ROLE_ADMIN, "delete", 0, false, NULL },

	/* TauFunctions: functions by fn_ id */
	{ "POST", TAU "/functions", tau_functions_create, TF_SURFACE_TAU, AUTH_ANY, WRITERS, "create", 0, false, &tau_function_create_body },
	{ "GET", TAU "/functions", tau_functions_list, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", TAU "/functions/{id}", tau_functions_get, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "PUT", TAU "/functions/{id}", tau_functions_update, TF_SURFACE_TAU, AUTH_ANY, WRITERS, "write", 0, false, &tau_function_update_body },
	{ "DELETE", TAU "/functions/{id}", tau_functions_delete, TF_SURFACE_TAU, AUTH_ANY, WRITERS, "delete", 0, false, NULL },
	{ "POST", TAU "/functions/{id}/deploy", tau_functions_deploy, TF_SURFACE_TAU, AUTH_ANY, WRITERS, "write", 0, false, NULL },
	{ "POST", TAU "/functions/{id}/invoke", tau_functions_invoke, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "invoke", 0, false, &tau_invoke_body },
	{ "GET", TAU "/functions/{id}/stats", tau_functions_stats, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", TAU "/functions/{id}/logs", tau_functions_logs, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", TAU "/runtimes", tau_runtimes_list, TF_SURFACE_TAU, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },

	/* The platform API, each with its reference's "Authorization" line. */
	{ "POST", V1 "/authentication/login", platform_login, P, AUTH_NONE, 0, NULL, 0, false, &login_body },
	{ "POST", V1 "/users", platform_users_create, P, AUTH_ANY, ROLE_ADMIN, "write", 0, false, &user_create_body },
	{ "GET", V1 "/users", platform_users_list, P, AUTH_ANY, ROLE_ADMIN, "read", 0, false, NULL },
	{ "DELETE", V1 "/users/{username}", platform_users_delete, P, AUTH_ANY, ROLE_ADMIN, "delete", 0, false, NULL },
	{ "PUT", V1 "/users/{username}/password", platform_users_password, P, AUTH_ANY, ROLE_ADMIN, "write", 0, false, &password_body },

	{ "POST", V1 "/functions", platform_functions_create, P, AUTH_ANY, WRITERS, "create", 0, false, &platform_function_create_body },
	{ "GET", V1 "/functions", platform_functions_list, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", V1 "/functions/{name}", platform_functions_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "PUT", V1 "/functions/{name}", platform_functions_update, P, AUTH_ANY, WRITERS, "write", 0, false, &platform_function_update_body },
	{ "DELETE", V1 "/functions/{name}", platform_functions_delete, P, AUTH_ANY, ROLE_ADMIN, "delete", 0, false, NULL },
	{ "GET", V1 "/functions/{name}/metrics", platform_functions_metrics, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },

	{ "POST", V1 "/functions/{name}/versions", platform_versions_create, P, AUTH_ANY, WRITERS, "write", TF_MAX_VERSION_BODY, false, &version_create_body },
	{ "GET", V1 "/functions/{name}/versions", platform_versions_list, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", V1 "/functions/{name}/versions/{version}", platform_versions_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "DELETE", V1 "/functions/{name}/versions/{version}", platform_versions_delete, P, AUTH_ANY, WRITERS, "delete", 0, false, NULL },

	{ "POST", V1 "/functions/{name}/aliases", platform_aliases_create, P, AUTH_ANY, WRITERS, "write", 0, false, &alias_create_body },
	{ "GET", V1 "/functions/{name}/aliases/{alias}", platform_aliases_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "PUT", V1 "/functions/{name}/aliases/{alias}", platform_aliases_update, P, AUTH_ANY, OPERATORS, "write", 0, false, &alias_update_body },
	{ "DELETE", V1 "/functions/{name}/aliases/{alias}", platform_aliases_delete, P, AUTH_ANY, OPERATORS, "delete", 0, false, NULL },

	{ "POST", V1 "/functions/{name}/invoke", platform_functions_invoke, P, AUTH_ANY, ROLE_ALL, "invoke", 0, false, &platform_invoke_body },
	{ "POST", V1 "/functions/{name}/invoke-async", platform_functions_invoke_async, P, AUTH_ANY, ROLE_ALL, "invoke", 0, false, &platform_invoke_body },
	{ "GET", V1 "/functions/{name}/invocations/{requestId}", platform_invocation_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", V1 "/functions/{name}/invocations/{requestId}/logs", platform_invocation_logs, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "POST", V1 "/functions/{name}/invocations/{requestId}/redrive", platform_redrive, P, AUTH_ANY, OPERATORS, "write", 0, false, NULL },
	{ "GET", V1 "/functions/{name}/dead-letters", platform_dead_letters, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },

	{ "POST", V1 "/functions/{name}/triggers", platform_triggers_create, P, AUTH_ANY, WRITERS, "create", 0, false, &trigger_create_body },
	{ "GET", V1 "/functions/{name}/triggers", platform_triggers_list, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", V1 "/functions/{name}/triggers/{id}", platform_triggers_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "PUT", V1 "/functions/{name}/triggers/{id}/enable", platform_triggers_enable, P, AUTH_ANY, WRITERS, "toggle", 0, false, NULL },
	{ "PUT", V1 "/functions/{name}/triggers/{id}/disable", platform_triggers_disable, P, AUTH_ANY, WRITERS, "toggle", 0, false, NULL },
	{ "POST", V1 "/functions/{name}/triggers/{id}/secret", platform_triggers_rotate_secret, P, AUTH_ANY, WRITERS, "toggle", 0, false, NULL },
	{ "DELETE", V1 "/functions/{name}/triggers/{id}", platform_triggers_delete, P, AUTH_ANY, WRITERS, "delete", 0, false, NULL },
	{ "POST", V1 "/events", platform_events_publish, P, AUTH_ANY, ROLE_ALL, "invoke", 0, false, &event_publish_body },

	/* What triggers reach: a tenant's public routes (any method) and webhooks, any bytes. */
	{ "*", "/fn/{tenant}/*", fn_route_serve, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, TF_MAX_BODY, true, NULL },
	{ "POST", "/hooks/{token}", webhook_deliver, TF_SURFACE_TAU, AUTH_NONE, 0, NULL, TF_MAX_BODY, true, NULL },

	{ "POST", V1 "/deployments", platform_deployments_create, P, AUTH_ANY, OPERATORS, "deploy", 0, false, &deployment_create_body },
	{ "GET", V1 "/deployments", platform_deployments_list, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "GET", V1 "/deployments/{id}", platform_deployments_get, P, AUTH_ANY, ROLE_ALL, "read", 0, false, NULL },
	{ "POST", V1 "/deployments/{id}/rollback", platform_deployments_rollback, P, AUTH_ANY, OPERATORS, "deploy", 0, false, &deployment_rollback_body },

	{ "GET", V1 "/runners", platform_runners_list, P, AUTH_ANY, WATCHERS, "read", 0, false, NULL },
	{ "GET", V1 "/runners/{nodeId}", platform_runners_get, P, AUTH_ANY, WATCHERS, "read", 0, false, NULL },
};

const struct route *route_table(size_t *n)
{
	*n = TF_ARRAY_LEN(routes);
	return routes;
}

enum tf_surface surface_of_path(const char *path)
{
	return strncmp(path, "/api/v1/", 8) == 0 || strcmp(path, "/api/v1") == 0 ? TF_SURFACE_PLATFORM
	                                                                         : TF_SURFACE_TAU;
}

/* Matches path against one pattern, capturing {params}. */
static bool matches(const char *pattern, const char *path, struct req *r)
{
	const char *p = pattern, *s = path;
	size_t np = 0;

	while (*p && *s) {
		if (*p != '/' || *s != '/')
			return false;
		p++, s++;
		if (p[0] == '*' && p[1] == '\0') {
			p++;  /* a trailing "*" takes the rest of the path, its handler reads it */
			s += strlen(s);
			break;
		}
		const char *pe = strchr(p, '/'), *se = strchr(s, '/');
		size_t pl = pe ? (size_t)(pe - p) : strlen(p);
		size_t sl = se ? (size_t)(se - s) : strlen(s);
		if (pl > 1 && p[0] == '{') {
			if (sl == 0 || np == TF_MAX_ROUTE_PARAMS ||
			    url_decode(s, sl, false, r->params[np], sizeof(r->params[np])) != 0)
				return false;
			np++;
		} else if (pl != sl || strncmp(p, s, pl) != 0) {
			return false;
		}
		p += pl, s += sl;
	}
	if (*p || *s)
		return false;
	r->nparams = np;
	return true;
}

const struct route *route_match(const char *method, const char *path, struct req *r,
                                bool *path_known)
{
	*path_known = false;
	for (size_t i = 0; i < TF_ARRAY_LEN(routes); i++) {
		if (!matches(routes[i].pattern, path, r))
			continue;
		*path_known = true;
		if (strcmp(routes[i].method, method) == 0 || strcmp(routes[i].method, "*") == 0)
			return &routes[i];
	}
	return NULL;
}

void route_methods(const char *path, char *out, size_t n)
{
	struct req scratch;
	size_t len = 0;

	out[0] = '\0';
	for (size_t i = 0; i < TF_ARRAY_LEN(routes) && len + 16 < n; i++) {
		if (!matches(routes[i].pattern, path, &scratch) || strstr(out, routes[i].method))
			continue;
		len += (size_t)snprintf(out + len, n - len, "%s%s", len ? ", " : "",
		                        strcmp(routes[i].method, "*") == 0 ? "GET, POST, PUT, PATCH, DELETE" : routes[i].method);
	}
}
