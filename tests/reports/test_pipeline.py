"""Reports on a warehouse filled by the real pipeline stages from a tiny simulated fleet."""

from __future__ import annotations

from pathlib import Path

import pytest

from analytics.reports.build import KINDS, build_report
from analytics.reports.params import ReportParams
from analytics.reports.schema import validate_report
from analytics.reports.verify import verify_report

KEY = b"pipeline-test-key-0123456789"
TARIFF = Path(__file__).resolve().parents[2] / "data" / "tariffs" / "tou_ev_example.json"


@pytest.fixture(scope="module")
def pipeline_warehouse(tmp_path_factory):
    from analytics.pipeline import run_stages
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=3, days=40, seed=9101, workers=1))
    path = tmp_path_factory.mktemp("pipeline") / "warehouse.duckdb"
    with open_warehouse(path) as wh:
        load_fleet(wh, fleet)
        run_stages(wh, echo=lambda _: None)
    return path, fleet.vehicles["vehicle_id"].to_list()


def test_reports_from_the_real_pipeline(pipeline_warehouse):
    from analytics.warehouse import open_warehouse

    path, ids = pipeline_warehouse
    params = ReportParams(tariff=str(TARIFF) if TARIFF.is_file() else None)
    with open_warehouse(path, read_only=True) as wh:
        latest = wh.con.sql(
            "SELECT soh_pct FROM soh WHERE vehicle_id = $v AND soh_pct IS NOT NULL ORDER BY date DESC LIMIT 1",
            params={"v": ids[0]},
        ).fetchall()
        for kind in KINDS:
            report = build_report(wh, ids[0], kind, key=KEY, params=params)
            validate_report(report)
            soh = report["sections"]["state_of_health"]
            if latest:
                assert soh["capacity_soh"]["value"] == pytest.approx(latest[0][0], abs=0.006)
            # 40 days of data: never a confident certificate
            assert report["data_sufficiency"]["grade"] in {"D", "E"}
            res = verify_report(report, wh, KEY)
            assert res.ok, res.lines()
            for name, sec in report["sections"].items():
                assert sec["status"] in {"ok", "partial", "missing"}
                if sec["status"] != "ok":
                    assert sec["notes"], name
        if TARIFF.is_file():
            managed = build_report(wh, ids[0], "utility", key=KEY, params=params)["sections"][
                "managed_charging"
            ]
            if managed["status"] != "missing":
                assert managed["sessions_ended_short"] == 0
