-- Triggers: what reaches a function besides the invoke endpoints. One row each; the
-- type's settings are in config (JSON, as the client sent them, normalized), and the
-- columns the platform looks triggers up by are kept beside it.
CREATE TABLE IF NOT EXISTS triggers (
  id             VARCHAR(40)  NOT NULL PRIMARY KEY,   -- "trigger-…"
  tenant_id      VARCHAR(64)  NOT NULL,
  function_id    CHAR(23)     NOT NULL,
  type           VARCHAR(16)  NOT NULL,               -- Http | Scheduled | Event | Webhook | Manual
  target         VARCHAR(64)  NULL,                   -- a version number or an alias; NULL: the published version
  enabled        TINYINT(1)   NOT NULL DEFAULT 1,
  config         LONGTEXT     NOT NULL,
  http_path      VARCHAR(512) NULL,                   -- Http: its route below the tenant's prefix
  topic          VARCHAR(128) NULL,                   -- Event
  hook_token     CHAR(43)     NULL,                   -- Webhook: the unguessable part of its URL
  hook_secret    VARCHAR(96)  NULL,                   -- Webhook: the HMAC key (shown once, at creation)
  next_fire_at   DATETIME(3)  NULL,                   -- Scheduled
  last_fired_at  DATETIME(3)  NULL,
  origin         VARCHAR(8)   NOT NULL DEFAULT 'api',  -- 'tau': made by a TauFunctions `trigger` field, which replaces it
  created_by     VARCHAR(80)  NULL,
  created_at     DATETIME(3)  NOT NULL,
  updated_at     DATETIME(3)  NOT NULL,
  KEY triggers_function (function_id),
  KEY triggers_tenant_type (tenant_id, type),
  KEY triggers_due (type, enabled, next_fire_at),
  UNIQUE KEY triggers_hook (hook_token)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- One row per trigger and tick, written before its invocation is queued: a tick fires
-- once across every worker, and a leader that dies mid-tick leaves the row to say so.
CREATE TABLE IF NOT EXISTS trigger_ticks (
  trigger_id  VARCHAR(40)  NOT NULL,
  tick_at     DATETIME(3)  NOT NULL,
  request_id  CHAR(36)     NOT NULL,
  created_at  DATETIME(3)  NOT NULL,
  PRIMARY KEY (trigger_id, tick_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
