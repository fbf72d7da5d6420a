"""The tear-off remittance stub at the bottom of a statement's first page.

The stub is the bottom third of the page, so the cut line falls on the lower fold of a
letter folded in thirds. The practice's address sits where the window of a #9 return
envelope shows it (7/8 inch from the left edge, its last line about 1 inch above the
bottom of the page).
NOTE: the window position follows the common #9 window envelope; check it against the
envelopes the office buys.
"""

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.pdf.common import (
    BOLD,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    RULE,
)
from app.pdf.statement_document import StatementDocument, dollars, remit_lines
from app.pdf.statement_text import TextFitter

RIGHT = PAGE_WIDTH - MARGIN
STUB_TOP: float = PAGE_HEIGHT / 3
CUT_CAPTION = "Detach along the dashed line and return the lower part with your payment."
REMIT_X = 63.0  # 7/8 inch
REMIT_TOP = 150.0
BOX_X = 318.0
BOX_WIDTH = RIGHT - BOX_X
FIELD_LABEL_WIDTH = 84
# The guarantor's name may take this many lines, which hold as much of a name as the two
# lines of the address block. The account rows then still end above the remittance
# address's caption.
GUARANTOR_MAX_LINES = 3


def draw_stub(canvas: Canvas, document: StatementDocument, text: TextFitter) -> None:
    """Draw the cut line and the remittance stub under it."""
    _cut_line(canvas)
    _account_block(canvas, document, text)
    _remit_address(canvas, document, text)
    _payment_box(canvas, document, text)


def _cut_line(canvas: Canvas) -> None:
    canvas.setFont(REGULAR, 7)
    canvas.setFillColor(MUTED)
    canvas.drawCentredString(PAGE_WIDTH / 2, STUB_TOP + 5, CUT_CAPTION)
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.8)
    canvas.setDash(5, 3)
    canvas.line(18, STUB_TOP, PAGE_WIDTH - 18, STUB_TOP)
    canvas.setDash()


def _account_block(canvas: Canvas, document: StatementDocument, text: TextFitter) -> None:
    figures = document.figures
    y = STUB_TOP - 24
    canvas.setFont(BOLD, 11)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, y, "Return this part with your payment")

    rows = (
        ("Guarantor", figures.guarantor.name),
        ("Account number", figures.account_number),
        ("Statement date", f"{figures.statement_date:%m/%d/%Y}"),
        ("Statement", document.statement_number),
    )
    width = BOX_X - MARGIN - FIELD_LABEL_WIDTH - 16
    for label, value in rows:
        y -= 13
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(MARGIN, y, label)
        canvas.setFont(BOLD if label == "Account number" else REGULAR, 9)
        canvas.setFillColor(INK)
        # The guarantor's name wraps onto a second line rather than being cut.
        max_lines = GUARANTOR_MAX_LINES if label == "Guarantor" else 1
        for number, line in enumerate(text.lines(value, REGULAR, 9, width, max_lines)):
            if number:
                y -= 10.5
            canvas.drawString(MARGIN + FIELD_LABEL_WIDTH, y, line)


def _remit_address(canvas: Canvas, document: StatementDocument, text: TextFitter) -> None:
    practice = document.header.practice
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(REMIT_X, REMIT_TOP + 6, "MAKE CHECKS PAYABLE TO AND MAIL TO")
    y = REMIT_TOP - 8
    for number, line in enumerate(remit_lines(practice.name, practice.address)[:5]):
        canvas.setFont(BOLD if number == 0 else REGULAR, 10)
        canvas.setFillColor(INK)
        canvas.drawString(REMIT_X, y, text.line(line, REGULAR, 10, 240))
        y -= 12


def _payment_box(canvas: Canvas, document: StatementDocument, text: TextFitter) -> None:
    figures = document.figures
    top = STUB_TOP - 14
    row_height = 30
    due_by = f"{document.due_on:%m/%d/%Y}" if figures.amount_due > 0 else "Nothing is due"
    rows = (
        ("Amount due", dollars(figures.amount_due)),
        ("Please pay by", due_by),
        ("Amount enclosed", ""),
    )
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1)
    canvas.rect(BOX_X, top - row_height * len(rows), BOX_WIDTH, row_height * len(rows))
    y = top
    for number, (label, value) in enumerate(rows):
        if number:
            canvas.setStrokeColor(RULE)
            canvas.setLineWidth(0.6)
            canvas.line(BOX_X, y, RIGHT, y)
        baseline = y - 19
        canvas.setFont(REGULAR, 8)
        canvas.setFillColor(MUTED)
        canvas.drawString(BOX_X + 8, baseline, label)
        canvas.setFont(BOLD, 13 if number == 0 else 10.5)
        canvas.setFillColor(INK)
        if value:
            canvas.drawRightString(RIGHT - 8, baseline, value)
        else:
            canvas.drawRightString(RIGHT - 8, baseline, "$______________")
        y -= row_height
    _box_notes(canvas, document, text, y)


def _box_notes(canvas: Canvas, document: StatementDocument, text: TextFitter, top: float) -> None:
    figures = document.figures
    notes = []
    if figures.credit > 0:
        notes.append(f"Credit balance {dollars(figures.credit)}: nothing is due.")
    notes.append("Address or insurance changed? Write the new details on the back.")
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    y = top - 12
    for note in notes:
        for line in text.lines(note, REGULAR, 7.5, BOX_WIDTH, 2):
            canvas.drawString(BOX_X, y, line)
            y -= 9.5
