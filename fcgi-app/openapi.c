/*
 * GET /openapi.json and /api/v1/openapi.json: OpenAPI 3.1, generated at each
 * request from the one route table (paths, methods, parameters, roles, rate
 * classes) and the validation tables its routes point at (request bodies, with
 * an example each), so that the document cannot drift from the code.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "handlers.h"
#include "jsonx.h"
#include "validate.h"

static json_object *str_schema(const char *type)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "type", type);
	return o;
}

/* The JSON Schema of one validated field. */
static json_object *field_schema(const struct vfield *f)
{
	json_object *s = json_object_new_object();
	switch (f->type) {
	case V_STRING:
		jadd_str(s, "type", "string");
		jadd_int(s, "minLength", f->min);
		if (f->max)
			jadd_int(s, "maxLength", f->max);
		break;
	case V_INT:
		jadd_str(s, "type", "integer");
		jadd_int(s, "minimum", f->min);
		jadd_int(s, "maximum", f->max);
		if (f->step > 1)
			jadd_int(s, "multipleOf", f->step);
		break;
	case V_NUMBER:
		jadd_str(s, "type", "number");
		json_object_object_add(s, "minimum", json_object_new_double(f->fmin));
		json_object_object_add(s, "maximum", json_object_new_double(f->fmax));
		break;
	case V_BOOL:
		jadd_str(s, "type", "boolean");
		break;
	case V_STRMAP:
		jadd_str(s, "type", "object");
		json_object_object_add(s, "additionalProperties", str_schema("string"));
		if (f->max)
			jadd_int(s, "maxProperties", f->max);
		break;
	case V_OBJECT:
		jadd_str(s, "type", "object");
		break;
	case V_STRARRAY:
	case V_INTARRAY:
		jadd_str(s, "type", "array");
		json_object_object_add(s, "items", str_schema(f->type == V_STRARRAY ? "string" : "integer"));
		jadd_int(s, "minItems", f->min);
		if (f->max)
			jadd_int(s, "maxItems", f->max);
		break;
	case V_ANY:
		break;  /* any JSON value: the empty schema */
	}
	if (f->message)
		jadd_str(s, "description", f->message);
	return s;
}

static json_object *body_schema(const struct vtable *t)
{
	json_object *s = json_object_new_object(), *props = json_object_new_object(), *req = json_object_new_array();
	jadd_str(s, "type", "object");
	for (size_t i = 0; i < t->n; i++) {
		json_object_object_add(props, t->fields[i].name, field_schema(&t->fields[i]));
		if (t->fields[i].required)
			json_object_array_add(req, json_object_new_string(t->fields[i].name));
	}
	json_object_object_add(s, "properties", props);
	if (json_object_array_length(req) > 0)
		json_object_object_add(s, "required", req);
	else
		json_object_put(req);
	jadd_bool(s, "additionalProperties", false);  /* validate() refuses unknown fields */
	return s;
}

static json_object *roles_json(unsigned roles)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = { { ROLE_ADMIN, "Admin" }, { ROLE_DEVELOPER, "Developer" }, { ROLE_OPERATOR, "Operator" },
	              { ROLE_VIEWER, "Viewer" } };
	json_object *a = json_object_new_array();
	for (size_t i = 0; i < TF_ARRAY_LEN(names); i++)
		if (roles & names[i].bit)
			json_object_array_add(a, json_object_new_string(names[i].name));
	return a;
}

/* "post", "/api/v1/functions/{name}/invoke" -> "post_api_v1_functions_name_invoke" */
static void operation_id(const char *method, const char *path, char *out, size_t n)
{
	size_t len = 0;
	for (const char *p = method; *p && len + 1 < n; p++)
		out[len++] = (char)tolower((unsigned char)*p);
	for (const char *p = path; *p && len + 1 < n; p++) {
		if (isalnum((unsigned char)*p))
			out[len++] = (char)tolower((unsigned char)*p);
		else if (len && out[len - 1] != '_')
			out[len++] = '_';
	}
	while (len && out[len - 1] == '_')
		len--;
	out[len] = '\0';
}

