"""The app in a real browser: a Streamlit server on a loopback port, driven by headless Chromium.

Checks what only a browser shows, on the small pipeline warehouse of ``conftest.py``: the
fleet page draws its metrics and a plotly chart, a vehicle page opened by its URL shows the
vehicle and its SoH, the finance report's "Download PDF" button delivers the PDF of the
report on the page (same fingerprint), and every page (and the page of a vehicle with almost
no data) draws without an exception box.
Screenshots of every page go to ``tests/artifacts/screenshots/`` (git-ignored;
``$ANALYTICS_SCREENSHOTS`` chooses another folder) so a person can look at what was drawn.

Needs Chromium (``bash scripts/browser.sh`` installs Debian's package, ``scripts/test.sh``
runs it). Without one the test is skipped, except in CI (``CI`` set, e.g. ``CI=true``),
where it fails.
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from .browser_util import app_server, browser_page, chromium_path, metric, screenshot, wait_drawn

pytestmark = pytest.mark.slow

PAGES = ["fleet", "vehicle", "finance", "insurance", "utility", "charging", "data"]
TITLES = [p.title() for p in PAGES]
SHOTS = Path(__file__).resolve().parents[1] / "artifacts" / "screenshots"


@pytest.fixture(scope="module")
def chromium():
    exe = chromium_path()
    if exe is None:
        how = "install it with `bash scripts/browser.sh` (Debian's chromium) or set ANALYTICS_CHROMIUM"
        if os.environ.get("CI", "").lower() not in ("", "0", "false"):
            pytest.fail(f"no Chromium for the browser test; {how}")
        pytest.skip(f"no Chromium for the browser test; {how}")
    return exe


@pytest.fixture(scope="module")
def served(tmp_path_factory, chromium, app_warehouse):
    """The app serving the small published pipeline warehouse (tests/app/conftest.py)."""
    log = tmp_path_factory.mktemp("browser") / "server.log"
    with app_server(app_warehouse["path"], log) as url:
        yield url, app_warehouse["vehicles"][0], app_warehouse["tiny"]


@pytest.fixture(scope="module")
def shots():
    folder = Path(os.environ.get("ANALYTICS_SCREENSHOTS") or SHOTS)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "failure.png").unlink(missing_ok=True)
    yield folder
    print(f"\nbrowser screenshots: {folder}")


def _no_failure_shown(page, where: str) -> None:
    boxes = page.get_by_test_id("stException")
    assert boxes.count() == 0, f"{where}: exception shown: {boxes.first.inner_text()[:500]}"
    errors = page.get_by_test_id("stAlertContentError")
    assert errors.count() == 0, f"{where}: error shown: {errors.first.inner_text()[:500]}"


@contextlib.contextmanager
def _shot_on_failure(page, path: Path):
    """On a failed check, save what the browser shows and say where."""
    try:
        yield
    except BaseException as exc:
        with contextlib.suppress(Exception):
            page.screenshot(path=str(path), full_page=True)
        exc.add_note(f"screenshot of the failure: {path}")
        raise


def test_app_in_a_real_browser(served, shots):
    url, vid, tiny = served
    with browser_page() as page, _shot_on_failure(page, shots / "failure.png"):
        # Fleet: the default page, also at /fleet
        page.goto(f"{url}/")
        metric(page, "Vehicles").wait_for()
        wait_drawn(page)
        screenshot(page, shots / "fleet.png")
        _no_failure_shown(page, "fleet page")
        nav = page.locator('[data-testid="stSidebarNavLink"], [data-testid="stTopNavLink"]')
        titles = {t.strip().split("\n")[-1] for t in nav.all_inner_texts()}  # after the icon
        assert set(TITLES) <= titles, f"navigation shows {sorted(titles)}"
        assert metric(page, "Vehicles").get_by_test_id("stMetricValue").inner_text().strip()
        charts = page.locator('[data-testid="stPlotlyChart"] .main-svg')
        assert charts.count() >= 1, "fleet page draws no plotly chart"
        assert charts.first.bounding_box()["height"] > 100

        # Vehicle, chosen by URL; the page knows its server's address, so the frontend asks
        # it first time (not /vehicle/_stcore/health, refused, then a 100 ms wait)
        asked: list[str] = []
        page.on("request", lambda r: asked.append(r.url))
        page.goto(f"{url}/vehicle?vehicle={vid}")
        metric(page, "SoH").wait_for()
        probes = [u for u in asked if "/_stcore/health" in u]
        assert probes == [f"{url}/_stcore/health"], probes
        wait_drawn(page)
        screenshot(page, shots / "vehicle.png")
        _no_failure_shown(page, "vehicle page")
        heading = page.locator("h1, h2, h3").filter(has_text=vid)
        assert heading.count() >= 1, f"no heading names {vid}"
        soh = metric(page, "SoH").get_by_test_id("stMetricValue").inner_text()
        assert "%" in soh, soh

        # Finance report: the PDF button delivers a PDF
        page.goto(f"{url}/finance?vehicle={vid}")
        button = page.get_by_role("button", name="Download PDF", exact=True)
        button.wait_for()
        wait_drawn(page)
        screenshot(page, shots / "finance.png")
        _no_failure_shown(page, "finance page")
        assert page.get_by_role("button", name="Download JSON", exact=True).count() == 1
        with page.expect_download() as info:
            button.click()
        pdf = shots / "finance.pdf"
        info.value.save_as(pdf)
        assert info.value.suggested_filename.endswith(".pdf")
        assert pdf.read_bytes()[:4] == b"%PDF"
        # the file is the report on the page: same fingerprint
        shown = re.search(
            r"Fingerprint\W+([0-9a-f]{64})", page.get_by_test_id("stMain").inner_text()
        )
        assert shown, "the finance page shows no fingerprint"
        first_page = PdfReader(pdf).pages[0].extract_text()
        assert shown.group(1) in first_page.replace(" ", ""), first_page[:400]

        # A vehicle with five minutes of data: messages, not failures
        page.goto(f"{url}/vehicle?vehicle={tiny}")
        page.locator("h1, h2, h3").filter(has_text=tiny).first.wait_for()
        wait_drawn(page)
        screenshot(page, shots / "vehicle-tiny.png")
        _no_failure_shown(page, f"vehicle page of {tiny}")

        # Every other page draws without an exception
        for name in PAGES:
            if name in ("fleet", "vehicle", "finance"):
                continue
            page.goto(f"{url}/{name}?vehicle={vid}")
            page.get_by_test_id("stMain").get_by_test_id("stHeading").first.wait_for()
            wait_drawn(page)
            screenshot(page, shots / f"{name}.png")
            _no_failure_shown(page, f"{name} page")
