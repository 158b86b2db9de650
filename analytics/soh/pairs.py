"""Pairing anchors into capacity observations, and the shared observation record.

Two anchors with a known SoC each and the net charge between them give one capacity:
``C = ΔQ / ΔSoC``. Each anchor is used at most once as a start (greedy, in time order) so that
observations are not near-duplicates sharing both ends; from each start the partner within
a short look-ahead with the most informative SoC swing is taken. Every candidate that fails a
validity rule becomes a rejected observation with its reason, so an audit sees why a charge
produced no estimate.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import numpy as np
import polars as pl

from analytics.soh.config import SohConfig

__all__ = ["OBS_SCHEMA", "AnchorSoc", "capacity_observations", "empty_observations"]

OBS_SCHEMA: dict[str, pl.DataType] = {
    "session_id": pl.Utf8(),
    "ts": pl.Datetime("us", "UTC"),
    "method": pl.Utf8(),
    "quantity": pl.Utf8(),
    "value": pl.Float64(),
    "sigma": pl.Float64(),
    "kept": pl.Boolean(),
    "reason": pl.Utf8(),
    "soc_start_pct": pl.Float64(),
    "soc_end_pct": pl.Float64(),
    "delta_soc_pct": pl.Float64(),
    "charge_ah": pl.Float64(),
    "energy_kwh": pl.Float64(),
    "temperature_c": pl.Float64(),
    "inputs": pl.Utf8(),
}


def empty_observations() -> pl.DataFrame:
    """An observation frame with no rows (the schema every estimator returns)."""
    return pl.DataFrame(schema=OBS_SCHEMA)


@dataclass(frozen=True, slots=True)
class AnchorSoc:
    """SoC at each anchor by one method: value, 1-sigma, and why it is unusable (or '')."""

    soc_pct: np.ndarray
    sigma_pct: np.ndarray
    invalid: np.ndarray  # str per anchor, '' when usable


def _pick_partner(
    i: int, t: np.ndarray, soc: np.ndarray, sig: np.ndarray, broken: np.ndarray, cfg: SohConfig
) -> int:
    """Index of the anchor after ``i`` giving the most informative SoC swing, or -1."""
    hi = min(i + 1 + cfg.pair_lookahead, t.size)
    js = np.arange(i + 1, hi)
    js = js[(t[js] - t[i] <= cfg.pair_horizon_s) & (broken[js] == broken[i])]
    if js.size == 0:
        return -1
    score = np.abs(soc[js] - soc[i]) / np.sqrt(sig[js] ** 2 + sig[i] ** 2 + 1e-9)
    score = np.where(np.isfinite(score), score, -1.0)
    return int(js[np.argmax(score)])


def capacity_observations(
    anchors: pl.DataFrame,
    soc: AnchorSoc,
    *,
    method: str,
    capacity_ref_ah: float,
    min_delta_pct: float,
    cfg: SohConfig,
    session_at: Any,
) -> pl.DataFrame:
    """Capacity observations (Ah) from pairs of anchors, kept or rejected with a reason.

    ``session_at(t0_s, t1_s) -> session_id | None`` names the session the pair measures.
    """
    n = anchors.height
    if n < 2:
        return empty_observations()
    t = anchors["t_s"].to_numpy()
    q = anchors["q_ah"].to_numpy()
    q_fixed = anchors["q_fixed_sigma_ah"].to_numpy()
    active_h = anchors["active_h"].to_numpy()
    standby = anchors["standby_sigma_ah"].to_numpy()
    broken = anchors["broken"].to_numpy()
    q_int = anchors["q_int_ah"].to_numpy()
    broken_int = anchors["broken_int"].to_numpy()
    counters = anchors["q_source"][0] == "bms_counter"
    temp = anchors["temp_c"].to_numpy()
    kind = anchors["anchor"].to_numpy()
    s, sg = soc.soc_pct, np.where(np.isfinite(soc.sigma_pct), soc.sigma_pct, np.inf)
    rows: list[dict[str, Any]] = []
    i = 0
    while i < n - 1:
        j = _pick_partner(i, t, s, sg, broken, cfg)
        if j < 0:
            i += 1
            continue
        d_soc = s[j] - s[i]
        d_q = q[j] - q[i]
        dur_s = t[j] - t[i]
        rel_soc = np.hypot(sg[i], sg[j]) / abs(d_soc) if d_soc else np.inf
        drift_ah = cfg.current_offset_a * (active_h[j] - active_h[i]) + standby[j] - standby[i]
        sigma_q = float(np.hypot(q_fixed[i], q_fixed[j])) if counters else float(drift_ah)
        rel_q = sigma_q / max(abs(d_q), 1e-9)
        rel = float(np.sqrt(rel_soc**2 + cfg.current_gain_rel**2 + rel_q**2))
        cap = d_q / (d_soc / 100.0) if d_soc else np.nan
        d_q_int = q_int[j] - q_int[i] if broken_int[j] == broken_int[i] else np.nan
        reason = _cross_check(counters, d_q, d_q_int, drift_ah, cfg) or _reject_reason(
            soc.invalid[i], soc.invalid[j], d_soc, d_q, temp[i], temp[j], rel, cap,
            capacity_ref_ah, min_delta_pct, cfg,
        )  # fmt: skip
        inputs = {
            "anchor_start": f"{kind[i]}@{anchors['ts'][i].isoformat()}",
            "anchor_end": f"{kind[j]}@{anchors['ts'][j].isoformat()}",
            "rest_start_s": round(float(anchors["rest_s"][i]), 1),
            "rest_end_s": round(float(anchors["rest_s"][j]), 1),
            "soc_sigma_start_pct": round(float(sg[i]), 3),
            "soc_sigma_end_pct": round(float(sg[j]), 3),
            "charge_source": anchors["q_source"][0],
            "duration_s": round(float(dur_s), 1),
            "charge_sigma_ah": round(float(sigma_q), 3),
            "charge_integrated_ah": round(float(d_q_int), 3) if np.isfinite(d_q_int) else None,
        }
        rows.append(
            {
                "session_id": session_at(t[i], t[j]),
                "ts": anchors["ts"][j],
                "method": method,
                "quantity": "capacity_ah",
                "value": float(cap) if np.isfinite(cap) else None,
                "sigma": float(abs(cap) * rel) if np.isfinite(cap) and np.isfinite(rel) else None,
                "kept": reason == "ok",
                "reason": reason,
                "soc_start_pct": float(s[i]),
                "soc_end_pct": float(s[j]),
                "delta_soc_pct": float(d_soc),
                "charge_ah": float(d_q),
                "energy_kwh": None,
                "temperature_c": float(np.nanmean([temp[i], temp[j]]))
                if np.isfinite([temp[i], temp[j]]).any()
                else None,
                "inputs": json.dumps(inputs),
            }
        )
        i = j if reason == "ok" else i + 1
    return pl.DataFrame(rows, schema=OBS_SCHEMA) if rows else empty_observations()


def _cross_check(
    counters: bool, d_q: float, d_q_int: float, drift_ah: float, cfg: SohConfig
) -> str:
    """'' or why the BMS counters and the integrated current disagree beyond their errors."""
    if not counters or not np.isfinite(d_q) or not np.isfinite(d_q_int):
        return ""
    tol = 3.0 * float(np.hypot(drift_ah, cfg.integration_rel * abs(d_q))) + 0.5
    if abs(d_q - d_q_int) > tol:
        return (
            f"BMS counters ({d_q:+.1f} Ah) and integrated current ({d_q_int:+.1f} Ah) "
            f"disagree beyond {tol:.1f} Ah"
        )
    return ""


def _reject_reason(
    bad_i: str,
    bad_j: str,
    d_soc: float,
    d_q: float,
    temp_i: float,
    temp_j: float,
    rel: float,
    cap: float,
    ref_ah: float,
    min_delta: float,
    cfg: SohConfig,
) -> str:
    """'ok' or the first validity rule the pair breaks (order: cheapest explanation first)."""
    if bad_i or bad_j:
        return bad_i or bad_j
    if not np.isfinite(d_q):
        return "no charge balance at an anchor (logger hole since the last counter reading)"
    if not np.isfinite(d_soc) or abs(d_soc) < min_delta:
        return f"SoC change {abs(d_soc):.1f} % below the {min_delta:.0f} % minimum"
    for temp in (temp_i, temp_j):
        if np.isfinite(temp) and not cfg.temp_min_c <= temp <= cfg.temp_max_c:
            return (
                f"battery temperature {temp:.1f} °C outside {cfg.temp_min_c:.0f}–"
                f"{cfg.temp_max_c:.0f} °C (capacity not comparable to 25 °C)"
            )
    if np.sign(d_soc) != np.sign(d_q):
        return f"charge {d_q:+.1f} Ah and SoC change {d_soc:+.1f} % disagree in sign"
    if rel > cfg.max_sigma_rel:
        return f"uncertainty {100 * rel:.1f} % above the {100 * cfg.max_sigma_rel:.0f} % limit"
    if ref_ah > 0 and not cfg.plausible_low <= cap / ref_ah <= cfg.plausible_high:
        return f"capacity {cap:.1f} Ah implausible against reference {ref_ah:.1f} Ah"
    return "ok"
