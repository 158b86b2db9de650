"""Signal maps: which DBC ``Message.Signal`` is which catalog signal, in which unit and sign.

A map is a CSV data file (``dbc/maps/<dbc stem>.csv`` is found automatically for a DBC),
``#`` starts a comment line. Columns:

``message``      DBC message name; shell wildcards allowed (``Battery_Module_*``)
``signal``       DBC signal name; wildcards allowed (``Voltage_*``)
``catalog``      catalog signal (VSS path, key or DIMO alias)
``unit``         unit of the DBC physical value (``V``, ``degC``, ``kph``, ``Wh``...)
``factor``       extra multiplier before unit conversion; ``-1`` flips the sign convention
``aggregate``    empty, or ``min``/``max``/``mean`` over every matching signal per window
                 (cell-level signals become pack-level min/max)
``window_s``     aggregation window in seconds (default 1)
``invalid_raw``  raw value meaning "not available" (such rows are dropped and counted)
``note``         free text: assumptions, saturation, provenance
"""

from __future__ import annotations

import csv
import fnmatch
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from analytics.can.decode import MessagePlan
from analytics.catalog import load_catalog
from analytics.catalog.units import conversion
from analytics.errors import ConfigError

__all__ = ["MapRow", "MappedSignal", "SignalMap", "default_map_path", "load_signal_map"]

_COLUMNS = (
    "message",
    "signal",
    "catalog",
    "unit",
    "factor",
    "aggregate",
    "window_s",
    "invalid_raw",
    "note",
)
MAPS_DIR = Path(__file__).resolve().parents[2] / "dbc" / "maps"


@dataclass(frozen=True)
class MapRow:
    """One row of a signal-map file."""

    message: str
    signal: str
    catalog: str  # VSS path
    key: str  # catalog key (the simulator's column name)
    unit: str
    factor: float
    aggregate: str
    window_s: float
    invalid_raw: int | None
    note: str
    line: int


@dataclass(frozen=True)
class MappedSignal:
    """A DBC signal bound to a catalog signal: ``catalog = dbc * scale + offset``."""

    message: str
    signal: str
    path: str
    key: str
    scale: float
    offset: float
    aggregate: str
    window_s: float
    invalid_phys: float | None


@dataclass
class SignalMap:
    """A parsed map file."""

    path: Path
    rows: list[MapRow]

    def bind(self, plans: dict[int, MessagePlan]) -> dict[int, list[MappedSignal]]:
        """Map rows resolved against a DBC's messages: frame id -> mapped signals."""
        out: dict[int, list[MappedSignal]] = {}
        for fid, plan in plans.items():
            for row in self.rows:
                if not fnmatch.fnmatchcase(plan.name, row.message):
                    continue
                scale_u, offset_u = conversion(row.unit, load_catalog().get(row.catalog).unit)
                for s in plan.signals:
                    if not fnmatch.fnmatchcase(s.name, row.signal):
                        continue
                    inv = None
                    if row.invalid_raw is not None:
                        inv = float(row.invalid_raw) * s.scale + s.offset
                    out.setdefault(fid, []).append(
                        MappedSignal(
                            plan.name,
                            s.name,
                            row.catalog,
                            row.key,
                            row.factor * scale_u,
                            offset_u,
                            row.aggregate,
                            row.window_s,
                            inv,
                        )
                    )
        return out

    def unmatched(self, plans: dict[int, MessagePlan]) -> list[MapRow]:
        """Rows that match no signal of the DBC (a map written for another DBC version)."""
        names = [(p.name, s.name) for p in plans.values() for s in p.signals]
        return [
            r
            for r in self.rows
            if not any(
                fnmatch.fnmatchcase(m, r.message) and fnmatch.fnmatchcase(s, r.signal)
                for m, s in names
            )
        ]


def default_map_path(dbc_path: Path) -> Path | None:
    """The map shipped for a DBC (same file stem), or ``None``."""
    for cand in (
        dbc_path.with_suffix(".csv"),
        dbc_path.parent / "maps" / f"{dbc_path.stem}.csv",
        MAPS_DIR / f"{dbc_path.stem}.csv",
    ):
        if cand.is_file():
            return cand
    return None


def _num(v: str, default: float, path: Path, line: int, col: str) -> float:
    if v is None or not v.strip():
        return default
    try:
        return float(v)
    except ValueError:
        raise ConfigError(f"{path} line {line}: column {col} is not a number: {v!r}") from None


def load_signal_map(path: str | Path) -> SignalMap:
    """Parse and validate a signal map (catalog names and units are checked)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read signal map {path}: {exc}") from exc
    lines = [
        (i, ln)
        for i, ln in enumerate(text.splitlines(), 1)
        if ln.strip() and not ln.lstrip().startswith("#")
    ]
    if not lines:
        raise ConfigError(f"{path}: empty signal map")
    reader = csv.DictReader([ln for _, ln in lines])
    missing = {"message", "signal", "catalog", "unit"} - set(reader.fieldnames or ())
    if missing:
        raise ConfigError(
            f"{path}: missing columns {sorted(missing)}; expected {', '.join(_COLUMNS)}"
        )
    cat = load_catalog()
    rows = []
    for (lineno, _), rec in zip(lines[1:], reader, strict=False):
        sig = cat.find(rec["catalog"].strip())
        if sig is None:
            raise ConfigError(f"{path} line {lineno}: unknown catalog signal {rec['catalog']!r}")
        agg = (rec.get("aggregate") or "").strip()
        if agg not in ("", "min", "max", "mean"):
            raise ConfigError(f"{path} line {lineno}: aggregate must be min, max, mean or empty")
        try:
            conversion(rec["unit"].strip(), sig.unit)
        except Exception as exc:
            raise ConfigError(f"{path} line {lineno}: {exc}") from exc
        inv = (rec.get("invalid_raw") or "").strip()
        rows.append(
            MapRow(
                rec["message"].strip(),
                rec["signal"].strip(),
                sig.path,
                sig.key,
                rec["unit"].strip(),
                _num(rec.get("factor"), 1.0, path, lineno, "factor"),
                agg,
                _num(rec.get("window_s"), 1.0, path, lineno, "window_s"),
                int(inv, 0) if inv else None,
                (rec.get("note") or "").strip(),
                lineno,
            )
        )
    return SignalMap(path, rows)


def to_catalog(values: np.ndarray, m: MappedSignal) -> np.ndarray:
    """DBC physical values to catalog units."""
    return values * m.scale + m.offset if (m.scale != 1.0 or m.offset != 0.0) else values
