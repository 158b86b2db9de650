"""verify accepts an untouched report and rejects one with any figure changed."""

from __future__ import annotations

import copy

import pytest

from analytics.reports.build import build_report
from analytics.reports.canonical import fingerprint
from analytics.reports.verify import verify_report
from tests.reports.conftest import LONG, TEST_KEY

KEY = TEST_KEY.encode()


@pytest.fixture(scope="module")
def finance(report_warehouse):
    from analytics.warehouse import open_warehouse

    with open_warehouse(report_warehouse, read_only=True) as wh:
        return build_report(wh, LONG, "finance", key=KEY)


def _numeric_paths(obj, path=()):
    if isinstance(obj, bool):
        return
    if isinstance(obj, int | float):
        yield path
    elif isinstance(obj, dict):
        for k, v in obj.items():
            if k != "fingerprint":
                yield from _numeric_paths(v, (*path, k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _numeric_paths(v, (*path, i))


def _set(obj, path, value):
    for p in path[:-1]:
        obj = obj[p]
    obj[path[-1]] = value


def _get(obj, path):
    for p in path:
        obj = obj[p]
    return obj


def test_untouched_report_verifies_offline_and_against_the_warehouse(finance, ro):
    offline = verify_report(finance)
    assert offline.ok and offline.recomputed is None
    full = verify_report(finance, ro, KEY)
    assert full.ok, full.lines()
    assert full.recomputed is True


def test_every_figure_changed_breaks_the_fingerprint(finance):
    paths = list(_numeric_paths(finance))
    assert len(paths) > 50
    for path in paths:
        bad = copy.deepcopy(finance)
        old = _get(bad, path)
        _set(bad, path, old + 1 if isinstance(old, int) else round(old + 0.01, 6))
        assert not verify_report(bad).ok, path


def test_tampered_and_resigned_report_is_caught_by_recomputing(finance, ro):
    bad = copy.deepcopy(finance)
    bad["sections"]["state_of_health"]["capacity_soh"]["value"] += 2.0
    bad["fingerprint"]["value"] = fingerprint(bad)
    assert verify_report(bad).fingerprint_ok  # a forger can recompute the hash ...
    res = verify_report(bad, ro, KEY)  # ... but not the warehouse
    assert not res.ok and res.recomputed is False
    assert any("capacity_soh.value" in d for d in res.differences)


def test_over_precise_value_is_flagged(finance):
    bad = copy.deepcopy(finance)
    bad["sections"]["state_of_health"]["capacity_soh"]["value"] += 1e-9
    res = verify_report(bad)
    assert not res.ok
    assert any("more decimals" in m for m in res.messages)


def test_wrong_key_cannot_recompute(finance, ro):
    res = verify_report(finance, ro, b"another-key-0123456789")
    assert res.recomputed is None and res.fingerprint_ok
    assert any("key" in m for m in res.messages)
