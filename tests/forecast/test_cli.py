"""``analytics forecast`` end to end on a small warehouse file."""

from __future__ import annotations

from analytics.cli.main import main
from analytics.warehouse import open_warehouse


def test_cli_baseline_and_what_if(small_warehouse, tmp_path, capsys):
    path = tmp_path / "w.duckdb"
    with open_warehouse(path) as wh:
        for table in ("signals", "soh", "vehicles"):
            frame = small_warehouse.sql(f"SELECT * FROM {table}")
            wh.con.register("_x", frame.to_arrow())
            wh.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _x")
            wh.con.unregister("_x")
    rc = main(
        [
            "--warehouse",
            str(path),
            "forecast",
            "--km-per-year",
            "20000",
            "--show",
            "1",
            "--horizon-months",
            "30",
        ]
    )
    out = capsys.readouterr().out
    assert rc == 0 and "forecast: vehicles=4" in out and "soh_80" in out
    with open_warehouse(path, read_only=True) as wh:
        got = wh.sql("SELECT DISTINCT scenario FROM forecasts ORDER BY 1")["scenario"].to_list()
    assert got == ["baseline", "km_per_year_20000"]
    assert main(["--warehouse", str(path), "forecast", "--horizon-months", "0"]) == 2
    assert "at least 1" in capsys.readouterr().err
