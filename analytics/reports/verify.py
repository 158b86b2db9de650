"""Check a saved report: its fingerprint, its schema, and (with the warehouse) its figures.

Anyone holding a report can re-derive its fingerprint from the canonical JSON. The issuer, or
anyone holding the same warehouse and pseudonymisation key, can also rebuild the report from
the request it records (kind, as-of date, every parameter) and compare every figure.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from analytics.errors import ReportError
from analytics.reports.canonical import fingerprint, over_precise_paths

__all__ = ["VerifyResult", "diff_reports", "load_report", "verify_report"]

_IGNORED = {"$.issued_on", "$.fingerprint"}


@dataclass
class VerifyResult:
    """Outcome of :func:`verify_report`; ``ok`` only when every check that ran passed."""

    fingerprint_ok: bool
    stated: str | None
    derived: str
    schema_errors: list[str] = field(default_factory=list)
    recomputed: bool | None = None  # None: figures not recomputed
    differences: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.fingerprint_ok and not self.schema_errors and self.recomputed is not False

    def lines(self) -> list[str]:
        out = [
            f"fingerprint   {'matches' if self.fingerprint_ok else 'DOES NOT MATCH'} ({self.derived})",
            f"schema        {'valid' if not self.schema_errors else f'{len(self.schema_errors)} violation(s)'}",
        ]
        out += [f"  {e}" for e in self.schema_errors[:10]]
        if self.recomputed is None:
            out.append("figures       not recomputed")
        else:
            out.append(
                f"figures       {'match the warehouse' if self.recomputed else 'DIFFER from the warehouse'}"
            )
            out += [f"  {d}" for d in self.differences[:25]]
            if len(self.differences) > 25:
                out.append(f"  ... and {len(self.differences) - 25} more")
        out += [f"note          {m}" for m in self.messages]
        out.append("result        " + ("OK" if self.ok else "FAILED"))
        return out


def load_report(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    if not p.is_file():
        raise ReportError(f"no report at {p}")
    try:
        doc = json.loads(p.read_text("utf-8"))
    except ValueError as exc:
        raise ReportError(f"{p} is not a JSON report: {exc}") from exc
    if not isinstance(doc, dict) or "fingerprint" not in doc:
        raise ReportError(f"{p} is not a report (no fingerprint member)")
    return doc


def diff_reports(a: Any, b: Any, path: str = "$") -> list[str]:
    """Paths where two reports differ, with both values (ignoring issue date and fingerprint)."""
    if path in _IGNORED:
        return []
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for k in sorted(set(a) | set(b)):
            out += diff_reports(a.get(k), b.get(k), f"{path}.{k}")
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            out += diff_reports(x, y, f"{path}[{i}]")
        return out
    if a == b:
        return []
    show = lambda x: json.dumps(x)[:60]  # noqa: E731
    return [f"{path}: report {show(a)} vs warehouse {show(b)}"]


def verify_report(report: dict[str, Any], wh: Any = None, key: bytes | None = None) -> VerifyResult:
    """Re-derive the fingerprint; with a warehouse (and key), rebuild and compare the figures."""
    from analytics.reports.schema import validate_report

    stated = (report.get("fingerprint") or {}).get("value")
    derived = fingerprint(report)
    res = VerifyResult(fingerprint_ok=stated == derived, stated=stated, derived=derived)
    loose = over_precise_paths(report)
    if loose:
        res.fingerprint_ok = False
        res.messages.append(
            f"values with more decimals than a report writes (edited?): {', '.join(loose[:5])}"
        )
    try:
        validate_report(report)
    except ReportError as exc:
        res.schema_errors = str(exc).splitlines()[1:]
    if wh is None:
        res.messages.append(
            "no warehouse given: figures not recomputed (the fingerprint only proves the file is unchanged)"
        )
        return res
    veh = report.get("vehicle", {})
    req = report.get("request", {})
    if veh.get("id_scheme") != "vehicle_id":
        if key is None:
            res.messages.append(
                "the vehicle is pseudonymised and no key is configured: figures not recomputed"
            )
            return res
        import hashlib

        if veh.get("key_id") and hashlib.sha256(key).hexdigest()[:12] != veh["key_id"]:
            res.messages.append(
                f"the report was pseudonymised with key {veh['key_id']}, not the configured key: figures not recomputed"
            )
            return res
    from analytics.reports.build import build_report
    from analytics.reports.params import load_params

    try:
        rebuilt = build_report(
            wh,
            veh["id"],
            req["kind"],
            as_of=date.fromisoformat(req["as_of"]),
            params=load_params(None, req.get("params") or {}),
            key=key or b"",
            key_source="",
            include_location=bool(req.get("include_location")),
            reveal_vin=bool(req.get("reveal_vin")),
            issued_on=date.fromisoformat(report["issued_on"]),
        )
    except ReportError as exc:
        res.recomputed = False
        res.differences = [f"cannot rebuild the report from this warehouse: {exc}"]
        return res
    rebuilt["privacy"] = report.get("privacy", rebuilt["privacy"])  # names where the key came from
    res.differences = diff_reports(report, rebuilt)
    res.recomputed = not res.differences
    theirs = report.get("provenance", {}).get("package", {}).get("version")
    ours = rebuilt["provenance"]["package"]["version"]
    if theirs != ours:
        res.messages.append(
            f"issued by package {theirs}, recomputed with {ours}: methods may have changed"
        )
    return res
