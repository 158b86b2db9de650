"""Capacity from open-circuit voltage: SoC from rest voltage at both ends, independent of the BMS.

Method. At the end of each rest (≥ 30 min, 60 min for LFP) the cell voltage (pack voltage /
cells in series, else the mean of min and max cell voltage) is an open-circuit voltage; the
chemistry's published OCV curve (``analytics.chemistry.soc_from_ocv``, charge branch after a
charge, discharge branch after a drive — LFP's hysteresis) turns it into SoC. Two such anchors
and the net charge between them give ``C = ΔQ / ΔSoC_OCV``. Nothing the BMS computes enters.

Valid range. NMC and NCA; not LFP — its plateau gives no SoC, and at its steep ends
(< 15 %, > 95 %) the hysteresis and a pack's small deviation from the published curve move
the SoC by several points. Both anchors on a part of the curve steep enough that 4 mV of voltage error
maps to ≤ 3 % SoC — this rejects LFP's plateau (≈ 0.1–1 mV/%) and keeps its steep ends;
|ΔSoC| ≥ 20 %; battery 5–45 °C; as for charge counting otherwise.

Error model. σ_SoC = 4 mV / (dOCV/dSoC) at each end (relaxation residue, the pack's
deviation from the published curve, voltage quantisation), combined as for charge counting.
A cell that deviates systematically from the published curve biases every OCV observation
of that vehicle the same way; the fusion carries a per-vehicle bias term for this method.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from analytics.chemistry import ocv_slope_v_per_pct, soc_from_ocv
from analytics.soh.config import SohConfig
from analytics.soh.pairs import AnchorSoc, capacity_observations, empty_observations

__all__ = ["METHOD", "ocv_anchor_soc", "ocv_observations"]

METHOD = "ocv"
LFP_REASON = (
    "LFP: SoC from rest voltage is not trusted (plateau mid-SoC; at the steep ends hysteresis "
    "and the pack's deviation from the published curve dominate)"
)


def ocv_anchor_soc(anchors: pl.DataFrame, chemistry: str, cfg: SohConfig) -> AnchorSoc:
    """OCV-derived SoC at each rest anchor with its 1-sigma and usability."""
    v = anchors["cell_ocv_v"].to_numpy().astype(float)
    branch = anchors["branch"].to_numpy()
    soc = np.full(v.size, np.nan)
    slope = np.full(v.size, np.nan)
    for b in ("charge", "discharge"):
        m = branch == b
        if m.any():
            soc[m] = soc_from_ocv(chemistry, v[m], branch=b)
            slope[m] = np.abs(
                ocv_slope_v_per_pct(chemistry, np.nan_to_num(soc[m], nan=50.0), branch=b)
            )
    sigma = cfg.ocv_sigma_v / np.maximum(np.nan_to_num(slope, nan=0.0), 1e-6)
    invalid = np.full(v.size, "", dtype=object)
    invalid[~np.isfinite(v)] = "no cell or pack voltage (or cell count) at the anchor"
    invalid[np.isfinite(v) & ~np.isfinite(soc)] = "rest voltage outside the chemistry's OCV curve"
    flat = np.isfinite(soc) & (sigma > cfg.ocv_max_soc_sigma_pct)
    invalid[flat] = [
        f"OCV curve too flat at {s:.0f} % SoC ({1000 * sl:.2f} mV/%): SoC uncertain ±{sg:.0f} %"
        for s, sl, sg in zip(soc[flat], slope[flat], sigma[flat], strict=True)
    ]
    return AnchorSoc(soc, sigma, invalid)


def ocv_observations(
    anchors: pl.DataFrame,
    *,
    chemistry: str,
    capacity_ref_ah: float,
    session_at: Any,
    cfg: SohConfig | None = None,
) -> pl.DataFrame:
    """OCV capacity observations (kept and rejected) for one vehicle, rest anchors only."""
    cfg = cfg or SohConfig()
    rest = anchors.filter(pl.col("anchor") == "rest")
    if rest.height < 2:
        return empty_observations()
    soc = ocv_anchor_soc(rest, chemistry, cfg)
    if chemistry.upper() in cfg.ocv_excluded_chemistries:
        soc.invalid[soc.invalid == ""] = LFP_REASON
    return capacity_observations(
        rest, soc, method=METHOD, capacity_ref_ah=capacity_ref_ah,
        min_delta_pct=cfg.ocv_min_delta_soc_pct, cfg=cfg, session_at=session_at,
    )  # fmt: skip
