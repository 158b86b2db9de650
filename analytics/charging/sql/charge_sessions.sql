-- One vehicle's charge sessions as written by the sessions stage.
SELECT *
FROM sessions
WHERE vehicle_id = $vid AND kind = 'charge'
ORDER BY start_ts
