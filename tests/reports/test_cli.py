"""`analytics report VEHICLE --kind K` and `analytics report verify FILE.json` share one parser."""

from __future__ import annotations

import json

from analytics.cli.main import main
from tests.reports.conftest import LONG


def test_issue_then_verify(report_warehouse, key_env, tmp_path, capsys):
    out = tmp_path / "r.json"
    assert (
        main(
            [
                "report",
                LONG,
                "--kind",
                "finance",
                "--warehouse",
                str(report_warehouse),
                "--out",
                str(out),
                "--book-value",
                "25000",
            ]
        )
        == 0
    )
    printed = capsys.readouterr().out
    report = json.loads(out.read_text())
    assert report["fingerprint"]["value"] in printed
    assert report["request"]["params"]["book_value_eur"] == 25000.0
    assert main(["report", "verify", str(out), "--warehouse", str(report_warehouse)]) == 0
    assert "figures       match the warehouse" in capsys.readouterr().out
    report["sections"]["cohort"]["percentile"]["value"] += 1
    out.write_text(json.dumps(report))
    assert main(["report", "verify", str(out), "--warehouse", str(report_warehouse)]) == 2
    captured = capsys.readouterr()
    assert "DOES NOT MATCH" in captured.out and "failed verification" in captured.err


def test_as_of_and_set(report_warehouse, key_env, tmp_path):
    out = tmp_path / "r.json"
    args = [
        "report",
        LONG,
        "--kind",
        "insurance",
        "--as-of",
        "2023-06-30",
        "--set",
        "policy_term_months=24",
        "--out",
        str(out),
    ]
    assert main([*args, "--warehouse", str(report_warehouse)]) == 0
    r = json.loads(out.read_text())
    assert (
        r["as_of"] == "2023-06-30"
        and r["sections"]["state_of_health"]["capacity_soh"]["date"] <= "2023-06-30"
    )
    assert r["sections"]["replacement_exposure"]["term_end"].startswith("2025-06")


def test_usage_errors(report_warehouse, key_env, capsys):
    w = ["--warehouse", str(report_warehouse)]
    assert main(["report", LONG, *w]) == 2
    assert "--kind" in capsys.readouterr().err
    assert main(["report", "verify", *w]) == 2
    assert main(["report", LONG, "--kind", "finance", "--as-of", "soon", *w]) == 2
    assert "not a date" in capsys.readouterr().err
    assert main(["report", LONG, "--kind", "finance", "--set", "nonsense=1", *w]) == 2


def test_issued_reports_are_logged_and_found_by_verify(tmp_path, key_env, capsys):
    from analytics.reports.synthetic import populate
    from analytics.warehouse import open_warehouse

    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as wh:
        populate(wh, vehicles=3, days=60, seed=1, with_signals=False)
    out = tmp_path / "r.json"
    assert (
        main(["report", "V0001", "--kind", "utility", "--warehouse", str(path), "--out", str(out)])
        == 0
    )
    assert (
        main(
            [
                "report",
                "V0002",
                "--kind",
                "utility",
                "--warehouse",
                str(path),
                "--out",
                str(tmp_path / "x.json"),
                "--no-log",
            ]
        )
        == 0
    )
    with open_warehouse(path, read_only=True) as wh:
        rows = wh.con.sql(
            "SELECT vehicle_id, vehicle_ref, kind, format FROM issued_reports"
        ).fetchall()
    assert len(rows) == 1 and rows[0][0] == "V0001" and rows[0][1].startswith("veh-")
    capsys.readouterr()
    assert main(["report", "verify", str(out), "--warehouse", str(path)]) == 0
    assert "issued by this warehouse" in capsys.readouterr().out
