"""Every report's table as CSV or XLSX (openpyxl), exactly as the API's JSON shows it."""

from __future__ import annotations

import csv
import io
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font

from ff_shared.adp.insights import Report


def _cell(value: Any) -> Any:
    return "" if value is None else value


def to_csv(report: Report) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(report.table.columns)
    for row in report.table.rows:
        writer.writerow([_cell(v) for v in row])
    return buffer.getvalue().encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = report.name[:31]
    sheet.append(report.table.columns)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in report.table.rows:
        sheet.append([v if v is None or isinstance(v, int | float) else str(v) for v in row])
    notes = book.create_sheet("about")
    notes.append(["report", report.title])
    notes.append(["suppressed groups (fewer than five customers)", report.suppressed])
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()
