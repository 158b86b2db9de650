"""Helpers shared by the lake tests."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path


def long_files(fleet_dir: Path) -> list[Path]:
    return sorted((fleet_dir / "exports" / "long").glob("*.parquet"))


def ingest_fleet(wh, fleet_dir: Path) -> list:
    """Ingest the fleet's metadata and long Parquet exports, one file each."""
    from analytics.ingest.load import ingest_file

    out = [ingest_file(wh, fleet_dir / "vehicles.csv")]
    out += [ingest_file(wh, f) for f in long_files(fleet_dir)]
    assert all(r.status == "ok" for r in out), [r.summary() for r in out]
    return out


def run_python(code: str, cwd: Path) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh interpreter (a process that can really die half-way)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )
