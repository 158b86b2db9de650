"""Streamlit app: fleet, vehicle, valuation reports, charging and data pages.

Run with ``analytics app`` (or ``streamlit run app.py``). Reads the newest serving snapshot of
the warehouse at ``$ANALYTICS_WAREHOUSE`` (default ``data/warehouse.duckdb``), read-only, so
batch jobs can keep writing. The pages live in ``analytics/app/pages/``.
"""

from __future__ import annotations

import streamlit as st

from analytics.app.context import sidebar_status
from analytics.app.pages import PAGES

st.set_page_config(page_title="EV battery analytics", layout="wide")
pages = [st.Page(str(p.script), title=p.title, url_path=p.url_path, icon=p.icon) for p in PAGES]


def _home() -> None:
    """The app root opens the first page (Fleet) under its own URL, keeping ?vehicle=."""
    st.switch_page(pages[0], query_params=st.query_params.to_dict())


home = st.Page(_home, title=PAGES[0].title, url_path="home", default=True, visibility="hidden")
navigation = st.navigation([home, *pages])
sidebar_status()
navigation.run()
