-- Daily exposure from signals: time-weighted SoC and pack temperature, time at extremes,
-- odometer, and Ah counted from pack current (used when sessions are absent).
-- Parameters: $vids (list of vehicle ids), $soc, $tbat, $tamb, $odo, $cur (VSS paths),
-- $max_hold_s (longest time a sample is held over a gap), $max_int_s (current integration).
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
           CASE WHEN epoch(j1.ts) - epoch(j1.tbat_ts) <= $max_hold_s THEN j1.tbat_c END AS tbat_c,
           CASE WHEN epoch(j1.ts) - epoch(a.ts) <= $max_hold_s THEN a.temp_c END AS tamb_c
    FROM j1 ASOF LEFT JOIN tamb a ON j1.vehicle_id = a.vehicle_id AND j1.ts >= a.ts
),
soc_days AS (
    SELECT vehicle_id, CAST(timezone('UTC', ts) AS DATE) AS date,
           sum(dt_s) / 3600.0 AS hours_observed,
           sum(soc_pct * dt_s) / nullif(sum(dt_s), 0) AS soc_mean_pct,
           sum(CASE WHEN soc_pct > 80 THEN dt_s ELSE 0 END) / 3600.0 AS hours_soc_above_80_raw,
           sum(CASE WHEN soc_pct < 20 THEN dt_s ELSE 0 END) / 3600.0 AS hours_soc_below_20_raw,
           sum(coalesce(tbat_c, tamb_c) * dt_s)
               / nullif(sum(CASE WHEN coalesce(tbat_c, tamb_c) IS NOT NULL THEN dt_s END), 0)
               AS battery_temp_mean_c,
           max(coalesce(tbat_c, tamb_c)) AS battery_temp_max_c,
           sum(CASE WHEN coalesce(tbat_c, tamb_c) > 35 THEN dt_s ELSE 0 END) / 3600.0
               AS hours_above_35c_raw,
           sum(CASE WHEN coalesce(tbat_c, tamb_c) < 0 THEN dt_s ELSE 0 END) / 3600.0
               AS hours_below_0c_raw,
           CASE WHEN count(tbat_c) > 0 THEN 'battery'
                WHEN count(tamb_c) > 0 THEN 'ambient' ELSE 'none' END AS temp_source,
           sum(tamb_c * dt_s) / nullif(sum(CASE WHEN tamb_c IS NOT NULL THEN dt_s END), 0)
               AS ambient_temp_mean_c
    FROM j WHERE dt_s IS NOT NULL AND dt_s > 0
    GROUP BY ALL
),
odo_days AS (
    SELECT vehicle_id, CAST(timezone('UTC', ts) AS DATE) AS date,
           max(value) AS odometer_km, min(value) AS odometer_min_km
    FROM signals WHERE signal = $odo AND list_contains($vids, vehicle_id)
    GROUP BY ALL
),
cur AS (
    SELECT vehicle_id, ts, value AS current_a,
           least(epoch(lead(ts) OVER w) - epoch(ts), $max_int_s) AS dt_s
    FROM signals WHERE signal = $cur AND list_contains($vids, vehicle_id)
    WINDOW w AS (PARTITION BY vehicle_id ORDER BY ts)
),
cur_days AS (
    SELECT vehicle_id, CAST(timezone('UTC', ts) AS DATE) AS date,
           sum(greatest(-current_a, 0) * dt_s) / 3600.0 AS charge_ah_signals,
           sum(greatest(current_a, 0) * dt_s) / 3600.0 AS discharge_ah_signals
    FROM cur WHERE dt_s IS NOT NULL GROUP BY ALL
)
SELECT coalesce(s.vehicle_id, o.vehicle_id, c.vehicle_id) AS vehicle_id,
       coalesce(s.date, o.date, c.date) AS date,
       s.* EXCLUDE (vehicle_id, date),
       o.odometer_km, o.odometer_min_km,
       c.charge_ah_signals, c.discharge_ah_signals
FROM soc_days s
FULL OUTER JOIN odo_days o USING (vehicle_id, date)
FULL OUTER JOIN cur_days c USING (vehicle_id, date)
ORDER BY vehicle_id, date
