"""Fleet simulator with ground truth: physics, ageing, car-reported telemetry, every format.

Import cost is kept low: the public names load their modules on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__all__ = [
    "DEMO_CONFIG",
    "Fleet",
    "FleetConfig",
    "load_fleet",
    "plot_vehicle_week",
    "simulate_fleet",
    "write_outputs",
]

_WHERE = {
    "DEMO_CONFIG": "analytics.simulate.config",
    "FleetConfig": "analytics.simulate.config",
    "Fleet": "analytics.simulate.fleet",
    "simulate_fleet": "analytics.simulate.fleet",
    "write_outputs": "analytics.simulate.outputs",
    "load_fleet": "analytics.simulate.load",
    "plot_vehicle_week": "analytics.simulate.plot",
}

if TYPE_CHECKING:  # pragma: no cover
    from analytics.simulate.config import DEMO_CONFIG, FleetConfig
    from analytics.simulate.fleet import Fleet, simulate_fleet
    from analytics.simulate.load import load_fleet
    from analytics.simulate.outputs import write_outputs
    from analytics.simulate.plot import plot_vehicle_week


def __getattr__(name: str) -> Any:
    if name in _WHERE:
        import importlib

        return getattr(importlib.import_module(_WHERE[name]), name)
    raise AttributeError(f"module 'analytics.simulate' has no attribute {name!r}")
