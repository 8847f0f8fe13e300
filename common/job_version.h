/* A job's code and settings, read from a function's published version: one query both daemons use. */
#ifndef TF_JOB_VERSION_H
#define TF_JOB_VERSION_H

#include "db.h"
#include "job.h"

/*
 * Fills j's function id, version, code, runtime, handler, memory, timeout,
 * environment, retries, event age and reserved concurrency from version n of
 * the function fn_id. 0 when loaded, 1 when there is no such version, -1 when
 * MariaDB failed (db_error says why).
 */
int job_load_version(struct db *db, const char *fn_id, long long n, struct job *j);

#endif
