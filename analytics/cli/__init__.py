"""The ``analytics`` command line: a thin layer that parses, calls one library function, prints."""

__all__: list[str] = []
