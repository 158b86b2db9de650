-- One fingerprint per vehicle with signals: what every stage models that vehicle from.
-- The sums of row hashes do not depend on row order or storage layout, so a fingerprint
-- changes exactly when a signal row, a quarantined count or the vehicle's metadata changes.
WITH sig AS (
    SELECT vehicle_id,
           count(*) AS n,
           min(ts) AS t0,
           max(ts) AS t1,
           sum(hash(ts, signal, value)::HUGEINT) AS h
    FROM signals
    GROUP BY vehicle_id
),
quar AS (
    SELECT q.vehicle_id, sum(hash(q.signal, q.reason, q.count)::HUGEINT) AS h
    FROM quarantine q
    JOIN sources s USING (source_id)
    WHERE s.status <> 'failed'
    GROUP BY q.vehicle_id
),
meta AS (
    SELECT vehicle_id, hash(v) AS h FROM vehicles v
)
SELECT sig.vehicle_id,
       md5(concat_ws('|', $version, sig.n, epoch_us(sig.t0), epoch_us(sig.t1), sig.h,
                     coalesce(quar.h, 0), coalesce(meta.h, 0))) AS fingerprint
FROM sig
LEFT JOIN quar USING (vehicle_id)
LEFT JOIN meta USING (vehicle_id)
ORDER BY sig.vehicle_id
