"""The ingest manifest: what one lake commit says about the file it came from.

Each lake commit carries, in its Iceberg snapshot summary, the ``sources`` row of the file,
its ``ingest_issues`` and ``quarantine`` rows, and which vehicles and rows it added. The
snapshot is atomic, so the data files and the manifest land together or not at all. The
warehouse writes the same rows in its own transaction right after; :func:`mirror` restores any
that a crash between the two left out (idempotent: keyed by the file's SHA-256).
"""

from __future__ import annotations

import json
from typing import Any

from analytics.lake.errors import LakeError
from analytics.lake.table import Lake

__all__ = ["MANIFEST_VERSION", "mirror", "source_manifest"]

MANIFEST_VERSION = 1
_TABLES = ("sources", "ingest_issues", "quarantine")


def _rows(con: Any, table: str, source_id: int) -> list[dict[str, Any]]:
    cur = con.execute(f"SELECT * FROM {table} WHERE source_id = ?", [source_id])
    names = [d[0] for d in cur.description]
    return [dict(zip(names, r, strict=True)) for r in cur.fetchall()]


def source_manifest(con: Any, source_id: int, rows_table: str) -> dict[str, Any]:
    """The manifest of one source as the current (uncommitted) transaction sees it."""
    source = _rows(con, "sources", source_id)[0]
    per_vehicle = con.execute(
        f"SELECT vehicle_id, count(*) FROM {rows_table} GROUP BY 1 ORDER BY 1"
    ).fetchall()
    return json.loads(
        json.dumps(
            {
                "version": MANIFEST_VERSION,
                "source_id": source_id,
                "sha256": source["sha256"],
                "path": source["path"],
                "format": source["format"],
                "vehicle_ids": [r[0] for r in per_vehicle],
                "rows": {r[0]: int(r[1]) for r in per_vehicle},
                "sources": [source],
                "ingest_issues": _rows(con, "ingest_issues", source_id),
                "quarantine": _rows(con, "quarantine", source_id),
            },
            default=str,  # timestamps as ISO text, which DuckDB casts back on insert
        )
    )


def _insert(con: Any, table: str, rows: list[dict[str, Any]]) -> None:
    for row in rows:
        cols = list(row)
        con.execute(
            f"INSERT INTO {table} ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})",
            list(row.values()),
        )


def mirror(wh: Any, lake: Lake) -> int:
    """Write the warehouse rows of every lake manifest the warehouse lacks; return how many.

    A manifest is present when ``sources`` has a non-failed row with its SHA-256. Mirrored
    sources keep the id their signal rows carry; the id sequence is moved past them.
    """
    manifests = lake.manifests()
    if not manifests:
        return 0
    have = {
        r[0]
        for r in wh.execute(
            "SELECT sha256 FROM sources WHERE status <> 'failed' AND list_contains(?, sha256)",
            [[m["sha256"] for m in manifests]],
        ).fetchall()
    }
    missing = [m for m in manifests if m["sha256"] not in have]
    if not missing:
        return 0
    with wh.transaction():
        for m in missing:
            sid = int(m["source_id"])
            held = wh.execute("SELECT status FROM sources WHERE source_id = ?", [sid]).fetchall()
            if held and held[0][0] != "failed":
                raise LakeError(
                    f"the lake commit of {m['path']} uses source id {sid}, which the warehouse "
                    f"{wh.path} gives to another file; this warehouse does not belong to this "
                    "lake: configure a fresh warehouse on it"
                )
            if held:  # the failed attempt recorded for the same id gives way to the commit
                for table in _TABLES:
                    wh.execute(f"DELETE FROM {table} WHERE source_id = ?", [sid])
            for table in _TABLES:
                _insert(wh.con, table, m[table])
    top = max(int(m["source_id"]) for m in missing)
    nxt = int(wh.one("SELECT nextval('sources_seq')")[0])
    if nxt < top:
        wh.execute("SELECT max(nextval('sources_seq')) FROM range(?)", [top - nxt]).fetchall()
    return len(missing)
