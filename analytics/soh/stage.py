"""The ``soh`` stage: estimators and fusion for every vehicle into ``soh`` and ``soh_observations``.

Reads ``signals``, ``sessions`` (run ``analytics sessions`` first) and ``vehicles``; each
vehicle is computed by the pure function :func:`analytics.soh.estimate.soh_for_vehicle` and
its rows replaced in one transaction per table.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from analytics.errors import SohError
from analytics.soh.estimate import soh_for_vehicle
from analytics.soh.reference import vehicle_reference
from analytics.warehouse import (
    Warehouse,
    read_signals,
    record_run,
    replace_vehicle_rows,
    vehicle_ids,
)

__all__ = ["run_stage"]


def run_stage(wh: Warehouse, vehicles: Sequence[str] | None = None) -> dict[str, Any]:
    """Estimate SoH for ``vehicles`` (default: every vehicle with sessions)."""
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    ids = list(vehicles) if vehicles else vehicle_ids(wh, table="sessions")
    if not ids:
        raise SohError("no sessions in the warehouse; run `analytics sessions` first")
    meta = {r["vehicle_id"]: r for r in wh.sql("SELECT * FROM vehicles").iter_rows(named=True)}
    n_obs = n_kept = n_days = 0
    references: Counter[str] = Counter()
    no_estimate: list[str] = []
    for vid in ids:
        ref = vehicle_reference(vid, meta.get(vid))
        long = read_signals(wh, vid)
        sessions = wh.sql(
            "SELECT * FROM sessions WHERE vehicle_id = $v ORDER BY start_ts", {"v": vid}
        )
        obs, daily = soh_for_vehicle(ref, long, sessions)
        replace_vehicle_rows(wh, "soh_observations", [vid], obs)
        replace_vehicle_rows(wh, "soh", [vid], daily)
        n_obs += obs.height
        n_kept += int(obs["kept"].sum()) if obs.height else 0
        n_days += daily.height
        if daily.height:
            references[str(daily["reference"][0])] += 1
        else:
            no_estimate.append(vid)
    summary: dict[str, Any] = {
        "vehicles": len(ids),
        "observations": n_obs,
        "kept": n_kept,
        "soh_days": n_days,
        **{f"ref_{k}": v for k, v in sorted(references.items())},
    }
    if no_estimate:
        summary["no_estimate"] = len(no_estimate)
    record_run(
        wh,
        "soh",
        started,
        parameters={"vehicles": vehicles},
        vehicles=len(ids),
        rows_written=n_obs + n_days,
        message=(f"no estimate for {', '.join(no_estimate[:10])}" if no_estimate else None)
        or f"{time.perf_counter() - t0:.1f} s",
    )
    return summary
