"""The Finance, Insurance and Utility pages: one report kind each, on screen with inputs the
user may override (mapped to report parameters, see ``analytics/reports/params.py``) and
downloads in PDF, JSON and HTML from the library's renderers.
"""

from __future__ import annotations

import json
from datetime import date, timedelta
from functools import partial
from typing import Any

import polars as pl
import streamlit as st

from analytics.app import figures, reports
from analytics.app.context import PageContext, run_page, select_vehicle

__all__ = ["overrides", "render_report_page"]

TITLES = {"finance": "Finance", "insurance": "Insurance", "utility": "Utility"}


def _finance_inputs(ctx: PageContext, vid: str) -> dict[str, Any]:
    meta = ctx.read("vehicle_detail", vid)["vehicle"]
    c = st.columns(3)
    out: dict[str, Any] = {}
    price = c[0].number_input(
        "Vehicle price new (EUR)",
        min_value=0.0,
        value=float(meta.get("price_new_eur") or 0.0),
        step=1000.0,
        key=f"fin_price_{vid}",  # every input is the vehicle's own, not the last one typed
        help="Sets price_new_eur; the book value is estimated from it unless given below",
    )
    if price > 0 and price != (meta.get("price_new_eur") or 0.0):
        out["price_new_eur"] = price
    book = c[1].number_input(
        "Book value (EUR, 0 = estimate from price)",
        min_value=0.0,
        value=0.0,
        step=500.0,
        key=f"fin_book_{vid}",
    )
    if book > 0:
        out["book_value_eur"] = book
    if c[2].checkbox("Set the loan end date", key=f"fin_loan_set_{vid}"):
        end = c[2].date_input(
            "Loan end", value=date.today() + timedelta(days=3 * 365), key=f"fin_loan_end_{vid}"
        )
        out["loan_end"] = end.isoformat()
    else:
        out["loan_months"] = c[2].number_input(
            "Loan term from the as-of date (months)",
            min_value=1.0,
            value=36.0,
            step=6.0,
            key=f"fin_loan_months_{vid}",
        )
    return out


def _insurance_inputs() -> dict[str, Any]:
    c = st.columns(3)
    return {
        "policy_term_months": c[0].number_input(
            "Policy term (months)", min_value=1.0, value=12.0, step=1.0, key="ins_term"
        ),
        "pack_cost_eur_per_kwh": c[1].number_input(
            "Pack price (EUR/kWh, central)", min_value=1.0, value=150.0, step=10.0, key="ins_pack"
        ),
        "replacement_soh_pct": c[2].number_input(
            "Replacement below SoH (%)",
            min_value=1.0,
            max_value=100.0,
            value=70.0,
            step=1.0,
            key="ins_repl",
        ),
    }


def _utility_inputs() -> dict[str, Any]:
    files = reports.tariff_files()
    names = ["none", *[p.name for p in files]]
    default = names.index("tou_ev_example.json") if "tou_ev_example.json" in names else 0
    c = st.columns(2)
    pick = c[0].selectbox(
        "Tariff", names, index=default, key="util_tariff", help="From data/tariffs/"
    )
    out: dict[str, Any] = {
        "flex_weeks": int(
            c[1].number_input(
                "Weeks of flexibility history", min_value=1, value=12, step=1, key="util_weeks"
            )
        )
    }
    if pick != "none":
        out["tariff"] = str(next(p for p in files if p.name == pick))
    return out


def overrides(ctx: PageContext, kind: str, vid: str) -> dict[str, Any]:
    """The page's inputs as report parameters (only those the user can change here)."""
    with st.expander("Inputs (each is recorded in the report's parameters)", expanded=True):
        if kind == "finance":
            return _finance_inputs(ctx, vid)
        if kind == "insurance":
            return _insurance_inputs()
        return _utility_inputs()


def _table(rows: list[tuple[str, str]]) -> None:
    st.table(pl.DataFrame(rows, schema=["Figure", "Value"], orient="row").to_pandas())


def _sections(report: dict[str, Any]) -> None:
    from analytics.reports.present import label, section_rows

    for key, sec in report["sections"].items():
        status = sec.get("status", "ok")
        st.subheader(f"{label(key)}" + ("" if status == "ok" else f" — {status}"))
        rows = section_rows(sec, key)
        if rows:
            _table(rows)
        hours = sec.get("plugged_in_share_by_local_hour")
        if hours:
            st.plotly_chart(figures.plugged_in_by_hour(hours), key=f"plugged_{key}")
        for note in sec.get("notes", []):
            st.caption(note)


def _downloads(report: dict[str, Any], issuable: bool) -> None:
    stem = f"{report['vehicle']['id']}_{report['kind']}_{report['as_of']}"
    c = st.columns(3)
    if not issuable:  # a report naming the vehicle by its id stays on screen
        for col, fmt in zip(c, ("PDF", "JSON", "HTML"), strict=True):
            col.button(f"Download {fmt}", disabled=True, key=f"dl_{fmt.lower()}_off")
        return
    # JSON is small and rendered with the page; PDF and HTML only when their button is used
    formats = (
        ("PDF", "pdf", "application/pdf", partial(reports.render, report, "pdf")),
        ("JSON", "json", "application/json", reports.render(report, "json")),
        ("HTML", "html", "text/html", partial(reports.render, report, "html")),
    )
    for col, (label, ext, mime, data) in zip(c, formats, strict=True):
        col.download_button(
            f"Download {label}",
            data,
            file_name=f"{stem}.{ext}",
            mime=mime,
            key=f"dl_{ext}",
            on_click="ignore",
        )


def _body(ctx: PageContext, kind: str) -> None:
    from analytics.reports.build import TITLES as REPORT_TITLES
    from analytics.reports.present import headline

    st.header(TITLES[kind])
    st.caption(REPORT_TITLES[kind])
    vid = select_vehicle(ctx)
    if vid is None:
        return
    params = overrides(ctx, kind, vid)
    secret = reports.report_key(ctx.path)
    built = reports.build(ctx.path, ctx.key, vid, kind, json.dumps(params, sort_keys=True), secret)
    report = built["report"]
    if not built["issuable"]:
        st.info(reports.NO_KEY_NOTE)
    suff = report["data_sufficiency"]
    (st.warning if suff["thin_evidence"] else st.success)(
        f"Data sufficiency grade {suff['grade']}: {suff['statement']}"
    )
    _table(headline(report))
    _downloads(report, built["issuable"])
    if built["issuable"]:
        st.caption(
            f"Fingerprint `{report['fingerprint']['value']}` (check with `analytics report verify`)"
        )
    if built["rollup"]:
        st.caption(reports.ROLLUP_NOTE)
    _sections(report)
    with st.expander("Every parameter used"):
        st.json(report["request"].get("params", {}), expanded=False)


def render_report_page(kind: str) -> None:
    """Draw the page of one report kind."""
    run_page(partial(_body, kind=kind), TITLES[kind])
