#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "log.h"
#include "settings.h"

void db_config_from(const struct config *cfg, struct db_config *dc, bool with_database)
{
	static char password[256];
	const char *pwfile = config_str(cfg, "mariadb", "password_file", NULL);

	memset(dc, 0, sizeof(*dc));
	dc->socket = config_str(cfg, "mariadb", "socket", "/run/mysqld/mysqld.sock");
	dc->host = config_str(cfg, "mariadb", "host", "127.0.0.1");
	dc->port = (unsigned)config_int(cfg, "mariadb", "port", 3306, 1, 65535);
	dc->user = config_str(cfg, "mariadb", "user", "root");
	dc->database = with_database ? config_str(cfg, "mariadb", "database", "taufunctions") : NULL;
	if (pwfile && *pwfile && password[0] == '\0') {
		FILE *f = fopen(pwfile, "r");
		if (f == NULL)
			fatal("cannot read mariadb.password_file %s: %s", pwfile, strerror(errno));
		if (fgets(password, sizeof(password), f) == NULL)
			password[0] = '\0';
		fclose(f);
		password[strcspn(password, "\r\n")] = '\0';
	}
	dc->password = password[0] ? password : NULL;
}

void rds_config_from(const struct config *cfg, struct rds_config *rc)
{
	rc->socket = config_str(cfg, "redis", "socket", "/run/redis/redis.sock");
	rc->host = config_str(cfg, "redis", "host", "127.0.0.1");
	rc->port = (int)config_int(cfg, "redis", "port", 6379, 1, 65535);
}
