"""The page cursor of a statement: headers, page breaks, the first page's stub and notice.

Every page carries the practice header with the account number and "Page N of M". The
first page ends with the financial-assistance notice and the remittance stub, so its
content stops higher than on the pages after it.

Counting the pages lays the statement out on a MeasuringCanvas, which draws nothing, so
each statement is drawn only once. A statement that fits on page 1 keeps no room for
"Continued on page 2", so its tables may reach down to the assistance notice.
"""

from collections.abc import Callable
from typing import Any

from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.pdf.charge_forms import HEADER_RULE, draw_footer, draw_header
from app.pdf.common import BOLD, CONTENT_WIDTH, MARGIN, MUTED, PAGE_WIDTH, REGULAR
from app.pdf.statement_document import StatementDocument
from app.pdf.statement_stub import STUB_TOP, draw_stub
from app.pdf.statement_text import TextFitter

RIGHT = PAGE_WIDTH - MARGIN
# Room between the last row's baseline and whatever ends the page. A statement of
# several pages needs it for "Continued on page N". One of one page needs only room for
# the descenders of the 7.5-point rows, which reach about 1.5 points below the baseline.
CONTINUED_ROOM = 14
LAST_ROW_ROOM = 2
LATER_PAGE_FLOOR: float = MARGIN + 10
NOTICE_SIZE = 7
NOTICE_LEADING = 8.5
NOTICE_MAX_LINES = 4
# The assistance notice's last baseline, above the cut line's caption.
NOTICE_BASELINE: float = STUB_TOP + 20
# The sizes and width charge_forms.draw_header uses for the practice name (left) and the
# title (right) on one baseline; keep them equal to its values. TITLE_GAP is the least
# room kept between the two.
PRACTICE_NAME_SIZE = 13
PRACTICE_NAME_WIDTH = 330
TITLE_SIZE = 15
TITLE_GAP = 12


def _ignore(*_args: Any, **_kwargs: Any) -> None:
    return None


class MeasuringCanvas:
    """A stand-in for a reportlab Canvas that accepts every drawing call and draws nothing.

    The flow measures text with font metrics (pdfmetrics.stringWidth), never through the
    canvas, and no drawing call it makes returns a value, so a statement laid out on
    this canvas breaks its pages exactly where the real drawing does.
    """

    def __getattr__(self, name: str) -> Callable[..., None]:
        return _ignore


class StatementFlow:
    """A cursor down one statement's pages that starts a new page when a row does not fit.

    On a MeasuringCanvas only the layout runs: headers, footers, the notice and the stub
    sit at fixed places, so they are skipped. `end_room` is the room kept under the last
    row of each page: CONTINUED_ROOM, or LAST_ROW_ROOM when the whole statement is
    known to fit on one page.
    """

    def __init__(
        self,
        canvas: Canvas,
        document: StatementDocument,
        page_total: int,
        text: TextFitter,
        end_room: float = CONTINUED_ROOM,
    ) -> None:
        self.canvas = canvas
        self.document = document
        self.page_total = page_total
        self.text = text
        self.end_room = end_room
        self.measuring = isinstance(canvas, MeasuringCanvas)
        self.page = 0
        self.notice = text.lines(
            document.assistance_notice, REGULAR, NOTICE_SIZE, CONTENT_WIDTH, NOTICE_MAX_LINES
        )
        # Draws the heading of the table being written again at the top of a new page.
        self.repeat: Callable[[], None] | None = None
        self.y: float = self._header()

    @property
    def floor(self) -> float:
        """The top of what ends the current page: the notice and stub, or the footer."""
        if self.page:
            return LATER_PAGE_FLOOR
        if not self.document.assistance_notice:
            return STUB_TOP + 14
        return NOTICE_BASELINE + (len(self.notice) - 1) * NOTICE_LEADING + 8

    @property
    def bottom(self) -> float:
        """The lowest baseline content may use on the current page."""
        return self.floor + self.end_room

    def need(self, height: float) -> None:
        """Move to a new page unless `height` points fit above the current page's bottom."""
        if self.y - height >= self.bottom:
            return
        self._continued_note()
        self.finish_page()
        self.canvas.showPage()
        self.page += 1
        self.y = self._header() - 6
        if self.repeat is not None:
            self.repeat()

    def finish_page(self) -> None:
        """Draw the first page's notice and stub, or a later page's footer."""
        if self.measuring:
            return
        if self.page == 0:
            self._assistance_notice()
            draw_stub(self.canvas, self.document, self.text)
            return
        phone = self.document.header.practice.phone
        note = "Please send the stub from page 1 with your payment."
        if phone:
            note += f" Questions? Call {phone}."
        figures = self.document.figures
        draw_footer(self.canvas, self.text.printable(note), f"Account {figures.account_number}")

    def _header(self) -> float:
        if self.measuring:
            # draw_header always returns the y of its rule, HEADER_RULE.
            return HEADER_RULE
        figures = self.document.figures
        title = self._title()
        notes = (
            f"Account {figures.account_number}",
            f"{figures.statement_date:%m/%d/%Y} \u00b7 Page {self.page + 1} of {self.page_total}",
        )
        return draw_header(self.canvas, self.document.header, title, notes)

    def _title(self) -> str:
        """Return the level label, cut to the room the practice name leaves on its line.

        A label may have 40 characters, which beside a long practice name would be
        drawn over it.
        """
        title = self.text.printable(self.document.level_label) or "Statement"
        name = self.document.header.practice.name
        drawn_name = self.text.line(name, BOLD, PRACTICE_NAME_SIZE, PRACTICE_NAME_WIDTH)
        room = CONTENT_WIDTH - stringWidth(drawn_name, BOLD, PRACTICE_NAME_SIZE) - TITLE_GAP
        return self.text.line(title, BOLD, TITLE_SIZE, room)

    def _continued_note(self) -> None:
        self.canvas.setFont(REGULAR, 7.5)
        self.canvas.setFillColor(MUTED)
        self.canvas.drawRightString(RIGHT, self.floor + 3, f"Continued on page {self.page + 2}")

    def _assistance_notice(self) -> None:
        if not self.document.assistance_notice:
            return
        self.canvas.setFont(REGULAR, NOTICE_SIZE)
        self.canvas.setFillColor(MUTED)
        y = NOTICE_BASELINE + (len(self.notice) - 1) * NOTICE_LEADING
        for line in self.notice:
            self.canvas.drawString(MARGIN, y, line)
            y -= NOTICE_LEADING
