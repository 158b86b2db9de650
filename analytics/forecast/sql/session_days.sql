-- Daily usage from sessions: throughput, distance, charges by type and depth, C-rate.
-- Parameters: $vids. Joined with vehicles for the nominal capacity (C-rate).
WITH s AS (
    SELECT s.*, CAST(timezone('UTC', s.start_ts) AS DATE) AS date,
           greatest(coalesce(s.soc_end_pct, 0) - coalesce(s.soc_start_pct, 0), 0) AS depth_pct,
           coalesce(s.charge_ah, 0) + coalesce(s.discharge_ah, 0) AS ah
    FROM sessions s WHERE list_contains($vids, s.vehicle_id)
)
SELECT vehicle_id, date,
       sum(coalesce(charge_ah, 0)) AS charge_ah,
       sum(coalesce(discharge_ah, 0)) AS discharge_ah,
       sum(coalesce(energy_in_kwh, 0) + coalesce(energy_out_kwh, 0)) AS throughput_kwh,
       sum(CASE WHEN kind = 'drive' THEN coalesce(distance_km, 0) ELSE 0 END) AS distance_km_sessions,
       max(odometer_end_km) AS odometer_sessions_km,
       sum(CASE WHEN kind IN ('drive', 'charge') AND battery_temp_mean_c IS NOT NULL
                THEN ah * battery_temp_mean_c END)
           / nullif(sum(CASE WHEN kind IN ('drive', 'charge') AND battery_temp_mean_c IS NOT NULL
                             THEN ah END), 0) AS cycle_temp_c,
       count(*) FILTER (WHERE kind = 'charge')::INTEGER AS charges_n,
       count(*) FILTER (WHERE kind = 'charge' AND charge_type = 'DC')::INTEGER AS dc_charges_n,
       sum(CASE WHEN kind = 'charge' AND charge_type = 'DC' THEN coalesce(energy_in_kwh, 0) ELSE 0 END)
           AS dc_charge_kwh,
       sum(CASE WHEN kind = 'charge' AND coalesce(charge_type, 'AC') <> 'DC'
                THEN coalesce(energy_in_kwh, 0) ELSE 0 END) AS ac_charge_kwh,
       avg(depth_pct) FILTER (WHERE kind = 'charge') AS dod_mean_pct,
       max(depth_pct) FILTER (WHERE kind = 'charge') AS dod_max_pct,
       count(*) FILTER (WHERE kind = 'charge' AND depth_pct < 20)::INTEGER AS dod_lt20_n,
       count(*) FILTER (WHERE kind = 'charge' AND depth_pct >= 20 AND depth_pct < 50)::INTEGER AS dod_20_50_n,
       count(*) FILTER (WHERE kind = 'charge' AND depth_pct >= 50 AND depth_pct < 80)::INTEGER AS dod_50_80_n,
       count(*) FILTER (WHERE kind = 'charge' AND depth_pct >= 80)::INTEGER AS dod_ge80_n,
       sum(CASE WHEN kind = 'charge' THEN coalesce(charge_ah, 0) * power_level_kw END)
           / nullif(sum(CASE WHEN kind = 'charge' AND power_level_kw IS NOT NULL
                             THEN coalesce(charge_ah, 0) END), 0) AS charge_power_kw_mean
FROM s GROUP BY ALL ORDER BY vehicle_id, date
