/*
 * MariaDB through prepared statements only. Parameters are typed values built
 * with the DB_* macros, so no value is ever spliced into SQL text:
 *
 *   db_exec(db, "UPDATE functions SET name = ? WHERE id = ?",
 *           DB_ARGS(DB_STR(name), DB_STR(id)), NULL);
 *
 * One struct db per thread. It connects lazily, reconnects after the server
 * went away, and caches prepared statements by their SQL text.
 */
#ifndef TF_DB_H
#define TF_DB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct db_config {
	const char *socket;   /* unix socket, or NULL/"" for host and port */
	const char *host;
	unsigned port;
	const char *user;
	const char *password;
	const char *database; /* NULL to connect without selecting one */
};

enum db_ptype { DBP_NULL, DBP_STR, DBP_INT, DBP_DOUBLE, DBP_BLOB };

struct db_param {
	enum db_ptype type;
	const void *p;
	unsigned long len;
	long long i;
	double d;
};

static inline struct db_param db_str(const char *s)
{
	struct db_param p = { .type = s ? DBP_STR : DBP_NULL, .p = s, .len = s ? strlen(s) : 0 };
	return p;
}

#define DB_STR(s) db_str(s)
#define DB_STRN(s, n) ((struct db_param){ .type = DBP_STR, .p = (s), .len = (n) })
#define DB_BLOB(s, n) ((struct db_param){ .type = DBP_BLOB, .p = (s), .len = (n) })
#define DB_INT(v) ((struct db_param){ .type = DBP_INT, .i = (v) })
#define DB_DOUBLE(v) ((struct db_param){ .type = DBP_DOUBLE, .d = (v) })
#define DB_NULL ((struct db_param){ .type = DBP_NULL })
#define DB_ARGS(...) (const struct db_param[]){ __VA_ARGS__ }, \
	(sizeof((const struct db_param[]){ __VA_ARGS__ }) / sizeof(struct db_param))
#define DB_NOARGS NULL, 0

/* A whole result set as text; a SQL NULL is a NULL pointer. */
struct db_rows {
	size_t nrows;
	size_t ncols;
	char **cell;          /* nrows * ncols */
	unsigned long *len;
};

struct db;

void db_library_init(void);
struct db *db_open(const struct db_config *cfg);
void db_close(struct db *db);

/* Runs a statement; *affected (if not NULL) gets the changed row count. 0 or -1. */
int db_exec(struct db *db, const char *sql, const struct db_param *p, size_t n,
            uint64_t *affected);
/* Runs a query and returns every row; free with db_rows_free. 0 or -1. */
int db_query(struct db *db, const char *sql, const struct db_param *p, size_t n,
             struct db_rows **out);
void db_rows_free(struct db_rows *rows);

static inline const char *db_val(const struct db_rows *r, size_t row, size_t col)
{
	return row < r->nrows && col < r->ncols ? r->cell[row * r->ncols + col] : NULL;
}
long long db_ll(const struct db_rows *r, size_t row, size_t col, long long def);
double db_double(const struct db_rows *r, size_t row, size_t col, double def);

int db_begin(struct db *db);
int db_commit(struct db *db);
void db_rollback(struct db *db);

/* Runs a multi-statement script without parameters (migrations only). */
int db_exec_script(struct db *db, const char *text);
int db_ping(struct db *db);

unsigned db_errno(const struct db *db);
const char *db_error(const struct db *db);
bool db_is_duplicate(const struct db *db);
/* True when the last failure was the connection, not the statement. */
bool db_is_down(const struct db *db);
/*
 * True when the connection was lost after the last statement may have reached the
 * server: it may have run (and, outside a transaction, committed) or not.
 */
bool db_outcome_unknown(const struct db *db);

#endif
