"""Ingest many files: expand folders, decode in parallel across cores, commit one by one.

Readers that need no warehouse connection (``worker_safe``: the raw CAN log readers) run on
an executor (:mod:`analytics.execute`), one file each; the parent commits their results
strictly one file per transaction, in the order the files were given, through the same loader
as a single file (hash, duplicate check, range quarantine, all-or-nothing). Other readers
(exports that stream through DuckDB) run in the parent. Progress shows files and records per
second. Without an executor, a process pool on the usable cores decodes the logs;
``ANALYTICS_INGEST_WORKERS`` (or ``workers=``) sets its size, 1 disables it. A Dask executor's
workers must see the files and the system temporary folder (a shared file system).

A folder walk skips what holds no telemetry: hidden files, raw-log manifests (the CAN reader
consults them) and, in a simulator output folder, its ``manifest.json`` and the truth files
that manifest lists; the last two are reported as ``skipped`` with a note, never as failures.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from analytics.errors import AnalyticsError, IngestError
from analytics.execute import Executor, Task
from analytics.ingest.base import detect_reader, get_reader
from analytics.ingest.load import IngestResult, ingest_file
from analytics.warehouse.db import Warehouse

__all__ = ["default_workers", "expand_paths", "ingest_paths", "not_telemetry"]

_MANIFEST_MAX_BYTES = 64 << 20


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly plus every file under named folders (sorted; hidden files and
    raw-log manifests, which the CAN reader consults, skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f
                for f in p.rglob("*")
                if f.is_file() and not f.name.startswith(".") and not _is_log_manifest(f)
            )
        elif p.is_file():
            out.append(p)
        else:
            raise IngestError(f"no such file or folder: {p}")
    return out


def _is_log_manifest(path: Path) -> bool:
    """A raw-log manifest (``path,vehicle_id,format,...``) found in a folder: not data."""
    if path.name != "manifest.csv":
        return False
    with open(path, "rb") as fh:
        return fh.readline().startswith(b"path,vehicle_id,format")


def not_telemetry(paths: Iterable[str | Path]) -> dict[Path, str]:
    """Files under the named folders that hold no telemetry, with the reason (resolved paths).

    A simulator output folder (``manifest.json`` with ``"generator": "analytics.simulate"``)
    has its manifest and the truth files it lists; files named directly are never skipped.
    """
    notes: dict[Path, str] = {}
    for folder in (Path(p) for p in paths):
        if not folder.is_dir():
            continue
        for manifest in folder.rglob("manifest.json"):
            meta = _simulator_manifest(manifest)
            if meta is None:
                continue
            notes[manifest.resolve()] = (
                "not telemetry: the simulator's manifest (what it wrote, seed, row counts)"
            )
            for rel in meta.get("truth") or []:
                notes[(manifest.parent / str(rel)).resolve()] = (
                    "not telemetry: simulator truth (what the analytics are checked against); "
                    "read it with polars, it never goes into the warehouse"
                )
    return notes


def _simulator_manifest(path: Path) -> dict[str, Any] | None:
    """The parsed manifest when ``path`` is a simulator output folder's manifest, else None."""
    try:
        if path.stat().st_size > _MANIFEST_MAX_BYTES:
            return None
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if isinstance(meta, dict) and meta.get("generator") == "analytics.simulate":
        return meta
    return None


def default_workers() -> int:
    """Worker processes: ``$ANALYTICS_INGEST_WORKERS`` or the number of usable cores."""
    env = os.environ.get("ANALYTICS_INGEST_WORKERS")
    if env:
        try:
            return max(1, int(env))
        except ValueError:
            raise IngestError(f"ANALYTICS_INGEST_WORKERS must be a number, not {env!r}") from None
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not on Linux
        return max(1, os.cpu_count() or 1)


def _worker_safe(path: Path, fmt: str | None) -> bool:
    try:
        reader = get_reader(fmt) if fmt else detect_reader(path)
    except AnalyticsError:
        return False  # the loader reports it
    return bool(getattr(reader, "worker_safe", False))


def ingest_paths(
    wh: Warehouse,
    paths: Sequence[str | Path],
    *,
    fmt: str | None = None,
    vehicle_id: str | None = None,
    options: dict[str, Any] | None = None,
    show_progress: bool = True,
    workers: int | None = None,
    executor: Executor | None = None,
) -> list[IngestResult]:
    """Ingest each file; a failed file is reported and the batch goes on.

    ``executor`` decodes raw logs (default: a process pool of ``workers`` processes).
    """
    from tqdm import tqdm

    listed = expand_paths(paths)
    skip = not_telemetry(paths)
    files = [f for f in listed if f.resolve() not in skip]
    results: list[IngestResult] = []
    n_workers = min(workers or default_workers(), len(files))
    spread = executor.kind != "local" if executor is not None else n_workers > 1
    parallel = [f for f in files if _worker_safe(f, fmt)] if spread else []
    tmp_dir = tempfile.mkdtemp(prefix="analytics-ingest-") if len(parallel) > 1 else None
    own: Executor | None = None
    tasks: Iterator[Task] = iter(())
    in_parallel = set(parallel) if tmp_dir is not None else set()
    try:
        if tmp_dir is not None:
            from analytics.can.prepare import prepare_file

            if executor is None:
                from analytics.execute.processes import ProcessExecutor

                executor = own = ProcessExecutor(n_workers)
            opts = dict(options or {})
            tasks = executor.stream(
                prepare_file, ((str(f), fmt, vehicle_id, opts, tmp_dir) for f in parallel)
            )
        with (
            tqdm(
                total=len(listed),
                unit="file",
                disable=not show_progress or len(files) < 2,
                leave=False,
                position=0,
            ) as bar,
            tqdm(
                unit="rec",
                unit_scale=True,
                desc="records",
                disable=not show_progress,
                leave=False,
                position=1,
            ) as recs,
        ):
            for f in listed:
                note = skip.get(f.resolve())
                if note is not None:
                    results.append(IngestResult(str(f), "", "skipped", message=note))
                    bar.update(1)
                    continue
                if f in in_parallel:
                    _stage(tasks)
                recs.set_description(f.name)
                try:
                    results.append(
                        ingest_file(
                            wh, f, fmt=fmt, vehicle_id=vehicle_id, options=options, progress=recs
                        )
                    )
                finally:
                    _unstage(f)  # a duplicate never reads it: do not leave it behind
                bar.update(1)
    finally:
        close = getattr(tasks, "close", None)
        if close is not None:
            close()  # cancels what is still in flight
        if own is not None:
            own.close()
        if tmp_dir is not None:
            shutil.rmtree(tmp_dir, ignore_errors=True)
    return results


def _unstage(path: Path) -> None:
    from analytics.can.prepare import take_prepared

    take_prepared(path)


def _stage(tasks: Iterator[Task]) -> None:
    """Hand the next worker result to the reader; a crashed worker leaves the file to the parent."""
    from analytics.can.prepare import stage_prepared

    try:
        prepared = next(tasks).result()
    except Exception:  # the worker process died (e.g. out of memory): parse in the parent
        return
    stage_prepared(prepared)
