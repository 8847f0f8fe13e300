/*
 * End-to-end tests: a client of the running stack, over HTTP through nginx,
 * exactly as a user's would be. Each test is one behaviour; the runner prints
 * TAP ("ok N - name" / "not ok N - name").
 */
#ifndef TF_E2E_HARNESS_H
#define TF_E2E_HARNESS_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stddef.h>

struct resp {
	long status;
	char *body;
	size_t len;
	json_object *json;      /* parsed body, NULL if not JSON */
	char headers[8192];     /* raw header block */
};

struct test {
	const char *name;
	void (*fn)(void);
};

/* Registers a file's tests; each test file defines one such table. */
struct suite {
	const struct test *tests;
	size_t n;
};

extern const struct suite suite_tau_account, suite_tau_functions, suite_tau_invoke,
	suite_tau_errors, suite_tau_isolation, suite_tau_limits, suite_sandbox, suite_faults,
	suite_platform_accounts, suite_platform_functions, suite_platform_roles, suite_platform_ops, suite_limits,
	suite_engine,
	suite_async, suite_newcomer, suite_records, suite_walls, suite_fairness, suite_outcomes, suite_packages, suite_input, suite_http_edges, suite_runtime_py312, suite_storage, suite_tenant_walls, suite_triggers, suite_deployments, suite_frontdoor, suite_tls_limits, suite_runners, suite_two_api;

/* The failure of the running test, set by CHECK. */
void t_fail(const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool t_failed(void);

#define CHECK(cond, ...)                                                        \
	do {                                                                        \
		if (!(cond)) {                                                          \
			t_fail(__FILE__, __LINE__, __VA_ARGS__);                            \
			return;                                                             \
		}                                                                       \
	} while (0)

#define CHECK_STATUS(r, code)                                                   \
	CHECK((r)->status == (code), "HTTP %ld, expected %d: %.600s", (r)->status,  \
	      (int)(code), (r)->body ? (r)->body : "")

/* HTTP against TF_BASE_URL. key may be NULL; body may be NULL. */
struct resp *http(const char *method, const char *path, const char *key, const char *body);
/* The same with a formatted path. */
struct resp *httpf(const char *method, const char *key, const char *body, const char *pathfmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The timeout of the requests that follow (0: the default, 120 s). */
void http_timeout(long seconds);
/* n POSTs of body to path at once, from a thread of its own, while the test goes on. */
struct burst;
struct burst *burst_start(const char *path, const char *key, const char *body, int n);
/*
 * Waits for the burst's answers: their statuses (up to n of them) into statuses and,
 * unless bodies is NULL, their bodies (free_all them). Returns how many were sent.
 */
int burst_wait(struct burst *b, long *statuses, char **bodies, int n);
/* How many of n bodies hold the text want. */
int count_holding(char **bodies, int n, const char *want);
void free_all(char **v, int n);
/* The response of the latest request. */
struct resp *last_resp(void);
struct resp *http_raw(const char *method, const char *path, const char *auth_header,
                      const char *body, size_t len);
/* With one more request header ("Name: value"). */
struct resp *http_with_headers(const char *method, const char *path, const char *body, const char *auth_header,
                               const char *extra_header);
/*
 * Sends request, bytes exactly as given, on a connection of its own and reads the
 * answer until the server closes it (say "Connection: close"); status -1 when none came.
 */
struct resp *http_wire(const char *request, size_t len);
/* A request whose body is declared with Content-Type type (NULL: none at all). */
struct resp *http_typed(const char *method, const char *path, const char *auth_header, const char *type,
                        const char *body);
/* With two more request headers, and no body (h2 may set the Content-Type of a bodiless request). */
struct resp *http_with_two_headers(const char *method, const char *path, const char *h1, const char *h2);
/* A POST of body (JSON) with two more request headers. */
struct resp *http_post_with_two_headers(const char *path, const char *body, const char *h1, const char *h2);
/* Any bytes as the body, of this Content-Type. */
struct resp *http_raw_typed(const char *method, const char *path, const char *type, const char *body, size_t len);
/* Requests leave from this loopback address ("127.0.0.2"), or 127.0.0.1 again with NULL. */
void http_from(const char *address);
/* Requests go over HTTPS (TF_HTTPS_URL, verified against TF_TLS_CA) or not; false when none is set up. */
bool http_over_tls(bool on);
/* The HTTP version of the last answer over HTTPS: CURL_HTTP_VERSION_2_0 for HTTP/2. */
long http_tls_version(void);
/* Value of a response header (case-insensitive), into out; NULL if absent. */
const char *resp_header(const struct resp *r, const char *name, char *out, size_t n);

/* Navigates "a.b.0.c" into the response JSON; NULL when absent. */
json_object *jp(json_object *o, const char *path);
const char *jps(json_object *o, const char *path);   /* string or NULL */
bool jis(json_object *o, const char *path, const char *want);  /* a string equal to want */
/* The JSON inside the answer's "body" string, or NULL when there is none (free with json_object_put). */
json_object *body_json(const struct resp *r);
long long jpi(json_object *o, const char *path, long long def);

/* A new tenant with a unique id starting with prefix; writes its API key. */
void signup(const char *prefix, char key[128], char tenant[80]);
/* Creates a function from a JSON body; returns its id (static storage per call site copy). */
bool create_fn(const char *key, const char *body, char id[64]);
/* Builds a Tau create body: name, runtime, handler, code, plus extra fields (JSON object text or NULL). */
char *fn_body(const char *name, const char *runtime, const char *handler, const char *code,
              const char *extra);
bool deploy_fn(const char *key, const char *id);
/* Creates (fn_body's arguments) and deploys a function; false, with the test failed, if either step fails. */
bool ready_fn(const char *key, const char *name, const char *runtime, const char *handler, const char *code,
              const char *extra, char id[64]);
struct resp *invoke_fn(const char *key, const char *id, const char *payload_json);
/* A unique name with this prefix. */
void unique(const char *prefix, char *out, size_t n);
void sleep_ms(int ms);
/*
 * Runs a function of scripts/lib/stack.sh on the test stack (TF_STACK_DIR), e.g.
 * stack_ctl("stop_one", "redis") or stack_ctl("start_redis", NULL). Returns its status.
 */
int stack_ctl(const char *fn, const char *arg);
/* The value of the first "key = value" line of the test stack's configuration, into out. */
const char *stack_config(const char *key, char *out, size_t n);
/* Runs a query on the test stack's MariaDB; its first value as a number, -1 on failure. */
long long stack_sql_number(const char *query);
/* The same, its first value as text into out ("" on failure). */
const char *stack_sql_text(const char *query, char *out, size_t n);
/*
 * Polls the platform API for an asynchronous invocation of fn until its status
 * is final (Succeeded, Failed, DeadLettered) or seconds pass; the last answer.
 */
struct resp *await_invocation(const char *key, const char *fn, const char *rid, int seconds);

#endif
