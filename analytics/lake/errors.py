"""The lake's error: a :class:`WarehouseError`, since the lake stores a warehouse table."""

from __future__ import annotations

from analytics.errors import WarehouseError

__all__ = ["LakeError"]


class LakeError(WarehouseError):
    """The lake folder cannot be opened, read or committed to."""
