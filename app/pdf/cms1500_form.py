"""The CMS-1500 (02/12) form itself, drawn in drop-out red for plain-paper copies.

Box outlines follow the character grid of `cms1500_layout`, so the data printed on a
drawn form sits where it sits on a purchased red form. Captions are short descriptions
of each item in ClinicDesk's own words, not the official form text.
"""

from dataclasses import dataclass
from typing import Literal

from reportlab.lib.colors import HexColor  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.pdf.cms1500_layout import (
    COLUMN_WIDTH,
    FIELDS,
    FIRST_SERVICE_LINE,
    LINE_HEIGHT,
    LINES_PER_FORM,
    column_x,
    line_baseline,
    line_top,
)

# A red close to the drop-out ink of purchased forms. It only looks like the form,
# because a plain-paper copy is not meant for scanning.
FORM_RED = HexColor("#d9383f")
SHADE_RED = HexColor("#fbe3e2")
CAPTION_FONT = "Helvetica"
NUMBER_FONT = "Helvetica-Bold"
CAPTION_SIZE = 5.0
EDGE_INSET = 2.0  # a box edge sits this far left of its first data column
LAST_COLUMN = 79
LAST_LINE = 61


@dataclass(frozen=True, slots=True)
class Box:
    """One outlined item: grid lines and columns it covers, its number and caption."""

    number: str
    caption: str
    first_line: int
    last_line: int
    first_column: int
    last_column: int


@dataclass(frozen=True, slots=True)
class CheckLabel:
    """The word printed beside or above a check box field."""

    field: str
    label: str
    place: Literal["right", "left", "above"] = "right"


