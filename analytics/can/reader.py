"""The ingest reader for raw CAN logs: parse a log in bulk, decode, map, yield long chunks.

One class serves every log format; each format module supplies ``detect`` and
``iter_frames`` and registers ``READER = CanLogReader(...)``. Options come from ``analytics
ingest``: ``dbc`` (``[BUS=]FILE`` list) and ``signal_map`` (files); ``dbc_manifest`` is set
for the ``sources`` row. A log listed in a ``manifest.csv`` beside it (the simulator's) takes
its vehicle and DBCs from there when they are not given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import closing
from pathlib import Path

import polars as pl

from analytics.can.busdecoder import BusDecoder, parse_dbc_specs
from analytics.can.formats.common import ParseStats
from analytics.can.frames import Frames
from analytics.can.prefetch import prefetch
from analytics.can.prepare import Prepared, take_prepared
from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, SqlChunk, strip_gz

__all__ = ["CanLogReader", "manifest_entry"]


def manifest_entry(path: Path) -> dict[str, str] | None:
    """The row for ``path`` in a ``manifest.csv`` up to two folders above it, if any.

    The simulator writes ``out/can/manifest.csv`` (``path,vehicle_id,format,layout,dbc``, paths
    relative to ``out/``, ``dbc`` as ``;``-joined ``[BUS=]FILE``), so its logs ingest without
    ``--vehicle`` and ``--dbc``.
    """
    import csv

    target = path.resolve()
    for folder in list(target.parents)[:2]:
        man = folder / "manifest.csv"
        if not man.is_file():
            continue
        try:
            with open(man, newline="", encoding="utf-8") as fh:
                rows = list(csv.DictReader(fh))
        except (OSError, csv.Error):
            continue
        for row in rows:
            rel = row.get("path") or ""
            for base in (folder, folder.parent):
                if (base / rel).resolve() == target:
                    return row
    return None


class CanLogReader:
    """A raw CAN log format for the ingest loader (``target = "signals"``)."""

    target = "signals"
    worker_safe = True  # read() needs no warehouse connection: may run in a worker process

    def __init__(
        self,
        fmt: str,
        detect: Callable[[Path, bytes], bool],
        iter_frames: Callable[[Path, ParseStats], Iterator[Frames]],
        extensions: tuple[str, ...],
        needs_extension: bool = False,
    ) -> None:
        self.format = fmt
        self._detect = detect
        self._iter_frames = iter_frames
        self.extensions = extensions
        self.needs_extension = needs_extension

    def detect(self, path: Path, head: bytes) -> bool:
        name = strip_gz(path)
        if self.needs_extension and not name.endswith(self.extensions):
            return False
        return bool(self._detect(path, head))

    def frames(self, path: Path, stats: ParseStats) -> Iterator[Frames]:
        """The raw frames of the log, chunk by chunk (no decoding)."""
        return self._iter_frames(path, stats)

    def read(self, path: Path, ctx: ReadContext) -> Iterator[pl.DataFrame | SqlChunk]:
        prepared = take_prepared(path)
        if prepared is not None:  # decoded in a worker process already
            yield from self._replay(prepared, ctx)
            return
        listed = manifest_entry(path)
        if listed is not None:  # a log listed in a manifest.csv next to it (as simulated)
            ctx.vehicle_id = ctx.vehicle_id or listed.get("vehicle_id") or None
            if not ctx.options.get("dbc") and listed.get("dbc"):
                ctx.options["dbc"] = [d for d in listed["dbc"].split(";") if d]
        if not ctx.vehicle_id:
            raise FormatError(f"{path}: a raw CAN log carries no vehicle id; pass --vehicle ID")
        specs = parse_dbc_specs(ctx.options.get("dbc") or [], ctx.options.get("signal_map") or [])
        if not any(s.mapped for s in specs):
            ctx.issues.add(
                "no_signal_map",
                count=0,
                severity="warning",
                detail="no DBC signal maps to the catalog; pass --signal-map FILE",
            )
        dec = BusDecoder(specs, ctx.issues)
        ctx.options["dbc_manifest"] = dec.manifest()
        stats = ParseStats(ctx.issues)
        with closing(prefetch(self._iter_frames(path, stats))) as chunks:
            for frames in chunks:
                rows = dec.long_rows(frames, ctx.vehicle_id)
                ctx.records_read += len(frames)
                ctx.tick(len(frames))
                if rows.height:
                    yield rows
        tail = dec.long_rows(Frames.empty(), ctx.vehicle_id, final=True)
        if tail.height:
            yield tail
        dec.finish()
        ctx.records_read += stats.skipped
        ctx.records_decoded += dec.decoded
        ctx.records_skipped += stats.skipped + dec.skipped

    @staticmethod
    def _replay(prepared: Prepared, ctx: ReadContext) -> Iterator[SqlChunk]:
        ctx.issues.extend(prepared.issues)
        ctx.records_read += prepared.records_read
        ctx.records_decoded += prepared.records_decoded
        ctx.records_skipped += prepared.records_skipped
        if prepared.dbc_manifest:
            ctx.options["dbc_manifest"] = prepared.dbc_manifest
        ctx.tick(prepared.records_read)
        if prepared.error:
            raise FormatError(prepared.error)
        if prepared.parquet and prepared.rows:
            yield SqlChunk(
                "SELECT vehicle_id, ts, signal, value FROM read_parquet($can_prepared)",
                {"can_prepared": prepared.parquet},
            )
