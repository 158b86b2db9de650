"""The app's pages: each reads through :mod:`analytics.app.queries` and draws with
:mod:`analytics.app.figures`. An empty or partial warehouse gives a message saying which
command fills it, never a traceback.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import polars as pl
import streamlit as st

from analytics.app import figures, queries
from analytics.errors import AnalyticsError

__all__ = ["PAGES", "charging_page", "fleet_page", "guarded", "reports_page", "vehicle_page"]

log = logging.getLogger(__name__)


def guarded(page: Callable[[str, dict[str, int]], None], path: str, tables: dict[str, int]) -> None:
    """Run a page; turn any failure into a message (the log keeps the details)."""
    try:
        page(path, tables)
    except AnalyticsError as exc:
        st.error(str(exc))
    except Exception as exc:  # the app must never show a traceback
        log.exception("page failed")
        st.error(
            f"This page could not be drawn ({type(exc).__name__}: {exc}). The warehouse may be mid-update; reload in a moment."
        )


def _need(tables: dict[str, int], table: str, command: str) -> bool:
    if tables.get(table, 0) == 0:
        what = "does not exist yet" if table not in tables else "is empty"
        st.info(f"The `{table}` table {what}. Fill it with `{command}`.")
        return False
    return True


def fleet_page(path: str, tables: dict[str, int]) -> None:
    st.header("Fleet overview")
    stamp = queries.stamp(Path(path))
    if not _need(tables, "soh", "analytics run (or analytics soh)"):
        return
    latest = queries.fleet_latest_soh(path, stamp)
    c = st.columns(4)
    c[0].metric("Vehicles with SoH", f"{latest.height}")
    c[1].metric("Median SoH", f"{latest['soh_pct'].median():.1f} %")
    c[2].metric("Lowest SoH", f"{latest['soh_pct'].min():.1f} %")
    c[3].metric("Median 90 % interval", f"{latest['interval_width_pct'].median():.1f} pts")
    st.plotly_chart(figures.soh_histogram(latest), key="soh_hist")
    bands = queries.fleet_soh_bands(path, stamp)
    if bands.height:
        st.plotly_chart(figures.degradation_bands(bands), key="bands")
    st.subheader("Vehicles, lowest SoH first")
    st.dataframe(
        latest.select(
            "vehicle_id",
            "model",
            "chemistry",
            "date",
            "soh_pct",
            "soh_low_pct",
            "soh_high_pct",
            "n_observations_total",
        ),
        hide_index=True,
    )
    st.subheader("Data quality")
    dq = queries.data_quality(path, stamp)
    left, right = st.columns(2)
    left.caption("Ingested files by format and status")
    left.dataframe(dq["sources"], hide_index=True)
    right.caption("What ingest skipped, and why")
    if dq["issues"].height:
        right.dataframe(dq["issues"], hide_index=True)
    else:
        right.write("No ingest issues recorded.")
    st.caption("SoH coverage per vehicle (long stretches without observations widen the interval)")
    st.dataframe(dq["coverage"], hide_index=True)


def _vehicle_picker(path: str, key: str) -> str | None:
    ids = queries.vehicle_ids(path, queries.stamp(Path(path)))
    if not ids:
        st.info(
            "No vehicles yet. Ingest telemetry (`analytics ingest`) or run `analytics run --demo`."
        )
        return None
    return st.selectbox("Vehicle", ids, key=key)


def vehicle_page(path: str, tables: dict[str, int]) -> None:
    st.header("Vehicle")
    vid = _vehicle_picker(path, "vehicle_pick")
    if vid is None:
        return
    d = queries.vehicle_detail(path, queries.stamp(Path(path)), vid)
    soh = d["soh"].filter(pl.col("soh_pct").is_not_null()) if d["soh"].height else d["soh"]
    if soh.height == 0:
        st.info(f"No SoH for {vid} yet: run `analytics soh` (after `analytics sessions`).")
    else:
        last = soh.row(-1, named=True)
        c = st.columns(3)
        c[0].metric(
            "Capacity SoH",
            f"{last['soh_pct']:.1f} %",
            help=f"90 % interval {last['soh_low_pct']:.1f} – {last['soh_high_pct']:.1f} %; {last['method']}",
        )
        c[0].caption(f"90 % interval {last['soh_low_pct']:.1f} – {last['soh_high_pct']:.1f} %")
        if last.get("energy_soh_pct") is not None:
            c[1].metric("Energy SoH", f"{last['energy_soh_pct']:.1f} %")
        c[2].metric("As of", str(last["date"]))
    st.plotly_chart(figures.vehicle_soh(soh, d["observations"], d["forecasts"]), key="vehicle_soh")
    if d["milestones"].height:
        st.subheader("Milestones and threshold breaches")
        st.dataframe(d["milestones"], hide_index=True)
    elif "milestones" in tables:
        st.info("No forecast milestones for this vehicle: run `analytics forecast`.")
    if d["observations"].height:
        st.subheader("Single-session observations (kept and rejected, with the reason)")
        st.dataframe(d["observations"].tail(500), hide_index=True)


def charging_page(path: str, tables: dict[str, int]) -> None:
    st.header("Charging and flexibility")
    if not _need(tables, "charging_sessions", "analytics charging"):
        return
    ov = queries.charging_overview(path, queries.stamp(Path(path)))
    if ov["hourly"].height:
        st.plotly_chart(figures.plug_profile(ov["hourly"]), key="plug")
    left, right = st.columns(2)
    if ov["archetypes"].height:
        left.plotly_chart(figures.archetype_bar(ov["archetypes"]), key="arch")
    if ov["stress"].height:
        right.plotly_chart(figures.treatment_histogram(ov["stress"]), key="stress")
    if ov["weekly"].height:
        st.subheader("Fleet energy charged and shiftable, per week")
        st.line_chart(ov["weekly"].to_pandas().set_index("week"))


@st.cache_data(show_spinner=False, max_entries=32)
def _rendered(fp: str, report_json: str, fmt: str) -> bytes:
    from analytics.reports.issue import render

    return render(json.loads(report_json), fmt)


def reports_page(path: str, tables: dict[str, int]) -> None:
    from analytics.reports.present import headline, label

    st.header("Valuation reports")
    vid = _vehicle_picker(path, "report_pick")
    if vid is None:
        return
    kind = st.radio("Kind", ["finance", "insurance", "utility"], horizontal=True, key="report_kind")
    with st.expander("Assumptions (every parameter is recorded in the report)"):
        c = st.columns(3)
        book = c[0].number_input(
            "Book value (EUR, 0 = estimate from price new)", min_value=0.0, value=0.0, step=500.0
        )
        per_point = c[1].number_input(
            "Value per SoH point (% of value)", min_value=0.0, value=0.5, step=0.1
        )
        share = c[2].number_input(
            "Battery share of value (%)", min_value=0.0, max_value=100.0, value=35.0, step=5.0
        )
        loan = c[0].number_input("Loan term (months)", min_value=1.0, value=36.0, step=6.0)
        default_tariff = (
            "data/tariffs/tou_ev_example.json"
            if Path("data/tariffs/tou_ev_example.json").is_file()
            else ""
        )
        tariff = c[1].text_input("Tariff file (utility)", value=default_tariff)
        reveal = c[2].checkbox("Reveal vehicle id", value=False)
    params = {"value_per_soh_point_pct": per_point, "battery_share_pct": share, "loan_months": loan}
    if book > 0:
        params["book_value_eur"] = book
    if tariff:
        params["tariff"] = tariff
    report = queries.issue(
        path, queries.stamp(Path(path)), vid, kind, json.dumps(params, sort_keys=True), reveal
    )
    suff = report["data_sufficiency"]
    (st.warning if suff["thin_evidence"] else st.success)(
        f"Data sufficiency grade {suff['grade']}: {suff['statement']}"
    )
    st.table(
        pl.DataFrame(headline(report), schema=["figure", "value"], orient="row")
        .to_pandas()
        .set_index("figure")
    )
    for key, sec in report["sections"].items():
        if sec.get("status") != "ok":
            st.caption(f"{label(key)} — {sec['status']}: {'; '.join(sec.get('notes', []))}")
    fp = report["fingerprint"]["value"]
    st.code(f"fingerprint {fp}", language=None)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    stem = f"{report['vehicle']['id']}_{kind}_{report['as_of']}"
    c = st.columns(3)
    c[0].download_button(
        "Download JSON",
        text.encode(),
        file_name=f"{stem}.json",
        mime="application/json",
        key="dl_json",
    )
    c[1].download_button(
        "Download HTML",
        _rendered(fp, text, "html"),
        file_name=f"{stem}.html",
        mime="text/html",
        key="dl_html",
    )
    c[2].download_button(
        "Download PDF",
        _rendered(fp, text, "pdf"),
        file_name=f"{stem}.pdf",
        mime="application/pdf",
        key="dl_pdf",
    )


PAGES: dict[str, Callable[[str, dict[str, int]], None]] = {
    "Fleet overview": fleet_page,
    "Vehicle": vehicle_page,
    "Charging and flexibility": charging_page,
    "Valuation reports": reports_page,
}
