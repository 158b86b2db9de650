-- What a vehicle's signal rows are, in one value per vehicle: row count, first and last
-- timestamps and the sum of the rows' hashes (independent of row order and storage layout).
SELECT vehicle_id,
       concat_ws('|', count(*), epoch_us(min(ts)), epoch_us(max(ts)),
                 sum(hash(ts, signal, value)::HUGEINT)) AS signal_key
FROM signals
GROUP BY vehicle_id
