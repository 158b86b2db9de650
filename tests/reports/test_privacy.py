"""Pseudonymous ids, no location and no sub-day times unless asked for."""

from __future__ import annotations

import json
import re

from analytics.reports.build import build_report
from analytics.reports.privacy import load_key, pseudonymise
from tests.reports.conftest import LONG, TEST_KEY

KEY = TEST_KEY.encode()


def test_pseudonym_is_keyed_and_stable():
    assert pseudonymise("V1", KEY) == pseudonymise("V1", KEY)
    assert pseudonymise("V1", KEY) != pseudonymise("V1", b"other-key-0123456789")
    assert pseudonymise("V1", KEY) != pseudonymise("V2", KEY)


def test_default_report_hides_identity_location_and_times(ro):
    vin = ro.con.sql(
        "SELECT vin FROM vehicles WHERE vehicle_id = $v", params={"v": LONG}
    ).fetchall()[0][0]
    for kind in ("finance", "insurance", "utility"):
        text = json.dumps(build_report(ro, LONG, kind, key=KEY))
        assert LONG not in text and vin not in text
        assert "latitude" not in text and "longitude" not in text
        assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", text)  # nothing finer than a day


def test_reveal_and_include_location_on_request(ro):
    report = build_report(ro, LONG, "utility", key=KEY, reveal_vin=True, include_location=True)
    assert report["vehicle"]["id"] == LONG and report["vehicle"]["vin"]
    trace = report["sections"]["location_trace"]["charge_sessions"]
    assert trace and trace[0]["latitude"] is not None and "T" in trace[0]["start"]


def test_pseudonym_resolves_back_with_the_key(ro):
    alias = pseudonymise(LONG, KEY)
    assert build_report(ro, alias, "finance", key=KEY)["vehicle"]["id"] == alias


def test_key_file_is_created_once_and_reused(tmp_path, monkeypatch):
    monkeypatch.delenv("ANALYTICS_REPORT_KEY", raising=False)
    monkeypatch.delenv("ANALYTICS_REPORT_KEY_FILE", raising=False)
    key1, where = load_key(tmp_path / "wh.duckdb")
    key2, _ = load_key(tmp_path / "wh.duckdb")
    assert key1 == key2 and where.endswith("report.key")
    assert (tmp_path / "report.key").stat().st_mode & 0o077 == 0
