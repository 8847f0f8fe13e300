/*
 * The front door: what an agent or a person arriving with only the base URL
 * reads first. GET / is a short index (JSON, or HTML for a browser), /llms.txt
 * the reference written for this installation (its base URL, its plans, the
 * runtimes its runners have now), and /openapi.json the API as the route table
 * and the validation tables define it (openapi.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "buf.h"
#include "handlers.h"
#include "jsonx.h"
#include "plan.h"
#include "runtimes.h"
#include "tf.h"

#define LLMS_TEMPLATE_DEFAULT "/usr/share/taufunctions/llms.txt.in"
#define LLMS_TEMPLATE_MAX (256 * 1024)

/* Whether the client prefers HTML (a browser) to JSON. */
static bool wants_html(struct req *r)
{
	const char *accept = req_header(r, "HTTP_ACCEPT");
	const char *html = accept ? strstr(accept, "text/html") : NULL;
	const char *json = accept ? strstr(accept, "application/json") : NULL;
	return html && (json == NULL || html < json);
}

static json_object *link(const char *method, const char *base, const char *path, const char *what)
{
	char url[700];
	json_object *o = json_object_new_object();
	snprintf(url, sizeof(url), "%s%s", base, path);
	jadd_str(o, "method", method);
	jadd_str(o, "url", url);
	jadd_str(o, "description", what);
	return o;
}

static json_object *index_json(const char *base)
{
	json_object *o = json_object_new_object(), *surfaces = json_object_new_object(), *docs = json_object_new_object();
	char url[700];

	jadd_str(o, "name", "TauFunctions");
	jadd_str(o, "version", PACKAGE_VERSION);
	jadd_str(o, "description", "Self-hosted serverless functions: Node.js and Python handlers in sandboxes");
	json_object_object_add(o, "start", link("POST", base, "/api/signup",
	                                        "sign up with {\"tenantId\": \"<name>\"}: the answer holds your API key"));
	snprintf(url, sizeof(url), "%s/saas/api/v1/sdk/tau", base);
	json_object *tau = json_object_new_object();
	jadd_str(tau, "baseUrl", url);
	jadd_str(tau, "auth", "Authorization: Bearer <API key>");
	json_object_object_add(surfaces, "tau", tau);
	snprintf(url, sizeof(url), "%s/api/v1", base);
	json_object *platform = json_object_new_object();
	jadd_str(platform, "baseUrl", url);
	jadd_str(platform, "auth", "Authorization: Bearer <API key or JWT from POST /api/v1/authentication/login>");
	json_object_object_add(surfaces, "platform", platform);
	json_object_object_add(o, "apis", surfaces);
	snprintf(url, sizeof(url), "%s/llms.txt", base);
	jadd_str(docs, "llmsTxt", url);
	snprintf(url, sizeof(url), "%s/openapi.json", base);
	jadd_str(docs, "openapi", url);
	snprintf(url, sizeof(url), "%s/health", base);
	jadd_str(docs, "health", url);
	json_object_object_add(o, "documents", docs);
	return o;
}

/* Text as HTML element content. */
static void html_text(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '<')
			buf_puts(b, "&lt;");
		else if (*s == '>')
			buf_puts(b, "&gt;");
		else if (*s == '&')
			buf_puts(b, "&amp;");
		else if (*s == '"')
			buf_puts(b, "&quot;");
		else
			buf_append(b, s, 1);
	}
}

static int index_html(struct req *r, const char *base)
{
	struct buf b = BUF_INIT;
	buf_puts(&b, "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>TauFunctions</title>"
	             "<style>body{font:16px/1.5 system-ui,sans-serif;max-width:46em;margin:2em auto;padding:0 1em}"
	             "code,pre{background:#f4f4f4;padding:.1em .3em}pre{padding:1em;overflow-x:auto}</style></head><body>\n"
	             "<h1>TauFunctions</h1>\n<p>Self-hosted serverless functions: Node.js and Python handlers in sandboxes.</p>\n"
	             "<h2>Start</h2>\n<pre>curl -X POST ");
	html_text(&b, base);
	buf_puts(&b, "/api/signup -H 'Content-Type: application/json' -d '{\"tenantId\":\"my-project\"}'</pre>\n"
	             "<p>The answer holds your API key; send it as <code>Authorization: Bearer &lt;key&gt;</code>.</p>\n"
	             "<h2>APIs</h2>\n<ul><li>TauFunctions: <code>");
	html_text(&b, base);
	buf_puts(&b, "/saas/api/v1/sdk/tau</code></li><li>Platform: <code>");
	html_text(&b, base);
	buf_puts(&b, "/api/v1</code></li></ul>\n<h2>Documents</h2>\n<ul><li><a href=\"/llms.txt\">llms.txt</a>: the "
	             "reference for this installation, step by step</li><li><a href=\"/openapi.json\">openapi.json</a>: "
	             "every endpoint (OpenAPI 3.1)</li><li><a href=\"/health\">health</a></li></ul>\n</body></html>\n");
	req_add_header(r, "Content-Type", "text/html; charset=utf-8");
	int rc = req_reply_raw(r, 200, b.data, b.len);
	buf_free(&b);
	return rc;
}

