"""The payment receipt as letter pages: the patient, the payment, the services it paid
and the balance left.

A payment spread over many services continues on more pages; the balance prints after
the last service.
"""

from collections.abc import Sequence
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.charge_forms import (
    HEADER_RULE,
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
from app.services.payment_receipt import AppliedLine, Receipt

RIGHT = PAGE_WIDTH - MARGIN
COLUMN_GAP = 18
HALF_WIDTH = (CONTENT_WIDTH - COLUMN_GAP) / 2
ROW_HEIGHT = 13
BOTTOM: float = MARGIN + 18

CODE_X = MARGIN + 110
# Space the patient and payment blocks take under the header, and the void banner.
PARTIES_HEIGHT = 92
VOID_BANNER_HEIGHT = 20
TABLE_HEADING_HEIGHT = 28
SUMMARY_HEIGHT = 150
LATER_TABLE_TOP: float = HEADER_RULE - 8


def render_receipt(receipt: Receipt, path: Path) -> None:
    """Write `receipt` to `path` as a PDF (atomically: complete or absent)."""
    first_top = HEADER_RULE - PARTIES_HEIGHT - (VOID_BANNER_HEIGHT if receipt.voided else 0)
    pages = paginate(len(receipt.applied), first_top)

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Payment receipt {receipt.receipt_number}")
        for number, (start, end) in enumerate(pages):
            _header(canvas, receipt)
            if number == 0:
                _parties(canvas, receipt)
                top = first_top
            else:
                top = LATER_TABLE_TOP
            title = "Applied to" if number == 0 else "Applied to (continued)"
            y = _applied_rows(canvas, receipt, receipt.applied[start:end], top, title)
            if number == len(pages) - 1:
                _summary(canvas, receipt, y)
            _footer(canvas, receipt, number, len(pages))
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def paginate(line_count: int, first_top: float) -> list[tuple[int, int]]:
    """Split the applied lines into (start, end) ranges, one per page.

    The summary needs SUMMARY_HEIGHT points under the last line; when it does not fit,
    the last page contains the table heading and the summary alone.
    """
    pages: list[tuple[int, int]] = []
    start, top = 0, first_top
    while True:
        space = top - TABLE_HEADING_HEIGHT - BOTTOM
        rest = line_count - start
        if rest * ROW_HEIGHT + SUMMARY_HEIGHT <= space:
            pages.append((start, line_count))
            return pages
        end = start + min(rest, max(int(space // ROW_HEIGHT), 1))
        pages.append((start, end))
        start, top = end, LATER_TABLE_TOP


def _header(canvas: Canvas, receipt: Receipt) -> None:
    notes = (f"Receipt {receipt.receipt_number}", f"Received {receipt.received_on:%m/%d/%Y}")
    draw_header(canvas, receipt.header, "Payment receipt", notes)


def method_text(receipt: Receipt) -> str:
    """Return the payment method as printed, such as "Check 1042" or "Card ending 4242"."""
    if receipt.check_number:
        return f"Check {receipt.check_number}"
    if receipt.card_last4:
        return f"Card ending {receipt.card_last4}"
    return receipt.method_label


def _parties(canvas: Canvas, receipt: Receipt) -> None:
    left = Column(canvas, MARGIN, HEADER_RULE, HALF_WIDTH)
    left.heading("Patient")
    left.field("Name", printable(receipt.patient_name), max_lines=1)
    left.field("Account", receipt.chart_number, max_lines=1)
    if receipt.payer_name:
        left.field("Paid by", printable(receipt.payer_name), max_lines=1)
    if receipt.memo:
        left.field("Memo", printable(receipt.memo), max_lines=2)

    right = Column(canvas, MARGIN + HALF_WIDTH + COLUMN_GAP, HEADER_RULE, HALF_WIDTH)
    right.heading("Payment")
    right.field("Date received", f"{receipt.received_on:%m/%d/%Y}", max_lines=1)
    right.field("Kind", receipt.kind_label, max_lines=1)
    right.field("Method", printable(method_text(receipt)), max_lines=1)
    if receipt.card_authorization:
        right.field("Authorization", printable(receipt.card_authorization), max_lines=1)
    right.field("Received by", printable(receipt.taken_by), max_lines=1)
    right.y -= 18
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(right.x, right.y, "AMOUNT RECEIVED")
    canvas.setFont(BOLD, 15)
    canvas.setFillColor(INK)
    canvas.drawRightString(RIGHT, right.y, money(receipt.amount))

    if receipt.voided:
        canvas.setFont(BOLD, 10)
        canvas.setFillColor(ALERT_COLORS["critical"])
        reason = printable(receipt.void_reason or "")
        text = fit_lines(f"VOIDED: {reason}", BOLD, 10, CONTENT_WIDTH, 1)[0]
        canvas.drawString(MARGIN, HEADER_RULE - PARTIES_HEIGHT - 8, text)


def _applied_rows(
    canvas: Canvas, receipt: Receipt, lines: Sequence[AppliedLine], top: float, title: str
) -> float:
    """Draw the table heading and `lines` from `top`, and return the y under the last row."""
    y = top - 14
    draw_section_title(canvas, MARGIN, y, title)

    y -= 12
    headings = ((MARGIN, "Date of service"), (CODE_X, "Code"))
    y = draw_column_headings(canvas, y, headings, [(RIGHT, "Amount paid")])

    if not receipt.applied:
        y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, y, "Not applied to a service yet.")
    for line in lines:
        y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, y, f"{line.service_date:%m/%d/%Y}")
        canvas.setFont(BOLD, 9)
        canvas.drawString(CODE_X, y, line.code)
        canvas.setFont(REGULAR, 9)
        canvas.drawRightString(RIGHT, y, money(line.amount))
    return y


def _summary(canvas: Canvas, receipt: Receipt, top: float) -> None:
    y = top - 6
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y, RIGHT, y)
    if receipt.credit:
        y -= 13
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, y, "Left on your account as a credit")
        canvas.drawRightString(RIGHT, y, money(receipt.credit))
    y -= 15
    canvas.setFont(BOLD, 10)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, y, "Total received")
    canvas.drawRightString(RIGHT, y, money(receipt.amount))
    _balance_box(canvas, receipt, y - 18)


def _balance_box(canvas: Canvas, receipt: Receipt, top: float) -> None:
    width, height = 240, 68
    x, y = RIGHT - width, top - height
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1)
    canvas.rect(x, y, width, height)
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    # A credit prints as a positive amount under its own label, as patients read it.
    credit = receipt.patient_balance < 0
    label = "YOUR CREDIT NOW" if credit else "YOUR BALANCE NOW"
    canvas.drawString(x + 8, y + height - 13, label)
    canvas.setFont(BOLD, 15)
    canvas.setFillColor(INK)
    canvas.drawRightString(x + width - 8, y + height - 17, money(abs(receipt.patient_balance)))
    insurance = receipt.account_balance - receipt.patient_balance
    canvas.setFont(REGULAR, 8.5)
    canvas.drawString(x + 8, y + 23, "Waiting on insurance")
    canvas.drawRightString(x + width - 8, y + 23, money(insurance))
    canvas.drawString(x + 8, y + 10, "Account balance")
    canvas.drawRightString(x + width - 8, y + 10, money(receipt.account_balance))


def _footer(canvas: Canvas, receipt: Receipt, page: int, page_total: int) -> None:
    phone = receipt.header.practice.phone
    note = "Thank you. Keep this receipt for your records."
    if phone:
        note += f" Questions about your account? Call {phone}."
    draw_footer(canvas, note, f"Account {receipt.chart_number}   Page {page + 1} of {page_total}")
