"""Regulatory and warranty SoH thresholds, as data (``data/thresholds.csv``), with sources.

Each threshold says: SoH must stay at or above ``soh_pct`` until the vehicle is ``years`` old
or has driven ``km``, whichever comes first. Regulations apply to every vehicle; a warranty
applies to its make (and model pattern, matched case-insensitively). A vehicle whose metadata
carries its own warranty terms (``vehicles.warranty_years/km/soh_pct``) gets those instead of
the make's table entry.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

__all__ = ["Threshold", "load_thresholds", "thresholds_for"]


@dataclass(frozen=True)
class Threshold:
    threshold_id: str
    kind: str  # regulation | warranty
    make: str
    model_pattern: str
    soh_pct: float
    years: float
    km: float
    source: str
    note: str = ""


@cache
def load_thresholds() -> tuple[Threshold, ...]:
    """Every threshold in the packaged data file."""
    text = (
        resources.files("analytics.forecast").joinpath("data", "thresholds.csv").read_text("utf-8")
    )
    return tuple(
        Threshold(
            r["threshold_id"],
            r["kind"],
            r["make"],
            r["model_pattern"],
            float(r["soh_pct"]),
            float(r["years"]),
            float(r["km"]),
            r["source"],
            r.get("note") or "",
        )
        for r in csv.DictReader(text.splitlines())
    )


def _norm(s: str | None) -> str:
    return (s or "").strip().lower()


def thresholds_for(
    make: str | None,
    model: str | None,
    *,
    warranty_years: float | None = None,
    warranty_km: float | None = None,
    warranty_soh_pct: float | None = None,
) -> list[Threshold]:
    """Regulations plus the one warranty that applies to this vehicle."""
    table = load_thresholds()
    out = [t for t in table if t.kind == "regulation"]
    if warranty_years and warranty_soh_pct:
        out.append(
            Threshold(
                "warranty_vehicle",
                "warranty",
                make or "",
                "",
                float(warranty_soh_pct),
                float(warranty_years),
                float(warranty_km or 1e12),
                "warranty terms in the vehicle's metadata (vehicles table)",
            )
        )
        return out
    mk, md = _norm(make), _norm(model)
    same_make = [t for t in table if t.kind == "warranty" and _norm(t.make) == mk and mk]
    chosen = next(
        (t for t in same_make if t.model_pattern and re.search(t.model_pattern, md, re.I)), None
    )
    chosen = chosen or next((t for t in same_make if not t.model_pattern), None)
    chosen = chosen or next(t for t in table if t.make == "*")
    out.append(chosen)
    return out
