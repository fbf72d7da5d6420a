"""The statement's two tables: activity since the last statement, and visits with their
charges, what insurance and the guarantor paid, and what is still owed.

Both continue across pages with their column headings repeated. The visits table
prints the practice's own description of each service and never a diagnosis.
"""

from collections.abc import Callable, Sequence

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
LEADING = 9.5
ROW_GAP = 3.5
SECTION_HEIGHT = 34  # the section title and the column headings

# Visits table: left edges of the text columns and right edges of the amounts.
DATE_X = MARGIN
PATIENT_X = MARGIN + 46
PROVIDER_X = MARGIN + 108
SERVICE_X = MARGIN + 170
CHARGE_RIGHT = MARGIN + 316
INSURANCE_RIGHT = MARGIN + 370
ADJUSTMENT_RIGHT = MARGIN + 418
PAID_RIGHT = MARGIN + 464
BALANCE_RIGHT = RIGHT
NAME_WIDTH = 54
SERVICE_WIDTH = CHARGE_RIGHT - 38 - SERVICE_X
SERVICE_MAX_LINES = 2

# Activity table.
KIND_X = MARGIN + 112
DESCRIPTION_X = MARGIN + 170
CHARGES_RIGHT = RIGHT - 96
DESCRIPTION_WIDTH = CHARGES_RIGHT - 50 - DESCRIPTION_X
KIND_LABELS = {
    "charge": "Charge",
    "payment": "Payment",
    "adjustment": "Adjustment",
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
        _section(flow, title, None)
        _empty_row(flow, "No activity since your last statement.")
        return
    _section(flow, title, lambda: _activity_headings(flow))
    for row in figures.activity:
        _activity_row(flow, row)
    flow.repeat = None


def visits_table(flow: StatementFlow) -> None:
    """Draw one row per service still open or with activity since the last statement."""
    lines = flow.document.figures.lines
    if not lines:
        _section(flow, "Visits and services", None)
        _empty_row(flow, "No open services.")
        return
    _section(flow, "Visits and services", lambda: _visit_headings(flow))
    for line in lines:
        _visit_row(flow, line)
    flow.repeat = None


def _section(flow: StatementFlow, title: str, headings: Callable[[], None] | None) -> None:
    """Start a table: its title and any headings, kept together with at least one row.

    The title, marked "(continued)", and the headings are drawn again at the top of
    each page the table continues on.
    """
    flow.need(SECTION_HEIGHT + 2 * LEADING)
    flow.y -= 18
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


def _activity_row(flow: StatementFlow, row: ActivityRow) -> None:
    description = flow.text.lines(row.description, REGULAR, SIZE, DESCRIPTION_WIDTH, 2)
    if _placed(flow, _row_height(len(description))):
        return
    canvas = flow.canvas
    flow.y -= LEADING + ROW_GAP
    canvas.setFont(REGULAR, SIZE)
    canvas.setFillColor(INK)
    canvas.drawString(DATE_X, flow.y, f"{row.posted_on:%m/%d/%Y}")
    canvas.drawString(PATIENT_X, flow.y, _name(flow, row.patient_name))
    canvas.drawString(KIND_X, flow.y, KIND_LABELS.get(row.kind, row.kind.capitalize()))
    # A charge adds to what the guarantor owes, and anything that lowers it is a credit.
    if row.amount >= 0:
        canvas.drawRightString(CHARGES_RIGHT, flow.y, dollars(row.amount))
    else:
        canvas.drawRightString(RIGHT, flow.y, dollars(row.amount))
    _lines(flow, DESCRIPTION_X, description)


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


def _visit_row(flow: StatementFlow, line: StatementLine) -> None:
    service = flow.text.lines(line.description, REGULAR, SIZE, SERVICE_WIDTH, SERVICE_MAX_LINES)
    pending = line.insurance_pending > 0
    if _placed(flow, _row_height(len(service) + (1 if pending else 0))):
        return
    canvas = flow.canvas
    flow.y -= LEADING + ROW_GAP
    canvas.setFont(REGULAR, SIZE)
    canvas.setFillColor(INK)
    canvas.drawString(DATE_X, flow.y, f"{line.service_date:%m/%d/%Y}")
    canvas.drawString(PATIENT_X, flow.y, _name(flow, line.patient_name))
    canvas.drawString(PROVIDER_X, flow.y, _name(flow, line.provider_name))
    amounts = (
        (CHARGE_RIGHT, balance_text(line.charge)),
        (INSURANCE_RIGHT, dollars(line.insurance_paid)),
        (ADJUSTMENT_RIGHT, change_text(line.adjustments)),
        (PAID_RIGHT, dollars(line.patient_paid)),
        (BALANCE_RIGHT, balance_text(line.balance)),
    )
    for right, text in amounts:
        canvas.drawRightString(right, flow.y, text)
    _lines(flow, SERVICE_X, service)
    if pending:
        flow.y -= LEADING
        canvas.setFillColor(ALERT_COLORS["info"])
        canvas.drawString(SERVICE_X, flow.y, f"Insurance pending {dollars(line.insurance_pending)}")


def _lines(flow: StatementFlow, x: float, lines: Sequence[str]) -> None:
    """Draw wrapped text from the current row's baseline down, leaving y on the last line."""
    flow.canvas.setFillColor(INK)
    for number, text in enumerate(lines):
        if number:
            flow.y -= LEADING
        flow.canvas.drawString(x, flow.y, text)


def _empty_row(flow: StatementFlow, text: str) -> None:
    flow.need(_row_height(1))
    flow.y -= LEADING + ROW_GAP
    flow.canvas.setFont(REGULAR, SIZE + 1)
    flow.canvas.setFillColor(MUTED)
    flow.canvas.drawString(MARGIN, flow.y, text)


def _name(flow: StatementFlow, name: str) -> str:
    return flow.text.line(name, REGULAR, SIZE, NAME_WIDTH)


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
