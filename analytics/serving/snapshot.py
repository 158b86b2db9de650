"""Serving snapshots: compact read-only copies of the warehouse that readers never wait on.

DuckDB lets one process write a file or many read it, never both at once, so the app and
notebooks do not read the warehouse a batch job is writing. Instead every writing command ends
by publishing a snapshot: every table is copied into a new, self-contained file under
``<warehouse stem>.serving/`` (with a view ``signal_minutes``, the 1-minute rollup of
``signals``, and a one-row table ``serving_info``), the file is synced and renamed to its
versioned name, and only then the ``CURRENT`` pointer is replaced (an atomic rename). A reader resolves ``CURRENT`` once and opens that version
read-only, so it sees one complete version of the data, whatever the writer does meanwhile.
The newest few versions are kept so that a reader which resolved the pointer just before a
publish still finds its file.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path

from analytics.config import resolve_warehouse
from analytics.errors import WarehouseError
from analytics.warehouse.db import Warehouse, open_warehouse

__all__ = [
    "KEEP_VERSIONS",
    "SnapshotInfo",
    "current_snapshot",
    "open_serving",
    "publish_snapshot",
    "serving_dir",
    "snapshot_history",
]

KEEP_VERSIONS = 3
POINTER = "CURRENT"
HISTORY = "history.jsonl"


@dataclass(frozen=True)
class SnapshotInfo:
    """One published snapshot: its file, version number and creation time."""

    path: Path
    version: int
    created: datetime
    tables: dict[str, int]
    seconds: float = 0.0


def _sql(name: str) -> str:
    return resources.files("analytics.serving").joinpath("sql", name).read_text()


def serving_dir(warehouse: str | os.PathLike[str] | None = None) -> Path:
    """The folder holding a warehouse's snapshots: ``data/warehouse.serving/`` for
    ``data/warehouse.duckdb``."""
    target = resolve_warehouse(warehouse)
    return target.with_name(target.stem + ".serving")


def _read_pointer(folder: Path) -> dict | None:
    try:
        return json.loads((folder / POINTER).read_text())
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise WarehouseError(
            f"the serving pointer {folder / POINTER} is unreadable ({exc}); "
            "run `analytics publish` to publish a fresh snapshot"
        ) from exc


def current_snapshot(warehouse: str | os.PathLike[str] | None = None) -> SnapshotInfo | None:
    """The newest published snapshot of ``warehouse``, or None if none was ever published."""
    folder = serving_dir(warehouse)
    pointer = _read_pointer(folder)
    if pointer is None:
        return None
    return SnapshotInfo(
        path=folder / pointer["file"],
        version=int(pointer["version"]),
        created=datetime.fromisoformat(pointer["created"]),
        tables=dict(pointer.get("tables", {})),
        seconds=float(pointer.get("seconds", 0.0)),
    )


@contextlib.contextmanager
def _publish_lock(folder: Path) -> Iterator[None]:
    with open(folder / ".publish.lock", "w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _base_tables(wh: Warehouse) -> list[str]:
    rows = wh.con.execute(
        "SELECT table_name FROM information_schema.tables "
        "WHERE table_catalog = current_database() AND table_schema = 'main' "
        "AND table_type = 'BASE TABLE' ORDER BY table_name"
    ).fetchall()
    return [r[0] for r in rows]


def _copy_into(wh: Warehouse, tmp: Path, version: int, created: datetime) -> dict[str, int]:
    con = wh.con
    db = con.execute("SELECT current_database()").fetchone()[0]
    quoted = str(tmp).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS snap")
    con.execute("SET enable_progress_bar = false")
    try:
        counts: dict[str, int] = {}
        for name in _base_tables(wh):
            con.execute(f'CREATE TABLE snap."{name}" AS FROM "{db}".main."{name}"')
        _copy_views(wh, db)
        _freeze_lake_signals(wh)
        con.execute("CREATE VIEW snap.signal_minutes AS " + _sql("signal_minutes.sql"))
        con.execute(_sql("serving_info.sql"))
        con.execute(
            "INSERT INTO snap.serving_info VALUES (?, ?, ?, ?)",
            [version, created, str(wh.path), wh.schema_version],
        )
        for (name,) in con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = 'snap' AND table_type = 'BASE TABLE'"
        ).fetchall():
            counts[name] = int(con.execute(f'SELECT count(*) FROM snap."{name}"').fetchone()[0])
        con.execute("CHECKPOINT snap")
    finally:
        con.execute("DETACH snap")
    return counts


def _copy_views(wh: Warehouse, db: str) -> None:
    """Re-create the warehouse's views in the snapshot (bound to the snapshot's tables)."""
    views = wh.con.execute(
        "SELECT sql FROM duckdb_views() WHERE database_name = ? AND schema_name = 'main' "
        "AND NOT internal AND NOT temporary ORDER BY view_name",
        [db],
    ).fetchall()
    if not views:
        return
    wh.con.execute("USE snap")
    try:
        for (sql,) in views:
            wh.con.execute(sql)
    finally:
        wh.con.execute(f'USE "{db}"')


def _freeze_lake_signals(wh: Warehouse) -> None:
    """In lake mode, the snapshot's ``signals`` is a view over the lake files current now.

    Lake files are immutable and content-named, so the view keeps showing this version while
    later ingests commit new files; the snapshot drops the lake setting so that opening it
    does not re-point ``signals`` at the lake's newest files.
    """
    lake = getattr(wh, "lake", None)
    if lake is None:
        return
    from analytics.lake.attach import SETTING, lake_source

    paths = sorted(f.path for f in lake.live_files())
    wh.con.execute("DROP TABLE snap.signals")
    wh.con.execute(f"CREATE VIEW snap.signals AS SELECT * FROM {lake_source(paths)}")
    wh.con.execute("DELETE FROM snap.warehouse_settings WHERE key = ?", [SETTING])


def publish_snapshot(wh: Warehouse) -> SnapshotInfo:
    """Publish a snapshot of the open (read-write) warehouse and make it the current one.

    Single-file mode copies every table, ``signals`` included (about the warehouse's size);
    lake mode keeps ``signals`` in the lake and copies only the derived tables.

    Call it after the writer's transactions have committed; a failure leaves the previous
    snapshot current and no partial file behind.
    """
    if wh.path is None:
        raise WarehouseError("an in-memory warehouse has no serving snapshot; open a file")
    if wh.read_only:
        raise WarehouseError(f"{wh.path} is open read-only; publishing needs the writer")
    t0 = time.perf_counter()
    folder = serving_dir(wh.path)
    folder.mkdir(parents=True, exist_ok=True)
    with _publish_lock(folder):
        version = _next_version(folder)
        created = datetime.now(UTC)
        name = f"v{version:06d}.duckdb"
        tmp = folder / f".tmp-{uuid.uuid4().hex}.duckdb"
        try:
            counts = _copy_into(wh, tmp, version, created)
            _fsync(tmp)
            os.replace(tmp, folder / name)
        except BaseException:
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)
            raise
        seconds = round(time.perf_counter() - t0, 2)
        pointer = {
            "version": version,
            "file": name,
            "created": created.isoformat(),
            "tables": counts,
            "seconds": seconds,
        }
        staged = folder / f".{POINTER}.{uuid.uuid4().hex}"
        staged.write_text(json.dumps(pointer, indent=1))
        _fsync(staged)
        os.replace(staged, folder / POINTER)
        _fsync(folder)
        with open(folder / HISTORY, "a") as fh:
            fh.write(json.dumps(pointer) + "\n")
        _prune(folder, version)
    return SnapshotInfo(folder / name, version, created, counts, seconds)


def snapshot_history(warehouse: str | os.PathLike[str] | None = None) -> list[dict]:
    """Every publish so far, oldest first: version, file, created, rows per table, seconds."""
    return _history(serving_dir(warehouse))


def _history(folder: Path) -> list[dict]:
    try:
        lines = (folder / HISTORY).read_text().splitlines()
    except FileNotFoundError:
        return []
    return [json.loads(line) for line in lines if line.strip()]


def _next_version(folder: Path) -> int:
    """One above every version the pointer, the history or a kept file has ever named, so a
    lost pointer never reuses a number (readers cache by version)."""
    pointer = _read_pointer(folder)
    seen = [int(pointer["version"])] if pointer else [0]
    seen += [int(h["version"]) for h in _history(folder)]
    seen += [n for p in folder.glob("v*.duckdb") if (n := _file_version(p)) is not None]
    return max(seen) + 1


def _file_version(path: Path) -> int | None:
    try:
        return int(path.stem[1:])
    except ValueError:
        return None


def _prune(folder: Path, newest: int) -> None:
    for old in folder.glob("v*.duckdb"):
        number = _file_version(old)
        if number is not None and number <= newest - KEEP_VERSIONS:
            old.unlink(missing_ok=True)


def _fallback(target: Path) -> Warehouse:
    """The warehouse itself, read-only, with the snapshot-only objects as views."""
    wh = open_warehouse(target, read_only=True)
    try:
        wh.con.execute("CREATE TEMP VIEW signal_minutes AS " + _sql("signal_minutes.sql"))
        quoted = str(target).replace("'", "''")
        wh.con.execute(
            "CREATE TEMP VIEW serving_info AS SELECT 0 AS version, now() AS created_at, "
            f"'{quoted}' AS warehouse, max(version) AS schema_version FROM schema_version"
        )
    except BaseException:
        wh.close()
        raise
    return wh


def open_serving(
    warehouse: str | os.PathLike[str] | None = None,
    *,
    version: int | None = None,
    attempts: int = 3,
) -> Warehouse:
    """Open the newest serving snapshot of ``warehouse`` read-only (or the given ``version``).

    A reader that runs several queries for one view passes the version it started with, so
    that every query sees the same data even if a publish happens in between. With no
    snapshot published yet, the warehouse file itself is opened read-only (which fails while
    a writer holds it). Raises :class:`WarehouseError` with what to do when neither exists,
    or when the asked-for version was already pruned.
    """
    target = resolve_warehouse(warehouse)
    if version is not None:
        path = serving_dir(target) / f"v{version:06d}.duckdb"
        if not path.exists():
            raise WarehouseError(
                f"serving snapshot v{version} of {target} is no longer kept; reload to read "
                "the current one"
            )
        return open_warehouse(path, read_only=True)
    for _ in range(attempts):
        info = current_snapshot(target)
        if info is None:
            if not target.exists():
                raise WarehouseError(
                    f"no warehouse at {target}: ingest data first "
                    "(`analytics run --demo`, or `analytics ingest PATH` then `analytics run`)"
                )
            return _fallback(target)
        if info.path.exists():
            try:
                return open_warehouse(info.path, read_only=True)
            except WarehouseError:
                if info.path.exists():
                    raise
        # pruned between reading the pointer and opening the file: read the pointer again
    raise WarehouseError(
        f"the serving snapshots of {target} changed {attempts} times while opening; try again"
    )
