-- Each vehicle's latest fused SoH, with model and chemistry, for the fleet overview.
SELECT s.vehicle_id, s.date, s.soh_pct, s.soh_low_pct, s.soh_high_pct, s.energy_soh_pct,
       s.soh_high_pct - s.soh_low_pct AS interval_width_pct, s.n_observations_total,
       coalesce(v.make || ' ' || v.model, 'unknown') AS model, coalesce(v.chemistry, 'unknown') AS chemistry
FROM soh s
JOIN (SELECT vehicle_id, max(date) AS date FROM soh WHERE soh_pct IS NOT NULL GROUP BY vehicle_id) l
  USING (vehicle_id, date)
LEFT JOIN vehicles v USING (vehicle_id)
ORDER BY s.soh_pct
