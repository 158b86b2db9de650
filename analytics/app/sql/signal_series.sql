-- A vehicle's signals between $start and $end, downsampled from the 1-minute rollup to
-- buckets of $bucket_min minutes counted from $start: count-weighted mean and the min/max
-- envelope, so a year of 1 Hz data comes back as at most a few thousand points per signal.
SELECT signal,
       time_bucket(to_minutes(CAST($bucket_min AS BIGINT)), minute, $start) AS ts,
       CAST(sum(n) AS BIGINT) AS n,
       sum(mean * n) / sum(n) AS mean,
       min(min) AS min,
       max(max) AS max
FROM signal_minutes
WHERE vehicle_id = $v AND list_contains($signals, signal) AND minute >= $start AND minute < $end
GROUP BY ALL
ORDER BY signal, ts
