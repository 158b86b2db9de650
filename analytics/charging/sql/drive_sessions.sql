-- One vehicle's drives (evidence that the cable was not connected).
SELECT start_ts, end_ts
FROM sessions
WHERE vehicle_id = $vid AND kind = 'drive'
ORDER BY start_ts
