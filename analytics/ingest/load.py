"""Load one input file into the warehouse: all of it in one transaction, or none of it.

Steps: hash the file (a content already ingested is a no-op that says so), stream the
reader's chunks into a staging table (bounded memory: DuckDB spills to disk), quarantine
values outside the catalog's valid range, then in one transaction write the ``sources`` row,
the de-duplicated signals and the ``ingest_issues``. A failure rolls everything back and is
recorded as a ``failed`` source so the user can see it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import polars as pl

from analytics.catalog import load_catalog
from analytics.errors import AnalyticsError, IngestError
from analytics.ingest.base import (
    SIGNAL_SCHEMA,
    ReadContext,
    Reader,
    detect_reader,
    get_reader,
)
from analytics.ingest.issues import Issue
from analytics.warehouse.db import Warehouse

__all__ = ["IngestResult", "file_sha256", "ingest_file"]

_HASH_CHUNK = 8 << 20


@dataclass
class IngestResult:
    """What happened to one file."""

    path: str
    format: str
    status: str  # ok | partial | duplicate | failed
    source_id: int | None = None
    sha256: str = ""
    records_read: int = 0
    records_decoded: int = 0
    records_skipped: int = 0
    rows_written: int = 0
    duration_s: float = 0.0
    message: str = ""
    issues: list[Issue] = field(default_factory=list)

    def summary(self) -> str:
        if self.status == "duplicate":
            return f"{self.path}: already ingested as source {self.source_id}; nothing to do"
        if self.status == "failed":
            return f"{self.path}: FAILED, nothing written: {self.message}"
        rate = self.records_read / self.duration_s if self.duration_s > 0 else 0.0
        return (
            f"{self.path} [{self.format}]: {self.records_read:,} read, "
            f"{self.records_decoded:,} decoded, {self.records_skipped:,} skipped, "
            f"{self.rows_written:,} rows written in {self.duration_s:.1f}s ({rate:,.0f}/s)"
        )


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_HASH_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def _ranges_frame() -> pl.DataFrame:
    cat = load_catalog()
    return pl.DataFrame(
        {
            "signal": [s.path for s in cat],
            "_min": [s.min for s in cat],
            "_max": [s.max for s in cat],
        }
    )


def _validate_chunk(chunk: pl.DataFrame, ctx: ReadContext, ranges: pl.DataFrame) -> pl.DataFrame:
    """Drop rows that cannot be stored, recording each reason in ``ctx.issues``."""
    chunk = chunk.select(
        [pl.col(c).cast(t, strict=False).alias(c) for c, t in SIGNAL_SCHEMA.items()]
    )
    if ctx.vehicle_id is not None:
        chunk = chunk.with_columns(pl.col("vehicle_id").fill_null(ctx.vehicle_id))
    bad_vehicle = chunk["vehicle_id"].is_null()
    if bad_vehicle.any():
        ctx.issues.add(
            "no_vehicle_id",
            count=int(bad_vehicle.sum()),
            severity="error",
            detail="rows without a vehicle id; pass --vehicle ID",
        )
        chunk = chunk.filter(~bad_vehicle)
    bad_ts = chunk["ts"].is_null()
    if bad_ts.any():
        ctx.issues.add("bad_timestamp", count=int(bad_ts.sum()))
        chunk = chunk.filter(~bad_ts)
    bad_val = chunk["value"].is_null() | chunk["value"].is_nan() | chunk["value"].is_infinite()
    if bad_val.any():
        ctx.issues.add("missing_value", count=int(bad_val.sum()))
        chunk = chunk.filter(~bad_val)

    joined = chunk.join(ranges, on="signal", how="left")
    unknown = joined["_min"].is_null()
    if unknown.any():
        names = joined.filter(unknown)["signal"].unique().head(5).to_list()
        ctx.issues.add(
            "unknown_signal",
            count=int(unknown.sum()),
            example=", ".join(str(n) for n in names),
            severity="error",
        )
    out = joined.filter(~unknown)
    outside = (out["value"] < out["_min"]) | (out["value"] > out["_max"])
    if outside.any():
        bad = out.filter(outside)
        for (sig,), grp in bad.group_by(["signal"], maintain_order=True):
            first = grp.row(0, named=True)
            ctx.issues.add(
                "out_of_range",
                count=grp.height,
                example=f"{sig} = {first['value']!r} at {first['ts']}",
                detail=str(sig),
            )
        out = out.filter(~outside)
    return out.select(list(SIGNAL_SCHEMA))


def _stage_signals(wh: Warehouse, reader: Reader, path: Path, ctx: ReadContext) -> int:
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_stage "
        "(vehicle_id VARCHAR, ts TIMESTAMPTZ, signal VARCHAR, value DOUBLE)"
    )
    ranges = _ranges_frame()
    staged = 0
    for chunk in reader.read(path, ctx):
        if chunk.height == 0:
            continue
        good = _validate_chunk(chunk, ctx, ranges)
        if good.height:
            wh.con.register("_ingest_chunk", good.to_arrow())
            try:
                wh.execute("INSERT INTO _ingest_stage SELECT * FROM _ingest_chunk")
            finally:
                wh.con.unregister("_ingest_chunk")
            staged += good.height
    return staged


def _commit_signals(wh: Warehouse, source_id: int) -> int:
    """Insert staged rows not already present (same vehicle, time and signal)."""
    before = wh.execute("SELECT count(*) FROM signals").fetchone()[0]
    wh.execute(
        """
        INSERT INTO signals (vehicle_id, ts, signal, value, source_id)
        WITH staged AS (
            SELECT vehicle_id, ts, signal, any_value(value) AS value
            FROM _ingest_stage GROUP BY ALL
        ),
        bounds AS (
            SELECT vehicle_id, min(ts) AS t0, max(ts) AS t1 FROM staged GROUP BY vehicle_id
        ),
        existing AS (
            SELECT s.vehicle_id, s.ts, s.signal FROM signals s
            JOIN bounds b ON s.vehicle_id = b.vehicle_id AND s.ts BETWEEN b.t0 AND b.t1
        )
        SELECT st.vehicle_id, st.ts, st.signal, st.value, $sid
        FROM staged st ANTI JOIN existing e USING (vehicle_id, ts, signal)
        ORDER BY st.vehicle_id, st.ts, st.signal
        """,
        {"sid": source_id},
    )
    after = wh.execute("SELECT count(*) FROM signals").fetchone()[0]
    return int(after - before)


def _insert_source(wh: Warehouse, row: dict[str, Any]) -> int:
    cols = list(row)
    placeholders = ", ".join("?" for _ in cols)
    got = wh.execute(
        f"INSERT INTO sources ({', '.join(cols)}) VALUES ({placeholders}) RETURNING source_id",
        list(row.values()),
    ).fetchone()
    return int(got[0])


def _insert_issues(wh: Warehouse, source_id: int | None, path: str, issues: Sequence[Issue]) -> None:
    for i in issues:
        wh.execute(
            "INSERT INTO ingest_issues (source_id, path, severity, reason, count, example, "
            "location, detail) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [source_id, path, i.severity, i.reason, i.count, i.example, i.location, i.detail],
        )


def _upsert_vehicles(wh: Warehouse, reader: Reader, path: Path, ctx: ReadContext) -> int:
    frames = [c for c in reader.read(path, ctx) if c.height]
    if not frames:
        return 0
    rows = pl.concat(frames, how="diagonal_relaxed").unique("vehicle_id", keep="last")
    rows = rows.with_columns(
        pl.lit(str(path)).alias("metadata_source"),
        pl.lit(datetime.now(UTC)).alias("updated_at"),
    )
    wh.execute(
        "DELETE FROM vehicles WHERE list_contains($ids, vehicle_id)",
        {"ids": rows["vehicle_id"].to_list()},
    )
    wh.con.register("_ingest_vehicles", rows.to_arrow())
    try:
        wh.execute("INSERT INTO vehicles BY NAME SELECT * FROM _ingest_vehicles")
    finally:
        wh.con.unregister("_ingest_vehicles")
    return rows.height


def ingest_file(
    wh: Warehouse,
    path: str | Path,
    *,
    fmt: str | None = None,
    vehicle_id: str | None = None,
    options: dict[str, Any] | None = None,
    progress: Any = None,
) -> IngestResult:
    """Ingest one file; never raises for bad content, returns a ``failed`` result instead.

    Raises :class:`IngestError` only for problems with the request itself (missing file,
    unknown ``fmt``), so a batch can go on with the next file.
    """
    path = Path(path)
    if not path.is_file():
        raise IngestError(f"no such file: {path}")
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    sha = file_sha256(path)
    dup = wh.execute(
        "SELECT source_id FROM sources WHERE sha256 = ? AND status <> 'failed' "
        "ORDER BY source_id LIMIT 1",
        [sha],
    ).fetchone()
    reader = get_reader(fmt) if fmt else None
    if dup is not None:
        return IngestResult(str(path), fmt or "", "duplicate", int(dup[0]), sha)
    ctx = ReadContext(vehicle_id=vehicle_id, options=dict(options or {}), progress=progress)
    fmt_name = fmt or "unknown"
    try:
        reader = reader or detect_reader(path)
        fmt_name = reader.format
        if reader.target == "signals":
            _stage_signals(wh, reader, path, ctx)
    except AnalyticsError as exc:
        return _record_failure(wh, path, sha, fmt_name, ctx, started, started_at, str(exc), options)

    source_row = {
        "path": str(path),
        "sha256": sha,
        "format": fmt_name,
        "vehicle_id": vehicle_id,
        "bytes": path.stat().st_size,
        "records_read": ctx.records_read,
        "records_decoded": ctx.records_decoded,
        "records_skipped": ctx.records_skipped,
        "status": "ok",
        "dbc": ctx.options.get("dbc_manifest"),
        "options": json.dumps(options or {}, sort_keys=True, default=str),
        "started_at": started_at,
    }
    try:
        with wh.transaction():
            source_id = _insert_source(wh, source_row)
            if reader.target == "vehicles":
                written = _upsert_vehicles(wh, reader, path, ctx)
            else:
                written = _commit_signals(wh, source_id)
            issues = ctx.issues.items()
            status = "partial" if (ctx.records_skipped or issues) else "ok"
            duration = time.perf_counter() - started
            wh.execute(
                "UPDATE sources SET rows_written = ?, status = ?, finished_at = ?, "
                "duration_s = ?, records_read = ?, records_decoded = ?, records_skipped = ? "
                "WHERE source_id = ?",
                [written, status, datetime.now(UTC), duration, ctx.records_read,
                 ctx.records_decoded, ctx.records_skipped, source_id],
            )
            _insert_issues(wh, source_id, str(path), issues)
    except AnalyticsError as exc:
        return _record_failure(wh, path, sha, fmt_name, ctx, started, started_at, str(exc), options)
    finally:
        wh.execute("DROP TABLE IF EXISTS _ingest_stage")
    return IngestResult(
        str(path), fmt_name, status, source_id, sha, ctx.records_read, ctx.records_decoded,
        ctx.records_skipped, written, duration, "", issues,
    )


def _record_failure(
    wh: Warehouse,
    path: Path,
    sha: str,
    fmt: str,
    ctx: ReadContext,
    started: float,
    started_at: datetime,
    message: str,
    options: dict[str, Any] | None,
) -> IngestResult:
    duration = time.perf_counter() - started
    wh.execute("DROP TABLE IF EXISTS _ingest_stage")
    with wh.transaction():
        sid = _insert_source(
            wh,
            {
                "path": str(path), "sha256": sha, "format": fmt, "bytes": path.stat().st_size,
                "records_read": ctx.records_read, "records_decoded": 0,
                "records_skipped": ctx.records_read, "rows_written": 0, "status": "failed",
                "options": json.dumps(options or {}, sort_keys=True, default=str),
                "started_at": started_at, "finished_at": datetime.now(UTC),
                "duration_s": duration, "message": message,
            },
        )
        ctx.issues.add("file_failed", count=1, example=message, severity="error")
        _insert_issues(wh, sid, str(path), ctx.issues.items())
    return IngestResult(
        str(path), fmt, "failed", sid, sha, ctx.records_read, 0, ctx.records_read, 0,
        duration, message, ctx.issues.items(),
    )

