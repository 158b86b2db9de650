-- Every vehicle's latest fused SoH up to the as-of date, with its model, age and odometer:
-- the population a vehicle is ranked against. Parameters: $asof (date), $end (exclusive).
WITH last AS (
    SELECT vehicle_id, max(date) AS date FROM soh
    WHERE date <= $asof AND soh_pct IS NOT NULL GROUP BY vehicle_id
),
odo AS (
    SELECT vehicle_id, max(odometer_end_km) AS odometer_km,
           min(CAST(timezone('UTC', start_ts) AS DATE)) AS first_date
    FROM sessions WHERE start_ts < $end GROUP BY vehicle_id
)
SELECT s.vehicle_id, s.date, s.soh_pct, s.energy_soh_pct,
       v.make, v.model, v.chemistry, v.first_registration_date,
       o.odometer_km, o.first_date
FROM last l
JOIN soh s USING (vehicle_id, date)
LEFT JOIN vehicles v USING (vehicle_id)
LEFT JOIN odo o USING (vehicle_id)
