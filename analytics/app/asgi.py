"""The app as an ASGI application: Streamlit's ``st.App`` serving ``app.py``, its pages
carrying their server's address (:mod:`analytics.app.backend_url`).

``analytics app`` serves it (see :mod:`analytics.app.server`); behind a server of your own,
``uvicorn analytics.app.asgi:app``.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware

from analytics.app.backend_url import KnownBackend
from analytics.app.server import APP

__all__ = ["app"]

app = st.App(APP, middleware=[Middleware(KnownBackend)])
