"""The deposit report as letter pages: the deposit, one row per item, the totals by method
and, once reconciled, the bank's amount and the difference.

A long deposit continues on more pages, and the totals print after the last item.
"""

from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.colors import Color  # type: ignore[import-untyped]
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
from app.services.deposits import DepositItem, DepositReport

RIGHT = PAGE_WIDTH - MARGIN
ROW_HEIGHT = 13
BOTTOM: float = MARGIN + 18
TABLE_HEADING_HEIGHT = 27

# Left edges of the item table's columns; the amount is right-aligned at RIGHT.
DATE_X = MARGIN
REFERENCE_X = MARGIN + 58
CHECK_X = MARGIN + 160
PARTY_X = MARGIN + 240
METHOD_X = RIGHT - 130
PARTY_WIDTH = METHOD_X - PARTY_X - 8

# Space the deposit block takes under the header on the first page.
SUMMARY_BLOCK_HEIGHT = 52
FIRST_TABLE_TOP: float = HEADER_RULE - SUMMARY_BLOCK_HEIGHT
LATER_TABLE_TOP: float = HEADER_RULE - 8
# Room the totals need under the last item: rule, one row per method, the total,
# then the bank amount, difference, note and who reconciled.
TOTALS_BASE_HEIGHT = 24
TOTALS_ROW_HEIGHT = 13
RECONCILIATION_HEIGHT = 76


