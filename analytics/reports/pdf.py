"""PDF via fpdf2 (pure Python, in the project lock) with matplotlib charts as PNG pictures.

Fonts are matplotlib's bundled DejaVu Sans, so every character a report uses (°, –, ≥)
renders on a fresh machine without system fonts. Every page footer carries the fingerprint.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

from analytics.reports.charts import report_charts, to_png
from analytics.reports.present import fmt_value, headline, label, section_rows

__all__ = ["render_pdf"]


def _font_dir() -> Path:
    import matplotlib

    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _pdf_class():  # type: ignore[no-untyped-def]
    from fpdf import FPDF

    class ReportPDF(FPDF):
        fingerprint = ""
        title_text = ""

        def header(self) -> None:
            if self.page_no() > 1:
                self.set_font("DejaVu", "", 7.5)
                self.set_text_color(110, 118, 130)
                self.cell(0, 5, self.title_text, new_x="LMARGIN", new_y="NEXT")
                self.set_text_color(0, 0, 0)

        def footer(self) -> None:
            self.set_y(-12)
            self.set_font("DejaVu", "", 7)
            self.set_text_color(110, 118, 130)
            self.cell(
                0, 4, f"Fingerprint SHA-256 {self.fingerprint}", new_x="LMARGIN", new_y="NEXT"
            )
            self.cell(
                0,
                4,
                f"Page {self.page_no()}/{{nb}}  ·  verify with: analytics report verify <report.json>",
                align="L",
            )
            self.set_text_color(0, 0, 0)

    return ReportPDF


def _rows(pdf: Any, rows: list[tuple[str, str]], *, bold_values: bool = False) -> None:
    pdf.set_font("DejaVu", "", 8.5)
    with pdf.table(
        col_widths=(52, 128),
        first_row_as_headings=False,
        line_height=4.6,
        borders_layout="HORIZONTAL_LINES",
        text_align="LEFT",
        cell_fill_mode="NONE",
        padding=1.2,
    ) as table:
        for k, v in rows:
            row = table.row()
            row.cell(k)
            if bold_values:
                pdf.set_font("DejaVu", "B", 8.5)
            row.cell(v)
            pdf.set_font("DejaVu", "", 8.5)


def _heading(pdf: Any, text: str, status: str | None = None) -> None:
    if pdf.get_y() > pdf.h - 45:
        pdf.add_page()
    pdf.ln(3)
    pdf.set_font("DejaVu", "B", 11.5)
    pdf.cell(
        0,
        6.5,
        text + (f"   [{status}]" if status and status != "ok" else ""),
        new_x="LMARGIN",
        new_y="NEXT",
    )


def _notes(pdf: Any, notes: list[str]) -> None:
    pdf.set_font("DejaVu", "", 8)
    pdf.set_text_color(140, 90, 0)
    for n in notes:
        pdf.multi_cell(0, 4, f"Note: {n}", new_x="LMARGIN", new_y="NEXT")
    pdf.set_text_color(0, 0, 0)


def render_pdf(report: dict[str, Any]) -> bytes:
    """The report as PDF bytes: summary, charts, every section, passport fields, provenance."""
    import logging

    logging.getLogger("fontTools").setLevel(logging.WARNING)  # font subsetting chatter
    cls = _pdf_class()
    pdf = cls(format="A4")
    fonts = _font_dir()
    pdf.add_font("DejaVu", "", str(fonts / "DejaVuSans.ttf"))
    pdf.add_font("DejaVu", "B", str(fonts / "DejaVuSans-Bold.ttf"))
    pdf.add_font("DejaVuMono", "", str(fonts / "DejaVuSansMono.ttf"))
    pdf.set_margins(15, 14, 15)
    pdf.set_auto_page_break(True, margin=18)
    v = report["vehicle"]
    fp = report["fingerprint"]["value"]
    pdf.fingerprint = fp
    pdf.title_text = f"{report['title']} · {v['id']} · as of {report['as_of']}"
    pdf.set_title(report["title"])
    pdf.set_creator("ev-battery-analytics")
    pdf.add_page()
    pdf.set_font("DejaVu", "B", 16)
    pdf.multi_cell(0, 8, report["title"], new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", "", 9)
    pdf.multi_cell(
        0,
        5,
        f"{v.get('make') or ''} {v.get('model') or ''} ({v.get('model_year') or '—'}), {v.get('chemistry') or 'chemistry unknown'}, "
        f"{fmt_value(v.get('nominal_capacity_kwh'))} kWh nominal · vehicle {v['id']} · odometer {fmt_value(v.get('odometer_km'))} km · "
        f"age {fmt_value(v.get('age_years'))} years",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.multi_cell(
        0,
        5,
        f"As of {report['as_of']} · issued {report['issued_on']}",
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_font("DejaVuMono", "", 7.5)
    pdf.multi_cell(0, 4, f"Fingerprint (SHA-256): {fp}", new_x="LMARGIN", new_y="NEXT")
    suff = report["data_sufficiency"]
    pdf.ln(2)
    pdf.set_fill_color(*((255, 243, 214) if suff["thin_evidence"] else (227, 244, 232)))
    pdf.set_font("DejaVu", "B", 9)
    pdf.multi_cell(
        0,
        5,
        f"Data sufficiency: grade {suff['grade']}. {suff['statement']}",
        fill=True,
        new_x="LMARGIN",
        new_y="NEXT",
    )
    pdf.set_fill_color(255, 255, 255)
    _heading(pdf, "Summary")
    _rows(pdf, headline(report), bold_values=True)
    for caption, fig in report_charts(report):
        if pdf.get_y() > pdf.h - 80:
            pdf.add_page()
        pdf.ln(2)
        pdf.image(io.BytesIO(to_png(fig)), w=pdf.epw)
        if caption:
            pdf.set_font("DejaVu", "", 7.5)
            pdf.multi_cell(0, 4, caption, new_x="LMARGIN", new_y="NEXT")
    for key, sec in report["sections"].items():
        _heading(pdf, label(key), sec.get("status"))
        _notes(pdf, sec.get("notes", []))
        rows = section_rows(sec, key)
        if rows:
            _rows(pdf, rows)
    bp = report["battery_passport"]
    _heading(pdf, "EU battery passport: state-of-health fields")
    _rows(
        pdf,
        [
            (label(k), fmt_value(bp[k]))
            for k in (
                "state_of_health",
                "remaining_usable_energy",
                "negative_events",
                "temperature_extremes",
            )
        ],
    )
    prov = report["provenance"]
    _heading(pdf, "Provenance")
    _rows(
        pdf,
        [
            (
                "Package",
                f"{prov['package']['name']} {prov['package']['version']}, warehouse schema {prov['schema_version']}",
            ),
            ("Methods", fmt_value(prov["methods"])),
            (
                "Pipeline runs",
                "; ".join(f"{r['stage']} ({r['date']})" for r in prov["pipeline_runs"])
                or "none recorded",
            ),
            (
                "Source files",
                f"{prov['sources_count']} files; digest of their SHA-256s {prov['sources_digest_sha256']}",
            ),
            *[(s["file"], s["sha256"]) for s in prov["sources"][:12]],
            ("Data sufficiency method", suff["method"]),
            ("Privacy", fmt_value(report["privacy"])),
        ],
    )
    _heading(pdf, "Parameters")
    _rows(pdf, [(k, fmt_value(x)) for k, x in report["request"]["params"].items()])
    return bytes(pdf.output())
