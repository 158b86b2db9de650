"""Per-session detail from the samples inside each plug window (vectorised, per vehicle).

From the long samples ``session_id, ts, signal, value`` this derives when energy really
flowed (charge start/end and active time, pauses excluded), the energy at the inlet
(charger power integrated, or the car's added-energy counter), the pack-side energy when the
sessions table lacks it, and the car's charge limit. Signals are catalog keys here; the
caller maps VSS paths to keys.
"""

from __future__ import annotations

import polars as pl

from analytics.charging.timeutil import utc

__all__ = ["DETAIL_KEYS", "MAX_HOLD_S", "pack_power_kw", "session_detail"]

MAX_HOLD_S = 300.0
"""A sample stands for at most this long (longer gaps count as unobserved time)."""

DETAIL_KEYS = (
    "is_charging",
    "charger_power_kw",
    "pack_current_a",
    "pack_voltage_v",
    "pack_power_w",
    "charge_added_energy_kwh",
    "charge_limit_pct",
    "charge_current_dc_a",
    "soc_bms_pct",
    "latitude_deg",
    "longitude_deg",
)

_ON_THRESHOLD = {"is_charging": 0.5, "charger_power_kw": 0.05}
_CURRENT_ON_A = -1.0  # pack current below this (into the pack) means charging
_RANK = {"is_charging": 0, "charger_power_kw": 1, "pack_current_a": 2}


