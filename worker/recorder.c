/*
 * The recorder: finished invocations travel through a Redis Stream and are
 * written to MariaDB in batches, off the invocation's path. An entry is
 * acknowledged only after its rows are committed; inserts are idempotent, so an
 * entry delivered twice (a recorder died after committing, before acking)
 * changes nothing. Entries a dead runner's recorder left pending are claimed.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "histogram.h"
#include "jsonx.h"
#include "keys.h"
#include "log.h"
#include "timefmt.h"
#include "worker.h"
#include "xalloc.h"

#define RECORD_BATCH 256
#define LOG_SEQ_PER_ATTEMPT 1000000  /* each try of an invocation numbers its lines from here */
#define RECORD_BLOCK_MS 1000
/*
 * After a batch short of RECORD_BATCH, the recorder waits this long before it reads
 * again, so that under load a batch holds many records: a batch costs MariaDB a
 * transaction and a handful of statements whatever its size, as much as dozens of
 * rows. An invocation after a quiet spell is written at once; under load its record
 * waits at most this long more.
 */
#define RECORD_GATHER_MS 100
#define CLAIM_IDLE_MS 60000       /* a pending entry this old belongs to a dead recorder */
#define CLAIM_EVERY_MS 30000

void log_invocation(const struct job *j, const struct outcome *oc)
{
	char version[16], ms[320];  /* room for any double, so the compiler sees no truncation */
	snprintf(version, sizeof(version), "%d", oc->version);
	snprintf(ms, sizeof(ms), "%.3f", oc->duration_ms);
	log_fields(oc->status == OUTCOME_PLATFORM_ERROR ? TFLOG_WARN : TFLOG_INFO, "invocation", "requestId", j->request_id,
	           "traceId", j->trace_id[0] ? j->trace_id : NULL, "tenant", j->tenant, "function", j->function_name,
	           "version", version, "type", j->type[0] ? j->type : "RequestResponse", "status",
	           outcome_status_name(oc->status), "ms", ms, "coldStart", oc->cold_start ? "true" : "false", NULL);
}

char *record_json(const struct job *j, const struct outcome *oc, const struct log_lines *logs)
{
	json_object *o = json_object_new_object();
	outcome_add_fields(o, oc);
	jadd_str(o, "tenant", j->tenant);
	jadd_str(o, "functionId", j->function_id);
	jadd_str(o, "alias", j->alias[0] ? j->alias : NULL);
	jadd_str(o, "type", j->type[0] ? j->type : "RequestResponse");
	json_object *lines = json_object_new_array();
	for (size_t i = 0; i < logs->n; i++) {
		json_object *l = json_object_new_object();
		jadd_int(l, "ts", logs->v[i].ts_ms);
		jadd_str(l, "level", logs->v[i].level);
		jadd_str(l, "message", logs->v[i].message);
		json_object_array_add(lines, l);
	}
	json_object_object_add(o, "logs", lines);
	/* An asynchronous caller fetches the result later; a synchronous one has it already. */
	if (strcmp(j->type, "Event") == 0 && oc->result)
		jadd_raw(o, "result", oc->result);
	char *text = strdup(json_text(o));
	json_object_put(o);
	return text;
}

/* "2026-05-22 10:00:00.123" */
static void sql_time(int64_t ms, char *out, size_t n)
{
	char iso[40];
	iso8601_ms(ms, iso, sizeof(iso));
	iso[10] = ' ';
	snprintf(out, n, "%.23s", iso);
}

/* The minute an instant falls in, as SQL text. */
static void sql_minute(int64_t ms, char *out, size_t n)
{
	sql_time(ms / 60000 * 60000, out, n);
}

/*
 * What a batch adds to the counters and per-minute rollups, summed in memory and
 * written as one upsert per function, version, minute and histogram bucket: a
 * batch of one function's invocations costs a handful of statements, not four
 * for each invocation.
 */
