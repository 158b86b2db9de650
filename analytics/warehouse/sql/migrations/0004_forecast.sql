-- 0004 forecast: degradation features, cohorts, fitted ageing models, forecasts, milestones.
-- Written by analytics.forecast (issue 8). Percentages are SoH points of nominal capacity.

-- What each vehicle's pack went through, day by day (the inputs of the ageing model).
CREATE TABLE degradation_features (
    vehicle_id              VARCHAR NOT NULL,
    date                    DATE NOT NULL,
    age_days                DOUBLE,    -- since first_registration_date, else first telemetry
    age_source              VARCHAR,   -- registration | first_telemetry
    odometer_km             DOUBLE,    -- end of day (carried forward over days without data)
    distance_km             DOUBLE,
    charge_ah               DOUBLE,    -- Ah into the pack this day
    discharge_ah            DOUBLE,    -- Ah out of the pack this day
    throughput_ah           DOUBLE,    -- charge_ah + discharge_ah
    throughput_kwh          DOUBLE,    -- energy_in + energy_out
    efc                     DOUBLE,    -- equivalent full cycles so far (throughput / 2 / nominal Ah)
    efc_day                 DOUBLE,
    throughput_source       VARCHAR,   -- sessions | signals
    hours_observed          DOUBLE,    -- hours of the day covered by SoC samples
    soc_mean_pct            DOUBLE,    -- time-weighted
    hours_soc_above_80      DOUBLE,    -- scaled to 24 h of the day
    hours_soc_below_20      DOUBLE,
    battery_temp_mean_c     DOUBLE,    -- time-weighted (ambient when the pack temperature is absent)
    battery_temp_max_c      DOUBLE,
    hours_above_35c         DOUBLE,
    hours_below_0c          DOUBLE,
    temp_source             VARCHAR,   -- battery | ambient | none
    ambient_temp_mean_c     DOUBLE,
    cycle_temp_c            DOUBLE,    -- Ah-weighted pack temperature while driving/charging
    charges_n               INTEGER,
    dc_charges_n            INTEGER,
    dc_charge_kwh           DOUBLE,
    ac_charge_kwh           DOUBLE,
    dc_share                DOUBLE,    -- DC share of charged energy this day (NULL: no charge)
    dc_share_cum            DOUBLE,    -- DC share of charged energy so far
    dod_mean_pct            DOUBLE,    -- mean depth (SoC change) of this day's charges
    dod_max_pct             DOUBLE,
    dod_lt20_n              INTEGER,   -- charges by depth band
    dod_20_50_n             INTEGER,
    dod_50_80_n             INTEGER,
    dod_ge80_n              INTEGER,
    charge_c_rate_mean      DOUBLE,    -- Ah-weighted mean charge C-rate (power / nominal kWh)
    PRIMARY KEY (vehicle_id, date)
);

-- Time at state of charge x temperature, per day: the calendar-ageing exposure.
CREATE TABLE degradation_exposure (
    vehicle_id   VARCHAR NOT NULL,
    date         DATE NOT NULL,
    temp_bin_c   DOUBLE NOT NULL,   -- lower edge of a 5 degC bin
    soc_bin_pct  DOUBLE NOT NULL,   -- lower edge of a 10 % bin
    hours        DOUBLE NOT NULL
);

-- Cohort of each vehicle: model x chemistry x climate x usage, climate and usage inferred
-- from the vehicle's own temperature exposure and km per day.
CREATE TABLE vehicle_cohorts (
    vehicle_id          VARCHAR PRIMARY KEY,
    model               VARCHAR,
    chemistry           VARCHAR,
    climate_band        VARCHAR,   -- cold | temperate | hot
    usage_band          VARCHAR,   -- low | medium | high
    cohort              VARCHAR,
    km_per_day          DOUBLE,
    battery_temp_mean_c DOUBLE,
    hours_above_35c_per_day DOUBLE,
    hours_below_0c_per_day  DOUBLE,
    dc_share            DOUBLE,
    days_observed       INTEGER
);

