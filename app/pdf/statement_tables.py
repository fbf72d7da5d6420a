"""The statement's two tables: activity since the last statement, and visits with their
charges, what insurance and the guarantor paid, and what is still owed.

Both continue across pages with their column headings repeated. The visits table
prints the practice's own description of each service and never a diagnosis. Patient
and provider names wrap onto further lines of their row instead of being cut.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from app.pdf.charge_forms import draw_section_title
from app.pdf.common import (
    ALERT_COLORS,
    INK,
    MARGIN,
    MUTED,
    PAGE_WIDTH,
    REGULAR,
    draw_column_headings,
)
from app.pdf.statement_document import balance_text, change_text, dollars
from app.pdf.statement_flow import StatementFlow
from app.services.statement_figures import ActivityRow, StatementLine

RIGHT = PAGE_WIDTH - MARGIN
SIZE = 7.5
LEADING = 9
ROW_GAP = 2.5
# The room above a section title, and what the title and column headings take.
SECTION_GAP = 14
HEADINGS_HEIGHT = 15
COLUMN_GAP = 4

# Visits table: left edges of the text columns and right edges of the amounts. A name
# column is wide enough for most names with a credential ("Kathryn Scott, DO").
DATE_X = MARGIN
PATIENT_X = MARGIN + 42
NAME_WIDTH = 63
PROVIDER_X = PATIENT_X + NAME_WIDTH + COLUMN_GAP
SERVICE_X = PROVIDER_X + NAME_WIDTH + COLUMN_GAP
CHARGE_RIGHT = MARGIN + 318
INSURANCE_RIGHT = MARGIN + 372
ADJUSTMENT_RIGHT = MARGIN + 420
PAID_RIGHT = MARGIN + 464
BALANCE_RIGHT = RIGHT
SERVICE_WIDTH = CHARGE_RIGHT - 38 - SERVICE_X
SERVICE_MAX_LINES = 2
# A name wraps onto at most this many lines, enough for a name of about 60 characters.
# NOTE: a longer name is cut with an ellipsis on its last line.
NAME_MAX_LINES = 5

# Activity table.
KIND_X = MARGIN + 116
ACTIVITY_NAME_WIDTH = KIND_X - COLUMN_GAP - PATIENT_X
DESCRIPTION_X = MARGIN + 170
CHARGES_RIGHT = RIGHT - 96
DESCRIPTION_WIDTH = CHARGES_RIGHT - 50 - DESCRIPTION_X
KIND_LABELS = {
    "charge": "Charge",
    "payment": "Payment",
    "adjustment": "Adjustment",
    "patient_share": "Your share",
    "insurance": "Insurance",
}


def activity_table(flow: StatementFlow) -> None:
    """Draw the activity since the last statement, oldest first."""
    figures = flow.document.figures
    if figures.last_statement_on is None:
        title = "Account activity"
    else:
        title = f"Activity since your last statement ({figures.last_statement_on:%m/%d/%Y})"
    if not figures.activity:
        _section(flow, title, None, _row_height(1))
        _empty_row(flow, "No activity since your last statement.")
        return
    first_height = _row_height(len(_activity_cells(flow, figures.activity[0])[0]))
    _section(flow, title, lambda: _activity_headings(flow), first_height)
    for row in figures.activity:
        _activity_row(flow, row)
    flow.repeat = None


def visits_table(flow: StatementFlow) -> None:
    """Draw one row per service still open or with activity since the last statement."""
    lines = flow.document.figures.lines
    if not lines:
        _section(flow, "Visits and services", None, _row_height(1))
        _empty_row(flow, "No open services.")
        return
    first_height = _row_height(_visit_cells(flow, lines[0]).line_count)
    _section(flow, "Visits and services", lambda: _visit_headings(flow), first_height)
    for line in lines:
        _visit_row(flow, line)
    flow.repeat = None


def _section(
    flow: StatementFlow,
    title: str,
    headings: Callable[[], None] | None,
    first_row_height: float,
) -> None:
    """Start a table: its title and any headings, kept together with its first row.

    The title, marked "(continued)", and the headings are drawn again at the top of
    each page the table continues on.
    """
    headings_height = 0 if headings is None else HEADINGS_HEIGHT
    flow.need(SECTION_GAP + headings_height + first_row_height)
    flow.y -= SECTION_GAP
    draw_section_title(flow.canvas, MARGIN, flow.y, title)
    if headings is None:
        flow.repeat = None
        return
    headings()

    def repeat() -> None:
        flow.y -= 12
        draw_section_title(flow.canvas, MARGIN, flow.y, f"{title} (continued)")
        headings()

    flow.repeat = repeat


def _activity_headings(flow: StatementFlow) -> None:
    flow.y -= 12
    left = ((DATE_X, "Date"), (PATIENT_X, "Patient"), (KIND_X, "Type"), (DESCRIPTION_X, "Detail"))
    right = ((CHARGES_RIGHT, "Charges"), (RIGHT, "Payments and credits"))
    flow.y = draw_column_headings(flow.canvas, flow.y, left, right)


def _activity_cells(
    flow: StatementFlow, row: ActivityRow
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Return the activity row's wrapped patient name and description."""
    name = flow.text.lines(row.patient_name, REGULAR, SIZE, ACTIVITY_NAME_WIDTH, NAME_MAX_LINES)
    description = flow.text.lines(row.description, REGULAR, SIZE, DESCRIPTION_WIDTH, 2)
    return name, description


