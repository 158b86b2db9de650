"""Data-quality checks on one vehicle's long signal frame (``ts, signal, value``, sorted).

Each check is a vectorised function of the frame that returns rows for the quality tables:

* gaps — silences in the vehicle's timeline longer than ``max(5 min, 2 × the 95th percentile
  of its sample spacing)`` (exports sample slower when parked than when driving),
  classified ``logger_off`` (the car is unchanged across the gap: same odometer, state of charge
  within parked drift, not moving when the logger stopped) or ``missing_data`` (it drove or
  charged while nothing was recorded);
* sampling — spacing of each signal inside sampled stretches;
* stuck sensors — a dynamic signal (voltages, currents, SoC, temperatures) repeating one value
  for 10+ samples over a stretch in which the car drove (2 km / 15 min for electrical signals,
  10 km for SoC, 150 km / 3 h for temperatures), or one value over the whole history
  (flat-lined);
* odometer — a decrease bracketed by a leap faster than any car drives (the block of samples
  stamped out of order) is a clock jump; any other decrease is a rollback.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import numpy as np
import polars as pl

__all__ = [
    "DYNAMIC_SIGNALS",
    "GapResult",
    "find_gaps",
    "odometer_events",
    "sampling_stats",
    "stuck_stretches",
]

ODOMETER = "Vehicle.TraveledDistance"
SPEED = "Vehicle.Speed"
SOC = (
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Current",
    "Vehicle.Powertrain.TractionBattery.StateOfCharge.Displayed",
)
_TB = "Vehicle.Powertrain.TractionBattery."
# Signal -> (km driven, minutes) a stretch of one repeated value must span to count as stuck.
# Temperatures of a thermally managed pack can hold within one quantisation step for an hour
# of motorway driving, so they need far more evidence than electrical signals.
DYNAMIC_SIGNALS: dict[str, tuple[float, float]] = {
    _TB + "CurrentVoltage": (2.0, 15.0),
    _TB + "CurrentCurrent": (2.0, 15.0),
    _TB + "CurrentPower": (2.0, 15.0),
    _TB + "CellVoltage.Min": (2.0, 15.0),
    _TB + "CellVoltage.Max": (2.0, 15.0),
    _TB + "StateOfCharge.Current": (10.0, 15.0),
    _TB + "StateOfCharge.Displayed": (10.0, 15.0),
    _TB + "StateOfCharge.CurrentEnergy": (10.0, 15.0),
    _TB + "Temperature.Average": (150.0, 180.0),
    _TB + "Temperature.Min": (150.0, 180.0),
    _TB + "Temperature.Max": (150.0, 180.0),
}
MIN_GAP_S = 300.0
GAP_FACTOR = 2.0
DRIVEN_KM = 0.5
ODO_TOL_KM = 0.2
CLOCK_RECOVERY_S = 86_400.0
MAX_SPEED_KMH = 300.0
MERGE_JUMPS_S = 6 * 3600.0


@dataclass
class GapResult:
    """Gaps of one vehicle's timeline and the time actually covered."""

    threshold_s: float
    events: pl.DataFrame  # kind, start_ts, end_ts, duration_s, magnitude, detail
    covered_s: float
    segments: pl.DataFrame  # ts -> segment id (a new id after every gap)


def _series(frame: pl.DataFrame, signal: str) -> pl.DataFrame:
    return frame.filter(pl.col("signal") == signal).select("ts", "value").sort("ts")


def _value_at(
    points: pl.DataFrame, series: pl.DataFrame, col: str, strategy: str, within_s: float
) -> pl.Series:
    """The series value at or before (``backward``) / after (``forward``) each point's ``col``.

    A sample further than ``within_s`` from the point is no evidence of the state at that
    moment (the car may have moved in between): the value is then null.
    """
    if series.height == 0:
        return pl.Series([None] * points.height, dtype=pl.Float64)
    got = (
        points.select(pl.col(col).alias("ts"))
        .with_row_index("_i")
        .sort("ts")
        .join_asof(
            series.with_columns(pl.col("ts").alias("_at")),
            on="ts",
            strategy=strategy,  # type: ignore[arg-type]
            tolerance=timedelta(seconds=within_s),
        )
    )
    return got.sort("_i")["value"]


