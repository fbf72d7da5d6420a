"""The new-patient intake packet: three letter pages to fill in by hand and sign.

Known values print in bold above their line; unknown ones leave the line blank.
The policy texts are short, generic summaries; a practice that needs its own wording
hands out its full notices alongside.
"""

from collections.abc import Sequence
from pathlib import Path

from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.files import write_atomically
from app.pdf.common import (
    BOLD,
    CONTENT_WIDTH,
    INK,
    MARGIN,
    MUTED,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    REGULAR,
    RULE,
    fit_lines,
    new_canvas,
)
from app.services.intake_packet import IntakePacketData

ROW_HEIGHT = 34
GAP = 10

# (form field key, label, share of the row's width)
Row = Sequence[tuple[str, str, float]]

PATIENT_ROWS: tuple[Row, ...] = (
    (("last_name", "Last name", 0.4), ("first_name", "First name", 0.35), ("middle_name", "Middle", 0.25)),  # noqa: E501
    (("preferred_name", "Preferred name", 0.4), ("date_of_birth", "Date of birth", 0.3), ("sex", "Sex (as on insurance)", 0.3)),  # noqa: E501
    (("address_line1", "Street address", 0.7), ("address_line2", "Apt / suite", 0.3)),
    (("city", "City", 0.5), ("state", "State", 0.2), ("zip_code", "ZIP code", 0.3)),
    (("phone_mobile", "Mobile phone", 0.34), ("phone_home", "Home phone", 0.33), ("phone_work", "Work phone", 0.33)),  # noqa: E501
    (("email", "Email", 0.6), ("preferred_language", "Preferred language", 0.4)),
    (("marital_status", "Marital status", 0.3), ("employer", "Employer", 0.4), ("ssn", "Social Security number (optional)", 0.3)),  # noqa: E501
)  # fmt: skip
EMERGENCY_ROWS: tuple[Row, ...] = (
    (("emergency_name", "Name", 0.45), ("emergency_relation", "Relationship", 0.25), ("emergency_phone", "Phone", 0.3)),  # noqa: E501
)  # fmt: skip
GUARANTOR_ROWS: tuple[Row, ...] = (
    (("guarantor_name", "Name of the person responsible for the bill", 0.5), ("guarantor_relation", "Relationship to patient", 0.5)),  # noqa: E501
    (("guarantor_date_of_birth", "Date of birth", 0.3), ("guarantor_phone", "Phone", 0.3), ("guarantor_address", "Address, if different", 0.4)),  # noqa: E501
)  # fmt: skip
COVERAGE_ROWS: tuple[Row, ...] = (
    (("payer", "Insurance company", 0.6), ("plan", "Plan name", 0.4)),
    (("member_id", "Member id", 0.5), ("group_number", "Group number", 0.5)),
    (("subscriber", "Subscriber (policy holder)", 0.5), ("subscriber_dob", "Subscriber date of birth", 0.25), ("relationship", "Relationship", 0.25)),  # noqa: E501
)  # fmt: skip
HISTORY_ROWS: tuple[Row, ...] = (
    (("", "Current medications and doses", 1.0),),
    (("", "", 1.0),),
    (("", "Allergies (medicines, foods, latex) and the reaction", 1.0),),
    (("", "Ongoing conditions (such as asthma, diabetes, high blood pressure)", 1.0),),
    (("", "Past surgeries and hospital stays, with years", 1.0),),
    (("", "Primary care doctor", 0.5), ("", "Preferred pharmacy and phone", 0.5)),
)  # fmt: skip

POLICIES = (
    (
        "Acknowledgment of the notice of privacy practices",
        "I have been offered this practice's Notice of Privacy Practices, which explains "
        "how my health information may be used and shared and what my rights are.",
    ),
    (
        "Financial policy",
        "I understand that I am responsible for charges my insurance does not pay, "
        "including copays, coinsurance and deductibles, and that copays are due at each "
        "visit. I authorize my insurer to pay the practice directly for services I receive.",
    ),
    (
        "Consent to treatment",
        "I consent to examination and treatment by the practice's providers and staff. "
        "I may ask questions about any treatment and may refuse it at any time.",
    ),
)


def render_intake_packet(data: IntakePacketData, path: Path) -> None:
    """Write the three-page packet for `data` to `path` (atomically: complete or absent)."""

    def write(target: Path) -> None:
        canvas = new_canvas(target, "New patient intake packet")
        for number, draw in enumerate((_patient_page, _insurance_page, _signature_page), 1):
            _header(canvas, data, number)
            draw(canvas, data)
            canvas.showPage()
        canvas.save()

    write_atomically(path, write)


