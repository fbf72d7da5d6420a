"""Pieces shared by the superbill and the walkout receipt: the billing header, money,
lined fields and text the standard fonts can draw.
"""

import unicodedata
from datetime import datetime
from decimal import Decimal

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
    fit_lines,
)
from app.services.billing_header import BillingHeader

# Letters with no decomposition to a Latin-1 base letter, written the way US forms do.
_ASCII_LETTERS = str.maketrans(
    {"Ł": "L", "ł": "l", "Đ": "D", "đ": "d", "\u0131": "i", "Ŀ": "L", "ŀ": "l"}
)
REPLACEMENT = "?"
# The y of the rule under the header that draw_header draws.
HEADER_RULE: float = PAGE_HEIGHT - MARGIN - 42


def printable(text: str) -> str:
    """Return `text` with every character the standard PDF fonts lack replaced.

    The Helvetica fonts draw the Windows-1252 characters (Latin-1 plus typographic
    quotes, dashes and the ellipsis), and reportlab 5.1 prints a black box for anything
    else. Accented
    letters outside that set lose the accent ("ő" becomes "o"); other characters, such
    as Chinese script, become "?".
    """
    result = []
    for character in text.translate(_ASCII_LETTERS):
        if _drawable(character):
            result.append(character)
            continue
        base = "".join(
            part
            for part in unicodedata.normalize("NFKD", character)
            if not unicodedata.combining(part)
        )
        result.append(base if base and all(_drawable(part) for part in base) else REPLACEMENT)
    return "".join(result)


def _drawable(character: str) -> bool:
    try:
        character.encode("cp1252")
    except UnicodeEncodeError:
        return False
    return True


def money(amount: Decimal) -> str:
    """Return an amount as printed, such as "$1,234.50" or "-$20.00"."""
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"


def clock_time(moment: datetime) -> str:
    """Return the time of day as printed, such as "9:05 AM"."""
    return f"{moment:%I:%M %p}".lstrip("0")


def draw_header(canvas: Canvas, header: BillingHeader, title: str, notes: tuple[str, ...]) -> float:
    """Draw the practice on the left and `title` with up to two `notes` on the right.

    The rule under the header is at HEADER_RULE, which is also returned.
    """
    y: float = PAGE_HEIGHT - MARGIN - 12
    practice = header.practice
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 13)
    canvas.drawString(MARGIN, y, fit_lines(printable(practice.name), BOLD, 13, 330, 1)[0])
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    contact = "   ".join(part for part in (practice.address, practice.phone) if part)
    canvas.drawString(MARGIN, y - 12, fit_lines(printable(contact), REGULAR, 8.5, 360, 1)[0])
    if header.billing_npi:
        canvas.drawString(MARGIN, y - 23, f"Billing NPI {header.billing_npi}")

    canvas.setFont(BOLD, 15)
    canvas.setFillColor(INK)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y, title)
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    for number, note in enumerate(notes[:2], 1):
        line = fit_lines(printable(note), REGULAR, 8.5, 150, 1)[0]
        canvas.drawRightString(PAGE_WIDTH - MARGIN, y - 11 * number - 1, line)

    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, HEADER_RULE, PAGE_WIDTH - MARGIN, HEADER_RULE)
    return HEADER_RULE


def draw_field(canvas: Canvas, x: float, y: float, width: float, *, label: str, value: str) -> None:
    """Draw a line to write on at `y`, `value` in bold above it and `label` below it."""
    if value:
        canvas.setFont(BOLD, 9.5)
        canvas.setFillColor(INK)
        canvas.drawString(x + 2, y + 3, fit_lines(printable(value), BOLD, 9.5, width - 4, 1)[0])
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.6)
    canvas.line(x, y, x + width, y)
    if label:
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(x, y - 8, fit_lines(label, REGULAR, 7, width, 1)[0])


def draw_section_title(canvas: Canvas, x: float, y: float, title: str) -> None:
    """Draw a small upper-case section title with its baseline at `y`."""
    canvas.setFont(BOLD, 9)
    canvas.setFillColor(INK)
    canvas.drawString(x, y, title.upper())


def draw_footer(canvas: Canvas, left: str, right: str) -> None:
    """Draw the footer line: a note on the left and `right` (such as the page) on the right."""
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, MARGIN, left)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, printable(right))
