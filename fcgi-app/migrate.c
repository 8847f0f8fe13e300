/*
 * Schema migrations: sql/NNN_name.sql applied in order, once each, recorded in
 * schema_migrations. A named lock keeps two starting tf-api processes from
 * applying the same file twice.
 */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "log.h"
#include "num.h"
#include "xalloc.h"

#define MIGRATE_LOCK_TIMEOUT_S 60
#define MIGRATE_MAX_FILES 1000
#define MIGRATE_MAX_SIZE (1 * TF_MIB)

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static char *read_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	char *text = NULL;

	if (f == NULL)
		return NULL;
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		buf_append(&b, chunk, n);
		if (b.len > MIGRATE_MAX_SIZE)
			goto out;
	}
	text = buf_steal(&b);
out:
	buf_free(&b);
	fclose(f);
	return text;
}

/* The database name goes into CREATE DATABASE as an identifier, so it is checked first. */
static int create_database(const struct config *cfg)
{
	struct db_config dc;
	int rc = -1;

	db_config_from(cfg, &dc, false);
	const char *name = config_str(cfg, "mariadb", "database", "taufunctions");
	for (const char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_')
			fatal("mariadb.database may hold only letters, digits and _");
	if (strlen(name) == 0 || strlen(name) > 64)
		fatal("mariadb.database must be 1-64 characters");
	struct db *db = db_open(&dc);
	char *sql = xasprintf("CREATE DATABASE IF NOT EXISTS `%s` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", name);
	if (db_exec_script(db, sql) != 0)
		log_error("cannot create database %s: %s", name, db_error(db));
	else
		rc = 0;
	free(sql);
	db_close(db);
	return rc;
}

static int apply(struct db *db, const char *dir, const char *file, long long version)
{
	struct db_rows *rows = NULL;
	int rc = -1;

	if (db_query(db, "SELECT 1 FROM schema_migrations WHERE version = ?", DB_ARGS(DB_INT(version)),
	             &rows) != 0)
		return -1;
	bool done = rows->nrows > 0;
	db_rows_free(rows);
	if (done)
		return 0;
	char *path = xasprintf("%s/%s", dir, file);
	char *text = read_file(path);
	if (text == NULL) {
		log_error("cannot read migration %s", path);
		goto out;
	}
	if (db_exec_script(db, text) != 0) {
		log_error("migration %s failed: %s", file, db_error(db));
		goto out;
	}
	if (db_exec(db, "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, NOW(3))",
	            DB_ARGS(DB_INT(version), DB_STR(file)), NULL) != 0)
		goto out;
	log_info("applied migration %s", file);
	rc = 0;
out:
	free(text);
	free(path);
	return rc;
}

int migrate_run(const struct config *cfg)
{
	const char *dir = config_str(cfg, "paths", "sql", "/usr/share/taufunctions/sql");
	struct db_config dc;
	struct db_rows *lock = NULL;
	char *files[MIGRATE_MAX_FILES];
	size_t n = 0;
	int rc = -1;

	if (create_database(cfg) != 0)
		return -1;
	db_config_from(cfg, &dc, true);
	struct db *db = db_open(&dc);
	DIR *d = opendir(dir);
	if (d == NULL) {
		log_error("cannot open migrations directory %s: %s", dir, strerror(errno));
		goto out;
	}
	struct dirent *de;
	while ((de = readdir(d)) != NULL && n < MIGRATE_MAX_FILES) {
		size_t l = strlen(de->d_name);
		if (l > 8 && isdigit((unsigned char)de->d_name[0]) && strcmp(de->d_name + l - 4, ".sql") == 0)
			files[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	qsort(files, n, sizeof(files[0]), by_name);

	if (db_query(db, "SELECT GET_LOCK('tf_migrate', ?)", DB_ARGS(DB_INT(MIGRATE_LOCK_TIMEOUT_S)),
	             &lock) != 0 || db_ll(lock, 0, 0, 0) != 1) {
		log_error("cannot take the migration lock: %s", db_error(db));
		goto out;
	}
	if (db_exec_script(db, "CREATE TABLE IF NOT EXISTS schema_migrations ("
	                       " version INT NOT NULL PRIMARY KEY, name VARCHAR(255) NOT NULL,"
	                       " applied_at DATETIME(3) NOT NULL) ENGINE=InnoDB") != 0)
		goto unlock;
	for (size_t i = 0; i < n; i++) {
		long long version;
		if (parse_lln(files[i], strspn(files[i], "0123456789"), 1, 999999, &version) != 0) {
			log_error("migration %s has no number", files[i]);
			goto unlock;
		}
		if (apply(db, dir, files[i], version) != 0)
			goto unlock;
	}
	rc = 0;
unlock:
	db_exec(db, "DO RELEASE_LOCK('tf_migrate')", DB_NOARGS, NULL);
out:
	db_rows_free(lock);
	for (size_t i = 0; i < n; i++)
		free(files[i]);
	db_close(db);
	return rc;
}