struct tally_row {
	char fid[32];
	char minute[32];   /* "" for the function and version totals */
	long long version;
	int bucket;        /* -1 unless a histogram row */
	long long n, errors, cold, throttles, memory_sum, memory_max;
	double duration_sum;
	char last[32];     /* latest start, for function_stats */
};

struct tally {
	struct tally_row *rows;
	size_t n, cap;
};

/* The row for this key, added empty when new. */
static struct tally_row *tally_row(struct tally *t, const char *fid, const char *minute, long long version, int bucket)
{
	for (size_t i = 0; i < t->n; i++) {
		struct tally_row *r = &t->rows[i];
		if (r->version == version && r->bucket == bucket && strcmp(r->fid, fid) == 0 && strcmp(r->minute, minute) == 0)
			return r;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->rows = xrealloc(t->rows, t->cap * sizeof(*t->rows));
	}
	struct tally_row *r = &t->rows[t->n++];
	memset(r, 0, sizeof(*r));
	snprintf(r->fid, sizeof(r->fid), "%s", fid);
	snprintf(r->minute, sizeof(r->minute), "%s", minute);
	r->version = version;
	r->bucket = bucket;
	return r;
}

#define TOTALS_VERSION (-1)  /* the function_stats row: no version, no minute */
#define MINUTE_BUCKET (-1)   /* a metrics_minute row, not a histogram bucket */

static void tally_add(struct tally *t, json_object *rec, const char *fid, const char *started, bool failed)
{
	char minute[32];
	json_object *d = jget(rec, "durationMs");
	double duration = d ? json_object_get_double(d) : 0;
	long long mem = jint(rec, "memoryUsedMB", 0);

	sql_minute(jint(rec, "startedMs", now_ms()), minute, sizeof(minute));
	struct tally_row *total = tally_row(t, fid, "", TOTALS_VERSION, MINUTE_BUCKET);
	total->n++;
	if (strcmp(started, total->last) > 0)
		snprintf(total->last, sizeof(total->last), "%s", started);
	tally_row(t, fid, "", jint(rec, "version", 0), MINUTE_BUCKET)->n++;
	struct tally_row *m = tally_row(t, fid, minute, TOTALS_VERSION, MINUTE_BUCKET);
	m->n++;
	m->errors += failed;
	m->cold += jbool(rec, "coldStart", false);
	m->duration_sum += duration;
	m->memory_sum += mem;
	if (mem > m->memory_max)
		m->memory_max = mem;
	tally_row(t, fid, minute, TOTALS_VERSION, hist_bucket(duration))->n++;
}

/* A refused invocation (reserved concurrency): counted in its minute, not as an invocation. */
static void tally_throttle(struct tally *t, json_object *rec, const char *fid)
{
	char minute[32];
	sql_minute(jint(rec, "startedMs", now_ms()), minute, sizeof(minute));
	tally_row(t, fid, minute, TOTALS_VERSION, MINUTE_BUCKET)->throttles++;
}

