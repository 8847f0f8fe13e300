-- Asynchronous invocations: the row is written (Queued, with the whole job) before the
-- caller hears 202, so an accepted invocation survives any process dying.
ALTER TABLE invocations
  ADD COLUMN IF NOT EXISTS job          MEDIUMTEXT  NULL,      -- what the worker needs to run it again
  ADD COLUMN IF NOT EXISTS result       MEDIUMTEXT  NULL,      -- the handler's value, kept for async callers
  ADD COLUMN IF NOT EXISTS attempts     INT         NOT NULL DEFAULT 0,
  ADD COLUMN IF NOT EXISTS queued_at    DATETIME(3) NULL,
  ADD COLUMN IF NOT EXISTS finished_at  DATETIME(3) NULL,
  ADD KEY IF NOT EXISTS invocations_status (status, queued_at);
