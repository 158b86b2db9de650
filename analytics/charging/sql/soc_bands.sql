-- Time-weighted hours per quarter with a valid BMS SoC, above 90 % and below 10 %.
-- Each sample holds until the next one; holds longer than $max_hold_s count as unobserved.
WITH s AS (
    SELECT ts, value AS soc_pct,
           epoch(lead(ts) OVER (ORDER BY ts) - ts) AS hold_s
    FROM signals
    WHERE vehicle_id = $vid AND signal = $signal
), k AS (
    SELECT CAST(date_trunc('quarter', ts AT TIME ZONE 'UTC') AS DATE) AS period_start,
           soc_pct, hold_s
    FROM s
    WHERE hold_s IS NOT NULL AND hold_s > 0 AND hold_s <= $max_hold_s
)
SELECT period_start,
       sum(hold_s) / 3600.0                                        AS observed_h,
       sum(CASE WHEN soc_pct > 90 THEN hold_s ELSE 0 END) / 3600.0 AS hours_above_90_pct,
       sum(CASE WHEN soc_pct < 10 THEN hold_s ELSE 0 END) / 3600.0 AS hours_below_10_pct
FROM k
GROUP BY period_start
ORDER BY period_start