BOXES: tuple[Box, ...] = (
    Box("1", "PROGRAM (check one)", 7, 8, 1, 49),
    Box("1a", "INSURED'S ID NUMBER (as on the member card)", 7, 8, 50, LAST_COLUMN),
    Box("2", "PATIENT'S NAME (last, first, middle initial)", 9, 10, 1, 29),
    Box("3", "PATIENT'S BIRTH DATE    MM  DD  YYYY      SEX", 9, 10, 30, 49),
    Box("4", "INSURED'S NAME (last, first, middle initial)", 9, 10, 50, LAST_COLUMN),
    Box("5", "PATIENT'S ADDRESS (number, street)", 11, 12, 1, 29),
    Box("", "CITY", 13, 14, 1, 24),
    Box("", "STATE", 13, 14, 25, 29),
    Box("", "ZIP CODE                     TELEPHONE (area code)", 15, 16, 1, 29),
    Box("6", "PATIENT'S RELATIONSHIP TO INSURED", 11, 12, 30, 49),
    Box("7", "INSURED'S ADDRESS (number, street)", 11, 12, 50, LAST_COLUMN),
    Box("", "CITY", 13, 14, 50, 73),
    Box("", "STATE", 13, 14, 74, LAST_COLUMN),
    Box("", "ZIP CODE                     TELEPHONE (area code)", 15, 16, 50, LAST_COLUMN),
    Box("8", "RESERVED FOR NUCC USE", 13, 16, 30, 49),
    Box("9", "OTHER INSURED'S NAME (last, first, middle initial)", 17, 18, 1, 29),
    Box("9a", "OTHER INSURED'S POLICY OR GROUP NUMBER", 19, 20, 1, 29),
    Box("9b", "RESERVED FOR NUCC USE", 21, 22, 1, 29),
    Box("9c", "RESERVED FOR NUCC USE", 23, 24, 1, 29),
    Box("9d", "OTHER INSURANCE PLAN OR PROGRAM NAME", 25, 26, 1, 29),
    Box("10", "IS THE CONDITION RELATED TO:", 17, 18, 30, 49),
    Box("10a", "EMPLOYMENT (now or before)?", 19, 20, 30, 49),
    Box("10b", "AUTO ACCIDENT?              STATE", 21, 22, 30, 49),
    Box("10c", "OTHER ACCIDENT?", 23, 24, 30, 49),
    Box("10d", "CLAIM CODES (set by NUCC)", 25, 26, 30, 49),
    Box("11", "INSURED'S POLICY GROUP OR FECA NUMBER", 17, 18, 50, LAST_COLUMN),
    Box("11a", "INSURED'S BIRTH DATE  MM  DD  YYYY            SEX", 19, 20, 50, LAST_COLUMN),
    Box("11b", "OTHER CLAIM ID (set by NUCC)", 21, 22, 50, LAST_COLUMN),
    Box("11c", "INSURANCE PLAN OR PROGRAM NAME", 23, 24, 50, LAST_COLUMN),
    Box("11d", "ANOTHER HEALTH BENEFIT PLAN? (if yes, fill in 9, 9a and 9d)", 25, 26, 50, LAST_COLUMN),  # noqa: E501
    Box("12", "PATIENT'S SIGNATURE: releases the medical information this claim needs", 27, 30, 1, 49),  # noqa: E501
    Box("13", "INSURED'S SIGNATURE: benefits paid to the provider below", 27, 30, 50, LAST_COLUMN),
    Box("14", "DATE OF CURRENT ILLNESS, INJURY OR LMP    QUAL", 31, 32, 1, 22),
    Box("15", "OTHER DATE          QUAL", 31, 32, 23, 49),
    Box("16", "DATES PATIENT UNABLE TO WORK    FROM        TO", 31, 32, 50, LAST_COLUMN),
    Box("17", "REFERRING PROVIDER OR OTHER SOURCE", 33, 34, 1, 29),
    Box("17a", "", 33, 33, 30, 49),
    Box("17b", "NPI", 34, 34, 30, 49),
    Box("18", "HOSPITAL DATES FOR THESE SERVICES   FROM        TO", 33, 34, 50, LAST_COLUMN),
    Box("19", "ADDITIONAL CLAIM INFORMATION (set by NUCC)", 35, 36, 1, 49),
    Box("20", "OUTSIDE LAB?                $ CHARGES", 35, 36, 50, LAST_COLUMN),
    Box("21", "DIAGNOSES: relate A to L to the service lines (24E)       ICD IND", 37, 40, 1, 49),
    Box("22", "RESUBMISSION CODE      ORIGINAL REFERENCE NUMBER", 37, 38, 50, LAST_COLUMN),
    Box("23", "PRIOR AUTHORIZATION NUMBER", 39, 40, 50, LAST_COLUMN),
    Box("25", "FEDERAL TAX ID NUMBER", 55, 56, 1, 21),
    Box("26", "PATIENT'S ACCOUNT NO.", 55, 56, 22, 36),
    Box("27", "ACCEPT ASSIGNMENT?", 55, 56, 37, 49),
    Box("28", "TOTAL CHARGE  $", 55, 56, 50, 60),
    Box("29", "AMOUNT PAID  $", 55, 56, 61, 70),
    Box("30", "RSVD FOR NUCC", 55, 56, 71, LAST_COLUMN),
    Box("31", "SIGNATURE OF PHYSICIAN OR SUPPLIER", 57, 61, 1, 22),
    Box("32", "SERVICE FACILITY LOCATION", 57, 60, 23, 49),
    Box("a", "", 61, 61, 23, 34),
    Box("b", "", 61, 61, 35, 49),
    Box("33", "BILLING PROVIDER AND PHONE", 57, 60, 50, LAST_COLUMN),
    Box("a", "", 61, 61, 50, 61),
    Box("b", "", 61, 61, 62, LAST_COLUMN),
)  # fmt: skip