def find_gaps(frame: pl.DataFrame) -> GapResult:
    """Gaps in the vehicle's timeline, each classified logger_off or missing_data."""
    times = frame.select(pl.col("ts").unique().sort())["ts"]
    empty = pl.DataFrame(
        schema={
            "kind": pl.String,
            "start_ts": times.dtype,
            "end_ts": times.dtype,
            "duration_s": pl.Float64,
            "magnitude": pl.Float64,
            "detail": pl.String,
        }
    )
    if times.len() < 2:
        seg = pl.DataFrame({"ts": times, "segment": pl.Series([0] * times.len(), dtype=pl.UInt32)})
        return GapResult(MIN_GAP_S, empty, 0.0, seg)
    dt = times.diff().dt.total_microseconds().cast(pl.Float64) / 1e6
    # exports sample slower when parked (e.g. hourly) than when driving: the regular spacing
    # is the long end of the usual ones, not the median
    regular = float(dt.drop_nulls().quantile(0.95) or 0.0)
    threshold = max(MIN_GAP_S, GAP_FACTOR * regular)
    is_gap = (dt > threshold).fill_null(False)
    seg = pl.DataFrame({"ts": times, "segment": is_gap.cast(pl.UInt32).cum_sum()})
    gaps = pl.DataFrame({"start_ts": times.shift(1), "end_ts": times, "duration_s": dt}).filter(
        is_gap
    )
    span = float(dt.drop_nulls().sum())
    covered = span - float(gaps["duration_s"].sum()) if gaps.height else span
    if gaps.height == 0:
        return GapResult(threshold, empty, covered, seg)
    near = threshold  # evidence must be as fresh as the regular sampling
    odo = _series(frame, ODOMETER)
    odo0, odo1 = (
        _value_at(gaps, odo, "start_ts", "backward", near),
        _value_at(gaps, odo, "end_ts", "forward", near),
    )
    soc_sig = next((s for s in SOC if frame.filter(pl.col("signal") == s).height), None)
    soc = (
        _series(frame, soc_sig)
        if soc_sig
        else pl.DataFrame(schema={"ts": times.dtype, "value": pl.Float64})
    )
    soc0, soc1 = (
        _value_at(gaps, soc, "start_ts", "backward", near),
        _value_at(gaps, soc, "end_ts", "forward", near),
    )
    speed0 = _value_at(gaps, _series(frame, SPEED), "start_ts", "backward", MIN_GAP_S)
    days = gaps["duration_s"] / 86_400.0
    driven = (odo1 - odo0).fill_null(0.0)
    dsoc = (soc1 - soc0).fill_null(0.0)
    missing = (
        (driven > DRIVEN_KM)
        | (dsoc > 2.0)
        | (dsoc < -(3.0 + 1.0 * days))
        | (speed0.fill_null(0.0) > 3.0)
    )
    detail = (
        pl.when(driven > DRIVEN_KM)
        .then(pl.format("drove {} km during the gap", driven.round(1)))
        .when(dsoc > 2.0)
        .then(pl.format("state of charge rose {} % (charged)", dsoc.round(1)))
        .when(dsoc < -(3.0 + days))
        .then(pl.format("state of charge fell {} %", (-dsoc).round(1)))
        .when(speed0.fill_null(0.0) > 3.0)
        .then(pl.lit("logging stopped while moving"))
        .otherwise(pl.lit("parked; nothing changed across the gap"))
    )
    events = gaps.with_columns(
        pl.when(missing)
        .then(pl.lit("gap_missing_data"))
        .otherwise(pl.lit("gap_logger_off"))
        .alias("kind"),
        pl.Series("magnitude", driven),
        detail.alias("detail"),
    ).select(empty.columns)
    return GapResult(threshold, events, covered, seg)