def _header(canvas: Canvas, data: IntakePacketData, page: int) -> None:
    y = PAGE_HEIGHT - MARGIN - 12
    canvas.setFillColor(INK)
    canvas.setFont(BOLD, 13)
    canvas.drawString(MARGIN, y, fit_lines(data.practice.name, BOLD, 13, 340, 1)[0])
    canvas.setFont(REGULAR, 8.5)
    canvas.setFillColor(MUTED)
    contact = "   ".join(part for part in (data.practice.address, data.practice.phone) if part)
    canvas.drawString(MARGIN, y - 12, fit_lines(contact, REGULAR, 8.5, 380, 1)[0])
    canvas.setFont(BOLD, 12)
    canvas.setFillColor(INK)
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y, "New patient packet")
    canvas.setFont(REGULAR, 8.5)
    chart = f"Chart {data.chart_number}   " if data.chart_number else ""
    canvas.drawRightString(PAGE_WIDTH - MARGIN, y - 12, f"{chart}Page {page} of 3")
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, y - 20, PAGE_WIDTH - MARGIN, y - 20)


def _section(canvas: Canvas, title: str, y: float) -> float:
    canvas.setFont(BOLD, 10.5)
    canvas.setFillColor(INK)
    canvas.drawString(MARGIN, y, title.upper())
    return y - 8


def _rows(canvas: Canvas, rows: Sequence[Row], values: dict[str, str], top: float) -> float:
    """Draw lined fields row by row from `top`; return the y below the last row."""
    y = top
    for row in rows:
        y -= ROW_HEIGHT
        x = MARGIN
        usable = CONTENT_WIDTH - GAP * (len(row) - 1)
        for key, label, share in row:
            width = usable * share
            _field(canvas, x, y, width, label=label, value=values.get(key, "") if key else "")
            x += width + GAP
    return y - 14


def _field(canvas: Canvas, x: float, y: float, width: float, *, label: str, value: str) -> None:
    if value:
        canvas.setFont(BOLD, 10)
        canvas.setFillColor(INK)
        canvas.drawString(x + 2, y + 3, fit_lines(value, BOLD, 10, width - 4, 1)[0])
    canvas.setStrokeColor(MUTED)
    canvas.setLineWidth(0.6)
    canvas.line(x, y, x + width, y)
    if label:
        canvas.setFont(REGULAR, 7)
        canvas.setFillColor(MUTED)
        canvas.drawString(x, y - 8, fit_lines(label, REGULAR, 7, width, 1)[0])


def _patient_page(canvas: Canvas, data: IntakePacketData) -> None:
    y = PAGE_HEIGHT - MARGIN - 58
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(MUTED)
    canvas.drawString(
        MARGIN,
        y,
        "Please check the printed details, correct anything wrong, and fill in the blanks.",
    )
    y = _rows(canvas, PATIENT_ROWS, data.values, _section(canvas, "Patient information", y - 22))
    y = _rows(canvas, EMERGENCY_ROWS, data.values, _section(canvas, "Emergency contact", y - 22))
    _rows(canvas, GUARANTOR_ROWS, data.values, _section(canvas, "Responsible party", y - 22))


def _insurance_page(canvas: Canvas, data: IntakePacketData) -> None:
    y = PAGE_HEIGHT - MARGIN - 58
    for order, title in enumerate(("Primary insurance", "Secondary insurance")):
        values = data.coverages[order] if order < len(data.coverages) else {}
        box_top = y + 4
        y = _rows(canvas, COVERAGE_ROWS, values, _section(canvas, title, y - 8))
        canvas.setStrokeColor(RULE)
        canvas.rect(MARGIN - 6, y + 4, CONTENT_WIDTH + 12, box_top - y - 4)
        y -= 16
    canvas.setFont(REGULAR, 9)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, y, "Please hand the front desk your insurance cards and a photo ID.")
    y = _section(canvas, "Medical history", y - 28)
    _rows(canvas, HISTORY_ROWS, {}, y)


def _signature_page(canvas: Canvas, data: IntakePacketData) -> None:
    y = PAGE_HEIGHT - MARGIN - 50
    for title, text in POLICIES:
        y = _section(canvas, title, y - 14)
        canvas.setFont(REGULAR, 9.5)
        canvas.setFillColor(INK)
        for line in fit_lines(text, REGULAR, 9.5, CONTENT_WIDTH, 6):
            y -= 13
            canvas.drawString(MARGIN, y, line)
        y -= 38
        half = (CONTENT_WIDTH - 3 * GAP) / 2
        _field(
            canvas, MARGIN, y, half, label="Signature of patient or legal representative", value=""
        )
        _field(canvas, MARGIN + half + GAP, y, half / 2, label="Printed name", value="")
        _field(canvas, MARGIN + half * 1.5 + 2 * GAP, y, half / 2, label="Date", value="")
        y -= 30
