"""Units the catalog knows and the affine conversions between them.

Every unit belongs to one dimension and converts to that dimension's base unit as
``base = value * scale + offset``; converting between two units of one dimension goes
through the base. Spellings seen in real exports (``%``, ``°C``, ``degF``, ``kph``…) are
aliases of the canonical spelling.
"""

from __future__ import annotations

from dataclasses import dataclass

from analytics.errors import CatalogError

__all__ = ["UNITS", "Unit", "canonical_unit", "conversion"]


@dataclass(frozen=True, slots=True)
class Unit:
    """A unit: its canonical spelling, dimension and affine map to the dimension's base."""

    name: str
    dimension: str
    scale: float
    offset: float = 0.0


_DEFS: tuple[Unit, ...] = (
    Unit("percent", "ratio", 1.0),
    Unit("fraction", "ratio", 100.0),
    Unit("bool", "bool", 1.0),
    Unit("V", "voltage", 1.0),
    Unit("mV", "voltage", 1e-3),
    Unit("kV", "voltage", 1e3),
    Unit("A", "current", 1.0),
    Unit("mA", "current", 1e-3),
    Unit("W", "power", 1.0),
    Unit("kW", "power", 1e3),
    Unit("MW", "power", 1e6),
    Unit("Wh", "energy", 1e-3),
    Unit("kWh", "energy", 1.0),
    Unit("MWh", "energy", 1e3),
    Unit("J", "energy", 1.0 / 3.6e6),
    Unit("Ah", "charge", 1.0),
    Unit("mAh", "charge", 1e-3),
    Unit("C", "charge", 1.0 / 3600.0),
    Unit("celsius", "temperature", 1.0),
    Unit("fahrenheit", "temperature", 5.0 / 9.0, -32.0 * 5.0 / 9.0),
    Unit("K", "temperature", 1.0, -273.15),
    Unit("m", "length", 1.0),
    Unit("km", "length", 1e3),
    Unit("mi", "length", 1609.344),
    Unit("km/h", "speed", 1.0),
    Unit("m/s", "speed", 3.6),
    Unit("mph", "speed", 1.609344),
    Unit("degrees", "angle", 1.0),
    Unit("s", "time", 1.0),
    Unit("min", "time", 60.0),
    Unit("h", "time", 3600.0),
)

UNITS: dict[str, Unit] = {u.name: u for u in _DEFS}

_ALIASES: dict[str, str] = {
    "%": "percent",
    "pct": "percent",
    "°c": "celsius",
    "degc": "celsius",
    "deg c": "celsius",
    "c": "celsius",
    "celsius": "celsius",
    "°f": "fahrenheit",
    "degf": "fahrenheit",
    "f": "fahrenheit",
    "kelvin": "K",
    "kph": "km/h",
    "kmh": "km/h",
    "km/hr": "km/h",
    "miles": "mi",
    "mile": "mi",
    "meter": "m",
    "meters": "m",
    "deg": "degrees",
    "degree": "degrees",
    "°": "degrees",
    "boolean": "bool",
    "": "",
}


def canonical_unit(name: str) -> str:
    """Return the canonical spelling of ``name``; raise :class:`CatalogError` if unknown."""
    if name in UNITS:
        return name
    key = name.strip()
    alias = _ALIASES.get(key.lower())
    if alias is not None and alias in UNITS:
        return alias
    for unit in UNITS:
        if unit.lower() == key.lower():
            return unit
    raise CatalogError(
        f"unknown unit {name!r}; known units: {', '.join(sorted(UNITS))} "
        "(or a common spelling such as %, °C, degF, kph)"
    )


def conversion(from_unit: str, to_unit: str) -> tuple[float, float]:
    """Return ``(scale, offset)`` so that ``to = from * scale + offset``.

    Raises :class:`CatalogError` when the units measure different things.
    """
    src = UNITS[canonical_unit(from_unit)]
    dst = UNITS[canonical_unit(to_unit)]
    if src.dimension != dst.dimension:
        raise CatalogError(
            f"cannot convert {src.name} ({src.dimension}) to {dst.name} ({dst.dimension}); "
            "check the unit given for this column or signal"
        )
    scale = src.scale / dst.scale
    offset = (src.offset - dst.offset) / dst.scale
    return scale, offset
