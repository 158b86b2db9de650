"""Finance: the finance report on screen, with overridable inputs and PDF/JSON downloads."""

from __future__ import annotations

from analytics.app.report_page import render_report_page

__all__ = ["render"]


def render() -> None:
    """Draw the Finance page."""
    render_report_page("finance")


if __name__ == "__main__":
    render()
