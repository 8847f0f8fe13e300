/* The asynchronous retry policy, as Lambda's: pure, so that it can be tested alone. */
#ifndef TF_RETRY_H
#define TF_RETRY_H

#include <stdbool.h>
#include <stdint.h>

struct retry_verdict {
	const char *status;   /* "Succeeded", "Retrying" or "DeadLettered" */
	int64_t delay_ms;     /* Retrying: how long until the next try */
};

/*
 * What becomes of an invocation after its attempt-th try (1 for the first): a
 * failed try is tried again after backoff_ms, doubled for each later retry, up to
 * max_retries times and only if the retry is due before the event is
 * max_event_age_s old (age_s now); otherwise it is a dead letter.
 */
struct retry_verdict retry_judge(bool succeeded, long long attempt, int max_retries, long long age_s,
                                 int max_event_age_s, long long backoff_ms);

#endif
