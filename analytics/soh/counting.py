"""Capacity by charge counting: net Ah between two anchors over the BMS SoC change.

Method. ``C = ΔQ / (ΔSoC_BMS / 100)`` between two anchors (end of a rest, or top of a full
charge), ΔQ from the BMS lifetime Ah counters when present, else the integrated pack current.
The pack current is measured at the battery terminals, so auxiliary loads during a charge
(cabin heating, battery conditioning) are already netted out: energy the charger delivered to
the heater never appears as charge stored — unlike estimators that count charger-side kWh.

Valid range. |ΔSoC| ≥ 20 %; battery 5–45 °C at both anchors; SoC at both ends recalibrated
(rest ≥ 2 h, after which a BMS has recalibrated from OCV, or the top of a full charge); no logger gap between the anchors unless
the BMS counters bridge it; 1-sigma error ≤ 8 %.

Error model (1 sigma, relative). sqrt(σ_a² + σ_b²)/|ΔSoC| ⊕ 0.5 % current gain ⊕
offset × duration / |ΔQ|, where σ at a rest anchor is 1 % ⊕ (4 mV / OCV slope) — so the
flat LFP plateau, where a BMS cannot recalibrate, gives a large σ and the pair is rejected —
and 0.5 % at the top of a full charge.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import polars as pl

from analytics.chemistry import ocv_slope_v_per_pct
from analytics.soh.config import SohConfig
from analytics.soh.pairs import AnchorSoc, capacity_observations, empty_observations

__all__ = ["METHOD", "bms_anchor_soc", "bms_anchors", "counting_observations"]

METHOD = "charge_counting"


def bms_anchor_soc(anchors: pl.DataFrame, chemistry: str, cfg: SohConfig) -> AnchorSoc:
    """BMS SoC at each anchor with its 1-sigma, from the anchor kind and the OCV slope."""
    soc = anchors["soc_bms_pct"].to_numpy().astype(float)
    full = anchors["anchor"].to_numpy() == "full"
    base = cfg.soc_sigma_rest_lfp_pct if chemistry.upper() == "LFP" else cfg.soc_sigma_rest_pct
    slope = np.abs(ocv_slope_v_per_pct(chemistry, np.clip(np.nan_to_num(soc, nan=50.0), 0, 100)))
    from_ocv = cfg.ocv_sigma_v / np.maximum(slope, 1e-6)
    sigma = np.where(full, cfg.soc_sigma_full_pct, np.hypot(base, from_ocv))
    invalid = np.where(np.isfinite(soc), "", "no BMS SoC at the anchor").astype(object)
    return AnchorSoc(soc, sigma, invalid)


def bms_anchors(anchors: pl.DataFrame, cfg: SohConfig) -> pl.DataFrame:
    """Anchors where the BMS SoC is recalibrated: full charges and rests of ≥ 2 h."""
    return anchors.filter((pl.col("anchor") == "full") | (pl.col("rest_s") >= cfg.bms_recal_rest_s))


def counting_observations(
    anchors: pl.DataFrame,
    *,
    chemistry: str,
    capacity_ref_ah: float,
    session_at: Any,
    cfg: SohConfig | None = None,
) -> pl.DataFrame:
    """Charge-counting capacity observations (kept and rejected) for one vehicle."""
    cfg = cfg or SohConfig()
    anchors = bms_anchors(anchors, cfg)
    if anchors.height < 2:
        return empty_observations()
    soc = bms_anchor_soc(anchors, chemistry, cfg)
    return capacity_observations(
        anchors, soc, method=METHOD, capacity_ref_ah=capacity_ref_ah,
        min_delta_pct=cfg.min_delta_soc_pct, cfg=cfg, session_at=session_at,
    )  # fmt: skip
