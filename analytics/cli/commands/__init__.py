"""One module per ``analytics`` subcommand (discovered automatically)."""

__all__: list[str] = []
