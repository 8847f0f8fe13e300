-- The data model: tenants and their keys, functions and their immutable
-- versions over content-addressed code, finished invocations and their logs,
-- and the runner nodes. All times are UTC (every connection sets time_zone).

CREATE TABLE IF NOT EXISTS tenants (
  id           VARCHAR(64)  NOT NULL PRIMARY KEY,
  plan         VARCHAR(16)  NOT NULL DEFAULT 'free',
  agent        VARCHAR(128) NULL,
  is_operator  TINYINT(1)   NOT NULL DEFAULT 0,
  created_at   DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS api_keys (
  id            CHAR(20)     NOT NULL PRIMARY KEY,
  tenant_id     VARCHAR(64)  NOT NULL,
  prefix        VARCHAR(24)  NOT NULL,          -- the key's first characters, for people to tell keys apart
  key_hash      CHAR(64)     NOT NULL,          -- SHA-256 of the whole key; the key itself is never stored
  created_at    DATETIME(3)  NOT NULL,
  last_used_at  DATETIME(3)  NULL,
  revoked_at    DATETIME(3)  NULL,
  UNIQUE KEY api_keys_hash (key_hash),
  KEY api_keys_tenant (tenant_id),
  CONSTRAINT api_keys_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS code_blobs (
  sha256      CHAR(64)    NOT NULL PRIMARY KEY,
  size        BIGINT      NOT NULL,
  bytes       LONGBLOB    NOT NULL,
  created_at  DATETIME(3) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS functions (
  id                 CHAR(23)     NOT NULL PRIMARY KEY,
  tenant_id          VARCHAR(64)  NOT NULL,
  name               VARCHAR(64)  NOT NULL,
  -- A name is unique among a tenant's live functions; a deleted one frees it.
  live_name          VARCHAR(64)  AS (IF(deleted_at IS NULL, name, NULL)) PERSISTENT,
  description        VARCHAR(256) NOT NULL DEFAULT '',
  runtime            VARCHAR(16)  NOT NULL,
  handler            VARCHAR(128) NOT NULL,
  memory_mb          INT          NOT NULL,
  timeout_s          INT          NOT NULL,
  env                LONGTEXT     NOT NULL,      -- JSON object of strings
  tags               LONGTEXT     NOT NULL,      -- JSON object of strings
  trigger_type       VARCHAR(16)  NOT NULL DEFAULT 'http',
  code               MEDIUMTEXT   NULL,          -- inline source (TauFunctions), as sent
  code_sha256        CHAR(64)     NULL,          -- the draft package: what the next deploy publishes
  published_version  INT          NULL,
  draft_changed      TINYINT(1)   NOT NULL DEFAULT 0,
  next_version       INT          NOT NULL DEFAULT 1,  -- version numbers are never reused
  deployed_at        DATETIME(3)  NULL,
  owner_id           VARCHAR(64)  NULL,
  created_at         DATETIME(3)  NOT NULL,
  updated_at         DATETIME(3)  NOT NULL,
  deleted_at         DATETIME(3)  NULL,
  UNIQUE KEY functions_live_name (tenant_id, live_name),
  KEY functions_tenant (tenant_id, deleted_at),
  CONSTRAINT functions_tenant_fk FOREIGN KEY (tenant_id) REFERENCES tenants (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS versions (
  function_id  CHAR(23)     NOT NULL,
  number       INT          NOT NULL,
  code_sha256  CHAR(64)     NOT NULL,
  code_size    BIGINT       NOT NULL,
  runtime      VARCHAR(16)  NOT NULL,
  handler      VARCHAR(128) NOT NULL,
  memory_mb    INT          NOT NULL,
  timeout_s    INT          NOT NULL,
  env          LONGTEXT     NOT NULL,
  description  VARCHAR(256) NOT NULL DEFAULT '',
  created_by   VARCHAR(64)  NULL,
  created_at   DATETIME(3)  NOT NULL,
  PRIMARY KEY (function_id, number),
  KEY versions_code (code_sha256),
  CONSTRAINT versions_function_fk FOREIGN KEY (function_id) REFERENCES functions (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS invocations (
  request_id       CHAR(36)     NOT NULL PRIMARY KEY,
  tenant_id        VARCHAR(64)  NOT NULL,
  function_id      CHAR(23)     NOT NULL,
  version          INT          NOT NULL,
  alias            VARCHAR(64)  NULL,
  invocation_type  VARCHAR(16)  NOT NULL,
  status           VARCHAR(16)  NOT NULL,
  error_type       VARCHAR(128) NULL,
  error_message    TEXT         NULL,
  started_at       DATETIME(3)  NOT NULL,
  duration_ms      DOUBLE       NOT NULL DEFAULT 0,
  init_ms          DOUBLE       NOT NULL DEFAULT 0,
  billed_ms        INT          NOT NULL DEFAULT 0,
  memory_used_mb   INT          NOT NULL DEFAULT 0,
  cold_start       TINYINT(1)   NOT NULL DEFAULT 0,
  runner_id        VARCHAR(64)  NULL,
  KEY invocations_function_time (function_id, started_at),
  KEY invocations_tenant_time (tenant_id, started_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS invocation_logs (
  id           BIGINT       NOT NULL AUTO_INCREMENT PRIMARY KEY,
  function_id  CHAR(23)     NOT NULL,
  request_id   CHAR(36)     NOT NULL,
  seq          INT          NOT NULL,
  ts           DATETIME(3)  NOT NULL,
  level        VARCHAR(8)   NOT NULL,
  message      TEXT         NOT NULL,
  UNIQUE KEY invocation_logs_line (request_id, seq),
  KEY invocation_logs_function_time (function_id, ts)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE IF NOT EXISTS runners (
  id              VARCHAR(64)  NOT NULL PRIMARY KEY,
  hostname        VARCHAR(255) NOT NULL,
  runtimes        VARCHAR(255) NOT NULL,
  max_instances   INT          NOT NULL,
  started_at      DATETIME(3)  NOT NULL,
  last_heartbeat  DATETIME(3)  NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
