-- Charger power and pack power sampled at the same instant while a charge was active, for
-- every vehicle, with the vehicle's make/model and the session's charge type: the input of
-- the fleet-wide check of what each car model's charger-power signal measures.
WITH charger AS (
    SELECT vehicle_id, ts, value AS charger_kw
    FROM signals
    WHERE signal = $charger AND value > $min_kw
),
pack AS (
    SELECT vehicle_id, ts, -value / 1000.0 AS pack_kw
    FROM signals
    WHERE signal = $pack_power AND -value / 1000.0 > $min_kw
),
charges AS (
    SELECT vehicle_id, start_ts, end_ts, charge_type
    FROM sessions
    WHERE kind = 'charge' AND charge_type IN ('AC', 'DC')
)
SELECT
    coalesce(v.make, '') AS make,
    coalesce(v.model, '') AS model,
    c.charge_type,
    charger.vehicle_id,
    charger.charger_kw,
    pack.pack_kw
FROM charger
JOIN pack USING (vehicle_id, ts)
JOIN charges AS c
    ON c.vehicle_id = charger.vehicle_id AND charger.ts BETWEEN c.start_ts AND c.end_ts
LEFT JOIN vehicles AS v ON v.vehicle_id = charger.vehicle_id