def _activity_row(flow: StatementFlow, row: ActivityRow) -> None:
    name, description = _activity_cells(flow, row)
    line_count = max(len(name), len(description))
    if _placed(flow, _row_height(line_count)):
        return
    canvas = flow.canvas
    flow.y -= LEADING + ROW_GAP
    canvas.setFont(REGULAR, SIZE)
    canvas.setFillColor(INK)
    canvas.drawString(DATE_X, flow.y, f"{row.posted_on:%m/%d/%Y}")
    _cell(flow, PATIENT_X, name)
    canvas.drawString(KIND_X, flow.y, KIND_LABELS.get(row.kind, row.kind.capitalize()))
    # A charge adds to what the guarantor owes, and anything that lowers it is a credit.
    if row.amount >= 0:
        canvas.drawRightString(CHARGES_RIGHT, flow.y, dollars(row.amount))
    else:
        canvas.drawRightString(RIGHT, flow.y, dollars(row.amount))
    _cell(flow, DESCRIPTION_X, description)
    flow.y -= (line_count - 1) * LEADING


def _visit_headings(flow: StatementFlow) -> None:
    flow.y -= 12
    left = (
        (DATE_X, "Date"),
        (PATIENT_X, "Patient"),
        (PROVIDER_X, "Provider"),
        (SERVICE_X, "Service"),
    )
    right = (
        (CHARGE_RIGHT, "Charge"),
        (INSURANCE_RIGHT, "Insurance paid"),
        (ADJUSTMENT_RIGHT, "Adjustments"),
        (PAID_RIGHT, "You paid"),
        (BALANCE_RIGHT, "Balance"),
    )
    flow.y = draw_column_headings(flow.canvas, flow.y, left, right)


@dataclass(frozen=True, slots=True)
class _VisitCells:
    """A visits row's wrapped text, and how many lines the row takes."""

    patient: tuple[str, ...]
    provider: tuple[str, ...]
    service: tuple[str, ...]
    pending: bool

    @property
    def line_count(self) -> int:
        """The lines of the tallest column; the pending note sits under the service."""
        service_lines = len(self.service) + (1 if self.pending else 0)
        return max(len(self.patient), len(self.provider), service_lines)


def _visit_cells(flow: StatementFlow, line: StatementLine) -> _VisitCells:
    def name(text: str) -> tuple[str, ...]:
        return flow.text.lines(text, REGULAR, SIZE, NAME_WIDTH, NAME_MAX_LINES)

    return _VisitCells(
        patient=name(line.patient_name),
        provider=name(line.provider_name),
        service=flow.text.lines(line.description, REGULAR, SIZE, SERVICE_WIDTH, SERVICE_MAX_LINES),
        pending=line.insurance_pending > 0,
    )


def _visit_row(flow: StatementFlow, line: StatementLine) -> None:
    cells = _visit_cells(flow, line)
    if _placed(flow, _row_height(cells.line_count)):
        return
    canvas = flow.canvas
    flow.y -= LEADING + ROW_GAP
    canvas.setFont(REGULAR, SIZE)
    canvas.setFillColor(INK)
    canvas.drawString(DATE_X, flow.y, f"{line.service_date:%m/%d/%Y}")
    _cell(flow, PATIENT_X, cells.patient)
    _cell(flow, PROVIDER_X, cells.provider)
    amounts = (
        (CHARGE_RIGHT, balance_text(line.charge)),
        (INSURANCE_RIGHT, dollars(line.insurance_paid)),
        (ADJUSTMENT_RIGHT, change_text(line.adjustments)),
        (PAID_RIGHT, dollars(line.patient_paid)),
        (BALANCE_RIGHT, balance_text(line.balance)),
    )
    for right, text in amounts:
        canvas.drawRightString(right, flow.y, text)
    _cell(flow, SERVICE_X, cells.service)
    if cells.pending:
        canvas.setFillColor(ALERT_COLORS["info"])
        canvas.drawString(
            SERVICE_X,
            flow.y - len(cells.service) * LEADING,
            f"Insurance pending {dollars(line.insurance_pending)}",
        )
    flow.y -= (cells.line_count - 1) * LEADING


def _cell(flow: StatementFlow, x: float, lines: Sequence[str]) -> None:
    """Draw wrapped text from the current row's baseline down, leaving y where it was."""
    flow.canvas.setFillColor(INK)
    for number, text in enumerate(lines):
        flow.canvas.drawString(x, flow.y - number * LEADING, text)


def _empty_row(flow: StatementFlow, text: str) -> None:
    flow.need(_row_height(1))
    flow.y -= LEADING + ROW_GAP
    flow.canvas.setFont(REGULAR, SIZE + 1)
    flow.canvas.setFillColor(MUTED)
    flow.canvas.drawString(MARGIN, flow.y, text)


def _placed(flow: StatementFlow, height: float) -> bool:
    """Make room for a row `height` points high; when only measuring, also move past it.

    Returns True when the row is measured, not drawn. A drawn row moves y down by
    exactly its height, so the measured layout breaks pages where the drawing does.
    """
    flow.need(height)
    if not flow.measuring:
        return False
    flow.y -= height
    return True


def _row_height(line_count: int) -> float:
    return LEADING + ROW_GAP + (line_count - 1) * LEADING
