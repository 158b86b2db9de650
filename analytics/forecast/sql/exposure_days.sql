-- Hours per day at each (5 degC temperature bin, 10 % SoC bin): the calendar-ageing exposure.
-- Pack temperature, else ambient; samples held over gaps up to $max_hold_s.
-- Hours without any temperature land in bin $default_temp_bin_c (the model's reference).
WITH soc AS (
    SELECT vehicle_id, ts, value AS soc_pct,
           least(epoch(lead(ts) OVER w) - epoch(ts), $max_hold_s) AS dt_s
    FROM signals
    WHERE signal = $soc AND list_contains($vids, vehicle_id)
    WINDOW w AS (PARTITION BY vehicle_id ORDER BY ts)
),
tbat AS (
    SELECT vehicle_id, ts, value AS temp_c FROM signals
    WHERE signal = $tbat AND list_contains($vids, vehicle_id)
),
tamb AS (
    SELECT vehicle_id, ts, value AS temp_c FROM signals
    WHERE signal = $tamb AND list_contains($vids, vehicle_id)
),
j1 AS (
    SELECT s.*, b.temp_c AS tbat_c, b.ts AS tbat_ts
    FROM soc s ASOF LEFT JOIN tbat b ON s.vehicle_id = b.vehicle_id AND s.ts >= b.ts
),
j AS (
    SELECT j1.vehicle_id, j1.ts, j1.soc_pct, j1.dt_s,
           coalesce(
               CASE WHEN epoch(j1.ts) - epoch(j1.tbat_ts) <= $max_hold_s THEN j1.tbat_c END,
               CASE WHEN epoch(j1.ts) - epoch(a.ts) <= $max_hold_s THEN a.temp_c END
           ) AS temp_c
    FROM j1 ASOF LEFT JOIN tamb a ON j1.vehicle_id = a.vehicle_id AND j1.ts >= a.ts
)
SELECT vehicle_id, CAST(timezone('UTC', ts) AS DATE) AS date,
       coalesce(floor(temp_c / 5.0) * 5.0, $default_temp_bin_c) AS temp_bin_c,
       least(greatest(floor(soc_pct / 10.0) * 10.0, 0.0), 90.0) AS soc_bin_pct,
       sum(dt_s) / 3600.0 AS hours
FROM j WHERE dt_s IS NOT NULL AND dt_s > 0
GROUP BY ALL
ORDER BY vehicle_id, date, temp_bin_c, soc_bin_pct
