"""Loop 2400 (service lines) with its drug loop 2410 and the prior payers' 2430 loops."""

import re
from decimal import Decimal, InvalidOperation

from app.x12.claim_data import ClaimDocument, ServiceLine
from app.x12.envelope import X12WriteError, composite, segment
from app.x12.p837_cob import line_adjudication_loops, procedure_composite
from app.x12.p837_common import date_segment, optional_reference
from app.x12.text import clean_element, digits_only, format_amount

MAX_LINES = 50  # 2400 repeats at most 50 times per claim
NDC_UNITS = frozenset({"F2", "GR", "ME", "ML", "UN"})  # CTP05-01 unit codes
NDC_DIGITS = 11  # LIN03 with N4 is the 11-digit (5-4-2) NDC
_NDC_TEXT = re.compile(r"[0-9 -]+")  # digits, with the hyphens or spaces people type


def service_line_loops(document: ClaimDocument) -> list[str]:
    """Build every 2400 loop of the claim; LX numbers the lines from 1 in file order."""
    if not 1 <= len(document.lines) <= MAX_LINES:
        raise ValueError(
            f"claim {document.claim_number} has {len(document.lines)} lines; "
            f"an 837P claim carries 1 to {MAX_LINES}"
        )

    segments: list[str] = []
    for number, line in enumerate(document.lines, start=1):
        segments.append(segment("LX", str(number)))
        segments.append(professional_service(document, line))
        segments.append(date_segment("472", line.service_date))
        segments.extend(optional_reference("6R", line.line_control_number))
        segments.extend(drug_identification(document, line))
        segments.extend(line_adjudication_loops(line.adjudications))
    return segments


def professional_service(document: ClaimDocument, line: ServiceLine) -> str:
    """Build SV1. SV105 is sent only when the line's place of service differs from CLM05-1."""
    place_of_service = ""
    if line.place_of_service and line.place_of_service != document.place_of_service:
        place_of_service = clean_element(line.place_of_service, 2)

    return segment(
        "SV1",
        procedure_composite(line.procedure_code, line.modifiers),
        format_amount(line.charge_amount),
        "UN",
        str(line.units),
        place_of_service,
        "",
        composite(*(str(pointer) for pointer in line.pointers[:4])),
    )


def drug_identification(document: ClaimDocument, line: ServiceLine) -> list[str]:
    """Build 2410 (LIN with the 11-digit NDC, CTP with quantity and unit) for a drug line.

    Raises X12WriteError when the NDC is not 11 digits, the NDC quantity is not a
    positive number or the unit is not one of F2, GR, ME, ML or UN.
    """
    if not line.ndc_code:
        return []

    ndc = digits_only(line.ndc_code)
    if len(ndc) != NDC_DIGITS or not _NDC_TEXT.fullmatch(line.ndc_code.strip()):
        raise X12WriteError(
            f"Claim {document.claim_number}, line {line.line_number}: the NDC is not an "
            "11-digit NDC. Enter it in the 5-4-2 form, "
            "such as 00641-0367-25, on the charge line."
        )

    quantity = _ndc_quantity(document, line)
    unit = (line.ndc_unit or "").strip().upper()
    if unit not in NDC_UNITS:
        raise X12WriteError(
            f"Claim {document.claim_number}, line {line.line_number}: the NDC unit {unit!r} "
            "is invalid. Choose F2, GR, ME, ML or UN on the charge line."
        )

    return [
        segment("LIN", "", "N4", ndc),
        segment("CTP", "", "", "", format_amount(quantity), unit),
    ]


def _ndc_quantity(document: ClaimDocument, line: ServiceLine) -> Decimal:
    try:
        quantity = Decimal((line.ndc_quantity or "").strip())
    except InvalidOperation:
        quantity = Decimal(0)

    if not quantity.is_finite() or quantity <= 0:
        raise X12WriteError(
            f"Claim {document.claim_number}, line {line.line_number}: the NDC quantity "
            f"{line.ndc_quantity!r} is invalid. Enter a positive number on the charge line."
        )
    return quantity
