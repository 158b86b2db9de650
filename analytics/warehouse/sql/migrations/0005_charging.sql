-- 0005 charging: charge-behaviour tables built over `sessions` (kind = 'charge') and `signals`.
-- Energies in kWh, powers in kW, SoC in percent, temperatures in celsius, timestamps UTC.

-- One row per charge session: the plug-in window, the active charging inside it, energy on
-- both sides of the charger, and where it happened.
CREATE TABLE charging_sessions (
    vehicle_id            VARCHAR NOT NULL,
    session_id            VARCHAR NOT NULL,   -- sessions.session_id of the charge
    plug_in_ts            TIMESTAMPTZ,        -- cable connected
    plug_out_ts           TIMESTAMPTZ,        -- cable removed (latest possible finish)
    charge_start_ts       TIMESTAMPTZ,        -- first energy into the pack
    charge_end_ts         TIMESTAMPTZ,        -- last energy into the pack
    plugged_duration_s    DOUBLE,             -- plug_out - plug_in
    charging_duration_s   DOUBLE,             -- time actually charging (pauses excluded)
    dwell_idle_s          DOUBLE,             -- plugged in but not charging
    grid_energy_kwh       DOUBLE,             -- delivered by the charger (inlet side)
    pack_energy_kwh       DOUBLE,             -- added to the pack
    loss_kwh              DOUBLE,             -- grid - pack (charger, cabling, thermal)
    efficiency            DOUBLE,             -- pack / grid
    grid_energy_method    VARCHAR,            -- added_energy | charger_power | pack_over_efficiency
    charge_type           VARCHAR,            -- AC | DC
    power_level_kw        DOUBLE,             -- typical charger power while charging (median)
    peak_power_kw         DOUBLE,
    max_power_kw          DOUBLE,             -- power the charger can deliver (for scheduling)
    soc_in_pct            DOUBLE,
    soc_out_pct           DOUBLE,
    charge_limit_pct      DOUBLE,             -- target set in the car (or inferred)
    limit_method          VARCHAR,            -- signal | sessions | inferred
    battery_temp_min_c    DOUBLE,
    battery_temp_mean_c   DOUBLE,
    battery_temp_max_c    DOUBLE,
    ambient_temp_c        DOUBLE,
    latitude              DOUBLE,
    longitude             DOUBLE,
    location              VARCHAR,            -- home | work | public
    location_cluster      INTEGER,            -- DBSCAN cluster per vehicle, -1 = noise / none
    location_method       VARCHAR,            -- coordinates | pattern
    utc_offset_h          DOUBLE,             -- offset used for local hours (from longitude)
    session_type          VARCHAR,            -- named cluster (see docs/charging.md)
    flags                 VARCHAR             -- ';'-joined caveats
);

-- Per vehicle: the behaviour archetype, the features that named it, and its stability.
CREATE TABLE charging_profiles (
    vehicle_id              VARCHAR NOT NULL,
    archetype               VARCHAR NOT NULL,
    cluster                 INTEGER,
    archetype_fit           DOUBLE,             -- silhouette of the vehicle in its cluster (-1..1)
    n_sessions              INTEGER,
    sessions_per_week       DOUBLE,
    dc_energy_share         DOUBLE,
    home_share              DOUBLE,
    work_share              DOUBLE,
    public_share            DOUBLE,
    median_soc_out_pct      DOUBLE,
    full_charge_share       DOUBLE,             -- sessions ending at >= 98 %
    median_soc_gain_pct     DOUBLE,
    overnight_share         DOUBLE,
    quarters                INTEGER,
    mean_quarter_divergence DOUBLE,             -- Jensen-Shannon (base 2) between consecutive quarters
    max_quarter_divergence  DOUBLE,
    stability               DOUBLE,             -- 1 - mean divergence (1 = identical every quarter)
    method                  VARCHAR
);

-- Per vehicle and period: the share of charging in each session type.
CREATE TABLE charging_profile_mix (
    vehicle_id      VARCHAR NOT NULL,
    period_start    DATE NOT NULL,              -- quarter start
    session_type    VARCHAR NOT NULL,
    sessions        INTEGER,
    share_sessions  DOUBLE,
    share_energy    DOUBLE
);

-- Battery stress indicators per vehicle and period, and the treatment score built from them.
CREATE TABLE charging_stress (
    vehicle_id                VARCHAR NOT NULL,
    period                    VARCHAR NOT NULL,   -- quarter | all
    period_start              DATE NOT NULL,
    period_end                DATE NOT NULL,
    observed_h                DOUBLE,             -- hours with a valid SoC
    charge_sessions           INTEGER,
    grid_energy_kwh           DOUBLE,
    dc_energy_share           DOUBLE,
    hours_above_90_pct        DOUBLE,
    share_time_above_90_pct   DOUBLE,
    hours_below_10_pct        DOUBLE,
    share_time_below_10_pct   DOUBLE,
    hot_charge_energy_share   DOUBLE,             -- battery above 35 °C while charging
    cold_charge_energy_share  DOUBLE,             -- battery below 0 °C while charging
    typical_dod_pct           DOUBLE,             -- median depth of discharge between charges
    p90_dod_pct               DOUBLE,
    penalty_dc                DOUBLE,
    penalty_high_soc          DOUBLE,
    penalty_low_soc           DOUBLE,
    penalty_hot               DOUBLE,
    penalty_cold              DOUBLE,
    penalty_dod               DOUBLE,
    treatment_score           DOUBLE,             -- 0 (harsh) .. 100 (gentle)
    main_driver               VARCHAR,
    method                    VARCHAR
);

-- Hourly flexibility envelope per vehicle; see docs/charging.md for definitions.
CREATE TABLE charging_flexibility (
    vehicle_id         VARCHAR NOT NULL,
    hour_ts            TIMESTAMPTZ NOT NULL,
    plugged_in_h       DOUBLE,     -- plugged-in time inside the hour
    sessions           INTEGER,
    energy_needed_kwh  DOUBLE,     -- grid energy still to deliver at the start of the hour
    baseline_kwh       DOUBLE,     -- delivered in this hour as the car really charged
    max_kwh            DOUBLE,     -- physics bound: charger power x plugged-in time
    min_kwh            DOUBLE,     -- must be delivered in this hour to finish by plug-out
    shiftable_kwh      DOUBLE,     -- baseline - min: can move to other hours
    latest_finish_ts   TIMESTAMPTZ -- latest plug-out among sessions plugged in this hour
);

CREATE VIEW charging_flexibility_fleet AS
SELECT hour_ts,
       count(DISTINCT vehicle_id) AS vehicles_plugged_in,
       sum(plugged_in_h)          AS plugged_in_h,
       sum(energy_needed_kwh)     AS energy_needed_kwh,
       sum(baseline_kwh)          AS baseline_kwh,
       sum(max_kwh)               AS max_kwh,
       sum(min_kwh)               AS min_kwh,
       sum(shiftable_kwh)         AS shiftable_kwh,
       max(latest_finish_ts)      AS latest_finish_ts
FROM charging_flexibility
GROUP BY hour_ts;

-- Fleet charging-load forecast, hourly, with an interval.
CREATE TABLE charging_load_forecast (
    ts              TIMESTAMPTZ NOT NULL,
    load_kw         DOUBLE,
    load_low_kw     DOUBLE,
    load_high_kw    DOUBLE,
    interval_pct    DOUBLE,
    model           VARCHAR,
    trained_until   TIMESTAMPTZ,
    vehicles        INTEGER,
    created_at      TIMESTAMPTZ
);
