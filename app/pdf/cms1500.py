"""The CMS-1500 (02/12) paper claim: data on the form's character grid, six lines a form.

Two modes: "form" draws the whole form in drop-out red with the data in black, for
plain-paper copies, and "data" prints the data alone onto purchased red forms. Text
follows the scanning rules payers print in their manuals: fixed-pitch Courier at 10
characters per inch, upper case, no punctuation in names, and amounts without "$" or a
decimal point, with dollars and cents in their own columns.

A claim with more than six service lines continues on more forms. Each form repeats the
claim's other items, totals only its own lines in item 28, and all but the last print
"CONTINUED PAGE k OF n" below the form.
"""

import logging
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import BinaryIO

from reportlab.lib.colors import black  # type: ignore[import-untyped]
from reportlab.pdfgen.canvas import Canvas  # type: ignore[import-untyped]

from app.errors import UserError
from app.files import write_atomically
from app.money import to_cents
from app.pdf.cms1500_form import draw_form
from app.pdf.cms1500_layout import (
    BOX_POSITIONS,
    DIAGNOSIS_LETTERS,
    FIELDS,
    FONT,
    FONT_SIZE,
    LINES_PER_FORM,
    PAGE_HEIGHT,
    PAGE_WIDTH,
    mm_to_points,
)
from app.x12.claim_data import Address, ClaimDocument, OtherPayer, Person, ServiceLine

__all__ = [
    "BOX_POSITIONS",
    "MAX_OFFSET_MM",
    "MODES",
    "Cms1500Error",
    "page_values",
    "render_alignment_page",
    "render_cms1500",
]

log = logging.getLogger(__name__)

MODES = ("form", "data")
MAX_OFFSET_MM = 10.0
SIGNATURE_ON_FILE = "SIGNATURE ON FILE"
ONSET_QUALIFIER = "431"
REFERRING_QUALIFIER = "DN"
ICD10_INDICATOR = "0"
NDC_QUALIFIER = "N4"

# Item 1 check box for each claim filing indicator code (837P SBR09). Codes missing here,
# such as workers' compensation (WC) or auto insurance (AM), check "Other".
# NOTE: no SBR09 code means FECA Black Lung, so that box is never checked.
PROGRAM_BOXES: dict[str, str] = {
    "MA": "1.medicare",
    "MB": "1.medicare",
    "16": "1.medicare",
    "MC": "1.medicaid",
    "CH": "1.tricare",
    "VA": "1.champva",
    "12": "1.group",
    "13": "1.group",
    "14": "1.group",
    "15": "1.group",
    "BL": "1.group",
    "CI": "1.group",
    "FI": "1.group",
    "HM": "1.group",
}

# Item 6 check box by the patient's relationship to the insured (SBR02 or PAT01 code).
RELATIONSHIP_BOXES: dict[str, str] = {"18": "6.self", "01": "6.spouse", "19": "6.child"}

_DROPPED = "'\u2019"

# Letters that NFKD does not split into a base letter and a mark.
_SPELLED_OUT = {"ß": "SS", "Æ": "AE", "Œ": "OE", "Ø": "O", "Ł": "L", "Đ": "D", "Þ": "TH"}


class Cms1500Error(UserError):
    """A claim value does not fit its item on the paper form."""


def render_cms1500(
    documents: Sequence[ClaimDocument],
    target: Path | BinaryIO,
    *,
    mode: str = "form",
    offset_x_mm: float = 0,
    offset_y_mm: float = 0,
) -> int:
    """Write the claims as CMS-1500 pages to `target` and return the page count.

    A path is written atomically. Positive offsets move the print right and down, in
    millimeters from -10 to 10. In "form" mode the drawn form moves with the data, so a
    plain-paper copy stays aligned. Raises Cms1500Error when an amount or the claim
    number does not fit its item, and ValueError for an unknown mode, an offset out of
    range or no documents.
    """
    _check_options(mode, offset_x_mm, offset_y_mm)
    if not documents:
        raise ValueError("no claims to print: a PDF needs at least one page")
    pages = [values for document in documents for values in claim_pages(document)]

    def write(output: Path | BinaryIO) -> None:
        canvas = _canvas(output, "CMS-1500 claims")
        for values in pages:
            _draw_page(canvas, values, mode, offset_x_mm, offset_y_mm)
        canvas.save()

    _write(target, write)
    log.info("CMS-1500 %s mode: %d claims on %d pages", mode, len(documents), len(pages))
    return len(pages)


