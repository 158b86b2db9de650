"""Hand-built battery traces with a known capacity: rests, constant-current charges, drives."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

from analytics.chemistry import ocv_v

__all__ = ["Step", "trace"]

P = "Vehicle.Powertrain.TractionBattery."
PATHS = {
    "pack_current_a": P + "CurrentCurrent",
    "pack_voltage_v": P + "CurrentVoltage",
    "soc_bms_pct": P + "StateOfCharge.Current",
    "battery_temp_avg_c": P + "Temperature.Average",
    "is_charging": P + "Charging.IsCharging",
    "charger_power_kw": P + "Charging.Power",
    "speed_kmh": "Vehicle.Speed",
    "odometer_km": "Vehicle.TraveledDistance",
    "charged_throughput_total_ah": P + "AccumulatedChargedThroughput",
    "consumed_throughput_total_ah": P + "AccumulatedConsumedThroughput",
}
T0 = datetime(2024, 5, 1, 0, 0, tzinfo=UTC)


@dataclass
class Step:
    """Constant behaviour for ``duration_s``: current (A, + = discharge), charger kW, speed."""

    duration_s: float
    current_a: float = 0.0
    charger_kw: float = 0.0
    speed_kmh: float = 0.0
    temp_c: float = 25.0


def trace(
    steps: list[Step],
    *,
    capacity_ah: float = 150.0,
    chemistry: str = "NMC",
    cells_series: int = 96,
    r_ohm: float = 0.08,
    soc0_pct: float = 20.0,
    dt_s: float = 10.0,
    start: datetime = T0,
    vehicle_id: str = "v1",
    counters: bool = False,
    counter_glitch: tuple[float, float] | None = None,
) -> pl.DataFrame:
    """Long frame of a pack with exactly ``capacity_ah``; BMS SoC equals the true SoC.

    ``counters`` adds BMS lifetime Ah counters; ``counter_glitch=(t_s, ah)`` adds ``ah`` to
    the consumed counter from ``t_s`` on (a counter that disagrees with the current).
    """
    cur, chg, spd, tmp = [], [], [], []
    for st in steps:
        n = max(round(st.duration_s / dt_s), 1)
        cur.append(np.full(n, st.current_a))
        chg.append(np.full(n, st.charger_kw))
        spd.append(np.full(n, st.speed_kmh))
        tmp.append(np.full(n, st.temp_c))
    i = np.concatenate(cur)
    # SoC at each sample: sample-and-hold integration of the current up to that sample
    soc = soc0_pct - np.r_[0.0, np.cumsum(i[:-1])] * dt_s / 3600.0 / capacity_ah * 100.0
    # the OCV branch follows the direction of the last current flow (hysteresis)
    direction = np.sign(np.r_[0.0, i[:-1]])
    seen = np.maximum.accumulate(np.where(direction != 0, np.arange(i.size), 0))
    last_dir = direction[seen]
    branch_v = np.where(
        last_dir < 0,
        ocv_v(chemistry, soc, branch="charge"),
        ocv_v(chemistry, soc, branch="discharge"),
    )
    volt = cells_series * branch_v - i * r_ohm
    speed = np.concatenate(spd)
    odo = 5000.0 + np.r_[0.0, np.cumsum(speed[:-1])] * dt_s / 3600.0
    cols = {
        "pack_current_a": i,
        "pack_voltage_v": volt,
        "soc_bms_pct": soc,
        "battery_temp_avg_c": np.concatenate(tmp),
        "is_charging": (np.concatenate(chg) > 0).astype(float),
        "charger_power_kw": np.concatenate(chg),
        "speed_kmh": speed,
        "odometer_km": odo,
    }
    if counters:
        step = i * dt_s / 3600.0
        cols["charged_throughput_total_ah"] = (
            500.0 + np.r_[0.0, np.cumsum(np.clip(-step, 0, None))[:-1]]
        )
        consumed = 800.0 + np.r_[0.0, np.cumsum(np.clip(step, 0, None))[:-1]]
        if counter_glitch is not None:
            consumed = consumed + np.where(
                np.arange(i.size) * dt_s >= counter_glitch[0], counter_glitch[1], 0.0
            )
        cols["consumed_throughput_total_ah"] = consumed
    ts = pl.Series(
        [start + timedelta(seconds=float(k * dt_s)) for k in range(i.size)],
        dtype=pl.Datetime("us", "UTC"),
    )
    return pl.concat(
        pl.DataFrame(
            {"vehicle_id": vehicle_id, "ts": ts, "signal": PATHS[k], "value": v.astype(float)}
        )
        for k, v in cols.items()
        if k in PATHS
    )
