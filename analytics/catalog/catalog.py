"""The signal catalog: every signal the project understands, named by its COVESA VSS path.

The catalog is a data file (``signals.csv`` beside this module). Each row gives the VSS path,
a short snake_case key with the unit in its name, the canonical unit, the sign convention,
the valid range, and the DIMO telemetry alias (DIMO flattens VSS paths into lowerCamelCase;
``dimo_status`` says whether DIMO publishes the alias or it follows the same rule for a signal
DIMO does not list, and ``dimo_unit`` gives the unit DIMO reports it in).
"""

from __future__ import annotations

import csv
import difflib
import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

from analytics.catalog.units import canonical_unit
from analytics.errors import CatalogError

__all__ = ["Catalog", "Signal", "load_catalog"]


@dataclass(frozen=True, slots=True)
class Signal:
    """One catalog signal."""

    path: str
    key: str
    unit: str
    sign: str
    min: float
    max: float
    dimo_alias: str
    dimo_unit: str
    dimo_status: str
    description: str

    def in_range(self, value: float) -> bool:
        """True when ``value`` lies inside the signal's valid range."""
        return self.min <= value <= self.max and not math.isnan(value)


class Catalog:
    """Look-ups over the catalog by VSS path, DIMO alias or key."""

    def __init__(self, signals: tuple[Signal, ...]) -> None:
        self.signals = signals
        self._by_name: dict[str, Signal] = {}
        for sig in signals:
            for name in (sig.path, sig.dimo_alias, sig.key):
                if name in self._by_name and self._by_name[name] is not sig:
                    raise CatalogError(f"catalog name {name!r} is used by two signals")
                self._by_name[name] = sig

    def __len__(self) -> int:
        return len(self.signals)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.signals)

    def __contains__(self, name: object) -> bool:
        return name in self._by_name

    @property
    def paths(self) -> tuple[str, ...]:
        return tuple(s.path for s in self.signals)

    def find(self, name: str) -> Signal | None:
        """Return the signal named by path, DIMO alias or key, or ``None``."""
        return self._by_name.get(name)

    def get(self, name: str) -> Signal:
        """Return the signal named by path, DIMO alias or key.

        Raises :class:`CatalogError` listing close matches when the name is unknown.
        """
        sig = self._by_name.get(name)
        if sig is None:
            raise CatalogError(self.unknown_message(name))
        return sig

    def path(self, name: str) -> str:
        """Return the VSS path for a path, DIMO alias or key."""
        return self.get(name).path

    def close_matches(self, name: str, n: int = 3) -> list[str]:
        """Catalog names that look like ``name`` (for error messages)."""
        return difflib.get_close_matches(name, list(self._by_name), n=n, cutoff=0.6)

    def unknown_message(self, name: str) -> str:
        """The error message for an unknown signal name."""
        close = self.close_matches(name)
        hint = f"; did you mean {', '.join(close)}?" if close else ""
        return (
            f"unknown signal {name!r}{hint} Use a VSS path or DIMO alias from the catalog "
            "(`analytics info --catalog` lists them)."
        )


def _parse_row(row: dict[str, str]) -> Signal:
    return Signal(
        path=row["path"],
        key=row["key"],
        unit=canonical_unit(row["unit"]),
        sign=row["sign"],
        min=float(row["min"]),
        max=float(row["max"]),
        dimo_alias=row["dimo_alias"],
        dimo_unit=canonical_unit(row["dimo_unit"]),
        dimo_status=row["dimo_status"],
        description=row["description"],
    )


@cache
def load_catalog() -> Catalog:
    """Load the packaged catalog (cached)."""
    text = resources.files("analytics.catalog").joinpath("signals.csv").read_text("utf-8")
    rows = list(csv.DictReader(text.splitlines()))
    return Catalog(tuple(_parse_row(r) for r in rows))
