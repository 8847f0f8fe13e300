-- Deployments: a function's live traffic moved from one version to another step by
-- step (Canary) or at once after a test (BlueGreen), judged on the target's own
-- invocations and rolled back by the leader's controller when they fail. The table
-- of 002 gets the controller's state; no row of it was ever written before.

ALTER TABLE deployments
  ADD COLUMN IF NOT EXISTS steps JSON NULL,                     -- the target's shares, e.g. [10, 50, 100]
  ADD COLUMN IF NOT EXISTS alias VARCHAR(64) NULL,              -- config.alias, moved too
  ADD COLUMN IF NOT EXISTS alias_before JSON NULL,              -- {version, routing} restored on rollback
  ADD COLUMN IF NOT EXISTS step INT NOT NULL DEFAULT -1,        -- index into steps; -1 not started
  ADD COLUMN IF NOT EXISTS weight INT NOT NULL DEFAULT 0,       -- the target's share of live traffic now
  ADD COLUMN IF NOT EXISTS step_started_at DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS step_extensions INT NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS keep_blue_until DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS updated_at DATETIME(3) NULL;
-- At most one deployment is in progress per function: its creation holds the
-- function's row locked while it checks (fcgi-app/deployments.c).

-- During a canary, unqualified traffic is split {"<version>": weight, ...} as an
-- alias's routingConfig is; NULL sends all of it to published_version.
ALTER TABLE functions
  ADD COLUMN IF NOT EXISTS published_routing JSON NULL;

-- The controller judges a version's invocations in a window.
ALTER TABLE invocations
  ADD INDEX IF NOT EXISTS invocations_function_version_time (function_id, version, started_at);
