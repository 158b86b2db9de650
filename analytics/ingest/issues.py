"""What an ingest skipped and why: counts per reason, with the first example and where it was."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["Issue", "IssueCollector"]


@dataclass
class Issue:
    """One reason for skipping records, aggregated over a file."""

    reason: str
    count: int
    example: str | None = None
    location: str | None = None
    severity: str = "warning"
    detail: str | None = None


class IssueCollector:
    """Aggregates skipped records by ``(reason, detail)``; keeps the first example of each."""

    def __init__(self) -> None:
        self._issues: dict[tuple[str, str | None], Issue] = {}
        self._lock = threading.Lock()  # a parser thread and the decoder may add at once

    def add(
        self,
        reason: str,
        *,
        count: int = 1,
        example: str | None = None,
        location: str | None = None,
        severity: str = "warning",
        detail: str | None = None,
    ) -> None:
        """Record ``count`` records skipped for ``reason`` (no-op when ``count`` is 0)."""
        if count <= 0:
            return
        with self._lock:
            self._add(reason, count, example, location, severity, detail)

    def _add(
        self,
        reason: str,
        count: int,
        example: str | None,
        location: str | None,
        severity: str,
        detail: str | None,
    ) -> None:
        key = (reason, detail)
        issue = self._issues.get(key)
        if issue is None:
            if example is not None and len(example) > 300:
                example = example[:297] + "..."
            self._issues[key] = Issue(reason, count, example, location, severity, detail)
            return
        issue.count += count
        if severity == "error":
            issue.severity = "error"
        if issue.example is None and example is not None:
            issue.example, issue.location = example[:300], location

    def extend(self, issues: Iterable[Issue]) -> None:
        """Add issues recorded elsewhere (another collector, a worker process)."""
        for i in issues:
            self.add(
                i.reason,
                count=i.count,
                example=i.example,
                location=i.location,
                severity=i.severity,
                detail=i.detail,
            )

    def items(self) -> list[Issue]:
        """Issues, most frequent first."""
        with self._lock:
            issues = list(self._issues.values())
        return sorted(issues, key=lambda i: (-i.count, i.reason))

    def __len__(self) -> int:
        with self._lock:
            return len(self._issues)

    def count(self, reason: str | None = None) -> int:
        """Total records skipped, for one reason or all."""
        return sum(i.count for i in self.items() if reason is None or i.reason == reason)
