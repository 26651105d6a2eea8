"""The weekly management report: the key reports as an HTML e-mail (charts inline, each with the
table behind it) and the same content as a PDF.

The PDF is built with fpdf2 (pure Python, from PyPI) from the very PNGs the e-mail carries, so
the kept copy is what was sent. Only aggregate, suppressed figures appear in either.
"""

from __future__ import annotations

import html
import io
from collections.abc import Sequence
from datetime import date
from email.mime.image import MIMEImage
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from typing import Any

import msgspec
from fpdf import FPDF

from ff_shared.adp.insights import Report

_UNIT_SUFFIX = {"ratio": "%"}


class Section(msgspec.Struct, kw_only=True):
    report: Report
    png: bytes
    content_id: str


def _fmt(column: str, value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        if column.endswith("rate") or column == "change":
            return f"{value:.1%}"
        return f"{value:,.2f}"
    if isinstance(value, int) and column.endswith("pence"):
        return f"£{value / 100:,.2f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _cells(report: Report) -> list[list[str]]:
    return [
        [_fmt(column, value) for column, value in zip(report.table.columns, row, strict=True)]
        for row in report.table.rows
    ]


def subject(week_ending: date) -> str:
    return f"Fair Finance weekly management report, week ending {week_ending:%d %B %Y}"


def html_body(week_ending: date, sections: Sequence[Section]) -> str:
    parts = [
        "<html><body style='font-family: sans-serif'>",
        f"<h1>{html.escape(subject(week_ending))}</h1>",
        "<p>Figures from the financial data platform's latest published run. Groups of fewer "
        "than five customers are not shown.</p>",
    ]
    for section in sections:
        report = section.report
        parts.append(f"<h2>{html.escape(report.title)}</h2>")
        parts.append(f"<img src='cid:{section.content_id}' alt='{html.escape(report.title)}'>")
        head = "".join(f"<th>{html.escape(c)}</th>" for c in report.table.columns)
        body = "".join(
            "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
            for row in _cells(report)
        )
        parts.append(
            "<table border='1' cellpadding='4' cellspacing='0'>"
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
        )
        if report.suppressed:
            parts.append(f"<p><small>{report.suppressed} group(s) suppressed.</small></p>")
    parts.append("</body></html>")
    return "".join(parts)


def mime_message(
    *, sender: str, recipients: Sequence[str], week_ending: date, sections: Sequence[Section]
) -> bytes:
    """multipart/related: the HTML, then each chart as an inline image its ``cid`` names."""
    message = MIMEMultipart("related")
    message["Subject"] = subject(week_ending)
    message["From"] = sender
    message["To"] = ", ".join(recipients)
    alternative = MIMEMultipart("alternative")
    alternative.attach(
        MIMEText(
            "The weekly management report is in this message's HTML part and its kept PDF.",
            "plain",
            "utf-8",
        )
    )
    alternative.attach(MIMEText(html_body(week_ending, sections), "html", "utf-8"))
    message.attach(alternative)
    for section in sections:
        image = MIMEImage(section.png, "png")
        image.add_header("Content-ID", f"<{section.content_id}>")
        image.add_header("Content-Disposition", "inline", filename=f"{section.content_id}.png")
        message.attach(image)
    return message.as_bytes()


def _latin(text: str) -> str:
    return text.encode("latin-1", "replace").decode("latin-1")


def pdf_document(week_ending: date, sections: Sequence[Section]) -> bytes:
    pdf = FPDF(orientation="portrait", unit="mm", format="A4")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.set_title(subject(week_ending))
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 15)
    pdf.multi_cell(0, 8, _latin(subject(week_ending)))
    pdf.set_font("Helvetica", "", 9)
    pdf.multi_cell(0, 5, "Groups of fewer than five customers are not shown.")
    for section in sections:
        report = section.report
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(0, 7, _latin(report.title))
        pdf.image(io.BytesIO(section.png), w=180)
        pdf.ln(2)
        pdf.set_font("Helvetica", "", 7)
        with pdf.table(text_align="LEFT", first_row_as_headings=True) as table:
            table.row([_latin(c) for c in report.table.columns])
            for cells in _cells(report)[:40]:
                table.row([_latin(c) for c in cells])
    return bytes(pdf.output())
