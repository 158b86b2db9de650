"""Pseudonymous vehicle identifiers for third-party reports.

A report names its vehicle by ``HMAC-SHA256(key, vehicle_id)`` (first 16 hex digits, prefixed
``veh-``) unless the caller asks to reveal it. The key is secret and stable, so the issuer can
map a pseudonym back to its vehicle (``verify`` does) while a reader cannot. Where the key
comes from, first match wins:

1. ``ANALYTICS_REPORT_KEY`` — the key itself (any string of at least 16 characters);
2. ``ANALYTICS_REPORT_KEY_FILE`` — a file holding the key;
3. ``report.key`` next to the warehouse file, created with 32 random bytes (mode 0600) the
   first time a report is issued. Keep it: without it, pseudonyms change and issued reports
   can no longer be matched to their vehicles.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path

from analytics.errors import ConfigError

__all__ = [
    "KEY_ENV",
    "KEY_FILE_ENV",
    "KEY_FILE_NAME",
    "find_key",
    "load_key",
    "pseudonymise",
    "redact_identifiers",
]

KEY_ENV = "ANALYTICS_REPORT_KEY"
KEY_FILE_ENV = "ANALYTICS_REPORT_KEY_FILE"
KEY_FILE_NAME = "report.key"
_MIN_KEY_CHARS = 16


def find_key(warehouse_path: Path | None) -> tuple[bytes, str] | None:
    """The pseudonymisation key and where it came from, or None when none is configured or
    kept yet (nothing is created). A key that exists but is unusable raises ConfigError."""
    env = os.environ.get(KEY_ENV)
    if env:
        if len(env) < _MIN_KEY_CHARS:
            raise ConfigError(
                f"{KEY_ENV} is shorter than {_MIN_KEY_CHARS} characters; use a longer secret"
            )
        return env.encode("utf-8"), f"${KEY_ENV}"
    file_env = os.environ.get(KEY_FILE_ENV)
    if file_env:
        path = Path(file_env)
        if not path.is_file():
            raise ConfigError(f"{KEY_FILE_ENV} points at {path}, which is not a file")
        return _read_key(path), f"${KEY_FILE_ENV}"
    path = _key_file(warehouse_path)
    if path.is_file():
        return _read_key(path), str(path)
    return None


def load_key(warehouse_path: Path | None, *, create: bool = True) -> tuple[bytes, str]:
    """Return the pseudonymisation key and a description of where it came from."""
    found = find_key(warehouse_path)
    if found is not None:
        return found
    path = _key_file(warehouse_path)
    if not create:
        raise ConfigError(
            f"no pseudonymisation key: set {KEY_ENV} or {KEY_FILE_ENV}, or keep {path}"
        )
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_hex(32) + "\n")
    except FileExistsError:
        pass
    except OSError as exc:
        raise ConfigError(
            f"cannot create the pseudonymisation key {path} ({exc}); set {KEY_ENV} instead"
        ) from exc
    return _read_key(path), str(path)


def _key_file(warehouse_path: Path | None) -> Path:
    """``report.key`` beside the warehouse (or in the working folder without one)."""
    folder = warehouse_path.parent if warehouse_path is not None else Path.cwd()
    return folder / KEY_FILE_NAME


def _read_key(path: Path) -> bytes:
    text = path.read_text("utf-8").strip()
    if len(text) < _MIN_KEY_CHARS:
        raise ConfigError(f"the key in {path} is shorter than {_MIN_KEY_CHARS} characters")
    return text.encode("utf-8")


def pseudonymise(vehicle_id: str, key: bytes) -> str:
    """The keyed, stable pseudonym of a vehicle id."""
    digest = hmac.new(key, vehicle_id.encode("utf-8"), hashlib.sha256).hexdigest()
    return f"veh-{digest[:16]}"


def redact_identifiers(text: str, identifiers: Iterable[str | None], replacement: str) -> str:
    """Replace every occurrence of the given identifiers (vehicle id, VIN) in ``text``."""
    for ident in sorted({i for i in identifiers if i}, key=len, reverse=True):
        text = re.sub(re.escape(ident), replacement, text, flags=re.IGNORECASE)
    return text
