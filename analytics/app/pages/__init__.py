"""The app's pages, one script each, run by ``st.navigation`` (see ``app.py``).

Each module defines ``render()`` and calls it only when Streamlit runs the file as a page
(``__name__ == "__main__"``), so importing a page module has no side effects.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

__all__ = ["PAGES", "PageSpec"]

HERE = Path(__file__).resolve().parent


@dataclass(frozen=True)
class PageSpec:
    """A page's script, its title and its URL path (``/fleet``, ``/vehicle`` ...)."""

    title: str
    url_path: str
    icon: str

    @property
    def script(self) -> Path:
        return HERE / f"{self.url_path}.py"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("Fleet", "fleet", ":material/directions_car:"),
    PageSpec("Vehicle", "vehicle", ":material/battery_full:"),
    PageSpec("Finance", "finance", ":material/account_balance:"),
    PageSpec("Insurance", "insurance", ":material/shield:"),
    PageSpec("Utility", "utility", ":material/bolt:"),
    PageSpec("Charging", "charging", ":material/ev_station:"),
    PageSpec("Data", "data", ":material/dataset:"),
)
"""Navigation order; the first is the default page."""
