"""The call list: one row per reminder call, with the number to dial and the visit."""

from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.common import (
    BOLD,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    fit_lines,
    new_canvas,
)
from app.services.reminder_printing import CallLine, CallSheet

ROW_HEIGHT = 30
FOOTER_HEIGHT = 36
# (heading, x offset from the margin, width) for each column; the widths fill 525 points.
COLUMNS = (
    ("Visit", 0, 92),
    ("Patient", 92, 135),
    ("Phone", 227, 88),
    ("Provider", 315, 105),
    ("Prefers", 420, 70),
    ("Done", 495, 30),
)


def render_call_list(sheet: CallSheet, path: Path) -> None:
    """Write `sheet` to `path` as a PDF (atomically: complete or absent)."""

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Reminder calls from {sheet.printed_on:%m/%d/%Y}")
        _draw(canvas, sheet)
        canvas.save()

    write_atomically(path, write)


def _draw(canvas: Canvas, sheet: CallSheet) -> None:
    page = 1
    y = _page_top(canvas, sheet, page)
    if not sheet.lines:
        canvas.setFont(REGULAR, 10)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, y - 20, "No reminder calls are queued.")
    for line in sheet.lines:
        if y - ROW_HEIGHT < MARGIN + FOOTER_HEIGHT:
            _footer(canvas, page)
            canvas.showPage()
            page += 1
            y = _page_top(canvas, sheet, page)
        _row(canvas, line, y)
        y -= ROW_HEIGHT
    _footer(canvas, page)
    canvas.showPage()


def _page_top(canvas: Canvas, sheet: CallSheet, page: int) -> float:
    y: float = PAGE_HEIGHT - MARGIN - 12
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 13)
    canvas.drawString(MARGIN, y, fit_lines(sheet.practice.name, BOLD, 13, 330, 1)[0])
    canvas.setFont(BOLD, 15)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y, "Reminder calls")
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, y - 12, sheet.practice.phone)
    printed = f"Visits from {sheet.printed_on:%m/%d/%Y} · {len(sheet.lines)} calls"
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y - 12, printed)
    y -= 34
    canvas.setFont(BOLD, 8.5)
    canvas.setFillColor(INK)
    for heading, offset, _width in COLUMNS:
        canvas.drawString(MARGIN + offset, y, heading)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y - 5, PAGE_WIDTH - MARGIN, y - 5)
    return y - 5


def _row(canvas: Canvas, line: CallLine, top: float) -> None:
    starts = line.starts_at
    clock = f"{starts.hour % 12 or 12}:{starts:%M} {'AM' if starts.hour < 12 else 'PM'}"
    first = (f"{starts:%a %m/%d}", line.patient_name, line.phone, line.provider_name)
    second = (clock, "", "", line.location)
    for (_heading, offset, width), upper, lower in zip(COLUMNS, first, second, strict=False):
        canvas.setFont(REGULAR, 9.5)
        canvas.setFillColor(INK)
        canvas.drawString(
            MARGIN + offset, top - 12, fit_lines(upper, REGULAR, 9.5, width - 6, 1)[0]
        )
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN + offset, top - 23, fit_lines(lower, REGULAR, 8, width - 6, 1)[0])
    _heading, offset, width = COLUMNS[4]
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(INK)
    canvas.drawString(
        MARGIN + offset, top - 12, fit_lines(line.preferred_contact, REGULAR, 8.5, width - 6, 1)[0]
    )
    canvas.setStrokeColor(MUTED)
    canvas.rect(MARGIN + COLUMNS[5][1] + 6, top - 18, 10, 10)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.3)
    canvas.line(MARGIN, top - ROW_HEIGHT, PAGE_WIDTH - MARGIN, top - ROW_HEIGHT)


def _footer(canvas: Canvas, page: int) -> None:
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN,
        MARGIN,
        "Contains patient contact details. Shred after use; do not leave unattended.",
    )
    canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"Page {page}")