static json_object *parameters(const char *pattern)
{
	json_object *a = json_object_new_array();
	for (const char *p = strchr(pattern, '{'); p; p = strchr(p + 1, '{')) {
		const char *e = strchr(p, '}');
		if (e == NULL)
			break;
		char name[64];
		size_t len = (size_t)(e - p - 1) < sizeof(name) - 1 ? (size_t)(e - p - 1) : sizeof(name) - 1;
		memcpy(name, p + 1, len);
		name[len] = '\0';
		json_object *o = json_object_new_object();
		jadd_str(o, "name", name);
		jadd_str(o, "in", "path");
		jadd_bool(o, "required", true);
		json_object_object_add(o, "schema", str_schema("string"));
		json_object_array_add(a, o);
	}
	return a;
}

static json_object *response(const char *description, bool platform_error)
{
	json_object *o = json_object_new_object();
	jadd_str(o, "description", description);
	if (platform_error) {
		json_object *content = json_object_new_object(), *media = json_object_new_object(), *ref = json_object_new_object();
		jadd_str(ref, "$ref", "#/components/schemas/PlatformError");
		json_object_object_add(media, "schema", ref);
		json_object_object_add(content, "application/json", media);
		json_object_object_add(o, "content", content);
	}
	return o;
}

/* One method of one path: path is the route's pattern as OpenAPI writes it. */
static json_object *operation(const struct route *rt, const char *method, const char *path)
{
	json_object *op = json_object_new_object();
	char id[200];
	bool platform = rt->surface == TF_SURFACE_PLATFORM;

	operation_id(method, path, id, sizeof(id));
	jadd_str(op, "operationId", id);
	json_object *tags = json_object_new_array();
	json_object_array_add(tags, json_object_new_string(platform ? "platform" : "tau"));
	json_object_object_add(op, "tags", tags);
	json_object *params = parameters(path);
	if (json_object_array_length(params) > 0)
		json_object_object_add(op, "parameters", params);
	else
		json_object_put(params);
	if (rt->auth == AUTH_NONE) {
		json_object_object_add(op, "security", json_object_new_array());
	} else {
		json_object_object_add(op, "x-roles", roles_json(rt->roles));
	}
	if (rt->rate_class)
		jadd_str(op, "x-rate-limit-class", rt->rate_class);
	if (rt->body) {
		json_object *rb = json_object_new_object(), *content = json_object_new_object(), *media = json_object_new_object();
		json_object_object_add(media, "schema", body_schema(rt->body));
		if (rt->body->example) {
			char why[64];
			json_object *ex = json_parse_text(rt->body->example, strlen(rt->body->example), why, sizeof(why));
			if (ex)
				json_object_object_add(media, "example", ex);
		}
		json_object_object_add(content, "application/json", media);
		json_object_object_add(rb, "content", content);
		jadd_bool(rb, "required", true);
		json_object_object_add(op, "requestBody", rb);
	} else if (rt->raw_body) {
		json_object *rb = json_object_new_object(), *content = json_object_new_object();
		json_object_object_add(content, "*/*", json_object_new_object());
		json_object_object_add(rb, "content", content);
		json_object_object_add(op, "requestBody", rb);
	}
	json_object *responses = json_object_new_object();
	json_object_object_add(responses, "2XX", response("Success", false));
	json_object_object_add(responses, "default", response(platform ? "Error (platform format)" : "Error (TauFunctions format)",
	                                                      platform));
	json_object_object_add(op, "responses", responses);
	return op;
}

