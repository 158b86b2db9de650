"""Ingest many files: expand folders, run each file through the loader, show progress."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from analytics.errors import IngestError
from analytics.ingest.load import IngestResult, ingest_file
from analytics.warehouse.db import Warehouse

__all__ = ["expand_paths", "ingest_paths"]


def expand_paths(paths: Iterable[str | Path]) -> list[Path]:
    """Files named directly plus every file under named folders (sorted, hidden skipped)."""
    out: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            out += sorted(
                f for f in p.rglob("*") if f.is_file() and not f.name.startswith(".")
            )
        elif p.is_file():
            out.append(p)
        else:
            raise IngestError(f"no such file or folder: {p}")
    return out


def ingest_paths(
    wh: Warehouse,
    paths: Sequence[str | Path],
    *,
    fmt: str | None = None,
    vehicle_id: str | None = None,
    options: dict[str, Any] | None = None,
    show_progress: bool = True,
) -> list[IngestResult]:
    """Ingest each file in turn; a failed file is reported and the batch goes on."""
    from tqdm import tqdm

    files = expand_paths(paths)
    results: list[IngestResult] = []
    with tqdm(
        total=len(files), unit="file", disable=not show_progress or len(files) < 2, leave=False
    ) as bar:
        for f in files:
            with tqdm(unit="rec", unit_scale=True, desc=f.name, disable=not show_progress,
                      leave=False) as recs:
                results.append(
                    ingest_file(wh, f, fmt=fmt, vehicle_id=vehicle_id, options=options,
                                progress=recs)
                )
            bar.update(1)
    return results
