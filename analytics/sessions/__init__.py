"""Sessions: each vehicle's telemetry cut into drive, charge and park periods."""

from analytics.sessions.cut import CutConfig, SessionLabels, assign_sessions, classify_rows
from analytics.sessions.frame import KEYS, wide_frame
from analytics.sessions.stage import run_stage, sessions_for_vehicle

__all__ = [
    "KEYS",
    "CutConfig",
    "SessionLabels",
    "assign_sessions",
    "classify_rows",
    "run_stage",
    "sessions_for_vehicle",
    "wide_frame",
]
