"""Write a simulated fleet to disk in every input format the project reads, plus the truth.

Layout of ``out_dir``::

    manifest.json                         what was written, sampling, seed, skipped formats
    vehicles.csv                          vehicle metadata (the vehicles ingest format)
    exports/long/<vehicle_id>.parquet     canonical long (vehicle_id, ts, signal, value)
    exports/long_csv/<vehicle_id>.csv     canonical long, CSV
    exports/wide/<vehicle_id>.csv         wide CSV (column map "simulator_wide")
    exports/dimo/<vehicle_id>.json        DIMO telemetry API JSON
    can/<vehicle_id>/<YYYY-MM-DD>.<log|asc|blf|mf4>   raw CAN (analytics.can.encode)
    can/manifest.csv                      path,vehicle_id,format,layout,dbc
    truth/vehicles.parquet, truth/vehicle_days.parquet, truth/sessions.parquet

Writers belong to their formats' modules (``analytics.ingest.exports.writers``,
``analytics.can.encode``); a format whose writer cannot be imported is skipped and reported.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, date, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from analytics.simulate.engine import VehicleRun
from analytics.simulate.fleet import Fleet

__all__ = ["CAN_FORMATS", "DECODED_FORMATS", "DEFAULT_FORMATS", "can_days", "write_outputs"]

DECODED_FORMATS = ("long", "long_csv", "wide", "dimo")
CAN_FORMATS = ("candump", "asc", "blf", "mf4")
DEFAULT_FORMATS = (*DECODED_FORMATS, "can")


def can_days(run: VehicleRun, k: int) -> list[date]:
    """``k`` days with both driving and charging, spread over the period (deterministic)."""
    if k <= 0:
        return []
    from datetime import datetime

    ev = run.events
    t0 = datetime(run.start.year, run.start.month, run.start.day, tzinfo=UTC).timestamp()
    day_of = ((ev["start_s"] - t0) // 86400).astype(np.int64)
    drive_days = set(day_of[ev["kind"] == 0].tolist())
    charge_days = set(day_of[ev["kind"] == 1].tolist())
    both = sorted(drive_days & charge_days) or sorted(drive_days) or [0]
    both = [d for d in both if 0 <= d < run.days]
    pick = np.linspace(0, len(both) - 1, num=min(k, len(both))).round().astype(int)
    return [run.start + timedelta(days=int(both[i])) for i in sorted(set(pick))]


def _write_vehicle(args: tuple[VehicleRun, str, tuple[str, ...], int, tuple[str, ...]]) -> dict:
    from analytics.simulate.highres import highres_frame
    from analytics.simulate.telemetry import telemetry_long

    run, out, formats, raw_can_days, can_formats = args
    vid = run.spec.vehicle_id
    out_dir = Path(out)
    rec: dict[str, Any] = {"vehicle_id": vid, "files": [], "can": [], "skipped": [], "rows": 0}
    decoded = [f for f in formats if f in DECODED_FORMATS]
    if decoded:
        frame = telemetry_long(run)
        rec["rows"] = frame.height
        try:
            from analytics.ingest.exports import writers
        except ImportError as exc:  # the export writers are optional at run time
            rec["skipped"].append(f"decoded exports: writers unavailable ({exc})")
            writers = None
        if writers is not None:
            for fmt in decoded:
                if fmt == "long":
                    p = writers.write_long(
                        frame, out_dir / "exports/long" / f"{vid}.parquet", "parquet"
                    )
                elif fmt == "long_csv":
                    p = writers.write_long(
                        frame, out_dir / "exports/long_csv" / f"{vid}.csv", "csv"
                    )
                elif fmt == "wide":
                    p = writers.write_wide_csv(frame, out_dir / "exports/wide" / f"{vid}.csv")
                else:
                    p = writers.write_dimo_json(
                        frame,
                        out_dir / "exports/dimo" / f"{vid}.json",
                        token_id=1000 + run.spec.index,
                    )
                rec["files"].append(str(Path(p).relative_to(out_dir)))
    if can_formats and raw_can_days > 0:
        try:
            from analytics.can.encode import write_can_logs
        except ImportError as exc:
            rec["skipped"].append(f"raw CAN: encoder unavailable ({exc})")
            return rec
        for day in can_days(run, raw_can_days):
            hr = highres_frame(run, day)
            results = write_can_logs(
                hr,
                run.spec.model.layout,
                out_dir / "can" / vid,
                day.isoformat(),
                formats=can_formats,
            )
            for r in results:
                rec["can"].append(
                    {
                        "path": str(Path(r["path"]).relative_to(out_dir)),
                        "vehicle_id": vid,
                        "format": r["format"],
                        "layout": r["layout"],
                        "dbc": ";".join(r["dbc"]),
                        "notes": r.get("notes", []),
                    }
                )
    return rec


def write_outputs(
    fleet: Fleet,
    out_dir: str | Path,
    formats: Sequence[str] = DEFAULT_FORMATS,
    raw_can_days: int = 0,
    workers: int | None = None,
) -> dict:
    """Write ``fleet`` under ``out_dir``; returns the manifest (also saved as manifest.json).

    ``formats``: any of long, long_csv, wide, dimo, can (= all raw-CAN formats) or single
    raw-CAN formats candump, asc, blf, mf4. Raw CAN is written for ``raw_can_days`` days
    per vehicle.
    """
    from analytics.errors import ConfigError

    started = time.perf_counter()
    known = (*DECODED_FORMATS, "can", *CAN_FORMATS)
    bad = [f for f in formats if f not in known]
    if bad:
        raise ConfigError(f"unknown format(s) {', '.join(bad)}: use any of {', '.join(known)}")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    can_formats = CAN_FORMATS if "can" in formats else tuple(f for f in CAN_FORMATS if f in formats)
    decoded = tuple(f for f in formats if f in DECODED_FORMATS)
    (out / "truth").mkdir(exist_ok=True)
    fleet.vehicles.write_parquet(out / "truth" / "vehicles.parquet")
    fleet.vehicle_days.write_parquet(out / "truth" / "vehicle_days.parquet")
    fleet.sessions.write_parquet(out / "truth" / "sessions.parquet")
    skipped: list[str] = []
    try:
        from analytics.ingest.exports.writers import write_vehicles

        write_vehicles(fleet.metadata(), out / "vehicles.csv")
    except ImportError as exc:
        fleet.metadata().write_csv(out / "vehicles.csv")
        skipped.append(f"vehicles.csv written without the export writer ({exc})")
    jobs = [(r, str(out), decoded, raw_can_days, can_formats) for r in fleet.runs]
    n_workers = max(1, min(workers if workers is not None else 2, len(jobs)))
    if n_workers == 1 or len(jobs) < 4:
        recs = [_write_vehicle(j) for j in jobs]
    else:
        import multiprocessing as mp
        from concurrent.futures import ProcessPoolExecutor

        # spawn, not fork: forking a process whose polars thread pool is running can hang
        with ProcessPoolExecutor(n_workers, mp_context=mp.get_context("spawn")) as pool:
            recs = list(
                pool.map(_write_vehicle, jobs, chunksize=max(1, len(jobs) // (8 * n_workers)))
            )
    can_rows = [c for r in recs for c in r["can"]]
    if can_rows:
        import polars as pl

        pl.DataFrame(
            [{k: c[k] for k in ("path", "vehicle_id", "format", "layout", "dbc")} for c in can_rows]
        ).write_csv(out / "can" / "manifest.csv")
    for r in recs:
        skipped.extend(f"{r['vehicle_id']}: {s}" for s in r["skipped"])
    from analytics.simulate.telemetry import EXPORT_SAMPLING

    cfg = fleet.config
    manifest = {
        "generator": "analytics.simulate",
        "seed": cfg.seed,
        "vehicles": cfg.vehicles,
        "days": cfg.days,
        "start": cfg.start.isoformat(),
        "formats": list(formats),
        "raw_can_days": raw_can_days,
        "export_sampling_s": EXPORT_SAMPLING,
        "telemetry_rows": int(sum(r["rows"] for r in recs)),
        "files": sorted(f for r in recs for f in r["files"]),
        "can_files": len(can_rows),
        "can_notes": sorted(
            {n for c in can_rows for n in c.get("notes", []) if isinstance(n, str)}
        ),
        "truth": ["truth/vehicles.parquet", "truth/vehicle_days.parquet", "truth/sessions.parquet"],
        "skipped": skipped,
        "seconds": round(time.perf_counter() - started, 2),
    }
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str))
    return manifest
