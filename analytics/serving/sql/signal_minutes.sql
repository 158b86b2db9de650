-- 1-minute rollup of every signal (a view: filter it by vehicle_id and signal; for a time
-- range, filtering `signals` on ts before bucketing is faster).
SELECT
    vehicle_id,
    signal,
    time_bucket(INTERVAL 1 MINUTE, ts) AS minute,
    count(*)::BIGINT AS n,
    avg(value) AS mean,
    min(value) AS min,
    max(value) AS max
FROM signals
GROUP BY ALL
