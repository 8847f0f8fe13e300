#include <arpa/inet.h>
#include <ctype.h>
#include <pthread.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "harness.h"

static CURL *curl;
static const char *base;
static char failure[2048];
static bool failed;
static struct resp *last;  /* freed at the next request: tests never free responses */

void t_fail(const char *file, int line, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(failure, sizeof(failure), "%s:%d: ", file, line);

	va_start(ap, fmt);
	vsnprintf(failure + n, sizeof(failure) - (size_t)n, fmt, ap);
	va_end(ap);
	failed = true;
}

bool t_failed(void)
{
	return failed;
}

static size_t on_body(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n;
	r->body = realloc(r->body, r->len + len + 1);
	memcpy(r->body + r->len, p, len);
	r->len += len;
	r->body[r->len] = '\0';
	return len;
}

static size_t on_header(char *p, size_t size, size_t n, void *ctx)
{
	struct resp *r = ctx;
	size_t len = size * n, have = strlen(r->headers);
	if (have + len + 1 < sizeof(r->headers)) {
		memcpy(r->headers + have, p, len);
		r->headers[have + len] = '\0';
	}
	return len;
}

static void resp_free(struct resp *r)
{
	if (r == NULL)
		return;
	free(r->body);
	json_object_put(r->json);
	free(r);
}

/* Responses of one test are kept until the next test starts. */
#define KEEP 64
static struct resp *kept[KEEP];
static size_t nkept;

static void keep(struct resp *r)
{
	if (nkept == KEEP) {
		resp_free(kept[0]);
		memmove(kept, kept + 1, (KEEP - 1) * sizeof(kept[0]));
		nkept--;
	}
	kept[nkept++] = r;
}

static void release_all(void)
{
	for (size_t i = 0; i < nkept; i++)
		resp_free(kept[i]);
	nkept = 0;
	last = NULL;
}

static const char *source_address;  /* the loopback address requests leave from, or NULL (127.0.0.1) */
static const char *tls_ca;          /* set: requests go over HTTPS (TF_HTTPS_URL), verified against it */
static long tls_version;            /* the HTTP version of the last answer over HTTPS */
static const char *extra_header;  /* one more header for the next request, if set */
static const char *extra_header2; /* and another */
static long timeout_s = 120;

void http_timeout(long seconds)
{
	timeout_s = seconds > 0 ? seconds : 120;
}

static const char *content_type = "Content-Type: application/json";  /* of a request with a body */

struct resp *http_typed(const char *method, const char *path, const char *auth_header, const char *type,
                        const char *body)
{
	char line[512];
	/* "Content-Type:" alone keeps curl from sending its own form type. */
	snprintf(line, sizeof(line), "Content-Type:%s%s", type ? " " : "", type ? type : "");
	content_type = line;
	struct resp *r = http_raw(method, path, auth_header, body, body ? strlen(body) : 0);
	content_type = "Content-Type: application/json";
	return r;
}

struct resp *http_with_two_headers(const char *method, const char *path, const char *h1, const char *h2)
{
	extra_header = h1, extra_header2 = h2;
	struct resp *r = http_raw(method, path, NULL, NULL, 0);
	extra_header = extra_header2 = NULL;
	return r;
}

struct resp *http_post_with_two_headers(const char *path, const char *body, const char *h1, const char *h2)
{
	extra_header = h1, extra_header2 = h2;
	struct resp *r = http_raw("POST", path, NULL, body, strlen(body));
	extra_header = extra_header2 = NULL;
	return r;
}

struct resp *http_raw_typed(const char *method, const char *path, const char *type, const char *body, size_t len)
{
	char line[512];
	snprintf(line, sizeof(line), "Content-Type: %s", type);
	content_type = line;
	struct resp *r = http_raw(method, path, NULL, body, len);
	content_type = "Content-Type: application/json";
	return r;
}

struct resp *http_with_headers(const char *method, const char *path, const char *body, const char *auth_header,
                               const char *extra)
{
	extra_header = extra;
	struct resp *r = http_raw(method, path, auth_header, body, body ? strlen(body) : 0);
	extra_header = NULL;
	return r;
}

