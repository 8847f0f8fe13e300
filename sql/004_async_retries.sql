-- Asynchronous retries and dead letters (as Lambda: maxRetries 0-2, maxEventAgeSeconds),
-- and idempotency keys: a repeated key within a day is the same invocation.
ALTER TABLE functions
  ADD COLUMN IF NOT EXISTS max_retries        INT NOT NULL DEFAULT 2,
  ADD COLUMN IF NOT EXISTS max_event_age_s    INT NOT NULL DEFAULT 21600;

ALTER TABLE invocations
  ADD COLUMN IF NOT EXISTS next_attempt_at  DATETIME(3)  NULL,      -- when a Retrying invocation runs again
  ADD COLUMN IF NOT EXISTS tries            INT          NOT NULL DEFAULT 0,  -- every try, redrives included
  ADD COLUMN IF NOT EXISTS idempotency_key  VARCHAR(255) NULL,      -- freed by the leader after a day
  ADD UNIQUE KEY IF NOT EXISTS invocations_idempotency (function_id, idempotency_key),
  ADD KEY IF NOT EXISTS invocations_function_status (function_id, status),
  ADD KEY IF NOT EXISTS invocations_status_finished (status, finished_at);  -- results retention

-- Each try numbers its log lines from its own base (try x 1,000,000), past INT once
-- an invocation has been re-driven often enough.
ALTER TABLE invocation_logs MODIFY seq BIGINT NOT NULL;
