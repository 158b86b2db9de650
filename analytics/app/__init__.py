"""The Streamlit app behind ``app.py``.

* :mod:`~analytics.app.queries` — the app's reads as plain functions of an open warehouse
  (aggregated in SQL; no Streamlit), usable from a notebook with
  :func:`analytics.serving.open_serving`;
* :mod:`~analytics.app.cache` — those queries on the newest serving snapshot, cached with
  ``st.cache_data`` per snapshot version;
* :mod:`~analytics.app.context` — what every page starts with (data or "ingest data first",
  the shared vehicle selection);
* :mod:`~analytics.app.figures` — plotly builders; :mod:`~analytics.app.reports` and
  :mod:`~analytics.app.report_page` — reports on screen and as downloads;
* :mod:`analytics.app.pages` — one script per page, run by ``st.navigation``.
"""

__all__ = ["cache", "context", "figures", "pages", "queries", "report_page", "reports"]
