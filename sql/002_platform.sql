-- The platform API: users with roles, aliases, deployments, and the counters and
-- per-minute rollups that keep function details and metrics fast however long the
-- invocation history grows.

CREATE TABLE IF NOT EXISTS users (
  id             CHAR(20)     NOT NULL PRIMARY KEY,
  tenant_id      VARCHAR(64)  NOT NULL,
  username       VARCHAR(128) NOT NULL,
  password_hash  VARCHAR(255) NOT NULL,          -- libxcrypt yescrypt; never the password
  role           VARCHAR(16)  NOT NULL,          -- Admin | Developer | Operator | Viewer
  disabled       TINYINT(1)   NOT NULL DEFAULT 0,
  created_by     VARCHAR(80)  NULL,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  UNIQUE KEY users_username (username),
  KEY users_tenant (tenant_id),
  CONSTRAINT users_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS aliases (
  function_id  CHAR(23)     NOT NULL,
  name         VARCHAR(64)  NOT NULL,
  version      INT          NOT NULL,
  routing      LONGTEXT     NULL,                -- JSON object {"5": 90, "6": 10}, weights summing to 100
  description  VARCHAR(256) NOT NULL DEFAULT '',
  created_at   DATETIME(3)  NOT NULL,
  updated_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (function_id, name),
  CONSTRAINT aliases_function_fk FOREIGN KEY (function_id) REFERENCES functions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS deployments (
  id              VARCHAR(40)  NOT NULL PRIMARY KEY,
  tenant_id       VARCHAR(64)  NOT NULL,
  function_id     CHAR(23)     NOT NULL,
  target_version  INT          NOT NULL,
  source_version  INT          NULL,
  strategy        VARCHAR(16)  NOT NULL,
  status          VARCHAR(16)  NOT NULL,        -- InProgress | Completed | RolledBack | Failed
  config          LONGTEXT     NOT NULL,
  progress        INT          NOT NULL DEFAULT 0,
  current_phase   VARCHAR(64)  NULL,
  rollback_reason VARCHAR(512) NULL,
  deployed_by     VARCHAR(80)  NULL,
  started_at      DATETIME(3)  NOT NULL,
  completed_at    DATETIME(3)  NULL,
  KEY deployments_function (function_id, status),
  KEY deployments_tenant (tenant_id, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Counters the recorder moves with each new invocation (never for a redelivered one).
CREATE TABLE IF NOT EXISTS function_stats (
  function_id      CHAR(23)    NOT NULL PRIMARY KEY,
  invocations      BIGINT      NOT NULL DEFAULT 0,
  last_invoked_at  DATETIME(3) NULL
) ENGINE=InnoDB;

CREATE TABLE IF NOT EXISTS version_stats (
  function_id  CHAR(23) NOT NULL,
  version      INT      NOT NULL,
  invocations  BIGINT   NOT NULL DEFAULT 0,
  PRIMARY KEY (function_id, version)
) ENGINE=InnoDB;

-- One row per function and minute; metrics over any window read at most one row a minute.
CREATE TABLE IF NOT EXISTS metrics_minute (
  function_id   CHAR(23)  NOT NULL,
  minute        DATETIME  NOT NULL,
  invocations   INT       NOT NULL DEFAULT 0,
  errors        INT       NOT NULL DEFAULT 0,
  cold_starts   INT       NOT NULL DEFAULT 0,
  throttles     INT       NOT NULL DEFAULT 0,
  duration_sum  DOUBLE    NOT NULL DEFAULT 0,
  memory_sum    BIGINT    NOT NULL DEFAULT 0,
  memory_max    INT       NOT NULL DEFAULT 0,
  PRIMARY KEY (function_id, minute)
) ENGINE=InnoDB;

-- Durations in log-scale buckets (common/histogram.c), for percentiles without the raw rows.
CREATE TABLE IF NOT EXISTS metrics_histogram (
  function_id  CHAR(23)  NOT NULL,
  minute       DATETIME  NOT NULL,
  bucket       SMALLINT  NOT NULL,
  count        INT       NOT NULL,
  PRIMARY KEY (function_id, minute, bucket)
) ENGINE=InnoDB;

ALTER TABLE invocations ADD COLUMN IF NOT EXISTS log_stream VARCHAR(200) NULL;
