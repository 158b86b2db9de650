"""The current snapshot's file list, fast: a small Parquet index per snapshot beside the table.

Listing files through Iceberg decodes every manifest entry in Python (seconds for ten thousand
files), and the lake needs the list on every open and every commit. The list of a snapshot
never changes, so it is kept in ``<lake>/index/files-<snapshot id>.parquet`` (only the newest
is kept): written after each commit from the previous list plus the commit's changes, rebuilt
from the manifests whenever it is missing. It is a cache: deleting the folder loses nothing.
"""

from __future__ import annotations

import contextlib
import os
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.parquet as pq

__all__ = ["data_files", "delete_stub", "from_manifests", "read_index", "write_index"]

_EPOCH = date(1970, 1, 1)
_SCHEMA = pa.schema(
    [
        pa.field("path", pa.string(), nullable=False),
        pa.field("vehicle_id", pa.string(), nullable=False),
        pa.field("date", pa.date32(), nullable=False),
        pa.field("rows", pa.int64(), nullable=False),
        pa.field("bytes", pa.int64(), nullable=False),
    ]
)


def _index_path(root: Path, snapshot_id: int) -> Path:
    return root / "index" / f"files-{snapshot_id}.parquet"


def from_manifests(table: Any, snapshot: Any) -> list[tuple[str, str, date, int, int]]:
    """``(path, vehicle_id, date, rows, bytes)`` of every live file, read from the manifests."""
    io = table.io
    out = []
    for manifest in snapshot.manifests(io):
        for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
            df = entry.data_file
            out.append(
                (
                    df.file_path,
                    str(df.partition[0]),
                    _EPOCH + timedelta(days=int(df.partition[1])),
                    int(df.record_count),
                    int(df.file_size_in_bytes),
                )
            )
    return out


def read_index(root: Path, snapshot_id: int) -> list[tuple[str, str, date, int, int]] | None:
    """The stored list of a snapshot, or None when there is none (or it cannot be read)."""
    path = _index_path(root, snapshot_id)
    try:
        t = pq.read_table(path, schema=_SCHEMA)
    except (OSError, pa.ArrowException):
        return None
    cols = [t.column(n).to_pylist() for n in _SCHEMA.names]
    return list(zip(*cols, strict=True))


def write_index(root: Path, snapshot_id: int, files: list[tuple[str, str, date, int, int]]) -> None:
    """Store a snapshot's list (atomically) and drop the lists of older snapshots."""
    path = _index_path(root, snapshot_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = list(zip(*files, strict=True)) if files else [[] for _ in _SCHEMA.names]
    table = pa.table(
        {n: pa.array(c, type=f.type) for n, c, f in zip(_SCHEMA.names, cols, _SCHEMA, strict=True)},
        schema=_SCHEMA,
    )
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    pq.write_table(table, tmp)
    os.replace(tmp, path)
    for old in path.parent.glob("files-*.parquet"):
        if old != path:
            with contextlib.suppress(OSError):
                old.unlink()


def delete_stub(table: Any, path: str, vehicle_id: str, day: date, rows: int, size: int) -> Any:
    """A DataFile naming a live file to remove (Iceberg matches data files by path and finds
    the manifests to rewrite by partition; the manifest's own entry is what gets recorded)."""
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat
    from pyiceberg.typedef import Record

    stub = DataFile.from_args(
        content=DataFileContent.DATA,
        file_path=path,
        file_format=FileFormat.PARQUET,
        partition=Record(vehicle_id, (day - _EPOCH).days),
        record_count=rows,
        file_size_in_bytes=size,
    )
    stub.spec_id = table.metadata.default_spec_id
    return stub


def data_files(table: Any, meta: Any, paths: list[str]) -> list[Any]:
    """DataFiles (partition, counts, column bounds) for new lake files, read from their footers.

    The first file goes through pyiceberg's full check against the table schema; every lake
    file is written with the same Arrow schema, so the others reuse its statistics plan instead
    of repeating the check (which costs more than reading the footer).
    """
    from pyiceberg.io.pyarrow import (
        compute_statistics_plan,
        data_file_statistics_from_parquet_metadata,
        parquet_file_to_data_file,
        parquet_path_to_id_mapping,
    )
    from pyiceberg.manifest import DataFile, DataFileContent, FileFormat

    if not paths:
        return []
    first = parquet_file_to_data_file(table.io, meta, paths[0])
    schema, spec = meta.schema(), meta.spec()
    plan = compute_statistics_plan(schema, meta.properties)
    mapping = parquet_path_to_id_mapping(schema)
    ref = pq.read_metadata(paths[0]).schema.to_arrow_schema().remove_metadata()
    out = [first]
    for path in paths[1:]:
        md = pq.read_metadata(path)
        if md.schema.to_arrow_schema().remove_metadata() != ref:  # not ours: the full check
            out.append(parquet_file_to_data_file(table.io, meta, path))
            continue
        stats = data_file_statistics_from_parquet_metadata(
            parquet_metadata=md, stats_columns=plan, parquet_column_mapping=mapping
        )
        out.append(
            DataFile.from_args(
                content=DataFileContent.DATA,
                file_path=path,
                file_format=FileFormat.PARQUET,
                partition=stats.partition(spec, schema),
                file_size_in_bytes=os.path.getsize(path),
                sort_order_id=None,
                spec_id=meta.default_spec_id,
                equality_ids=None,
                key_metadata=None,
                **stats.to_serialized_dict(),
            )
        )
    return out
