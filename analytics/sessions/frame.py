"""One vehicle's long signals as a wide, time-ordered frame with catalog keys as columns.

Sessions and SoH estimators work on a wide frame (``ts`` plus one column per catalog key such
as ``soc_bms_pct`` or ``pack_current_a``). Signals that arrive at different instants are put on
one time axis and held (sample-and-hold) within a continuous stretch of logging only, never
across a logger gap. Rows whose odometer runs backwards against their neighbours are treated as
a clock jump: they are dropped and counted, not silently re-ordered into a session.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import polars as pl

__all__ = [
    "COUNTER_KEYS",
    "HOLD_KEYS",
    "KEYS",
    "clean_clock",
    "path_to_key",
    "wide_frame",
]

# Every catalog key the session and SoH code may read; missing ones become null columns.
KEYS: tuple[str, ...] = (
    "soc_bms_pct",
    "soc_displayed_pct",
    "energy_remaining_kwh",
    "pack_voltage_v",
    "pack_current_a",
    "pack_power_w",
    "battery_temp_avg_c",
    "battery_temp_min_c",
    "battery_temp_max_c",
    "cell_voltage_min_v",
    "cell_voltage_max_v",
    "gross_capacity_kwh",
    "net_capacity_kwh",
    "soh_bms_pct",
    "charged_energy_total_kwh",
    "consumed_energy_total_kwh",
    "charged_throughput_total_ah",
    "consumed_throughput_total_ah",
    "is_charging",
    "is_plugged_in",
    "charge_limit_pct",
    "charge_current_ac_a",
    "charge_current_dc_a",
    "charge_voltage_ac_v",
    "charge_voltage_dc_v",
    "charge_voltage_v",
    "charger_power_kw",
    "charge_added_energy_kwh",
    "odometer_km",
    "speed_kmh",
    "ambient_temp_c",
    "latitude_deg",
    "longitude_deg",
    "is_ignition_on",
)

# Slow or state-like signals that may be held until the next report within a stretch.
# (Lifetime counters are not held: their report instants matter to the charge balance.)
HOLD_KEYS: tuple[str, ...] = (
    "soc_bms_pct",
    "soc_displayed_pct",
    "energy_remaining_kwh",
    "battery_temp_avg_c",
    "battery_temp_min_c",
    "battery_temp_max_c",
    "gross_capacity_kwh",
    "net_capacity_kwh",
    "soh_bms_pct",
    "is_charging",
    "is_plugged_in",
    "charge_limit_pct",
    "odometer_km",
    "ambient_temp_c",
    "latitude_deg",
    "longitude_deg",
    "is_ignition_on",
)


# Lifetime counters: never held, so that the rows carrying a reading are known.
COUNTER_KEYS: tuple[str, ...] = (
    "charged_energy_total_kwh",
    "consumed_energy_total_kwh",
    "charged_throughput_total_ah",
    "consumed_throughput_total_ah",
)


@cache
def path_to_key() -> dict[str, str]:
    """VSS path (and DIMO alias, and key) -> catalog key."""
    from analytics.catalog import load_catalog

    out: dict[str, str] = {}
    for sig in load_catalog():
        out[sig.path] = sig.key
        out[sig.key] = sig.key
        if sig.dimo_alias:
            out[sig.dimo_alias] = sig.key
    return out


def wide_frame(long: pl.DataFrame, *, hold_gap_s: float = 900.0) -> pl.DataFrame:
    """Pivot a long ``ts, signal, value`` frame to ``ts`` + one column per key in :data:`KEYS`.

    Duplicate (ts, signal) pairs are averaged. Slow signals are held forward within a
    stretch of logging whose consecutive rows are at most ``hold_gap_s`` apart; fast signals
    (current, voltage, power, speed) are held only to the next row. The result is sorted by
    ``ts`` and has a ``stretch`` column numbering the stretches and an
    ``is_charging_reported`` column (the charging flag was reported on that row, not held).
    """
    mapping = path_to_key()
    frame = long.select("ts", "signal", pl.col("value").cast(pl.Float64))
    frame = frame.with_columns(pl.col("signal").replace_strict(mapping, default=None))
    frame = frame.filter(pl.col("signal").is_in(list(KEYS)) & pl.col("value").is_not_nan())
    if frame.height == 0:
        wide = pl.DataFrame({"ts": pl.Series([], dtype=pl.Datetime("us", "UTC"))})
    else:
        wide = frame.pivot(on="signal", index="ts", values="value", aggregate_function="mean").sort(
            "ts"
        )
    missing = [k for k in KEYS if k not in wide.columns]
    wide = wide.with_columns([pl.lit(None, dtype=pl.Float64).alias(k) for k in missing])
    wide = wide.select("ts", *KEYS)
    gap = pl.col("ts").diff().dt.total_microseconds() / 1e6
    wide = wide.with_columns(
        ((gap > hold_gap_s).fill_null(False).cum_sum()).cast(pl.Int32).alias("stretch")
    )
    fast = [k for k in KEYS if k not in HOLD_KEYS and k not in COUNTER_KEYS]
    # remember where the charging flag was reported, not held: a held flag is stale evidence
    wide = wide.with_columns(pl.col("is_charging").is_not_null().alias("is_charging_reported"))
    return wide.with_columns(
        [pl.col(k).forward_fill().over("stretch") for k in HOLD_KEYS]
        + [pl.col(k).forward_fill(limit=1).over("stretch") for k in fast]
    )


def clean_clock(
    wide: pl.DataFrame, *, tol_km: float = 0.5, window: int = 9
) -> tuple[pl.DataFrame, int]:
    """Drop rows that a clock jump put out of place; return the cleaned frame and the count.

    A row is out of place when its odometer differs from the running median of its
    neighbours by more than ``tol_km`` in the direction time cannot explain (backwards), or
    when the odometer is lower than a later row's by more than ``tol_km`` within a short
    window. Without an odometer nothing is dropped.
    """
    if wide.height < 3 or wide["odometer_km"].is_null().all():
        return wide, 0
    odo = wide["odometer_km"].to_numpy().astype(float)
    med = (
        wide.select(
            pl.col("odometer_km")
            .rolling_median(window_size=window, min_samples=1, center=True)
            .alias("m")
        )["m"]
        .to_numpy()
        .astype(float)
    )
    dev = odo - med
    # Odometer both ahead of the local median and ahead of a later row => shifted back in time;
    # behind the median and behind an earlier row => shifted forward.
    nxt_min = _rolling_future_min(odo, window)
    prv_max = _rolling_past_max(odo, window)
    bad = (np.abs(dev) > tol_km) & ((odo > nxt_min + tol_km) | (odo < prv_max - tol_km))
    bad &= np.isfinite(odo)
    n_bad = int(bad.sum())
    if n_bad == 0:
        return wide, 0
    return wide.filter(pl.Series(~bad)), n_bad


def _rolling_future_min(x: np.ndarray, window: int) -> np.ndarray:
    filled = np.where(np.isfinite(x), x, np.inf)
    pad = np.concatenate([filled[1:], np.full(window, np.inf)])
    view = np.lib.stride_tricks.sliding_window_view(pad, window)[: x.size]
    return view.min(axis=1)


def _rolling_past_max(x: np.ndarray, window: int) -> np.ndarray:
    filled = np.where(np.isfinite(x), x, -np.inf)
    pad = np.concatenate([np.full(window, -np.inf), filled[:-1]])
    view = np.lib.stride_tricks.sliding_window_view(pad, window)[: x.size]
    return view.max(axis=1)
