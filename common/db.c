#include <errmsg.h>
#include <mysql.h>
#include <mysqld_error.h>
#include <stdio.h>
#include <stdlib.h>

#include "db.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#define DB_STMT_CACHE 128
#define DB_CONNECT_TIMEOUT_S 3
#define DB_MIN_CELL 64  /* text of any number or date fits */

struct cached_stmt {
	const char *sql;  /* the caller's pointer; SQL texts are string constants */
	MYSQL_STMT *stmt;
};

struct db {
	struct db_config cfg;
	MYSQL *conn;
	bool in_txn;
	unsigned err;
	char errmsg[256];
	struct cached_stmt cache[DB_STMT_CACHE];
	size_t ncache;
};

void db_library_init(void)
{
	if (mysql_library_init(0, NULL, NULL) != 0)
		fatal("cannot initialize the MariaDB client library");
}

struct db *db_open(const struct db_config *cfg)
{
	struct db *db = xcalloc(1, sizeof(*db));
	db->cfg = *cfg;
	return db;
}

static void set_error(struct db *db, unsigned err, const char *msg)
{
	db->err = err;
	snprintf(db->errmsg, sizeof(db->errmsg), "%s", msg ? msg : "");
}

static void drop_connection(struct db *db)
{
	for (size_t i = 0; i < db->ncache; i++)
		mysql_stmt_close(db->cache[i].stmt);
	db->ncache = 0;
	if (db->conn)
		mysql_close(db->conn);
	db->conn = NULL;
	db->in_txn = false;
}

void db_close(struct db *db)
{
	if (db == NULL)
		return;
	drop_connection(db);
	free(db);
}

static bool conn_error(unsigned err)
{
	return err == CR_SERVER_GONE_ERROR || err == CR_SERVER_LOST || err == CR_CONNECTION_ERROR ||
	       err == CR_CONN_HOST_ERROR || err == CR_SERVER_LOST_EXTENDED ||
	       err == ER_CONNECTION_KILLED || err == ER_SERVER_SHUTDOWN;
}

