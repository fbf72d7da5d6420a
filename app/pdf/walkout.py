"""The walkout receipt as letter pages: patient and visit, the billed services, today's
payments, the balance and the next visit.

Most visits fit one page. A long list of services continues on more pages, and the
totals print after the last service.
"""

from collections.abc import Sequence
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.charge_forms import (
    HEADER_RULE,
    clock_time,
    draw_footer,
    draw_header,
    draw_section_title,
    money,
    printable,
)
from app.pdf.common import (
    ALERT_COLORS,
    BOLD,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    Column,
    draw_column_headings,
    fit_lines,
    new_canvas,
)
from app.services.walkout import ReceiptLine, Walkout

RIGHT = PAGE_WIDTH - MARGIN
COLUMN_GAP = 18
HALF_WIDTH = (CONTENT_WIDTH - COLUMN_GAP) / 2
ROW_HEIGHT = 13
PAYMENT_ROW_HEIGHT = 12
BOTTOM: float = MARGIN + 18

# Left edges of the service table's columns. Units and charge are right-aligned, at
# UNITS_RIGHT and RIGHT.
DATE_X = MARGIN
CODE_X = MARGIN + 58
MODIFIERS_X = MARGIN + 100
DESCRIPTION_X = MARGIN + 156
UNITS_RIGHT = RIGHT - 86
DESCRIPTION_WIDTH = UNITS_RIGHT - 36 - DESCRIPTION_X

# Space the patient and visit block takes under the header, and the draft note under it.
PARTIES_HEIGHT = 86
DRAFT_NOTE_HEIGHT = 16
TABLE_HEADING_HEIGHT = 22
LATER_TABLE_TOP: float = HEADER_RULE - 8


def render_walkout(receipt: Walkout, path: Path) -> None:
    """Write `receipt` to `path` as a PDF (atomically: complete or absent)."""
    first_top = _first_table_top(receipt)
    pages = paginate(len(receipt.lines), first_top, _summary_height(receipt))

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Walkout receipt {receipt.encounter_number}")
        for number, (start, end) in enumerate(pages):
            _header(canvas, receipt)
            if number == 0:
                _parties(canvas, receipt)
                top = first_top
            else:
                top = LATER_TABLE_TOP
            title = "Services" if number == 0 else "Services (continued)"
            y = _service_rows(canvas, receipt.lines[start:end], top, title)
            if number == len(pages) - 1:
                _summary(canvas, receipt, y)
            _footer(canvas, receipt, number, len(pages))
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def paginate(line_count: int, first_top: float, summary_height: float) -> list[tuple[int, int]]:
    """Split the service lines into (start, end) ranges, one per page.

    The summary needs `summary_height` points under the last line. When it does not fit
    there, the last page contains only the table heading and the summary.
    """
    pages: list[tuple[int, int]] = []
    start, top = 0, first_top
    while True:
        room = int((top - TABLE_HEADING_HEIGHT - BOTTOM) // ROW_HEIGHT)
        rest = line_count - start
        if rest * ROW_HEIGHT + summary_height <= top - TABLE_HEADING_HEIGHT - BOTTOM:
            pages.append((start, line_count))
            return pages
        end = start + min(rest, max(room, 1))
        pages.append((start, end))
        start, top = end, LATER_TABLE_TOP


def _first_table_top(receipt: Walkout) -> float:
    top = HEADER_RULE - PARTIES_HEIGHT
    return top if receipt.posted else top - DRAFT_NOTE_HEIGHT


def _summary_height(receipt: Walkout) -> float:
    payments = 26 + PAYMENT_ROW_HEIGHT * max(len(receipt.payments), 1) + 16
    return 22 + 30 + max(payments, 76) + 34


def _header(canvas: Canvas, receipt: Walkout) -> None:
    status = "" if receipt.posted else " (draft)"
    notes = (
        f"Printed {receipt.printed_on:%m/%d/%Y}",
        f"Encounter {receipt.encounter_number}{status}",
    )
    draw_header(canvas, receipt.header, "Walkout receipt", notes)


def _parties(canvas: Canvas, receipt: Walkout) -> None:
    left = Column(canvas, MARGIN, HEADER_RULE, HALF_WIDTH)
    left.heading("Patient")
    left.field("Name", printable(receipt.patient_name), max_lines=1)
    left.field("Chart", receipt.chart_number, max_lines=1)
    left.field("Date of birth", f"{receipt.date_of_birth:%m/%d/%Y}", max_lines=1)
    left.field("Responsible party", printable(receipt.guarantor), max_lines=1)

    right = Column(canvas, MARGIN + HALF_WIDTH + COLUMN_GAP, HEADER_RULE, HALF_WIDTH)
    right.heading("Visit")
    right.field("Date of service", f"{receipt.service_date:%m/%d/%Y}", max_lines=1)
    right.field("Provider", printable(receipt.provider), max_lines=1)
    right.field("Provider NPI", receipt.provider_npi, max_lines=1)
    right.field("Encounter", receipt.encounter_number, max_lines=1)
    if not receipt.posted:
        canvas.setFont(BOLD, 8.5)
        canvas.setFillColor(ALERT_COLORS["warning"])
        canvas.drawString(
            MARGIN,
            HEADER_RULE - PARTIES_HEIGHT - 4,
            "DRAFT: these charges are not posted yet, so the balance below does not include them.",
        )


def _service_rows(canvas: Canvas, lines: Sequence[ReceiptLine], top: float, title: str) -> float:
    """Draw the table heading and `lines` from `top`, and return the y under the last row."""
    y = top - 12
    draw_section_title(canvas, MARGIN, y, title)

    y -= 12
    headings = (
        (DATE_X, "Date"),
        (CODE_X, "Code"),
        (MODIFIERS_X, "Modifiers"),
        (DESCRIPTION_X, "Description"),
    )
    y = draw_column_headings(canvas, y, headings, [(UNITS_RIGHT, "Units"), (RIGHT, "Charge")])

    for line in lines:
        y -= ROW_HEIGHT
        canvas.setFillColor(INK)
        canvas.setFont(REGULAR, 9)
        canvas.drawString(DATE_X, y, f"{line.service_date:%m/%d/%Y}")
        canvas.setFont(BOLD, 9)
        canvas.drawString(CODE_X, y, line.code)
        canvas.setFont(REGULAR, 9)
        canvas.drawString(MODIFIERS_X, y, " ".join(line.modifiers))
        description = fit_lines(printable(line.description), REGULAR, 9, DESCRIPTION_WIDTH, 1)[0]
        canvas.drawString(DESCRIPTION_X, y, description)
        canvas.drawRightString(UNITS_RIGHT, y, str(line.units))
        if line.charge is None:
            canvas.setFillColor(MUTED)
            canvas.drawRightString(RIGHT, y, "no fee set")
        else:
            canvas.drawRightString(RIGHT, y, money(line.charge))
    return y


def _summary(canvas: Canvas, receipt: Walkout, top: float) -> None:
    y = top - 6
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y, RIGHT, y)
    y -= 13
    canvas.setFont(BOLD, 10)
    canvas.setFillColor(INK)
    canvas.drawRightString(UNITS_RIGHT, y, "Total charges")
    canvas.drawRightString(RIGHT, y, money(receipt.total_charges))

    y -= 16
    diagnoses = ", ".join(receipt.diagnoses) or "None recorded"
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, y, "Diagnoses (ICD-10-CM)")
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(INK)
    for number, line in enumerate(fit_lines(diagnoses, REGULAR, 9, CONTENT_WIDTH - 110, 2)):
        canvas.drawString(MARGIN + 110, y - number * 11, line)

    y -= 30
    _payments(canvas, receipt, y)
    box_bottom = _balance_box(canvas, receipt, y)
    payments_bottom = y - 26 - PAYMENT_ROW_HEIGHT * max(len(receipt.payments), 1) - 16
    _next_visit(canvas, receipt, min(box_bottom, payments_bottom) - 18)


