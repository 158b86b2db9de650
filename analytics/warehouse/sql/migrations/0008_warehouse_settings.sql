-- 0008 warehouse settings: small key/value options that belong to the warehouse file itself.
-- `lake` holds the folder of the Parquet/Iceberg lake that stores `signals` for large
-- deployments (docs/lake.md); without it the warehouse keeps `signals` in this file.

CREATE TABLE warehouse_settings (
    key         VARCHAR PRIMARY KEY,
    value       VARCHAR NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL DEFAULT current_timestamp
);
