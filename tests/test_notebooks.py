"""The research notebooks under notebooks/: stored without outputs, each opening with what it
shows and how long it takes, and each executing top to bottom on a small generated fleet.

One fleet (6 vehicles x 240 days, every chemistry) is simulated per test run, run through
every pipeline stage into a temporary warehouse and published as a serving snapshot, as
``analytics run`` leaves it. Each notebook then runs in a real kernel with its inputs pointed
at a copy of it by environment variables, while the test holds that copy open for writing as a
running batch job would (so reading the warehouse file instead of its snapshot fails); it must
raise no error, draw its figures with plotly, and write nothing next to the warehouse or the
fleet (its own files go under the temporary folder). Without the simulator's truth, 03 and 04
take their no-truth paths and 02 stops with a message naming the missing file.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import time
from dataclasses import dataclass
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


@pytest.mark.parametrize("path", NOTEBOOKS[:4], ids=[p.stem for p in NOTEBOOKS[:4]])
def test_notebook_never_opens_the_warehouse_file(path):
    """01-04 read through the serving snapshot: a reader of the live file, even read-only, makes
    a batch job starting meanwhile fail (05 writes a warehouse of its own)."""
    code = "\n".join(c.source for c in _read(path).cells if c.cell_type == "code")
    assert "open_serving(WAREHOUSE)" in code
    assert "open_warehouse" not in code


def _holds_write_lock(path: Path) -> bool:
    """Whether this process holds a POSIX write lock on ``path`` (Linux ``/proc/locks``), as a
    DuckDB writer does on its file. Reading the file from the same process, even once, drops the
    lock (POSIX locks go with any close of the file), so the tests never read it while held."""
    inode = str(path.stat().st_ino)
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "POSIX" in fields:
            i = fields.index("POSIX")
            mode, pid, device_inode = fields[i + 2], fields[i + 3], fields[i + 4]
            if (mode, pid, device_inode.split(":")[-1]) == ("WRITE", str(os.getpid()), inode):
                return True
    return False


@dataclass(frozen=True)
class BusyWarehouse:
    """A warehouse file held open for writing, and its folder's files from before."""

    path: Path
    files_before: dict[str, str]


@pytest.fixture
def busy_warehouse(research_fleet, tmp_path):
    """A copy of the research warehouse with its snapshots, held open for writing the way a
    running batch job holds it: a notebook that opened the warehouse file itself would fail."""
    from analytics.warehouse import open_warehouse

    if not Path("/proc/locks").is_file():
        pytest.skip("needs Linux /proc/locks to check that the warehouse is held")
    warehouse, _ = research_fleet
    data = tmp_path / "data"
    shutil.copytree(warehouse.parent, data)
    files_before = _tree_state(data)
    with open_warehouse(data / warehouse.name) as writer:
        assert _holds_write_lock(writer.path)
        yield BusyWarehouse(writer.path, files_before)


def _execute(path: Path, warehouse: Path, fleet_dir: Path, tmp_path: Path, monkeypatch):  # type: ignore[no-untyped-def]
    """Run the notebook top to bottom in a fresh kernel; returns it with its outputs and the
    error that stopped it (None when it ran through)."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ANALYTICS_FLEET_DIR", str(fleet_dir))
    monkeypatch.setenv("TMPDIR", str(tmp_path))  # the kernel's temporary folders land here
    for name in ("ANALYTICS_VEHICLE", "ANALYTICS_TARIFF", "ANALYTICS_BYOD_LOG"):
        monkeypatch.delenv(name, raising=False)
    work = tmp_path / "cwd"
    work.mkdir()
    nb = _read(path)
    client = NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(work)}}
    )
    error = None
    try:
        client.execute()
    except CellExecutionError as exc:
        error = exc
    assert not list(work.iterdir()), "the notebook wrote into its working folder"
    return nb, error


def _outputs(nb) -> list[dict]:  # type: ignore[no-untyped-def]
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]


def _text(outputs: list[dict]) -> str:
    return "\n".join(
        o.get("text", "") + o.get("data", {}).get("text/plain", "") + o.get("evalue", "")
        for o in outputs
    )


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_executes(
    path, busy_warehouse, research_fleet, tmp_path, monkeypatch, record_property
):
    _, fleet_dir = research_fleet
    before = (_tree_state(fleet_dir), _tree_state(ROOT / "notebooks"))
    t0 = time.perf_counter()
    nb, error = _execute(path, busy_warehouse.path, fleet_dir, tmp_path, monkeypatch)
    seconds = time.perf_counter() - t0

    assert error is None, str(error)
    assert _holds_write_lock(busy_warehouse.path), "the warehouse was not held throughout"
    outputs = _outputs(nb)
    assert any(PLOTLY_MIME in o.get("data", {}) for o in outputs), "no plotly figure drawn"
    after = (_tree_state(fleet_dir), _tree_state(ROOT / "notebooks"))
    assert after == before, "the notebook wrote into the fleet folder or into notebooks/"
    # read last: reading the warehouse file here releases the writer's lock
    assert _tree_state(busy_warehouse.path.parent) == busy_warehouse.files_before, (
        "the notebook wrote next to the warehouse"
    )
    record_property("seconds", round(seconds, 1))  # the header states the expected time


@pytest.mark.slow
@pytest.mark.parametrize(
    ("stem", "shown"),
    [
        ("03_degradation", "reference: the measured SoH (no truth in"),
        ("04_charging", "no simulator truth at ANALYTICS_FLEET_DIR; skipped"),
    ],
)
def test_notebook_runs_without_truth(stem, shown, busy_warehouse, tmp_path, monkeypatch):
    """On real data there is no simulator truth: 03 back-tests against the measured SoH and 04
    leaves out the comparison with the simulated archetypes, each saying so."""
    no_truth = tmp_path / "real-data"
    no_truth.mkdir()
    nb, error = _execute(
        ROOT / "notebooks" / f"{stem}.ipynb", busy_warehouse.path, no_truth, tmp_path, monkeypatch
    )

    assert error is None, str(error)
    assert _holds_write_lock(busy_warehouse.path), "the warehouse was not held throughout"
    outputs = _outputs(nb)
    assert any(PLOTLY_MIME in o.get("data", {}) for o in outputs), "no plotly figure drawn"
    assert shown in _text(outputs)
    assert not list(no_truth.iterdir())


@pytest.mark.slow
def test_soh_methods_stops_without_truth(busy_warehouse, tmp_path, monkeypatch):
    """02 compares with the simulator's truth and nothing else, so without it it stops at once
    with a message naming the missing file and what to set."""
    no_truth = tmp_path / "real-data"
    no_truth.mkdir()
    nb, error = _execute(
        ROOT / "notebooks" / "02_soh_methods.ipynb",
        busy_warehouse.path,
        no_truth,
        tmp_path,
        monkeypatch,
    )

    assert error is not None, "02 ran through without the truth"
    assert _holds_write_lock(busy_warehouse.path), "the warehouse was not held throughout"
    errors = [o for o in _outputs(nb) if o.get("output_type") == "error"]
    assert [o["ename"] for o in errors] == ["FileNotFoundError"]
    missing = str(no_truth / "truth" / "vehicle_days.parquet")
    assert missing in errors[0]["evalue"] and "ANALYTICS_FLEET_DIR" in errors[0]["evalue"]
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code[0].outputs == errors and not any(c.get("outputs") for c in code[1:])
