"""Fixtures for the CAN tests: a small synthetic vehicle frame and the frames encoded from it."""

from __future__ import annotations

import pytest
from can_highres import synthetic_highres


@pytest.fixture(scope="session")
def highres():
    """Ten minutes of a plausible 1 Hz vehicle frame (drive, then charge)."""
    return synthetic_highres(600)


@pytest.fixture(scope="session")
def demo_frames(highres):
    """The demo layout's frames for ``highres`` (Frames, notes, per-bus FD flags)."""
    from analytics.can.encode import build_frames

    return build_frames(highres, "demo", seed=3)
