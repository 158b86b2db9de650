"""The app as an ASGI application: Streamlit's ``st.App`` serving ``app.py``, its pages
carrying their server's address (:mod:`analytics.app.backend_url`).

``analytics app`` serves it (see :mod:`analytics.app.server`); behind a server of your own,
``uvicorn analytics.app.asgi:app``.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

from analytics.app.backend_url import KnownBackend
from analytics.app.server import APP

__all__ = ["app", "make_app"]


def make_app(script: str | Path) -> st.App:
    """An ``st.App`` serving ``script`` the way the app is served: pages that know their
    server's address."""
    return st.App(script, middleware=[Middleware(KnownBackend)])


app = make_app(APP)