int tally_flush(struct db *db, struct tally *t)
{
	int rc = 0;

	for (size_t i = 0; i < t->n && rc == 0; i++) {
		const struct tally_row *r = &t->rows[i];
		if (r->minute[0] == '\0' && r->version == TOTALS_VERSION)
			rc = db_exec(db,
			             "INSERT INTO function_stats (function_id, invocations, last_invoked_at) VALUES (?, ?, ?)"
			             " ON DUPLICATE KEY UPDATE invocations = invocations + VALUES(invocations),"
			             " last_invoked_at = GREATEST(COALESCE(last_invoked_at, VALUES(last_invoked_at)), VALUES(last_invoked_at))",
			             DB_ARGS(DB_STR(r->fid), DB_INT(r->n), DB_STR(r->last)), NULL);
		else if (r->minute[0] == '\0')
			rc = db_exec(db,
			             "INSERT INTO version_stats (function_id, version, invocations) VALUES (?, ?, ?)"
			             " ON DUPLICATE KEY UPDATE invocations = invocations + VALUES(invocations)",
			             DB_ARGS(DB_STR(r->fid), DB_INT(r->version), DB_INT(r->n)), NULL);
		else if (r->bucket == MINUTE_BUCKET)
			rc = db_exec(db,
			             "INSERT INTO metrics_minute (function_id, minute, invocations, errors, cold_starts, throttles,"
			             " duration_sum, memory_sum, memory_max) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
			             " ON DUPLICATE KEY UPDATE invocations = invocations + VALUES(invocations), errors = errors + VALUES(errors),"
			             " cold_starts = cold_starts + VALUES(cold_starts), throttles = throttles + VALUES(throttles),"
			             " duration_sum = duration_sum + VALUES(duration_sum),"
			             " memory_sum = memory_sum + VALUES(memory_sum), memory_max = GREATEST(memory_max, VALUES(memory_max))",
			             DB_ARGS(DB_STR(r->fid), DB_STR(r->minute), DB_INT(r->n), DB_INT(r->errors), DB_INT(r->cold),
			                     DB_INT(r->throttles), DB_DOUBLE(r->duration_sum), DB_INT(r->memory_sum), DB_INT(r->memory_max)), NULL);
		else
			rc = db_exec(db,
			             "INSERT INTO metrics_histogram (function_id, minute, bucket, count) VALUES (?, ?, ?, ?)"
			             " ON DUPLICATE KEY UPDATE count = count + VALUES(count)",
			             DB_ARGS(DB_STR(r->fid), DB_STR(r->minute), DB_INT(r->bucket), DB_INT(r->n)), NULL);
	}
	t->n = 0;
	return rc;
}

struct tally *tally_new(void)
{
	return xcalloc(1, sizeof(struct tally));
}

void tally_free(struct tally *t)
{
	free(t->rows);
	t->rows = NULL;
	t->n = t->cap = 0;
}

/*
 * A multi-row INSERT: a batch's new rows go to MariaDB in a few statements, not
 * one each, since each statement costs it (and the recorder) a round trip and an
 * execution of its own. Its text for 1, 2, 4 ... ROWS_MAX rows is built once, so
 * each is prepared once per connection.
 */
#define ROWS_LEVELS 8                       /* statements of 2^0 ... 2^7 rows */
#define ROWS_MAX (1u << (ROWS_LEVELS - 1))
#define STATEMENT_BYTES (1024 * 1024)       /* what one statement carries beyond its first row */

struct multi_insert {
	const char *head, *row;
	size_t cols;
	const char *sql[ROWS_LEVELS];           /* sql[i] holds 2^i rows */
};

#define INVOCATION_COLS 17
static struct multi_insert INVOCATIONS_INSERT = {
	"INSERT IGNORE INTO invocations (request_id, tenant_id, function_id, version, alias,"
	" invocation_type, status, error_type, error_message, started_at, duration_ms, init_ms,"
	" billed_ms, memory_used_mb, cold_start, runner_id, log_stream, attempts, finished_at) VALUES ",
	"(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 1, NOW(3))", INVOCATION_COLS, { NULL }
};

#define LOG_COLS 6
static struct multi_insert LOGS_INSERT = {
	"INSERT IGNORE INTO invocation_logs (function_id, request_id, seq, ts, level, message) VALUES ",
	"(?, ?, ?, ?, ?, ?)", LOG_COLS, { NULL }
};

static void multi_build(struct multi_insert *m)
{
	size_t head = strlen(m->head), row = strlen(m->row);

	for (unsigned i = 0; i < ROWS_LEVELS; i++) {
		size_t rows = (size_t)1 << i;
		char *sql = xmalloc(head + rows * (row + 1) + 1), *at = sql + head;
		memcpy(sql, m->head, head);
		for (size_t r = 0; r < rows; r++) {
			if (r > 0)
				*at++ = ',';
			memcpy(at, m->row, row);
			at += row;
		}
		*at = '\0';
		m->sql[i] = sql;
	}
}

static void multi_build_all(void)
{
	multi_build(&INVOCATIONS_INSERT);
	multi_build(&LOGS_INSERT);
}

