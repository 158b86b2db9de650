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
navigation = st.navigation(
    [
        st.Page(str(p.script), title=p.title, url_path=p.url_path, icon=p.icon, default=i == 0)
        for i, p in enumerate(PAGES)
    ]
)
sidebar_status()
navigation.run()
