"""Reading back the text of a PDF with where each piece sits on its page."""

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader


@dataclass(frozen=True, slots=True)
class PlacedText:
    """One run of text, its page (from 0) and its baseline position in points."""

    page: int
    text: str
    x: float
    y: float


def placed_text(path: Path) -> list[PlacedText]:
    """Return every non-blank text run of the PDF at `path` with its position."""
    found: list[PlacedText] = []
    for number, page in enumerate(PdfReader(path).pages):

        def visit(text: str, _cm: Any, tm: Any, _font: Any, _size: Any, page=number) -> None:
            if text.strip():
                found.append(PlacedText(page, text.strip(), float(tm[4]), float(tm[5])))

        page.extract_text(visitor_text=visit)
    return found


def page_count(path: Path) -> int:
    """Return the number of pages of the PDF at `path`."""
    return len(PdfReader(path).pages)
