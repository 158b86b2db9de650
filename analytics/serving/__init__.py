"""Serving snapshots: what the app and notebooks read while batch jobs write."""

from analytics.serving.snapshot import (
    KEEP_VERSIONS,
    SnapshotInfo,
    current_snapshot,
    open_serving,
    publish_snapshot,
    serving_dir,
    snapshot_history,
)

__all__ = [
    "KEEP_VERSIONS",
    "SnapshotInfo",
    "current_snapshot",
    "open_serving",
    "publish_snapshot",
    "serving_dir",
    "snapshot_history",
]
