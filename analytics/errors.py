"""The project's exception tree.

Every error the project raises on purpose derives from :class:`AnalyticsError`; the CLI turns
it into one line ``error: <message>`` and a non-zero exit, so messages say what to do next::

    AnalyticsError
    ├── ConfigError          bad option, missing file, unusable path
    ├── CatalogError         unknown signal or unit
    ├── WarehouseError       the DuckDB file
    │   ├── WarehouseLockedError   another process holds the write lock
    │   └── SchemaError            newer or damaged schema
    ├── SimulationError      fleet simulator
    ├── IngestError          reading telemetry files
    │   ├── FormatError            unrecognised or malformed input
    │   └── DbcError               DBC that cannot be loaded or does not match
    ├── DecodeError          CAN payload decoding
    ├── SessionError         cutting sessions
    ├── SohError             state-of-health estimation
    ├── ForecastError        degradation models and forecasts
    ├── ChargingError        charge-behaviour models
    └── ReportError          valuation reports
        └── VerificationError      a report that does not match its fingerprint or data
"""

from __future__ import annotations

__all__ = [
    "AnalyticsError",
    "CatalogError",
    "ChargingError",
    "ConfigError",
    "DbcError",
    "DecodeError",
    "ForecastError",
    "FormatError",
    "IngestError",
    "ReportError",
    "SchemaError",
    "SessionError",
    "SimulationError",
    "SohError",
    "VerificationError",
    "WarehouseError",
    "WarehouseLockedError",
]


class AnalyticsError(Exception):
    """Root of every error the project raises deliberately."""


class ConfigError(AnalyticsError):
    """A bad option, a missing input file or an unusable path."""


class CatalogError(AnalyticsError):
    """A signal name or unit that the catalog does not know."""


class WarehouseError(AnalyticsError):
    """The warehouse file cannot be opened, read or written."""


class WarehouseLockedError(WarehouseError):
    """Another process holds the warehouse's write lock."""


class SchemaError(WarehouseError):
    """The warehouse schema is newer than this package or inconsistent."""


class SimulationError(AnalyticsError):
    """The fleet simulator was given an impossible configuration."""


class IngestError(AnalyticsError):
    """A telemetry file could not be ingested."""


class FormatError(IngestError):
    """An input file whose format is unknown or malformed beyond recovery."""


class DbcError(IngestError):
    """A DBC file that cannot be loaded or does not match the log."""


class DecodeError(AnalyticsError):
    """A CAN payload that cannot be decoded with the given message layout."""


class SessionError(AnalyticsError):
    """Sessions cannot be cut from the available signals."""


class SohError(AnalyticsError):
    """State of health cannot be estimated."""


class ForecastError(AnalyticsError):
    """A degradation model cannot be fitted or applied."""


class ChargingError(AnalyticsError):
    """A charge-behaviour model cannot be built or simulated."""


class ReportError(AnalyticsError):
    """A report cannot be built or rendered."""


class VerificationError(ReportError):
    """A report whose fingerprint or figures do not match."""
