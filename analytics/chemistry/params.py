"""Cell-level parameters per chemistry (what a cell of each family typically looks like)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHEMISTRIES", "ChemistryParams", "get_chemistry"]


@dataclass(frozen=True)
class ChemistryParams:
    """Typical cell parameters of one chemistry family.

    Voltages are cell-level (per series element). ``ocv_hysteresis_mv`` is the typical gap
    between the charge and discharge OCV branches mid-SoC; ``soc_sensitivity`` is the typical
    OCV slope in the middle of the SoC window, i.e. how well voltage pins down SoC.
    """

    name: str
    cathode: str
    nominal_cell_voltage_v: float
    min_cell_voltage_v: float
    max_cell_voltage_v: float
    typical_cell_capacity_ah: float
    ocv_hysteresis_mv: float
    mid_soc_slope_mv_per_pct: float
    r0_cell_mohm_25c: float
    density_wh_per_kg: float
    description: str


CHEMISTRIES: dict[str, ChemistryParams] = {
    "NMC": ChemistryParams(
        name="NMC",
        cathode="LiNixMnyCozO2 (NMC622/811) on graphite",
        nominal_cell_voltage_v=3.65,
        min_cell_voltage_v=3.0,
        max_cell_voltage_v=4.2,
        typical_cell_capacity_ah=60.0,
        ocv_hysteresis_mv=8.0,
        mid_soc_slope_mv_per_pct=6.5,
        r0_cell_mohm_25c=1.0,
        density_wh_per_kg=250.0,
        description="Pouch/prismatic NMC as in Chevrolet Bolt EV, VW MEB, Hyundai/Kia packs.",
    ),
    "NCA": ChemistryParams(
        name="NCA",
        cathode="LiNiCoAlO2 on graphite",
        nominal_cell_voltage_v=3.6,
        min_cell_voltage_v=2.95,
        max_cell_voltage_v=4.19,
        typical_cell_capacity_ah=4.8,
        ocv_hysteresis_mv=10.0,
        mid_soc_slope_mv_per_pct=7.5,
        r0_cell_mohm_25c=15.0,
        density_wh_per_kg=260.0,
        description="Cylindrical NCA (18650/2170) as in Tesla Model S/3/Y long range.",
    ),
    "LFP": ChemistryParams(
        name="LFP",
        cathode="LiFePO4 on graphite",
        nominal_cell_voltage_v=3.2,
        min_cell_voltage_v=2.5,
        max_cell_voltage_v=3.65,
        typical_cell_capacity_ah=161.0,
        ocv_hysteresis_mv=20.0,
        mid_soc_slope_mv_per_pct=0.8,
        r0_cell_mohm_25c=0.25,
        density_wh_per_kg=170.0,
        description="Prismatic LFP as in Tesla Model 3 Standard Range (CATL), BYD packs.",
    ),
}


def get_chemistry(chemistry: str) -> ChemistryParams:
    """Parameters of ``chemistry`` ("NMC", "NCA" or "LFP"; case-insensitive)."""
    from analytics.errors import ConfigError

    key = str(chemistry).upper()
    if key not in CHEMISTRIES:
        raise ConfigError(
            f"unknown chemistry {chemistry!r}: use one of {', '.join(sorted(CHEMISTRIES))}"
        )
    return CHEMISTRIES[key]
