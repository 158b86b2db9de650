-- 0006 reports: the issuer's log of every report written by `analytics report`.
-- The log stays with the issuer (it holds the real vehicle id next to the pseudonym printed
-- in the report); `analytics report verify` looks fingerprints up in it.

CREATE TABLE issued_reports (
    fingerprint      VARCHAR NOT NULL,   -- SHA-256 of the report's canonical JSON
    kind             VARCHAR NOT NULL,   -- finance | insurance | utility
    vehicle_id       VARCHAR NOT NULL,   -- the warehouse's vehicle id
    vehicle_ref      VARCHAR NOT NULL,   -- the id printed in the report (pseudonym or id)
    as_of            DATE NOT NULL,
    issued_on        DATE NOT NULL,
    issued_at        TIMESTAMPTZ NOT NULL,
    format           VARCHAR,            -- json | html | pdf
    output           VARCHAR,            -- file written
    data_grade       VARCHAR,            -- A .. E
    package_version  VARCHAR,
    request          VARCHAR             -- JSON: kind, as-of date, every parameter, options
);
