"""Text runs of a statement PDF with their boxes, to catch text drawn over other text."""

from dataclasses import dataclass
from itertools import combinations
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]

PAGE_WIDTH = 612.0
# Helvetica's glyphs reach about 0.2 em below the baseline and 0.72 em above it.
DESCENT = 0.2
ASCENT = 0.72
# Right-aligned text ends on the margin itself, give or take floating-point rounding.
ROUNDING = 0.01


@dataclass(frozen=True, slots=True)
class Run:
    """One drawn string: page (from 0), text, baseline start, width and font size in points."""

    page: int
    text: str
    x: float
    y: float
    width: float
    size: float

    @property
    def right(self) -> float:
        """The right edge of the run."""
        return self.x + self.width

    def overlaps(self, other: "Run") -> bool:
        """True when the two runs' glyph boxes share any area on one page."""
        if self.page != other.page:
            return False
        across = self.x < other.right and other.x < self.right
        bottom, top = self.y - DESCENT * self.size, self.y + ASCENT * self.size
        other_bottom = other.y - DESCENT * other.size
        other_top = other.y + ASCENT * other.size
        return across and bottom < other_top and other_bottom < top


def text_runs(path: Path) -> list[Run]:
    """Return every non-blank string the PDF at `path` draws, with its width and size."""
    runs: list[Run] = []
    for number, page in enumerate(PdfReader(path).pages):

        def visit(text: str, _cm: Any, tm: Any, font: Any, size: Any, page=number) -> None:
            text = text.strip()
            if not text or font is None:
                return
            name = str(font.get("/BaseFont", "/Helvetica")).lstrip("/")
            width = stringWidth(text, name, float(size))
            runs.append(Run(page, text, float(tm[4]), float(tm[5]), width, float(size)))

        page.extract_text(visitor_text=visit)
    return runs


def overlapping(runs: list[Run]) -> list[tuple[str, str]]:
    """Return the texts of every pair of runs drawn over each other."""
    return [
        (first.text, second.text)
        for first, second in combinations(runs, 2)
        if first.overlaps(second)
    ]


def outside_page(runs: list[Run], margin: float = 18.0) -> list[str]:
    """Return the texts of runs that reach within `margin` points of a page's side edges."""
    right_edge = PAGE_WIDTH - margin + ROUNDING
    return [run.text for run in runs if run.x < margin - ROUNDING or run.right > right_edge]
