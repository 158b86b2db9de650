"""Reports in the app: built by :func:`analytics.reports.build_report` on the serving
snapshot, with the user's overrides as report parameters, cached per vehicle, kind and
parameters; rendered to PDF only when the download is asked for.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from analytics.app.cache import DataKey, pinned_version
from analytics.warehouse.db import Warehouse

__all__ = [
    "NO_KEY_NOTE",
    "ROLLUP_NOTE",
    "build",
    "render",
    "report_key",
    "signals_from_rollup",
    "tariff_files",
]

ROLLUP_NOTE = (
    "Built from the serving snapshot, which keeps signals as a 1-minute rollup: the few figures "
    "read from raw signals (days with data, odometer checks, cell-voltage spread) use the "
    "minute means and may differ slightly from `analytics report` on the warehouse itself."
)


NO_KEY_NOTE = (
    "No pseudonymisation key yet, so this report names the vehicle by its own id and cannot be "
    "issued: its fingerprint cannot be matched by `analytics report verify`, and the downloads "
    "are off. The app never writes, so it does not create the key. Create it by issuing one "
    "report from the command line (`analytics report VEHICLE --kind KIND` writes `report.key` "
    "next to the warehouse), or set `ANALYTICS_REPORT_KEY` (a secret of at least 16 "
    "characters) or `ANALYTICS_REPORT_KEY_FILE`, then reload."
)


def report_key(path: str) -> tuple[bytes, str] | None:
    """The pseudonymisation key and its source name, or None when none exists yet.

    :func:`analytics.reports.privacy.find_key`: the library's sources, and never creates
    ``report.key`` (the app only reads). A key that exists but is unusable (too short, a
    missing key file) still raises the library's ConfigError telling the user what to fix.
    """
    from analytics.reports.privacy import find_key

    found = find_key(Path(path).resolve())
    if found is None:
        return None
    secret, source = found
    return secret, Path(source).name


def signals_from_rollup(wh: Warehouse) -> bool:
    """Give a snapshot without raw ``signals`` a temporary ``signals`` view over its 1-minute
    rollup (one row per minute and signal, the minute's mean), so report sections that read
    signals still work. Returns True when the view was created."""
    have = {
        r[0]
        for r in wh.con.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema IN ('main', 'temp')"
        ).fetchall()
    }
    if "signals" in have or "signal_minutes" not in have:
        return False
    wh.con.execute(
        "CREATE TEMP VIEW signals AS SELECT vehicle_id, minute AS ts, signal, mean AS value, "
        "CAST(NULL AS BIGINT) AS source_id FROM signal_minutes"
    )
    return True


@st.cache_data(show_spinner=False, max_entries=64)
def build(
    path: str,
    key: DataKey,
    vehicle_id: str,
    kind: str,
    params_json: str,
    secret: tuple[bytes, str] | None,
) -> dict[str, Any]:
    """The report (validated against the schema) and whether signals came from the rollup.

    Reads the snapshot version ``key`` names, so what is cached under ``key`` is that
    version's report even when a newer one is published meanwhile. ``secret`` is
    :func:`report_key`'s answer; without a key the report names the vehicle by its id (for
    display only: see :data:`NO_KEY_NOTE`) and ``issuable`` is False.
    """
    from analytics.reports.build import build_report
    from analytics.reports.params import load_params
    from analytics.reports.schema import validate_report
    from analytics.serving import open_serving

    params = load_params(None, json.loads(params_json))
    with open_serving(path, version=pinned_version(key)) as wh:
        rollup = signals_from_rollup(wh)
        if secret is None:
            # reveal_vin: the id is shown, so the key is never used to pseudonymise
            report = build_report(wh, vehicle_id, kind, params=params, key=b"", reveal_vin=True)
        else:
            report = build_report(
                wh, vehicle_id, kind, params=params, key=secret[0], key_source=secret[1]
            )
    validate_report(report)
    return {"report": report, "rollup": rollup, "issuable": secret is not None}


@st.cache_data(show_spinner=False, max_entries=32)
def _render(fingerprint: str, report_json: str, fmt: str) -> bytes:
    from analytics.reports.issue import render as render_report

    return render_report(json.loads(report_json), fmt)


def render(report: dict[str, Any], fmt: str) -> bytes:
    """The report as JSON, HTML or PDF bytes (the library's renderers), cached by fingerprint."""
    return _render(report["fingerprint"]["value"], json.dumps(report), fmt)


def tariff_files(folder: Path | None = None) -> list[Path]:
    """Tariff files shipped in ``data/tariffs`` (JSON time-of-use, CSV hourly series)."""
    base = folder or Path("data") / "tariffs"
    if not base.is_dir():
        base = Path(__file__).resolve().parents[2] / "data" / "tariffs"
    if not base.is_dir():
        return []
    return sorted(p for p in base.iterdir() if p.suffix.lower() in {".json", ".csv"})
