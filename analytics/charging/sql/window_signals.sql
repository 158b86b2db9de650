-- One vehicle's charging-related samples inside each session's plug window
-- (_charge_windows: session_id, win_start, win_end, registered by the caller).
SELECT w.session_id, s.ts, s.signal, s.value
FROM signals AS s
JOIN _charge_windows AS w
  ON s.ts >= w.win_start AND s.ts <= w.win_end
WHERE s.vehicle_id = $vid AND list_contains($signals, s.signal)
ORDER BY w.session_id, s.signal, s.ts
