-- 0001 core: the tables every ingest path writes.
-- Timestamps are TIMESTAMPTZ in UTC; units are the catalog's canonical units.

CREATE TABLE vehicles (
    vehicle_id               VARCHAR PRIMARY KEY,
    vin                      VARCHAR,
    make                     VARCHAR,
    model                    VARCHAR,
    model_year               INTEGER,
    chemistry                VARCHAR,   -- NMC | NCA | LFP | LMO | unknown
    nominal_capacity_kwh     DOUBLE,    -- rated gross energy
    nominal_capacity_ah      DOUBLE,    -- rated capacity of the pack (series string)
    nominal_voltage_v        DOUBLE,
    usable_capacity_kwh      DOUBLE,
    cells_series             INTEGER,
    cells_parallel           INTEGER,
    curb_weight_kg           DOUBLE,
    first_registration_date  DATE,      -- age reference for degradation and warranty
    warranty_years           DOUBLE,
    warranty_km              DOUBLE,
    warranty_soh_pct         DOUBLE,
    price_new_eur            DOUBLE,
    capacity_reference       VARCHAR,   -- nominal | spec_table | first_observed
    metadata_source          VARCHAR,   -- file the row came from, or 'spec_table'
    updated_at               TIMESTAMPTZ
);

CREATE SEQUENCE sources_seq START 1;

-- One row per ingested file (content-addressed). A file lands in one transaction or not at
-- all; a failed attempt is recorded with status 'failed' so the user can see it.
CREATE TABLE sources (
    source_id        BIGINT PRIMARY KEY DEFAULT nextval('sources_seq'),
    path             VARCHAR NOT NULL,
    sha256           VARCHAR NOT NULL,
    format           VARCHAR NOT NULL,   -- candump | asc | blf | mf4 | can_csv | long_csv | long_parquet | wide_csv | wide_parquet | dimo_json | vehicles_csv | vehicles_json
    vehicle_id       VARCHAR,            -- NULL when the file holds several vehicles
    bytes            BIGINT,
    records_read     BIGINT,             -- frames (raw logs) or rows (exports) read
    records_decoded  BIGINT,             -- frames decoded / rows accepted
    records_skipped  BIGINT,             -- frames or rows skipped (see ingest_issues)
    rows_written     BIGINT,             -- rows added to signals (or vehicles)
    status           VARCHAR NOT NULL,   -- ok | partial | failed
    dbc              VARCHAR,            -- DBC files used, with their SHA-256
    options          VARCHAR,            -- JSON of the ingest options
    started_at       TIMESTAMPTZ,
    finished_at      TIMESTAMPTZ,
    duration_s       DOUBLE,
    message          VARCHAR
);

-- What an ingest skipped and why: one row per (source, reason), with a count and an example.
CREATE TABLE ingest_issues (
    source_id   BIGINT,
    path        VARCHAR NOT NULL,
    severity    VARCHAR NOT NULL,   -- warning | error
    reason      VARCHAR NOT NULL,   -- short code, e.g. malformed_line, unknown_id, short_frame
    count       BIGINT NOT NULL,
    example     VARCHAR,
    location    VARCHAR,            -- e.g. 'line 1834', 'frame 220311', 'row 17'
    detail      VARCHAR,
    created_at  TIMESTAMPTZ DEFAULT current_timestamp
);

-- The long table of decoded telemetry. One row per (vehicle, time, signal).
CREATE TABLE signals (
    vehicle_id  VARCHAR NOT NULL,
    ts          TIMESTAMPTZ NOT NULL,
    signal      VARCHAR NOT NULL,   -- catalog VSS path
    value       DOUBLE NOT NULL,
    source_id   BIGINT
);

-- Provenance of every stage run, for reports and audits.
CREATE TABLE pipeline_runs (
    stage            VARCHAR NOT NULL,
    started_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    package_version  VARCHAR,
    parameters       VARCHAR,   -- JSON
    vehicles         INTEGER,
    rows_written     BIGINT,
    status           VARCHAR,
    message          VARCHAR
);