def _by_session(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.sort("session_id", "ts")


def _activity(samples: pl.DataFrame) -> pl.DataFrame:
    """Charge start/end and active seconds from every charging indicator of a session."""
    ind = samples.filter(pl.col("signal").is_in(list(_RANK))).with_columns(
        rank=pl.col("signal").replace_strict(_RANK, return_dtype=pl.Int8),
        on=pl.when(pl.col("signal") == "is_charging")
        .then(pl.col("value") >= _ON_THRESHOLD["is_charging"])
        .when(pl.col("signal") == "charger_power_kw")
        .then(pl.col("value") > _ON_THRESHOLD["charger_power_kw"])
        .otherwise(pl.col("value") < _CURRENT_ON_A),
    )
    if ind.height == 0:
        return pl.DataFrame(
            schema={
                "session_id": pl.String,
                "charge_start_ts": pl.Datetime("us", "UTC"),
                "charge_end_ts": pl.Datetime("us", "UTC"),
                "charging_duration_s": pl.Float64,
                "activity_source": pl.String,
            }
        )
    # Each indicator brackets the start between its last "off" and first "on" sample (and
    # the end between its last "on" and next "off"); the brackets are intersected over the
    # indicators, ignoring any that contradicts firmer evidence (a current threshold that
    # misses the low-current tail the explicit flag still reports), and the edge is placed
    # mid-bracket, at most MAX_HOLD_S / 2 beyond the observed activity.
    ind = ind.sort("session_id", "signal", "ts")
    by = ("session_id", "signal")
    dt_next = (pl.col("ts").shift(-1).over(by) - pl.col("ts")).dt.total_microseconds()
    ind = ind.with_columns(
        prev_ts=pl.col("ts").shift(1).over(by),
        next_ts=pl.col("ts").shift(-1).over(by),
        hold_s=(dt_next / 1e6).clip(upper_bound=MAX_HOLD_S).fill_null(0.0),
    )
    per = (
        ind.filter(pl.col("on"))
        .group_by(by)
        .agg(
            pl.col("ts").first().alias("t0"),
            pl.col("prev_ts").first().alias("p0"),
            pl.col("ts").last().alias("t1"),
            pl.col("next_ts").last().alias("n1"),
            pl.col("hold_s").sum().alias("dur_s"),
            pl.col("rank").first(),
        )
        .with_columns(
            hi0=pl.col("t0").min().over("session_id"), lo1=pl.col("t1").max().over("session_id")
        )
    )
    cap = pl.duration(seconds=MAX_HOLD_S / 2)
    agg = per.group_by("session_id").agg(
        pl.col("hi0").first(),
        pl.col("p0").filter(pl.col("p0") < pl.col("hi0")).max().alias("lo0"),
        pl.col("lo1").first(),
        pl.col("n1").filter(pl.col("n1") > pl.col("lo1")).min().alias("hi1"),
        pl.col("dur_s").max().alias("charging_duration_s"),
        pl.col("signal").sort_by("rank").first().alias("activity_source"),
    )
    start = pl.max_horizontal(
        pl.col("lo0") + (pl.col("hi0") - pl.col("lo0")) / 2, pl.col("hi0") - cap
    )
    end = pl.min_horizontal(
        pl.col("lo1") + (pl.col("hi1") - pl.col("lo1")) / 2, pl.col("lo1") + cap
    )
    return agg.select(
        "session_id",
        pl.coalesce(start, pl.col("hi0")).alias("charge_start_ts"),
        pl.coalesce(end, pl.col("lo1")).alias("charge_end_ts"),
        "charging_duration_s",
        "activity_source",
    )


def _integral_kwh(samples: pl.DataFrame, key: str, scale: float, name: str) -> pl.DataFrame:
    """Trapezoid integral of ``value * scale`` (kW) over time, per session, in kWh."""
    s = _by_session(samples.filter(pl.col("signal") == key))
    dt_h = (pl.col("ts") - pl.col("ts").shift(1).over("session_id")).dt.total_microseconds() / 3.6e9
    v = (pl.col("value") * scale).clip(lower_bound=0.0)
    trap = ((v + v.shift(1).over("session_id")) / 2 * dt_h).fill_null(0.0)
    return s.group_by("session_id").agg(
        trap.sum().alias(name),
        (dt_h.max().fill_null(0.0) * 3600 > 4 * MAX_HOLD_S).alias(f"{name}_gap"),
    )


def pack_power_kw(samples: pl.DataFrame) -> pl.DataFrame:
    """Power into the pack (kW, positive when charging) as samples with signal ``pack_kw``:
    the pack power signal, else current x voltage at shared time stamps."""
    pp = samples.filter(pl.col("signal") == "pack_power_w")
    if pp.height:
        return pp.with_columns(pl.col("value") * -1.0 / 1000.0, signal=pl.lit("pack_kw"))
    iv = samples.filter(pl.col("signal").is_in(["pack_current_a", "pack_voltage_v"])).pivot(
        on="signal", index=["session_id", "ts"], values="value", aggregate_function="mean"
    )
    if {"pack_current_a", "pack_voltage_v"} <= set(iv.columns):
        return iv.select(
            "session_id",
            "ts",
            pl.lit("pack_kw").alias("signal"),
            (-pl.col("pack_current_a") * pl.col("pack_voltage_v") / 1000.0).alias("value"),
        ).drop_nulls("value")
    return pl.DataFrame(
        schema={
            "session_id": pl.String,
            "ts": pl.Datetime("us", "UTC"),
            "signal": pl.String,
            "value": pl.Float64,
        }
    )


def session_detail(samples: pl.DataFrame) -> pl.DataFrame:
    """Aggregate the window samples (keys as signal names) to one row per session."""
    samples = utc(samples, "ts")
    act = _activity(samples)
    power = _integral_kwh(samples, "charger_power_kw", 1.0, "grid_power_kwh")
    charging_power = samples.filter(
        (pl.col("signal") == "charger_power_kw") & (pl.col("value") > 0.3)
    )
    levels = charging_power.group_by("session_id").agg(
        pl.col("value").median().alias("sig_power_level_kw"),
        pl.col("value").max().alias("sig_peak_power_kw"),
    )
    added = (
        _by_session(samples.filter(pl.col("signal") == "charge_added_energy_kwh"))
        .group_by("session_id")
        .agg((pl.col("value").last() - pl.col("value").min()).alias("added_kwh"))
    )
    pack_src = pack_power_kw(samples)
    pack = _integral_kwh(pack_src, "pack_kw", 1.0, "sig_pack_kwh")
    last_vals = (
        _by_session(
            samples.filter(
                pl.col("signal").is_in(["charge_limit_pct", "latitude_deg", "longitude_deg"])
            )
        )
        .group_by("session_id")
        .agg(
            pl.col("value")
            .filter(pl.col("signal") == "charge_limit_pct")
            .last()
            .alias("sig_charge_limit_pct"),
            pl.col("value").filter(pl.col("signal") == "latitude_deg").median().alias("sig_lat"),
            pl.col("value").filter(pl.col("signal") == "longitude_deg").median().alias("sig_lon"),
        )
    )
    soc = (
        _by_session(samples.filter(pl.col("signal") == "soc_bms_pct"))
        .group_by("session_id")
        .agg(
            pl.col("value").first().alias("sig_soc_first_pct"),
            pl.col("value").max().alias("sig_soc_max_pct"),
        )
    )
    dc = (
        samples.filter(pl.col("signal") == "charge_current_dc_a")
        .group_by("session_id")
        .agg((pl.col("value") > 1.0).any().alias("sig_dc"))
    )
    ids = samples.select("session_id").unique()
    out = ids
    for part in (act, power, levels, added, pack, last_vals, soc, dc):
        out = out.join(part, on="session_id", how="left")
    return out
