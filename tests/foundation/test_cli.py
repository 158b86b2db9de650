"""The CLI: help everywhere, one-line errors with non-zero exit, --debug tracebacks."""

from __future__ import annotations

import subprocess
import sys

import pytest

from analytics.cli.main import build_parser, main
from analytics.errors import WarehouseError


def _subcommands() -> list[str]:
    parser = build_parser()
    action = next(a for a in parser._actions if a.dest == "command")
    return sorted(action.choices)


def test_console_script_help_runs():
    out = subprocess.run(
        [sys.executable, "-m", "analytics.cli.main", "--help"], capture_output=True, text=True
    )
    assert out.returncode == 0
    assert "info" in out.stdout


@pytest.mark.parametrize("command", _subcommands())
def test_every_subcommand_has_help(command, capsys):
    with pytest.raises(SystemExit) as exc:
        main([command, "--help"])
    assert exc.value.code == 0
    assert "--warehouse" in capsys.readouterr().out


def test_info_on_missing_warehouse_is_one_line_error(tmp_path, capsys):
    code = main(["info", "--warehouse", str(tmp_path / "nope.duckdb")])
    err = capsys.readouterr().err
    assert code == 2
    assert err.startswith("error: no warehouse at")
    assert err.count("\n") == 1


def test_info_on_bad_file(tmp_path, capsys):
    bad = tmp_path / "bad.duckdb"
    bad.write_text("garbage" * 500)
    assert main(["--warehouse", str(bad), "info"]) == 2
    assert "not a DuckDB warehouse" in capsys.readouterr().err


def test_debug_shows_the_exception(tmp_path):
    with pytest.raises(WarehouseError):
        main(["--debug", "info", "--warehouse", str(tmp_path / "nope.duckdb")])


def test_environment_variable_selects_warehouse(tmp_path, monkeypatch, capsys):
    path = tmp_path / "env.duckdb"
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(path))
    assert main(["info", "--migrate"]) == 0
    out = capsys.readouterr().out
    assert str(path) in out and "schema version" in out


def test_info_lists_catalog(capsys):
    assert main(["info", "--catalog"]) == 0
    assert "powertrainTractionBatteryStateOfChargeCurrent" in capsys.readouterr().out
