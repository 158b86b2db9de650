-- The latest fused SoH up to the as-of date of every vehicle of the same model (or, when the
-- model is unknown, the same chemistry), with its age reference and odometer: the population
-- a vehicle is ranked against. Parameters: $asof (date), $end (exclusive), $model, $chem
-- (NULL = no restriction).
WITH peers AS (
    SELECT vehicle_id, make, model, chemistry, first_registration_date
    FROM vehicles
    WHERE ($model IS NULL OR model = $model) AND ($chem IS NULL OR chemistry = $chem)
),
last AS (
    SELECT vehicle_id, max(date) AS date FROM soh
    WHERE date <= $asof AND soh_pct IS NOT NULL
      AND vehicle_id IN (SELECT vehicle_id FROM peers)
    GROUP BY vehicle_id
),
odo AS (
    SELECT vehicle_id, max(odometer_end_km) AS odometer_km,
           min(CAST(timezone('UTC', start_ts) AS DATE)) AS first_date
    FROM sessions
    WHERE start_ts < $end AND vehicle_id IN (SELECT vehicle_id FROM peers)
    GROUP BY vehicle_id
)
SELECT s.vehicle_id, s.date, s.soh_pct, s.energy_soh_pct,
       p.make, p.model, p.chemistry, p.first_registration_date,
       o.odometer_km, o.first_date
FROM last l
JOIN soh s USING (vehicle_id, date)
JOIN peers p USING (vehicle_id)
LEFT JOIN odo o USING (vehicle_id)
