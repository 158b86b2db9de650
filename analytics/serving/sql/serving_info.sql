-- One row describing a serving snapshot: its version, when it was made, from which warehouse.
CREATE TABLE snap.serving_info (
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    warehouse VARCHAR NOT NULL,
    schema_version INTEGER NOT NULL
)
