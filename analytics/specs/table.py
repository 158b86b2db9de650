"""Look up a make/model/year in the packaged EV spec table (``ev_specs.csv``).

Matching is deliberately conservative: names are compared case- and punctuation-insensitively;
a model name that is a prefix of several table models matches only when they all share one
pack; a missing or unlisted year takes the nearest listed year of that model only when the pack
did not change in between. Every result says how it matched, so callers can show it.
"""

from __future__ import annotations

import csv
import re
from functools import cache
from importlib import resources
from typing import Any

__all__ = ["lookup", "spec_rows"]

_MAKE_ALIASES = {"vw": "volkswagen", "chevy": "chevrolet", "mercedes": "mercedes benz"}
_PACK_KEYS = ("chemistry", "nominal_gross_kwh", "cells_series", "cells_parallel")
_INT = {"model_year", "cells_series", "cells_parallel", "num_cells"}
_FLOAT = {"nominal_gross_kwh", "nominal_usable_kwh", "nominal_ah", "nominal_voltage_v"}


def _norm(text: str | None) -> str:
    out = re.sub(r"[^a-z0-9.]+", " ", str(text or "").lower()).strip()
    return _MAKE_ALIASES.get(out, out)


def _typed(row: dict[str, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for k, v in row.items():
        if k in _INT:
            out[k] = int(v) if v else None
        elif k in _FLOAT:
            out[k] = float(v) if v else None
        else:
            out[k] = v
    return out


@cache
def spec_rows() -> tuple[dict[str, Any], ...]:
    """All rows of the packaged spec table, typed."""
    text = resources.files("analytics.specs").joinpath("ev_specs.csv").read_text("utf-8")
    return tuple(_typed(r) for r in csv.DictReader(text.splitlines()))


def _same_pack(rows: list[dict[str, Any]]) -> bool:
    return len({tuple(r[k] for k in _PACK_KEYS) for r in rows}) == 1


def lookup(make: str | None, model: str | None, model_year: int | None) -> dict[str, Any] | None:
    """Spec row for the vehicle, plus ``match`` (exact | nearest_year | model_family), or None."""
    if not make or not model:
        return None
    mk, md = _norm(make), _norm(model)
    rows = [r for r in spec_rows() if _norm(r["make"]) == mk and r["chemistry"] != "unknown"]
    same = [r for r in rows if _norm(r["model"]) == md]
    how = "exact"
    if not same:
        family = [r for r in rows if _norm(r["model"]).startswith(md + " ")]
        if not family:
            return None
        years = [r for r in family if r["model_year"] == model_year] or family
        if not _same_pack(years):
            return None
        same, how = family, "model_family"
    hit = [r for r in same if r["model_year"] == model_year]
    if not hit:
        if model_year is None:
            if not _same_pack(same):
                return None
            hit = same
        else:
            gap = min(abs(r["model_year"] - model_year) for r in same)
            near = [r for r in same if abs(r["model_year"] - model_year) == gap]
            between = [r for r in same if abs(r["model_year"] - model_year) <= gap]
            if gap > 2 or not _same_pack(between):
                return None
            hit = near
        how = "nearest_year" if how == "exact" else how
    if not _same_pack(hit):
        return None
    out = dict(hit[0])
    out["match"] = how
    return out