def render_alignment_page(
    target: Path | BinaryIO,
    *,
    offset_x_mm: float,
    offset_y_mm: float,
    mode: str = "data",
) -> None:
    """Write one page of marks at known items, for measuring a printer's offset.

    Printed on a red form, each mark should sit inside its item, and the distance it is
    off by is the offset to store. "form" mode draws the form too, to show where marks belong.
    """
    _check_options(mode, offset_x_mm, offset_y_mm)

    def write(output: Path | BinaryIO) -> None:
        canvas = _canvas(output, "CMS-1500 alignment page")
        _draw_page(
            canvas, alignment_values(offset_x_mm, offset_y_mm), mode, offset_x_mm, offset_y_mm
        )
        canvas.save()

    _write(target, write)


def alignment_values(offset_x_mm: float, offset_y_mm: float) -> dict[str, str]:
    """Return the marks of the alignment page: check boxes, text fields and amounts."""
    return {
        "carrier.name": "ALIGNMENT TEST",
        "1.medicare": "X",
        "1.other": "X",
        "1a": "1A MEMBER ID",
        "2": "2 PATIENT NAME",
        "3.date": "01 01 2000",
        "4": "4 INSURED NAME",
        "21.indicator": "0",
        "21.A": "A00.0",
        "21.L": "L00.0",
        "24.1.A.from": "01 01 26",
        "24.1.D": "99999",
        "24.1.F": "12345",
        "24.1.F.cents": "67",
        "24.1.J": "1234567890",
        "24.6.A.from": "01 01 26",
        "24.6.J": "1234567890",
        "25": "123456789",
        "25.ein": "X",
        "28": "12345",
        "28.cents": "67",
        "33.name": "33 BILLING PROVIDER",
        "33a": "1234567890",
        "continued": f"ALIGNMENT OFFSET X {offset_x_mm:+.1f} MM Y {offset_y_mm:+.1f} MM",
    }


def claim_pages(document: ClaimDocument) -> list[dict[str, str]]:
    """Return the field values of each form the claim needs, six service lines a form."""
    chunks = [
        document.lines[start : start + LINES_PER_FORM]
        for start in range(0, max(len(document.lines), 1), LINES_PER_FORM)
    ]
    return [
        page_values(document, chunk, page=number, page_count=len(chunks))
        for number, chunk in enumerate(chunks, start=1)
    ]


def page_values(
    document: ClaimDocument, lines: Sequence[ServiceLine], *, page: int, page_count: int
) -> dict[str, str]:
    """Return the text of every filled field of one form, keyed by FIELDS name.

    `page` counts from 1. Item 28 totals `lines` only, and item 29 adds what the patient
    and earlier payers paid on them, with payments not broken down by line on page 1.
    """
    if len(lines) > LINES_PER_FORM:
        raise ValueError(f"a form has room for {LINES_PER_FORM} service lines, got {len(lines)}")
    values = _claim_values(document)
    for number, line in enumerate(lines, start=1):
        values.update(_line_values(document, number, line))

    total = sum((line.charge_amount for line in lines), Decimal(0))
    values.update(_amount("28", total, document, "item 28 (page total)"))
    paid = _paid_on_page(document, lines, first_page=page == 1)
    if paid:
        values.update(_amount("29", paid, document, "item 29 (amount paid)"))
    if page < page_count:
        values["continued"] = f"CONTINUED PAGE {page} OF {page_count}"
    return values


# --- claim items -----------------------------------------------------------------------


def _claim_values(document: ClaimDocument) -> dict[str, str]:
    values: dict[str, str] = {}
    values.update(_carrier(document))
    values.update(_insured(document))
    values.update(_conditions(document))
    values.update(_diagnoses(document))
    values.update(_provider(document))
    return values


def _carrier(document: ClaimDocument) -> dict[str, str]:
    """Fill the carrier block top down: name, street lines, then city."""
    payer = document.payer
    rows = [payer.name]
    if payer.address is not None:
        rows += [payer.address.line1, payer.address.line2, _city_line(payer.address)]
    keys = ("carrier.name", "carrier.street", "carrier.street2", "carrier.city")
    filled = [row for row in rows if row.strip()]
    return {key: _text(row, key) for key, row in zip(keys, filled, strict=False)}


