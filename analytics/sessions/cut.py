"""Cut one vehicle's wide frame into drive, charge and park runs.

Each row is classified from whatever signals exist (charging flag, charger power, pack current
sign, speed, odometer), consecutive rows of one kind form runs, and runs are then cleaned up
the way a person reading the trace would: a short stop inside a drive stays part of the drive,
a drive of a few metres is parking, a charge interrupted and resumed while the car did not move
is one charge, and a logger gap splits an active session only when something happened in it.
All steps operate on whole columns (rows) or on the small run table, never row by row.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

__all__ = ["CutConfig", "SessionLabels", "assign_sessions", "classify_rows"]

DRIVE, CHARGE, PARK = 0, 1, 2
KIND_NAMES = np.array(["drive", "charge", "park"])


@dataclass(frozen=True, slots=True)
class SessionLabels:
    """Sessions of one vehicle: number per row, and kind, flags and segment count per session."""

    session_of_row: np.ndarray
    kind: np.ndarray
    flags: np.ndarray
    n_segments: np.ndarray


@dataclass(frozen=True, slots=True)
class CutConfig:
    """Thresholds for cutting sessions (seconds, km/h, km, kW, A, percent)."""

    moving_speed_kmh: float = 2.0
    charging_power_kw: float = 0.3
    charging_current_a: float = 1.0
    held_flag_current_a: float = 0.3  # a held charging flag needs at least this inflow
    max_gap_s: float = 600.0  # a gap longer than this splits an active run
    min_stop_s: float = 300.0  # stops shorter than this stay inside the drive
    car_on_current_a: float = 3.0  # above this at standstill the car is switched on
    crawl_max_s: float = 900.0  # longest "stop" recognised as crawling by the odometer
    min_drive_s: float = 60.0
    min_drive_km: float = 0.3
    min_charge_s: float = 60.0
    drive_gap_s: float = 3600.0  # gap merged inside a drive that was moving on both sides
    charge_merge_s: float = 3600.0  # pause or gap inside a charge that is merged
    plugged_merge_s: float = 24 * 3600.0  # pause merged while the cable stays connected
    activity_km: float = 0.3  # odometer change across a gap that means an unlogged drive
    activity_soc_pct: float = 2.0  # SoC rise across a gap that means an unlogged charge


def classify_rows(wide: pl.DataFrame, cfg: CutConfig) -> np.ndarray:
    """Per-row kind code (DRIVE, CHARGE, PARK) from the signals that exist."""
    n = wide.height
    if n == 0:
        return np.zeros(0, dtype=np.int8)

    def col(name: str) -> np.ndarray:
        return wide[name].cast(pl.Float64).fill_null(np.nan).to_numpy()

    speed = col("speed_kmh")
    odo = col("odometer_km")
    t_s = wide["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    dt = np.diff(t_s, prepend=np.nan)
    odo_rate = np.diff(odo, prepend=np.nan) / np.where(dt > 0, dt, np.nan) * 3600.0
    moving = np.where(
        np.isfinite(speed),
        speed > cfg.moving_speed_kmh,
        np.nan_to_num(odo_rate, nan=0.0) > 3.0 * cfg.moving_speed_kmh,
    )

    is_chg = col("is_charging")
    chg_pw = col("charger_power_kw")
    cur = col("pack_current_a")
    pw = col("pack_power_w")
    chg_ac = col("charge_current_ac_a")
    chg_dc = col("charge_current_dc_a")
    inlet = np.fmax(np.nan_to_num(chg_ac, nan=-1.0), np.nan_to_num(chg_dc, nan=-1.0))
    flow_in = np.where(
        np.isfinite(cur),
        cur < -cfg.charging_current_a,
        np.nan_to_num(pw, nan=0.0) < -300.0,
    )
    reported = (
        wide["is_charging_reported"].to_numpy()
        if "is_charging_reported" in wide.columns
        else np.isfinite(is_chg)
    )
    # evidence other than the flag: charger power, inlet current, current into a parked pack
    has_other = np.isfinite(chg_pw) | (inlet >= 0) | np.isfinite(cur)
    other = np.where(
        np.isfinite(chg_pw),
        chg_pw > cfg.charging_power_kw,
        np.where(inlet >= 0, inlet > cfg.charging_current_a, flow_in & ~moving),
    )
    # a flag reported on this row decides; a flag only held from an earlier report is stale,
    # so other evidence decides, and without any a held "charging" needs current flowing in
    tail_in = np.nan_to_num(cur, nan=0.0) < -cfg.held_flag_current_a
    held = np.isfinite(is_chg) & (is_chg > 0.5) & (tail_in | ~np.isfinite(cur))
    charging = np.where(
        np.isfinite(is_chg) & reported,
        is_chg > 0.5,
        np.where(has_other, other | (held & tail_in), held),
    )
    # a reported speed decides; without one, a charging flag beats an odometer step (an
    # odometer reported late or quantised can jump while the car stands at a charger)
    speed_moving = np.isfinite(speed) & (speed > cfg.moving_speed_kmh)
    kind = np.full(n, PARK, dtype=np.int8)
    kind[moving] = DRIVE
    kind[charging & ~speed_moving] = CHARGE
    return kind


def _runs(kind: np.ndarray, split: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Start and end (inclusive) row index of runs of equal kind, also split at ``split``."""
    n = kind.size
    new = np.ones(n, dtype=bool)
    new[1:] = (kind[1:] != kind[:-1]) | split[1:]
    starts = np.flatnonzero(new)
    ends = np.append(starts[1:] - 1, n - 1)
    return starts, ends


