#include <archive.h>
#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base64.h"
#include "codezip.h"
#include "platform.h"

bool platform_error(const struct resp *r, long status, const char *code)
{
	json_object *e = jp(r->json, "error");
	return r->status == status && e && json_object_is_type(e, json_type_object) && jps(e, "code") &&
	       strcmp(jps(e, "code"), code) == 0 && jps(e, "message") && jps(e, "traceId") && jps(e, "timestamp") &&
	       json_object_is_type(jp(e, "details"), json_type_array);
}

bool names_field(const struct resp *r, const char *field)
{
	json_object *d = jp(r->json, "error.details");
	for (size_t i = 0; d && i < json_object_array_length(d); i++)
		if (jps(json_object_array_get_idx(d, i), "field") && strcmp(jps(json_object_array_get_idx(d, i), "field"), field) == 0)
			return true;
	return false;
}

bool login(const char *username, const char *password, char token[1024])
{
	json_object *o = json_object_new_object();
	json_object_object_add(o, "username", json_object_new_string(username));
	json_object_object_add(o, "password", json_object_new_string(password));
	struct resp *r = http("POST", V1 "/authentication/login", NULL, json_object_to_json_string(o));
	json_object_put(o);
	snprintf(token, 1024, "%s", jps(r->json, "token") ? jps(r->json, "token") : "");
	return r->status == 200 && token[0];
}

char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	struct buf b = BUF_INIT;
	char chunk[4096];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	if (len)
		*len = b.len;
	return buf_steal(&b);
}

bool admin_token(char token[1024])
{
	static char cached[1024];
	char path[1024];
	if (cached[0]) {
		memcpy(token, cached, sizeof(cached));
		return true;
	}
	snprintf(path, sizeof(path), "%s/credentials.json", getenv("TF_STACK_DIR"));
	char *text = slurp(path, NULL);
	json_object *c = text ? json_tokener_parse(text) : NULL;
	free(text);
	bool ok = c && login(jps(c, "adminUsername"), jps(c, "adminPassword"), token);
	json_object_put(c);
	if (ok)
		memcpy(cached, token, sizeof(cached));
	return ok;
}

bool user_with_role(const char *caller, const char *role, char username[96], char token[1024])
{
	char body[512];
	unique(role, username, 96);
	for (char *p = username; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	snprintf(body, sizeof(body), "{\"username\":\"%s\",\"password\":\"correct-horse-%s\",\"role\":\"%s\"}", username,
	         username, role);
	if (http("POST", V1 "/users", caller, body)->status != 201)
		return false;
	char pw[160];
	snprintf(pw, sizeof(pw), "correct-horse-%s", username);
	return login(username, pw, token);
}

char *zip_b64(const char *name, const char *content)
{
	struct buf zip = BUF_INIT, b64 = BUF_INIT;
	if (codezip_single(name, content, strlen(content), &zip) != 0)
		return NULL;
	base64_encode(zip.data, zip.len, &b64);
	buf_free(&zip);
	return buf_steal(&b64);
}

long upload_version(const char *caller, const char *name, const char *code)
{
	char *z = zip_b64("main.py", code);
	char *body = malloc(strlen(z) + 64);
	sprintf(body, "{\"code\":\"%s\"}", z);
	struct resp *r = httpf("POST", caller, body, V1 "/functions/%s/versions", name);
	free(z);
	free(body);
	return r->status == 201 ? (long)jpi(r->json, "version", -1) : -1;
}

bool platform_fn(const char *caller, const char *name, const char *code)
{
	char body[512];
	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"runtime\":\"Python311\",\"handler\":\"main.handler\",\"timeout\":10}", name);
	return http("POST", V1 "/functions", caller, body)->status == 201 && upload_version(caller, name, code) == 1;
}