def _insured(document: ClaimDocument) -> dict[str, str]:
    """Items 1 to 7, 9 and 11: program, patient, insured and other insured."""
    patient, subscriber = document.patient, document.subscriber
    values = {
        PROGRAM_BOXES.get(document.claim_filing_indicator, "1.other"): "X",
        "1a": _text(document.member_id, "1a", keep="-"),
        "2": _name(patient, "2"),
        "4": _name(subscriber, "4"),
        RELATIONSHIP_BOXES.get(document.relationship_code, "6.other"): "X",
        "11d.yes" if document.other_payers else "11d.no": "X",
    }
    values.update(_birth_and_sex(patient, "3"))
    values.update(_birth_and_sex(subscriber, "11a"))
    values.update(_address(patient.address, "5"))
    values.update(_address(subscriber.address, "7"))
    if document.group_number:
        values["11"] = _text(document.group_number, "11", keep="-")
    values["11c"] = _text(document.group_name or document.payer.name, "11c")
    if document.other_payers:
        values.update(_other_insured(document.other_payers[0]))
    return values


def _other_insured(other: OtherPayer) -> dict[str, str]:
    return {
        "9": _name(other.subscriber, "9"),
        "9a": _text(other.member_id, "9a", keep="-"),
        "9d": _text(other.payer.name, "9d"),
    }


def _birth_and_sex(person: Person, item: str) -> dict[str, str]:
    values: dict[str, str] = {}
    if person.date_of_birth is not None:
        values[f"{item}.date"] = _long_date(person.date_of_birth)
    if person.sex == "M":
        values[f"{item}.male"] = "X"
    elif person.sex == "F":
        values[f"{item}.female"] = "X"
    return values


# The post office's usual abbreviations of street types, units and directions. They are used
# only when a street line is too long for its box, so "1800 SHERMAN AVENUE SUITE 400" keeps
# its suite number.
_STREET_ABBREVIATIONS = {
    "AVENUE": "AVE",
    "BOULEVARD": "BLVD",
    "STREET": "ST",
    "ROAD": "RD",
    "DRIVE": "DR",
    "LANE": "LN",
    "COURT": "CT",
    "PLACE": "PL",
    "PARKWAY": "PKWY",
    "HIGHWAY": "HWY",
    "SUITE": "STE",
    "APARTMENT": "APT",
    "BUILDING": "BLDG",
    "FLOOR": "FL",
    "NORTH": "N",
    "SOUTH": "S",
    "EAST": "E",
    "WEST": "W",
}


def _street(address: Address, key: str) -> str:
    """Write the street lines in the box, abbreviated the USPS way when they do not fit."""
    street = form_text(f"{address.line1} {address.line2}", 10_000)
    if len(street) > FIELDS[key].width:
        words = [_STREET_ABBREVIATIONS.get(word, word) for word in street.split()]
        street = " ".join(words)
    return _text(street, key)


def _address(address: Address | None, item: str) -> dict[str, str]:
    if address is None:
        return {}
    return {
        f"{item}.street": _street(address, f"{item}.street"),
        f"{item}.city": _text(address.city, f"{item}.city"),
        f"{item}.state": _text(address.state, f"{item}.state"),
        f"{item}.zip": _text(address.zip_code, f"{item}.zip"),
    }


def _conditions(document: ClaimDocument) -> dict[str, str]:
    """Items 10, 12 to 14, 17, 22 and 23."""
    values = {
        "10a.yes" if document.related_employment else "10a.no": "X",
        "10b.yes" if document.related_auto_accident else "10b.no": "X",
        "10c.yes" if document.related_other_accident else "10c.no": "X",
        "12": SIGNATURE_ON_FILE,
        "13": SIGNATURE_ON_FILE,
    }
    if document.related_auto_accident and document.auto_accident_state:
        values["10b.state"] = _text(document.auto_accident_state, "10b.state")
    if document.onset_date is not None:
        values["14.date"] = _short_date(document.onset_date)
        values["14.qualifier"] = ONSET_QUALIFIER
    referring = document.referring_provider
    if referring is not None:
        values["17.qualifier"] = REFERRING_QUALIFIER
        values["17"] = _text(f"{referring.first_name} {referring.last_name}", "17", keep="-")
        values["17b"] = _text(referring.npi, "17b")
    if document.frequency_code in ("7", "8"):
        values["22.code"] = document.frequency_code
        values["22.original"] = _text(document.payer_claim_number or "", "22.original", keep="-")
    if document.prior_authorization:
        values["23"] = _text(document.prior_authorization, "23", keep="-")
    return values


