"""Signal catalog (VSS paths, units, ranges, DIMO aliases) and unit conversions."""

from analytics.catalog.catalog import Catalog, Signal, load_catalog
from analytics.catalog.units import UNITS, Unit, canonical_unit, conversion

__all__ = ["UNITS", "Catalog", "Signal", "Unit", "canonical_unit", "conversion", "load_catalog"]
