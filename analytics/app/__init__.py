"""Library code behind the Streamlit app (``app.py``): cached read-only queries, plotly
figure builders and page functions. Import only from the app: it imports Streamlit.
"""

__all__ = ["figures", "pages", "queries"]
