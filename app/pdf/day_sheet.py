"""The day sheet as letter pages: every payment of a business day, totals by method,
the closes with their counted amounts and differences, and voided payments apart.

The sheet is drawn twice, once to count its pages, so each footer can print "Page 2 of 3".
"""

import io
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.money import ZERO
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
    INK,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    draw_column_headings,
    fit_lines,
    new_canvas,
)
from app.services.day_close import ClosedDay, DaySheet
from app.services.payments import PaymentRow

RIGHT = PAGE_WIDTH - MARGIN
ROW_HEIGHT = 12.5
BOTTOM: float = MARGIN + 20

# Left edges of the payment table's columns; the amount is right-aligned at RIGHT.
RECEIPT_X = MARGIN
PATIENT_X = MARGIN + 70
ACCOUNT_X = MARGIN + 196
KIND_X = MARGIN + 252
METHOD_X = MARGIN + 310
TAKEN_BY_X = MARGIN + 385
PATIENT_WIDTH = ACCOUNT_X - PATIENT_X - 6
METHOD_WIDTH = TAKEN_BY_X - METHOD_X - 6
TAKEN_BY_WIDTH = RIGHT - 60 - TAKEN_BY_X

METHOD_NAMES = {"cash": "Cash", "check": "Checks", "card": "Cards", "eft": "EFT", "other": "Other"}
# Right edges of the close's Expected, Counted and Difference columns.
EXPECTED_RIGHT = MARGIN + 150
COUNTED_RIGHT = MARGIN + 240
DIFFERENCE_RIGHT = MARGIN + 330


def render_day_sheet(sheet: DaySheet, path: Path) -> None:
    """Write `sheet` to `path` as a PDF (atomically: complete or absent)."""
    counting = _Flow(Canvas(io.BytesIO()), sheet, page_total=0)
    _draw(counting)
    page_total = counting.page + 1

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Day sheet {sheet.day:%m/%d/%Y}")
        _draw(_Flow(canvas, sheet, page_total))
        canvas.save()

    write_atomically(path, write)


class _Flow:
    """A cursor down the pages that starts a new page when the next row does not fit."""

    def __init__(self, canvas: Canvas, sheet: DaySheet, page_total: int) -> None:
        self.canvas = canvas
        self.sheet = sheet
        self.page_total = page_total
        self.page = 0
        self.y: float = HEADER_RULE - 6
        # Draws the heading of the table being written again at the top of a new page.
        self.repeat: Callable[[], None] | None = None
        self._header()

    def need(self, height: float) -> None:
        """Move to a new page unless `height` points fit above the bottom margin."""
        if self.y - height >= BOTTOM:
            return
        self.finish_page()
        self.canvas.showPage()
        self.page += 1
        self.y = HEADER_RULE - 6
        self._header()
        if self.repeat is not None:
            self.repeat()

    def finish_page(self) -> None:
        """Draw the footer of the current page."""
        who = self.sheet.user_name or "All users"
        total = f" of {self.page_total}" if self.page_total else ""
        draw_footer(
            self.canvas,
            f"Day sheet {self.sheet.day:%m/%d/%Y}, {printable(who)}. Contains patient "
            "information: keep it in the office.",
            f"Page {self.page + 1}{total}",
        )

    def _header(self) -> None:
        who = self.sheet.user_name or "All users"
        notes = (f"Business day {self.sheet.day:%m/%d/%Y}", printable(who))
        draw_header(self.canvas, self.sheet.header, "Day sheet", notes)


def _draw(flow: _Flow) -> None:
    _payment_table(flow, flow.sheet.payments)
    _totals(flow)
    _closes(flow)
    _voided_table(flow, flow.sheet.voided)
    flow.finish_page()
    flow.canvas.showPage()


def _section(flow: _Flow, title: str) -> None:
    flow.need(44)
    flow.y -= 20
    draw_section_title(flow.canvas, MARGIN, flow.y, title)


def _payment_heading(flow: _Flow) -> None:
    canvas = flow.canvas
    flow.y -= 13
    headings = (
        (RECEIPT_X, "Receipt"),
        (PATIENT_X, "Patient"),
        (ACCOUNT_X, "Account"),
        (KIND_X, "Kind"),
        (METHOD_X, "Method"),
        (TAKEN_BY_X, "Taken by"),
    )
    flow.y = draw_column_headings(canvas, flow.y, headings, [(RIGHT, "Amount")])


def method_text(row: PaymentRow) -> str:
    """Return the method as the sheet prints it: "Check 1042", "Card 4242" or "Cash"."""
    if row.method == "check":
        return f"Check {row.check_number}"
    if row.method == "card":
        return f"Card {row.card_last4}"
    return METHOD_NAMES.get(row.method, row.method)


def _payment_row(flow: _Flow, row: PaymentRow) -> None:
    flow.need(ROW_HEIGHT)
    canvas = flow.canvas
    flow.y -= ROW_HEIGHT
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(INK)
    canvas.drawString(RECEIPT_X, flow.y, row.receipt_number)
    patient = printable(row.patient_name)
    if row.payer_name:
        patient = f"{patient} ({printable(row.payer_name)})"
    canvas.drawString(PATIENT_X, flow.y, fit_lines(patient, REGULAR, 8.5, PATIENT_WIDTH, 1)[0])
    canvas.drawString(ACCOUNT_X, flow.y, row.chart_number)
    canvas.drawString(KIND_X, flow.y, row.kind.capitalize())
    canvas.drawString(
        METHOD_X, flow.y, fit_lines(printable(method_text(row)), REGULAR, 8.5, METHOD_WIDTH, 1)[0]
    )
    canvas.drawString(
        TAKEN_BY_X, flow.y, fit_lines(printable(row.taken_by), REGULAR, 8.5, TAKEN_BY_WIDTH, 1)[0]
    )
    canvas.drawRightString(RIGHT, flow.y, money(row.amount))


