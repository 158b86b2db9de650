"""Turn report JSON into readable lines, shared by the HTML and PDF renderers and the app."""

from __future__ import annotations

import re
from typing import Any

__all__ = [
    "LABELS",
    "fmt_estimate",
    "fmt_value",
    "headline",
    "label",
    "section_rows",
    "tidy",
]

LABELS = {
    "state_of_health": "State of health",
    "capacity_soh": "Capacity SoH",
    "energy_soh": "Energy SoH",
    "resistance_growth": "Internal resistance growth",
    "usable_range": "Usable range",
    "range_now": "Range now",
    "range_new": "Range when new",
    "cohort": "Cohort comparison",
    "degradation_rate": "Degradation rate",
    "forecast_at_loan_end": "Forecast at loan end",
    "milestones": "Milestones (80 % / 70 %) and threshold breaches",
    "residual_value": "Residual-value adjustment",
    "treatment": "Battery treatment",
    "anomalies": "Anomalies",
    "data_integrity": "Data integrity",
    "replacement_exposure": "Replacement-cost exposure",
    "archetypes": "Charging archetypes",
    "plug_in_windows": "Plug-in windows",
    "flexibility": "Flexibility",
    "managed_charging": "Managed charging",
    "location_trace": "Location trace",
}
_SKIP = {"status", "notes", "plugged_in_share_by_local_hour", "charge_sessions"}


_SUFFIX = {
    "_pct": "%",
    "_c": "°C",
    "_kwh": "kWh",
    "_km": "km",
    "_eur": "EUR",
    "_h": "h",
    "_mv": "mV",
}


def label(key: str) -> str:
    """A reader's label for a JSON key: ``reference_temp_c`` -> ``Reference temp (°C)``."""
    if key in LABELS:
        return LABELS[key]
    text, unit = key, ""
    for suffix, u in _SUFFIX.items():
        if key.endswith(suffix):
            text, unit = key[: -len(suffix)], f" ({u})"
            break
    words = ["SoH" if w == "soh" else "SoC" if w == "soc" else w for w in text.split("_")]
    return (" ".join(words)[:1].upper() + " ".join(words)[1:]) + unit


def _bare(x: float, unit: str = "") -> str:
    if unit in {"EUR", "km"} or abs(x) >= 1000:
        return f"{x:,.0f}"
    if x == int(x):
        return f"{x:.0f}"
    return f"{x:.1f}" if abs(x) >= 10 else f"{x:.2f}"


def _num(x: float, unit: str = "") -> str:
    text = _bare(x, unit)
    return f"{text} {unit}" if unit else text


def fmt_estimate(e: dict[str, Any] | None, *, with_method: bool = False) -> str:
    """``95.6 % (90 % interval 93.8 – 97.5)``; 'not available' when there is no value."""
    if not e or e.get("value") is None:
        return "not available"
    unit = e.get("unit", "")
    text = _num(e["value"], unit)
    if e.get("low") is not None and e.get("high") is not None:
        kind = f"{e['interval_pct']:g} % interval" if e.get("interval_pct") else "range"
        text += f" ({kind} {_bare(e['low'], unit)} – {_bare(e['high'], unit)})"
    if with_method and e.get("method"):
        text += f"; method: {e['method']}"
    return text


def fmt_value(v: Any) -> str:
    if v is None:
        return "—"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return _num(v)
    if isinstance(v, dict):
        if "value" in v and "unit" in v:
            return fmt_estimate(v, with_method=True)
        return "; ".join(f"{label(k)}: {fmt_value(x)}" for k, x in v.items() if x is not None)
    if isinstance(v, list):
        if not v:
            return "none"
        return " | ".join(fmt_value(x) for x in v)
    return str(v)


def _milestone_rows(sec: dict[str, Any]) -> list[tuple[str, str]]:
    rows = []
    for m in sec.get("soh_levels", []):
        d = m["date"]
        text = f"expected {d['expected'] or 'beyond the horizon'}"
        if d.get("earliest_5pct") or d.get("latest_95pct"):
            text += f" (5–95 %: {d.get('earliest_5pct') or '—'} to {d.get('latest_95pct') or 'beyond the horizon'})"
        text += f"; odometer {fmt_estimate(m['odometer_km'])}"
        rows.append((f"SoH reaches {m['soh_threshold_pct']:g} %", text))
    for t in sec.get("thresholds", []):
        limit = " / ".join(
            x
            for x in (
                f"{t['limit_years']:g} years" if t.get("limit_years") else "",
                f"{t['limit_km']:,.0f} km" if t.get("limit_km") else "",
            )
            if x
        )
        p = t.get("breach_probability")
        prob = "not computed" if p is None else f"{100 * p:.1f} %"
        rows.append(
            (
                f"{t['threshold_id']} ({t['soh_threshold_pct']:g} %{', ' + limit if limit else ''})",
                f"breach probability {prob}" + (f"; {t['source']}" if t.get("source") else ""),
            )
        )
    return rows


def section_rows(sec: dict[str, Any], key: str = "") -> list[tuple[str, str]]:
    """(label, text) rows for every figure in a section, in order; empty figures left out."""
    if key == "milestones":
        return tidy(_milestone_rows(sec))
    rows: list[tuple[str, str]] = []
    for k, v in sec.items():
        if k in _SKIP or v is None:
            continue
        if isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            rows += [_item_row(k, x) for x in v]  # one row per driver, flag, event, ...
        else:
            rows.append((label(k), fmt_value(v)))
    return tidy(rows)


