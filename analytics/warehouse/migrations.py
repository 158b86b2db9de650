"""Forward-only schema migrations, one ``NNNN_name.sql`` file each.

Each file runs in its own transaction and is recorded in ``schema_version``; opening a
warehouse applies what is missing. Files are never edited once released: a change to a table
is a new file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from importlib import resources

import duckdb

from analytics.errors import SchemaError

__all__ = [
    "Migration",
    "apply_migrations",
    "current_version",
    "latest_version",
    "migrations",
    "pending",
]

_NAME_RE = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


@cache
def migrations() -> tuple[Migration, ...]:
    """All packaged migrations in version order."""
    folder = resources.files("analytics.warehouse").joinpath("sql", "migrations")
    found: list[Migration] = []
    for entry in folder.iterdir():
        m = _NAME_RE.match(entry.name)
        if m:
            found.append(Migration(int(m.group(1)), m.group(2), entry.read_text("utf-8")))
    found.sort(key=lambda mig: mig.version)
    versions = [mig.version for mig in found]
    if len(set(versions)) != len(versions):
        raise SchemaError(f"two migration files share a version number: {versions}")
    return tuple(found)


def latest_version() -> int:
    return max((mig.version for mig in migrations()), default=0)


def pending(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Versions of packaged migrations not yet applied to this connection's database."""
    if current_version(con) == 0:
        return [m.version for m in migrations()]
    applied = {int(r[0]) for r in con.execute("SELECT version FROM schema_version").fetchall()}
    return [m.version for m in migrations() if m.version not in applied]


def current_version(con: duckdb.DuckDBPyConnection) -> int:
    """The highest applied migration, 0 for an empty file."""
    exists = con.execute(
        "SELECT count(*) FROM information_schema.tables "
        "WHERE table_schema = 'main' AND table_name = 'schema_version'"
    ).fetchall()
    if not exists or exists[0][0] == 0:
        return 0
    rows = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchall()
    return int(rows[0][0]) if rows else 0


def apply_migrations(con: duckdb.DuckDBPyConnection, *, up_to: int | None = None) -> int:
    """Apply the missing migrations (up to ``up_to``) and return the new version."""
    con.execute(
        "CREATE TABLE IF NOT EXISTS schema_version ("
        " version INTEGER PRIMARY KEY, name VARCHAR NOT NULL,"
        " applied_at TIMESTAMPTZ NOT NULL DEFAULT current_timestamp)"
    )
    applied = {int(r[0]) for r in con.execute("SELECT version FROM schema_version").fetchall()}
    version = max(applied, default=0)
    target = latest_version() if up_to is None else up_to
    for mig in migrations():
        if mig.version in applied or mig.version > target:
            continue
        con.execute("BEGIN TRANSACTION")
        try:
            con.execute(mig.sql)
            con.execute(
                "INSERT INTO schema_version (version, name) VALUES (?, ?)", [mig.version, mig.name]
            )
        except duckdb.Error as exc:
            con.execute("ROLLBACK")
            raise SchemaError(
                f"migration {mig.version:04d}_{mig.name} failed: {exc}; the warehouse is "
                "unchanged at its previous version"
            ) from exc
        con.execute("COMMIT")
        version = max(version, mig.version)
    return version
