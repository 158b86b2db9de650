"""The Iceberg table behind the lake: catalog, schema, partitioning and the live file list.

The catalog is pyiceberg's SQL catalog on a SQLite file inside the lake folder
(``<lake>/catalog.db``), so a lake is one self-contained folder and nothing is fetched at run
time. The table ``telemetry.signals`` is partitioned by ``identity(vehicle_id)`` and
``day(ts)`` (UTC); its data files are the content-named Parquet files of
:mod:`analytics.lake.layout`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from analytics.lake.errors import LakeError

__all__ = ["MANIFEST_KEY", "Lake", "LiveFile", "open_lake"]

NAMESPACE = "telemetry"
TABLE = "telemetry.signals"
MANIFEST_KEY = "analytics.manifest"  # snapshot summary property holding the ingest manifest
_EPOCH = date(1970, 1, 1)


@dataclass(frozen=True, slots=True)
class LiveFile:
    """One data file of the current snapshot with its partition."""

    path: str
    vehicle_id: str
    date: date
    rows: int
    data_file: Any = field(default=None, compare=False, repr=False)  # pyiceberg DataFile


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

    def refresh(self) -> None:
        """Reload the table's metadata (after a commit by this or another process)."""
        self.table = self.catalog.load_table(TABLE)
        self._files = None

    def live_files(self) -> list[LiveFile]:
        """Every data file of the current snapshot, sorted by vehicle, date and path."""
        if self._files is None:
            snap = self.table.current_snapshot()
            files: list[LiveFile] = []
            if snap is not None:
                io = self.table.io
                for manifest in snap.manifests(io):
                    for entry in manifest.fetch_manifest_entry(io, discard_deleted=True):
                        df = entry.data_file
                        vid, day = df.partition[0], df.partition[1]
                        files.append(
                            LiveFile(
                                df.file_path,
                                str(vid),
                                _EPOCH + timedelta(days=int(day)),
                                int(df.record_count),
                                df,
                            )
                        )
            files.sort(key=lambda f: (f.vehicle_id, f.date, f.path))
            self._files = files
        return self._files

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
