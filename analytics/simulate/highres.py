"""1 Hz car-reported series of one vehicle-day (the input of the raw-CAN encoder)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import numpy as np
import polars as pl

from analytics.simulate.engine import DRIVE, VehicleRun
from analytics.simulate.render import drive_trace_1hz, render_samples
from analytics.simulate.telemetry import SIGNAL_SCHEDULE, reported_wide

__all__ = ["HIGHRES_KEYS", "highres_frame"]

HIGHRES_KEYS: tuple[str, ...] = tuple(
    k for k in SIGNAL_SCHEDULE if k not in ("latitude_deg", "longitude_deg")
)


def highres_frame(run: VehicleRun, day: date) -> pl.DataFrame:
    """Wide 1 Hz frame (``ts`` + catalog keys) of ``day`` (UTC) as the car reports it."""
    from analytics.errors import SimulationError

    t0 = datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()
    ev = run.events
    if not ev["start_s"].size or t0 < ev["start_s"][0] or t0 >= ev["end_s"][-1]:
        raise SimulationError(f"{day} is outside the simulated period of {run.spec.vehicle_id}")
    samples = render_samples(run, 1.0, 1.0, 1.0, 1.0, window_s=(t0, t0 + 86400.0))
    # drives: replace the export-grade rendering by the exact second-by-second integration
    for e in np.unique(samples.event[samples.kind == DRIVE]):
        tr = drive_trace_1hz(run, int(e))
        sel = np.flatnonzero((samples.event == e) & (samples.kind == DRIVE))
        k = np.clip((samples.ts_s[sel] - tr.t_s[0]).astype(np.int64), 0, tr.t_s.size - 1)
        samples.soc_pct[sel] = tr.soc_pct[k]
        samples.current_a[sel] = tr.current_a[k]
        samples.voltage_v[sel] = tr.voltage_v[k]
        samples.ocv_v[sel] = tr.ocv_v[k]
        samples.speed_kmh[sel] = tr.speed_kmh[k]
    wide = reported_wide(run, samples)
    cols: dict[str, object] = {
        "ts": pl.Series((wide["ts_s"] * 1e6).astype(np.int64)).cast(pl.Datetime("us", "UTC"))
    }
    for key in HIGHRES_KEYS:
        if key in ("soh_bms_pct", "net_capacity_kwh") and not run.spec.model.bms_reports_soh:
            continue
        cols[key] = wide[key]
    return pl.DataFrame(cols)
