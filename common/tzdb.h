/*
 * Time zones by IANA name ("America/New_York"), read from the system's tzdata once and
 * kept. Thread safe, and never through setenv("TZ")/tzset()/localtime(), whose process-wide
 * state a multi-threaded daemon cannot share.
 */
#ifndef TF_TZDB_H
#define TF_TZDB_H

#include <stdbool.h>

#include "tf.h"
#include "tzif.h"

#define TZDB_DIR "/usr/share/zoneinfo"
#define TZDB_NAME_MAX 64            /* tzdata's longest name has 32 characters */
#define TZDB_FILE_MAX (64 * TF_KIB) /* its largest zone file has under 4 KB */
#define TZDB_CACHE_ZONES 256        /* zones kept; tzdata has about 600 */

/* Whether name is spelt as a zone name may be: letters, digits, "/_+-", no ".." or leading "/". */
bool tzdb_name_ok(const char *name);
/*
 * The zone called name, or NULL when there is none. "UTC" needs no file. A zone is kept
 * for the life of the process; when the cache is full, the zone is the caller's alone:
 * *own then points to it, to be given to tzone_free after use (else *own is NULL).
 */
const struct tzone *tzdb_get(const char *name, struct tzone **own);

#endif
