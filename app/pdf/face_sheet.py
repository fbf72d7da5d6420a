"""The face sheet as one letter page: header, alerts, balance, two columns of sections."""

from decimal import Decimal
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.common import (
    ALERT_COLORS,
    BOLD,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    Column,
    fit_lines,
    new_canvas,
)
from app.services.face_sheet_values import FaceSheet, VisitLine

COLUMN_GAP = 18
COLUMN_WIDTH = (CONTENT_WIDTH - COLUMN_GAP) / 2
MAX_ALERTS = 4
# The lowest baseline a section may use, above the footer line.
FOOTER_TOP: float = MARGIN + 12
ROW_STEP = 11.5
# The heading and the account, guarantor, hold, plan and collections rows.
STATEMENTS_MIN_HEIGHT = 25 + 5 * ROW_STEP


def render_face_sheet(sheet: FaceSheet, path: Path) -> None:
    """Write `sheet` to `path` as a one-page PDF (atomically: complete or absent)."""

    def write(target: Path) -> None:
        canvas = new_canvas(target, f"Face sheet {sheet.chart_number}")
        _draw(canvas, sheet)
        canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def _draw(canvas: Canvas, sheet: FaceSheet) -> None:
    top = _header(canvas, sheet)
    top = _banner(canvas, sheet, top)
    top = _alerts(canvas, sheet, top)
    left = Column(canvas, MARGIN, top, COLUMN_WIDTH)
    right = Column(canvas, MARGIN + COLUMN_WIDTH + COLUMN_GAP, top, COLUMN_WIDTH)
    _demographics(left, sheet)
    _insurance(right, sheet)
    _status(right, sheet)
    visits_top = min(left.y, right.y) - 6
    upcoming = Column(canvas, MARGIN, visits_top, COLUMN_WIDTH)
    _visits(upcoming, "Upcoming appointments", sheet.upcoming)
    past = Column(canvas, MARGIN + COLUMN_WIDTH + COLUMN_GAP, visits_top, COLUMN_WIDTH)
    _visits(past, "Past visits", sheet.past)
    _statements(Column(canvas, MARGIN, min(upcoming.y, past.y) - 6, CONTENT_WIDTH), sheet)
    _footer(canvas, sheet)


def _header(canvas: Canvas, sheet: FaceSheet) -> float:
    y: float = PAGE_HEIGHT - MARGIN - 12
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 13)
    canvas.drawString(MARGIN, y, fit_lines(sheet.practice.name, BOLD, 13, 330, 1)[0])
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    contact = "   ".join(part for part in (sheet.practice.address, sheet.practice.phone) if part)
    canvas.drawString(MARGIN, y - 12, fit_lines(contact, REGULAR, 8.5, 360, 1)[0])
    canvas.setFont(BOLD, 15)
    canvas.setFillColor(INK)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y, "Face sheet")
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y - 12, f"Printed {sheet.printed_on:%m/%d/%Y}")
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y - 20, PAGE_WIDTH - MARGIN, y - 20)
    return y - 20


