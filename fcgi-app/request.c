/* One request: reading what FastCGI hands over and writing the answer. */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "jsonx.h"
#include "log.h"
#include "num.h"
#include "timefmt.h"

const char *req_header(struct req *r, const char *fcgi_name)
{
	return FCGX_GetParam(fcgi_name, r->fcgx->envp);
}

static int hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

int url_decode(const char *s, size_t n, bool plus_is_space, char *out, size_t outsz)
{
	size_t j = 0;

	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+' && plus_is_space) {
			c = ' ';
		} else if (c == '%') {
			if (i + 2 >= n || hexdigit(s[i + 1]) < 0 || hexdigit(s[i + 2]) < 0)
				return -1;
			c = (char)(hexdigit(s[i + 1]) * 16 + hexdigit(s[i + 2]));
			if (c == '\0')
				return -1;
			i += 2;
		}
		if (j + 1 >= outsz)
			return -1;
		out[j++] = c;
	}
	out[j] = '\0';
	return 0;
}

const char *req_query(struct req *r, const char *name, char *out, size_t outsz)
{
	size_t nl = strlen(name);

	for (const char *p = r->query; p && *p;) {
		const char *amp = strchr(p, '&');
		size_t len = amp ? (size_t)(amp - p) : strlen(p);
		const char *eq = memchr(p, '=', len);
		size_t kl = eq ? (size_t)(eq - p) : len;
		if (kl == nl && strncmp(p, name, nl) == 0) {
			const char *v = eq ? eq + 1 : p + len;
			size_t vl = (size_t)(p + len - v);
			/* An undecodable value reads as an invalid one, never as absent. */
			if (url_decode(v, vl, true, out, outsz) != 0)
				snprintf(out, outsz, "%s", "\x7f");
			return out;
		}
		p = amp ? amp + 1 : NULL;
	}
	return NULL;
}

void req_add_header(struct req *r, const char *name, const char *fmt, ...)
{
	va_list ap;
	char value[256];

	va_start(ap, fmt);
	vsnprintf(value, sizeof(value), fmt, ap);
	va_end(ap);
	buf_printf(&r->headers, "%s: %s\r\n", name, value);
}

int req_reply(struct req *r, int status, json_object *body)
{
	r->raw = false;
	json_object_put(r->out);
	r->status = status;
	r->out = body;
	return 0;
}

int req_reply_raw(struct req *r, int status, const void *body, size_t len)
{
	json_object_put(r->out);
	r->out = NULL;
	r->status = status;
	r->raw = true;
	buf_reset(&r->raw_out);
	buf_append(&r->raw_out, body, len);
	return 0;
}

void req_base_url(struct req *r, char *out, size_t n)
{
	const char *host = req_header(r, "HTTP_HOST");
	const char *scheme = req_header(r, "REQUEST_SCHEME");
	const char *https = req_header(r, "HTTPS");

	if (r->app->public_url && r->app->public_url[0]) {
		snprintf(out, n, "%s", r->app->public_url);
		size_t l = strlen(out);
		if (l > 0 && out[l - 1] == '/')
			out[l - 1] = '\0';
		return;
	}
	/* The Host header is the client's own; accept only what a host name can hold. */
	bool ok = host && *host && strlen(host) < 200;
	for (const char *p = host; ok && *p; p++)
		ok = isalnum((unsigned char)*p) || strchr(".-:[]", *p);
	if (https && strcmp(https, "on") == 0)
		scheme = "https";
	snprintf(out, n, "%s://%s", scheme && strcmp(scheme, "https") == 0 ? "https" : "http",
	         ok ? host : "127.0.0.1");
}

int req_json(struct req *r, json_object **out)
{
	return json_parse_body(r->body ? r->body : "", r->body_len, out, &r->err);
}

int req_db_fail(struct req *r, const char *what)
{
	log_fields(TFLOG_ERROR, "database error", "during", what, "error", db_error(r->conn->db),
	           "traceId", r->trace_id, NULL);
	if (db_is_down(r->conn->db))
		return tf_fail(&r->err, TF_E_UNAVAILABLE, "The database is unavailable; try again shortly");
	return tf_fail(&r->err, TF_E_INTERNAL, "Internal error (trace %s)", r->trace_id);
}

int req_redis_fail(struct req *r, const char *what)
{
	log_fields(TFLOG_ERROR, "redis error", "during", what, "error", rds_error(r->conn->rds),
	           "traceId", r->trace_id, NULL);
	return tf_fail(&r->err, TF_E_UNAVAILABLE, "The queue is unavailable; try again shortly");
}
