"""The Iceberg table behind the lake: catalog, schema, partitioning and the live file list.

The catalog is pyiceberg's SQL catalog on a SQLite file inside the lake folder
(``<lake>/catalog.db``), so a lake is one self-contained folder and nothing is fetched at run
time. The table ``telemetry.signals`` is partitioned by ``identity(vehicle_id)`` and
``day(ts)`` (UTC); its data files are the content-named Parquet files of
:mod:`analytics.lake.layout`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

from analytics.lake.errors import LakeError
from analytics.lake.files import from_manifests, read_index, write_index

__all__ = ["MANIFEST_KEY", "Lake", "LiveFile", "open_lake"]

NAMESPACE = "telemetry"
TABLE = "telemetry.signals"
MANIFEST_KEY = "analytics.manifest"  # snapshot summary property holding the ingest manifest


@dataclass(frozen=True, slots=True)
class LiveFile:
    """One data file of the current snapshot with its partition."""

    path: str
    vehicle_id: str
    date: date
    rows: int
    bytes: int


def _schema() -> Any:
    from pyiceberg.schema import Schema
    from pyiceberg.types import DoubleType, LongType, NestedField, StringType, TimestamptzType

    return Schema(
        NestedField(1, "vehicle_id", StringType(), required=True),
        NestedField(2, "ts", TimestamptzType(), required=True),
        NestedField(3, "signal", StringType(), required=True),
        NestedField(4, "value", DoubleType(), required=True),
        NestedField(5, "source_id", LongType(), required=False),
    )


def _spec() -> Any:
    from pyiceberg.partitioning import PartitionField, PartitionSpec
    from pyiceberg.transforms import DayTransform, IdentityTransform

    return PartitionSpec(
        PartitionField(1, 1000, IdentityTransform(), "vehicle_id"),
        PartitionField(2, 1001, DayTransform(), "ts_day"),
    )


class Lake:
    """An open lake folder: its catalog and the ``telemetry.signals`` table."""

    def __init__(self, root: Path, catalog: Any) -> None:
        self.root = root
        self.catalog = catalog
        self.table = catalog.load_table(TABLE)
        self._files: list[LiveFile] | None = None
        self._files_of: int | None = None  # the snapshot id the list belongs to

    def snapshot_id(self) -> int | None:
        snap = self.table.current_snapshot()
        return snap.snapshot_id if snap is not None else None

    def refresh(self) -> None:
        """Reload the table's metadata (after a commit by this or another process)."""
        self.table = self.catalog.load_table(TABLE)

    def live_files(self) -> list[LiveFile]:
        """Every data file of the current snapshot, sorted by vehicle, date and path."""
        sid = self.snapshot_id()
        if self._files is None or self._files_of != sid:
            rows = []
            if sid is not None:
                rows = read_index(self.root, sid)
                if rows is None:
                    rows = from_manifests(self.table, self.table.current_snapshot())
                    write_index(self.root, sid, rows)
            self._set(sid, [LiveFile(*r) for r in rows])
        assert self._files is not None
        return self._files

    def _set(self, sid: int | None, files: list[LiveFile]) -> None:
        files.sort(key=lambda f: (f.vehicle_id, f.date, f.path))
        self._files, self._files_of = files, sid

    def committed(self, base: int | None, added: list[LiveFile], removed: list[LiveFile]) -> None:
        """Record a commit made on top of snapshot ``base``: the new list is the old one with
        these changes (or, when another commit came in between, read afresh)."""
        self.refresh()
        snap = self.table.current_snapshot()
        if snap is None or snap.parent_snapshot_id != base or self._files_of != base:
            self._files = None
            self.live_files()
            return
        gone = {f.path for f in removed}
        files = [f for f in self._files or [] if f.path not in gone] + added
        self._set(snap.snapshot_id, files)
        write_index(
            self.root,
            snap.snapshot_id,
            [(f.path, f.vehicle_id, f.date, f.rows, f.bytes) for f in files],
        )

    def vehicle_files(self, vehicle_id: str) -> list[str]:
        """Paths of one vehicle's data files in the current snapshot, in date order."""
        return [f.path for f in self.live_files() if f.vehicle_id == vehicle_id]

    def vehicle_ids(self) -> list[str]:
        """Vehicles that have at least one data file, sorted."""
        return sorted({f.vehicle_id for f in self.live_files()})

    def manifests(self) -> list[dict[str, Any]]:
        """The ingest manifests of the current snapshot's lineage, oldest first."""
        from pyiceberg.table.snapshots import ancestors_of

        snap = self.table.current_snapshot()
        if snap is None:
            return []
        out: list[dict[str, Any]] = []
        for s in ancestors_of(snap, self.table.metadata):
            raw = s.summary.additional_properties.get(MANIFEST_KEY) if s.summary else None
            if raw:
                out.append(json.loads(raw))
        out.reverse()
        return out


def open_lake(root: str | Path, *, create: bool = False) -> Lake:
    """Open the lake at ``root``; with ``create`` make the folder, catalog and table first."""
    root = Path(root).expanduser().resolve()
    if not create and not (root / "catalog.db").is_file():
        raise LakeError(
            f"no lake at {root} (no catalog.db); give the folder used with `--lake` before, "
            "or configure a new one on an empty warehouse"
        )
    try:
        root.mkdir(parents=True, exist_ok=True)
        from pyiceberg.catalog.sql import SqlCatalog

        catalog = SqlCatalog(
            "analytics", uri=f"sqlite:///{root}/catalog.db", warehouse=f"file://{root}"
        )
        if create:
            schema = _schema()
            catalog.create_namespace_if_not_exists(NAMESPACE)
            catalog.create_table_if_not_exists(
                TABLE,
                schema=schema,
                partition_spec=_spec(),
                location=f"file://{root}/signals",
                properties={
                    "format-version": "2",
                    "commit.manifest-merge.enabled": "true",  # few manifests to read per scan
                    "write.metadata.delete-after-commit.enabled": "true",  # keep the last 100
                    "write.metadata.previous-versions-max": "100",
                    # partition values come from file statistics: keep the ids whole
                    "write.metadata.metrics.column.vehicle_id": "full",
                    "schema.name-mapping.default": schema.name_mapping.model_dump_json(),
                },
            )
        return Lake(root, catalog)
    except LakeError:
        raise
    except Exception as exc:  # pyiceberg, SQLAlchemy and OS errors alike
        raise LakeError(f"cannot open the lake at {root}: {exc}") from exc
