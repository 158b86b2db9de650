"""The capacity a vehicle's SoH is relative to, and how that reference was obtained.

Order: the rated capacity in ``vehicles`` (``nominal_capacity_ah``, else
``nominal_capacity_kwh / nominal_voltage_v``), labelled with the table's
``capacity_reference`` ('nominal', or 'spec_table' when ingest filled it from the packaged
spec table); failing that, the vehicle's first well-observed capacity (median of its first
five kept capacity observations), labelled 'first_observed'. Never a silent guess.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from analytics.chemistry import CHEMISTRIES

__all__ = ["VehicleRef", "first_observed_ah", "vehicle_reference"]

FIRST_OBSERVED_N = 5


@dataclass(frozen=True, slots=True)
class VehicleRef:
    """What the SoH of one vehicle is computed against."""

    vehicle_id: str
    chemistry: str  # upper-case family, or 'unknown'
    capacity_ah: float | None  # None -> first_observed, decided later
    reference: str  # nominal | spec_table | first_observed
    nominal_kwh: float | None
    usable_kwh: float | None
    nominal_voltage_v: float | None
    cells_series: float | None


def _num(row: dict[str, Any], key: str) -> float | None:
    v = row.get(key)
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) and f > 0 else None


def vehicle_reference(vehicle_id: str, row: dict[str, Any] | None) -> VehicleRef:
    """Reference capacity and pack facts of one vehicle from its ``vehicles`` row (or None)."""
    row = row or {}
    chem = str(row.get("chemistry") or "unknown").upper()
    if chem not in CHEMISTRIES:
        chem = "unknown"
    ah = _num(row, "nominal_capacity_ah")
    kwh = _num(row, "nominal_capacity_kwh")
    volt = _num(row, "nominal_voltage_v")
    if ah is None and kwh and volt:
        ah = kwh * 1000.0 / volt
    label = str(row.get("capacity_reference") or "nominal") if ah else "first_observed"
    if label not in ("nominal", "spec_table", "first_observed"):
        label = "nominal"
    series = _num(row, "cells_series")
    if series is None and volt and chem in CHEMISTRIES:
        series = float(round(volt / CHEMISTRIES[chem].nominal_cell_voltage_v))
    return VehicleRef(
        vehicle_id=vehicle_id,
        chemistry=chem,
        capacity_ah=ah,
        reference=label,
        nominal_kwh=kwh,
        usable_kwh=_num(row, "usable_capacity_kwh"),
        nominal_voltage_v=volt,
        cells_series=series,
    )


def first_observed_ah(values: np.ndarray) -> float | None:
    """Median of the first well-observed capacities (time-ordered, kept), or None."""
    v = values[np.isfinite(values)]
    if v.size < FIRST_OBSERVED_N:
        return None
    return float(np.median(v[:FIRST_OBSERVED_N]))