_WORDS = (
    (re.compile(r"\bUtc\b"), "UTC"),
    (re.compile(r"\b[Kk]wh\b"), "kWh"),
    (re.compile(r"\b[Dd]c\b"), "DC"),
    (re.compile(r"\b[Ee]ur\b"), "EUR"),
)
_LIST_COMMA = re.compile(r",(?=[A-Za-z_])")  # "a,b,c" lists of names wrap as "a, b, c"
_SPLIT_TIME = re.compile(r"^(.+): (\d\d:\d\d)$")  # "Typical windows: 17:00" | "to 06:00 ..."
_WEAR = "Battery wear per week"


def tidy(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Figure rows as a reader should see them: unit words spelt right (UTC, kWh, DC), lists
    and long method names with room to wrap, a time window kept whole, and the weekly
    battery-wear cost of managed charging said as what it is (a negative cost is wear
    avoided), to the cent. Apply once: method names would gain spaces again."""
    out = []
    for name, value in rows:
        for pattern, word in _WORDS:
            name, value = pattern.sub(word, name), pattern.sub(word, value)
        split = _SPLIT_TIME.match(name)
        if split and value.startswith("to "):  # a "17:00 to 06:00" cut at its first colon
            name, value = split[1], f"{split[2]} {value}"
        if "method: " in value:  # long fused-method names wrap at their "+"
            head, _, method = value.partition("method: ")
            value = head + "method: " + method.replace("+", " + ")
        value = _LIST_COMMA.sub(", ", value)
        if name == "Archetype":
            value = value.replace("_", " ")
        if name == _WEAR and value.endswith(" EUR"):
            try:
                eur = float(value.split()[0].replace(",", ""))
            except ValueError:
                eur = None
            if eur is not None and eur < 0:
                name, value = "Battery wear avoided per week", f"{-eur:,.2f} EUR"
            elif eur is not None:
                name, value = "Extra battery wear per week", f"{eur:,.2f} EUR"
        out.append((name, value))
    return out


_ITEM_NAMES = ("driver", "flag", "event", "session_type", "threshold_id", "from")


def _item_row(key: str, item: dict[str, Any]) -> tuple[str, str]:
    name_key = next((n for n in _ITEM_NAMES if n in item), None)
    if name_key is None:
        return label(key), fmt_value(item)
    name = str(item[name_key]).replace("_", " ")
    rest = {k: v for k, v in item.items() if k != name_key and v is not None}
    if "share" in rest and isinstance(rest["share"], float):
        rest["share"] = f"{100 * rest['share']:.0f} %"
    return f"{label(key)}: {name}", "; ".join(
        f"{label(k).lower()} {fmt_value(v)}" for k, v in rest.items()
    )


def headline(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The few figures a reader looks at first, per report kind."""
    s = report["sections"]
    soh = s["state_of_health"]
    suff = report["data_sufficiency"]
    rows = [
        ("Capacity SoH", fmt_estimate(soh.get("capacity_soh"))),
        ("Energy SoH", fmt_estimate(soh.get("energy_soh"))),
        ("Data sufficiency", f"grade {suff['grade']} ({suff['score']:g}/100)"),
    ]
    kind = report["kind"]
    if kind == "finance":
        rows += [
            (
                "Range now / new",
                f"{fmt_estimate(s['usable_range'].get('range_now'))} / {fmt_estimate(s['usable_range'].get('range_new'))}",
            ),
            ("Cohort percentile", fmt_estimate(s["cohort"].get("percentile"))),
            ("Degradation rate", fmt_estimate(s["degradation_rate"].get("rate"))),
            (
                f"SoH at loan end ({s['forecast_at_loan_end'].get('date', '—')})",
                fmt_estimate(s["forecast_at_loan_end"].get("soh")),
            ),
            ("Residual-value adjustment", fmt_estimate(s["residual_value"].get("adjustment_eur"))),
        ]
    elif kind == "insurance":
        t = s["treatment"]
        rows += [
            (
                "Treatment score",
                "not available"
                if t.get("score") is None
                else f"{t['score']:g} / 100 (main driver: {t.get('main_driver') or '—'})",
            ),
            ("Anomalies", str(len(s["anomalies"].get("events", [])))),
            ("Integrity flags", str(len(s["data_integrity"].get("flags", [])))),
            ("Replacement cost", fmt_estimate(s["replacement_exposure"].get("replacement_cost"))),
            (
                "Expected exposure in term",
                fmt_estimate(s["replacement_exposure"].get("expected_exposure")),
            ),
        ]
    else:
        m = s["managed_charging"]
        rows += [
            ("Archetype", str(s["archetypes"].get("archetype") or "not available")),
            ("Flexible energy", fmt_estimate(s["flexibility"].get("flexible_kwh_per_week"))),
            (
                "Savings per week",
                "not available"
                if m.get("cost_saved_per_week") is None
                else f"{m['cost_saved_per_week']:.2f} {m.get('currency') or ''}",
            ),
            (
                "Battery wear per week",
                "not available"
                if (m.get("battery_wear") or {}).get("cost_eur_per_week") is None
                else f"{m['battery_wear']['cost_eur_per_week']:.3f} EUR",
            ),
        ]
    return tidy(rows)
