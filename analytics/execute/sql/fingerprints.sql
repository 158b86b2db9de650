-- One fingerprint per vehicle with signals: what every stage models that vehicle from.
-- `_signal_keys(vehicle_id, signal_key)` says what its signal rows are (signal_keys.sql, or
-- the content-named lake files); quarantined counts and the metadata row are added here, so a
-- fingerprint changes exactly when one of them changes.
WITH quar AS (
    SELECT q.vehicle_id, sum(hash(q.signal, q.reason, q.count)::HUGEINT) AS h
    FROM quarantine q
    JOIN sources s USING (source_id)
    WHERE s.status <> 'failed'
    GROUP BY q.vehicle_id
),
meta AS (
    SELECT vehicle_id, hash(v) AS h FROM vehicles v
)
SELECT k.vehicle_id,
       md5(concat_ws('|', $version, k.signal_key, coalesce(quar.h, 0), coalesce(meta.h, 0)))
           AS fingerprint
FROM _signal_keys k
LEFT JOIN quar USING (vehicle_id)
LEFT JOIN meta USING (vehicle_id)
ORDER BY k.vehicle_id
