"""Insurance: the insurance report on screen, with overridable inputs and PDF/JSON downloads."""

from __future__ import annotations

from analytics.app.report_page import render_report_page

__all__ = ["render"]


def render() -> None:
    """Draw the Insurance page."""
    render_report_page("insurance")


if __name__ == "__main__":
    render()
