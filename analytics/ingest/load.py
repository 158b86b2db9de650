"""Load one input file into the warehouse: all of it in one transaction, or none of it.

Steps: hash the file (a content already ingested is a no-op that says so); for a reader that
offers it, the direct path: one transaction inserting the file straight into ``signals`` and
proving it clean (:mod:`analytics.ingest.direct`), rolled back when it is not; otherwise (or
then) the exact path: stream the reader's chunks into a staging table (bounded memory: DuckDB
spills to disk), quarantine values outside the catalog's valid range, then in one transaction
write the ``sources`` row, the de-duplicated signals and the ``ingest_issues``. A failure
rolls everything back and is recorded as a ``failed`` source so the user can see it.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import duckdb
import polars as pl

from analytics.errors import AnalyticsError, FormatError, IngestError
from analytics.ingest.base import (
    SIGNAL_SCHEMA,
    ReadContext,
    Reader,
    SqlChunk,
    detect_reader,
    get_reader,
    strip_gz,
)
from analytics.ingest.commit import (
    analyse_source,
    duplicate_counts,
    first_row,
    insert_signals,
    overlaps_existing,
)
from analytics.ingest.direct import DirectSource, NotDirect, insert_direct
from analytics.ingest.issues import Issue
from analytics.lake import commit_source, lake_stored, refresh_view
from analytics.warehouse.db import Warehouse

__all__ = ["IngestResult", "file_sha256", "ingest_file"]

_HASH_CHUNK = 1 << 20
_OVERLAP_BYTES = 64 << 20


@dataclass
class IngestResult:
    """What happened to one file."""

    path: str
    format: str
    status: str  # ok | partial | duplicate | failed | skipped (not telemetry; nothing read)
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
        if self.status == "skipped":
            return f"{self.path}: skipped, {self.message}"
        rate = self.records_read / self.duration_s if self.duration_s > 0 else 0.0
        return (
            f"{self.path} [{self.format}]: {self.records_read:,} read, "
            f"{self.records_decoded:,} decoded, {self.records_skipped:,} skipped, "
            f"{self.rows_written:,} rows written in {self.duration_s:.1f}s ({rate:,.0f}/s)"
        )


def file_sha256(path: Path) -> str:
    """SHA-256 of the file's bytes (read into one reused buffer; hashlib releases the GIL)."""
    h = hashlib.sha256()
    buf = memoryview(bytearray(_HASH_CHUNK))
    with open(path, "rb", buffering=0) as fh:
        while n := fh.readinto(buf):
            h.update(buf[:n])
    return h.hexdigest()


def _duplicate_of(wh: Warehouse, sha: str) -> int | None:
    """The source that already holds this content (failed attempts do not count)."""
    row = first_row(
        wh.execute(
            "SELECT source_id FROM sources WHERE sha256 = ? AND status <> 'failed' "
            "ORDER BY source_id LIMIT 1",
            [sha],
        )
    )
    return int(row[0]) if row is not None else None


def _is_empty(path: Path) -> bool:
    """No bytes, or only blank lines (a plain file of at most a few bytes)."""
    size = path.stat().st_size
    if size == 0:
        return True
    if size > 64:
        return False
    return not path.read_bytes().strip()


def _detect(path: Path, options: dict[str, Any]) -> Reader:
    """The reader for ``path``; with a column map, an unrecognised table is a wide export."""
    try:
        return detect_reader(path)
    except FormatError:
        if not options.get("column_map"):
            raise
        name = strip_gz(path)
        if name.endswith(".parquet"):
            return get_reader("wide_parquet")
        if name.endswith((".csv", ".txt")):
            return get_reader("wide_csv")
        raise