-- Fitted ageing model per vehicle (posterior after partial pooling) and its provenance.
CREATE TABLE forecast_fits (
    vehicle_id          VARCHAR NOT NULL,
    model               VARCHAR NOT NULL,
    cohort              VARCHAR,
    soh0_pct            DOUBLE,    -- SoH at age 0
    soh0_sd             DOUBLE,
    calendar_coef       DOUBLE,    -- SoH points per sqrt(stress-weighted year)
    calendar_coef_sd    DOUBLE,
    cycle_coef          DOUBLE,    -- SoH points per (stress-weighted 100 EFC)^z
    cycle_coef_sd       DOUBLE,
    cycle_exponent      DOUBLE,
    data_weight         DOUBLE,    -- 0 = cohort curve only, 1 = the vehicle's own data only
    n_observations      INTEGER,
    span_days           INTEGER,
    residual_sd_pct     DOUBLE,
    process_sd_pct_per_sqrt_year DOUBLE,
    last_soh_date       DATE,
    last_soh_pct        DOUBLE,
    flags               VARCHAR,
    message             VARCHAR,
    fitted_at           TIMESTAMPTZ
);

-- The forecast path per vehicle and scenario (monthly), 90 % prediction interval.
CREATE TABLE forecasts (
    vehicle_id     VARCHAR NOT NULL,
    date           DATE NOT NULL,
    soh_pct        DOUBLE,
    soh_low_pct    DOUBLE,
    soh_high_pct   DOUBLE,
    model          VARCHAR NOT NULL,
    scenario       VARCHAR NOT NULL DEFAULT 'baseline',
    age_years      DOUBLE,
    odometer_km    DOUBLE,
    efc            DOUBLE,
    extrapolated   BOOLEAN    -- beyond the model's valid range
);

-- Milestones per vehicle and scenario: when 80 % / 70 % is reached, and the probability of
-- breaching each regulatory or warranty threshold (one row per threshold).
CREATE TABLE milestones (
    vehicle_id            VARCHAR NOT NULL,
    scenario              VARCHAR NOT NULL DEFAULT 'baseline',
    model                 VARCHAR,
    kind                  VARCHAR NOT NULL,  -- soh_level | threshold
    threshold_id          VARCHAR NOT NULL,  -- soh_80 | soh_70 | gtr22_80 | ... | warranty_<make>
    soh_threshold_pct     DOUBLE,
    limit_years           DOUBLE,            -- threshold applies until this age ...
    limit_km              DOUBLE,            -- ... or this odometer, whichever first
    expected_date         DATE,              -- median date SoH reaches the threshold
    date_low              DATE,              -- 5 % quantile (earliest)
    date_high             DATE,              -- 95 % quantile (NULL: not within the horizon)
    expected_odometer_km  DOUBLE,
    odometer_low_km       DOUBLE,
    odometer_high_km      DOUBLE,
    breach_probability    DOUBLE,            -- P(SoH < threshold before the limit)
    probability_within_horizon DOUBLE,       -- P(threshold reached within the forecast horizon)
    source                VARCHAR,
    note                  VARCHAR
);

-- How much of each vehicle's loss so far is calendar vs cycling, and how much heat, high SoC
-- and fast charging cost it relative to its cohort (SoH points; positive = lost more).
CREATE TABLE degradation_attribution (
    vehicle_id          VARCHAR PRIMARY KEY,
    model               VARCHAR,
    cohort              VARCHAR,
    as_of_date          DATE,
    loss_pct            DOUBLE,
    calendar_loss_pct   DOUBLE,
    cycle_loss_pct      DOUBLE,
    heat_excess_pct     DOUBLE,
    high_soc_excess_pct DOUBLE,
    fast_charge_excess_pct DOUBLE,
    method              VARCHAR
);
