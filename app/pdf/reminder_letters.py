"""Reminder letters, one per page, laid out for a #10 window envelope.

The page is folded in three (fold marks print at the left edge), so the return address
at the top and the patient's address block below it show through a standard #10
double-window envelope.
NOTE: the address positions are an estimate of the usual #10 window placement, with the
recipient window about 7/8 inch from the left and 2 to 3 1/4 inches from the page top.
Check them against the practice's own envelopes before a large mailing.
"""

from pathlib import Path

from reportlab.lib.units import inch  # type: ignore[import-untyped]
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
from app.services.reminder_printing import Letter, LetterBatch

RETURN_LEFT = 0.625 * inch
RETURN_TOP = PAGE_HEIGHT - 0.5 * inch
ADDRESS_LEFT = 0.875 * inch
ADDRESS_TOP = PAGE_HEIGHT - 2.25 * inch
ADDRESS_WIDTH = 3.75 * inch
ADDRESS_MAX_LINES = 5
BODY_LEFT = 1.0 * inch
BODY_TOP = PAGE_HEIGHT - 4.0 * inch
BODY_WIDTH = PAGE_WIDTH - 2 * BODY_LEFT
BODY_SIZE = 11
BODY_LEADING = 15
FOLD_MARKS = (PAGE_HEIGHT * 2 / 3, PAGE_HEIGHT / 3)


def render_reminder_letters(batch: LetterBatch, path: Path) -> None:
    """Write one page per letter in `batch` to `path` (atomically: complete or absent)."""

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Appointment reminder letters {batch.printed_on:%m/%d/%Y}")
        if not batch.letters:
            _empty(canvas)
        for letter in batch.letters:
            _letter(canvas, batch, letter)
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def _empty(canvas: Canvas) -> None:
    canvas.setFont(REGULAR, 11)
    canvas.setFillColor(MUTED)
    canvas.drawString(BODY_LEFT, BODY_TOP, "No reminder letters are queued.")
    canvas.showPage()


def _letter(canvas: Canvas, batch: LetterBatch, letter: Letter) -> None:
    _return_address(canvas, batch)
    _address_block(canvas, letter)
    canvas.setFont(REGULAR, 10)
    canvas.setFillColor(INK)
    canvas.drawString(
        BODY_LEFT,
        BODY_TOP + 28,
        f"{batch.printed_on:%B} {batch.printed_on.day}, {batch.printed_on.year}",
    )
    _body(canvas, letter.body)
    _fold_marks(canvas)


def _return_address(canvas: Canvas, batch: LetterBatch) -> None:
    practice = batch.practice
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 11)
    canvas.drawString(RETURN_LEFT, RETURN_TOP - 11, fit_lines(practice.name, BOLD, 11, 250, 1)[0])
    canvas.setFont(REGULAR, 9)
    y = RETURN_TOP - 23
    for line in fit_lines(practice.address, REGULAR, 9, 250, 2):
        canvas.drawString(RETURN_LEFT, y, line)
        y -= 11
    if practice.phone:
        canvas.drawString(RETURN_LEFT, y, practice.phone)


def _address_block(canvas: Canvas, letter: Letter) -> None:
    canvas.setFont(REGULAR, 11)
    canvas.setFillColor(INK)
    y = ADDRESS_TOP - 11
    for line in letter.address_lines[:ADDRESS_MAX_LINES]:
        canvas.drawString(
            ADDRESS_LEFT, y, fit_lines(line.upper(), REGULAR, 11, ADDRESS_WIDTH, 1)[0]
        )
        y -= 13


def _body(canvas: Canvas, text: str) -> None:
    canvas.setFont(REGULAR, BODY_SIZE)
    canvas.setFillColor(INK)
    y = BODY_TOP
    bottom = MARGIN + BODY_LEADING
    for paragraph in text.splitlines():
        lines = (
            fit_lines(paragraph, REGULAR, BODY_SIZE, BODY_WIDTH, 40) if paragraph.strip() else [""]
        )
        for line in lines:
            if y < bottom:
                # NOTE: text past the page end is dropped (templates are short).
                return
            canvas.drawString(BODY_LEFT, y, line)
            y -= BODY_LEADING


def _fold_marks(canvas: Canvas) -> None:
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.5)
    for y in FOLD_MARKS:
        canvas.line(0.15 * inch, y, 0.4 * inch, y)