def _payment_table(flow: _Flow, rows: tuple[PaymentRow, ...]) -> None:
    _section(flow, "Payments")
    _payment_heading(flow)
    flow.repeat = lambda: _payment_heading(flow)
    if not rows:
        flow.y -= ROW_HEIGHT
        flow.canvas.setFont(REGULAR, 9)
        flow.canvas.setFillColor(MUTED)
        flow.canvas.drawString(MARGIN, flow.y, "No payments on this day.")
    for row in rows:
        _payment_row(flow, row)
    flow.repeat = None


def _totals(flow: _Flow) -> None:
    totals = flow.sheet.totals
    flow.need(20 + ROW_HEIGHT * 7)
    _section(flow, "Totals by method")
    canvas = flow.canvas
    flow.y -= 4
    for method, amount in totals.expected.items():
        flow.y -= ROW_HEIGHT
        label = METHOD_NAMES.get(method, method)
        if method == "check":
            label = f"Checks ({totals.check_count})"
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, flow.y, label)
        canvas.drawRightString(MARGIN + 220, flow.y, money(amount))
    flow.y -= 4
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, flow.y, MARGIN + 220, flow.y)
    flow.y -= ROW_HEIGHT
    canvas.setFont(BOLD, 9.5)
    noun = "payment" if totals.payment_count == 1 else "payments"
    canvas.drawString(MARGIN, flow.y, f"Total ({totals.payment_count} {noun})")
    canvas.drawRightString(MARGIN + 220, flow.y, money(totals.total))


def _closes(flow: _Flow) -> None:
    _section(flow, "Day close")
    canvas = flow.canvas
    if not flow.sheet.closes:
        flow.y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, flow.y, "Not closed yet.")
    for close in flow.sheet.closes:
        _close_block(flow, close)
    if flow.sheet.closes and flow.sheet.open_users:
        flow.need(ROW_HEIGHT + 4)
        flow.y -= ROW_HEIGHT + 4
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(ALERT_COLORS["warning"])
        names = printable(", ".join(flow.sheet.open_users))
        canvas.drawString(
            MARGIN, flow.y, fit_lines(f"Not closed yet: {names}", REGULAR, 9, RIGHT - MARGIN, 1)[0]
        )


def _close_block(flow: _Flow, close: ClosedDay) -> None:
    flow.need(ROW_HEIGHT * 7 + 10)
    canvas = flow.canvas
    flow.y -= ROW_HEIGHT + 4
    canvas.setFont(BOLD, 9)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, flow.y, printable(close.user_name))
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(
        RIGHT, flow.y, f"Closed {close.closed_at:%m/%d/%Y} at {clock_time(close.closed_at)}"
    )

    flow.y -= ROW_HEIGHT
    for x, heading in (
        (EXPECTED_RIGHT, "Expected"),
        (COUNTED_RIGHT, "Counted"),
        (DIFFERENCE_RIGHT, "Difference"),
    ):
        canvas.drawRightString(x, flow.y, heading)
    rows = (
        ("Cash", close.expected_cash, close.counted_cash, close.cash_difference),
        ("Checks", close.expected_checks, close.counted_checks, close.check_difference),
    )
    for label, expected, counted, difference in rows:
        flow.y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(INK)
        canvas.drawString(MARGIN, flow.y, label)
        canvas.drawRightString(EXPECTED_RIGHT, flow.y, money(expected))
        canvas.drawRightString(COUNTED_RIGHT, flow.y, money(counted))
        _difference(canvas, DIFFERENCE_RIGHT, flow.y, difference)
    flow.y -= ROW_HEIGHT
    canvas.setFont(BOLD, 9)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, flow.y, "Cash and checks")
    _difference(canvas, DIFFERENCE_RIGHT, flow.y, close.difference)
    flow.y -= ROW_HEIGHT
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN,
        flow.y,
        f"Not counted at the desk: cards {money(close.expected_cards)}, "
        f"EFT and other {money(close.expected_other)}",
    )
    if close.note:
        for line in fit_lines(printable(f"Note: {close.note}"), REGULAR, 8.5, RIGHT - MARGIN, 3):
            flow.need(ROW_HEIGHT)
            flow.y -= ROW_HEIGHT
            canvas.setFont(REGULAR, 8.5)
            canvas.setFillColor(INK)
            canvas.drawString(MARGIN, flow.y, line)


def _difference(canvas: Canvas, x: float, y: float, amount: Decimal) -> None:
    # A count that is off prints in the alert color so it is seen at a glance.
    canvas.setFillColor(ALERT_COLORS["critical"] if amount != ZERO else INK)
    canvas.drawRightString(x, y, money(amount))
    canvas.setFillColor(INK)


def _voided_table(flow: _Flow, rows: tuple[PaymentRow, ...]) -> None:
    _section(flow, "Voided payments (not in the totals)")
    canvas = flow.canvas
    if not rows:
        flow.y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, flow.y, "None.")
        return
    _payment_heading(flow)
    flow.repeat = lambda: _payment_heading(flow)
    for row in rows:
        _payment_row(flow, row)
        flow.need(ROW_HEIGHT)
        flow.y -= ROW_HEIGHT - 2
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        reason = printable(f"Reason: {row.void_reason or ''}")
        canvas.drawString(PATIENT_X, flow.y, fit_lines(reason, REGULAR, 8, RIGHT - PATIENT_X, 1)[0])
    flow.repeat = None
