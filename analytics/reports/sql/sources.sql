-- Files a vehicle's data came from: files tagged with the vehicle, files whose rows are in
-- its signals, and metadata files (vehicle_id NULL). Parameter: $v.
SELECT DISTINCT src.source_id, src.path, src.sha256, src.format, src.status, src.rows_written
FROM sources src
WHERE src.status <> 'failed'
  AND (src.vehicle_id = $v
       OR src.source_id IN (SELECT DISTINCT source_id FROM signals WHERE vehicle_id = $v)
       OR (src.vehicle_id IS NULL AND src.format LIKE 'vehicles%'))
ORDER BY src.path, src.source_id
