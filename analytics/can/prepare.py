"""Decode a log in a worker process, leaving its long rows in a Parquet file for the loader.

``analytics.ingest.batch`` runs :func:`prepare_file` in worker processes (one file each, all
cores busy) and commits the results one by one in the parent: the parent hands the prepared
result to the reader with :func:`stage_prepared`, and the reader replays counts, issues and
rows (as a DuckDB scan of the Parquet file) instead of parsing the log again. The loader's
guarantees are unchanged: hash, duplicate check, one transaction, failure recorded.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from analytics.errors import AnalyticsError
from analytics.ingest.issues import Issue

__all__ = ["Prepared", "prepare_file", "stage_prepared", "take_prepared"]

_STAGED: dict[str, Prepared] = {}


@dataclass
class Prepared:
    """What a worker produced for one file."""

    path: str
    format: str = ""
    parquet: str | None = None
    rows: int = 0
    records_read: int = 0
    records_decoded: int = 0
    records_skipped: int = 0
    issues: list[Issue] = field(default_factory=list)
    dbc_manifest: str | None = None
    error: str | None = None
    duration_s: float = 0.0
    stamp: tuple[int, int] = (0, 0)  # (size, mtime_ns) of the file that was decoded


def prepare_file(
    path: str, fmt: str | None, vehicle_id: str | None, options: dict[str, Any], tmp_dir: str
) -> Prepared:
    """Parse and decode ``path`` (runs in a worker process)."""
    import pyarrow.parquet as pq

    from analytics.ingest.base import ReadContext, detect_reader, get_reader

    started = time.perf_counter()
    st = os.stat(path)
    out = Prepared(path, stamp=(st.st_size, st.st_mtime_ns))
    ctx = ReadContext(vehicle_id=vehicle_id, options=dict(options))
    writer = None
    target = os.path.join(tmp_dir, f"{uuid.uuid4().hex}.parquet")
    try:
        reader = get_reader(fmt) if fmt else detect_reader(Path(path))
        out.format = reader.format
        for chunk in reader.read(Path(path), ctx):
            table = chunk.to_arrow()
            if writer is None:
                writer = pq.ParquetWriter(target, table.schema, compression="lz4")
            writer.write_table(table)
            out.rows += chunk.height
    except AnalyticsError as exc:
        out.error = str(exc)
    finally:
        if writer is not None:
            writer.close()
            out.parquet = target
    out.records_read, out.records_decoded = ctx.records_read, ctx.records_decoded
    out.records_skipped = ctx.records_skipped
    out.issues = ctx.issues.items()
    out.dbc_manifest = ctx.options.get("dbc_manifest")
    out.duration_s = time.perf_counter() - started
    return out


def stage_prepared(prepared: Prepared) -> None:
    """Hand a worker's result to the reader for the next ingest of that path (parent side)."""
    _STAGED[str(Path(prepared.path))] = prepared


def take_prepared(path: Path) -> Prepared | None:
    """The staged result for ``path``, removed from the stage (reader side).

    Ignored when the file changed since it was decoded.
    """
    prepared = _STAGED.pop(str(Path(path)), None)
    if prepared is None:
        return None
    st = os.stat(path)
    return prepared if prepared.stamp == (st.st_size, st.st_mtime_ns) else None
