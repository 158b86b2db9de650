"""A small warehouse of derived tables shared by the report tests (built once per module)."""

from __future__ import annotations

import pytest

from analytics.reports.privacy import KEY_ENV

TEST_KEY = "test-key-0123456789abcdef"
LONG = "V0001"  # 400 days of data
SHORT = "V0005"  # one week of data


@pytest.fixture(scope="session")
def report_warehouse(tmp_path_factory):
    """Path of a file warehouse: 18 synthetic vehicles, 400 days each except one with 7."""
    from analytics.reports.synthetic import populate
    from analytics.warehouse import open_warehouse

    path = tmp_path_factory.mktemp("reports") / "warehouse.duckdb"
    with open_warehouse(path) as wh:
        populate(wh, vehicles=18, days=400, seed=3, short={5: 7})
    return path


@pytest.fixture
def key_env(monkeypatch):
    monkeypatch.setenv(KEY_ENV, TEST_KEY)
    return TEST_KEY.encode()


@pytest.fixture
def ro(report_warehouse):
    from analytics.warehouse import open_warehouse

    wh = open_warehouse(report_warehouse, read_only=True)
    yield wh
    wh.close()