def _diagnoses(document: ClaimDocument) -> dict[str, str]:
    """Item 21: the ICD-10 indicator and up to twelve codes, written without their dot.

    Medicare's claim-form instructions for item 21 state: do not insert a period in the
    ICD-9-CM or ICD-10-CM code.
    """
    if len(document.diagnoses) > len(DIAGNOSIS_LETTERS):
        raise ValueError(f"claim {document.claim_number} has more than 12 diagnoses")
    values = {"21.indicator": ICD10_INDICATOR}
    for position, code in zip(DIAGNOSIS_LETTERS, document.diagnoses, strict=False):
        values[f"21.{position}"] = _text(code.replace(".", ""), f"21.{position}")
    return values


def _provider(document: ClaimDocument) -> dict[str, str]:
    """Items 25 to 27 and 31 to 33."""
    billing, facility = document.billing_provider, document.service_facility
    values = {
        "25": _text(billing.ein, "25"),
        "25.ein": "X",
        "26": _claim_number(document),
        "27.yes": "X",
        "31": SIGNATURE_ON_FILE,
        "32.name": _text(facility.name, "32.name"),
        "32.street": _street(facility.address, "32.street"),
        "32.city": _text(_city_line(facility.address), "32.city"),
        # Every service location is one of the practice's own offices, billed under the
        # group's NPI, so 32a repeats it; Medicare wants 32a whenever box 32 is filled.
        "32a": _text(billing.npi, "32a"),
        "33.name": _text(billing.name, "33.name"),
        "33.street": _street(billing.address, "33.street"),
        "33.city": _text(_city_line(billing.address), "33.city"),
        "33a": _text(billing.npi, "33a"),
    }
    if document.signature_date is not None:
        values["31.date"] = _short_date(document.signature_date)
    phone = "".join(character for character in billing.phone or "" if character.isdigit())
    if len(phone) == 10:
        values["33.area_code"], values["33.phone"] = phone[:3], phone[3:]
    return values


def _claim_number(document: ClaimDocument) -> str:
    """Item 26 carries the claim number unchanged, because payers return it to match."""
    width = FIELDS["26"].width
    if len(document.claim_number) > width:
        raise Cms1500Error(
            f"Claim {document.claim_number} has a number longer than the {width} characters "
            "item 26 of the paper form holds. Send this claim electronically instead."
        )
    return document.claim_number.upper()


# --- service lines and amounts ---------------------------------------------------------


def _line_values(document: ClaimDocument, number: int, line: ServiceLine) -> dict[str, str]:
    prefix = f"24.{number}"
    values = {
        f"{prefix}.A.from": _short_date(line.service_date),
        f"{prefix}.A.to": _short_date(line.service_date),
        f"{prefix}.B": _text(line.place_of_service, f"{prefix}.B"),
        f"{prefix}.D": _text(line.procedure_code, f"{prefix}.D"),
        f"{prefix}.E": "".join(DIAGNOSIS_LETTERS[pointer - 1] for pointer in line.pointers[:4]),
        f"{prefix}.G": _text(str(line.units), f"{prefix}.G"),
        f"{prefix}.J": _text(document.rendering_provider.npi, f"{prefix}.J"),
    }
    if line.modifiers:
        values[f"{prefix}.D.modifiers"] = " ".join(line.modifiers[:4]).upper()
    item = f"item 24F (charges) of line {line.line_number}"
    values.update(_amount(f"{prefix}.F", line.charge_amount, document, item))
    if line.ndc_code:
        # Qualifier N4 and the 11-digit NDC, then the unit qualifier and the quantity.
        ndc = f"{NDC_QUALIFIER}{line.ndc_code} {line.ndc_unit or ''}{line.ndc_quantity or ''}"
        values[f"{prefix}.shaded"] = _text(ndc, f"{prefix}.shaded", keep=".")
    return values


def _paid_on_page(
    document: ClaimDocument, lines: Sequence[ServiceLine], *, first_page: bool
) -> Decimal:
    paid = sum(
        (adjudication.paid_amount for line in lines for adjudication in line.adjudications),
        Decimal(0),
    )
    if not first_page:
        return paid

    paid += document.patient_paid or Decimal(0)
    by_line = {a.payer_code for line in document.lines for a in line.adjudications}
    for other in document.other_payers:
        if other.paid_amount is not None and other.payer.payer_code not in by_line:
            paid += other.paid_amount
    return paid


