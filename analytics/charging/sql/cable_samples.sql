-- Every sample of the cable-connected signal for one vehicle (evidence of the plug state).
SELECT ts, value
FROM signals
WHERE vehicle_id = $vid AND signal = $signal
ORDER BY ts
