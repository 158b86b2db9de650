"""Cached reads for the app: every query runs through :func:`analytics.serving.open_serving`.

Each call opens the newest serving snapshot read-only, runs one function of
:mod:`analytics.app.queries` (or a report build), and closes the connection at once, so the
app never holds a file a batch job needs. Results are cached with ``st.cache_data`` keyed on
:func:`data_key`: the published snapshot's version (or, before any snapshot exists, the
warehouse file's and its WAL's modification times). A new publish changes the key, so the next
interaction reads the new version; until then nothing is re-read.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import streamlit as st

from analytics.app import queries

__all__ = ["DataKey", "data_key", "pinned_version", "read"]

DataKey = tuple[Any, ...]


def data_key(path: str) -> DataKey:
    """What the cache is keyed on: the current snapshot, or the warehouse file's mtimes."""
    from analytics.serving import current_snapshot

    info = current_snapshot(path)
    if info is not None:
        return ("snapshot", info.version, str(info.path))
    p = Path(path)
    wal = Path(path + ".wal")
    return (
        "warehouse",
        p.stat().st_mtime_ns if p.exists() else 0,
        wal.stat().st_mtime_ns if wal.exists() else 0,
    )


def pinned_version(key: DataKey) -> int | None:
    """The snapshot version a key pins its reads to (None: the warehouse file, no snapshot).

    Every query of one page reads the same published data, even when a batch job publishes a
    newer one while the page renders."""
    return int(key[1]) if key[0] == "snapshot" else None


@st.cache_data(show_spinner=False, max_entries=512)
def _read(name: str, path: str, key: DataKey, args: tuple[Any, ...]) -> Any:
    from analytics.serving import open_serving

    fn = getattr(queries, name)
    with open_serving(path, version=pinned_version(key)) as wh:
        return fn(wh, *args)


def read(name: str, path: str, key: DataKey, *args: Any) -> Any:
    """``queries.<name>(wh, *args)`` on the serving snapshot, cached per ``key`` and args.

    ``args`` must be hashable (tuples, not lists) to share the cache.
    """
    return _read(name, path, key, tuple(args))
