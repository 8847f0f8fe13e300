#include <stdio.h>
#include <string.h>

#include "job_version.h"
#include "jsonx.h"
#include "tf.h"

int job_load_version(struct db *db, const char *fn_id, long long n, struct job *j)
{
	struct db_rows *rows = NULL;
	char why[64];

	if (db_query(db,
	             "SELECT v.code_sha256, v.runtime, v.handler, v.memory_mb, v.timeout_s, v.env, f.max_retries,"
	             " f.max_event_age_s, f.reserved_concurrency FROM versions v JOIN functions f ON f.id = v.function_id"
	             " WHERE v.function_id = ? AND v.number = ?",
	             DB_ARGS(DB_STR(fn_id), DB_INT(n)), &rows) != 0)
		return -1;
	if (rows->nrows == 0) {
		db_rows_free(rows);
		return 1;
	}
	const char *env = db_val(rows, 0, 5);
	snprintf(j->function_id, sizeof(j->function_id), "%s", fn_id);
	j->version = (int)n;
	snprintf(j->code_sha256, sizeof(j->code_sha256), "%s", db_val(rows, 0, 0));
	snprintf(j->runtime, sizeof(j->runtime), "%s", db_val(rows, 0, 1));
	snprintf(j->handler, sizeof(j->handler), "%s", db_val(rows, 0, 2));
	j->memory_mb = (int)db_ll(rows, 0, 3, TF_DEFAULT_MEMORY_MB);
	j->timeout_s = (int)db_ll(rows, 0, 4, TF_DEFAULT_TIMEOUT_S);
	j->max_retries = (int)db_ll(rows, 0, 6, 2);
	j->max_event_age_s = (int)db_ll(rows, 0, 7, 21600);
	j->reserved_concurrency = (int)db_ll(rows, 0, 8, -1);
	json_object_put(j->env);
	j->env = env ? json_parse_text(env, strlen(env), why, sizeof(why)) : NULL;
	if (j->env == NULL)
		j->env = json_object_new_object();
	db_rows_free(rows);
	return 0;
}
