"""The reader interface every input format implements, and format detection.

A reader turns one file into chunks of long rows ``vehicle_id, ts, signal, value`` in catalog
paths and canonical units (``ts`` a UTC ``Datetime('us', 'UTC')``), counting what it reads and
reporting what it skips to ``ctx.issues``. The loader (:mod:`analytics.ingest.load`) does the
rest: range quarantine, de-duplication, the manifest and the one-transaction commit.

Readers live in modules listed in :data:`READER_MODULES`; each module defines ``READER``.
Readers whose ``target`` is ``"vehicles"`` yield rows for the ``vehicles`` table instead.

Readers of large tabular files may yield a :class:`SqlChunk` instead of frames: a DuckDB
``SELECT`` over the file (run on ``ctx.con``) producing the same four columns, so the rows
never pass through Python. Temporary objects such a reader creates must be named
``_ingest_*``; the loader drops them when the file is done.
"""

from __future__ import annotations

import gzip
import importlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Protocol

import polars as pl

from analytics.errors import FormatError
from analytics.ingest.issues import IssueCollector

__all__ = [
    "READER_MODULES",
    "SIGNAL_SCHEMA",
    "ReadContext",
    "Reader",
    "SqlChunk",
    "detect_reader",
    "get_reader",
    "is_gzip",
    "open_text",
    "read_head",
    "readers",
    "strip_gz",
]

SIGNAL_SCHEMA: dict[str, pl.DataType] = {
    "vehicle_id": pl.String(),
    "ts": pl.Datetime("us", "UTC"),
    "signal": pl.String(),
    "value": pl.Float64(),
}

# Detection order matters: content-sniffing readers with a magic number come first.
READER_MODULES: list[str] = [
    "analytics.can.formats.blf",
    "analytics.can.formats.mf4",
    "analytics.can.formats.asc",
    "analytics.can.formats.candump",
    "analytics.can.formats.csvlog",
    "analytics.ingest.exports.long_parquet",
    "analytics.ingest.exports.wide_parquet",
    "analytics.ingest.exports.dimo_json",
    "analytics.ingest.exports.vehicles",
    "analytics.ingest.exports.vehicles_csv",
    "analytics.ingest.exports.long_csv",
    "analytics.ingest.exports.wide_csv",
]


@dataclass
class ReadContext:
    """Options and counters shared by a reader and the loader for one file."""

    vehicle_id: str | None = None
    options: dict[str, Any] = field(default_factory=dict)
    issues: IssueCollector = field(default_factory=IssueCollector)
    records_read: int = 0
    records_decoded: int = 0
    records_skipped: int = 0
    progress: Any = None  # a tqdm-like object with update(n), or None
    con: Any = None  # the warehouse's DuckDB connection, set by the loader

    def tick(self, n: int) -> None:
        if self.progress is not None and n:
            self.progress.update(n)


@dataclass(frozen=True)
class SqlChunk:
    """Rows a reader leaves in DuckDB: ``sql`` selects ``vehicle_id, ts, signal, value``.

    ``signal`` may be a VSS path, DIMO alias or catalog key (the loader resolves it);
    ``ts`` must be ``TIMESTAMPTZ``. ``rows_read`` is the number of input records it covers
    when the reader knows it (else the loader counts the rows).
    """

    sql: str
    params: dict[str, Any] = field(default_factory=dict)
    rows_read: int | None = None
    unique_keys: bool | None = None  # True: the reader verified no (vehicle, ts, signal) repeats
    # per (vehicle, signal, unit) summary the reader already computed (see commit.analyse_source)
    groups: list[tuple[Any, ...]] | None = None


class Reader(Protocol):
    """One input format."""

    format: str
    target: str  # "signals" or "vehicles"

    def detect(self, path: Path, head: bytes) -> bool:
        """True when the (decompressed) first bytes and the name say this is our format."""
        ...

    def read(self, path: Path, ctx: ReadContext) -> Iterator[pl.DataFrame]:
        """Yield chunks of rows; raise :class:`FormatError` when the file is unusable."""
        ...


def is_gzip(path: Path) -> bool:
    with open(path, "rb") as fh:
        return fh.read(2) == b"\x1f\x8b"


def read_head(path: Path, n: int = 4096) -> bytes:
    """The first ``n`` bytes of the file, decompressed when it is gzip."""
    try:
        if is_gzip(path):
            with gzip.open(path, "rb") as fh:
                return fh.read(n)
        with open(path, "rb") as fh:
            return fh.read(n)
    except (OSError, EOFError) as exc:
        raise FormatError(f"cannot read {path}: {exc}") from exc


def open_text(path: Path) -> IO[str]:
    """Open a text file, transparently decompressing gzip."""
    if is_gzip(path):
        return gzip.open(path, "rt", encoding="utf-8", errors="replace", newline="")
    return open(path, encoding="utf-8", errors="replace", newline="")


def strip_gz(path: Path) -> str:
    """The file name without a trailing ``.gz``, lower-cased (for extension checks)."""
    name = path.name.lower()
    return name[:-3] if name.endswith(".gz") else name


def readers() -> list[Reader]:
    """All registered readers in detection order."""
    return [importlib.import_module(m).READER for m in READER_MODULES]


def get_reader(fmt: str) -> Reader:
    for r in readers():
        if r.format == fmt:
            return r
    known = ", ".join(r.format for r in readers())
    raise FormatError(f"unknown format {fmt!r}; known formats: {known}")


def detect_reader(path: Path) -> Reader:
    """Pick the reader for ``path`` from its content and extension."""
    head = read_head(path)
    for r in readers():
        if r.detect(path, head):
            return r
    known = ", ".join(r.format for r in readers())
    raise FormatError(f"cannot tell the format of {path}; force it with --format (one of: {known})")
