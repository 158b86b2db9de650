"""Streamlit app: fleet overview, vehicle view, charging and flexibility, valuation reports.

Run with ``analytics app`` (or ``streamlit run app.py``). Reads the warehouse read-only at
``$ANALYTICS_WAREHOUSE`` (default ``data/warehouse.duckdb``) with short-lived connections.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from analytics.app import pages, queries
from analytics.config import resolve_warehouse

st.set_page_config(page_title="EV battery analytics", layout="wide")
path = str(resolve_warehouse())
st.sidebar.title("EV battery analytics")
page = st.sidebar.radio("Page", list(pages.PAGES), key="page")
st.sidebar.caption(f"Warehouse: `{path}` (read-only)")

state = queries.warehouse_state(path, queries.stamp(Path(path)))
if not state.ok:
    st.warning(state.message)
    st.stop()
pages.guarded(pages.PAGES[page], path, state.tables)