def _payments(canvas: Canvas, receipt: Walkout, top: float) -> None:
    column_right = MARGIN + HALF_WIDTH
    y = top - 12
    draw_section_title(canvas, MARGIN, y, "Payments received today")
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y - 4, column_right, y - 4)
    y -= 6
    if not receipt.payments:
        y -= PAYMENT_ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, y, "No payments today.")
    for payment in receipt.payments:
        y -= PAYMENT_ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, y, clock_time(payment.posted_at))
        memo = fit_lines(printable(payment.memo or "Payment"), REGULAR, 9, HALF_WIDTH - 120, 1)[0]
        canvas.drawString(MARGIN + 52, y, memo)
        canvas.drawRightString(column_right, y, money(payment.amount))
    y -= 15
    canvas.setFont(BOLD, 9)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, y, "Paid today")
    canvas.drawRightString(column_right, y, money(receipt.paid_today))


def _balance_box(canvas: Canvas, receipt: Walkout, top: float) -> float:
    """Draw the balance box on the right half from `top`, and return its bottom edge."""
    width, height = 220, 68
    x, y = RIGHT - width, top - height
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1)
    canvas.rect(x, y, width, height)
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(x + 8, y + height - 13, "YOUR BALANCE NOW")
    canvas.setFont(BOLD, 15)
    canvas.setFillColor(INK)
    canvas.drawRightString(x + width - 8, y + height - 17, money(receipt.patient_part))
    insurance = receipt.balance - receipt.patient_part
    canvas.setFont(REGULAR, 8.5)
    canvas.drawString(x + 8, y + 23, "Waiting on insurance")
    canvas.drawRightString(x + width - 8, y + 23, money(insurance))
    canvas.drawString(x + 8, y + 10, "Account balance")
    canvas.drawRightString(x + width - 8, y + 10, money(receipt.balance))
    return float(y)


def _next_visit(canvas: Canvas, receipt: Walkout, y: float) -> None:
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, y, "Next appointment")
    canvas.setFont(BOLD, 10)
    canvas.setFillColor(INK)
    visit = receipt.next_visit
    if visit is None:
        text = "None booked. Please call us to schedule your next visit."
    else:
        when = f"{visit.starts_at:%A, %B} {visit.starts_at.day}, {visit.starts_at:%Y}"
        text = f"{when} at {clock_time(visit.starts_at)} with {visit.provider}"
    canvas.drawString(
        MARGIN + 110, y, fit_lines(printable(text), BOLD, 10, CONTENT_WIDTH - 110, 1)[0]
    )


def _footer(canvas: Canvas, receipt: Walkout, page: int, page_total: int) -> None:
    phone = receipt.header.practice.phone
    note = "Keep this receipt for your records."
    if phone:
        note += f" Questions about this bill? Call {phone}."
    draw_footer(canvas, note, f"Chart {receipt.chart_number}   Page {page + 1} of {page_total}")
