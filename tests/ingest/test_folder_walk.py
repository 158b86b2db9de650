"""A folder walk skips what holds no telemetry, with a note, instead of failing on it."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import polars as pl

from analytics.ingest import ingest_paths


def _sim_folder(tmp_path, generator: str = "analytics.simulate"):
    out = tmp_path / "sim"
    (out / "exports" / "long_csv").mkdir(parents=True)
    (out / "truth").mkdir()
    (out / "exports" / "long_csv" / "V1.csv").write_text(
        "vehicle_id,ts,signal,value\nV1,2024-01-01T00:00:00Z,speed,10\n"
    )
    pl.DataFrame({"vehicle_id": ["V1"], "capacity_ah": [100.0]}).write_parquet(
        out / "truth" / "vehicles.parquet"
    )
    pl.DataFrame({"vehicle_id": ["V1"], "date": [datetime(2024, 1, 1, tzinfo=UTC)]}).write_parquet(
        out / "truth" / "vehicle_days.parquet"
    )
    manifest = {"generator": generator, "seed": 1, "truth": ["truth/vehicles.parquet"]}
    (out / "manifest.json").write_text(json.dumps(manifest))
    return out


def test_simulator_manifest_and_truth_are_skipped_not_failed(wh, tmp_path):
    out = _sim_folder(tmp_path)
    results = ingest_paths(wh, [out], show_progress=False, workers=1)
    by_name = {r.path.rsplit("/", 1)[-1]: r for r in results}
    assert by_name["V1.csv"].status == "ok"
    for name in ("manifest.json", "vehicles.parquet"):
        assert by_name[name].status == "skipped"
        assert "not telemetry" in by_name[name].summary()
    # a file the manifest does not list as truth is still reported
    assert by_name["vehicle_days.parquet"].status == "failed"
    assert wh.one("SELECT count(*) FROM sources WHERE status = 'failed'")[0] == 1
    assert wh.one("SELECT count(*) FROM sources")[0] == 2


def test_other_manifests_and_named_files_are_not_skipped(wh, tmp_path):
    out = _sim_folder(tmp_path, generator="someone else")
    results = ingest_paths(wh, [out], show_progress=False, workers=1)
    assert {r.status for r in results if r.path.endswith("manifest.json")} == {"failed"}
    named = _sim_folder(tmp_path / "again") / "manifest.json"
    (res,) = ingest_paths(wh, [named], show_progress=False, workers=1)
    assert res.status == "failed"
