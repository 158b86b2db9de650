"""Tariff files for managed charging: a time-of-use tariff (JSON) or an hourly series (CSV).

Time-of-use JSON (``data/tariffs/tou_ev_example.json``)::

    {"name": "...", "currency": "EUR", "timezone": "Europe/Berlin",
     "base_price_per_kwh": 0.32,           # hours no period covers
     "carbon_g_per_kwh": 380,              # optional flat grid intensity
     "periods": [{"name": "off_peak", "days": "all", "start": "00:00", "end": "06:00",
                  "price_per_kwh": 0.22}, ...]}

``days`` is ``all``, ``weekdays``, ``weekends`` or a list of ``mon`` .. ``sun``; ``start`` and
``end`` are local wall-clock times (``end`` may be ``24:00``; a period may wrap midnight); a
later period overrides an earlier one. Prices are averaged over 15-minute steps into each hour.

The same time-of-use table may be a CSV (columns ``start, end, price_per_kwh`` and optional
``name, days, carbon_g_per_kwh``; ``# timezone:``, ``# base_price_per_kwh:``, ``# currency:``
comments). Hourly CSV (``data/tariffs/hourly_price_carbon_example.csv``): ``#`` comment lines (``# currency: EUR``
names the currency), then ``ts`` (ISO 8601 hour start, UTC or with offset),
``price_per_kwh`` and/or ``carbon_g_per_kwh``. Hours outside the series have no price; sessions touching them are
skipped and reported, never silently priced. Common column spellings are accepted, and the
series may also be JSON (a list of objects, or ``{"series": [...]}``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from analytics.errors import ChargingError

__all__ = ["Tariff", "load_tariff"]

_DAYS = {"mon": 1, "tue": 2, "wed": 3, "thu": 4, "fri": 5, "sat": 6, "sun": 7}
_DAY_SETS = {"all": list(range(1, 8)), "weekdays": [1, 2, 3, 4, 5], "weekends": [6, 7]}


@dataclass(frozen=True)
class Tariff:
    """Hourly price (currency/kWh) and grid carbon (g/kWh) by UTC hour."""

    name: str
    kind: str  # tou | hourly
    currency: str
    timezone: str | None
    week: pl.DataFrame | None  # tou: weekday (1-7), hour (0-23) -> price, carbon (local)
    series: pl.DataFrame | None  # hourly: hour_ts (UTC) -> price, carbon

    def hourly(self, hours: pl.Series) -> pl.DataFrame:
        """Price and carbon for UTC hour starts (``hour_ts``); nulls where not covered."""
        h = pl.DataFrame({"hour_ts": hours}).with_columns(
            pl.col("hour_ts").dt.cast_time_unit("us").dt.convert_time_zone("UTC")
        )
        if self.kind == "hourly":
            assert self.series is not None
            return h.join(self.series, on="hour_ts", how="left")
        assert self.week is not None
        local = pl.col("hour_ts").dt.convert_time_zone(self.timezone or "UTC")
        h = h.with_columns(weekday=local.dt.weekday().cast(pl.Int8), hour=local.dt.hour())
        return h.join(self.week, on=["weekday", "hour"], how="left").drop("weekday", "hour")


def _minutes(text: str, where: str) -> int:
    try:
        hh, mm = text.split(":")
        value = int(hh) * 60 + int(mm)
    except ValueError as exc:
        raise ChargingError(f"{where}: time {text!r} is not HH:MM") from exc
    if not 0 <= value <= 24 * 60:
        raise ChargingError(f"{where}: time {text!r} is outside 00:00..24:00")
    return value


def _load_tou(path: Path, doc: dict) -> Tariff:
    if "periods" not in doc or not isinstance(doc["periods"], list):
        raise ChargingError(f"{path}: a time-of-use tariff needs a 'periods' list")
    tz = doc.get("timezone", "UTC")
    base = doc.get("base_price_per_kwh")
    # price per (weekday, 15-minute step) in local time
    price = np.full((7, 96), np.nan if base is None else float(base))
    carbon_flat = doc.get("carbon_g_per_kwh")
    carbon = np.full((7, 96), np.nan if carbon_flat is None else float(carbon_flat))
    for i, p in enumerate(doc["periods"]):
        where = f"{path}: period {i + 1} ({p.get('name', 'unnamed')})"
        days = p.get("days", "all")
        if isinstance(days, str):
            if days not in _DAY_SETS:
                raise ChargingError(f"{where}: days must be all, weekdays, weekends or a list")
            idx = _DAY_SETS[days]
        else:
            bad = [d for d in days if str(d).lower()[:3] not in _DAYS]
            if bad:
                raise ChargingError(f"{where}: unknown day names {bad}; use mon..sun")
            idx = [_DAYS[str(d).lower()[:3]] for d in days]
        if "price_per_kwh" not in p:
            raise ChargingError(f"{where}: missing price_per_kwh")
        a, b = _minutes(p.get("start", "00:00"), where), _minutes(p.get("end", "24:00"), where)
        steps = np.arange(96) * 15
        mask = (steps >= a) & (steps < b) if a < b else (steps >= a) | (steps < b)
        for d in idx:
            price[d - 1, mask] = float(p["price_per_kwh"])
            if "carbon_g_per_kwh" in p:
                carbon[d - 1, mask] = float(p["carbon_g_per_kwh"])
    if np.isnan(price).any():
        raise ChargingError(
            f"{path}: the periods leave hours without a price; add base_price_per_kwh"
        )
    week = pl.DataFrame(
        {
            "weekday": np.repeat(np.arange(1, 8), 24).astype(np.int8),
            "hour": np.tile(np.arange(24), 7).astype(np.int8),
            "price_per_kwh": price.reshape(7, 24, 4).mean(axis=2).ravel(),
            "carbon_g_per_kwh": carbon.reshape(7, 24, 4).mean(axis=2).ravel(),
        }
    ).with_columns(pl.col("carbon_g_per_kwh").fill_nan(None))
    try:
        pl.Series([0], dtype=pl.Datetime("us", "UTC")).dt.convert_time_zone(tz)
    except Exception as exc:
        raise ChargingError(f"{path}: unknown timezone {tz!r} (use an IANA name)") from exc
    return Tariff(doc.get("name", path.stem), "tou", doc.get("currency", ""), tz, week, None)


_ALIASES = {
    "ts": ("ts", "timestamp", "datetime", "time", "hour_ts", "hour_start"),
    "price_per_kwh": ("price_per_kwh", "price", "price_eur_per_kwh", "eur_per_kwh"),
    "carbon_g_per_kwh": (
        "carbon_g_per_kwh", "carbon", "co2_g_per_kwh", "carbon_intensity",
        "carbon_intensity_g_per_kwh", "gco2_per_kwh",
    ),
}  # fmt: skip


def _canonical(raw: pl.DataFrame) -> pl.DataFrame:
    """Rename known column aliases (case-insensitive) to the canonical names."""
    lower = {c.lower().strip(): c for c in raw.columns}
    renames = {}
    for name, options in _ALIASES.items():
        for opt in options:
            if opt in lower and name not in renames.values():
                renames[lower[opt]] = name
                break
    return raw.rename(renames)


def _series(path: Path, raw: pl.DataFrame) -> Tariff:
    raw = _canonical(raw)
    if "ts" not in raw.columns or not {"price_per_kwh", "carbon_g_per_kwh"} & set(raw.columns):
        raise ChargingError(
            f"{path}: an hourly series needs a 'ts' column and price_per_kwh and/or "
            f"carbon_g_per_kwh (found {raw.columns})"
        )
    ts = raw["ts"].cast(pl.String).str.to_datetime(time_zone="UTC", time_unit="us", strict=False)
    bad = int(ts.is_null().sum())
    if bad:
        raise ChargingError(f"{path}: {bad} 'ts' values are not ISO 8601 timestamps")
    out = pl.DataFrame({"hour_ts": ts.dt.truncate("1h")})
    for col in ("price_per_kwh", "carbon_g_per_kwh"):
        vals = raw[col].cast(pl.Float64, strict=False) if col in raw.columns else None
        out = out.with_columns((vals if vals is not None else pl.lit(None, pl.Float64)).alias(col))
    out = out.group_by("hour_ts").agg(pl.col("price_per_kwh", "carbon_g_per_kwh").mean())
    return Tariff(path.stem, "hourly", _comment(path, "currency"), None, None, out.sort("hour_ts"))


def _load_csv(path: Path) -> Tariff:
    """An hourly series, or a time-of-use table (columns start, end, price_per_kwh[, days])."""
    try:
        raw = pl.read_csv(path, comment_prefix="#", infer_schema_length=0)
    except Exception as exc:
        raise ChargingError(f"{path}: cannot read the tariff CSV: {exc}") from exc
    cols = {c.lower().strip() for c in raw.columns}
    if {"start", "end"} <= cols and not set(_ALIASES["ts"]) & cols:
        table = _canonical(raw).rename({c: c.lower().strip() for c in raw.columns}, strict=False)
        periods = []
        for row in table.iter_rows(named=True):
            days = row.get("days") or "all"
            period = {
                "name": row.get("name") or "",
                "days": days if days in _DAY_SETS else [d.strip() for d in days.split(";")],
                "start": row["start"],
                "end": row["end"],
            }
            for key in ("price_per_kwh", "carbon_g_per_kwh"):
                if row.get(key) not in (None, ""):
                    try:
                        period[key] = float(row[key])
                    except ValueError as exc:
                        raise ChargingError(f"{path}: {key} {row[key]!r} is not a number") from exc
            periods.append(period)
        doc: dict = {"periods": periods, "timezone": _comment(path, "timezone") or "UTC"}
        doc["currency"] = _comment(path, "currency")
        for key in ("base_price_per_kwh", "carbon_g_per_kwh"):
            if _comment(path, key):
                doc[key] = float(_comment(path, key))
        doc["name"] = path.stem
        return _load_tou(path, doc)
    return _series(path, raw)


def _comment(path: Path, name: str) -> str:
    """``# <name>: value`` from the leading comment lines (e.g. currency), else empty."""
    with path.open("r", encoding="utf-8", errors="replace") as fh:
        for line in fh:
            if not line.startswith("#"):
                break
            key, _, value = line.lstrip("# ").partition(":")
            if key.strip().lower() == name:
                return value.strip()
    return ""


def load_tariff(path: str | Path) -> Tariff:
    """Load a ToU JSON or hourly CSV tariff; raise :class:`ChargingError` on bad input."""
    p = Path(path)
    if not p.is_file():
        raise ChargingError(f"tariff file {p} not found; see data/tariffs/ for examples")
    if p.suffix.lower() == ".json":
        try:
            doc = json.loads(p.read_text("utf-8"))
        except json.JSONDecodeError as exc:
            raise ChargingError(f"{p}: not valid JSON ({exc})") from exc
        if isinstance(doc, list) or (isinstance(doc, dict) and "series" in doc):
            rows = doc if isinstance(doc, list) else doc["series"]
            try:
                return _series(p, pl.DataFrame(rows))
            except (TypeError, ValueError, pl.exceptions.PolarsError) as exc:
                raise ChargingError(f"{p}: 'series' must be a list of objects ({exc})") from exc
        if not isinstance(doc, dict):
            raise ChargingError(f"{p}: expected a JSON object with 'periods' or 'series'")
        return _load_tou(p, doc)
    if p.suffix.lower() in {".csv", ".gz"}:
        return _load_csv(p)
    raise ChargingError(f"{p}: use a .json time-of-use tariff or a .csv hourly series")
