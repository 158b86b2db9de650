-- 0002 quality: what ingest quarantined per vehicle, and the data-quality report.

-- Rows an ingest did not store, per file, vehicle, signal and reason (out_of_range,
-- bad_value, bad_timestamp, timestamp_without_offset), so reports can say per vehicle how much
-- was quarantined. ingest_issues keeps the per-file view with examples.
CREATE TABLE quarantine (
    source_id   BIGINT,
    vehicle_id  VARCHAR,
    signal      VARCHAR,            -- catalog VSS path, or the unknown name as given
    reason      VARCHAR NOT NULL,
    count       BIGINT NOT NULL,
    example     VARCHAR
);

-- One row per vehicle: coverage, gaps, and counts of each problem found.
CREATE TABLE quality_vehicles (
    vehicle_id            VARCHAR NOT NULL,
    first_ts              TIMESTAMPTZ,
    last_ts               TIMESTAMPTZ,
    span_days             DOUBLE,      -- last_ts - first_ts
    covered_days          DOUBLE,      -- time inside sampled stretches (gaps excluded)
    coverage_pct          DOUBLE,
    n_rows                BIGINT,
    n_signals             INTEGER,
    gap_threshold_s       DOUBLE,      -- silence longer than this is a gap
    logger_off_gaps       INTEGER,     -- car parked and unchanged across the gap
    logger_off_days       DOUBLE,
    missing_data_gaps     INTEGER,     -- the car drove or charged during the gap
    missing_data_days     DOUBLE,
    stuck_signals         INTEGER,     -- signals with at least one stuck stretch, or flat-lined
    out_of_range_rows     BIGINT,      -- quarantined at ingest (from quarantine)
    rejected_rows         BIGINT,      -- every row quarantined at ingest for this vehicle
    clock_jumps           INTEGER,
    odometer_rollbacks    INTEGER,
    grade                 VARCHAR,     -- good | fair | poor
    flags                 VARCHAR,     -- ';'-joined short findings
    computed_at           TIMESTAMPTZ
);

-- One row per vehicle and signal: sampling and sensor health.
CREATE TABLE quality_signals (
    vehicle_id            VARCHAR NOT NULL,
    signal                VARCHAR NOT NULL,
    n_rows                BIGINT,
    first_ts              TIMESTAMPTZ,
    last_ts               TIMESTAMPTZ,
    median_interval_s     DOUBLE,      -- typical spacing inside sampled stretches
    p95_interval_s        DOUBLE,
    samples_per_hour      DOUBLE,      -- over covered time
    min_value             DOUBLE,
    max_value             DOUBLE,
    distinct_values       BIGINT,
    stuck_stretches       INTEGER,
    stuck_hours           DOUBLE,
    flat_lined            BOOLEAN,     -- one value over the whole history (a dynamic signal)
    out_of_range_rows     BIGINT,
    flags                 VARCHAR
);

-- Individual findings with their time span: gaps, stuck stretches, clock jumps, rollbacks.
CREATE TABLE quality_events (
    vehicle_id   VARCHAR NOT NULL,
    kind         VARCHAR NOT NULL,   -- gap_logger_off | gap_missing_data | stuck_sensor | clock_jump | odometer_rollback
    signal       VARCHAR,
    start_ts     TIMESTAMPTZ,
    end_ts       TIMESTAMPTZ,
    duration_s   DOUBLE,
    magnitude    DOUBLE,             -- e.g. km driven during a gap, km of rollback, jump seconds
    detail       VARCHAR
);
