-- Functions: reserved concurrency, and a creation sequence for listing order.

-- Reserved concurrency (beyond the spec, as Lambda's): at most this many invocations
-- of a function run at once; NULL leaves it bounded only by the runners.
ALTER TABLE functions
  ADD COLUMN IF NOT EXISTS reserved_concurrency INT NULL;

-- Listing order is creation order; created_at alone ties within a millisecond.
ALTER TABLE functions
  ADD COLUMN IF NOT EXISTS seq BIGINT NOT NULL AUTO_INCREMENT UNIQUE;
