"""Self-contained HTML: inline CSS, charts as inline SVG, no scripts, no network."""

from __future__ import annotations

from html import escape
from typing import Any

from analytics.reports.charts import report_charts, to_svg
from analytics.reports.present import headline, label, section_rows

__all__ = ["render_html"]

_CSS = """
body{font-family:-apple-system,Segoe UI,DejaVu Sans,Helvetica,Arial,sans-serif;color:#1d2430;max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}
h1{font-size:1.5rem;margin-bottom:.2rem}h2{font-size:1.1rem;border-bottom:1px solid #d5dae1;padding-bottom:.2rem;margin-top:1.6rem}
.meta{color:#5a6473;font-size:.9rem}.fp{font-family:DejaVu Sans Mono,Menlo,monospace;font-size:.8rem;word-break:break-all}
table{border-collapse:collapse;width:100%;font-size:.92rem}td{border-bottom:1px solid #eef0f3;padding:.25rem .4rem;vertical-align:top}
td:first-child{width:32%;color:#3b4452}.head td{font-size:1rem}.head td:last-child{font-weight:600}
.badge{display:inline-block;font-size:.72rem;padding:.05rem .45rem;border-radius:.6rem;margin-left:.4rem;vertical-align:middle}
.ok{background:#e3f4e8;color:#1d6b37}.partial{background:#fff3d6;color:#8a5a00}.missing{background:#fde4e4;color:#9b1c1c}
.notes{color:#8a5a00;font-size:.88rem;margin:.3rem 0}.thin{background:#fff3d6;border-left:4px solid #d9822b;padding:.5rem .8rem}
.good{background:#e3f4e8;border-left:4px solid #1d6b37;padding:.5rem .8rem}figure{margin:1rem 0}figcaption{font-size:.82rem;color:#5a6473}
footer{margin-top:2rem;border-top:1px solid #d5dae1;padding-top:.6rem;font-size:.8rem;color:#5a6473}
"""


def _table(rows: list[tuple[str, str]], cls: str = "") -> str:
    body = "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in rows)
    return f'<table class="{cls}">{body}</table>'


def _section(key: str, sec: dict[str, Any]) -> str:
    status = sec.get("status", "ok")
    out = [f'<h2>{escape(label(key))}<span class="badge {status}">{escape(status)}</span></h2>']
    for note in sec.get("notes", []):
        out.append(f'<p class="notes">⚠ {escape(note)}</p>')
    rows = section_rows(sec, key)
    if rows:
        out.append(_table(rows))
    return "\n".join(out)


def render_html(report: dict[str, Any]) -> str:
    """The report as one HTML document (works offline, prints cleanly)."""
    v = report["vehicle"]
    suff = report["data_sufficiency"]
    fp = report["fingerprint"]["value"]
    title = f"{report['title']} — {v.get('make') or ''} {v.get('model') or ''}".strip()
    parts = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>{escape(title)}</title><style>{_CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f"<p class='meta'>Vehicle {escape(v['id'])} · {escape(str(v.get('model_year') or ''))} · {escape(v.get('chemistry') or 'chemistry unknown')} · "
        f"{escape(str(v.get('odometer_km') or '—'))} km · as of {escape(report['as_of'])} · issued {escape(report['issued_on'])}</p>",
        f"<p class='fp'>Fingerprint (SHA-256): {fp}</p>",
        f"<div class='{'thin' if suff['thin_evidence'] else 'good'}'><b>Data sufficiency: grade {escape(suff['grade'])}.</b> {escape(suff['statement'])}</div>",
        "<h2>Summary</h2>",
        _table(headline(report), "head"),
    ]
    for caption, fig in report_charts(report):
        parts.append(f"<figure>{to_svg(fig)}<figcaption>{escape(caption)}</figcaption></figure>")
    for key, sec in report["sections"].items():
        parts.append(_section(key, sec))
    bp = report["battery_passport"]
    parts.append("<h2>EU battery passport: state-of-health fields</h2>")
    parts.append(
        _table(
            [
                (label(k), _fmt(bp[k]))
                for k in (
                    "state_of_health",
                    "remaining_usable_energy",
                    "negative_events",
                    "temperature_extremes",
                )
            ]
        )
    )
    parts.append(
        "<h2>Data sufficiency</h2>" + _table([(label(k), _fmt(x)) for k, x in suff.items()])
    )
    prov = report["provenance"]
    src = [(s["file"], f"{s['sha256']} ({s['format']})") for s in prov["sources"][:40]]
    parts.append("<h2>Provenance</h2>")
    parts.append(
        _table(
            [
                (
                    "Package",
                    f"{prov['package']['name']} {prov['package']['version']}, warehouse schema {prov['schema_version']}",
                ),
                ("Methods", _fmt(prov["methods"])),
                (
                    "Pipeline runs",
                    "; ".join(
                        f"{r['stage']} ({r['date']}, {r['package_version']})"
                        for r in prov["pipeline_runs"]
                    )
                    or "none recorded",
                ),
                (
                    "Source files",
                    f"{prov['sources_count']} files, digest {prov['sources_digest_sha256']}",
                ),
                *src,
                ("Parameters", _fmt(report["request"]["params"])),
                ("Privacy", _fmt(report["privacy"])),
            ]
        )
    )
    parts.append(
        f"<footer>Verify this report: <code>analytics report verify report.json</code> with the JSON version. "
        f"Fingerprint <span class='fp'>{fp}</span></footer></body></html>"
    )
    return "\n".join(parts)


def _fmt(x: Any) -> str:
    from analytics.reports.present import fmt_value

    return fmt_value(x)
