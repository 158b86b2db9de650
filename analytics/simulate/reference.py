"""Real reference data the simulator is built on: drive cycles, ERA5 temperatures, EV specs.

The files live in ``data/reference/`` at the repository root (attribution in
``data/reference/ATTRIBUTION.md``); they are read lazily and cached.
"""

from __future__ import annotations

import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

__all__ = ["drive_cycles", "era5_temperature_c", "evspecs", "reference_dir"]


def reference_dir() -> Path:
    """Folder holding the reference files (``ANALYTICS_REFERENCE_DIR`` overrides it)."""
    from analytics.errors import SimulationError

    env = os.environ.get("ANALYTICS_REFERENCE_DIR")
    folder = Path(env) if env else Path(__file__).resolve().parents[2] / "data" / "reference"
    if not (folder / "driving_cycles.csv").exists():
        raise SimulationError(
            f"reference data not found in {folder}: run from a source checkout or set "
            "ANALYTICS_REFERENCE_DIR to a folder with driving_cycles.csv, ERA5-hourly-t2m.csv "
            "and evspecs.json"
        )
    return folder


@lru_cache(maxsize=1)
def drive_cycles() -> dict[str, np.ndarray]:
    """Speed traces in km/h at 1 Hz per cycle name, trailing zero padding removed."""
    path = reference_dir() / "driving_cycles.csv"
    import polars as pl

    frame = pl.read_csv(path, infer_schema_length=0).with_columns(
        pl.all().str.strip_chars().replace("", None).cast(pl.Float64).fill_null(0.0)
    )
    out: dict[str, np.ndarray] = {}
    for name in frame.columns[1:]:
        speed = frame[name].to_numpy()
        moving = np.flatnonzero(speed > 0)
        end = int(moving[-1]) + 2 if moving.size else 0
        trace = np.clip(speed[:end], 0.0, None)
        trace.setflags(write=False)
        out[name] = trace
    return out


@lru_cache(maxsize=1)
def era5_temperature_c() -> np.ndarray:
    """Hourly 2 m temperature over Germany in °C for one year (365 x 24 values from 2016-01-01)."""
    path = reference_dir() / "ERA5-hourly-t2m.csv"
    kelvin = np.loadtxt(path, delimiter=",", skiprows=1, usecols=1)
    # the file starts on 2015-12-30 00:00; keep 2016-01-01 onwards, 365 full days
    series = kelvin[48 : 48 + 365 * 24] - 273.15
    series.setflags(write=False)
    return series


@lru_cache(maxsize=1)
def evspecs() -> dict[str, Any]:
    """The EV specification tree ``{make: {model: {year: {field: {value, unit}}}}}``."""
    return json.loads((reference_dir() / "evspecs.json").read_text())
