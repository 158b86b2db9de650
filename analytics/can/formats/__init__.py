"""Bulk parsers of CAN log formats; each yields :class:`~analytics.can.frames.Frames` chunks."""

__all__: list[str] = []