static int ensure_connected(struct db *db)
{
	unsigned timeout = DB_CONNECT_TIMEOUT_S;
	bool use_socket = db->cfg.socket && db->cfg.socket[0];

	if (db->conn)
		return 0;
	MYSQL *m = mysql_init(NULL);
	if (m == NULL) {
		set_error(db, CR_OUT_OF_MEMORY, "mysql_init failed");
		return -1;
	}
	mysql_options(m, MYSQL_OPT_CONNECT_TIMEOUT, &timeout);
	mysql_options(m, MYSQL_SET_CHARSET_NAME, "utf8mb4");
	/* Every DATETIME the platform stores and compares is UTC. */
	mysql_options(m, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
	if (mysql_real_connect(m, use_socket ? NULL : db->cfg.host, db->cfg.user, db->cfg.password,
	                       db->cfg.database, use_socket ? 0 : db->cfg.port,
	                       use_socket ? db->cfg.socket : NULL, CLIENT_MULTI_STATEMENTS) == NULL) {
		set_error(db, mysql_errno(m), mysql_error(m));
		mysql_close(m);
		return -1;
	}
	db->conn = m;
	return 0;
}

/* Reads the last error of a statement and drops the connection if it is gone. */
static int stmt_failed(struct db *db, MYSQL_STMT *st)
{
	set_error(db, mysql_stmt_errno(st), mysql_stmt_error(st));
	if (conn_error(db->err))
		drop_connection(db);
	return -1;
}

static MYSQL_STMT *prepare(struct db *db, const char *sql, bool *cached)
{
	for (size_t i = 0; i < db->ncache; i++) {
		if (db->cache[i].sql == sql) {
			*cached = true;
			return db->cache[i].stmt;
		}
	}
	MYSQL_STMT *st = mysql_stmt_init(db->conn);
	if (st == NULL) {
		set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
		return NULL;
	}
	if (mysql_stmt_prepare(st, sql, strlen(sql)) != 0) {
		stmt_failed(db, st);
		mysql_stmt_close(st);
		return NULL;
	}
	*cached = db->ncache < DB_STMT_CACHE;
	if (*cached)
		db->cache[db->ncache++] = (struct cached_stmt){ sql, st };
	return st;
}

static int bind_params(struct db *db, MYSQL_STMT *st, const struct db_param *p, size_t n,
                       MYSQL_BIND *b, unsigned long *lens)
{
	if (mysql_stmt_param_count(st) != n) {
		set_error(db, CR_PARAMS_NOT_BOUND, "parameter count does not match the statement");
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		memset(&b[i], 0, sizeof(b[i]));
		switch (p[i].type) {
		case DBP_NULL:
			b[i].buffer_type = MYSQL_TYPE_NULL;
			break;
		case DBP_STR:
		case DBP_BLOB:
			lens[i] = p[i].len;
			b[i].buffer_type = p[i].type == DBP_STR ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
			b[i].buffer = (void *)p[i].p;
			b[i].buffer_length = p[i].len;
			b[i].length = &lens[i];
			break;
		case DBP_INT:
			b[i].buffer_type = MYSQL_TYPE_LONGLONG;
			b[i].buffer = (void *)&p[i].i;
			break;
		case DBP_DOUBLE:
			b[i].buffer_type = MYSQL_TYPE_DOUBLE;
			b[i].buffer = (void *)&p[i].d;
			break;
		}
	}
	if (n > 0 && mysql_stmt_bind_param(st, b) != 0)
		return stmt_failed(db, st);
	return 0;
}

static int fetch_rows(struct db *db, MYSQL_STMT *st, struct db_rows **out);

/*
 * Prepares (or reuses), binds and executes. A connection found dead before the
 * statement ran is reopened and the statement tried once more; one lost while it
 * ran is not retried, since it may have taken effect.
 */
static int run(struct db *db, const char *sql, const struct db_param *p, size_t n,
               uint64_t *affected, struct db_rows **rows)
{
	MYSQL_BIND small_binds[16];
	unsigned long small_lens[16];
	MYSQL_BIND *binds = n <= 16 ? small_binds : xcalloc(n, sizeof(*binds));
	unsigned long *lens = n <= 16 ? small_lens : xcalloc(n, sizeof(*lens));
	int rc = -1;

	for (int attempt = 0; attempt < 2; attempt++) {
		bool cached = false, may_retry = attempt == 0 && !db->in_txn;
		if (ensure_connected(db) != 0)
			break;
		MYSQL_STMT *st = prepare(db, sql, &cached);
		if (st == NULL) {
			if (may_retry && db->conn == NULL)
				continue;
			break;
		}
		if (bind_params(db, st, p, n, binds, lens) == 0) {
			if (mysql_stmt_execute(st) != 0) {
				bool gone = mysql_stmt_errno(st) == CR_SERVER_GONE_ERROR;
				stmt_failed(db, st);
				if (!cached)
					mysql_stmt_close(st);
				if (may_retry && gone)
					continue;
				break;
			}
			if (affected)
				*affected = mysql_stmt_affected_rows(st);
			rc = rows ? fetch_rows(db, st, rows) : 0;
		}
		/* A cached statement dies with a dropped connection; any other is ours to close. */
		if (!cached)
			mysql_stmt_close(st);
		else if (db->conn != NULL)
			mysql_stmt_free_result(st);
		break;
	}
	if (binds != small_binds) {
		free(binds);
		free(lens);
	}
	return rc;
}

static int fetch_rows(struct db *db, MYSQL_STMT *st, struct db_rows **out)
{
	struct db_rows *r = xcalloc(1, sizeof(*r));
	MYSQL_RES *meta = mysql_stmt_result_metadata(st);
	MYSQL_BIND *b = NULL;
	char **bufs = NULL;
	unsigned long *lens = NULL, *caps = NULL;
	my_bool *nulls = NULL, *errs = NULL, update_max = 1;
	size_t cap = 0;
	int rc = -1;

	if (meta == NULL) {
		*out = r;  /* a statement without a result set */
		return 0;
	}
	r->ncols = mysql_num_fields(meta);
	mysql_stmt_attr_set(st, STMT_ATTR_UPDATE_MAX_LENGTH, &update_max);
	if (mysql_stmt_store_result(st) != 0) {
		stmt_failed(db, st);
		goto out;
	}
	MYSQL_FIELD *fields = mysql_fetch_fields(meta);
	b = xcalloc(r->ncols, sizeof(*b));
	bufs = xcalloc(r->ncols, sizeof(*bufs));
	lens = xcalloc(r->ncols, sizeof(*lens));
	caps = xcalloc(r->ncols, sizeof(*caps));
	nulls = xcalloc(r->ncols, sizeof(*nulls));
	errs = xcalloc(r->ncols, sizeof(*errs));
	for (size_t c = 0; c < r->ncols; c++) {
		caps[c] = (fields[c].max_length > DB_MIN_CELL ? fields[c].max_length : DB_MIN_CELL) + 1;
		bufs[c] = xmalloc(caps[c]);
		b[c].buffer_type = MYSQL_TYPE_STRING;
		b[c].buffer = bufs[c];
		b[c].buffer_length = caps[c];
		b[c].length = &lens[c];
		b[c].is_null = &nulls[c];
		b[c].error = &errs[c];
	}
	if (mysql_stmt_bind_result(st, b) != 0) {
		stmt_failed(db, st);
		goto out;
	}
	for (;;) {
		int f = mysql_stmt_fetch(st);
		if (f == MYSQL_NO_DATA)
			break;
		if (f == 1) {
			stmt_failed(db, st);
			goto out;
		}
		if (r->nrows == cap) {
			cap = cap ? cap * 2 : 8;
			r->cell = xrealloc(r->cell, cap * r->ncols * sizeof(*r->cell));
			r->len = xrealloc(r->len, cap * r->ncols * sizeof(*r->len));
		}
		for (size_t c = 0; c < r->ncols; c++) {
			size_t i = r->nrows * r->ncols + c;
			r->len[i] = nulls[c] ? 0 : lens[c];
			if (nulls[c]) {
				r->cell[i] = NULL;
				continue;
			}
			char *v = xmalloc(lens[c] + 1);
			if (lens[c] < caps[c]) {
				memcpy(v, bufs[c], lens[c]);
			} else {
				/* Longer than the column's reported maximum: read it whole. */
				MYSQL_BIND one = { .buffer_type = MYSQL_TYPE_STRING, .buffer = v,
				                   .buffer_length = lens[c] + 1 };
				if (mysql_stmt_fetch_column(st, &one, (unsigned)c, 0) != 0) {
					free(v);
					stmt_failed(db, st);
					goto out;
				}
			}
			v[lens[c]] = '\0';
			r->cell[i] = v;
		}
		r->nrows++;
	}
	rc = 0;
out:
	for (size_t c = 0; bufs && c < r->ncols; c++)
		free(bufs[c]);
	free(bufs);
	free(b);
	free(lens);
	free(caps);
	free(nulls);
	free(errs);
	mysql_free_result(meta);
	if (rc != 0) {
		db_rows_free(r);
		r = NULL;
	}
	*out = r;
	return rc;
}

int db_exec(struct db *db, const char *sql, const struct db_param *p, size_t n,
            uint64_t *affected)
{
	return run(db, sql, p, n, affected, NULL);
}

int db_query(struct db *db, const char *sql, const struct db_param *p, size_t n,
             struct db_rows **out)
{
	*out = NULL;
	return run(db, sql, p, n, NULL, out);
}

void db_rows_free(struct db_rows *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nrows * r->ncols; i++)
		free(r->cell[i]);
	free(r->cell);
	free(r->len);
	free(r);
}

