"""The executor setting: parsing, precedence of option, environment and default."""

from __future__ import annotations

import pytest

from analytics.config import EXECUTOR_ENV, resolve_executor
from analytics.errors import ConfigError
from analytics.execute import ExecutorSpec, parse_executor


@pytest.mark.parametrize(
    ("text", "spec"),
    [
        ("local", ExecutorSpec("local")),
        ("processes", ExecutorSpec("processes")),
        ("processes=3", ExecutorSpec("processes", workers=3)),
        ("dask", ExecutorSpec("dask")),
        ("DASK=2", ExecutorSpec("dask", workers=2)),
        ("dask=tcp://10.0.0.5:8786", ExecutorSpec("dask", address="tcp://10.0.0.5:8786")),
        ("dask=scheduler:8786", ExecutorSpec("dask", address="tcp://scheduler:8786")),
    ],
)
def test_parse(text, spec):
    assert parse_executor(text) == spec


@pytest.mark.parametrize("text", ["spark", "local=2", "processes=0", "processes=x", ""])
def test_parse_rejects_with_a_hint(text):
    with pytest.raises(ConfigError, match=r"executor|processes|local"):
        parse_executor(text)


def test_option_then_environment_then_default(monkeypatch):
    monkeypatch.delenv(EXECUTOR_ENV, raising=False)
    assert resolve_executor(None) == ExecutorSpec("local")
    assert resolve_executor(None, default=None) is None
    monkeypatch.setenv(EXECUTOR_ENV, "processes=2")
    assert resolve_executor(None) == ExecutorSpec("processes", workers=2)
    assert resolve_executor("dask=tcp://h:1") == ExecutorSpec("dask", address="tcp://h:1")


def test_cli_reports_a_bad_executor(tmp_path, capsys):
    from analytics.cli.main import main

    code = main(["--warehouse", str(tmp_path / "w.duckdb"), "sessions", "--executor", "spark"])
    assert code == 2
    assert "unknown executor 'spark'" in capsys.readouterr().err