CHECK_LABELS: tuple[CheckLabel, ...] = (
    CheckLabel("1.medicare", "MEDICARE"),
    CheckLabel("1.medicaid", "MEDICAID"),
    CheckLabel("1.tricare", "TRICARE"),
    CheckLabel("1.champva", "CHAMPVA"),
    CheckLabel("1.group", "GROUP PLAN"),
    CheckLabel("1.feca", "FECA"),
    CheckLabel("1.other", "OTHER"),
    CheckLabel("3.male", "M"),
    CheckLabel("3.female", "F"),
    CheckLabel("6.self", "SELF", "left"),
    CheckLabel("6.spouse", "SPOUSE", "left"),
    CheckLabel("6.child", "CHILD", "left"),
    CheckLabel("6.other", "OTHER", "left"),
    CheckLabel("10a.yes", "YES"),
    CheckLabel("10a.no", "NO"),
    CheckLabel("10b.yes", "YES"),
    CheckLabel("10b.no", "NO"),
    CheckLabel("10c.yes", "YES"),
    CheckLabel("10c.no", "NO"),
    CheckLabel("11a.male", "M"),
    CheckLabel("11a.female", "F"),
    CheckLabel("11d.yes", "YES"),
    CheckLabel("11d.no", "NO"),
    CheckLabel("25.ssn", "SSN", "above"),
    CheckLabel("25.ein", "EIN", "above"),
    CheckLabel("27.yes", "YES"),
    CheckLabel("27.no", "NO"),
)

# Service line columns: (caption, first column, last column) of each part of item 24.
SERVICE_COLUMNS: tuple[tuple[str, int, int], ...] = (
    ("A. FROM MM DD YY", 1, 9),
    ("TO MM DD YY", 10, 18),
    ("B. POS", 19, 21),
    ("C. EMG", 22, 24),
    ("D. CPT/HCPCS", 25, 31),
    ("MODIFIERS", 32, 44),
    ("E. DX PTR", 45, 49),
    ("F. $ CHARGES", 50, 58),
    ("G. UNITS", 59, 62),
    ("H.", 63, 64),
    ("I. QUAL", 65, 67),
    ("J. RENDERING PROVIDER ID", 68, LAST_COLUMN),
)


def draw_form(canvas: Canvas) -> None:
    """Draw the blank form on the current page in drop-out red."""
    canvas.saveState()
    canvas.setStrokeColor(FORM_RED)
    canvas.setFillColor(FORM_RED)
    _title(canvas)
    _service_lines(canvas)
    for box in BOXES:
        _box(canvas, box)
    for check in CHECK_LABELS:
        _check_box(canvas, check)
    _diagnosis_letters(canvas)
    for cents_field in ("28.cents", "29.cents"):
        line = FIELDS[cents_field].line
        _cents_rule(canvas, cents_field, line, line_top(line) - LINE_HEIGHT)
    _outline(canvas)
    canvas.restoreState()


def _left(column: int) -> float:
    return column_x(column) - EDGE_INSET


def _right(column: int) -> float:
    return column_x(column + 1) - EDGE_INSET


def _bottom(line: int) -> float:
    return line_top(line) - LINE_HEIGHT


def _title(canvas: Canvas) -> None:
    canvas.setFont(NUMBER_FONT, 11)
    canvas.drawString(_left(1), line_baseline(3), "HEALTH INSURANCE CLAIM FORM")
    canvas.setFont(CAPTION_FONT, 6)
    canvas.drawString(
        _left(1), line_baseline(4), "1500 CLAIM FORM, VERSION 02/12 (PLAIN-PAPER COPY)"
    )
    canvas.drawString(
        _left(1), line_baseline(5), "NOT FOR SCANNING: payers that scan claims need the red form"
    )
    canvas.setLineWidth(0.5)
    canvas.rect(_left(41), _bottom(5), _right(LAST_COLUMN) - _left(41), line_top(2) - _bottom(5))
    canvas.drawString(_left(41) + 1, _bottom(6) + 4, "CARRIER: payer name and address")


def _outline(canvas: Canvas) -> None:
    canvas.setLineWidth(1.2)
    top = line_top(7)
    canvas.rect(
        _left(1), _bottom(LAST_LINE), _right(LAST_COLUMN) - _left(1), top - _bottom(LAST_LINE)
    )
    canvas.setFont(CAPTION_FONT, 6)
    canvas.drawString(
        _left(1),
        _bottom(LAST_LINE) - 8,
        "PHYSICIAN OR SUPPLIER INFORMATION BELOW ITEM 21; PATIENT AND INSURED ABOVE",
    )


