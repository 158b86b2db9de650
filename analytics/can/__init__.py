"""Raw CAN logs: robust DBC loading, bulk log readers, a vectorised decoder, signal maps, encoders."""

__all__: list[str] = []