/* The statement texts, built by whichever thread (recorder or async consumer) first writes. */
static void multi_ready(void)
{
	static pthread_once_t once = PTHREAD_ONCE_INIT;
	pthread_once(&once, multi_build_all);
}

static size_t row_bytes(const struct db_param *p, size_t cols)
{
	size_t n = 0;
	for (size_t c = 0; c < cols; c++)
		n += p[c].type == DBP_STR || p[c].type == DBP_BLOB ? p[c].len : sizeof(long long);
	return n;
}

/* The rows the next statement takes: the most, a power of two, within ROWS_MAX and STATEMENT_BYTES. */
static unsigned chunk_level(const struct db_param *p, size_t cols, size_t left)
{
	size_t fit = 1, bytes = row_bytes(p, cols);
	unsigned level = 0;

	while (fit < left && fit < ROWS_MAX) {
		bytes += row_bytes(p + fit * cols, cols);
		if (bytes > STATEMENT_BYTES)
			break;
		fit++;
	}
	while (((size_t)2 << level) <= fit)
		level++;
	return level;
}

/* Inserts nrows rows of m->cols values each; *inserted: how many MariaDB took (the others it ignored). */
static int insert_rows(struct db *db, struct multi_insert *m, const struct db_param *p, size_t nrows, uint64_t *inserted)
{
	multi_ready();
	*inserted = 0;
	for (size_t at = 0; at < nrows;) {
		unsigned level = chunk_level(p + at * m->cols, m->cols, nrows - at);
		size_t rows = (size_t)1 << level;
		uint64_t n = 0;
		if (db_exec(db, m->sql[level], p + at * m->cols, rows * m->cols, &n) != 0)
			return -1;
		*inserted += n;
		at += rows;
	}
	return 0;
}

/* The status a record ends its invocation in. */
static const char *record_status(json_object *rec, bool *failed)
{
	const char *st = jstr(rec, "status"), *final = jstr(rec, "finalStatus");

	/*
	 * An invocation succeeded or failed (how, its error type says); an asynchronous
	 * one's record may say more: Retrying (with when) or DeadLettered.
	 */
	*failed = !(st && strcmp(st, "Succeeded") == 0);
	return final ? final : *failed ? "Failed" : "Succeeded";
}

static double jdouble(json_object *o, const char *key)
{
	json_object *d = jget(o, key);
	return d ? json_object_get_double(d) : 0;
}

/* The values of a record's new invocations row, as INVOCATIONS_INSERT's row takes them. */
static void invocation_values(json_object *rec, const char *status, const char *started, struct db_param *p)
{
	json_object *err = jget(rec, "error");
	struct db_param v[INVOCATION_COLS] = {
		DB_STR(jstr(rec, "requestId")), DB_STR(jstr(rec, "tenant")), DB_STR(jstr(rec, "functionId")),
		DB_INT(jint(rec, "version", 0)), DB_STR(jstr(rec, "alias")), DB_STR(jstr(rec, "type")), DB_STR(status),
		DB_STR(jstr(err, "errorType")), DB_STR(jstr(err, "errorMessage")), DB_STR(started),
		DB_DOUBLE(jdouble(rec, "durationMs")), DB_DOUBLE(jdouble(rec, "initMs")), DB_INT(jint(rec, "billedMs", 0)),
		DB_INT(jint(rec, "memoryUsedMB", 0)), DB_INT(jbool(rec, "coldStart", false)), DB_STR(jstr(rec, "runner")),
		DB_STR(jstr(rec, "logStreamName")),
	};
	memcpy(p, v, sizeof(v));
}

struct log_ts {
	char ts[32];
};