def _amount(key: str, amount: Decimal, document: ClaimDocument, item: str) -> dict[str, str]:
    """Return the dollars and cents fields of an amount, each in its own columns.

    Raises Cms1500Error for a negative amount or more dollar digits than the item holds.
    """
    dollars, cents = divmod(to_cents(amount), 100)
    width = FIELDS[key].width
    if amount < 0 or len(str(dollars)) > width:
        raise Cms1500Error(
            f"The amount {amount} in {item} of claim {document.claim_number} does not fit "
            f"the paper form, which holds 0.00 to {'9' * width}.99 there. "
            "Send this claim electronically instead."
        )
    return {key: str(dollars).rjust(width), f"{key}.cents": f"{cents:02d}"}


# --- text --------------------------------------------------------------------------------


def form_text(value: str, width: int, keep: str = "") -> str:
    """Return `value` as the form prints it: upper-case letters, digits and spaces.

    Accented letters lose their accents, characters in `keep` stay, apostrophes go
    ("O'BRIEN" prints "OBRIEN"), every other character becomes a space, runs of spaces
    collapse, and the result is cut to `width`.
    """
    spelled = "".join(
        _SPELLED_OUT.get(character, character)
        for character in value.upper()
        if character not in _DROPPED or character in keep
    )
    decomposed = unicodedata.normalize("NFKD", spelled)
    kept = (
        character if ("A" <= character <= "Z") or character.isdigit() or character in keep else " "
        for character in decomposed
        if not unicodedata.combining(character)
    )
    return " ".join("".join(kept).split())[:width].rstrip()


def _text(value: str, key: str, keep: str = "") -> str:
    return form_text(value, FIELDS[key].width, keep)


def _name(person: Person, key: str) -> str:
    """Write a name last name first, in the form's order: "LOPEZ JR ANA M".

    Hyphens stay, because a hyphenated last name is part of the name on the member card.
    """
    middle = (person.middle_name or "")[:1]
    parts = (person.last_name, person.suffix or "", person.first_name, middle)
    return _text(" ".join(parts), key, keep="-")


def _city_line(address: Address) -> str:
    return f"{address.city} {address.state} {address.zip_code}"


def _short_date(day: date) -> str:
    return f"{day:%m %d %y}"


def _long_date(day: date) -> str:
    return f"{day:%m %d %Y}"


# --- drawing -----------------------------------------------------------------------------


def _check_options(mode: str, offset_x_mm: float, offset_y_mm: float) -> None:
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, got {mode!r}")
    for offset in (offset_x_mm, offset_y_mm):
        if not -MAX_OFFSET_MM <= offset <= MAX_OFFSET_MM:
            raise ValueError(f"printer offsets run from -10 to 10 mm, got {offset}")


def _canvas(output: Path | BinaryIO, title: str) -> Canvas:
    target = str(output) if isinstance(output, Path) else output
    canvas = Canvas(target, pagesize=(PAGE_WIDTH, PAGE_HEIGHT), pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator("ClinicDesk")
    return canvas


def _write(target: Path | BinaryIO, write: Callable[[Path | BinaryIO], None]) -> None:
    if isinstance(target, Path):
        write_atomically(target, write)
    else:
        write(target)


def _draw_page(
    canvas: Canvas, values: dict[str, str], mode: str, offset_x_mm: float, offset_y_mm: float
) -> None:
    """Draw one form. The offsets move the data, and the drawn form with it."""
    dx, dy = mm_to_points(offset_x_mm), -mm_to_points(offset_y_mm)
    if mode == "form":
        canvas.saveState()
        canvas.translate(dx, dy)
        draw_form(canvas)
        canvas.restoreState()
    _draw_values(canvas, values.items(), dx, dy)
    canvas.showPage()


def _draw_values(canvas: Canvas, values: Iterable[tuple[str, str]], dx: float, dy: float) -> None:
    """Draw each value at its field moved by (dx, dy) points, right-aligned where set."""
    canvas.setFont(FONT, FONT_SIZE)
    canvas.setFillColor(black)
    for key, text in values:
        field = FIELDS[key]
        if len(text) > field.width:
            raise ValueError(f"{key} is {field.width} characters wide, got {len(text)}")
        padded = text.rjust(field.width) if field.align == "right" else text
        canvas.drawString(field.x + dx, field.y + dy, padded)
