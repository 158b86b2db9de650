"""The JSON Schema every report validates against (shipped as package data)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from analytics.errors import ReportError

__all__ = ["report_schema", "validate_report"]


@cache
def report_schema() -> dict[str, Any]:
    """The report JSON Schema (draft 2020-12)."""
    text = resources.files("analytics.reports").joinpath("report.schema.json").read_text("utf-8")
    return json.loads(text)


def validate_report(report: dict[str, Any]) -> None:
    """Raise :class:`ReportError` listing every schema violation of ``report``."""
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(report_schema())
    errors = sorted(validator.iter_errors(report), key=lambda e: list(e.absolute_path))
    if errors:
        lines = [
            f"  {'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message}"
            for e in errors[:20]
        ]
        more = f"\n  ... and {len(errors) - 20} more" if len(errors) > 20 else ""
        raise ReportError(
            "the report does not match the report schema:\n" + "\n".join(lines) + more
        )
