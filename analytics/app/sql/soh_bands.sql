-- Fleet degradation curves: SoH percentiles (10/50/90) per model and month of vehicle age.
-- Age from the registration date, else from the vehicle's first SoH date.
WITH first AS (SELECT vehicle_id, min(date) AS first_date FROM soh GROUP BY vehicle_id),
aged AS (
    SELECT coalesce(v.make || ' ' || v.model, 'unknown') AS model,
           floor(date_diff('day', coalesce(v.first_registration_date, f.first_date), s.date) / 30.44) AS age_months,
           s.soh_pct
    FROM soh s JOIN first f USING (vehicle_id) LEFT JOIN vehicles v USING (vehicle_id)
    WHERE s.soh_pct IS NOT NULL
)
SELECT model, age_months, count(*) AS n,
       quantile_cont(soh_pct, 0.1) AS p10, quantile_cont(soh_pct, 0.5) AS p50, quantile_cont(soh_pct, 0.9) AS p90
FROM aged GROUP BY ALL HAVING count(*) >= 3 ORDER BY model, age_months