def sampling_stats(frame: pl.DataFrame, gaps: GapResult) -> pl.DataFrame:
    """Per signal: rows, time span, spacing inside sampled stretches, value range."""
    covered_h = max(gaps.covered_s / 3600.0, 1e-9)
    # the frame is in time order: per-signal differences need no sort
    per = frame.with_columns(
        (pl.col("ts").diff().dt.total_microseconds().cast(pl.Float64) / 1e6)
        .over("signal")
        .alias("dt")
    ).with_columns(pl.when(pl.col("dt") <= gaps.threshold_s).then(pl.col("dt")).alias("dt_in"))
    return per.group_by("signal", maintain_order=True).agg(
        pl.len().alias("n_rows"),
        pl.col("ts").min().alias("first_ts"),
        pl.col("ts").max().alias("last_ts"),
        pl.col("dt_in").median().alias("median_interval_s"),
        pl.col("dt_in").quantile(0.95).alias("p95_interval_s"),
        (pl.len() / covered_h).alias("samples_per_hour"),
        pl.col("value").min().alias("min_value"),
        pl.col("value").max().alias("max_value"),
        pl.col("value").n_unique().alias("distinct_values"),
    )


def stuck_stretches(frame: pl.DataFrame, gaps: GapResult) -> pl.DataFrame:
    """Stretches where a dynamic signal repeats one value while the car drives."""
    cols = {
        "kind": pl.String,
        "signal": pl.String,
        "start_ts": frame.schema["ts"],
        "end_ts": frame.schema["ts"],
        "duration_s": pl.Float64,
        "magnitude": pl.Float64,
        "detail": pl.String,
    }
    dyn = frame.filter(pl.col("signal").is_in(list(DYNAMIC_SIGNALS)))
    odo = _series(frame, ODOMETER)
    if dyn.height == 0 or odo.height == 0:
        return pl.DataFrame(schema=cols)
    dyn = dyn.join(gaps.segments, on="ts", how="left", maintain_order="left")
    runs = (
        dyn.with_columns(
            (
                (pl.col("value") != pl.col("value").shift(1))
                | (pl.col("segment") != pl.col("segment").shift(1))
            )
            .fill_null(True)
            .cum_sum()
            .over("signal")
            .alias("run")
        )
        .group_by("signal", "run")
        .agg(
            pl.len().alias("n"),
            pl.col("ts").min().alias("start_ts"),
            pl.col("ts").max().alias("end_ts"),
            pl.col("value").first().alias("value"),
        )
        .with_columns(
            (
                (pl.col("end_ts") - pl.col("start_ts")).dt.total_microseconds().cast(pl.Float64)
                / 1e6
            ).alias("duration_s")
        )
        .filter((pl.col("n") >= 10) & (pl.col("duration_s") >= 900.0))
    )
    if runs.height == 0:
        return pl.DataFrame(schema=cols)
    driven = _value_at(runs, odo, "end_ts", "backward", gaps.threshold_s) - _value_at(
        runs, odo, "start_ts", "forward", gaps.threshold_s
    )
    km = {k: v[0] for k, v in DYNAMIC_SIGNALS.items()}
    minutes = {k: v[1] for k, v in DYNAMIC_SIGNALS.items()}
    runs = runs.with_columns(
        pl.Series("magnitude", driven.fill_null(0.0)),
        pl.col("signal").replace_strict(km, return_dtype=pl.Float64).alias("need_km"),
        pl.col("signal").replace_strict(minutes, return_dtype=pl.Float64).alias("need_min"),
    )
    stuck = runs.filter(
        (pl.col("magnitude") >= pl.col("need_km"))
        & (pl.col("duration_s") >= 60.0 * pl.col("need_min"))
    )
    return stuck.select(
        pl.lit("stuck_sensor").alias("kind"),
        "signal",
        "start_ts",
        "end_ts",
        "duration_s",
        "magnitude",
        pl.format(
            "value {} repeated {} times while driving {} km",
            pl.col("value"),
            pl.col("n"),
            pl.col("magnitude").round(1),
        ).alias("detail"),
    ).sort("signal", "start_ts")


