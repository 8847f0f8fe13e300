-- Reserved concurrency (beyond the spec, as Lambda's): at most this many invocations
-- of a function run at once; NULL leaves it bounded only by the runners.
ALTER TABLE functions
  ADD COLUMN IF NOT EXISTS reserved_concurrency INT NULL;
