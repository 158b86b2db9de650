"""Anchors: instants where the state of charge is known independently of coulomb counting.

Capacity is charge divided by a change of SoC, and the SoC a BMS shows between recalibrations
is itself its counted charge divided by its own capacity estimate — dividing one by the other
only returns the BMS's belief. So the estimators use SoC only at *anchors*:

* ``rest`` — the end of a rest (|I| small for at least 30 min, 60 min for LFP): the voltage
  is an open-circuit voltage and the BMS has recalibrated its SoC from it;
* ``full`` — the top of a full charge, where the BMS resets its SoC to 100 %.

With each anchor goes the net charge counted so far (``q_ah``: BMS lifetime counters when
present, else integrated pack current) and how many unintegrable logger gaps came before it,
so that any two anchors of one vehicle give a charge balance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from analytics.soh.config import SohConfig

__all__ = ["ANCHOR_SCHEMA", "ChargeBalance", "find_anchors", "held_current", "net_charge"]

ANCHOR_SCHEMA = {
    "ts": pl.Datetime("us", "UTC"),
    "t_s": pl.Float64,
    "row": pl.Int64,
    "anchor": pl.Utf8,
    "rest_s": pl.Float64,
    "soc_bms_pct": pl.Float64,
    "cell_ocv_v": pl.Float64,
    "temp_c": pl.Float64,
    "q_ah": pl.Float64,
    "q_fixed_sigma_ah": pl.Float64,
    "active_h": pl.Float64,
    "standby_sigma_ah": pl.Float64,
    "q_source": pl.Utf8,
    "broken": pl.Int64,
    "q_int_ah": pl.Float64,
    "broken_int": pl.Int64,
    "branch": pl.Utf8,
}


def _arr(wide: pl.DataFrame, name: str) -> np.ndarray:
    return wide[name].cast(pl.Float64).fill_null(np.nan).to_numpy()


def held_current(wide: pl.DataFrame) -> np.ndarray:
    """Pack current held from its last reading to every row of the same logging stretch.

    Rows carrying only other signals (sent at their own instants) then integrate the current
    the way a logger's sample-and-hold does; a new stretch (after a hole) starts unknown.
    """
    if "stretch" not in wide.columns:
        return _arr(wide, "pack_current_a")
    return (
        wide.select(pl.col("pack_current_a").cast(pl.Float64).forward_fill().over("stretch"))
        .to_series()
        .fill_null(np.nan)
        .to_numpy()
    )


@dataclass(frozen=True, slots=True)
class ChargeBalance:
    """Net charge into the pack at every row and what its error is made of.

    ``q_ah`` cumulative net charge (Ah, into the pack positive); ``fixed_sigma_ah`` error of
    this row's value on its own (counter quantisation and the stretch integrated since the
    last counter report); ``active_h`` and ``standby_sigma_ah`` cumulative logged hours and cumulative standby-draw uncertainty (differences between two rows give the
    offset and standby errors of a balance); ``broken`` cumulative count of holes that no
    balance can bridge (rows with different counts are never paired).
    """

    q_ah: np.ndarray
    fixed_sigma_ah: np.ndarray
    active_h: np.ndarray
    standby_sigma_ah: np.ndarray
    broken: np.ndarray
    source: str
    q_int_ah: np.ndarray  # the integrated balance, kept to cross-check the counters
    broken_int: np.ndarray


def net_charge(wide: pl.DataFrame, cfg: SohConfig, i_rest: float = 3.0) -> ChargeBalance:
    """Net charge into the pack per row, from the pack current and the BMS counters.

    The pack current is integrated sample-and-hold (charging is negative current by the
    catalog's convention), with a sensor-offset uncertainty growing with the logged time.
    A hole in the data longer than ``cfg.max_gap_s`` is *quiet* when the pack was at rest
    on both sides and neither odometer nor SoC moved across it (a parked car whose logger
    slept): it is bridged with the typical standby draw of a parked EV and its uncertainty.
    Any other hole breaks the integrated balance. When the BMS lifetime Ah counters are reported, each row's balance
    is the last counter reading plus the current integrated since it (or, when a hole lies in
    between, the next reading less the current integrated until it): exact to the counter's
    resolution, and a logger hole breaks nothing because the BMS kept counting.
    """
    t_s = wide["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    n = t_s.size
    cur = held_current(wide)
    volt = _arr(wide, "pack_voltage_v")
    odo = _arr(wide, "odometer_km")
    soc = _arr(wide, "soc_bms_pct")
    dt = np.r_[np.diff(t_s), 0.0]
    hole = dt > cfg.max_gap_s
    rest = np.isfinite(cur) & (np.abs(cur) <= i_rest)
    nxt = np.r_[np.arange(1, n), n - 1]
    still = (np.nan_to_num(np.abs(odo[nxt] - odo), nan=0.0) <= 0.3) & (
        np.nan_to_num(np.abs(soc[nxt] - soc), nan=0.0) <= cfg.quiet_soc_change_pct
    )
    quiet = hole & rest & rest[nxt] & still
    bad = (hole & ~quiet) | (~np.isfinite(cur) & ~hole)
    v = np.where(np.isfinite(volt) & (volt > 0), volt, np.nan)
    v = np.where(np.isfinite(v), v, np.nanmedian(v) if np.isfinite(v).any() else 350.0)
    step = np.where(quiet, -cfg.standby_draw_w / v, -np.nan_to_num(cur)) * dt / 3600.0
    step = np.where(bad, 0.0, step)
    act = np.where(~hole & ~bad & np.isfinite(cur), dt, 0.0) / 3600.0
    sby = np.where(quiet, cfg.standby_draw_sigma_w * dt / v / 3600.0, 0.0)

    def cum(x: np.ndarray) -> np.ndarray:
        return np.r_[0.0, np.cumsum(x)[:-1]]

    q_int, act_c, sby_c = cum(step), cum(act), cum(sby)
    broken = np.r_[0, np.cumsum(bad)[:-1]].astype(np.int64)
    c_in = _arr(wide, "charged_throughput_total_ah")
    c_out = _arr(wide, "consumed_throughput_total_ah")
    report = np.isfinite(c_in) & np.isfinite(c_out)
    if report.sum() < 10:
        return ChargeBalance(q_int, np.zeros(n), act_c, sby_c, broken, "integrated", q_int, broken)
    k = np.maximum.accumulate(np.where(report, np.arange(n), -1))
    ok = k >= 0
    kk = np.maximum(k, 0)
    counter = c_in[kk] - c_out[kk]
    # a counter that runs backwards was reset: a new balance starts at that reading
    rows = np.flatnonzero(report)
    back = np.r_[False, (np.diff(c_in[rows]) < -0.5) | (np.diff(c_out[rows]) < -0.5)]
    n_back = np.cumsum(back)

    def resets_at(idx: np.ndarray) -> np.ndarray:
        return n_back[np.minimum(np.searchsorted(rows, idx, side="left"), rows.size - 1)]

    resets = resets_at(kk).astype(np.int64)
    since_ok = ok & (broken == broken[kk])  # no unbridgeable hole since the last reading
    # else count back from the next reading when the way there is unbroken
    nxt_rep = np.minimum.accumulate(np.where(report, np.arange(n), n)[::-1])[::-1]
    has_next = nxt_rep < n
    kn = np.minimum(nxt_rep, n - 1)
    until_ok = has_next & (broken == broken[kn]) & ~since_ok
    counter_next = c_in[kn] - c_out[kn]
    q = np.where(
        since_ok,
        counter + q_int - q_int[kk],
        np.where(until_ok, counter_next - (q_int[kn] - q_int), np.nan),
    )
    ref_i = np.where(since_ok, kk, kn)
    extra_act = np.abs(act_c - act_c[ref_i])
    extra_sby = np.abs(sby_c - sby_c[ref_i])
    fixed = np.hypot(cfg.counter_resolution_ah / np.sqrt(12.0),
                     cfg.current_offset_a * extra_act + extra_sby)  # fmt: skip
    resets = np.where(until_ok, resets_at(kn), resets).astype(np.int64)
    return ChargeBalance(q, fixed, act_c, sby_c, resets, "bms_counter", q_int, broken)


def find_anchors(
    wide: pl.DataFrame,
    *,
    chemistry: str,
    cells_series: float | None,
    capacity_ah: float,
    cfg: SohConfig | None = None,
) -> pl.DataFrame:
    """Rest and full-charge anchors of one vehicle (one row each, time-ordered)."""
    cfg = cfg or SohConfig()
    n = wide.height
    if n == 0 or wide["pack_current_a"].is_null().all():
        return pl.DataFrame(schema=ANCHOR_SCHEMA)
    t_s = wide["ts"].dt.epoch("us").to_numpy().astype(np.float64) / 1e6
    cur = held_current(wide)
    soc = _arr(wide, "soc_bms_pct")
    temp = _arr(wide, "battery_temp_avg_c")
    volt = _arr(wide, "pack_voltage_v")
    cmin, cmax = _arr(wide, "cell_voltage_min_v"), _arr(wide, "cell_voltage_max_v")
    cell_v = volt / cells_series if cells_series else np.full(n, np.nan)
    cell_v = np.where(np.isfinite(cell_v), cell_v, 0.5 * (cmin + cmax))
    i_rest = max(cfg.rest_current_a, cfg.rest_c_rate * capacity_ah)
    bal = net_charge(wide, cfg, i_rest)
    broken = bal.broken
    rest = np.isfinite(cur) & (np.abs(cur) <= i_rest)
    # a rest continues through a quiet hole (same broken count on both sides)
    split = np.r_[True, np.diff(broken) != 0]
    new_run = rest & (~np.r_[False, rest[:-1]] | split)
    run_id = np.cumsum(new_run)  # 1.. for the rows of each rest run
    starts = np.flatnonzero(new_run)
    rest_idx = np.flatnonzero(rest)
    run_of_rest = run_id[rest_idx]
    # last rest row of run k (1-based): the rest row before the first row of run k+1
    last = rest_idx[np.searchsorted(run_of_rest, np.arange(1, starts.size + 1), side="right") - 1]
    rest_s = t_s[last] - t_s[starts]
    # what the pack did before the rest decides the OCV branch (charge vs discharge)
    prev = np.clip(starts - 1, 0, None)
    prev_charging = (cur[prev] < -i_rest) & (starts > 0)
    min_rest = cfg.rest_min_lfp_s if chemistry.upper() == "LFP" else cfg.rest_min_s
    long_rest = rest_s >= min_rest

    frames = []
    if long_rest.any():
        idx = last[long_rest]
        frames.append(
            _anchor_frame(wide, idx, "rest", rest_s[long_rest], soc, cell_v, temp, bal, np.where(prev_charging[long_rest], "charge", "discharge"))
        )  # fmt: skip
    # full: the first rest row after charging with the BMS at the top
    full = prev_charging & (soc[starts] >= cfg.full_soc_pct)
    if full.any():
        idx = starts[full]
        frames.append(
            _anchor_frame(wide, idx, "full", rest_s[full], soc, cell_v, temp, bal, np.full(idx.size, "charge"))
        )  # fmt: skip
    if not frames:
        return pl.DataFrame(schema=ANCHOR_SCHEMA)
    return pl.concat(frames).sort("t_s", "anchor")


def _anchor_frame(
    wide: pl.DataFrame,
    idx: np.ndarray,
    kind: str,
    rest_s: np.ndarray,
    soc: np.ndarray,
    cell_v: np.ndarray,
    temp: np.ndarray,
    bal: ChargeBalance,
    branch: np.ndarray,
) -> pl.DataFrame:
    return pl.DataFrame(
        {
            "ts": wide["ts"].gather(idx),
            "t_s": wide["ts"].gather(idx).dt.epoch("us").to_numpy() / 1e6,
            "row": idx.astype(np.int64),
            "anchor": np.full(idx.size, kind),
            "rest_s": rest_s,
            "soc_bms_pct": soc[idx],
            "cell_ocv_v": cell_v[idx] if kind == "rest" else np.full(idx.size, np.nan),
            "temp_c": temp[idx],
            "q_ah": bal.q_ah[idx],
            "q_fixed_sigma_ah": bal.fixed_sigma_ah[idx],
            "active_h": bal.active_h[idx],
            "standby_sigma_ah": bal.standby_sigma_ah[idx],
            "q_source": np.full(idx.size, bal.source),
            "broken": bal.broken[idx],
            "q_int_ah": bal.q_int_ah[idx],
            "broken_int": bal.broken_int[idx],
            "branch": branch.astype(str),
        },
        schema=ANCHOR_SCHEMA,
    )
