"""Canonical JSON and the report fingerprint.

A report's fingerprint is the SHA-256 of its canonical JSON: keys sorted, no whitespace,
UTF-8, floats written with exactly six decimals (``%.6f``), integers and strings as JSON
writes them, the ``fingerprint`` member itself left out. Reports round every float to at most
six decimals when they are built, so the canonical form captures each figure exactly and a
figure edited in a saved file changes the fingerprint.
"""

from __future__ import annotations

import hashlib
import json
import math
from typing import Any

__all__ = [
    "FINGERPRINT_KEY",
    "FLOAT_DECIMALS",
    "canonical_json",
    "fingerprint",
    "normalise",
    "over_precise_paths",
]

FLOAT_DECIMALS = 6
FINGERPRINT_KEY = "fingerprint"


def normalise(obj: Any, decimals: int = FLOAT_DECIMALS) -> Any:
    """Return ``obj`` as plain JSON types with floats rounded; NaN and infinities become None."""
    if isinstance(obj, bool) or obj is None or isinstance(obj, str):
        return obj
    if isinstance(obj, int):
        return int(obj)
    if isinstance(obj, float):
        if not math.isfinite(obj):
            return None
        value = round(obj, decimals)
        return 0.0 if value == 0 else value
    if isinstance(obj, dict):
        return {str(k): normalise(v, decimals) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [normalise(v, decimals) for v in obj]
    # numpy scalars and friends
    if hasattr(obj, "item"):
        return normalise(obj.item(), decimals)
    if hasattr(obj, "isoformat"):
        return obj.isoformat()
    raise TypeError(f"cannot put a {type(obj).__name__} into a report")


def _encode(obj: Any, out: list[str]) -> None:
    if obj is None:
        out.append("null")
    elif obj is True:
        out.append("true")
    elif obj is False:
        out.append("false")
    elif isinstance(obj, int):
        out.append(str(obj))
    elif isinstance(obj, float):
        if not math.isfinite(obj):
            raise ValueError("a report cannot hold NaN or infinity")
        text = f"{obj:.{FLOAT_DECIMALS}f}"
        out.append("0.000000" if text.lstrip("-").strip("0.") == "" else text)
    elif isinstance(obj, str):
        out.append(json.dumps(obj, ensure_ascii=False))
    elif isinstance(obj, dict):
        out.append("{")
        for i, key in enumerate(sorted(obj)):
            if i:
                out.append(",")
            out.append(json.dumps(str(key), ensure_ascii=False))
            out.append(":")
            _encode(obj[key], out)
        out.append("}")
    elif isinstance(obj, list | tuple):
        out.append("[")
        for i, item in enumerate(obj):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise TypeError(f"cannot encode a {type(obj).__name__} canonically")


def canonical_json(report: dict[str, Any]) -> str:
    """The canonical text of a report (without its fingerprint member)."""
    body = {k: v for k, v in report.items() if k != FINGERPRINT_KEY}
    out: list[str] = []
    _encode(body, out)
    return "".join(out)


def fingerprint(report: dict[str, Any]) -> str:
    """SHA-256 (hex) of the report's canonical JSON."""
    return hashlib.sha256(canonical_json(report).encode("utf-8")).hexdigest()


def over_precise_paths(obj: Any, path: str = "$") -> list[str]:
    """JSON paths of floats carrying more decimals than a report ever writes (a sign of editing)."""
    found: list[str] = []
    if isinstance(obj, float):
        if math.isfinite(obj) and round(obj, FLOAT_DECIMALS) != obj:
            found.append(path)
    elif isinstance(obj, dict):
        for k, v in obj.items():
            found += over_precise_paths(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            found += over_precise_paths(v, f"{path}[{i}]")
    return found
