-- Degradation curves by group: 10/50/90 % SoH percentiles per bin of age (years), the same
-- definition as analytics.forecast.curves.cohort_curves but computed in the database: each
-- vehicle contributes its mean SoH per bin once, percentiles are taken across vehicles, and
-- bins with fewer than $min_vehicles vehicles are dropped.
-- Placeholders filled by the caller: {group} (a whitelisted expression), {where} (extra filter).
WITH per_vehicle AS (
    SELECT {group} AS grp,
           s.vehicle_id,
           floor(f.age_days / 365.25 / $width) * $width + $width / 2 AS x,
           avg(s.soh_pct) AS soh_pct
    FROM soh s
    JOIN degradation_features f ON f.vehicle_id = s.vehicle_id AND f.date = s.date
    LEFT JOIN vehicle_cohorts c ON c.vehicle_id = s.vehicle_id
    LEFT JOIN vehicles v ON v.vehicle_id = s.vehicle_id
    WHERE s.soh_pct IS NOT NULL AND f.age_days IS NOT NULL {where}
    GROUP BY ALL
)
SELECT grp, x,
       quantile_cont(soh_pct, 0.1) AS p10,
       quantile_cont(soh_pct, 0.5) AS p50,
       quantile_cont(soh_pct, 0.9) AS p90,
       count(DISTINCT vehicle_id) AS n_vehicles
FROM per_vehicle
GROUP BY ALL
HAVING count(DISTINCT vehicle_id) >= $min_vehicles
ORDER BY grp, x
