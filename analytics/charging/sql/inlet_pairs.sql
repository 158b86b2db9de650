-- Charger power and pack power sampled at the same instant while a charge was active, for
-- every vehicle, with the vehicle's make/model and the charge type: the input of the
-- fleet-wide check of what each car model's charger-power signal measures. Pack power is the
-- pack power signal, else pack current x voltage at the same time stamp (positive into the
-- pack); a charge the sessions stage left untyped is typed by power (DC above $dc_kw).
WITH charger AS (
    SELECT vehicle_id, ts, value AS charger_kw
    FROM signals
    WHERE signal = $charger AND value > $min_kw
),
pack_power AS (
    SELECT vehicle_id, ts, -value / 1000.0 AS pack_kw
    FROM signals
    WHERE signal = $pack_power
),
current_voltage AS (
    SELECT i.vehicle_id, i.ts, -i.value * u.value / 1000.0 AS pack_kw
    FROM signals AS i
    JOIN signals AS u
        ON u.vehicle_id = i.vehicle_id AND u.ts = i.ts AND u.signal = $pack_voltage
    WHERE i.signal = $pack_current
      AND i.vehicle_id NOT IN (SELECT DISTINCT vehicle_id FROM pack_power)
),
pack AS (
    SELECT vehicle_id, ts, avg(pack_kw) AS pack_kw
    FROM (SELECT * FROM pack_power UNION ALL SELECT * FROM current_voltage)
    GROUP BY vehicle_id, ts
    HAVING avg(pack_kw) > $min_kw
),
charges AS (
    SELECT vehicle_id, start_ts, end_ts, charge_type
    FROM sessions
    WHERE kind = 'charge'
)
SELECT
    coalesce(v.make, '') AS make,
    coalesce(v.model, '') AS model,
    coalesce(
        CASE WHEN c.charge_type IN ('AC', 'DC') THEN c.charge_type END,
        CASE WHEN charger.charger_kw > $dc_kw THEN 'DC' ELSE 'AC' END
    ) AS charge_type,
    charger.vehicle_id,
    charger.charger_kw,
    pack.pack_kw
FROM charger
JOIN pack USING (vehicle_id, ts)
JOIN charges AS c
    ON c.vehicle_id = charger.vehicle_id AND charger.ts BETWEEN c.start_ts AND c.end_ts
LEFT JOIN vehicles AS v ON v.vehicle_id = charger.vehicle_id
