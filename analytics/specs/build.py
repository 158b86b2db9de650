"""Build ``ev_specs.csv`` from ``evspecs.json`` and the curated pack configurations.

``evspecs.json`` (emobpy 0.6.2, MIT; copied in ``data/reference/``) gives each model-year's
headline battery capacity and cell count. ``pack_configs.csv`` adds what it lacks, from
manufacturer and teardown figures: chemistry, cells in series and parallel, gross and usable
energy. Derived: nominal voltage = series × the chemistry's nominal cell voltage (NMC 3.65 V,
NCA 3.6 V, LFP 3.2 V, LMO 3.75 V, LCO 3.7 V) and nominal Ah = gross kWh / nominal voltage.
Run ``python -m analytics.specs.build data/reference/evspecs.json`` after editing either input.
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

__all__ = ["CELL_NOMINAL_V", "build_rows", "main"]

CELL_NOMINAL_V = {"NMC": 3.65, "NCA": 3.6, "LFP": 3.2, "LMO": 3.75, "LCO": 3.7}
COLUMNS = (
    "make",
    "model",
    "model_year",
    "chemistry",
    "nominal_gross_kwh",
    "nominal_usable_kwh",
    "nominal_ah",
    "nominal_voltage_v",
    "cells_series",
    "cells_parallel",
    "num_cells",
    "source",
    "note",
)
_HERE = Path(__file__).parent


def _num(x: str) -> float | None:
    return float(x) if x not in ("", None) else None


def _configs() -> list[dict]:
    with open(_HERE / "pack_configs.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _config_for(configs: list[dict], make: str, model: str, year: int) -> dict | None:
    hits = [
        c
        for c in configs
        if c["make"] == make
        and model.startswith(c["model_prefix"])
        and int(c["year_from"]) <= year <= int(c["year_to"])
    ]
    return max(hits, key=lambda c: len(c["model_prefix"])) if hits else None


def _row(
    make: str,
    model: str,
    year: int,
    cap: float | None,
    cells: float | None,
    cfg: dict | None,
    source: str,
) -> dict:
    chem = cfg["chemistry"] if cfg else "unknown"
    series = int(cfg["cells_series"]) if cfg and cfg["cells_series"] else None
    parallel = int(cfg["cells_parallel"]) if cfg and cfg["cells_parallel"] else None
    if parallel is None and series and cells and cells % series == 0:
        parallel = int(cells // series)
    gross = _num(cfg["gross_kwh"]) if cfg and cfg["gross_kwh"] else cap
    volts = round(series * CELL_NOMINAL_V[chem], 1) if series and chem in CELL_NOMINAL_V else None
    return {
        "make": make,
        "model": model,
        "model_year": year,
        "chemistry": chem,
        "nominal_gross_kwh": gross,
        "nominal_usable_kwh": _num(cfg["usable_kwh"]) if cfg else None,
        "nominal_ah": round(gross * 1000 / volts, 1) if gross and volts else None,
        "nominal_voltage_v": volts,
        "cells_series": series,
        "cells_parallel": parallel,
        "num_cells": int(cells) if cells else (series * parallel if series and parallel else None),
        "source": source,
        "note": cfg["note"] if cfg else "",
    }


def build_rows(evspecs: dict) -> list[dict]:
    """One row per make/model/year of ``evspecs`` plus curated-only model-years."""
    configs = _configs()
    rows, seen = [], set()
    for make, models in evspecs.items():
        if make == "fallback_parameters":
            continue
        for model, years in models.items():
            for year_s, fields in years.items():
                year = int(year_s)
                cap = (fields.get("battery_cap") or {}).get("value")
                cells = (fields.get("num_cells") or {}).get("value")
                if cells is not None and cells < 50:  # a few entries swap cells and modules
                    cells = (fields.get("num_modules") or {}).get("value")
                cfg = _config_for(configs, make, model, year)
                rows.append(
                    _row(
                        make,
                        model,
                        year,
                        cap,
                        cells,
                        cfg,
                        "evspecs.json (emobpy) + pack_configs.csv",
                    )
                )
                seen.add((make, model, year))
    for c in configs:  # model-years the reference set lacks (e.g. LFP Model 3)
        for year in range(int(c["year_from"]), int(c["year_to"]) + 1):
            key = (c["make"], c["model_prefix"], year)
            if not any(s[0] == key[0] and s[1].startswith(key[1]) and s[2] == year for s in seen):
                rows.append(
                    _row(c["make"], c["model_prefix"], year, None, None, c, "pack_configs.csv")
                )
                seen.add(key)
    return sorted(rows, key=lambda r: (r["make"], r["model"], r["model_year"]))


def main(argv: list[str] | None = None) -> int:
    """Write ``ev_specs.csv`` beside this module from the given ``evspecs.json``."""
    args = argv if argv is not None else sys.argv[1:]
    src = Path(args[0] if args else "data/reference/evspecs.json")
    rows = build_rows(json.loads(src.read_text("utf-8")))
    with open(_HERE / "ev_specs.csv", "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=COLUMNS, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    print(f"wrote {len(rows)} rows to {_HERE / 'ev_specs.csv'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