/* The values of line i of a record's logs, as LOGS_INSERT's row takes them; ts holds its time's text. */
static void log_values(json_object *rec, size_t i, struct log_ts *ts, struct db_param *p)
{
	json_object *l = json_object_array_get_idx(jget(rec, "logs"), i);
	long long try_ever = jint(rec, "try", 1);  /* every try keeps its lines, redrives included */
	const char *msg = jstr(l, "message");

	sql_time(jint(l, "ts", now_ms()), ts->ts, sizeof(ts->ts));
	struct db_param v[LOG_COLS] = {
		DB_STR(jstr(rec, "functionId")), DB_STR(jstr(rec, "requestId")),
		DB_INT((try_ever - 1) * LOG_SEQ_PER_ATTEMPT + (long long)i), DB_STR(ts->ts), DB_STR(jstr(l, "level")),
		DB_STR(msg ? msg : ""),
	};
	memcpy(p, v, sizeof(v));
}

static size_t log_count(json_object *rec)
{
	json_object *lines = jget(rec, "logs");
	return lines && json_object_is_type(lines, json_type_array) ? json_object_array_length(lines) : 0;
}

/* Inserts the log lines of records recs[0..n), in a few statements. */
static int write_logs(struct db *db, json_object *const *recs, size_t n)
{
	size_t total = 0, at = 0;
	uint64_t ignored;

	for (size_t r = 0; r < n; r++)
		total += log_count(recs[r]);
	if (total == 0)
		return 0;
	struct log_ts *ts = xcalloc(total, sizeof(*ts));
	struct db_param *p = xcalloc(total * LOG_COLS, sizeof(*p));
	for (size_t r = 0; r < n; r++)
		for (size_t i = 0, nl = log_count(recs[r]); i < nl; i++, at++)
			log_values(recs[r], i, &ts[at], &p[at * LOG_COLS]);
	int rc = insert_rows(db, &LOGS_INSERT, p, total, &ignored);
	free(p);
	free(ts);
	return rc;
}

int write_record(struct db *db, json_object *rec, struct tally *t)
{
	char started[32];
	const char *rid = jstr(rec, "requestId"), *fid = jstr(rec, "functionId");
	json_object *err = jget(rec, "error"), *res = jget(rec, "result");
	bool failed;
	const char *status = record_status(rec, &failed);
	bool retrying = strcmp(status, "Retrying") == 0;
	const char *result = res ? json_text(res) : NULL;
	char next[32] = "";
	if (jint(rec, "nextAttemptMs", 0) > 0)
		sql_time(jint(rec, "nextAttemptMs", 0), next, sizeof(next));
	uint64_t n = 0;
	struct db_param row[INVOCATION_COLS];

	if (fid && jbool(rec, "throttle", false)) {
		tally_throttle(t, rec, fid);
		return 0;
	}
	if (rid == NULL || fid == NULL)
		return 0;  /* unreadable: nothing to keep */
	sql_time(jint(rec, "startedMs", now_ms()), started, sizeof(started));
	/* A synchronous invocation is new here; an asynchronous one has its Queued row to finish. */
	invocation_values(rec, status, started, row);
	if (insert_rows(db, &INVOCATIONS_INSERT, row, 1, &n) != 0)
		return -1;
	if (n == 0 &&
	    db_exec(db,
	            "UPDATE invocations SET status = ?, error_type = ?, error_message = ?, started_at = ?, duration_ms = ?,"
	            " init_ms = ?, billed_ms = ?, memory_used_mb = ?, cold_start = ?, runner_id = ?, log_stream = ?,"
	            " result = ?, next_attempt_at = ?, finished_at = IF(?, NULL, NOW(3))"
	            " WHERE request_id = ? AND status IN ('Queued', 'Running')",
	            DB_ARGS(DB_STR(status), DB_STR(jstr(err, "errorType")), DB_STR(jstr(err, "errorMessage")),
	                    DB_STR(started), DB_DOUBLE(jdouble(rec, "durationMs")), DB_DOUBLE(jdouble(rec, "initMs")),
	                    DB_INT(jint(rec, "billedMs", 0)), DB_INT(jint(rec, "memoryUsedMB", 0)),
	                    DB_INT(jbool(rec, "coldStart", false)), DB_STR(jstr(rec, "runner")),
	                    DB_STR(jstr(rec, "logStreamName")), DB_STR(result), DB_STR(next[0] ? next : NULL),
	                    DB_INT(retrying), DB_STR(rid)),
	            &n) != 0)
		return -1;
	if (n == 0)
		return 1;  /* delivered before and written then: counted once, logged once */
	tally_add(t, rec, fid, started, failed);
	return write_logs(db, &rec, 1);
}