def _merge_jumps(rows: list[tuple], t: np.ndarray) -> list[tuple]:
    """One clock jump per episode: interleaved streams make many drops within hours."""
    out: list[tuple] = []
    for r in rows:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev[0] == r[0] == "clock_jump"
            and t[r[1]] - t[prev[2]] <= MERGE_JUMPS_S
        ):
            out[-1] = (
                prev[0],
                prev[1],
                max(prev[2], r[2]),
                t[max(prev[2], r[2])] - t[prev[1]],
                max(prev[4], r[4]),
                prev[5],
            )
        else:
            out.append(r)
    return out


def odometer_events(frame: pl.DataFrame) -> pl.DataFrame:
    """Odometer decreases: ``clock_jump`` when it recovers within a day, else ``odometer_rollback``."""
    odo = _series(frame, ODOMETER)
    cols = {
        "kind": pl.String,
        "signal": pl.String,
        "start_ts": frame.schema["ts"],
        "end_ts": frame.schema["ts"],
        "duration_s": pl.Float64,
        "magnitude": pl.Float64,
        "detail": pl.String,
    }
    if odo.height < 2:
        return pl.DataFrame(schema=cols)
    v = odo["value"].to_numpy()
    t = odo["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    peak = np.maximum.accumulate(v)
    drop = np.flatnonzero(v[1:] < peak[:-1] - ODO_TOL_KM) + 1
    # only the first sample of each excursion below the running peak starts an event
    starts = drop[np.r_[True, np.diff(drop) > 1]] if drop.size else drop
    # a rise faster than any car drives: the far side of a block stamped out of order
    dv, dt = np.diff(v), np.maximum(np.diff(t), 1.0)
    leap = np.flatnonzero((dv > ODO_TOL_KM) & (dv / dt * 3600.0 > MAX_SPEED_KMH)) + 1
    rows = []
    for i in starts:
        ref = peak[i - 1]
        later = np.flatnonzero(v[i:] >= ref - ODO_TOL_KM)
        back = i + int(later[0]) if later.size else None
        # came back up in one leap (a block stamped late) or leapt up just before (stamped early)
        leapt_back = (
            back is not None and back in set(leap.tolist()) and (t[back] - t[i] <= CLOCK_RECOVERY_S)
        )
        before = leap[(leap < i) & (t[i] - t[np.minimum(leap, len(t) - 1)] <= CLOCK_RECOVERY_S)]
        if leapt_back:
            rows.append(
                (
                    "clock_jump",
                    i,
                    back,
                    t[back] - t[i],
                    ref - v[i],
                    f"odometer fell {ref - v[i]:.1f} km and leapt back: samples stamped "
                    "later than they were taken",
                )
            )
        elif before.size:
            j = int(before[-1])
            rows.append(
                (
                    "clock_jump",
                    j,
                    i,
                    t[i] - t[j],
                    ref - v[i],
                    f"odometer leapt {v[j] - v[j - 1]:.1f} km then fell back: samples "
                    "stamped earlier than they were taken",
                )
            )
        else:
            end = back if back is not None else len(v) - 1
            rows.append(
                (
                    "odometer_rollback",
                    i,
                    end,
                    t[end] - t[i],
                    ref - v[i],
                    f"odometer went back {ref - v[i]:.1f} km",
                )
            )
    if not rows:
        return pl.DataFrame(schema=cols)
    rows = _merge_jumps(rows, t)
    ts = odo["ts"]
    return pl.DataFrame(
        {
            "kind": [r[0] for r in rows],
            "signal": [ODOMETER] * len(rows),
            "start_ts": ts.gather([int(r[1]) for r in rows]),
            "end_ts": ts.gather([int(r[2]) for r in rows]),
            "duration_s": [float(r[3]) for r in rows],
            "magnitude": [float(r[4]) for r in rows],
            "detail": [r[5] for r in rows],
        },
        schema=cols,
    )
