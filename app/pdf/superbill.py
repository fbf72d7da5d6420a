"""The superbill as letter pages: visit details, the code list in columns, then lined
blanks for diagnoses, modifiers, units and the provider's signature.

Page 1 keeps the visit details at the top and the blanks at the bottom, so the part the
provider fills in is always on the front. The code list flows down the columns between
them and spills onto more pages when it is long. Two columns leave room for longer
labels, so three are used only when two would need a second page, and labels are cut
to one line only when two-line labels would need a third page.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from reportlab.pdfbase.pdfmetrics import stringWidth  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.charge_forms import (
    HEADER_RULE,
    clock_time,
    draw_field,
    draw_footer,
    draw_header,
    draw_section_title,
    money,
    printable,
)
from app.pdf.common import (
    BOLD,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    fit_lines,
    new_canvas,
)
from app.services.superbill import CodeGroup, Superbill, SuperbillCode, SuperbillVisit

GAP = 10
COLUMN_GUTTER = 14
DIAGNOSIS_LETTERS = "ABCDEFGHIJKL"

# Code rows: a 7-point box, the code, the label (at most two lines) and the fee.
BOX = 7
CODE_X = 11
LABEL_X = 44
CODE_SIZE = 8
FEE_WIDTH = 40
ROW_HEIGHT = 10.5
LABEL_LINE_HEIGHT = 8.5
LABEL_SIZE = 7.5
HEADING_HEIGHT = 15

# Vertical bands in points from the page bottom. Page 1 leaves BLANKS_HEIGHT above the
# footer for the diagnosis, modifier and signature blanks. Later pages hold codes only.
FOOTER_SPACE = 16
BLANKS_HEIGHT = 196
FIRST_PAGE_CODES_BOTTOM: float = MARGIN + FOOTER_SPACE + BLANKS_HEIGHT + 8
LATER_PAGE_CODES_BOTTOM: float = MARGIN + FOOTER_SPACE

# (label, share of the row's width); the values come from SuperbillVisit.
VISIT_ROWS: tuple[tuple[tuple[str, float], ...], ...] = (
    (("Patient", 0.36), ("Chart", 0.14), ("Date of birth", 0.16), ("Date and time of visit", 0.34)),
    (("Provider", 0.25), ("Visit type", 0.17), ("Primary insurance", 0.3), ("Member id", 0.15), ("Account balance", 0.13)),  # noqa: E501
)  # fmt: skip
MODIFIER_FIELDS = (("Code", 0.2), ("Modifiers", 0.3), ("Units", 0.15), ("Diagnosis letters", 0.35))
SIGNATURE_FIELDS = (("Provider signature", 0.5), ("Date", 0.2), ("Return visit in", 0.3))

VISIT_ROW_HEIGHT = 27
FIRST_PAGE_CODES_TOP: float = HEADER_RULE - VISIT_ROW_HEIGHT * len(VISIT_ROWS) - 16
LATER_PAGE_CODES_TOP: float = HEADER_RULE - 10


@dataclass(frozen=True, slots=True)
class PlacedCell:
    """A group heading (`code` None) or a code row, at its column and top edge on a page."""

    page: int
    x: float
    top: float
    width: float
    height: float
    title: str
    code: SuperbillCode | None
    label_lines: tuple[str, ...]


def render_superbill(sheet: Superbill, path: Path) -> None:
    """Write `sheet` to `path` as a PDF of one or more pages (atomically)."""
    cells, _columns = lay_out_codes(sheet.groups)
    page_total = _page_count(cells)

    def write(target: Path) -> None:
        canvas = new_canvas(target, "Superbill")
        for page in range(page_total):
            codes_top = _first_page(canvas, sheet) if page == 0 else _later_page(canvas, sheet)
            if page == 0 and not cells:
                _no_codes(canvas, codes_top)
            for cell in cells:
                if cell.page == page:
                    _draw_cell(canvas, cell)
            if page == 0:
                _blanks(canvas)
            _footer(canvas, sheet, page, page_total)
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def lay_out_codes(groups: Sequence[CodeGroup]) -> tuple[list[PlacedCell], int]:
    """Place every group heading and code row, and return the cells and the column count.

    The first of these that fits is used: two columns on one page, three columns on two
    pages, then three columns with one-line labels on as many pages as they need.
    NOTE: one-line labels fit about 270 codes on two pages, and longer lists take a third.
    """
    two = _flow(groups, 2, label_lines=2)
    if _page_count(two) == 1:
        return two, 2
    three = _flow(groups, 3, label_lines=2)
    if _page_count(three) <= 2:
        return three, 3
    return _flow(groups, 3, label_lines=1), 3


def _page_count(cells: Sequence[PlacedCell]) -> int:
    return max((cell.page for cell in cells), default=0) + 1


def _flow(groups: Sequence[CodeGroup], columns: int, label_lines: int) -> list[PlacedCell]:
    """Fill the columns top to bottom, left to right, then the next page."""
    width = (CONTENT_WIDTH - COLUMN_GUTTER * (columns - 1)) / columns
    label_width = width - LABEL_X - FEE_WIDTH
    placed: list[PlacedCell] = []
    page, column = 0, 0
    y = _codes_top(page)

    def next_column() -> None:
        nonlocal page, column, y
        column += 1
        if column == columns:
            page, column = page + 1, 0
        y = _codes_top(page)

    def place(
        title: str, code: SuperbillCode | None, lines: tuple[str, ...], height: float
    ) -> None:
        nonlocal y
        x = MARGIN + column * (width + COLUMN_GUTTER)
        placed.append(PlacedCell(page, x, y, width, height, title, code, lines))
        y -= height

    for group in groups:
        rows = [
            (row, _label_lines(row.description, label_width, label_lines)) for row in group.codes
        ]
        first_height = _row_height(rows[0][1]) if rows else 0
        if y - HEADING_HEIGHT - first_height < _codes_bottom(page):
            next_column()
        place(group.title, None, (), HEADING_HEIGHT)
        for row, lines in rows:
            height = _row_height(lines)
            if y - height < _codes_bottom(page):
                next_column()
                place(f"{group.title} (continued)", None, (), HEADING_HEIGHT)
            place(group.title, row, lines, height)
        y -= 4
    return placed


def _label_lines(description: str, width: float, max_lines: int) -> tuple[str, ...]:
    return tuple(fit_lines(printable(description), REGULAR, LABEL_SIZE, width, max_lines))


def _row_height(lines: tuple[str, ...]) -> float:
    return ROW_HEIGHT + LABEL_LINE_HEIGHT * (len(lines) - 1)


def _codes_top(page: int) -> float:
    return FIRST_PAGE_CODES_TOP if page == 0 else LATER_PAGE_CODES_TOP


def _codes_bottom(page: int) -> float:
    return FIRST_PAGE_CODES_BOTTOM if page == 0 else LATER_PAGE_CODES_BOTTOM


def _first_page(canvas: Canvas, sheet: Superbill) -> float:
    notes = (f"Fees as of {sheet.fee_date:%m/%d/%Y}",)
    rule = draw_header(canvas, sheet.header, "Superbill", notes)
    values = _visit_values(sheet.visit)
    y = rule
    for row in VISIT_ROWS:
        y -= VISIT_ROW_HEIGHT
        x = MARGIN
        usable = CONTENT_WIDTH - GAP * (len(row) - 1)
        for label, share in row:
            width = usable * share
            draw_field(canvas, x, y, width, label=label, value=values.get(label, ""))
            x += width + GAP
    return FIRST_PAGE_CODES_TOP


def _later_page(canvas: Canvas, sheet: Superbill) -> float:
    notes = ("Continued",)
    if sheet.visit is not None:
        notes = (f"{sheet.visit.patient_name}, chart {sheet.visit.chart_number}",)
    draw_header(canvas, sheet.header, "Superbill", notes)
    return LATER_PAGE_CODES_TOP


def _visit_values(visit: SuperbillVisit | None) -> dict[str, str]:
    if visit is None:
        return {}
    return {
        "Patient": visit.patient_name,
        "Chart": visit.chart_number,
        "Date of birth": f"{visit.date_of_birth:%m/%d/%Y}",
        "Date and time of visit": f"{visit.starts_at:%m/%d/%Y} {clock_time(visit.starts_at)}",
        "Provider": visit.provider,
        "Visit type": visit.visit_type,
        "Primary insurance": visit.payer,
        "Member id": visit.member_id,
        "Account balance": money(visit.balance),
    }


def _no_codes(canvas: Canvas, top: float) -> None:
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN, top - 14, "No procedure codes are set up yet. Write the services given below."
    )


def _draw_cell(canvas: Canvas, cell: PlacedCell) -> None:
    if cell.code is None:
        baseline = cell.top - 10
        canvas.setFont(BOLD, 7.5)
        canvas.setFillColor(INK)
        canvas.drawString(cell.x, baseline, cell.title.upper())
        canvas.setStrokeColor(RULE)
        canvas.setLineWidth(0.5)
        canvas.line(cell.x, baseline - 2.5, cell.x + cell.width, baseline - 2.5)
        return

    baseline = cell.top - 8.5
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(0.6)
    canvas.rect(cell.x, baseline - 1, BOX, BOX)
    if cell.code.checked:
        canvas.setFont(BOLD, 7.5)
        canvas.setFillColor(INK)
        canvas.drawCentredString(cell.x + BOX / 2, baseline + 0.2, "X")
    # Five digits fit at full size. Wide letters, as in a local code such as "WMFEE",
    # print smaller so they never run into the label.
    room = LABEL_X - CODE_X - 3
    full_width = max(stringWidth(cell.code.code, BOLD, CODE_SIZE), 1)
    size = min(CODE_SIZE, CODE_SIZE * room / full_width)
    canvas.setFont(BOLD, size)
    canvas.setFillColor(INK)
    canvas.drawString(cell.x + CODE_X, baseline, cell.code.code)
    canvas.setFont(REGULAR, LABEL_SIZE)
    for number, line in enumerate(cell.label_lines):
        canvas.drawString(cell.x + LABEL_X, baseline - number * LABEL_LINE_HEIGHT, line)
    if cell.code.fee is not None:
        canvas.setFillColor(MUTED)
        canvas.drawRightString(cell.x + cell.width, baseline, money(cell.code.fee))


def _blanks(canvas: Canvas) -> None:
    """Draw the diagnosis, modifier and signature blanks at the bottom of page 1."""
    top = MARGIN + FOOTER_SPACE + BLANKS_HEIGHT
    canvas.setStrokeColor(RULE)
    canvas.setLineWidth(0.6)
    canvas.line(MARGIN, top, PAGE_WIDTH - MARGIN, top)

    y = top - 13
    draw_section_title(canvas, MARGIN, y, "Diagnoses (ICD-10-CM), primary first")
    cell_width = (CONTENT_WIDTH - 3 * GAP) / 4
    for index, letter in enumerate(DIAGNOSIS_LETTERS):
        row, column = divmod(index, 4)
        x = MARGIN + column * (cell_width + GAP)
        line_y = y - 19 - row * 19
        canvas.setFont(BOLD, 8.5)
        canvas.setFillColor(INK)
        canvas.drawString(x, line_y + 2, letter)
        canvas.setFont(REGULAR, 6.5)
        canvas.setFillColor(MUTED)
        canvas.drawString(x + stringWidth(letter, BOLD, 8.5) + 1.5, line_y + 2, str(index + 1))
        canvas.setStrokeColor(MUTED)
        canvas.line(x + 18, line_y, x + cell_width, line_y)

    y -= 19 * 3 + 20
    draw_section_title(canvas, MARGIN, y, "Modifiers and units for checked codes")
    half = (CONTENT_WIDTH - 2 * GAP) / 2
    for row in range(3):
        line_y = y - 20 - row * 23
        for side in range(2):
            _field_row(canvas, MARGIN + side * (half + 2 * GAP), line_y, half, MODIFIER_FIELDS)

    _field_row(canvas, MARGIN, MARGIN + FOOTER_SPACE + 14, CONTENT_WIDTH, SIGNATURE_FIELDS)


def _field_row(
    canvas: Canvas, x: float, y: float, width: float, fields: Sequence[tuple[str, float]]
) -> None:
    usable = width - 6 * (len(fields) - 1)
    for label, share in fields:
        field_width = usable * share
        draw_field(canvas, x, y, field_width, label=label, value="")
        x += field_width + 6


def _footer(canvas: Canvas, sheet: Superbill, page: int, page_total: int) -> None:
    page_note = f"Page {page + 1} of {page_total}"
    if sheet.visit is None:
        note = "Check each service given, write the diagnoses, and sign."
        draw_footer(canvas, note, page_note)
        return
    note = "Confidential patient information. Store securely and shred when no longer needed."
    draw_footer(canvas, note, f"Chart {sheet.visit.chart_number}   {page_note}")