/*
 * A record whose invocation's row is new: a synchronous one's, finished as it was
 * run. An asynchronous one has its Queued row to finish, written by write_record.
 */
static bool record_is_fresh(json_object *rec)
{
	const char *type = jstr(rec, "type");
	return jstr(rec, "requestId") && jstr(rec, "functionId") && !jbool(rec, "throttle", false) &&
	       jstr(rec, "finalStatus") == NULL && type && strcmp(type, "RequestResponse") == 0;
}

/*
 * Writes the fresh records recs[0..n) together: their rows in a few multi-row
 * statements, then their log lines likewise. 1 when MariaDB ignored a row (written
 * before: a record delivered again): a multi-row INSERT IGNORE does not say which,
 * so the caller rolls back and writes each alone, and each is still counted once.
 */
static int write_fresh(struct db *db, json_object *const *recs, size_t n, struct tally *t)
{
	struct db_param *p = xcalloc(n * INVOCATION_COLS, sizeof(*p));
	struct fresh_row {
		char started[32];  /* the text p points to */
		bool failed;
	} *rows = xcalloc(n, sizeof(*rows));
	uint64_t inserted = 0;

	for (size_t i = 0; i < n; i++) {
		sql_time(jint(recs[i], "startedMs", now_ms()), rows[i].started, sizeof(rows[i].started));
		invocation_values(recs[i], record_status(recs[i], &rows[i].failed), rows[i].started,
		                  &p[i * INVOCATION_COLS]);
	}
	int rc = insert_rows(db, &INVOCATIONS_INSERT, p, n, &inserted);
	if (rc == 0 && inserted != n)
		rc = 1;
	for (size_t i = 0; rc == 0 && i < n; i++)
		tally_add(t, recs[i], jstr(recs[i], "functionId"), rows[i].started, rows[i].failed);
	if (rc == 0)
		rc = write_logs(db, recs, n);
	free(rows);
	free(p);
	return rc;
}

void record_make_bare(json_object *rec)
{
	json_object_object_add(rec, "status", json_object_new_string(outcome_status_name(OUTCOME_PLATFORM_ERROR)));
	json_object_object_add(rec, "error", lambda_error("Platform.RecordFailed",
	                                                  "The invocation ran, but its outcome could not be stored"));
	json_object_object_add(rec, "logs", json_object_new_array());
	json_object_object_del(rec, "result");
	const char *figures[] = { "durationMs", "initMs", "billedMs", "memoryUsedMB" };
	for (size_t i = 0; i < TF_ARRAY_LEN(figures); i++)
		jadd_int(rec, figures[i], 0);
	const char *final = jstr(rec, "finalStatus");
	if (final && strcmp(final, "Retrying") == 0)
		json_object_object_add(rec, "finalStatus", json_object_new_string("DeadLettered"));
}

/* The record of one stream entry, or NULL when it holds none. */
static json_object *entry_record(redisReply *e)
{
	char why[64];

	/* [id, [field, value]]; a deleted entry comes back with a nil body */
	if (e->type != REDIS_REPLY_ARRAY || e->elements != 2 || e->element[1]->type != REDIS_REPLY_ARRAY ||
	    e->element[1]->elements != 2)
		return NULL;
	redisReply *v = e->element[1]->element[1];
	return json_parse_text(v->str, v->len, why, sizeof(why));
}

/*
 * Writes records inside the caller's transaction: the fresh ones together (1 when
 * one of them had been written before), or each alone.
 */
