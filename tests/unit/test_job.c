/* The job and outcome that travel through Redis between tf-api and tf-worker. */
#include <stdlib.h>
#include <string.h>

#include "job.h"
#include "jsonx.h"
#include "unit.h"

static void a_job_survives_the_trip(void **state)
{
	struct job j = { .version = 3, .memory_mb = 256, .timeout_s = 5, .enqueued_ms = 1000, .wait_until_ms = 9000 };
	struct job back;
	char why[128];
	(void)state;
	strcpy(j.request_id, "8f0c0000-0000-4000-8000-000000000000");
	strcpy(j.tenant, "t");
	strcpy(j.function_id, "fn_x");
	strcpy(j.function_name, "hello");
	strcpy(j.code_sha256, "ab");
	strcpy(j.runtime, "nodejs20");
	strcpy(j.handler, "index.handler");
	j.env = json_tokener_parse("{\"A\":\"1\"}");
	j.payload = strdup("{\"deep\":[1,{\"x\":\"\\n\"}]}");
	char *text = job_to_json(&j);
	assert_int_equal(job_from_json(text, strlen(text), &back, why, sizeof(why)), 0);
	assert_string_equal(back.request_id, j.request_id);
	assert_string_equal(back.handler, "index.handler");
	assert_int_equal(back.version, 3);
	assert_int_equal(back.timeout_s, 5);
	assert_int_equal(back.wait_until_ms, 9000);
	assert_string_equal(json_object_get_string(json_object_object_get(back.env, "A")), "1");
	assert_string_equal(back.payload, "{\"deep\":[1,{\"x\":\"\\n\"}]}");
	free(text);
	job_free(&back);
	job_free(&j);
}

static void a_malformed_job_is_refused(void **state)
{
	struct job j;
	char why[128];
	(void)state;
	const char *bad[] = { "{}", "not json", "{\"requestId\":\"r\",\"tenant\":\"t\",\"functionId\":\"f\",\"functionName\":\"n\","
	                      "\"codeSha256\":\"s\",\"runtime\":\"r\",\"handler\":\"h\",\"version\":1,\"memoryMB\":1,\"timeout\":1}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(job_from_json(bad[i], strlen(bad[i]), &j, why, sizeof(why)), -1);
		job_free(&j);
	}
}

static void an_outcome_carries_result_or_error(void **state)
{
	struct outcome o = { .status = OUTCOME_SUCCEEDED, .duration_ms = 12.5, .billed_ms = 100, .cold_start = true, .version = 2 };
	struct outcome back;
	(void)state;
	o.result = strdup("{\"statusCode\":200}");
	char *text = outcome_to_json(&o);
	assert_int_equal(outcome_from_json(text, strlen(text), &back), 0);
	assert_int_equal(back.status, OUTCOME_SUCCEEDED);
	assert_string_equal(back.result, "{\"statusCode\":200}");
	assert_true(back.cold_start);
	assert_int_equal(back.version, 2);
	free(text);
	outcome_free(&back);
	outcome_free(&o);
	struct outcome e = { .status = OUTCOME_TIMEOUT };
	e.error = lambda_error("Sandbox.Timedout", "Task timed out after 1.00 seconds");
	text = outcome_to_json(&e);
	assert_int_equal(outcome_from_json(text, strlen(text), &back), 0);
	assert_int_equal(back.status, OUTCOME_TIMEOUT);
	assert_null(back.result);
	assert_string_equal(jstr(back.error, "errorType"), "Sandbox.Timedout");
	free(text);
	outcome_free(&back);
	outcome_free(&e);
}

static const struct CMUnitTest tests[] = {
	cmocka_unit_test(a_job_survives_the_trip),
	cmocka_unit_test(a_malformed_job_is_refused),
	cmocka_unit_test(an_outcome_carries_result_or_error),
};
UNIT_TABLE(unit_job, tests);
