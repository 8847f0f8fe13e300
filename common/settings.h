/* Connection settings of MariaDB and Redis, read from the configuration. */
#ifndef TF_SETTINGS_H
#define TF_SETTINGS_H

#include <stdbool.h>

#include "config.h"
#include "db.h"
#include "rds.h"

/* Dies (start-up only) if mariadb.password_file cannot be read. */
void db_config_from(const struct config *cfg, struct db_config *dc, bool with_database);
void rds_config_from(const struct config *cfg, struct rds_config *rc);

#endif
