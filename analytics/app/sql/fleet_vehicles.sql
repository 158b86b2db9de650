-- One row per vehicle for the fleet page: latest fused SoH with its interval, forecast risk,
-- treatment score, data coverage and the attributes the page filters on. Aggregated here so
-- the app receives one row per vehicle, never the daily series.
WITH latest AS (
    SELECT vehicle_id,
           max(date) AS soh_date,
           arg_max(soh_pct, date) AS soh_pct,
           arg_max(soh_low_pct, date) AS soh_low_pct,
           arg_max(soh_high_pct, date) AS soh_high_pct,
           arg_max(energy_soh_pct, date) AS energy_soh_pct
    FROM soh
    WHERE soh_pct IS NOT NULL
    GROUP BY vehicle_id
),
age AS (
    SELECT vehicle_id, arg_max(age_days, date) / 365.25 AS age_years
    FROM degradation_features
    GROUP BY vehicle_id
),
risk AS (
    SELECT vehicle_id,
           max(breach_probability) AS breach_probability,
           arg_max(threshold_id, breach_probability) AS riskiest_threshold,
           min(expected_date) FILTER (WHERE threshold_id = 'soh_80') AS soh_80_date,
           min(date_low) FILTER (WHERE threshold_id = 'soh_80') AS soh_80_date_low,
           max(date_high) FILTER (WHERE threshold_id = 'soh_80') AS soh_80_date_high
    FROM milestones
    WHERE scenario = 'baseline'
    GROUP BY vehicle_id
),
treat AS (
    SELECT vehicle_id, any_value(treatment_score) AS treatment_score,
           any_value(main_driver) AS treatment_driver
    FROM charging_stress
    WHERE period = 'all'
    GROUP BY vehicle_id
),
ids AS (
    SELECT vehicle_id FROM vehicles
    UNION SELECT vehicle_id FROM latest
    UNION SELECT vehicle_id FROM quality_vehicles
)
SELECT i.vehicle_id,
       coalesce(v.make || ' ' || v.model, c.model, 'unknown') AS model,
       -- one spelling of "unknown" (cohorts write UNKNOWN for a vehicle without metadata)
       CASE WHEN upper(coalesce(v.chemistry, c.chemistry, 'unknown')) = 'UNKNOWN' THEN 'unknown'
            ELSE coalesce(v.chemistry, c.chemistry) END AS chemistry,
       coalesce(c.climate_band, 'unknown') AS climate,
       coalesce(
           date_diff('day', v.first_registration_date, coalesce(l.soh_date, CAST(q.last_ts AS DATE))) / 365.25,
           a.age_years
       ) AS age_years,
       l.soh_pct, l.soh_low_pct, l.soh_high_pct, l.energy_soh_pct, l.soh_date,
       -- no SoH, no forecast risk: a 0 % beside an empty SoH would read as "safe"
       CASE WHEN l.soh_pct IS NOT NULL THEN r.breach_probability END AS breach_probability,
       r.riskiest_threshold, r.soh_80_date, r.soh_80_date_low, r.soh_80_date_high,
       t.treatment_score, t.treatment_driver,
       q.coverage_pct, q.span_days, q.grade AS quality_grade
FROM ids i
LEFT JOIN vehicles v USING (vehicle_id)
LEFT JOIN vehicle_cohorts c USING (vehicle_id)
LEFT JOIN latest l USING (vehicle_id)
LEFT JOIN age a USING (vehicle_id)
LEFT JOIN risk r USING (vehicle_id)
LEFT JOIN treat t USING (vehicle_id)
LEFT JOIN quality_vehicles q USING (vehicle_id)
ORDER BY l.soh_pct NULLS LAST, i.vehicle_id
