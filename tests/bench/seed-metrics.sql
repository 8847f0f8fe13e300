-- One million invocations of function @fn over the last 24 hours, and the rollups the
-- recorder would have made of them, to measure metrics over a long history.
-- Durations: 10-400 ms; every 50th fails; every 100th is a cold start.
SET @n := 1000000;
INSERT INTO invocations (request_id, tenant_id, function_id, version, invocation_type, status,
                         started_at, duration_ms, billed_ms, memory_used_mb, cold_start)
SELECT CONCAT('bench-', LPAD(seq, 30, '0')), @tenant, @fn, 1, 'RequestResponse',
       IF(seq MOD 50 = 0, 'Failed', 'Succeeded'),
       NOW(3) - INTERVAL (seq * 86400 DIV @n) SECOND,
       10 + (seq * 7919 MOD 390), 100, 40 + seq MOD 20, seq MOD 100 = 0
FROM seq_1_to_1000000;

INSERT INTO metrics_minute (function_id, minute, invocations, errors, cold_starts, duration_sum, memory_sum, memory_max)
SELECT function_id, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:00'), COUNT(*), SUM(status <> 'Succeeded'),
       SUM(cold_start), SUM(duration_ms), SUM(memory_used_mb), MAX(memory_used_mb)
FROM invocations WHERE function_id = @fn GROUP BY 1, 2;

INSERT INTO metrics_histogram (function_id, minute, bucket, count)
SELECT function_id, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:00'),
       LEAST(479, FLOOR(LN(duration_ms / 0.01) / LN(1.04))), COUNT(*)
FROM invocations WHERE function_id = @fn GROUP BY 1, 2, 3;

INSERT INTO function_stats (function_id, invocations, last_invoked_at)
SELECT @fn, COUNT(*), MAX(started_at) FROM invocations WHERE function_id = @fn;
