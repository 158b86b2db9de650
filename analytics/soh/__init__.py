"""State of health: charge counting, OCV, BMS values and resistance, fused with uncertainty."""

from analytics.soh.config import METHODS, REFERENCE_TEMP_C, SohConfig
from analytics.soh.estimate import soh_for_vehicle
from analytics.soh.fusion import FusionModel, FusionResult, fuse
from analytics.soh.reference import VehicleRef, vehicle_reference
from analytics.soh.stage import run_stage

__all__ = [
    "METHODS",
    "REFERENCE_TEMP_C",
    "FusionModel",
    "FusionResult",
    "SohConfig",
    "VehicleRef",
    "fuse",
    "run_stage",
    "soh_for_vehicle",
    "vehicle_reference",
]
