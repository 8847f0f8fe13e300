/*
 * libFuzzer target for schedule expressions: any input parses or gives a reason, and a
 * parsed schedule's next fire time is computed in zones with and without rules. Not part
 * of the build (it needs clang); from the repository:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/fuzz_schedule.c common/civil.c common/tzrule.c common/tzif.c common/tzdb.c \
 *     common/schedule_*.c common/num.c common/xalloc.c -pthread -o /tmp/fuzz-schedule
 *   /tmp/fuzz-schedule -max_len=300
 * Input: 8 bytes of after_s, one byte of flags (dialect, zone), then the expression.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "schedule.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	static const char *const zones[] = { NULL, "America/New_York", "Australia/Lord_Howe", "Pacific/Chatham" };
	char expr[SCHED_MAX_EXPR + 64], why[SCHED_WHY_MAX];
	struct schedule s;
	int64_t after, next;

	if (n < 9 || n - 9 >= sizeof(expr))
		return 0;
	memcpy(&after, data, sizeof(after));
	memcpy(expr, data + 9, n - 9);
	expr[n - 9] = '\0';
	if (schedule_parse(expr, data[8] & 1 ? SCHED_UNIX : SCHED_AWS, &s, why, sizeof(why)) != 0) {
		if (why[0] == '\0')
			abort();  /* every refusal says why */
		return 0;
	}
	if (schedule_next(&s, zones[data[8] >> 1 & 3], after / 3, after, &next) == 0 && next <= after)
		abort();
	return 0;
}