def _box(canvas: Canvas, box: Box) -> None:
    left, right = _left(box.first_column), _right(box.last_column)
    top, bottom = line_top(box.first_line), _bottom(box.last_line)
    canvas.setLineWidth(0.5)
    canvas.rect(left, bottom, right - left, top - bottom)

    baseline = top - CAPTION_SIZE - 0.8
    x = left + 1.5
    if box.number:
        canvas.setFont(NUMBER_FONT, CAPTION_SIZE)
        canvas.drawString(x, baseline, box.number)
        x += canvas.stringWidth(box.number, NUMBER_FONT, CAPTION_SIZE) + 2
    canvas.setFont(CAPTION_FONT, CAPTION_SIZE)
    canvas.drawString(x, baseline, _fit(canvas, box.caption, right - x - 1))


def _fit(canvas: Canvas, text: str, width: float) -> str:
    while text and canvas.stringWidth(text, CAPTION_FONT, CAPTION_SIZE) > width:
        text = text[:-1]
    return text


def _check_box(canvas: Canvas, check: CheckLabel) -> None:
    # The square covers the whole character cell, so a Courier "X" prints inside it.
    field = FIELDS[check.field]
    canvas.setLineWidth(0.5)
    canvas.rect(field.x, field.y - 1.5, COLUMN_WIDTH, COLUMN_WIDTH + 1.5)
    canvas.setFont(CAPTION_FONT, CAPTION_SIZE)
    if check.place == "right":
        canvas.drawString(field.x + COLUMN_WIDTH + 1.5, field.y, check.label)
    elif check.place == "left":
        canvas.drawRightString(field.x - 1.5, field.y, check.label)
    else:
        canvas.drawString(field.x, field.y + LINE_HEIGHT - 3.5, check.label)


def _diagnosis_letters(canvas: Canvas) -> None:
    canvas.setFont(NUMBER_FONT, CAPTION_SIZE)
    for name, field in FIELDS.items():
        if name.startswith("21.") and len(name) == 4:
            canvas.drawRightString(field.x - 1.5, field.y, f"{name[-1]}.")


def _service_lines(canvas: Canvas) -> None:
    """Draw item 24: the column captions, six shaded and plain line pairs, and dividers."""
    header = FIRST_SERVICE_LINE - 2
    top, bottom = line_top(header), _bottom(FIRST_SERVICE_LINE + 2 * LINES_PER_FORM - 1)
    left, right = _left(1), _right(LAST_COLUMN)

    canvas.setLineWidth(0.5)
    for number in range(LINES_PER_FORM):
        shaded = FIRST_SERVICE_LINE + 2 * number
        canvas.setFillColor(SHADE_RED)
        canvas.rect(left, _bottom(shaded), right - left, LINE_HEIGHT, stroke=0, fill=1)
        canvas.setFillColor(FORM_RED)
        canvas.line(left, line_top(shaded), right, line_top(shaded))
        canvas.setFont(CAPTION_FONT, CAPTION_SIZE)
        canvas.drawString(column_x(65), line_baseline(shaded + 1), "NPI")

    canvas.rect(left, bottom, right - left, top - bottom)
    canvas.setFont(NUMBER_FONT, CAPTION_SIZE)
    canvas.drawString(left + 1.5, top - CAPTION_SIZE - 0.8, "24")
    canvas.setFont(CAPTION_FONT, CAPTION_SIZE)
    for caption, first, last in SERVICE_COLUMNS:
        canvas.drawString(
            _left(first) + 1.5,
            line_baseline(header + 1),
            _fit(canvas, caption, _right(last) - _left(first) - 2),
        )
        if first > 1:
            canvas.line(_left(first), top - LINE_HEIGHT, _left(first), bottom)
    _cents_rule(canvas, "24.1.F.cents", FIRST_SERVICE_LINE, bottom)


def _cents_rule(canvas: Canvas, cents_field: str, top_line: int, bottom: float) -> None:
    """Split dollars from cents with a dotted rule, as the printed form does."""
    x = FIELDS[cents_field].x - COLUMN_WIDTH / 2
    canvas.setDash(1, 1)
    canvas.line(x, line_top(top_line), x, bottom)
    canvas.setDash()
