"""The demo job: generate a fleet, ingest what it wrote, run every stage.

Used by ``analytics run --demo`` (the quick start). Re-running reuses the generated files when
they were made with the same configuration, and the ingest manifest makes re-ingesting them a
no-op, so a second run only recomputes the stages.
"""

from __future__ import annotations

import csv
import json
import time
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

from analytics.errors import ConfigError
from analytics.warehouse.db import Warehouse

__all__ = ["generate_demo", "ingest_demo"]


# The demo ingests the canonical Parquet export of every vehicle-day and, for one vehicle of
# each CAN layout, one day of raw CAN in a logger format (rotating through the formats), so
# every input path runs without making the demo slow.
DEMO_FORMATS = ("long",)
DEMO_RAW_CAN_DAYS = 1
CAN_FORMAT_ROTATION = ("candump", "blf", "mf4", "asc")


def _config_key(config: Any) -> str:
    return json.dumps(
        {"config": asdict(config), "formats": DEMO_FORMATS, "raw_can_days": DEMO_RAW_CAN_DAYS},
        sort_keys=True,
        default=str,
    )


def generate_demo(out: Path, config: Any = None, *, echo: Callable[[str], None] = print) -> Path:
    """Simulate the demo fleet into ``out`` unless an identical one is already there."""
    try:
        from analytics.simulate import DEMO_CONFIG, simulate_fleet, write_outputs
    except ImportError as exc:  # pragma: no cover - the simulator ships with the package
        raise ConfigError(f"the fleet simulator is not available: {exc}") from exc
    config = config or DEMO_CONFIG
    stamp = out / ".demo-config.json"
    if stamp.exists() and stamp.read_text() == _config_key(config):
        echo(f"[simulate] reusing the demo fleet in {out}")
        return out
    t0 = time.perf_counter()
    fleet = simulate_fleet(config)
    write_outputs(fleet, out, formats=DEMO_FORMATS)
    _write_demo_can(fleet, out)
    stamp.write_text(_config_key(config))
    echo(
        f"[simulate] {config.vehicles} vehicles x {config.days} days in {time.perf_counter() - t0:.1f}s -> {out}"
    )
    return out


def _write_demo_can(fleet: Any, out: Path) -> list[dict[str, str]]:
    """One day of raw CAN for the first vehicle of each layout; writes ``can/manifest.csv``."""
    import polars as pl

    from analytics.can.encode import write_can_logs
    from analytics.simulate.outputs import can_days

    layouts = fleet.vehicles.select("vehicle_id", "layout").unique("layout", keep="first")
    rows: list[dict[str, str]] = []
    for i, (vid, layout) in enumerate(sorted(layouts.iter_rows(), key=lambda r: r[1])):
        fmt = CAN_FORMAT_ROTATION[i % len(CAN_FORMAT_ROTATION)]
        for day in can_days(fleet.run(vid), DEMO_RAW_CAN_DAYS):
            for r in write_can_logs(
                fleet.highres(vid, day), layout, out / "can" / vid, day.isoformat(), formats=(fmt,)
            ):
                rows.append(
                    {
                        "path": str(Path(r["path"]).relative_to(out)),
                        "vehicle_id": vid,
                        "format": r["format"],
                        "layout": r["layout"],
                        "dbc": ";".join(r["dbc"]),
                    }
                )
    if rows:
        pl.DataFrame(rows).write_csv(out / "can" / "manifest.csv")
    return rows


def _resolve(out: Path, name: str) -> Path:
    """A manifest path: absolute, relative to ``out/can`` or relative to ``out``."""
    p = Path(name)
    if p.is_absolute():
        return p
    return out / "can" / p if (out / "can" / p).exists() else out / p


def ingest_demo(wh: Warehouse, out: Path, *, echo: Callable[[str], None] = print) -> dict[str, int]:
    """Ingest the demo fleet's metadata, canonical Parquet exports and raw CAN logs."""
    from analytics.ingest import ingest_file, ingest_paths

    counts = {"files": 0, "rows": 0, "duplicates": 0, "failed": 0}

    def tally(results: list[Any]) -> None:
        for r in results:
            counts["files"] += 1
            counts["rows"] += r.rows_written
            counts["duplicates"] += r.status == "duplicate"
            counts["failed"] += r.status == "failed"
            if r.status == "failed":
                echo(f"  {r.summary()}")

    t0 = time.perf_counter()
    meta = out / "vehicles.csv"
    if meta.exists():
        tally([ingest_file(wh, meta)])
    long_dir = out / "exports" / "long"
    if long_dir.is_dir():
        tally(ingest_paths(wh, [long_dir], show_progress=False))
    manifest = out / "can" / "manifest.csv"
    if manifest.exists():
        with open(manifest, newline="") as fh:
            for row in csv.DictReader(fh):
                dbc = [d for d in row.get("dbc", "").split(";") if d]
                log = _resolve(out, row["path"])
                result = ingest_file(wh, log, vehicle_id=row["vehicle_id"], options={"dbc": dbc})
                tally([result])
    echo(
        f"[ingest] {counts['files']} files, {counts['rows']:,} rows written, "
        f"{counts['duplicates']} already ingested, {counts['failed']} failed "
        f"in {time.perf_counter() - t0:.1f}s"
    )
    return counts
