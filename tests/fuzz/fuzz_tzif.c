/*
 * libFuzzer target for TZif files and their POSIX TZ footers: any bytes are read or
 * refused, and a zone read answers offsets and local times across its whole range. Not
 * part of the build (it needs clang); from the repository, with tzdata's files as seeds:
 *   clang -g -O1 -D_GNU_SOURCE -fsanitize=fuzzer,address,undefined -Icommon \
 *     tests/fuzz/fuzz_tzif.c common/civil.c common/tzrule.c common/tzif.c common/num.c \
 *     common/xalloc.c -o /tmp/fuzz-tzif
 *   cp -r /usr/share/zoneinfo/Europe /tmp/tzif-seeds
 *   /tmp/fuzz-tzif -max_len=8192 /tmp/tzif-seeds
 */
#include <stdint.h>
#include <stdlib.h>

#include "tzif.h"

#define STEP 400000000LL   /* some 12.7 years */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t n)
{
	struct tzone *z;
	int64_t next;

	if (tzif_parse(data, n, &z) != 0)
		return 0;
	for (int64_t t = -100 * STEP; t < 100 * STEP; t += STEP) {
		tzone_offset(z, t, &next);
		if (next <= t)
			abort();  /* the next change is always later */
		int64_t u = tzone_first_local(z, t);
		if (u + tzone_offset(z, u, &next) < t)
			abort();  /* at u the clock reads t or later */
	}
	tzone_free(z);
	return 0;
}