def render_deposit_report(report: DepositReport, path: Path) -> None:
    """Write `report` to `path` as a PDF (atomically: complete or absent)."""
    pages = paginate(len(report.items), _totals_height(report))

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Deposit {report.deposit_number}")
        for number, (start, end) in enumerate(pages):
            _header(canvas, report)
            if number == 0:
                _deposit_block(canvas, report)
                top = FIRST_TABLE_TOP
            else:
                top = LATER_TABLE_TOP
            title = "Items" if number == 0 else "Items (continued)"
            y = _item_rows(canvas, report.items[start:end], top, title)
            if number == len(pages) - 1:
                _totals(canvas, report, y)
            _footer(canvas, report, number, len(pages))
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def paginate(item_count: int, totals_height: float) -> list[tuple[int, int]]:
    """Split the items into (start, end) ranges, one per page.

    The totals need `totals_height` points under the last item. When they do not fit
    there, the last page holds only the table heading and the totals.
    """
    pages: list[tuple[int, int]] = []
    start, top = 0, FIRST_TABLE_TOP
    while True:
        room = top - TABLE_HEADING_HEIGHT - BOTTOM
        rest = item_count - start
        if rest * ROW_HEIGHT + totals_height <= room:
            pages.append((start, item_count))
            return pages
        end = start + min(rest, max(int(room // ROW_HEIGHT), 1))
        pages.append((start, end))
        start, top = end, LATER_TABLE_TOP


def _totals_height(report: DepositReport) -> float:
    height = TOTALS_BASE_HEIGHT + TOTALS_ROW_HEIGHT * (len(report.totals_by_method) + 1)
    return height + RECONCILIATION_HEIGHT


def _header(canvas: Canvas, report: DepositReport) -> None:
    notes = (f"Deposit {report.deposit_number}", f"Printed {report.printed_on:%m/%d/%Y}")
    draw_header(canvas, report.header, "Deposit report", notes)


def _deposit_block(canvas: Canvas, report: DepositReport) -> None:
    y = HEADER_RULE - 16
    status = "Reconciled" if report.status == "reconciled" else "Not reconciled"
    facts = (
        ("Deposit number", report.deposit_number),
        ("Deposited on", f"{report.deposited_on:%m/%d/%Y}"),
        ("Method", report.method_label),
        ("Status", status),
    )
    width = (RIGHT - MARGIN) / len(facts)
    for index, (label, value) in enumerate(facts):
        x = MARGIN + index * width
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(x, y, label)
        canvas.setFont(BOLD, 10.5)
        canvas.setFillColor(INK)
        canvas.drawString(x, y - 14, value)


def _item_rows(canvas: Canvas, items: Sequence[DepositItem], top: float, title: str) -> float:
    """Draw the table heading and `items` from `top`, and return the y under the last row."""
    y = top - 12
    draw_section_title(canvas, MARGIN, y, title)

    y -= 12
    headings = (
        (DATE_X, "Received"),
        (REFERENCE_X, "Receipt or trace"),
        (CHECK_X, "Check number"),
        (PARTY_X, "Payer or account"),
        (METHOD_X, "Method"),
    )
    y = draw_column_headings(canvas, y, headings, [(RIGHT, "Amount")])

    for item in items:
        y -= ROW_HEIGHT
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED if item.voided else INK)
        canvas.drawString(DATE_X, y, f"{item.received_on:%m/%d/%Y}")
        reference = fit_lines(printable(item.reference), REGULAR, 9, CHECK_X - REFERENCE_X - 6, 1)
        canvas.drawString(REFERENCE_X, y, reference[0])
        check = fit_lines(printable(item.check_number or ""), REGULAR, 9, PARTY_X - CHECK_X - 6, 1)
        canvas.drawString(CHECK_X, y, check[0])
        party = printable(item.party) + (" (voided)" if item.voided else "")
        canvas.drawString(PARTY_X, y, fit_lines(party, REGULAR, 9, PARTY_WIDTH, 1)[0])
        canvas.drawString(METHOD_X, y, item.method_label)
        canvas.drawRightString(RIGHT, y, money(item.amount))
    return y


def _totals(canvas: Canvas, report: DepositReport, top: float) -> None:
    y = top - 6
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y, RIGHT, y)
    label_right = RIGHT - 110
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(INK)
    for label, amount in report.totals_by_method:
        y -= TOTALS_ROW_HEIGHT
        canvas.drawRightString(label_right, y, f"{label} total")
        canvas.drawRightString(RIGHT, y, money(amount))
    y -= TOTALS_ROW_HEIGHT + 2
    canvas.setFont(BOLD, 10)
    # Voided items print greyed out and add nothing to the expected amount.
    count = sum(1 for item in report.items if not item.voided)
    noun = "item" if count == 1 else "items"
    canvas.drawRightString(label_right, y, f"Expected deposit ({count} {noun})")
    canvas.drawRightString(RIGHT, y, money(report.expected_amount))
    _reconciliation(canvas, report, y - 24)


def _reconciliation(canvas: Canvas, report: DepositReport, top: float) -> None:
    y = top
    draw_section_title(canvas, MARGIN, y, "Bank reconciliation")
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y - 4, RIGHT, y - 4)
    y -= 17
    if report.bank_amount is None or report.difference is None:
        canvas.setFont(REGULAR, 9)
        canvas.setFillColor(MUTED)
        canvas.drawString(
            MARGIN, y, "Not reconciled yet: compare this report with the bank statement."
        )
        return

    _amount_row(canvas, y, "Bank statement amount", money(report.bank_amount))
    y -= TOTALS_ROW_HEIGHT
    color = INK if report.difference == 0 else ALERT_COLORS["critical"]
    _amount_row(canvas, y, "Difference (bank minus expected)", money(report.difference), color)
    y -= TOTALS_ROW_HEIGHT
    who = printable(report.reconciled_by) or "unknown user"
    when = f" on {report.reconciled_on:%m/%d/%Y}" if report.reconciled_on else ""
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, y, f"Reconciled by {who}{when}")
    if report.note:
        y -= TOTALS_ROW_HEIGHT
        note = fit_lines(printable(f"Note: {report.note}"), REGULAR, 8.5, RIGHT - MARGIN, 1)
        canvas.drawString(MARGIN, y, note[0])


def _amount_row(canvas: Canvas, y: float, label: str, value: str, color: Color = INK) -> None:
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, y, label)
    canvas.setFont(BOLD, 9)
    canvas.setFillColor(color)
    canvas.drawRightString(RIGHT, y, value)


def _footer(canvas: Canvas, report: DepositReport, page: int, page_total: int) -> None:
    draw_footer(
        canvas,
        "Keep with the bank's deposit receipt.",
        f"Deposit {report.deposit_number}   Page {page + 1} of {page_total}",
    )
