"""The vehicle models of the simulated fleet.

Body and battery size come from ``evspecs.json`` (emobpy, MIT); pack topology, chemistry,
charging limits and thermal data are public manufacturer figures and teardown data, rounded.
``layout`` names the raw-CAN layout of :mod:`analytics.can.encode` used for the model.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from analytics.simulate.reference import evspecs

__all__ = ["MODEL_KEYS", "VehicleModel", "vehicle_models"]


@dataclass(frozen=True)
class VehicleModel:
    """One make/model/year with everything the physics needs."""

    key: str
    make: str
    model: str
    model_year: int
    chemistry: str
    layout: str
    nominal_capacity_kwh: float
    cells_series: int
    cells_parallel: int
    cell_capacity_ah: float
    curb_mass_kg: float
    drag_coeff: float
    frontal_area_m2: float
    motor_power_kw: float
    onboard_charger_kw: float
    dc_peak_kw: float
    dc_taper: tuple[tuple[float, float], ...]  # (SoC %, fraction of peak)
    heat_pump: bool
    precondition_dc: bool
    bms_reports_soh: bool
    bms_soh_bias_pct: float
    warranty_years: int
    warranty_km: int
    warranty_soh_pct: float
    price_new_eur: float
    pack_mass_kg: float

    @property
    def nominal_capacity_ah(self) -> float:
        return self.cells_parallel * self.cell_capacity_ah

    @property
    def nominal_voltage_v(self) -> float:
        return 1000.0 * self.nominal_capacity_kwh / self.nominal_capacity_ah


# key: (make, model, year, chemistry, layout, series, parallel, cell Ah, OBC kW, DC kW, taper,
#       heat pump, precondition, BMS SoH signal, BMS SoH bias, warranty y/km/SoH, price EUR)
_TABLE = {
    "bolt_ev_2020": (
        "Chevrolet",
        "Bolt EV",
        2020,
        "NMC",
        "gm",
        96,
        3,
        62.9,
        7.2,
        55.0,
        (
            (0, 1.0),
            (50, 1.0),
            (53, 0.70),
            (70, 0.68),
            (73, 0.45),
            (85, 0.42),
            (90, 0.2),
            (100, 0.05),
        ),
        False,
        False,
        False,
        0.0,
        8,
        160_000,
        60.0,
        38_000.0,
    ),
    "id3_pure_2020": (
        "Volkswagen",
        "ID.3",
        2020,
        "NMC",
        "vw_meb",
        96,
        2,
        64.2,
        11.0,
        50.0,
        ((0, 1.0), (55, 1.0), (80, 0.62), (90, 0.3), (100, 0.08)),
        False,
        False,
        True,
        1.5,
        8,
        160_000,
        70.0,
        33_000.0,
    ),
    "model3_srp_lfp_2021": (
        "Tesla",
        "Model 3 Standard Range Plus RWD",
        2020,
        "LFP",
        "demo",
        106,
        1,
        161.0,
        11.0,
        170.0,
        ((0, 0.85), (10, 1.0), (35, 1.0), (55, 0.62), (75, 0.38), (90, 0.2), (100, 0.06)),
        True,
        True,
        True,
        -1.0,
        8,
        160_000,
        70.0,
        42_000.0,
    ),
    "model3_lr_2020": (
        "Tesla",
        "Model 3 Long Range AWD",
        2020,
        "NCA",
        "demo",
        96,
        46,
        5.0,
        11.0,
        250.0,
        ((0, 0.8), (8, 1.0), (28, 1.0), (50, 0.6), (70, 0.4), (80, 0.3), (90, 0.17), (100, 0.05)),
        True,
        True,
        True,
        2.0,
        8,
        192_000,
        70.0,
        50_000.0,
    ),
    "kona_64_2020": (
        "Hyundai",
        "KONA Electric 64 kWh",
        2020,
        "NMC",
        "demo",
        98,
        2,
        90.0,
        7.2,
        77.0,
        ((0, 1.0), (75, 1.0), (78, 0.55), (92, 0.35), (100, 0.06)),
        False,
        False,
        False,
        0.0,
        8,
        160_000,
        70.0,
        40_000.0,
    ),
}
MODEL_KEYS: tuple[str, ...] = tuple(_TABLE)


def _spec(make: str, model: str, year: int) -> dict[str, float]:
    tree = evspecs()
    years = tree[make][model]
    entry = years.get(str(year)) or years[sorted(years)[-1]]
    return {k: v["value"] for k, v in entry.items()}


@lru_cache(maxsize=1)
def vehicle_models() -> dict[str, VehicleModel]:
    """All fleet models keyed by their short key (built from evspecs.json on first use)."""
    out: dict[str, VehicleModel] = {}
    for key, row in _TABLE.items():
        make, model, year, chem, layout, ns, np_, cell_ah, obc, dc, taper = row[:11]
        hp, pre, bms_soh, bias, w_y, w_km, w_soh, price = row[11:]
        spec = _spec(make, model, year)
        width = float(spec.get("width") or 1.8)
        height = float(spec.get("height") or 1.5)
        area = float(spec.get("front_area") or 0.0)
        if not area or area > 2.6:
            area = 0.84 * width * height
        cap_kwh = round(ns * np_ * cell_ah * {"NMC": 3.65, "NCA": 3.6, "LFP": 3.2}[chem] / 1000, 1)
        out[key] = VehicleModel(
            key=key,
            make=make,
            model=model,
            model_year=int(year) + (1 if key.endswith("lfp_2021") else 0),
            chemistry=chem,
            layout=layout,
            nominal_capacity_kwh=cap_kwh,
            cells_series=ns,
            cells_parallel=np_,
            cell_capacity_ah=cell_ah,
            curb_mass_kg=float(spec.get("curb_weight") or 1700.0),
            drag_coeff=float(spec.get("drag_coeff") or 0.28),
            frontal_area_m2=round(area, 3),
            motor_power_kw=float(spec.get("power") or 150.0),
            onboard_charger_kw=obc,
            dc_peak_kw=dc,
            dc_taper=taper,
            heat_pump=hp,
            precondition_dc=pre,
            bms_reports_soh=bms_soh,
            bms_soh_bias_pct=bias,
            warranty_years=w_y,
            warranty_km=w_km,
            warranty_soh_pct=w_soh,
            price_new_eur=price,
            pack_mass_kg=float(spec.get("weight") or cap_kwh * 6.5),
        )
    return out
