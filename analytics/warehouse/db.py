"""Open the DuckDB warehouse: create it, migrate it, and translate DuckDB's errors.

The warehouse is one embedded DuckDB file. Writers take an exclusive lock; read-only
connections (the app, notebooks) share one. A second writer gets :class:`WarehouseLockedError`
with a message that says what to do, never a traceback or a damaged file.
"""

from __future__ import annotations

import contextlib
import os
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from analytics.config import resolve_warehouse
from analytics.errors import SchemaError, WarehouseError, WarehouseLockedError
from analytics.warehouse.migrations import (
    apply_migrations,
    current_version,
    latest_version,
    pending,
)

__all__ = ["Warehouse", "open_warehouse"]

_LOCK_RE = re.compile(r"Could not set lock|Conflicting lock", re.IGNORECASE)
_PID_RE = re.compile(r"PID (\d+)")


class Warehouse:
    """A connection to the warehouse file with transaction and write helpers."""

    def __init__(self, con: duckdb.DuckDBPyConnection, path: Path | None, read_only: bool) -> None:
        self.con = con
        self.path = path
        self.read_only = read_only
        self.lake: Any = None  # the attached analytics.lake.Lake in lake mode (docs/lake.md)

    def __enter__(self) -> Warehouse:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection (idempotent)."""
        with contextlib.suppress(duckdb.Error):
            self.con.close()

    @property
    def schema_version(self) -> int:
        return current_version(self.con)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        """Run one statement with bound parameters and return the DuckDB relation/cursor."""
        if params is None:
            return self.con.execute(sql)
        return self.con.execute(sql, params)

    def one(
        self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None
    ) -> tuple[Any, ...]:
        """Run a query and return its first row, reading the result to the end.

        (DuckDB 2 keeps a half-read result open and refuses other work on the connection.)
        """
        rows = self.execute(sql, params).fetchall()
        if not rows:
            raise WarehouseError(f"query returned no row: {sql.splitlines()[0][:80]}")
        return tuple(rows[0])

    def sql(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None):  # type: ignore[no-untyped-def]
        """Run a query and return a polars DataFrame."""
        return self.con.sql(sql, params=params).pl()

    @contextmanager
    def transaction(self) -> Iterator[Warehouse]:
        """Run the block in one transaction: all of it lands or none of it."""
        if self.read_only:
            raise WarehouseError(
                f"{self.path} is open read-only; open it without read_only to write"
            )
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield self
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        else:
            self.con.execute("COMMIT")

    def table_names(self) -> list[str]:
        rows = self.con.execute(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_schema = 'main' ORDER BY table_name"
        ).fetchall()
        return [r[0] for r in rows]


def _translate(exc: duckdb.Error, path: Path) -> WarehouseError:
    text = str(exc)
    if _LOCK_RE.search(text):
        pid = _PID_RE.search(text)
        who = f" (PID {pid.group(1)})" if pid else ""
        return WarehouseLockedError(
            f"the warehouse {path} is being written or read by another process{who}; "
            "wait for that job to finish or close the app, then try again "
            "(readers can still open it read-only while nothing writes)"
        )
    if "not a valid DuckDB database" in text or "not a valid" in text.lower():
        return WarehouseError(
            f"{path} is not a DuckDB warehouse; point --warehouse (or ANALYTICS_WAREHOUSE) "
            "at a .duckdb file created by this tool, or at a path that does not exist yet"
        )
    return WarehouseError(f"cannot open the warehouse {path}: {text.splitlines()[0]}")


def open_warehouse(
    path: str | os.PathLike[str] | None = None,
    *,
    read_only: bool = False,
    migrate: bool = True,
) -> Warehouse:
    """Open (and for writers create and migrate) the warehouse at ``path``.

    ``path`` defaults to ``--warehouse`` resolution (``ANALYTICS_WAREHOUSE`` or
    ``data/warehouse.duckdb``); ``":memory:"`` opens a throwaway in-memory warehouse.
    Read-only opens never create or migrate; they refuse a file that needs migrating.
    """
    if path is not None and str(path) == ":memory:":
        con = duckdb.connect(":memory:")
        con.execute("SET TimeZone = 'UTC'")
        apply_migrations(con)
        return Warehouse(con, None, read_only=False)

    target = resolve_warehouse(path)
    if target.is_dir():
        raise WarehouseError(f"{target} is a directory; give the path of a .duckdb file")
    if read_only and not target.exists():
        raise WarehouseError(
            f"no warehouse at {target}; run `analytics run --demo` or `analytics ingest` first, "
            "or point --warehouse at an existing file"
        )
    if not read_only:
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WarehouseError(f"cannot create the folder for {target}: {exc}") from exc
    try:
        con = duckdb.connect(str(target), read_only=read_only)
    except duckdb.Error as exc:
        raise _translate(exc, target) from exc

    try:
        con.execute("SET TimeZone = 'UTC'")  # TIMESTAMPTZ values are shown and returned in UTC
        version = current_version(con)
        latest = latest_version()
        if version > latest:
            raise SchemaError(
                f"{target} has schema version {version}, newer than this package knows "
                f"({latest}); upgrade the package"
            )
        if pending(con):
            if read_only:
                raise SchemaError(
                    f"{target} has schema version {version} but this package needs {latest}; "
                    "run any writing command (e.g. `analytics info --migrate`) once to migrate it"
                )
            if migrate:
                apply_migrations(con)
    except BaseException:
        con.close()
        raise
    wh = Warehouse(con, target, read_only=read_only)
    # lake mode: `signals` is read from the configured lake (analytics.lake, docs/lake.md)
    from analytics.lake.attach import attach

    try:
        attach(wh)
    except BaseException:
        wh.close()
        raise
    return wh
