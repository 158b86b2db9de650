"""Battery intelligence workbench for electric vehicles.

Raw CAN logs and decoded telemetry exports go into a DuckDB warehouse; stages on top of it
compute sessions, state of health, degradation forecasts, charging models and reports.
Importing the package does no work: heavy libraries load when a stage is used.
"""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("ev-battery-analytics")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0+source"
