"""Static charts for reports, drawn by matplotlib (no browser needed): PNG for PDF, SVG for HTML.

Charts are drawn from the report JSON itself, so the pictures show exactly the figures the
fingerprint covers.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

__all__ = ["report_charts", "to_png", "to_svg"]

_BLUE, _ORANGE, _GREY = "#1f5fa8", "#d9822b", "#888888"


def _figure(width_in: float = 7.0, height_in: float = 2.8, left: float = 0.09):  # type: ignore[no-untyped-def]
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), dpi=110)
    # fixed margins instead of tight_layout: one drawing pass instead of two
    fig.subplots_adjust(left=left, right=0.98, top=0.88, bottom=0.16)
    ax = fig.add_subplot(111)
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(alpha=0.25)
    return fig, ax


def _soh_chart(report: dict[str, Any]):  # type: ignore[no-untyped-def]
    series = report["series"]
    hist, fc = series.get("soh_weekly") or [], series.get("forecast_monthly") or []
    if not hist and not fc:
        return None
    fig, ax = _figure()
    if hist:
        d = [date.fromisoformat(r[0]) for r in hist]
        ax.plot(d, [r[1] for r in hist], color=_BLUE, lw=1.6, label="capacity SoH (fused)")
        if all(r[2] is not None and r[3] is not None for r in hist):
            ax.fill_between(
                d,
                [r[2] for r in hist],
                [r[3] for r in hist],
                color=_BLUE,
                alpha=0.18,
                lw=0,
                label="90 % interval",
            )
    if fc:
        d = [date.fromisoformat(r[0]) for r in fc]
        ax.plot(d, [r[1] for r in fc], color=_ORANGE, lw=1.4, ls="--", label="forecast")
        ax.fill_between(
            d,
            [r[2] for r in fc],
            [r[3] for r in fc],
            color=_ORANGE,
            alpha=0.15,
            lw=0,
            label="forecast 90 %",
        )
    for level in (80, 70):
        ax.axhline(level, color=_GREY, lw=0.8, ls=":")
        ax.text(ax.get_xlim()[1], level + 0.3, f"{level} % ", color=_GREY, fontsize=7, ha="right")
    ax.axvline(date.fromisoformat(report["as_of"]), color="black", lw=0.8, alpha=0.5)
    ax.set_ylabel("SoH (%)")
    ax.set_title("State of health: history and forecast", fontsize=10, loc="left")
    ax.legend(fontsize=7, frameon=False, loc="lower left", ncol=2)
    from matplotlib.dates import AutoDateLocator, ConciseDateFormatter

    locator = AutoDateLocator(maxticks=8)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator))
    return fig


def _drivers_chart(report: dict[str, Any]):  # type: ignore[no-untyped-def]
    drivers = report["sections"].get("treatment", {}).get("drivers") or []
    if not drivers:
        return None
    fig, ax = _figure(7.0, 2.2, left=0.2)
    names = [d["driver"] for d in drivers][::-1]
    vals = [d["penalty_points"] for d in drivers][::-1]
    ax.barh(names, vals, color=_ORANGE)
    ax.set_xlabel("score points lost")
    ax.set_title("What lowered the treatment score", fontsize=10, loc="left")
    fig.subplots_adjust(bottom=0.2)
    return fig


def _plug_chart(report: dict[str, Any]):  # type: ignore[no-untyped-def]
    share = report["sections"].get("plug_in_windows", {}).get("plugged_in_share_by_local_hour")
    if not share:
        return None
    fig, ax = _figure(7.0, 2.2)
    ax.bar(range(24), [100 * s for s in share], color=_BLUE, width=0.85)
    ax.set_xticks(range(0, 24, 3), [f"{h:02d}:00" for h in range(0, 24, 3)])
    ax.set_ylabel("% of days")
    ax.set_title("Plugged in, by local hour", fontsize=10, loc="left")
    return fig


def report_charts(report: dict[str, Any]) -> list[tuple[str, Any]]:
    """(caption, matplotlib Figure) for each chart the report's kind shows."""
    out = []
    soh = _soh_chart(report)
    if soh is not None:
        out.append(
            (
                "SoH history with its 90 % interval and the forecast; dotted lines mark 80 % and 70 %.",
                soh,
            )
        )
    extra = {"insurance": _drivers_chart, "utility": _plug_chart}.get(report["kind"])
    fig = extra(report) if extra else None
    if fig is not None:
        out.append(("", fig))
    return out


def to_png(fig: Any, dpi: int = 160) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi)
    return buf.getvalue()


def to_svg(fig: Any) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    text = text[text.find("<svg") :]
    start, end = text.find("<metadata>"), text.find("</metadata>")
    if start >= 0 and end > start:  # creator/date block: not needed inline
        text = text[:start] + text[end + len("</metadata>") :]
    return text
