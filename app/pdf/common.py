"""Page layout shared by the printed forms: letter pages, wrapped text, atomic files.

Text uses the standard Helvetica fonts, which cover Latin-1 only.
NOTE: characters outside Latin-1 (such as names in Chinese script) print as blanks.
"""

import logging
from collections.abc import Sequence
from pathlib import Path

from reportlab.lib.colors import Color, HexColor  # type: ignore[import-untyped]
from reportlab.lib.pagesizes import letter  # type: ignore[import-untyped]
from reportlab.lib.utils import simpleSplit  # type: ignore[import-untyped]
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

log = logging.getLogger(__name__)

PAGE_WIDTH, PAGE_HEIGHT = letter
MARGIN = 43.2  # 0.6 inch, inside the printable area of common office printers
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN
REGULAR = "Helvetica"
BOLD = "Helvetica-Bold"
INK = HexColor("#1f2933")
MUTED = HexColor("#52606d")
RULE = HexColor("#9aa5b1")
ALERT_COLORS: dict[str, Color] = {
    "critical": HexColor("#b42318"),
    "warning": HexColor("#b54708"),
    "info": HexColor("#175cd3"),
}
ELLIPSIS = "\u2026"


def new_canvas(path: Path, title: str) -> Canvas:
    """Return a letter-size canvas writing to `path`, with document metadata set."""
    canvas = Canvas(str(path), pagesize=letter, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("ClinicDesk")
    return canvas


def draw_column_headings(
    canvas: Canvas,
    y: float,
    left: Sequence[tuple[float, str]],
    right: Sequence[tuple[float, str]] = (),
) -> float:
    """Draw a table's small headings at `y` and a rule under them, and return the y under it.

    A heading in `left` starts at its x, and one in `right` ends at its x. The rule runs
    across the page.
    """
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    for x, heading in left:
        canvas.drawString(x, y, heading)
    for x, heading in right:
        canvas.drawRightString(x, y, heading)
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, y - 3, PAGE_WIDTH - MARGIN, y - 3)
    return y - 3


def fit_lines(text: str, font: str, size: float, width: float, max_lines: int) -> list[str]:
    """Wrap `text` to `width` points; cut the last line with an ellipsis past `max_lines`."""
    lines = [
        piece
        for line in simpleSplit(text, font, size, width) or [""]
        for piece in _split_wide(line, font, size, width)
    ]
    if len(lines) <= max_lines:
        return lines
    kept = lines[:max_lines]
    last = kept[-1]
    while last and stringWidth(last + ELLIPSIS, font, size) > width:
        last = last[:-1]
    kept[-1] = last.rstrip() + ELLIPSIS
    return kept


def _split_wide(line: str, font: str, size: float, width: float) -> list[str]:
    """Break a line wider than `width` into pieces that fit.

    simpleSplit breaks only at spaces, so one long word (a reference number, a web
    address, a name without spaces) would otherwise run past the column.
    """
    if stringWidth(line, font, size) <= width:
        return [line]
    pieces = []
    current = ""
    for character in line:
        if current and stringWidth(current + character, font, size) > width:
            pieces.append(current)
            current = character
        else:
            current += character
    pieces.append(current)
    return pieces


class Column:
    """A vertical run of text in one column of a page, moving down as it writes."""

    def __init__(self, canvas: Canvas, x: float, top: float, width: float) -> None:
        self.canvas = canvas
        self.x = x
        self.y = top
        self.width = width

    def heading(self, text: str) -> None:
        """Write a section heading with a rule under it."""
        self.y -= 19
        self.canvas.setFont(BOLD, 10.5)
        self.canvas.setFillColor(INK)
        self.canvas.drawString(self.x, self.y, text.upper())
        self.y -= 4
        self.canvas.setStrokeColor(RULE)
        self.canvas.setLineWidth(0.6)
        self.canvas.line(self.x, self.y, self.x + self.width, self.y)
        self.y -= 2

    def field(self, label: str, value: str, label_width: float = 92, max_lines: int = 2) -> None:
        """Write "label  value" with the value wrapped beside the label."""
        if not value:
            return
        lines = fit_lines(value, REGULAR, 9, self.width - label_width, max_lines)
        self.y -= 11.5
        self.canvas.setFont(REGULAR, 8)
        self.canvas.setFillColor(MUTED)
        self.canvas.drawString(self.x, self.y, label)
        self.canvas.setFont(REGULAR, 9)
        self.canvas.setFillColor(INK)
        for number, line in enumerate(lines):
            if number:
                self.y -= 10.5
            self.canvas.drawString(self.x + label_width, self.y, line)

    def text(
        self,
        value: str,
        font: str = REGULAR,
        size: float = 9,
        color: Color = INK,
        max_lines: int = 2,
    ) -> None:
        """Write a wrapped paragraph across the column."""
        self.canvas.setFont(font, size)
        self.canvas.setFillColor(color)
        for line in fit_lines(value, font, size, self.width, max_lines):
            self.y -= size + 2.5
            self.canvas.drawString(self.x, self.y, line)
