-- Degradation curves by group: 10/50/90 % SoH percentiles per bin of age (years), the same
-- definition as analytics.forecast.curves.cohort_curves but computed in the database: each
-- vehicle contributes its mean SoH per bin once, percentiles are taken across vehicles, and
-- bins with fewer than $min_vehicles vehicles are dropped.
-- Age comes from degradation_features (the forecast stage); before that stage has run, from
-- the registration date in `vehicles`.
-- Placeholders filled by the caller: {group} (a whitelisted expression), {age} and {join}
-- (the age source), {where} (extra filter).
WITH aged AS (
    SELECT {group} AS grp, s.vehicle_id, {age} AS age_days, s.soh_pct
    FROM soh s
    {join}
    LEFT JOIN vehicle_cohorts c ON c.vehicle_id = s.vehicle_id
    LEFT JOIN vehicles v ON v.vehicle_id = s.vehicle_id
    WHERE s.soh_pct IS NOT NULL {where}
),
per_vehicle AS (
    SELECT grp, vehicle_id,
           floor(age_days / 365.25 / $width) * $width + $width / 2 AS x,
           avg(soh_pct) AS soh_pct
    FROM aged
    WHERE age_days IS NOT NULL
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