struct resp *http_raw(const char *method, const char *path, const char *auth_header,
                      const char *body, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct curl_slist *h = NULL;
	char url[4096];

	snprintf(url, sizeof(url), "%s%s", tls_ca ? getenv("TF_HTTPS_URL") : base, path);
	curl_easy_reset(curl);
	curl_easy_setopt(curl, CURLOPT_URL, url);
	if (source_address)
		curl_easy_setopt(curl, CURLOPT_INTERFACE, source_address);
	if (tls_ca) {
		curl_easy_setopt(curl, CURLOPT_CAINFO, tls_ca);
		curl_easy_setopt(curl, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	}
	curl_easy_setopt(curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(curl, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, timeout_s);
	if (auth_header)
		h = curl_slist_append(h, auth_header);
	if (extra_header)
		h = curl_slist_append(h, extra_header);
	if (extra_header2)
		h = curl_slist_append(h, extra_header2);
	if (body) {
		h = curl_slist_append(h, content_type);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	}
	h = curl_slist_append(h, "Expect:");
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, h);
	CURLcode rc = curl_easy_perform(curl);
	curl_slist_free_all(h);
	if (rc != CURLE_OK) {
		r->status = -1;
		r->body = strdup(curl_easy_strerror(rc));
		r->len = strlen(r->body);
	} else {
		curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r->status);
		if (tls_ca)
			curl_easy_getinfo(curl, CURLINFO_HTTP_VERSION, &tls_version);
		if (r->body)
			r->json = json_tokener_parse(r->body);
	}
	keep(r);
	last = r;
	return r;
}

/* A burst: its own handles, driven by curl's multi interface in a thread of its own. */
struct burst {
	pthread_t thread;
	int n;
	char url[4096], auth[512];
	char *body;
	long *statuses;
	char **bodies;
};

static size_t burst_body(char *p, size_t size, size_t n, void *ctx)
{
	char **dst = ctx;
	size_t len = size * n, have = *dst ? strlen(*dst) : 0;
	if (have + len < 4096) {
		*dst = realloc(*dst, have + len + 1);
		memcpy(*dst + have, p, len);
		(*dst)[have + len] = '\0';
	}
	return len;
}

static void *burst_main(void *arg)
{
	struct burst *b = arg;
	CURLM *m = curl_multi_init();
	CURL **easy = calloc((size_t)b->n, sizeof(*easy));
	struct curl_slist *h = curl_slist_append(NULL, b->auth);
	h = curl_slist_append(h, "Content-Type: application/json");
	h = curl_slist_append(h, "Expect:");

	for (int i = 0; i < b->n; i++) {
		easy[i] = curl_easy_init();
		curl_easy_setopt(easy[i], CURLOPT_URL, b->url);
		curl_easy_setopt(easy[i], CURLOPT_POSTFIELDS, b->body);
		curl_easy_setopt(easy[i], CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(easy[i], CURLOPT_WRITEFUNCTION, burst_body);
		curl_easy_setopt(easy[i], CURLOPT_WRITEDATA, &b->bodies[i]);
		curl_easy_setopt(easy[i], CURLOPT_TIMEOUT, 120L);
		curl_multi_add_handle(m, easy[i]);
	}
	int running = b->n;
	while (running > 0) {
		curl_multi_perform(m, &running);
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 200, NULL);
	}
	for (int i = 0; i < b->n; i++) {
		curl_easy_getinfo(easy[i], CURLINFO_RESPONSE_CODE, &b->statuses[i]);
		curl_multi_remove_handle(m, easy[i]);
		curl_easy_cleanup(easy[i]);
	}
	curl_slist_free_all(h);
	curl_multi_cleanup(m);
	free(easy);
	return NULL;
}

struct burst *burst_start(const char *path, const char *key, const char *body, int n)
{
	struct burst *b = calloc(1, sizeof(*b));
	b->n = n;
	snprintf(b->url, sizeof(b->url), "%s%s", base, path);
	snprintf(b->auth, sizeof(b->auth), "Authorization: Bearer %s", key);
	b->body = strdup(body);
	b->statuses = calloc((size_t)n, sizeof(long));
	b->bodies = calloc((size_t)n, sizeof(char *));
	if (pthread_create(&b->thread, NULL, burst_main, b) != 0)
		b->n = 0;
	return b;
}