/* GET / — the index */
int front_index(struct req *r)
{
	char base[512];
	req_base_url(r, base, sizeof(base));
	if (wants_html(r))
		return index_html(r, base);
	return req_reply(r, 200, index_json(base));
}

static void plans_text(struct buf *b)
{
	static const char *const names[] = { "free", "pro" };
	buf_puts(b, "| plan | functions | invocations a day | API keys | running at once | stored code |\n|---|---|---|---|---|---|\n");
	for (size_t i = 0; i < TF_ARRAY_LEN(names); i++) {
		const struct plan_limits *p = plan_find(names[i]);
		if (p)
			buf_printf(b, "| %s | %lld | %lld | %lld | %lld | %lld MB |\n", p->name, p->functions,
			           p->invocations_per_day, p->api_keys, p->concurrency, p->code_bytes / TF_MIB);
	}
}

static void runtimes_text(struct req *r, struct buf *b)
{
	struct runner_view v;
	bool known = runtimes_view(r, false, &v) == 0;
	size_t before = b->len;
	for (unsigned i = 0; i < tf_runtime_count && i < TF_MAX_RUNTIMES; i++)
		if (!known || v.available[i])
			buf_printf(b, "%s`%s` (%s)", b->len > before ? ", " : "", tf_runtimes[i].id, tf_runtimes[i].name);
	if (b->len == before)
		buf_puts(b, "none at the moment (no runner is up; GET /saas/api/v1/sdk/tau/runtimes shows them when one is)");
}

/* Reads the template once per call: it is small, and an operator may edit it live. */
static char *read_template(struct req *r)
{
	const char *path = config_str(r->app->cfg, "paths", "llms_template", LLMS_TEMPLATE_DEFAULT);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	char *text = malloc(LLMS_TEMPLATE_MAX + 1);
	size_t n = text ? fread(text, 1, LLMS_TEMPLATE_MAX, f) : 0;
	fclose(f);
	if (text)
		text[n] = '\0';
	return text;
}

/* GET /llms.txt and /.well-known/llms.txt */
int front_llms(struct req *r)
{
	char base[512];
	struct buf out = BUF_INIT, plans = BUF_INIT, runtimes = BUF_INIT;
	char *text = read_template(r);

	if (text == NULL)
		return tf_fail(&r->err, TF_E_INTERNAL, "The llms.txt template is not installed");
	req_base_url(r, base, sizeof(base));
	plans_text(&plans);
	runtimes_text(r, &runtimes);
	const struct {
		const char *name, *value;
	} vars[] = { { "@BASE_URL@", base }, { "@PLANS@", plans.data }, { "@RUNTIMES@", runtimes.data } };
	for (const char *p = text; *p;) {
		size_t k = 0;
		while (k < TF_ARRAY_LEN(vars) && strncmp(p, vars[k].name, strlen(vars[k].name)) != 0)
			k++;
		if (k < TF_ARRAY_LEN(vars)) {
			buf_puts(&out, vars[k].value ? vars[k].value : "");
			p += strlen(vars[k].name);
		} else {
			buf_append(&out, p, 1);
			p++;
		}
	}
	req_add_header(r, "Content-Type", "text/plain; charset=utf-8");
	int rc = req_reply_raw(r, 200, out.data ? out.data : "", out.len);
	free(text);
	buf_free(&out);
	buf_free(&plans);
	buf_free(&runtimes);
	return rc;
}
