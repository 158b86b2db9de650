"""The middleware that writes the server's address into the app's pages, on a stand-in
server: which answers it edits, and that it edits nothing else."""

from __future__ import annotations

import asyncio
import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st

from analytics.app.backend_url import KnownBackend, backend_script

PAGE = b"<!DOCTYPE html><html><head><title>x</title></head><body></body></html>"


def _server(body: bytes = PAGE, *, status: int = 200, kind: bytes = b"text/html", parts: int = 1):
    """A downstream app answering every request with ``body`` (gzipped when asked)."""
    seen: list[dict] = []

    async def app(scope, receive, send):
        seen.append(scope)
        headers = [(b"content-type", kind)]
        out = body
        if b"gzip" in dict(scope["headers"]).get(b"accept-encoding", b""):
            out = gzip.compress(body)
            headers.append((b"content-encoding", b"gzip"))
        headers.append((b"content-length", str(len(out)).encode()))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        step = max(1, len(out) // parts)
        chunks = [out[i : i + step] for i in range(0, len(out), step)] or [b""]
        for i, chunk in enumerate(chunks):
            more = i < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app, seen


def _get(app, path: str, *, accept: bytes = b"text/html,*/*", base: str = "") -> tuple:
    sent: list[dict] = []

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        sent.append(message)

    scope = {
        "type": "http",
        "method": "GET",
        "path": path,
        "headers": [(b"accept", accept), (b"accept-encoding", b"gzip, deflate")],
    }
    asyncio.run(KnownBackend(app, base_url_path=base)(scope, receive, send))
    start = sent[0]
    body = b"".join(m.get("body", b"") for m in sent[1:])
    return start, body


def test_a_page_carries_its_backend_address_uncompressed():
    app, seen = _server(parts=3)
    start, body = _get(app, "/vehicle")
    script = backend_script("vehicle").encode()
    assert body == PAGE.replace(b"<head>", b"<head>" + script)
    headers = dict(start["headers"])
    assert headers[b"content-length"] == str(len(body)).encode()
    assert b"content-encoding" not in headers
    assert b"accept-encoding" not in dict(seen[0]["headers"])  # asked for it plain
    assert b'var s="/vehicle"' in script


@pytest.mark.parametrize(
    ("path", "accept", "why"),
    [
        ("/", b"text/html", "the root: the frontend asks one address only"),
        ("/_stcore/health", b"text/html", "Streamlit's own endpoints"),
        ("/vehicle/_stcore/health", b"*/*", "a probe"),
        ("/static/js/index.js", b"*/*", "assets"),
        ("/favicon.png", b"text/html", "a file name is not a page"),
        ("/vehicle", b"application/json", "not a document request"),
        ("/<script>alert(1)</script>", b"text/html", "not a page's name"),
    ],
)
def test_everything_else_passes_untouched(path, accept, why):
    app, seen = _server()
    start, body = _get(app, path, accept=accept)
    assert dict(start["headers"]).get(b"content-encoding") == b"gzip", why
    assert gzip.decompress(body) == PAGE, why
    assert b"accept-encoding" in dict(seen[0]["headers"])


@pytest.mark.parametrize(
    ("status", "kind"), [(404, b"text/html"), (200, b"text/plain"), (200, b"application/json")]
)
def test_only_a_served_html_page_is_edited(status, kind):
    app, _ = _server(status=status, kind=kind)
    start, body = _get(app, "/vehicle")
    assert start["status"] == status and body == PAGE


def test_under_a_base_path_the_page_is_below_it():
    app, _ = _server()
    _, body = _get(app, "/battery/vehicle", base="battery")
    assert backend_script("vehicle").encode() in body
    _, body = _get(app, "/battery", base="/battery/")  # the app's root: untouched
    assert gzip.decompress(body) == PAGE
    _, body = _get(app, "/other/vehicle", base="battery")  # not this app's
    assert b"__streamlit" not in gzip.decompress(body)


@given(st.text(min_size=1, max_size=40))
def test_the_script_never_carries_markup_from_the_address(path):
    """Whatever the address, the script is either refused or free of markup it was given."""
    try:
        script = backend_script(path)
    except ValueError:
        return
    inner = script.removeprefix("<script>").removesuffix("</script>")
    assert "<" not in inner and ">" not in inner
