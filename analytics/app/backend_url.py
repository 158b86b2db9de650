"""ASGI middleware that writes the app's server address into the pages it serves.

Streamlit's frontend does not know where its server lives. Opened at a page's own address,
``/vehicle?vehicle=V0001``, it first asks ``/vehicle/_stcore/health`` (in case the app is
served under ``/vehicle/``), is refused, waits 100 ms and asks ``/_stcore/health``: every
reload and every shared link pays that wait and the refused requests before the page's data
can even be asked for. The server does know: it answered ``/vehicle`` with the frontend's
page. :class:`KnownBackend` writes that knowledge into the page, as the frontend's own
setting for its server's address (``window.__streamlit.BACKEND_BASE_URL``), so the first
request goes to the right place.

The address is derived in the browser from the address it opened, minus the part the server
saw as the page's path, so a proxy that serves the app under a prefix of its own still gets
its prefix. A page that already sets ``window.__streamlit`` (an embedding host) is left as is.

:mod:`analytics.app.asgi` serves the app with it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

__all__ = ["KnownBackend", "backend_script"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HEAD = b"<head>"


_SCRIPT = (
    "<script>(function(){var s=SUFFIX,p=location.pathname.replace(/\\/+$/,'');"
    "if(window.__streamlit||p.slice(-s.length)!==s)return;"
    "window.__streamlit={BACKEND_BASE_URL:location.origin+p.slice(0,p.length-s.length)+'/'};"
    "})();</script>"
)
# what a page's address can be: Streamlit's page paths are words joined by - or _
_PAGE_PATH = re.compile(r"[A-Za-z0-9_\-]+(/[A-Za-z0-9_\-]+)*")


def backend_script(page_path: str) -> str:
    """The ``<script>`` that tells the frontend its server's address, for a page the server
    saw at ``page_path`` (the request path after the app's base path, e.g. ``vehicle``)."""
    if not _PAGE_PATH.fullmatch(page_path.strip("/")):
        raise ValueError(f"not a page path: {page_path!r}")
    return _SCRIPT.replace("SUFFIX", json.dumps("/" + page_path.strip("/")))


class KnownBackend:
    """ASGI middleware: pages (HTML answers to ``GET`` at a page's path) carry
    :func:`backend_script`; every other request and answer passes through untouched."""

    def __init__(self, app: ASGIApp, base_url_path: str | None = None) -> None:
        self.app = app
        self._base = base_url_path

    def _page_path(self, scope: Scope) -> str | None:
        """The request's path below the app's base path, when it can be a page's address
        (not the root: the frontend asks one address only there)."""
        if scope["type"] != "http" or scope.get("method") != "GET":
            return None
        # a document request first: the frontend's many asset requests stop here
        if b"text/html" not in dict(scope.get("headers") or []).get(b"accept", b""):
            return None
        base = self._base
        if base is None:
            from streamlit import config

            base = str(config.get_option("server.baseUrlPath") or "")
        base = "/" + base.strip("/") if base.strip("/") else ""
        path: str = scope.get("path", "")
        if base and not (path == base or path.startswith(base + "/")):
            return None
        rest = path[len(base) :].strip("/")
        if not _PAGE_PATH.fullmatch(rest) or "_stcore" in rest.split("/"):
            return None
        return rest

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        page = self._page_path(scope)
        if page is None:
            await self.app(scope, receive, send)
            return
        # the page is a small document that is edited here: ask for it uncompressed
        scope = dict(scope)
        scope["headers"] = [(k, v) for k, v in scope["headers"] if k.lower() != b"accept-encoding"]
        start: Message | None = None
        chunks: list[bytes] = []
        passing = False

        async def edit(message: Message) -> None:
            nonlocal start, passing
            if passing:
                await send(message)
                return
            if message["type"] == "http.response.start":
                headers = dict(message.get("headers") or [])
                html = headers.get(b"content-type", b"").startswith(b"text/html")
                if message.get("status") != 200 or not html or b"content-encoding" in headers:
                    passing = True
                    await send(message)
                    return
                start = message
                return
            if message["type"] != "http.response.body" or start is None:
                await send(message)
                return
            chunks.append(message.get("body", b""))
            if message.get("more_body"):
                return
            body = b"".join(chunks)
            at = body.find(_HEAD)
            if at >= 0:
                at += len(_HEAD)
                body = body[:at] + backend_script(page).encode() + body[at:]
            headers = [
                (k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"
            ]
            headers.append((b"content-length", str(len(body)).encode()))
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body, "more_body": False})

        await self.app(scope, receive, edit)
