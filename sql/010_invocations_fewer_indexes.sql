-- Every finished invocation inserts a row into each index of invocations, so an index
-- no query needs costs MariaDB on every invocation and helps nothing.
--
-- No query selects invocations by tenant: a tenant's are reached through its functions.
-- And every query by function (its stats, its deletion, a deployment's window, dead
-- letters) is served as well by invocations_function_version_time or
-- invocations_function_status, which begin with function_id too.
ALTER TABLE invocations
  DROP INDEX IF EXISTS invocations_tenant_time,
  DROP INDEX IF EXISTS invocations_function_time;