def assign_sessions(wide: pl.DataFrame, cfg: CutConfig | None = None) -> SessionLabels:
    """Label every row with a session; sessions are numbered 0.. in time order and
    partition the rows."""
    cfg = cfg or CutConfig()
    n = wide.height
    if n == 0:
        empty = np.zeros(0, dtype=np.int64)
        return SessionLabels(empty, np.zeros(0, dtype=np.int8), np.zeros(0, dtype=object), empty)
    kind = classify_rows(wide, cfg)
    t_s = wide["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    odo = wide["odometer_km"].fill_null(np.nan).to_numpy().astype(float)
    soc = wide["soc_bms_pct"].fill_null(np.nan).to_numpy().astype(float)
    plugged = wide["is_plugged_in"].fill_null(np.nan).to_numpy().astype(float)
    gap_before = np.diff(t_s, prepend=t_s[0]) > cfg.max_gap_s

    # 1. short stops inside a drive are part of it (traffic lights, 30-s samples at 0 km/h)
    # a longer stop stays inside too while the car was on all along (current drawn by the
    # drivetrain and cabin: a traffic jam, a wait with the climate running)
    starts, ends, k, prev_k, next_k, stop_s, _ = _neighbours(kind, t_s, odo, cfg)
    cur = wide["pack_current_a"].fill_null(np.nan).to_numpy().astype(float)
    car_on = _run_all(np.abs(cur) > cfg.car_on_current_a, starts, ends)
    between = (k == PARK) & (prev_k == DRIVE) & (next_k == DRIVE)
    # ... and a "stop" during which the odometer kept counting was slow driving (speed
    # samples caught at a crawl); only for stops of up to 15 min, within the stop's own rows
    crawl = (np.nan_to_num(odo[ends] - odo[starts], nan=0.0) >= cfg.activity_km) & (
        stop_s <= cfg.crawl_max_s
    )
    short_stop = between & (
        (stop_s < cfg.min_stop_s) | (car_on & (stop_s <= cfg.drive_gap_s)) | crawl
    )
    kind = _relabel(kind, starts, ends, short_stop, DRIVE)

    # 2. drop blips: very short drives and charges become parking.
    for code, min_s in ((DRIVE, cfg.min_drive_s), (CHARGE, cfg.min_charge_s)):
        starts, ends = _runs(kind, gap_before)
        k = kind[starts]
        dur = t_s[ends] - t_s[starts]
        dist = np.nan_to_num(odo[ends] - odo[starts], nan=0.0)
        tiny = (k == code) & (dur < min_s)
        if code == DRIVE:
            tiny &= dist < cfg.min_drive_km
        kind = _relabel(kind, starts, ends, tiny, PARK)

    seg_starts, _ = _runs(kind, gap_before)
    charge_run_starts = seg_starts[kind[seg_starts] == CHARGE]

    # 3. pauses inside a charge (interrupted and resumed, the car did not move) are part of it
    starts, ends, k, prev_k, next_k, stop_s, moved = _neighbours(kind, t_s, odo, cfg)
    plugged_all = _run_all(plugged > 0.5, starts, ends) & _run_any(
        np.isfinite(plugged), starts, ends
    )
    pause = (k == PARK) & (prev_k == CHARGE) & (next_k == CHARGE) & ~moved
    pause &= (stop_s <= cfg.charge_merge_s) | (plugged_all & (stop_s <= cfg.plugged_merge_s))
    kind = _relabel(kind, starts, ends, pause, CHARGE)
    merged_rows = np.zeros(n, dtype=bool)
    merged_rows[_expand(starts, ends, pause)] = True

    # 4. runs of one kind split by a logger gap: merge unless something happened in the gap.
    starts, ends = _runs(kind, gap_before)
    k = kind[starts]
    same_as_prev = np.r_[False, k[1:] == k[:-1]]
    gap_s = t_s[starts] - np.r_[np.nan, t_s[ends[:-1]]]
    d_odo = np.nan_to_num(odo[starts] - np.r_[np.nan, odo[ends[:-1]]], nan=0.0)
    d_soc = np.nan_to_num(soc[starts] - np.r_[np.nan, soc[ends[:-1]]], nan=0.0)
    quiet = (d_odo <= cfg.activity_km) & (np.abs(d_soc) <= cfg.activity_soc_pct)
    speed = wide["speed_kmh"].fill_null(np.nan).to_numpy().astype(float)
    # a drive whose data stops and resumes at speed went on through the gap
    at_speed = (speed[starts] > cfg.moving_speed_kmh) & (
        np.r_[np.nan, speed[ends[:-1]]] > cfg.moving_speed_kmh
    )
    join = same_as_prev & (
        ((k == PARK) & quiet)
        | ((k == DRIVE) & ((gap_s < cfg.min_stop_s) | (at_speed & (gap_s <= cfg.drive_gap_s))))
        | (
            (k == CHARGE)
            & (gap_s <= cfg.charge_merge_s)
            & (d_odo <= cfg.activity_km)
            & (d_soc > -cfg.activity_soc_pct)
        )
    )
    run_no = np.cumsum(~join) - 1  # session number per run
    session_of_row = np.repeat(run_no, ends - starts + 1)
    n_sessions = int(run_no[-1]) + 1
    kind_of_session = np.zeros(n_sessions, dtype=np.int8)
    kind_of_session[run_no] = k

    # flags per session
    had_gap = np.zeros(n_sessions, dtype=bool)
    had_gap[run_no[join & (gap_s > cfg.max_gap_s)]] = True
    unlogged = np.zeros(n_sessions, dtype=bool)
    unlogged[run_no[~join & (gap_s > cfg.max_gap_s) & ~quiet]] = True
    merged = np.zeros(n_sessions, dtype=bool)
    merged[np.unique(session_of_row[merged_rows])] = True
    merged[run_no[join & (k == CHARGE)]] = True
    flags = np.array(
        [
            ";".join(
                f for f, on in (("gap", g), ("merged", m), ("activity_in_gap_before", u)) if on
            )
            for g, m, u in zip(had_gap, merged, unlogged, strict=True)
        ],
        dtype=object,
    )
    n_segments = np.bincount(session_of_row[charge_run_starts], minlength=n_sessions)
    n_segments = np.where(kind_of_session == CHARGE, np.maximum(n_segments, 1), 1)
    return SessionLabels(session_of_row, kind_of_session, flags, n_segments)


def _neighbours(kind: np.ndarray, t_s: np.ndarray, odo: np.ndarray, cfg: CutConfig):  # type: ignore[no-untyped-def]
    """Runs (no gap split) with their neighbours' kinds, the time from the previous run's
    last row to the next run's first row, and whether the odometer moved over it."""
    starts, ends = _runs(kind, np.zeros(kind.size, dtype=bool))
    k = kind[starts]
    prev_k = np.r_[-1, k[:-1]]
    next_k = np.r_[k[1:], -1]
    stop_s = np.r_[t_s[starts[1:]], np.nan] - np.r_[np.nan, t_s[ends[:-1]]]
    d_odo = np.r_[odo[starts[1:]], np.nan] - np.r_[np.nan, odo[ends[:-1]]]
    moved = np.nan_to_num(d_odo, nan=0.0) > cfg.activity_km
    return starts, ends, k, prev_k, next_k, stop_s, moved


def _relabel(
    kind: np.ndarray, starts: np.ndarray, ends: np.ndarray, which: np.ndarray, new: int
) -> np.ndarray:
    if not which.any():
        return kind
    out = kind.copy()
    out[_expand(starts, ends, which)] = new
    return out


def _expand(starts: np.ndarray, ends: np.ndarray, which: np.ndarray) -> np.ndarray:
    """Row indices covered by the selected runs."""
    s, e = starts[which], ends[which]
    if s.size == 0:
        return np.zeros(0, dtype=np.int64)
    lengths = e - s + 1
    offsets = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - lengths, lengths)
    return np.repeat(s, lengths) + offsets


def _run_all(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    c = np.r_[0, np.cumsum(~mask)]
    return (c[ends + 1] - c[starts]) == 0


def _run_any(mask: np.ndarray, starts: np.ndarray, ends: np.ndarray) -> np.ndarray:
    c = np.r_[0, np.cumsum(mask)]
    return (c[ends + 1] - c[starts]) > 0
