"""Commit one ingested file's rows to the lake: data files and manifest in one snapshot.

The new rows (already de-duplicated within the file and against the lake by the ingest) are
merged with the rows of the vehicle-day partitions they touch: stored rows win, as in the
warehouse path. Every touched partition gets one replacement file with a content-derived name;
one Iceberg snapshot (an overwrite when it replaces files, else a merging append) removes the
files it replaces, adds the new ones and carries the ingest manifest in its summary. Either all
of that is the table's new state, or none of it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analytics.lake.errors import LakeError
from analytics.lake.files import data_files, delete_stub
from analytics.lake.layout import sql_list, write_partitions
from analytics.lake.manifest import source_manifest
from analytics.lake.table import MANIFEST_KEY, Lake, LiveFile

__all__ = ["LakeCommit", "commit_source"]

_MERGE = "_ingest_lake_merge"


@dataclass(frozen=True, slots=True)
class LakeCommit:
    snapshot_id: int | None
    files_added: list[str]
    files_removed: list[str]
    rows: int


def _merge(con: Any, rows_table: str, old: list[str]) -> None:
    """Stored rows of the touched partitions plus the new rows whose key they lack."""
    cols = "vehicle_id, ts, signal, value, source_id"
    if not old:
        con.execute(f"CREATE OR REPLACE TEMP TABLE {_MERGE} AS SELECT {cols} FROM {rows_table}")
        return
    stored = f"read_parquet({sql_list(old)}, hive_partitioning = false)"
    con.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE {_MERGE} AS
        WITH stored AS (SELECT {cols} FROM {stored})
        SELECT * FROM stored
        UNION ALL
        SELECT {cols} FROM {rows_table} n ANTI JOIN stored USING (vehicle_id, ts, signal)
        """
    )


def commit_source(con: Any, lake: Lake, source_id: int, rows_table: str) -> LakeCommit:
    """Write ``rows_table``'s rows for ``source_id`` to the lake and commit them with its
    manifest (read from ``sources``/``ingest_issues``/``quarantine`` in ``con``'s open
    transaction). Raises :class:`LakeError` when nothing could be committed."""
    try:
        manifest = source_manifest(con, source_id, rows_table)
        touched = {
            (r[0], r[1])
            for r in con.execute(
                f"SELECT DISTINCT vehicle_id, CAST(timezone('UTC', ts) AS DATE) FROM {rows_table}"
            ).fetchall()
        }
        lake.refresh()  # another process may have committed since this one last looked
        base = lake.snapshot_id()
        old = [f for f in lake.live_files() if (f.vehicle_id, f.date) in touched]
        _merge(con, rows_table, [f.path for f in old])
        written = write_partitions(con, _MERGE, lake.root)
        con.execute(f"DROP TABLE IF EXISTS {_MERGE}")
        new_paths = {w.path for w in written}
        old_paths = {f.path for f in old}
        added = [  # a file already in the table is not added again
            LiveFile(w.path, w.vehicle_id, w.date, w.rows, Path(w.path).stat().st_size)
            for w in written
            if w.path not in old_paths
        ]
        removed = [f for f in old if f.path not in new_paths]
        # counts only: the snapshot's own manifests list the files, and the summary of every
        # snapshot is rewritten into each new metadata file
        manifest["files_added"] = len(added)
        manifest["files_removed"] = len(removed)
        props = {MANIFEST_KEY: json.dumps(manifest, sort_keys=True)}
        tx = lake.table.transaction()
        meta = tx.table_metadata  # computed once, not per file
        update = tx.update_snapshot(snapshot_properties=props)
        # additions only: a merging append keeps the manifest count bounded as commits pile up
        with update.overwrite() if removed else update.merge_append() as op:
            for f in removed:
                op.delete_data_file(
                    delete_stub(lake.table, f.path, f.vehicle_id, f.date, f.rows, f.bytes)
                )
            for df in data_files(lake.table, meta, [f.path for f in added]):
                op.append_data_file(df)
        tx.commit_transaction()
    except LakeError:
        raise
    except Exception as exc:  # pyiceberg, SQLite, OS and DuckDB errors alike
        raise LakeError(
            f"could not commit source {source_id} to the lake at {lake.root}: {exc}; nothing "
            "was committed, ingest the file again"
        ) from exc
    lake.committed(base, added, removed)
    return LakeCommit(
        lake.snapshot_id(),
        sorted(f.path for f in added),
        sorted(f.path for f in removed),
        sum(manifest["rows"].values()),
    )
