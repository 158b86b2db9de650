-- One row per day with signals for one vehicle, up to the as-of date:
-- sample count, odometer range, and the largest cell-voltage spread seen (max - min, mV).
-- Parameters: $v vehicle id, $end exclusive end (date), $cmin/$cmax/$odo VSS paths.
WITH s AS (
    SELECT CAST(timezone('UTC', ts) AS DATE) AS date, signal, value, ts
    FROM signals
    WHERE vehicle_id = $v AND ts < $end
),
cells AS (
    SELECT date, ts,
           max(value) FILTER (WHERE signal = $cmax) - min(value) FILTER (WHERE signal = $cmin) AS spread_v
    FROM s WHERE signal IN ($cmin, $cmax)
    GROUP BY date, ts
)
SELECT d.date, d.samples, d.odometer_min_km, d.odometer_max_km, d.odometer_first_km,
       d.odometer_last_km, c.cell_spread_p95_mv
FROM (
    SELECT date, count(*) AS samples,
           min(value) FILTER (WHERE signal = $odo) AS odometer_min_km,
           max(value) FILTER (WHERE signal = $odo) AS odometer_max_km,
           arg_min(value, ts) FILTER (WHERE signal = $odo) AS odometer_first_km,
           arg_max(value, ts) FILTER (WHERE signal = $odo) AS odometer_last_km
    FROM s GROUP BY date
) d
LEFT JOIN (
    SELECT date, 1000 * quantile_cont(spread_v, 0.95) AS cell_spread_p95_mv
    FROM cells WHERE spread_v IS NOT NULL GROUP BY date
) c USING (date)
ORDER BY d.date
