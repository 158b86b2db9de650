"""Every app page through ``streamlit.testing.v1.AppTest``: on a small published warehouse, on
an empty one, without any, and on a vehicle with almost no data; the vehicle page shows the
library's SoH; the selected vehicle follows the URL and is shared across pages."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from .conftest import APP, REPORT_KEY

PAGES = ["fleet", "vehicle", "finance", "insurance", "utility", "charging", "data"]
TITLES = {
    "fleet": "Fleet",
    "vehicle": "Vehicle",
    "finance": "Finance",
    "insurance": "Insurance",
    "utility": "Utility",
    "charging": "Charging",
    "data": "Data",
}


def _open(monkeypatch, warehouse, page: str = "fleet", vehicle: str | None = None) -> AppTest:
    """Run the app, as a browser would open ``/<page>?vehicle=<vehicle>``."""
    monkeypatch.setenv("ANALYTICS_WAREHOUSE", str(warehouse))
    monkeypatch.setenv("ANALYTICS_REPORT_KEY", REPORT_KEY)
    at = AppTest.from_file(APP, default_timeout=30)
    if vehicle is not None:
        at.query_params["vehicle"] = vehicle
    at.run()
    if page != "fleet":
        at.switch_page(f"analytics/app/pages/{page}.py").run()
    return at


def _clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]


def _metric(at: AppTest, label: str):  # type: ignore[no-untyped-def]
    found = [m for m in at.metric if m.label == label]
    assert found, f"no metric {label!r}: {[m.label for m in at.metric]}"
    return found[0]


def _soh_row(path, vid):  # type: ignore[no-untyped-def]
    from analytics.warehouse import open_warehouse

    with open_warehouse(path, read_only=True) as wh:
        return wh.con.execute(
            "SELECT soh_pct, soh_low_pct, soh_high_pct FROM soh WHERE vehicle_id = ? "
            "AND soh_pct IS NOT NULL ORDER BY date DESC LIMIT 1",
            [vid],
        ).fetchall()[0]


def test_navigation_titles_and_default_page(monkeypatch, app_warehouse):
    at = _open(monkeypatch, app_warehouse["path"])
    _clean(at)
    assert at.header[0].value == "Fleet"
    assert _metric(at, "Vehicles").value == str(len(app_warehouse["vehicles"]) + 1)
    assert len(at.get("plotly_chart")) >= 1
    from analytics.app.pages import PAGES as SPECS

    assert [(p.url_path, p.title) for p in SPECS] == list(TITLES.items())


@pytest.mark.parametrize("page", PAGES)
def test_page_on_published_warehouse(monkeypatch, app_warehouse, page):
    vid = app_warehouse["vehicles"][0]
    at = _open(monkeypatch, app_warehouse["path"], page, vid)
    _clean(at)
    assert at.header[0].value.startswith(TITLES[page])
    if page == "vehicle":
        assert vid in at.header[0].value
        assert _metric(at, "SoH").value.endswith("%")
        assert len(at.get("plotly_chart")) >= 3  # SoH, sessions, signals
        for label in ("Energy SoH", "Resistance growth"):  # every number with its interval
            assert "90 % interval" in _metric(at, label).help
    if page in ("finance", "insurance", "utility"):
        labels = {b.proto.label for b in at.get("download_button")}
        assert {"Download PDF", "Download JSON"} <= labels
        assert any("Fingerprint" in c.value for c in at.caption)
    if page == "charging":
        assert _metric(at, "kWh shifted")
    if page == "data":
        assert _metric(at, "Records skipped").value == "1"
        assert at.dataframe


@pytest.mark.parametrize("page", PAGES)
def test_page_on_empty_warehouse(monkeypatch, empty_warehouse, page):
    at = _open(monkeypatch, empty_warehouse, page)
    assert not at.exception, [e.value for e in at.exception]
    shown = [m.value for m in (*at.info, *at.warning)]
    assert any("ingest data first" in t and "analytics run" in t for t in shown), shown


@pytest.mark.parametrize("page", ["fleet", "vehicle", "finance", "data"])
def test_page_without_warehouse(monkeypatch, tmp_path, page):
    at = _open(monkeypatch, tmp_path / "none.duckdb", page)
    assert not at.exception, [e.value for e in at.exception]
    assert any("ingest data first" in w.value for w in at.warning), [w.value for w in at.warning]


@pytest.mark.parametrize("page", PAGES)
def test_page_on_vehicle_with_almost_no_data(monkeypatch, app_warehouse, page):
    tiny = app_warehouse["tiny"]
    at = _open(monkeypatch, app_warehouse["path"], page, tiny)
    _clean(at)
    if page == "vehicle":
        assert tiny in at.header[0].value
        assert _metric(at, "SoH").value == "not available"
        assert any("No state of health" in i.value for i in at.info)
    if page in ("finance", "insurance", "utility"):
        assert any("Evidence is thin" in w.value for w in at.warning)


def test_vehicle_soh_equals_the_library(monkeypatch, app_warehouse):
    """The SoH shown is the library's: the finance report's capacity SoH and the soh table's
    latest fused row, with the same 90 % interval."""
    from analytics.reports.build import build_report
    from analytics.warehouse import open_warehouse

    path = app_warehouse["path"]
    for vid in app_warehouse["vehicles"][:2]:
        at = _open(monkeypatch, path, "vehicle", vid)
        _clean(at)
        with open_warehouse(path, read_only=True) as wh:
            lib = build_report(wh, vid, "finance", key=REPORT_KEY.encode())
        cap = lib["sections"]["state_of_health"]["capacity_soh"]
        soh, low, high = _soh_row(path, vid)
        assert cap["value"] == pytest.approx(soh, abs=0.006)
        assert _metric(at, "SoH").value == f"{cap['value']:.1f} %"
        assert f"90 % interval {low:.1f} – {high:.1f} %" in [c.value for c in at.caption]


def test_selected_vehicle_is_shared_and_follows_the_url(monkeypatch, app_warehouse):
    first, second = app_warehouse["vehicles"][:2]
    at = _open(monkeypatch, app_warehouse["path"], "vehicle", second)
    assert second in at.header[0].value
    at.selectbox(key="vehicle_pick").set_value(first).run()
    assert first in at.header[0].value
    assert at.query_params["vehicle"] == first
    at.switch_page("analytics/app/pages/finance.py").run()
    _clean(at)
    assert at.selectbox(key="vehicle_pick").value == first


def test_unknown_vehicle_in_url_is_a_warning(monkeypatch, app_warehouse):
    at = _open(monkeypatch, app_warehouse["path"], "vehicle", "NO_SUCH_CAR")
    _clean(at)
    assert any("NO_SUCH_CAR" in w.value for w in at.warning)
    assert at.header[0].value.startswith("Vehicle ")


def test_report_inputs_reach_the_report(monkeypatch, app_warehouse):
    """Inputs typed on the Finance page are the report's parameters, stay with their vehicle
    (another car's report gets its own defaults), and the PDF comes from the library."""
    from analytics.app import reports

    vid, other = app_warehouse["vehicles"][:2]
    at = _open(monkeypatch, app_warehouse["path"], "finance", vid)
    at.number_input(key=f"fin_price_{vid}").set_value(41000.0).run()
    at.number_input(key=f"fin_book_{vid}").set_value(12345.0).run()
    at.number_input(key=f"fin_loan_months_{vid}").set_value(48.0).run()
    _clean(at)
    params = at.json[0].value
    for typed in ('"price_new_eur": 41000.0', '"book_value_eur": 12345.0', '"loan_months": 48.0'):
        assert typed in params, params
    at.selectbox(key="vehicle_pick").set_value(other).run()  # typed inputs stay with their car
    _clean(at)
    params = at.json[0].value
    for typed in ('"price_new_eur": 41000.0', '"book_value_eur": 12345.0', '"loan_months": 48.0'):
        assert typed not in params, params
    built = reports.build(
        str(app_warehouse["path"]),
        ("test",),
        vid,
        "finance",
        '{"price_new_eur": 41000.0}',
        (REPORT_KEY.encode(), "$ANALYTICS_REPORT_KEY"),
    )
    assert reports.render(built["report"], "pdf")[:4] == b"%PDF"


def test_report_build_reads_the_version_of_its_cache_key(app_warehouse, copy_of):
    """A report cached under snapshot vN is built from vN even after vN+1 is published."""
    from analytics.app import reports
    from analytics.serving import current_snapshot, publish_snapshot
    from analytics.warehouse import open_warehouse

    path = copy_of(app_warehouse["path"])
    vid = app_warehouse["vehicles"][0]
    with open_warehouse(path) as wh:
        first = publish_snapshot(wh)
        make = wh.one("SELECT make FROM vehicles WHERE vehicle_id = ?", [vid])[0]
        wh.con.execute("UPDATE vehicles SET make = 'Republished' WHERE vehicle_id = ?", [vid])
        publish_snapshot(wh)
    assert current_snapshot(path).version == first.version + 1
    secret = (REPORT_KEY.encode(), "$ANALYTICS_REPORT_KEY")
    key = ("snapshot", first.version, str(first.path))
    old = reports.build(str(path), key, vid, "finance", "{}", secret)
    assert old["report"]["vehicle"]["make"] == make != "Republished"
    key = ("snapshot", first.version + 1, "")
    new = reports.build(str(path), key, vid, "finance", "{}", secret)
    assert new["report"]["vehicle"]["make"] == "Republished"


def test_report_page_without_a_key_writes_nothing(monkeypatch, app_warehouse, tmp_path, copy_of):
    """With no pseudonymisation key the page still shows the report, says how to create the
    key, offers no download, and creates no key file: the app never writes."""
    from analytics.serving import publish_snapshot
    from analytics.warehouse import open_warehouse

    path = copy_of(app_warehouse["path"])
    with open_warehouse(path) as wh:
        publish_snapshot(wh)
    before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.delenv("ANALYTICS_REPORT_KEY_FILE", raising=False)
    at = _open(monkeypatch, path, "finance", app_warehouse["vehicles"][0])
    monkeypatch.delenv("ANALYTICS_REPORT_KEY")
    at.run()
    _clean(at)
    assert not (tmp_path / "report.key").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == before
    notes = [i.value for i in at.info]
    assert any("ANALYTICS_REPORT_KEY" in n and "analytics report" in n for n in notes), notes
    assert not at.get("download_button")
    assert all(b.disabled for b in at.button if b.label.startswith("Download"))
    assert not any("Fingerprint" in c.value for c in at.caption)
    assert at.table  # the report itself is shown


def test_sidebar_names_the_version_the_page_read(monkeypatch, app_warehouse, empty_warehouse):
    at = _open(monkeypatch, app_warehouse["path"], "vehicle")
    _clean(at)
    version = at.session_state["serving_version"]
    assert isinstance(version, int) and version >= 1
    shown = [c.value for c in at.sidebar.caption]
    assert any(c.startswith(f"Serving snapshot v{version}") for c in shown), shown
    at = _open(monkeypatch, empty_warehouse, "fleet")
    assert at.session_state["serving_version"] == 0
    assert any("reading the warehouse file" in c.value for c in at.sidebar.caption)


def test_unreadable_pointer_is_not_an_ingest_first_message(monkeypatch, tmp_path):
    """Only a missing warehouse asks to ingest data; other read errors say what they are."""
    from analytics.warehouse import open_warehouse

    path = tmp_path / "warehouse.duckdb"
    open_warehouse(path).close()
    (tmp_path / "warehouse.serving").mkdir()
    (tmp_path / "warehouse.serving" / "CURRENT").write_text("{not json")
    at = _open(monkeypatch, path, "fleet")
    assert not at.exception, [e.value for e in at.exception]
    shown = [w.value for w in at.warning]
    assert any("unreadable" in w and "analytics publish" in w for w in shown), shown
    assert not any("ingest data first" in w for w in shown), shown


def test_fleet_kpis_and_table_read_as_figures(monkeypatch, app_warehouse):
    """Median SoH carries its p10-p90 range; the table has readable headers, the SoH-80 date
    with its interval, and no forecast risk (rather than 0 %) for a car without SoH."""
    import json

    at = _open(monkeypatch, app_warehouse["path"])
    _clean(at)
    assert "10th–90th percentile" in _metric(at, "Median SoH").help
    table = at.dataframe[0]
    shown = table.value
    assert {"soh_80_date", "soh_80_interval", "soh_interval"} <= set(shown.columns)
    config = json.loads(table.proto.columns)
    assert config["soh_80_interval"]["label"] == "SoH 80 % range"
    assert config["vehicle_id"]["pinned"] is True  # the id stays in view when it scrolls
    with_soh = shown[shown["soh_pct"].notna()]
    assert with_soh["soh_interval"].str.fullmatch(r"\d+\.\d – \d+\.\d").all()
    labels = [c.get("label", name) for name, c in config.items() if not c.get("hidden")]
    assert labels and all("_" not in label for label in labels), labels
    assert table.proto.placeholder == "—"
    no_soh = shown[shown["soh_pct"].isna()]
    assert len(no_soh) >= 1  # the tiny vehicle
    assert no_soh["breach_probability"].isna().all()
    assert set(shown["chemistry"]) & {"UNKNOWN"} == set()


def test_soh_histogram_shares_one_bin_set():
    import polars as pl

    from analytics.app.figures import soh_histogram

    fleet = pl.DataFrame(
        {
            "soh_pct": [91.2, 91.4, 93.9, 95.0, 95.1],
            "chemistry": ["NMC", "LFP", "NMC", "LFP", "NMC"],
        }
    )
    fig = soh_histogram(fleet)
    assert {t.bingroup for t in fig.data} == {"soh"}
    assert {t.xbins.size for t in fig.data} == {0.5}
    assert fig.layout.yaxis.tickformat == "d" and fig.layout.yaxis.dtick >= 1


def test_report_rows_are_tidied():
    from analytics.reports.present import tidy

    rows = tidy(
        [
            ("Utc offset (h)", "0"),
            ("Flexible kwh per week", "4.0"),
            ("Battery wear per week", "-6.151 EUR"),
            ("Typical windows: 17:00", "to 06:00; mean share 0.24"),
            ("Method", "penalties_v1:dc_energy_share,share_time_above_90_pct"),
        ]
    )
    assert rows == [
        ("UTC offset (h)", "0"),
        ("Flexible kWh per week", "4.0"),
        ("Battery wear avoided per week", "6.15 EUR"),
        ("Typical windows", "17:00 to 06:00; mean share 0.24"),
        ("Method", "penalties_v1:dc_energy_share, share_time_above_90_pct"),
    ]
    assert tidy([("Battery wear per week", "0.5 EUR")]) == [
        ("Extra battery wear per week", "0.50 EUR")
    ]


def test_every_renderer_gets_tidied_rows():
    """The PDF and HTML reports read the same rows as the app: no "kwh" or "Utc" in them."""
    from analytics.reports.present import section_rows

    rows = section_rows(
        {
            "utc_offset_h": 1.0,
            "flexible_kwh_per_week": 4.0,
            "drivers": [{"driver": "fast charging", "feature": "dc_energy_share,soc_high"}],
        }
    )
    assert rows == [
        ("UTC offset (h)", "1"),
        ("Flexible kWh per week", "4"),
        ("Drivers: fast charging", "feature dc_energy_share, soc_high"),
    ]


def test_fleet_filters_narrow_the_table(monkeypatch, app_warehouse):
    at = _open(monkeypatch, app_warehouse["path"])
    chem = at.multiselect(key="f_chem").options[0]
    at.multiselect(key="f_chem").set_value([chem]).run()
    _clean(at)
    shown = at.dataframe[0].value
    assert set(shown["chemistry"]) == {chem}
    assert _metric(at, "Vehicles").value == str(len(shown))


def test_writer_holding_an_unpublished_warehouse_is_a_message(monkeypatch, tmp_path):
    """Before any snapshot exists the app reads the warehouse file itself; while another
    process writes it, every page says why it cannot read and what to do."""
    import subprocess
    import sys

    from analytics.warehouse import open_warehouse

    path = tmp_path / "warehouse.duckdb"
    open_warehouse(path).close()
    code = (
        "import sys; from analytics.warehouse import open_warehouse; "
        f"wh = open_warehouse({str(path)!r}); print('ready', flush=True); sys.stdin.read()"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    ) as writer:
        try:
            assert writer.stdout.readline().strip() == "ready"
            at = _open(monkeypatch, path, "vehicle")
            assert not at.exception, [e.value for e in at.exception]
            shown = [w.value for w in at.warning]
            assert any("analytics publish" in w for w in shown), shown
        finally:
            writer.stdin.close()
            writer.wait(timeout=30)
