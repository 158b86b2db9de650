"""``analytics decode`` and ``analytics dbc inspect`` from the command line."""

from __future__ import annotations

import polars as pl
from test_can_formats_contract import DEMO_DBC, write_log

from analytics.cli.main import main


def test_decode_writes_one_parquet_per_message(demo_frames, tmp_path, capsys):
    frames, _n, fd = demo_frames
    log = tmp_path / "v1.blf"
    write_log(frames, fd, log, "blf")
    out = tmp_path / "decoded"
    assert main(["decode", str(log), "--dbc", DEMO_DBC, "--out", str(out), "--quiet"]) == 0
    files = sorted(p.name for p in out.glob("*.parquet"))
    assert "BMS_CellVoltages.parquet" in files and "BMS_EnergyFD.parquet" in files
    cells = pl.read_parquet(out / "BMS_CellVoltages.parquet")
    assert cells.columns[:3] == ["ts", "channel", "CellGroup"]
    assert len(cells.columns) == 2 + 97
    assert cells["CellVoltage001"].null_count() == cells.height - (cells["CellGroup"] == 0).sum()
    pack = pl.read_parquet(out / "BMS_PackStatus.parquet")
    assert pack.columns == [
        "ts",
        "channel",
        "PackVoltage",
        "PackCurrent",
        "SocBms",
        "SocDisplayed",
        "PackStatusCounter",
    ]
    assert pack["ts"].dtype == pl.Datetime("us", "UTC")
    assert "frames/s" in capsys.readouterr().out


def test_dbc_inspect_lists_repairs_and_mapping(capsys):
    from analytics.can.encode import DBC_DIR

    assert main(["dbc", "inspect", str(DBC_DIR / "vw_meb.dbc")]) == 0
    out = capsys.readouterr().out
    assert "extended_id" in out and "signal map:" in out
    assert "Vehicle.Speed" in out
