/*
 * What travels between tf-api and tf-worker through Redis: the job (everything
 * the worker needs to run one invocation, so it never asks MariaDB on the hot
 * path but for code it has not cached), the outcome the caller waits for, and
 * the record of the finished invocation that the recorder writes to MariaDB.
 */
#ifndef TF_JOB_H
#define TF_JOB_H

#include <json-c/json.h>
#include <stdbool.h>
#include <stdint.h>

#include "ids.h"
#include "sha256.h"

struct job {
	char request_id[TF_REQUEST_ID_LEN + 1];
	char tenant[65];
	char function_id[32];
	char function_name[65];
	int version;
	char code_sha256[TF_SHA256_HEX + 1];
	char runtime[16];
	char handler[129];
	int memory_mb;
	int timeout_s;
	json_object *env;        /* object of strings, owned */
	char *payload;           /* the event as JSON text, owned */
	char alias[65];          /* empty when invoked without one */
	char type[16];           /* "RequestResponse" or "Event" */
	char trace_id[48];       /* the request's that made it (its log lines in tf-api and nginx), or "" */
	int max_retries;         /* Event: tries after the first, 0-2 (as Lambda) */
	int max_event_age_s;     /* Event: no try starts later than this after queuing */
	int reserved_concurrency; /* at most this many of the function run at once; -1: no limit */
	int account_concurrency;  /* at most this many of the tenant's run at once; -1: no limit */
	int64_t enqueued_ms;     /* wall clock */
	int64_t wait_until_ms;   /* the caller stops waiting then; later is pointless */
};

enum outcome_status {
	OUTCOME_SUCCEEDED,
	OUTCOME_FUNCTION_ERROR,  /* the handler threw, or failed to load */
	OUTCOME_TIMEOUT,
	OUTCOME_OUT_OF_MEMORY,
	OUTCOME_CRASHED,         /* the runtime exited */
	OUTCOME_PLATFORM_ERROR,  /* nothing of the function ran: a platform fault */
};

struct outcome {
	char request_id[TF_REQUEST_ID_LEN + 1];
	enum outcome_status status;
	char *result;            /* JSON text of the handler's value, owned; NULL unless succeeded */
	json_object *error;      /* {errorType, errorMessage, stackTrace}, owned */
	double duration_ms;      /* handler time, init excluded */
	double init_ms;          /* instance start and module load, 0 when warm */
	int billed_ms;
	int memory_used_mb;
	bool cold_start;
	int version;
	char runner[64];
	char log_stream[160];    /* logStreamName of the instance that ran it */
	int64_t started_ms;      /* wall clock */
};

char *job_to_json(const struct job *j);
/* Parses a job; returns -1 with a reason when a field is missing or malformed. */
int job_from_json(const char *text, size_t len, struct job *j, char *why, size_t whysz);
void job_free(struct job *j);

char *outcome_to_json(const struct outcome *o);
/* The outcome's fields but the result, added to o (the record shares them). */
void outcome_add_fields(json_object *o, const struct outcome *oc);
int outcome_from_json(const char *text, size_t len, struct outcome *o);
void outcome_free(struct outcome *o);
const char *outcome_status_name(enum outcome_status s);
/* Rounds a duration up to the billing step, at least one step. */
int billed_ms_of(double duration_ms);
/* An error object in Lambda's shape. */
json_object *lambda_error(const char *type, const char *message);

#endif
