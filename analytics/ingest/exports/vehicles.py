"""Vehicle metadata as JSON: a list of objects (reader target ``vehicles``)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import polars as pl

from analytics.errors import FormatError
from analytics.ingest.base import ReadContext, open_text, strip_gz
from analytics.ingest.exports.vehicle_meta import normalise_vehicles

__all__ = ["READER", "VehiclesJsonReader"]


class VehiclesJsonReader:
    """``vehicles.json``: ``[{"vehicle_id": ..., "make": ..., ...}, ...]``."""

    format = "vehicles_json"
    target = "vehicles"

    def detect(self, path: Path, head: bytes) -> bool:
        if not strip_gz(path).endswith(".json"):
            return False
        text = head.lstrip()
        return text.startswith(b"[") and b'"vehicle_id"' in head

    def read(self, path: Path, ctx: ReadContext) -> Iterator[pl.DataFrame]:
        try:
            with open_text(path) as fh:
                doc = json.load(fh)
        except (OSError, json.JSONDecodeError) as exc:
            raise FormatError(f"cannot read vehicle metadata {path}: {exc}") from exc
        if isinstance(doc, dict) and isinstance(doc.get("vehicles"), list):
            doc = doc["vehicles"]
        if not isinstance(doc, list) or not all(isinstance(r, dict) for r in doc):
            raise FormatError(f"{path} must hold a JSON list of vehicle objects")
        keys: list[str] = []
        for r in doc:
            keys += [k for k in r if k not in keys]
        raw = pl.DataFrame(
            {k: [None if r.get(k) is None else str(r.get(k)) for r in doc] for k in keys},
            schema={k: pl.String for k in keys},
        )
        yield normalise_vehicles(raw, ctx, str(path))


READER = VehiclesJsonReader()
