#include "retry.h"

struct retry_verdict retry_judge(bool succeeded, long long attempt, int max_retries, long long age_s,
                                 int max_event_age_s, long long backoff_ms)
{
	struct retry_verdict v = { "Succeeded", 0 };

	if (succeeded)
		return v;
	/* attempt is at most max_retries + 1 (3), so the shift stays small. */
	long long delay = backoff_ms << (attempt > 1 && attempt <= 32 ? attempt - 1 : 0);
	if (attempt <= max_retries && age_s * 1000 + delay < (long long)max_event_age_s * 1000) {
		v.status = "Retrying";
		v.delay_ms = delay;
	} else {
		v.status = "DeadLettered";
	}
	return v;
}