def _stage_frames(wh: Warehouse, reader: Reader, path: Path, ctx: ReadContext) -> SqlChunk:
    """Run the reader; return the SQL source of its rows (a file query or the staging table).

    A single :class:`SqlChunk` is used as it is (the rows stay in DuckDB and the file is read
    by DuckDB directly); frame chunks and several SQL chunks go into a staging temp table,
    which DuckDB spills to disk when it outgrows memory.
    """
    wh.execute(
        "CREATE OR REPLACE TEMP TABLE _ingest_stage "
        "(vehicle_id VARCHAR, ts TIMESTAMPTZ, signal VARCHAR, value DOUBLE, unit VARCHAR)"
    )
    pending: SqlChunk | None = None
    staged = False
    for chunk in reader.read(path, ctx):
        if isinstance(chunk, SqlChunk):
            if pending is None and not staged:
                pending = chunk
                continue
            for c in (pending, chunk):
                if c is not None:
                    _materialise(wh, c, ctx)
            pending, staged = None, True
            continue
        if chunk.height == 0:
            continue
        if pending is not None:
            _materialise(wh, pending, ctx)
            pending = None
        staged = True
        frame = chunk.select(
            [pl.col(c).cast(t, strict=False).alias(c) for c, t in SIGNAL_SCHEMA.items()]
        )
        wh.con.register("_ingest_chunk", frame.to_arrow())
        try:
            wh.execute(
                "INSERT INTO _ingest_stage SELECT vehicle_id, ts, signal, value, NULL "
                "FROM _ingest_chunk"
            )
        finally:
            wh.con.unregister("_ingest_chunk")
    if pending is not None:
        if pending.rows_read is not None:
            ctx.records_read += pending.rows_read
        return pending
    return SqlChunk("SELECT * FROM _ingest_stage")


def _materialise(wh: Warehouse, chunk: SqlChunk, ctx: ReadContext) -> None:
    """Append a SQL chunk's rows to the staging table (used when a file has several)."""
    if chunk.rows_read is not None:
        ctx.records_read += chunk.rows_read
    from analytics.ingest.commit import source_columns

    unit = "unit" if "unit" in source_columns(wh.con, chunk.sql, chunk.params) else "NULL"
    wh.execute(
        f"INSERT INTO _ingest_stage SELECT vehicle_id, ts, signal, value, {unit} "
        f"FROM ({chunk.sql})",
        chunk.params or None,
    )


def _drop_temp(wh: Warehouse) -> None:
    """Drop the temporary tables and views of one ingest (names start with ``_ingest_``)."""
    rows = wh.execute(
        "SELECT table_name, table_type FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_catalog = 'temp' AND table_name LIKE '\\_ingest\\_%' ESCAPE '\\'"
    ).fetchall()
    for name, kind in rows:
        what = "VIEW" if kind == "VIEW" else "TABLE"
        wh.execute(f'DROP {what} IF EXISTS temp."{name}"')


def _commit_signals(
    wh: Warehouse, chunk: SqlChunk, ctx: ReadContext, source_id: int, target: str = "signals"
) -> int:
    """Validate the source in DuckDB, count what is skipped, insert the rest into ``target``."""
    src, params = chunk.sql, dict(chunk.params)
    stats = analyse_source(
        wh.con,
        src,
        params,
        ctx.vehicle_id,
        ctx.issues,
        unique_keys=chunk.unique_keys,
        precomputed=chunk.groups,
    )
    if ctx.records_read <= 0:
        ctx.records_read = stats.rows
    ctx.tick(stats.rows)
    if stats.quarantine:
        wh.con.executemany(
            "INSERT INTO quarantine (source_id, vehicle_id, signal, reason, count, example) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            [[source_id, *q] for q in stats.quarantine],
        )
    dedup = bool(stats.duplicates or stats.mixed_names or overlaps_existing(wh.con, stats.bounds))
    written = insert_signals(
        wh.con,
        src,
        params,
        ctx.vehicle_id,
        source_id,
        dedup=dedup,
        identity=stats.identity,
        target=target,
        stored="signals" if wh.lake is None else lake_stored(wh.lake, list(stats.bounds)),
    )
    if dedup:
        per_vehicle = duplicate_counts(wh.con)
        in_file = sum(d[1] for d in per_vehicle)
        for vid, dups, conflicts, example in per_vehicle:
            ctx.issues.add(
                "duplicate_row",
                count=dups,
                detail="repeated (vehicle, time, signal) in the file; first kept",
            )
            ctx.issues.add(
                "conflicting_duplicate",
                count=conflicts,
                example=f"{vid} {example}" if example else None,
                detail="same vehicle, time and signal with different values; the first is kept",
            )
            wh.con.executemany(
                "INSERT INTO quarantine (source_id, vehicle_id, signal, reason, count, example) "
                "VALUES (?, ?, NULL, ?, ?, ?)",
                [
                    [source_id, vid, reason, n, example]
                    for reason, n in (("duplicate_row", dups), ("conflicting_duplicate", conflicts))
                    if n
                ],
            )
        ctx.issues.add(
            "already_stored",
            count=stats.ok - int(in_file) - written,
            severity="info",
            detail="rows the warehouse already holds from another file",
        )
    if ctx.records_decoded <= 0:  # the reader's records are these rows (decoded exports)
        ctx.records_decoded = stats.ok
        ctx.records_skipped += stats.rows - written
    # else its records are frames (raw logs): row-level drops are in ingest_issues only
    return written


