"""The issuer's log of written reports (table ``issued_reports``, migration 0006)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from analytics.warehouse.db import Warehouse

__all__ = ["find_issued", "log_issued"]


def _has_log(wh: Warehouse) -> bool:
    rows = wh.con.sql(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'issued_reports'"
    ).fetchall()
    return bool(rows and rows[0][0])


def log_issued(
    wh: Warehouse, report: dict[str, Any], vehicle_id: str, fmt: str, output: str
) -> bool:
    """Append one row for a written report; False when this warehouse has no log table."""
    if wh.read_only or not _has_log(wh):
        return False
    wh.execute(
        "INSERT INTO issued_reports VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            report["fingerprint"]["value"],
            report["kind"],
            vehicle_id,
            report["vehicle"]["id"],
            report["as_of"],
            report["issued_on"],
            datetime.now(UTC),
            fmt,
            output,
            report["data_sufficiency"]["grade"],
            report["provenance"]["package"]["version"],
            json.dumps(report["request"], sort_keys=True),
        ],
    )
    return True


def find_issued(wh: Warehouse, fingerprint: str) -> list[dict[str, Any]]:
    """Every logged issue of the report with this fingerprint (empty when none or no log)."""
    if not _has_log(wh):
        return []
    frame = wh.sql(
        "SELECT kind, vehicle_ref, as_of, issued_on, format, output FROM issued_reports "
        "WHERE fingerprint = $f ORDER BY issued_at",
        {"f": fingerprint},
    )
    return frame.to_dicts()
