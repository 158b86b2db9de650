"""Which capacity a vehicle's state of health is measured against, and where it came from.

Order of preference, never a silent guess:

1. ``nominal`` — rated capacity from the vehicle's metadata;
2. ``spec_table`` — the packaged spec table, looked up by make/model/year;
3. ``first_observed`` — the first well-observed capacity of the vehicle itself (supplied by the
   SoH stage); SoH is then relative to the car's own early life, and labelled so.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from analytics.specs.table import lookup

__all__ = ["CapacityReference", "reference_capacity", "resolve_reference"]


@dataclass(frozen=True)
class CapacityReference:
    """The reference capacity of one vehicle and its provenance."""

    kind: str | None  # nominal | spec_table | first_observed | None (nothing known yet)
    capacity_ah: float | None
    capacity_kwh: float | None
    nominal_voltage_v: float | None = None
    chemistry: str | None = None
    note: str = ""


def resolve_reference(
    meta: dict[str, Any] | None,
    *,
    first_observed_ah: float | None = None,
    first_observed_kwh: float | None = None,
) -> CapacityReference:
    """Reference from a ``vehicles`` row (or None) and, failing all else, the first observation."""
    meta = meta or {}
    kwh, ah, volts = (
        meta.get("nominal_capacity_kwh"),
        meta.get("nominal_capacity_ah"),
        meta.get("nominal_voltage_v"),
    )
    if ah is None and kwh and volts:
        ah = kwh * 1000.0 / volts
    if kwh is None and ah and volts:
        kwh = ah * volts / 1000.0
    if ah or kwh:
        kind = meta.get("capacity_reference") or "nominal"
        note = (
            "rated capacity from the vehicle metadata"
            if kind == "nominal"
            else ("capacity from the packaged spec table")
        )
        return CapacityReference(kind, ah, kwh, volts, meta.get("chemistry"), note)
    spec = lookup(meta.get("make"), meta.get("model"), meta.get("model_year"))
    if spec is not None:
        return CapacityReference(
            "spec_table",
            spec["nominal_ah"],
            spec["nominal_gross_kwh"],
            spec["nominal_voltage_v"],
            meta.get("chemistry") or spec["chemistry"],
            f"spec table: {spec['make']} {spec['model']} {spec['model_year']} ({spec['match']})",
        )
    if first_observed_ah or first_observed_kwh:
        return CapacityReference(
            "first_observed",
            first_observed_ah,
            first_observed_kwh,
            volts,
            meta.get("chemistry"),
            "no rated capacity known: SoH is relative to the first well-observed capacity",
        )
    return CapacityReference(
        None,
        None,
        None,
        volts,
        meta.get("chemistry"),
        "no rated capacity known and none observed yet",
    )


def reference_capacity(
    wh: Any,
    vehicle_id: str,
    *,
    first_observed_ah: float | None = None,
    first_observed_kwh: float | None = None,
) -> CapacityReference:
    """:func:`resolve_reference` for the vehicle's row in the warehouse's ``vehicles`` table."""
    frame = wh.sql("SELECT * FROM vehicles WHERE vehicle_id = ?", [vehicle_id])
    meta = frame.row(0, named=True) if frame.height else None
    return resolve_reference(
        meta, first_observed_ah=first_observed_ah, first_observed_kwh=first_observed_kwh
    )