static int write_records(struct db *db, json_object *const *recs, size_t n, struct tally *t, bool together)
{
	json_object **fresh = xcalloc(n, sizeof(*fresh));
	size_t nfresh = 0;
	int rc = 0;

	for (size_t i = 0; i < n && rc == 0; i++) {
		if (together && record_is_fresh(recs[i]))
			fresh[nfresh++] = recs[i];
		else if (write_record(db, recs[i], t) < 0)
			rc = -1;
	}
	if (rc == 0 && nfresh > 0)
		rc = write_fresh(db, fresh, nfresh, t);
	free(fresh);
	return rc;
}

/* Writes records in one transaction, with their tally; 0 when committed, 1 as write_records. */
static int write_txn(struct db *db, json_object *const *recs, size_t n, struct tally *t, bool together)
{
	int rc = db_begin(db);

	if (rc == 0)
		rc = write_records(db, recs, n, t, together);
	if (rc == 0)
		rc = tally_flush(db, t);
	if (rc == 0)
		return db_commit(db);
	t->n = 0;
	db_rollback(db);
	return rc;
}

/* Writes records of entries [from, to) in one transaction; 0 when committed. */
static int write_range(struct db *db, redisReply *entries, size_t from, size_t to, struct tally *t)
{
	json_object **recs = xcalloc(to - from, sizeof(*recs));
	size_t n = 0;

	for (size_t i = from; i < to; i++)
		if ((recs[n] = entry_record(entries->element[i])) != NULL)
			n++;
	int rc = write_txn(db, recs, n, t, true);
	if (rc == 1)
		rc = write_txn(db, recs, n, t, false);
	for (size_t i = 0; i < n; i++)
		json_object_put(recs[i]);
	free(recs);
	return rc;
}

/*
 * One record MariaDB refused on its own: it is written again without what the
 * function controlled (logs, result, error), as a platform failure of that one
 * invocation; if even that is refused it is dropped, never retried for good.
 */
static int write_refused(struct db *db, redisReply *e, struct tally *t)
{
	json_object *rec = entry_record(e);
	const char *rid = jstr(rec, "requestId");
	int rc = 0;

	log_error("invocation %s: its record is refused (%s); recording a platform failure instead",
	          rid ? rid : "?", db_error(db));
	record_make_bare(rec);
	if (db_begin(db) != 0 || write_record(db, rec, t) < 0 || tally_flush(db, t) != 0 || db_commit(db) != 0) {
		t->n = 0;
		db_rollback(db);
		if (db_is_down(db))
			rc = -1;
		else
			log_error("invocation %s: not even its bare record can be stored; dropped: %s", rid ? rid : "?",
			          db_error(db));
	}
	json_object_put(rec);
	return rc;
}

/*
 * Writes one batch of stream entries, in one transaction when it can be; 0 when
 * every entry is settled. A batch MariaDB refuses while it is up holds a record
 * it will never take: each is then written alone, so that one cannot hold back
 * every other tenant's records.
 */
static int write_batch(struct db *db, redisReply *entries, struct tally *t)
{
	if (write_range(db, entries, 0, entries->elements, t) == 0)
		return 0;
	log_error("recording invocations: %s", db_error(db));
	if (db_is_down(db))
		return -1;
	for (size_t i = 0; i < entries->elements; i++) {
		if (write_range(db, entries, i, i + 1, t) == 0)
			continue;
		if (db_is_down(db) || write_refused(db, entries->element[i], t) != 0)
			return -1;
	}
	return 0;
}