int burst_wait(struct burst *b, long *statuses, char **bodies, int n)
{
	int got = b->n;

	if (got > 0)
		pthread_join(b->thread, NULL);
	for (int i = 0; i < got; i++) {
		if (i < n)
			statuses[i] = b->statuses[i];
		if (i < n && bodies)
			bodies[i] = b->bodies[i] ? b->bodies[i] : strdup("");
		else
			free(b->bodies[i]);
	}
	free(b->bodies);
	free(b->statuses);
	free(b->body);
	free(b);
	return got;
}

int count_holding(char **bodies, int n, const char *want)
{
	int k = 0;
	for (int i = 0; i < n; i++)
		k += bodies[i] && strstr(bodies[i], want) != NULL;
	return k;
}

void free_all(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
}

/* The port of TF_BASE_URL ("http://127.0.0.1:PORT"). */
static int base_port(void)
{
	const char *colon = strrchr(base, ':');
	return colon ? atoi(colon + 1) : 80;
}

struct resp *http_wire(const char *request, size_t len)
{
	struct resp *r = calloc(1, sizeof(*r));
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)base_port()) };
	struct timeval tv = { 10, 0 };
	struct buf in = BUF_INIT;
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	inet_pton(AF_INET, "127.0.0.1", &a.sin_addr);
	r->status = -1;
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0)
		goto out;
	/* Not half-closed: nginx would take that for a client giving up. */
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, request + off, len - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;  /* the server may answer (and close) before it has read everything */
		off += (size_t)n;
	}
	char chunk[65536];
	ssize_t n;
	while ((n = recv(fd, chunk, sizeof(chunk), 0)) > 0)
		buf_append(&in, chunk, (size_t)n);
	const char *end = in.data ? strstr(in.data, "\r\n\r\n") : NULL;
	if (end == NULL || sscanf(in.data, "HTTP/1.%*d %ld", &r->status) != 1)
		goto out;
	const char *eol = strstr(in.data, "\r\n");
	snprintf(r->headers, sizeof(r->headers), "%.*s", (int)(end + 2 - (eol + 2)), eol + 2);
	r->len = in.len - (size_t)(end + 4 - in.data);
	r->body = malloc(r->len + 1);
	memcpy(r->body, end + 4, r->len);
	r->body[r->len] = '\0';
	r->json = json_tokener_parse(r->body);
out:
	if (fd >= 0)
		close(fd);
	buf_free(&in);
	keep(r);
	last = r;
	return r;
}

struct resp *last_resp(void)
{
	return last;
}

struct resp *http(const char *method, const char *path, const char *key, const char *body)
{
	char auth[512];

	if (key)
		snprintf(auth, sizeof(auth), "Authorization: Bearer %s", key);
	return http_raw(method, path, key ? auth : NULL, body, body ? strlen(body) : 0);
}

struct resp *httpf(const char *method, const char *key, const char *body, const char *pathfmt, ...)
{
	char path[2048];
	va_list ap;

	va_start(ap, pathfmt);
	vsnprintf(path, sizeof(path), pathfmt, ap);
	va_end(ap);
	return http(method, path, key, body);
}

const char *resp_header(const struct resp *r, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);

	for (const char *p = r->headers; *p;) {
		const char *eol = strstr(p, "\r\n");
		size_t len = eol ? (size_t)(eol - p) : strlen(p);
		if (len > nl + 1 && strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
			const char *v = p + nl + 1;
			while (*v == ' ')
				v++;
			snprintf(out, n, "%.*s", (int)(p + len - v), v);
			return out;
		}
		p = eol ? eol + 2 : p + len;
	}
	return NULL;
}

json_object *jp(json_object *o, const char *path)
{
	char buf[256];
	snprintf(buf, sizeof(buf), "%s", path);
	for (char *save, *tok = strtok_r(buf, ".", &save); tok && o; tok = strtok_r(NULL, ".", &save)) {
		if (json_object_is_type(o, json_type_array) && isdigit((unsigned char)tok[0]))
			o = json_object_array_get_idx(o, (size_t)atoi(tok));
		else if (!json_object_object_get_ex(o, tok, &o))
			return NULL;
	}
	return o;
}

const char *jps(json_object *o, const char *path)
{
	json_object *v = jp(o, path);
	return v && json_object_is_type(v, json_type_string) ? json_object_get_string(v) : NULL;
}

