/* A newcomer's machine: a checkout in /root, where only root may pass. */
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "harness.h"

/*
 * scripts/test keeps its stack below a directory of mode 0700, as a root user's
 * clone in /root is: nginx's workers and the sandbox uids cannot pass through it,
 * so whatever they must reach lives elsewhere, and the stack still answers.
 */
static void a_stack_below_a_0700_directory_answers_health_through_nginx(void)
{
	char dir[1024], conf[1024];
	struct stat st;

	snprintf(dir, sizeof(dir), "%s", getenv("TF_STACK_DIR"));
	CHECK(stat(dirname(dir), &st) == 0, "cannot stat the stack's parent");
	CHECK((st.st_mode & 0077) == 0, "the stack's parent is mode %o, not closed to others", st.st_mode & 0777);
	struct resp *r = http("GET", "/health", NULL, NULL);
	CHECK_STATUS(r, 200);
	CHECK(jis(r->json, "status", "ok"), "health: %s", r->body);
	/* The FastCGI socket nginx's workers reach is outside the closed directory. */
	CHECK(stack_config("socket", conf, sizeof(conf)) && strncmp(conf, getenv("TF_STACK_DIR"), strlen(getenv("TF_STACK_DIR"))) != 0,
	      "tf-api's socket is %s, below the closed directory", conf);
	/* A function runs too: the sandbox uids reach the worker's directory. */
	char key[128], tenant[80], id[64];
	signup("newcomer", key, tenant);
	CHECK(ready_fn(key, "hello", "nodejs20", "index.handler", "exports.handler = async () => 'hi';", NULL, id), "ready");
	r = invoke_fn(key, id, NULL);
	CHECK(r->status == 200 && jis(r->json, "body", "hi"), "%s", r->body);
}

static const struct test tests[] = {
	{ "newcomer: a stack below a 0700 directory answers /health through nginx",
	  a_stack_below_a_0700_directory_answers_health_through_nginx },
};
const struct suite suite_newcomer = { tests, sizeof(tests) / sizeof(tests[0]) };