def _banner(canvas: Canvas, sheet: FaceSheet, top: float) -> float:
    y = top - 18
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 14)
    canvas.drawString(MARGIN, y, fit_lines(sheet.name, BOLD, 14, 330, 1)[0])
    canvas.setFont(REGULAR, 9)
    facts = (
        f"Chart {sheet.chart_number}   DOB {sheet.date_of_birth:%m/%d/%Y} (age {sheet.age})"
        f"   {sheet.sex}   {sheet.status}"
    )
    canvas.drawString(MARGIN, y - 13, fit_lines(facts, REGULAR, 9, 340, 1)[0])

    # The balance sits in a box on the right so it is the first number the eye finds.
    box_width, box_height = 170, 40
    box_x, box_y = PAGE_WIDTH - MARGIN - box_width, y - 28
    canvas.setStrokeColor(INK)
    canvas.setLineWidth(1)
    canvas.rect(box_x, box_y, box_width, box_height)
    canvas.setFont(REGULAR, 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(box_x + 6, box_y + box_height - 11, "BALANCE")
    canvas.setFont(BOLD, 14)
    canvas.setFillColor(INK)
    canvas.drawRightString(
        box_x + box_width - 6, box_y + box_height - 14, _money(sheet.balance.total)
    )
    canvas.setFont(REGULAR, 8)
    split = f"Patient {_money(sheet.balance.patient)}   Insurance {_money(sheet.balance.insurance)}"
    canvas.drawString(box_x + 6, box_y + 6, split)
    return min(box_y, y - 13) - 4


def _alerts(canvas: Canvas, sheet: FaceSheet, top: float) -> float:
    y = top
    for alert in sheet.alerts[:MAX_ALERTS]:
        y -= 12
        canvas.setFillColor(ALERT_COLORS.get(alert.severity, INK))
        canvas.setFont(BOLD, 9)
        line = f"{alert.severity.upper()}: {alert.message}"
        canvas.drawString(MARGIN, y, fit_lines(line, BOLD, 9, CONTENT_WIDTH, 1)[0])
    hidden = len(sheet.alerts) - MAX_ALERTS
    if hidden > 0:
        y -= 11
        canvas.setFillColor(MUTED)
        canvas.setFont(REGULAR, 8)
        canvas.drawString(MARGIN, y, f"{hidden} more alerts on screen")
    return y - 2


def _demographics(column: Column, sheet: FaceSheet) -> None:
    column.heading("Patient")
    column.field("Preferred name", sheet.preferred_name)
    column.field("Gender identity", sheet.gender_identity)
    column.field("SSN", sheet.ssn_masked)
    column.field("Address", ", ".join(sheet.address_lines), max_lines=3)
    for phone in sheet.phones[:3]:
        column.field(phone.kind, phone.number)
    column.field("Email", sheet.email)
    reminders = "reminders allowed" if sheet.reminder_consent else "no reminders"
    contact = f"{sheet.preferred_contact}, {reminders}" if sheet.preferred_contact else reminders
    column.field("Contact by", contact)
    column.field("Language", sheet.language)
    column.field("Marital status", sheet.marital_status)
    column.field("Employer", sheet.employer)
    column.field("Emergency", sheet.emergency_contact)
    column.heading("Responsible party and care team")
    column.field("Guarantor", sheet.guarantor)
    column.field("Provider", sheet.primary_provider)
    column.field("Referred by", sheet.referring_provider)


def _insurance(column: Column, sheet: FaceSheet) -> None:
    column.heading("Insurance")
    if not sheet.coverages:
        column.text("Self-pay: no insurance on file.", color=MUTED)
    for coverage in sheet.coverages[:3]:
        column.text(f"{coverage.order}: {coverage.payer}", font=BOLD, size=9.5, max_lines=1)
        column.field("Plan", coverage.plan, max_lines=1)
        column.field("Member id", coverage.member_id, max_lines=1)
        column.field("Group", coverage.group_number, max_lines=1)
        column.field("Subscriber", f"{coverage.subscriber} ({coverage.relationship})", max_lines=1)
        column.field("In effect", coverage.effective, max_lines=1)
        column.field("Copays", coverage.copays)
        column.y -= 3


def _status(column: Column, sheet: FaceSheet) -> None:
    column.heading("Checklist and follow-up")
    onboarding = f"{sheet.onboarding_done} of {sheet.onboarding_total} done"
    column.field("Onboarding", onboarding)
    if sheet.onboarding_open:
        column.field("Still open", ", ".join(sheet.onboarding_open), max_lines=3)
    recall = f"{sheet.recall_due_on:%m/%d/%Y}" if sheet.recall_due_on else "none set"
    if sheet.recall_interval_months:
        recall += f" (every {sheet.recall_interval_months} months)"
    column.field("Recall due", recall)
    column.field("Referrals", str(sheet.referral_count))
    column.field("Authorizations", str(sheet.authorization_count))


def _statements(column: Column, sheet: FaceSheet) -> None:
    """Write the billing account and its last statements in the room left above the footer.

    The section comes last, so on a sheet already full of coverages, alerts and visits
    it prints what fits and points to the screen for the rest.
    """
    if column.y - STATEMENTS_MIN_HEIGHT < FOOTER_TOP:
        column.text("Statements: see the face sheet on screen.", color=MUTED, max_lines=1)
        return
    column.heading("Statements")
    summary = sheet.statements
    if summary is None:
        column.text("No billing account yet.", color=MUTED)
        return
    column.field("Account", summary.account_number, max_lines=1)
    column.field("Guarantor", summary.guarantor, max_lines=1)
    # A hold is why an owing account gets no statements, so the desk must see it on paper too.
    column.field("Hold", summary.hold or "None", max_lines=1)
    column.field("Payment plan", summary.payment_plan or "None open", max_lines=1)
    column.field("Collections", summary.collections or "Not placed", max_lines=1)
    if not summary.statements:
        column.field("Sent", "None yet")
    for number, line in enumerate(summary.statements):
        # Keep room for this row and the line saying how many more the screen shows.
        if column.y - 2 * ROW_STEP < FOOTER_TOP:
            hidden = len(summary.statements) - number
            column.text(f"{hidden} more statements on screen", color=MUTED, size=8, max_lines=1)
            return
        column.field(f"{line.statement_date:%m/%d/%Y}", line.description, max_lines=1)


def _visits(column: Column, title: str, visits: tuple[VisitLine, ...]) -> None:
    column.heading(title)
    if not visits:
        column.text("None", color=MUTED)
    for visit in visits:
        when = f"{visit.when:%m/%d/%Y %I:%M %p}"
        detail = " — ".join(
            part for part in (visit.description, visit.provider, visit.status) if part
        )
        column.field(when, detail, label_width=100)


def _footer(canvas: Canvas, sheet: FaceSheet) -> None:
    canvas.setFont(REGULAR, 7.5)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN,
        MARGIN,
        "Confidential patient information. Store securely and shred when no longer needed.",
    )
    canvas.drawRightString(PAGE_WIDTH - MARGIN, MARGIN, f"Chart {sheet.chart_number}")


def _money(amount: Decimal) -> str:
    sign = "-" if amount < 0 else ""
    return f"{sign}${abs(amount):,.2f}"