bool jis(json_object *o, const char *path, const char *want)
{
	const char *v = jps(o, path);
	return v && strcmp(v, want) == 0;
}

json_object *body_json(const struct resp *r)
{
	const char *b = jps(r->json, "body");
	return b ? json_tokener_parse(b) : NULL;
}

long long jpi(json_object *o, const char *path, long long def)
{
	json_object *v = jp(o, path);
	return v && (json_object_is_type(v, json_type_int) || json_object_is_type(v, json_type_double))
	           ? json_object_get_int64(v) : def;
}

void sleep_ms(int ms)
{
	nanosleep(&(struct timespec){ ms / 1000, (ms % 1000) * 1000000L }, NULL);
}

int stack_ctl(const char *fn, const char *arg)
{
	const char *repo = getenv("TF_REPO"), *dir = getenv("TF_STACK_DIR");
	char cmd[2048];

	if (repo == NULL || dir == NULL)
		return -1;
	/* Names come from the tests themselves, never from a response. */
	snprintf(cmd, sizeof(cmd),
	         "bash -c 'source \"%s/scripts/lib/common.sh\" && source \"%s/scripts/lib/deps.sh\" && "
	         "source \"%s/scripts/lib/stack.sh\" && %s \"%s\" %s' >/dev/null 2>&1",
	         repo, repo, repo, fn, dir, arg ? arg : "");
	return system(cmd);
}

const char *stack_config(const char *key, char *out, size_t n)
{
	char path[1024], line[2048];
	const char *found = NULL;
	size_t kl = strlen(key);

	snprintf(path, sizeof(path), "%s/taufunctions.conf", getenv("TF_STACK_DIR"));
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	while (!found && fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");
		if (strncmp(p, key, kl) != 0 || strncmp(p + kl, " = ", 3) != 0)
			continue;
		snprintf(out, n, "%s", p + kl + 3);
		out[strcspn(out, "\n")] = '\0';
		found = out;
	}
	fclose(f);
	return found;
}

