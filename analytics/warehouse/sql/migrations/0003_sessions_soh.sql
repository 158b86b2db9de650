-- 0003 sessions and state of health.
-- sessions: each vehicle's timeline cut into drive / charge / park periods (analytics sessions).
-- soh_observations: every single-session estimate, kept or rejected, with its reason.
-- soh: the fused daily series per vehicle (analytics soh).

CREATE TABLE sessions (
    vehicle_id            VARCHAR NOT NULL,
    session_id            VARCHAR NOT NULL,   -- "<vehicle_id>/<kind>/<start epoch s>"
    kind                  VARCHAR NOT NULL,   -- drive | charge | park
    start_ts              TIMESTAMPTZ NOT NULL,
    end_ts                TIMESTAMPTZ NOT NULL,
    duration_s            DOUBLE,
    soc_start_pct         DOUBLE,             -- BMS SoC at the start
    soc_end_pct           DOUBLE,
    energy_in_kwh         DOUBLE,             -- pack-side energy into the pack (charging, regen)
    energy_out_kwh        DOUBLE,             -- pack-side energy out of the pack
    charge_ah             DOUBLE,             -- charge into the pack
    discharge_ah          DOUBLE,             -- charge out of the pack
    distance_km           DOUBLE,
    odometer_start_km     DOUBLE,
    odometer_end_km       DOUBLE,
    battery_temp_mean_c   DOUBLE,
    battery_temp_min_c    DOUBLE,
    battery_temp_max_c    DOUBLE,
    ambient_temp_c        DOUBLE,             -- mean outside temperature
    peak_power_kw         DOUBLE,             -- largest |pack power|
    charge_type           VARCHAR,            -- AC | DC | NULL (not a charge)
    power_level_kw        DOUBLE,             -- typical charger power while charging
    charge_limit_pct      DOUBLE,
    latitude              DOUBLE,
    longitude             DOUBLE,
    flags                 VARCHAR,            -- ';'-joined: gap, clock_jump, merged, ...
    -- extras
    plug_in_ts            TIMESTAMPTZ,        -- charges: cable connected (when known)
    plug_out_ts           TIMESTAMPTZ,        -- charges: cable removed (when known)
    grid_energy_kwh       DOUBLE,             -- charges: energy at the inlet (charger power)
    peak_charger_power_kw DOUBLE,
    soc_min_pct           DOUBLE,
    soc_max_pct           DOUBLE,
    max_speed_kmh         DOUBLE,
    n_samples             BIGINT,
    n_segments            INTEGER,            -- charges merged from interrupted parts
    gap_s                 DOUBLE,             -- time inside the session without data
    counter_source        VARCHAR,            -- bms_counter | integrated | none
    created_at            TIMESTAMPTZ DEFAULT current_timestamp
);

CREATE TABLE soh_observations (
    vehicle_id          VARCHAR NOT NULL,
    session_id          VARCHAR,
    ts                  TIMESTAMPTZ NOT NULL,  -- time the observation refers to
    date                DATE NOT NULL,
    method              VARCHAR NOT NULL,      -- charge_counting | ocv | bms_capacity | bms_soh | bms_energy | resistance
    quantity            VARCHAR NOT NULL,      -- capacity_ah | energy_kwh | soh_pct | resistance_mohm
    value               DOUBLE,                -- the estimate in its own unit
    sigma               DOUBLE,                -- 1-sigma uncertainty in that unit
    soh_pct             DOUBLE,                -- value relative to the reference (capacity or resistance growth)
    soh_sigma_pct       DOUBLE,
    kept                BOOLEAN NOT NULL,
    reason              VARCHAR NOT NULL,      -- 'ok' or why it was rejected
    soc_start_pct       DOUBLE,
    soc_end_pct         DOUBLE,
    delta_soc_pct       DOUBLE,
    charge_ah           DOUBLE,
    energy_kwh          DOUBLE,
    temperature_c       DOUBLE,
    inputs              VARCHAR,               -- JSON of everything else used
    created_at          TIMESTAMPTZ DEFAULT current_timestamp
);

CREATE TABLE soh (
    vehicle_id                 VARCHAR NOT NULL,
    date                       DATE NOT NULL,
    soh_pct                    DOUBLE,         -- capacity SoH at the reference temperature
    soh_low_pct                DOUBLE,         -- 90 % interval
    soh_high_pct               DOUBLE,
    energy_soh_pct             DOUBLE,         -- usable-energy SoH at the reference temperature
    resistance_growth_pct      DOUBLE,         -- internal resistance vs. reference, percent growth
    method                     VARCHAR,        -- 'fused(<methods used>)'
    n_observations             INTEGER,        -- kept observations on this date
    -- extras
    capacity_ah                DOUBLE,
    energy_soh_low_pct         DOUBLE,
    energy_soh_high_pct        DOUBLE,
    resistance_growth_low_pct  DOUBLE,
    resistance_growth_high_pct DOUBLE,
    n_observations_total       INTEGER,        -- kept observations up to and including this date
    days_since_observation     INTEGER,
    reference                  VARCHAR,        -- nominal | spec_table | first_observed
    reference_capacity_ah      DOUBLE,
    reference_temp_c           DOUBLE,
    flags                      VARCHAR,        -- e.g. 'thin_data', 'method_disagrees:ocv'
    created_at                 TIMESTAMPTZ DEFAULT current_timestamp
);
