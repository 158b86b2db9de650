"""Data quality per vehicle: coverage, gaps, sampling, stuck sensors, clock jumps, rollbacks.

Results go to ``quality_vehicles``, ``quality_signals`` and ``quality_events`` (migration
0002); later stages read them to decide what to trust and reports show them.
"""

from analytics.quality.report import VehicleQuality, format_report, vehicle_quality
from analytics.quality.stage import run_stage

__all__ = ["VehicleQuality", "format_report", "run_stage", "vehicle_quality"]
