"""The research notebooks under notebooks/: stored without outputs, each opening with what it
shows and how long it takes, and each executing top to bottom on a small generated fleet.

One fleet (6 vehicles x 240 days, every chemistry) is simulated per test run, run through
every pipeline stage into a temporary warehouse and published as a serving snapshot, as
``analytics run`` leaves it. Each notebook then runs in a real kernel with its inputs pointed
there by environment variables; it must raise no error, draw its figures with plotly, and write
nothing next to the warehouse or the fleet (its own files go under the temporary folder).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOTLY_MIME = "application/vnd.plotly.v1+json"


def _read(path: Path):  # type: ignore[no-untyped-def]
    import nbformat

    return nbformat.read(path, as_version=4)


def _tree_state(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` with a hash of its bytes."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def _build_fleet(root: Path) -> None:
    from analytics.pipeline import run_stages
    from analytics.serving import publish_snapshot
    from analytics.simulate import FleetConfig, load_fleet, simulate_fleet, write_outputs
    from analytics.warehouse import open_warehouse

    fleet = simulate_fleet(FleetConfig(vehicles=6, days=240, seed=21, workers=1))
    write_outputs(fleet, root / "fleet", formats=[])  # metadata and truth files only
    warehouse = root / "data" / "warehouse.duckdb"
    warehouse.parent.mkdir(parents=True)
    with open_warehouse(warehouse) as wh:
        load_fleet(wh, fleet)
        run_stages(wh, echo=lambda _: None)
        publish_snapshot(wh)


@pytest.fixture(scope="module")
def research_fleet(tmp_path_factory):
    """A small simulated fleet with its truth, and a warehouse built from it by every stage.

    Built once per test run: parallel workers (pytest-xdist) share the folder of their run and
    wait on a lock for the first one to finish building it.
    """
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    root = shared / "research-fleet"
    with open(shared / "research-fleet.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if not (root / "ready").exists():
                shutil.rmtree(root, ignore_errors=True)
                _build_fleet(root)
                (root / "ready").touch()
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
    return root / "data" / "warehouse.duckdb", root / "fleet"


def test_there_are_the_five_notebooks():
    assert [p.name[:2] for p in NOTEBOOKS] == ["01", "02", "03", "04", "05"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_is_stored_without_outputs(path):
    nb = _read(path)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code, f"{path.name} has no code"
    assert all(not c.get("outputs") and c.get("execution_count") is None for c in code), (
        f"{path.name} is stored with outputs; clear them before committing"
    )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_opens_with_what_it_shows_and_how_long(path):
    first = _read(path).cells[0]
    assert first.cell_type == "markdown"
    assert "**What it shows.**" in first.source and "**How long it takes.**" in first.source


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(path, research_fleet, tmp_path, monkeypatch, record_property):
    from nbclient import NotebookClient

    warehouse, fleet_dir = research_fleet
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ANALYTICS_FLEET_DIR", str(fleet_dir))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's temporary folders land here
    for name in ("ANALYTICS_VEHICLE", "ANALYTICS_TARIFF", "ANALYTICS_BYOD_LOG"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    before = (
        _tree_state(warehouse.parent),
        _tree_state(fleet_dir),
        _tree_state(ROOT / "notebooks"),
    )

    nb = _read(path)
    t0 = time.perf_counter()
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    ).execute()
    seconds = time.perf_counter() - t0

    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert [o for o in outputs if o.get("output_type") == "error"] == []
    assert any(PLOTLY_MIME in o.get("data", {}) for o in outputs), "no plotly figure drawn"
    after = (_tree_state(warehouse.parent), _tree_state(fleet_dir), _tree_state(ROOT / "notebooks"))
    assert after == before, "the notebook wrote next to the warehouse, the fleet or itself"
    assert not list(work.iterdir()), "the notebook wrote into its working folder"
    record_property("seconds", round(seconds, 1))  # the header states the expected time