const char *stack_sql_text(const char *query, char *out, size_t n)
{
	char cmd[4096];

	out[0] = '\0';
	snprintf(cmd, sizeof(cmd), "mariadb --no-defaults -S '%s/run/mysql.sock' -u root taufunctions -N -B -e \"%s\"",
	         getenv("TF_STACK_DIR"), query);
	FILE *p = popen(cmd, "r");
	if (p == NULL)
		return out;
	if (fgets(out, (int)n, p) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
	return out;
}

long long stack_sql_number(const char *query)
{
	char text[64], *end;
	stack_sql_text(query, text, sizeof(text));
	long long v = strtoll(text, &end, 10);
	return end == text ? -1 : v;
}

void unique(const char *prefix, char *out, size_t n)
{
	static unsigned counter;
	snprintf(out, n, "%s-%x%x", prefix, (unsigned)getpid() & 0xfff, ++counter * 7919u + (unsigned)time(NULL) % 9973u);
}

void signup(const char *prefix, char key[128], char tenant[80])
{
	char body[256];

	unique(prefix, tenant, 80);
	snprintf(body, sizeof(body), "{\"tenantId\":\"%s\",\"agent\":\"tf-e2e\"}", tenant);
	struct resp *r = http("POST", "/api/signup", NULL, body);
	const char *k = jps(r->json, "apiKey");
	snprintf(key, 128, "%s", k ? k : "signup-failed");
}

char *fn_body(const char *name, const char *runtime, const char *handler, const char *code,
              const char *extra)
{
	json_object *o = extra ? json_tokener_parse(extra) : json_object_new_object();
	json_object_object_add(o, "name", json_object_new_string(name));
	json_object_object_add(o, "runtime", json_object_new_string(runtime));
	json_object_object_add(o, "handler", json_object_new_string(handler));
	json_object_object_add(o, "code", json_object_new_string(code));
	char *text = strdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
	json_object_put(o);
	return text;
}

bool create_fn(const char *key, const char *body, char id[64])
{
	struct resp *r = http("POST", "/saas/api/v1/sdk/tau/functions", key, body);
	const char *v = jps(r->json, "id");
	snprintf(id, 64, "%s", v ? v : "");
	return r->status == 201 && v != NULL;
}

bool deploy_fn(const char *key, const char *id)
{
	return httpf("POST", key, NULL, "/saas/api/v1/sdk/tau/functions/%s/deploy", id)->status == 200;
}

bool ready_fn(const char *key, const char *name, const char *runtime, const char *handler, const char *code,
              const char *extra, char id[64])
{
	char *b = fn_body(name, runtime, handler, code, extra);
	bool ok = create_fn(key, b, id) && deploy_fn(key, id);
	free(b);
	if (!ok)
		t_fail(__FILE__, __LINE__, "could not create and deploy %s", name);
	return ok;
}

struct resp *invoke_fn(const char *key, const char *id, const char *payload_json)
{
	char *body = NULL;
	if (payload_json && asprintf(&body, "{\"payload\":%s}", payload_json) < 0)
		body = NULL;
	struct resp *r = httpf("POST", key, body ? body : "{}", "/saas/api/v1/sdk/tau/functions/%s/invoke", id);
	free(body);
	return r;
}

static const struct suite *const suites[] = {
	&suite_newcomer, &suite_tau_account, &suite_tau_functions, &suite_tau_invoke, &suite_tau_errors,
	&suite_tau_isolation, &suite_tau_limits, &suite_sandbox,
	&suite_platform_accounts, &suite_platform_functions, &suite_platform_roles, &suite_platform_ops,
	&suite_limits, &suite_engine, &suite_records, &suite_walls, &suite_fairness, &suite_packages, &suite_input, &suite_http_edges, &suite_runtime_py312, &suite_storage, &suite_tenant_walls, &suite_frontdoor, &suite_tls_limits, &suite_triggers, &suite_deployments,
	&suite_two_api, &suite_runners, &suite_faults, &suite_async, &suite_outcomes,  /* last: they stop and start parts of the stack */
};

int main(void)
{
	const char *filter = getenv("TF_TEST_FILTER");
	int n = 0, bad = 0;

	base = getenv("TF_BASE_URL");
	if (base == NULL) {
		fprintf(stderr, "TF_BASE_URL is not set\n");
		return 2;
	}
	curl_global_init(CURL_GLOBAL_DEFAULT);
	curl = curl_easy_init();
	size_t total = 0;
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++)
		for (size_t i = 0; i < suites[s]->n; i++)
			total += !filter || strstr(suites[s]->tests[i].name, filter);
	printf("1..%zu\n", total);
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		for (size_t i = 0; i < suites[s]->n; i++) {
			const struct test *t = &suites[s]->tests[i];
			if (filter && !strstr(t->name, filter))
				continue;
			failed = false;
			failure[0] = '\0';
			struct timespec a, b;
			clock_gettime(CLOCK_MONOTONIC, &a);
			t->fn();
			clock_gettime(CLOCK_MONOTONIC, &b);
			double secs = (double)(b.tv_sec - a.tv_sec) + (double)(b.tv_nsec - a.tv_nsec) / 1e9;
			n++;
			if (failed) {
				bad++;
				printf("not ok %d - %s\n# %s\n", n, t->name, failure);
			} else {
				printf("ok %d - %s # %.2fs\n", n, t->name, secs);
			}
			fflush(stdout);
			release_all();
		}
	}
	curl_easy_cleanup(curl);
	curl_global_cleanup();
	return bad ? 1 : 0;
}

struct resp *await_invocation(const char *key, const char *fn, const char *rid, int seconds)
{
	struct resp *r = NULL;
	for (int i = 0; i < seconds * 10; i++) {
		r = httpf("GET", key, NULL, "/api/v1/functions/%s/invocations/%s", fn, rid);
		if (jis(r->json, "status", "Succeeded") || jis(r->json, "status", "DeadLettered") || jis(r->json, "status", "Failed"))
			break;
		sleep_ms(100);
	}
	return r;
}

void http_from(const char *address)
{
	source_address = address;
}

bool http_over_tls(bool on)
{
	const char *url = getenv("TF_HTTPS_URL"), *ca = getenv("TF_TLS_CA");
	tls_ca = on && url && ca ? ca : NULL;
	return !on || tls_ca != NULL;
}

long http_tls_version(void)
{
	return tls_version;
}