_LAKE_ROWS = "_ingest_lake_rows"  # dropped with the other _ingest_ temp tables


def _lake_rows(wh: Warehouse) -> str:
    """The temp table that collects a source's new rows in lake mode (docs/lake.md)."""
    wh.execute(
        f"CREATE OR REPLACE TEMP TABLE {_LAKE_ROWS} (vehicle_id VARCHAR, ts TIMESTAMPTZ, "
        "signal VARCHAR, value DOUBLE, source_id BIGINT)"
    )
    return _LAKE_ROWS


class _Duplicate(Exception):
    def __init__(self, source_id: int) -> None:
        super().__init__(source_id)
        self.source_id = source_id


def _direct_source(reader: Reader, path: Path, ctx: ReadContext) -> DirectSource | None:
    """The reader's direct-path query, or None (no such path, or the reader declines)."""
    offer = getattr(reader, "direct", None)
    if offer is None or ctx.options.get("column_map"):
        return None
    try:
        return offer(path, ctx)
    except (AnalyticsError, duckdb.Error):  # the exact path reports it
        return None


def _finish(
    wh: Warehouse, source_id: int, path: Path, ctx: ReadContext, written: int, started: float
) -> tuple[str, float, list[Issue]]:
    """Write the final counts, status and issues of a source (inside its transaction)."""
    issues = ctx.issues.items()
    serious = [i for i in issues if i.severity != "info"]
    status = "partial" if serious else "ok"
    duration = time.perf_counter() - started
    wh.execute(
        "UPDATE sources SET rows_written = ?, status = ?, finished_at = ?, "
        "duration_s = ?, records_read = ?, records_decoded = ?, records_skipped = ? "
        "WHERE source_id = ?",
        [
            written,
            status,
            datetime.now(UTC),
            duration,
            ctx.records_read,
            ctx.records_decoded,
            ctx.records_skipped,
            source_id,
        ],
    )
    _insert_issues(wh, source_id, str(path), issues)
    return status, duration, issues


def _insert_source(wh: Warehouse, row: dict[str, Any]) -> int:
    cols = list(row)
    placeholders = ", ".join("?" for _ in cols)
    got = wh.execute(
        f"INSERT INTO sources ({', '.join(cols)}) VALUES ({placeholders}) RETURNING source_id",
        list(row.values()),
    ).fetchall()[0]
    return int(got[0])