long long db_ll(const struct db_rows *r, size_t row, size_t col, long long def)
{
	long long v;
	const char *s = db_val(r, row, col);

	return s && parse_ll(s, INT64_MIN, INT64_MAX, &v) == 0 ? v : def;
}

double db_double(const struct db_rows *r, size_t row, size_t col, double def)
{
	const char *s = db_val(r, row, col);
	char *end;

	if (s == NULL)
		return def;
	double v = strtod(s, &end);
	return *end == '\0' ? v : def;
}

static int simple_query(struct db *db, const char *q)
{
	if (ensure_connected(db) != 0)
		return -1;
	if (mysql_real_query(db->conn, q, strlen(q)) != 0) {
		set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
		if (conn_error(db->err))
			drop_connection(db);
		return -1;
	}
	return 0;
}

int db_begin(struct db *db)
{
	/* A stale connection is found here, before the transaction holds anything. */
	if (db->conn && mysql_ping(db->conn) != 0)
		drop_connection(db);
	if (simple_query(db, "START TRANSACTION") != 0)
		return -1;
	db->in_txn = true;
	return 0;
}

int db_commit(struct db *db)
{
	int rc = simple_query(db, "COMMIT");
	db->in_txn = false;
	return rc;
}

void db_rollback(struct db *db)
{
	if (db->conn && db->in_txn) {
		unsigned err = db->err;
		char msg[sizeof(db->errmsg)];
		memcpy(msg, db->errmsg, sizeof(msg));
		simple_query(db, "ROLLBACK");
		/* Keep the error that made the caller roll back. */
		db->err = err;
		memcpy(db->errmsg, msg, sizeof(msg));
	}
	db->in_txn = false;
}

int db_exec_script(struct db *db, const char *text)
{
	if (simple_query(db, text) != 0)
		return -1;
	for (;;) {
		MYSQL_RES *res = mysql_store_result(db->conn);
		if (res)
			mysql_free_result(res);
		int next = mysql_next_result(db->conn);
		if (next == -1)
			return 0;
		if (next > 0) {
			set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
			return -1;
		}
	}
}

int db_ping(struct db *db)
{
	if (ensure_connected(db) != 0)
		return -1;
	if (mysql_ping(db->conn) != 0) {
		set_error(db, mysql_errno(db->conn), mysql_error(db->conn));
		drop_connection(db);
		return -1;
	}
	return 0;
}

unsigned db_errno(const struct db *db)
{
	return db->err;
}

const char *db_error(const struct db *db)
{
	return db->errmsg;
}

bool db_is_duplicate(const struct db *db)
{
	return db->err == ER_DUP_ENTRY;
}

bool db_is_down(const struct db *db)
{
	return db->conn == NULL || conn_error(db->err);
}

bool db_outcome_unknown(const struct db *db)
{
	/* Could not connect, or the server had gone before the statement was written: nothing ran. */
	bool never_sent = db->err == CR_CONNECTION_ERROR || db->err == CR_CONN_HOST_ERROR ||
	                  db->err == CR_SERVER_GONE_ERROR;
	return conn_error(db->err) && !never_sent;
}
