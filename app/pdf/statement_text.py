"""Printable, wrapped text for statements, remembered while a batch of them is drawn.

A statement draws the same names, provider names and service descriptions on many
rows, a run draws the same message and notices on every statement, and each statement
is laid out twice (once to count its pages). Making text printable and wrapping it to a
width are pure functions of their arguments, so a TextFitter keeps each result the first
time and returns it again.

The remembered text includes patient names, so a fitter lives only as long as the
drawing that made it: one statement, or one run.
"""

from app.pdf.charge_forms import printable
from app.pdf.common import fit_lines

_LinesKey = tuple[str, str, float, float, int]


class TextFitter:
    """Remembered results of `printable` and `fit_lines` for one set of statements."""

    def __init__(self) -> None:
        self._printable: dict[str, str] = {}
        self._lines: dict[_LinesKey, tuple[str, ...]] = {}

    def printable(self, text: str) -> str:
        """Return `text` with the characters the standard fonts lack replaced (see printable)."""
        found = self._printable.get(text)
        if found is None:
            found = self._printable[text] = printable(text)
        return found

    def lines(
        self, text: str, font: str, size: float, width: float, max_lines: int
    ) -> tuple[str, ...]:
        """Return `text` made printable and wrapped to `width` points, as fit_lines wraps it."""
        key = (text, font, size, width, max_lines)
        found = self._lines.get(key)
        if found is None:
            found = self._lines[key] = tuple(
                fit_lines(self.printable(text), font, size, width, max_lines)
            )
        return found

    def line(self, text: str, font: str, size: float, width: float) -> str:
        """Return `text` made printable and cut with an ellipsis to fit on one line."""
        return self.lines(text, font, size, width, 1)[0]
