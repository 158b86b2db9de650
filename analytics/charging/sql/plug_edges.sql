-- Transitions of the cable-connected signal for one vehicle, plus its last sample.
-- prev_ts is the sample before the transition, so the true edge lies in (prev_ts, ts].
WITH s AS (
    SELECT ts,
           value >= 0.5                   AS plugged,
           lag(value >= 0.5) OVER w       AS prev_plugged,
           lag(ts) OVER w                 AS prev_ts,
           lead(ts) OVER w                AS next_ts
    FROM signals
    WHERE vehicle_id = $vid AND signal = $signal
    WINDOW w AS (ORDER BY ts)
)
SELECT ts, prev_ts, plugged, next_ts IS NULL AS is_last
FROM s
WHERE prev_plugged IS NULL OR plugged <> prev_plugged OR next_ts IS NULL
ORDER BY ts
