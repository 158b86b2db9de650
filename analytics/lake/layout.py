"""Where lake files live and how they are named: by partition, and by their own content.

``<lake>/signals/vehicle_id=<id>/date=<YYYY-MM-DD>/<sha256 of the file's bytes>.parquet``

One file per vehicle and UTC day, rows sorted by ``ts, signal`` and written with fixed writer
options, so the same rows always give the same bytes and therefore the same name: a retried
write lands on the file it would have written anyway (replaced atomically, never duplicated),
and a file already in the table is recognised by its path. The vehicle id is percent-encoded
in the folder name (DuckDB's Hive reader decodes it); the file itself holds every column.
"""

from __future__ import annotations

import hashlib
import io
import os
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import date
from itertools import repeat
from pathlib import Path
from typing import Any
from urllib.parse import quote

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from analytics.execute.spec import usable_cores

__all__ = ["ARROW_SCHEMA", "WrittenFile", "partition_dir", "sql_list", "write_partitions"]

ARROW_SCHEMA = pa.schema(
    [
        pa.field("vehicle_id", pa.string(), nullable=False),
        pa.field("ts", pa.timestamp("us", tz="UTC"), nullable=False),
        pa.field("signal", pa.string(), nullable=False),
        pa.field("value", pa.float64(), nullable=False),
        pa.field("source_id", pa.int64()),
    ]
)
_WRITE_OPTIONS: dict[str, Any] = {
    "compression": "zstd",
    "write_statistics": True,
    "row_group_size": 1 << 20,
}


@dataclass(frozen=True, slots=True)
class WrittenFile:
    path: str
    vehicle_id: str
    date: date
    rows: int


def sql_list(paths: list[str]) -> str:
    """A SQL list literal of file paths (for ``read_parquet``, which takes no list parameter in
    a view)."""
    return "[" + ", ".join("'" + p.replace("'", "''") + "'" for p in paths) + "]"


def partition_dir(root: Path, vehicle_id: str, day: date) -> Path:
    """The folder of one vehicle-day partition."""
    return root / "signals" / f"vehicle_id={quote(vehicle_id, safe='')}" / f"date={day.isoformat()}"


def _write_one(root: Path, part: pa.Table, vehicle_id: str, day: date) -> WrittenFile:
    buf = io.BytesIO()
    pq.write_table(part, buf, **_WRITE_OPTIONS)
    data = buf.getvalue()
    folder = partition_dir(root, vehicle_id, day)
    path = folder / f"{hashlib.sha256(data).hexdigest()}.parquet"
    if not (path.is_file() and path.stat().st_size == len(data)):
        folder.mkdir(parents=True, exist_ok=True)
        tmp = folder / f".{path.name}.{os.getpid()}.tmp"
        tmp.write_bytes(data)
        os.replace(tmp, path)  # readers see the old file or the whole new one
    return WrittenFile(str(path), vehicle_id, day, part.num_rows)


def write_partitions(con: Any, table: str, root: Path) -> list[WrittenFile]:
    """Write ``table``'s rows (one per vehicle, time and signal) as one file per partition.

    ``table`` holds ``vehicle_id, ts, signal, value, source_id``; it is read one vehicle at a
    time (memory bounded by the largest vehicle's rows) and cut at UTC day boundaries.
    """
    vehicles = [
        r[0] for r in con.execute(f"SELECT DISTINCT vehicle_id FROM {table} ORDER BY 1").fetchall()
    ]
    out: list[WrittenFile] = []
    # Parquet encoding, compression and hashing release the GIL: days are written side by side
    with ThreadPoolExecutor(max_workers=min(4, usable_cores())) as pool:
        for vid in vehicles:
            rows = con.sql(
                f"SELECT vehicle_id, ts, signal, value, source_id, "
                f"CAST(timezone('UTC', ts) AS DATE) AS day FROM {table} "
                "WHERE vehicle_id = $vid ORDER BY ts, signal",
                params={"vid": vid},
            ).to_arrow_table()
            days = rows.column("day").to_numpy().astype("datetime64[D]")
            data = rows.drop_columns(["day"]).cast(ARROW_SCHEMA)
            starts = np.concatenate(([0], np.flatnonzero(days[1:] != days[:-1]) + 1))
            ends = np.append(starts[1:], len(days))
            out += pool.map(
                _write_one,
                repeat(root),
                [data.slice(int(s), int(e - s)) for s, e in zip(starts, ends, strict=True)],
                repeat(vid),
                [days[s].item() for s in starts],
            )
    return out