/* Acknowledges and removes a whole batch: two commands, whatever its size. */
static void ack(struct rds *rds, redisReply *entries)
{
	size_t n = entries->elements;
	const char **argv = xcalloc(n + 3, sizeof(*argv));
	size_t *lens = xcalloc(n + 3, sizeof(*lens));

	for (size_t i = 0; i < n; i++) {
		argv[i + 3] = entries->element[i]->element[0]->str;
		lens[i + 3] = entries->element[i]->element[0]->len;
	}
	argv[0] = "XACK", argv[1] = TF_KEY_RECORDS, argv[2] = TF_GROUP_RECORDERS;
	lens[0] = 4, lens[1] = strlen(TF_KEY_RECORDS), lens[2] = strlen(TF_GROUP_RECORDERS);
	freeReplyObject(rds_cmdargv(rds, (int)(n + 3), argv, lens));
	/* XDEL takes the ids after the key alone: shift them one place left. */
	argv[1] = "XDEL", lens[1] = 4, argv[2] = TF_KEY_RECORDS, lens[2] = strlen(TF_KEY_RECORDS);
	freeReplyObject(rds_cmdargv(rds, (int)(n + 2), argv + 1, lens + 1));
	free(argv);
	free(lens);
}

/* Reads entries: this recorder's pending ones ("0") or new ones (">"). */
static redisReply *read_entries(struct rds *rds, const char *from, int block_ms)
{
	redisReply *rep = block_ms
	    ? rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT %d BLOCK %d STREAMS %s %s", TF_GROUP_RECORDERS,
	              W.id, RECORD_BATCH, block_ms, TF_KEY_RECORDS, from)
	    : rds_cmd(rds, "XREADGROUP GROUP %s %s COUNT %d STREAMS %s %s", TF_GROUP_RECORDERS, W.id,
	              RECORD_BATCH, TF_KEY_RECORDS, from);
	if (rep && rep->type == REDIS_REPLY_ERROR && strstr(rep->str, "NOGROUP")) {
		freeReplyObject(rep);
		freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_RECORDS, TF_GROUP_RECORDERS));
		return NULL;
	}
	return rep;
}

static redisReply *entries_of(redisReply *rep)
{
	/* [[stream, [entries...]]] */
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements == 0)
		return NULL;
	redisReply *s = rep->element[0];
	return s->type == REDIS_REPLY_ARRAY && s->elements == 2 && s->element[1]->type == REDIS_REPLY_ARRAY
	           ? s->element[1] : NULL;
}

void *recorder_main(void *arg)
{
	(void)arg;
	struct rds *rds = rds_open(&W.rdc);
	struct db *db = db_open(&W.dbc);
	bool backlog = true;  /* start with what this runner left pending */
	struct tally tally = { 0 };
	int64_t last_claim = 0;

	rds_set_timeout(rds, RECORD_BLOCK_MS + 5000);
	freeReplyObject(rds_cmd(rds, "XGROUP CREATE %s %s 0 MKSTREAM", TF_KEY_RECORDS, TF_GROUP_RECORDERS));
	while (!W.stopping) {
		if (mono_ms() - last_claim > CLAIM_EVERY_MS) {
			freeReplyObject(rds_cmd(rds, "XAUTOCLAIM %s %s %s %d 0-0 COUNT %d", TF_KEY_RECORDS,
			                        TF_GROUP_RECORDERS, W.id, CLAIM_IDLE_MS, RECORD_BATCH));
			last_claim = mono_ms();
			backlog = true;
		}
		redisReply *rep = read_entries(rds, backlog ? "0" : ">", backlog ? 0 : RECORD_BLOCK_MS);
		redisReply *entries = entries_of(rep);
		if (rep == NULL || (rep->type == REDIS_REPLY_ERROR)) {
			if (rep)
				log_warn("reading records: %s", rep->str);
			freeReplyObject(rep);
			sleep(1);
			continue;
		}
		if (entries == NULL || entries->elements == 0) {
			backlog = false;
			freeReplyObject(rep);
			continue;
		}
		if (write_batch(db, entries, &tally) == 0) {
			ack(rds, entries);
			if (entries->elements < RECORD_BATCH && !backlog)
				usleep(RECORD_GATHER_MS * 1000);
		} else {
			/* Kept pending; tried again from the backlog once MariaDB answers. */
			backlog = true;
			sleep(1);
		}
		freeReplyObject(rep);
	}
	tally_free(&tally);
	db_close(db);
	rds_close(rds);
	return NULL;
}
