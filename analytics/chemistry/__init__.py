"""Cell chemistry: per-family parameters and open-circuit-voltage curves (NMC, NCA, LFP)."""

from analytics.chemistry.ocv import BRANCHES, ocv_slope_v_per_pct, ocv_table, ocv_v, soc_from_ocv
from analytics.chemistry.params import CHEMISTRIES, ChemistryParams, get_chemistry

__all__ = [
    "BRANCHES",
    "CHEMISTRIES",
    "ChemistryParams",
    "get_chemistry",
    "ocv_slope_v_per_pct",
    "ocv_table",
    "ocv_v",
    "soc_from_ocv",
]