static json_object *components(void)
{
	const char *error_schema =
		"{\"PlatformError\": {\"type\": \"object\", \"required\": [\"error\"], \"properties\": {\"error\": {\"type\": \"object\","
		" \"required\": [\"code\", \"message\", \"details\", \"traceId\", \"timestamp\"], \"properties\": {\"code\": {\"type\": \"string\"},"
		" \"message\": {\"type\": \"string\"}, \"details\": {\"type\": \"array\", \"items\": {\"type\": \"object\","
		" \"properties\": {\"field\": {\"type\": \"string\"}, \"message\": {\"type\": \"string\"}}}}, \"help\": {\"type\": \"string\"},"
		" \"traceId\": {\"type\": \"string\"}, \"timestamp\": {\"type\": \"string\"}}}}},"
		" \"TauError\": {\"type\": \"object\", \"required\": [\"error\", \"code\", \"status\"], \"properties\": {\"error\": {\"type\": \"string\"},"
		" \"code\": {\"type\": \"string\"}, \"status\": {\"type\": \"integer\"}, \"details\": {\"type\": \"array\"},"
		" \"help\": {\"type\": \"string\"}, \"traceId\": {\"type\": \"string\"}}}}";
	char why[64];
	json_object *c = json_object_new_object();
	json_object_object_add(c, "schemas", json_parse_text(error_schema, strlen(error_schema), why, sizeof(why)));
	const char *sec = "{\"bearer\": {\"type\": \"http\", \"scheme\": \"bearer\","
	                  " \"description\": \"An API key (POST /api/signup) or a JWT (POST /api/v1/authentication/login)\"}}";
	json_object_object_add(c, "securitySchemes", json_parse_text(sec, strlen(sec), why, sizeof(why)));
	return c;
}

/* GET /openapi.json and /api/v1/openapi.json */
int front_openapi(struct req *r)
{
	char base[512];
	size_t n;
	const struct route *routes = route_table(&n);
	json_object *doc = json_object_new_object(), *info = json_object_new_object(), *paths = json_object_new_object();

	req_base_url(r, base, sizeof(base));
	jadd_str(doc, "openapi", "3.1.0");
	jadd_str(info, "title", "TauFunctions");
	jadd_str(info, "version", PACKAGE_VERSION);
	jadd_str(info, "description", "Generated from tf-api's route table and validation tables. Start at POST /api/signup.");
	json_object_object_add(doc, "info", info);
	json_object *servers = json_object_new_array(), *server = json_object_new_object();
	jadd_str(server, "url", base);
	json_object_array_add(servers, server);
	json_object_object_add(doc, "servers", servers);
	const char *security = "[{\"bearer\": []}]";
	char why[64];
	json_object_object_add(doc, "security", json_parse_text(security, strlen(security), why, sizeof(why)));
	for (size_t i = 0; i < n; i++) {
		char path[300];
		size_t pl = strlen(routes[i].pattern);
		/* The trailing "*" of the public routes stands for the route's own path. */
		snprintf(path, sizeof(path), "%s", routes[i].pattern);
		if (pl >= 2 && pl + 6 < sizeof(path) && strcmp(path + pl - 2, "/*") == 0)
			memcpy(path + pl - 1, "{path}", 7);
		json_object *item = NULL;
		if (!json_object_object_get_ex(paths, path, &item)) {
			item = json_object_new_object();
			json_object_object_add(paths, path, item);
		}
		if (strcmp(routes[i].method, "*") == 0) {
			static const char *const any[] = { "get", "post", "put", "patch", "delete" };
			for (size_t k = 0; k < TF_ARRAY_LEN(any); k++)
				json_object_object_add(item, any[k], operation(&routes[i], any[k], path));
			continue;
		}
		char method[16];
		size_t k = 0;
		for (; routes[i].method[k] && k + 1 < sizeof(method); k++)
			method[k] = (char)tolower((unsigned char)routes[i].method[k]);
		method[k] = '\0';
		json_object_object_add(item, method, operation(&routes[i], method, path));
	}
	json_object_object_add(doc, "paths", paths);
	json_object_object_add(doc, "components", components());
	return req_reply(r, 200, doc);
}
