"""What every page starts with: the warehouse it reads, whether there is data at all, and the
vehicle selected (shared by all pages through ``st.session_state`` and the ``?vehicle=`` URL
query parameter).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import streamlit as st

from analytics.app import cache
from analytics.config import resolve_warehouse
from analytics.errors import AnalyticsError, SchemaError, WarehouseLockedError

__all__ = [
    "INGEST_FIRST",
    "PageContext",
    "guarded",
    "need",
    "page_context",
    "run_page",
    "select_vehicle",
    "show_version",
    "sidebar_status",
]

log = logging.getLogger(__name__)

INGEST_FIRST = (
    "No data in this warehouse yet: ingest data first. Run `analytics run --demo` for the demo "
    "fleet, or `analytics ingest PATH` followed by `analytics run` for your own telemetry."
)
VEHICLE_KEY = "vehicle"  # the selection every page shares (not a widget key: it survives pages)
_PICK_KEY = "vehicle_pick"
_URL_SEEN = "_vehicle_from_url"
VERSION_KEY = "serving_version"  # the snapshot version the page read (0: the warehouse file)


@dataclass(frozen=True)
class PageContext:
    """The warehouse path, the cache key of the data being read, and row counts."""

    path: str
    key: cache.DataKey
    status: dict[str, Any]

    def read(self, name: str, *args: Any) -> Any:
        """A cached query on the serving snapshot (see :mod:`analytics.app.cache`)."""
        return cache.read(name, self.path, self.key, *args)

    def rows(self, table: str) -> int:
        return int(self.status.get(table, 0))


def page_context() -> PageContext:
    """Resolve the warehouse and check it has data; otherwise say what to run and stop."""
    path = str(resolve_warehouse())
    try:
        key = cache.data_key(path)
        status = cache.read("data_status", path, key)
    except WarehouseLockedError as exc:
        st.warning(
            f"{exc}\n\nThe app reads the serving snapshot that every writing command publishes "
            "when it finishes; this warehouse has none yet. Reload when the job is done, or "
            "publish one with `analytics publish`."
        )
        st.stop()
    except SchemaError as exc:
        st.warning(str(exc))
        st.stop()
    except AnalyticsError as exc:
        text = str(exc)
        # only a missing warehouse means "ingest first"; a pruned snapshot version or an
        # unreadable pointer says itself what to do
        if not Path(path).exists() and "ingest data first" not in text:
            text += f"\n\n{INGEST_FIRST}"
        st.warning(text)
        st.stop()
    show_version(key, status)
    if status["empty"]:
        st.info(INGEST_FIRST)
        st.stop()
    return PageContext(path, key, status)


def need(ctx: PageContext, table: str, command: str, what: str = "") -> bool:
    """True when ``table`` has rows; otherwise an info line naming the command that fills it."""
    if ctx.rows(table) > 0:
        return True
    st.info(f"{what or 'This view'} needs `{table}`, which is empty: run `{command}`.")
    return False


def _remember_pick() -> None:
    st.session_state[VEHICLE_KEY] = st.session_state[_PICK_KEY]


def select_vehicle(ctx: PageContext, label: str = "Vehicle") -> str | None:
    """The shared vehicle picker: the URL's ``?vehicle=`` wins when it changes, then the
    selection made on any page; the URL is kept in step so a page can be linked to."""
    ids: list[str] = ctx.read("vehicle_ids")
    if not ids:
        st.info(f"No vehicles yet: {INGEST_FIRST}")
        return None
    state = st.session_state
    wanted = st.query_params.get(VEHICLE_KEY)
    if wanted and wanted != state.get(_URL_SEEN):
        state[_URL_SEEN] = wanted
        if wanted in ids:
            state[VEHICLE_KEY] = wanted
        else:
            st.warning(f"Vehicle {wanted!r} is not in this warehouse; showing another one.")
    current = state.get(VEHICLE_KEY)
    if current not in ids:
        current = ids[0]
    state[VEHICLE_KEY] = current
    state[_PICK_KEY] = current
    st.selectbox(label, ids, key=_PICK_KEY, on_change=_remember_pick)
    if st.query_params.get(VEHICLE_KEY) != current:
        st.query_params[VEHICLE_KEY] = current
        state[_URL_SEEN] = current
    return current


@contextmanager
def guarded(what: str = "This page") -> Iterator[None]:
    """Turn a failure into a message (details go to the log), never a traceback."""
    try:
        yield
    except AnalyticsError as exc:
        st.error(str(exc))
    except Exception as exc:  # the app must not show a traceback
        log.exception("%s failed", what)
        st.error(
            f"{what} could not be drawn ({type(exc).__name__}: {exc}). If a batch job is "
            "publishing new data, reload in a moment."
        )


def run_page(render: Callable[[PageContext], None], title: str) -> None:
    """Standard page frame: context (or the ingest-first message), then the guarded body."""
    ctx = page_context()
    with guarded(f"The {title} page"):
        render(ctx)


def sidebar_status() -> None:
    """Which warehouse the app reads (the version read is added by :func:`show_version`)."""
    st.sidebar.caption(f"Warehouse: `{resolve_warehouse()}` (read-only)")


def show_version(key: cache.DataKey, status: dict[str, Any]) -> None:
    """Say in the sidebar which data this page read, from the key its queries were pinned to
    (not a fresh look at the pointer, which may already name a newer publish), and keep the
    version in ``st.session_state["serving_version"]`` (0 when reading the warehouse file)."""
    pinned = cache.pinned_version(key)
    if pinned is not None:
        version = pinned
        created = status.get("serving_created")
        when = f", published {created:%Y-%m-%d %H:%M} UTC" if created is not None else ""
        st.sidebar.caption(f"Serving snapshot v{version}{when}: the data this page shows.")
    else:
        version = 0
        st.sidebar.caption("No serving snapshot published yet: reading the warehouse file.")
    st.session_state[VERSION_KEY] = version
