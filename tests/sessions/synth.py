"""Hand-built telemetry traces: segments of driving, charging and parking as long frames."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import numpy as np
import polars as pl

__all__ = ["PATHS", "Segment", "build_trace"]

PATHS = {
    "speed_kmh": "Vehicle.Speed",
    "pack_current_a": "Vehicle.Powertrain.TractionBattery.CurrentCurrent",
    "pack_voltage_v": "Vehicle.Powertrain.TractionBattery.CurrentVoltage",
    "soc_bms_pct": "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "odometer_km": "Vehicle.TraveledDistance",
    "is_charging": "Vehicle.Powertrain.TractionBattery.Charging.IsCharging",
    "is_plugged_in": "Vehicle.Powertrain.TractionBattery.Charging.IsChargingCableConnected",
    "charger_power_kw": "Vehicle.Powertrain.TractionBattery.Charging.Power",
    "battery_temp_avg_c": "Vehicle.Powertrain.TractionBattery.Temperature.Average",
    "ambient_temp_c": "Vehicle.Exterior.AirTemperature",
}

T0 = datetime(2024, 3, 1, 6, 0, tzinfo=UTC)


@dataclass
class Segment:
    """A stretch of constant behaviour; ``log=False`` leaves a logger gap."""

    kind: str  # drive | charge | park | pause (plugged, not charging)
    duration_s: float
    current_a: float = 0.0
    speed_kmh: float = 0.0
    charger_kw: float = 0.0
    log: bool = True


def build_trace(
    segments: list[Segment],
    *,
    dt_s: float = 10.0,
    capacity_ah: float = 150.0,
    soc0_pct: float = 60.0,
    odo0_km: float = 1000.0,
    vehicle_id: str = "v1",
    drop: tuple[str, ...] = (),
) -> pl.DataFrame:
    """Long frame (vehicle_id, ts, signal, value) for the segments, sampled every ``dt_s``."""
    ts_all, cols = [], {k: [] for k in PATHS}
    t, soc, odo = 0.0, soc0_pct, odo0_km
    for seg in segments:
        n = max(round(seg.duration_s / dt_s), 1)
        t_seg = t + dt_s * np.arange(n)
        soc_seg = soc - np.cumsum(np.full(n, seg.current_a * dt_s / 3600 / capacity_ah * 100))
        odo_seg = odo + np.cumsum(np.full(n, seg.speed_kmh * dt_s / 3600))
        if seg.log:
            ts_all.append(t_seg)
            cols["speed_kmh"].append(np.full(n, seg.speed_kmh))
            cols["pack_current_a"].append(np.full(n, seg.current_a))
            cols["pack_voltage_v"].append(np.full(n, 360.0 + 0.4 * (soc_seg - 50)))
            cols["soc_bms_pct"].append(soc_seg)
            cols["odometer_km"].append(odo_seg)
            cols["is_charging"].append(np.full(n, 1.0 if seg.kind == "charge" else 0.0))
            cols["is_plugged_in"].append(
                np.full(n, 1.0 if seg.kind in ("charge", "pause") else 0.0)
            )
            cols["charger_power_kw"].append(np.full(n, seg.charger_kw))
            cols["battery_temp_avg_c"].append(np.full(n, 20.0))
            cols["ambient_temp_c"].append(np.full(n, 12.0))
        t, soc, odo = t + n * dt_s, float(soc_seg[-1]), float(odo_seg[-1])
    ts = np.concatenate(ts_all)
    stamps = [T0 + timedelta(seconds=float(s)) for s in ts]
    frames = []
    for key, path in PATHS.items():
        if key in drop:
            continue
        frames.append(
            pl.DataFrame(
                {
                    "vehicle_id": vehicle_id,
                    "ts": pl.Series(stamps, dtype=pl.Datetime("us", "UTC")),
                    "signal": path,
                    "value": np.concatenate(cols[key]),
                }
            )
        )
    return pl.concat(frames)