def _insert_issues(
    wh: Warehouse, source_id: int | None, path: str, issues: Sequence[Issue]
) -> None:
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
    if _is_empty(path):  # loggers leave empty files for days the car slept
        return IngestResult(
            str(path), fmt or "", "skipped", message="empty file: nothing to ingest"
        )
    started = time.perf_counter()
    started_at = datetime.now(UTC)
    reader = get_reader(fmt) if fmt else None
    # a large file is hashed on a second thread while DuckDB reads it (hashlib releases the
    # GIL); a small one is hashed first, so re-ingesting it costs nothing at all
    pool = ThreadPoolExecutor(max_workers=1) if path.stat().st_size > _OVERLAP_BYTES else None
    sha_job = pool.submit(file_sha256, path) if pool is not None else None
    sha = "" if sha_job is not None else file_sha256(path)
    if sha_job is None and (dup := _duplicate_of(wh, sha)) is not None:
        return IngestResult(str(path), fmt or "", "duplicate", dup, sha)
    ctx = ReadContext(
        vehicle_id=vehicle_id, options=dict(options or {}), progress=progress, con=wh.con
    )
    fmt_name = fmt or "unknown"
    chunk = SqlChunk("")
    failure: str | None = None
    reserved: int | None = None  # source id taken by a direct attempt, reused after it
    source_row = {
        "path": str(path),
        "sha256": sha,
        "format": fmt_name,
        "vehicle_id": vehicle_id,
        "bytes": path.stat().st_size,
        "status": "ok",
        "options": json.dumps(options or {}, sort_keys=True, default=str),
        "started_at": started_at,
    }
    try:
        reader = reader or _detect(path, ctx.options)
        fmt_name = source_row["format"] = reader.format
        direct = (
            _direct_source(reader, path, ctx)
            if reader.target == "signals" and wh.lake is None  # lake mode: the exact path
            else None
        )
        if direct is not None:
            reserved = int(wh.one("SELECT nextval('sources_seq')")[0])
            dctx = ReadContext(
                vehicle_id=vehicle_id, options=ctx.options, progress=progress, con=wh.con
            )
            try:
                with wh.transaction():
                    written = insert_direct(wh.con, direct, dctx, reserved)
                    if sha_job is not None:
                        sha = source_row["sha256"] = sha_job.result()
                        if (dup := _duplicate_of(wh, sha)) is not None:
                            raise _Duplicate(dup)
                    dbc = dctx.options.get("dbc_manifest")
                    _insert_source(wh, {"source_id": reserved, "dbc": dbc, **source_row})
                    status, duration, issues = _finish(wh, reserved, path, dctx, written, started)
            except _Duplicate as d:
                _drop_temp(wh)
                return IngestResult(str(path), fmt or "", "duplicate", d.source_id, sha)
            except (NotDirect, duckdb.Error):
                _drop_temp(wh)  # rolled back: the exact path below decides
                if sha_job is not None and (dup := _duplicate_of(wh, sha_job.result())) is not None:
                    return IngestResult(str(path), fmt or "", "duplicate", dup, sha_job.result())
            else:
                _drop_temp(wh)
                dctx.tick(written)
                return IngestResult(
                    str(path),
                    fmt_name,
                    status,
                    reserved,
                    sha,
                    dctx.records_read,
                    dctx.records_decoded,
                    dctx.records_skipped,
                    written,
                    duration,
                    "",
                    issues,
                )
        if reader.target == "signals":
            chunk = _stage_frames(wh, reader, path, ctx)
    except (AnalyticsError, duckdb.Error) as exc:
        failure = str(exc)
    finally:
        if sha_job is not None and pool is not None:
            sha = sha_job.result()
            pool.shutdown()
    source_row["sha256"] = sha
    if sha_job is not None and (dup := _duplicate_of(wh, sha)) is not None:
        _drop_temp(wh)
        return IngestResult(str(path), fmt or "", "duplicate", dup, sha)
    if failure is not None:
        return _record_failure(
            wh, path, sha, fmt_name, ctx, started, started_at, failure, options, reserved
        )

    try:
        with wh.transaction():
            row = dict(source_row, records_read=ctx.records_read)
            row["dbc"] = ctx.options.get("dbc_manifest")  # set by CAN readers while reading
            row.update(records_decoded=ctx.records_decoded, records_skipped=ctx.records_skipped)
            if reserved is not None:
                row["source_id"] = reserved
            source_id = _insert_source(wh, row)
            if reader.target == "vehicles":
                written = _upsert_vehicles(wh, reader, path, ctx)
            elif wh.lake is None:
                written = _commit_signals(wh, chunk, ctx, source_id)
            else:  # lake mode: rows to a temp table, committed to the lake with the manifest
                written = _commit_signals(wh, chunk, ctx, source_id, _lake_rows(wh))
            status, duration, issues = _finish(wh, source_id, path, ctx, written, started)
            if wh.lake is not None and reader.target == "signals":
                commit_source(wh.con, wh.lake, source_id, _LAKE_ROWS)  # then this transaction
    except (AnalyticsError, duckdb.Error) as exc:
        return _record_failure(
            wh, path, sha, fmt_name, ctx, started, started_at, str(exc), options, reserved
        )
    finally:
        _drop_temp(wh)
        refresh_view(wh)  # lake mode: `signals` reads the new snapshot
    return IngestResult(
        str(path),
        fmt_name,
        status,
        source_id,
        sha,
        ctx.records_read,
        ctx.records_decoded,
        ctx.records_skipped,
        written,
        duration,
        "",
        issues,
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
    source_id: int | None = None,
) -> IngestResult:
    duration = time.perf_counter() - started
    _drop_temp(wh)
    with wh.transaction():
        sid = _insert_source(
            wh,
            {
                **({"source_id": source_id} if source_id is not None else {}),
                "path": str(path),
                "sha256": sha,
                "format": fmt,
                "bytes": path.stat().st_size,
                "records_read": ctx.records_read,
                "records_decoded": 0,
                "records_skipped": ctx.records_read,
                "rows_written": 0,
                "status": "failed",
                "options": json.dumps(options or {}, sort_keys=True, default=str),
                "started_at": started_at,
                "finished_at": datetime.now(UTC),
                "duration_s": duration,
                "message": message,
            },
        )
        ctx.issues.add("file_failed", count=1, example=message, severity="error")
        _insert_issues(wh, sid, str(path), ctx.issues.items())
    return IngestResult(
        str(path),
        fmt,
        "failed",
        sid,
        sha,
        ctx.records_read,
        0,
        ctx.records_read,
        0,
        duration,
        message,
        ctx.issues.items(),
    )
