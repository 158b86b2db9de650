-- The quality stage's findings for one vehicle up to the as-of date, per kind:
-- how many, how long in all, the longest, their total magnitude, the first day.
-- Parameters: $v vehicle id, $end exclusive end (date).
SELECT kind,
       count(*) AS events,
       sum(coalesce(duration_s, 0)) / 86400.0 AS days,
       max(duration_s) / 3600.0 AS longest_h,
       sum(magnitude) AS magnitude,
       min(CAST(timezone('UTC', start_ts) AS DATE)) AS first_date
FROM quality_events
WHERE vehicle_id = $v AND start_ts < $end
GROUP BY kind
ORDER BY kind
