"""Readers and writers of decoded telemetry exports (long, wide, DIMO JSON, vehicle metadata).

The file layouts are specified in ``docs/exports.md``; one module per format, each defining
``READER`` for :data:`analytics.ingest.base.READER_MODULES`.
"""

from analytics.ingest.exports.writers import (
    write_dimo_json,
    write_long,
    write_vehicles,
    write_wide_csv,
)

__all__ = ["write_dimo_json", "write_long", "write_vehicles", "write_wide_csv"]
