"""Column maps: how a wide export's columns become catalog signals (data files, not code).

A map is a JSON file::

    {"name": "...", "description": "...", "source": "where the layout is documented",
     "timestamp": {"column": "Date", "format": "iso8601", "timezone": "required"},
     "vehicle": {"column": "vehicle_id"},              # optional
     "columns": [{"column": "odometer", "signal": "Vehicle.TraveledDistance",
                  "unit": "mi", "scale": 1.0, "sign": 1,
                  "values": {"True": 1, "False": 0}}]}  # values: optional text -> number

``value_catalog = raw * scale * sign`` converted from ``unit`` to the catalog unit.
``timestamp.format`` is ``iso8601`` (offset honoured), ``epoch_ms``, ``epoch_s`` or a
``strptime`` pattern; ``timezone`` is ``null`` (times must carry an offset), an IANA zone for
naive local times, or ``"required"`` (the user names it: ``--column-map teslafi@Europe/Berlin``).
Maps shipped with the package live in ``maps/`` beside this module and are named by file stem.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from analytics.catalog import canonical_unit, conversion, load_catalog
from analytics.errors import AnalyticsError, FormatError

__all__ = ["ColumnEntry", "ColumnMap", "load_column_map", "match_column_map", "shipped_maps"]


@dataclass(frozen=True)
class ColumnEntry:
    """One mapped column: where its values go and how they are scaled."""

    column: str
    signal: str  # VSS path
    unit: str  # canonical spelling of the column's unit
    scale: float = 1.0
    sign: float = 1.0
    values: dict[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class ColumnMap:
    """A wide layout: its time and vehicle columns and the mapped signal columns."""

    name: str
    ts_column: str
    ts_format: str = "iso8601"
    timezone: str | None = None
    vehicle_column: str | None = None
    entries: tuple[ColumnEntry, ...] = ()
    description: str = ""

    @property
    def columns(self) -> set[str]:
        return {e.column for e in self.entries}

    def with_timezone(self, tz: str) -> ColumnMap:
        return ColumnMap(
            self.name,
            self.ts_column,
            self.ts_format,
            tz,
            self.vehicle_column,
            self.entries,
            self.description,
        )


def _parse(doc: dict[str, Any], origin: str) -> ColumnMap:
    cat = load_catalog()
    try:
        ts = doc["timestamp"]
        entries = []
        for i, e in enumerate(doc["columns"]):
            sig = cat.find(e["signal"])
            if sig is None:
                raise FormatError(
                    f"column map {origin}, entry {i} ({e.get('column')!r}): "
                    + cat.unknown_message(e["signal"])
                )
            unit = canonical_unit(e.get("unit") or sig.unit)
            conversion(unit, sig.unit)  # raises when the unit measures something else
            sign = float(e.get("sign", 1))
            if sign not in (1.0, -1.0):
                raise FormatError(f"column map {origin}: sign of {e['column']!r} must be 1 or -1")
            values = {str(k): float(v) for k, v in (e.get("values") or {}).items()}
            entries.append(
                ColumnEntry(
                    str(e["column"]), sig.path, unit, float(e.get("scale", 1.0)), sign, values
                )
            )
        vehicle = (doc.get("vehicle") or {}).get("column")
        return ColumnMap(
            name=str(doc.get("name") or origin),
            ts_column=str(ts["column"]),
            ts_format=str(ts.get("format") or "iso8601"),
            timezone=ts.get("timezone"),
            vehicle_column=vehicle,
            entries=tuple(entries),
            description=str(doc.get("description", "")),
        )
    except FormatError:
        raise
    except AnalyticsError as exc:
        raise FormatError(f"column map {origin}: {exc}") from exc
    except (KeyError, TypeError, ValueError) as exc:
        raise FormatError(
            f"column map {origin} is malformed ({exc!r}); it needs timestamp.column and a "
            "columns list of {column, signal, unit, scale, sign} (see docs/exports.md)"
        ) from exc


@cache
def shipped_maps() -> dict[str, ColumnMap]:
    """The maps shipped with the package, by name."""
    out: dict[str, ColumnMap] = {}
    folder = resources.files("analytics.ingest.exports").joinpath("maps")
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".json"):
            out[item.name[:-5]] = _parse(json.loads(item.read_text("utf-8")), item.name)
    return out


def load_column_map(spec: str) -> ColumnMap:
    """A map from ``NAME_OR_FILE[@TIMEZONE]`` (a shipped map name or a JSON file)."""
    name, _, tz = spec.partition("@")
    maps = shipped_maps()
    if name in maps:
        cmap = maps[name]
    else:
        path = Path(name)
        if not path.is_file():
            raise FormatError(
                f"no column map {name!r}: give a JSON file or one of {', '.join(sorted(maps))}"
            )
        try:
            doc = json.loads(path.read_text("utf-8"))
        except (OSError, json.JSONDecodeError) as exc:
            raise FormatError(f"cannot read column map {path}: {exc}") from exc
        cmap = _parse(doc, str(path))
    return cmap.with_timezone(tz) if tz else cmap


def match_column_map(header: list[str]) -> ColumnMap | None:
    """The shipped map that best fits ``header``: its time column present, and at least half
    of the map's columns in the file or half of the file's columns in the map."""
    cols = set(header)
    best, best_score = None, 0.0
    for cmap in shipped_maps().values():
        if cmap.ts_column not in cols:
            continue
        mapped = cmap.columns
        data_cols = cols - {cmap.ts_column, cmap.vehicle_column}
        hit = len(mapped & cols)
        score = max(hit / max(len(mapped), 1), hit / max(len(data_cols), 1)) if hit else 0.0
        if score >= 0.5 and score > best_score:
            best, best_score = cmap, score
    return best
