"""Fixtures shared by the whole suite."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=30, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")


@pytest.fixture
def warehouse_path(tmp_path):
    """A path for a fresh warehouse file inside the test's temporary folder."""
    return tmp_path / "warehouse.duckdb"


@pytest.fixture
def memory_warehouse():
    """A migrated in-memory warehouse, closed after the test."""
    from analytics.warehouse import open_warehouse

    wh = open_warehouse(":memory:")
    yield wh
    wh.close()


@pytest.fixture
def copy_of(tmp_path):
    """Copy a warehouse file into this test's folder (same name); return the copy's path."""

    def _copy(path: Path) -> Path:
        target = tmp_path / Path(path).name
        shutil.copy(path, target)
        return target

    return _copy
