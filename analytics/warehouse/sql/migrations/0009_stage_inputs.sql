-- 0009 stage inputs: what each pipeline stage last modelled each vehicle from.
-- `analytics run` compares a vehicle's current input fingerprint (its signal rows, quarantined
-- values and metadata, plus the package version) with the one recorded here and re-models only
-- vehicles whose inputs changed (docs/scale.md). `state` keeps what a stage needs to combine a
-- vehicle with the fleet without recomputing it (e.g. the SoH stage's BMS-bias fit).

CREATE TABLE stage_inputs (
    stage        VARCHAR NOT NULL,   -- quality | sessions | soh | forecast | charging
    vehicle_id   VARCHAR NOT NULL,
    fingerprint  VARCHAR,            -- inputs the stage's rows were computed from (NULL: unknown)
    state        JSON,               -- per-vehicle results a fleet step reuses
    updated_at   TIMESTAMPTZ NOT NULL DEFAULT current_timestamp,
    PRIMARY KEY (stage, vehicle_id)
);
