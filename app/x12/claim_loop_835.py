"""Read one 835 claim loop (2100, CLP) with its service lines (2110, SVC).

This is the hot path of remittance import: a 10,000-claim file has about 200,000
segments, nearly all in claim loops. So segments arrive as plain lists of elements
(`elements[0]` is the segment id) from `app.x12.segment_split`, and a Segment object is
built only to name a segment in an error.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import lru_cache

from app.x12.data_835 import Cas, ClaimPayment, ServicePayment
from app.x12.segments import STANDARD_DELIMITERS, Segment, X12FormatError, segment_error

# Segments of loops 2100 and 2110 after the CLP. Any other segment ends a claim loop, and
# read_835 accepts only CLP, LX, PLB or SE there.
CLAIM_BODY_SEGMENTS = frozenset(
    {"CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY", "SVC", "LQ"}
)
CLAIM_SEGMENTS = CLAIM_BODY_SEGMENTS | {"CLP"}

# CAS01 group codes: the four of 5010, and CR (corrections and reversals) of 4010.
GROUP_CODES = frozenset({"CO", "OA", "PI", "PR", "CR"})

# CAS01 to CAS19: the group code and six (reason, amount, quantity) triplets.
_CAS_ELEMENTS = 19

# Remark code elements: MOA03 to MOA07 (outpatient), MIA05 and MIA20 to MIA23 (inpatient).
_MOA_REMARKS = (3, 4, 5, 6, 7)
_MIA_REMARKS = (5, 20, 21, 22, 23)

# An X12 decimal number (type R) contains only these characters, and Decimal() rejects
# the arrangements of them that are not numbers, such as "1-2" or ".".
_AMOUNT_CHARACTERS = "0123456789.-"
# X12 allows at most 18 digits in a decimal number. Longer values would also exceed the
# 28 digits of Decimal's default context when balancing rounds them to cents.
_MAX_AMOUNT_DIGITS = 18
_ZERO = Decimal(0)


@dataclass(slots=True)
class _LineDraft:
    elements: list[str]  # the SVC
    number: int
    service_date: date | None = None
    service_date_to: date | None = None
    line_control_number: str | None = None
    allowed: Decimal | None = None
    adjustments: list[Cas] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _ClaimDraft:
    component: str  # the component separator of the file
    patient_last: str = ""
    patient_first: str = ""
    patient_member_id: str = ""
    insured_member_id: str = ""
    crossover_payer: str | None = None
    service_date_from: date | None = None
    service_date_to: date | None = None
    interest: Decimal | None = None
    adjustments: list[Cas] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)
    lines: list[_LineDraft] = field(default_factory=list)


def read_claim_loop(text: str) -> ClaimPayment:
    """Read one claim loop stored from ClaimPayment.text back into a ClaimPayment.

    The text uses the standard delimiters (* : ^ ~), and its segment numbers count from
    1 at the CLP. Raises X12FormatError when the text does not start with a CLP, contains a
    segment that is not part of a claim loop or an invalid value.
    """
    loop = []
    for number, raw in enumerate(_split_loop_text(text), start=1):
        elements = raw.split(STANDARD_DELIMITERS.element)
        segment_id = elements[0]
        if segment_id not in CLAIM_SEGMENTS or (number == 1) != (segment_id == "CLP"):
            raise X12FormatError(
                f"Segment {number} ({segment_id[:3]}): a stored claim loop starts with one "
                "CLP and contains only claim and service line segments. Import the remittance "
                "file again."
            )
        loop.append(elements)
    if not loop:
        raise X12FormatError("The stored claim loop is empty. Import the remittance file again.")
    return read_claim(loop, 1, STANDARD_DELIMITERS.component, text)


def _split_loop_text(text: str) -> list[str]:
    parts = [part.strip() for part in text.split(STANDARD_DELIMITERS.segment)]
    return [part for part in parts if part]


def loop_text(loop: list[list[str]], element: str, component: str, terminator: str = "~") -> str:
    """Join a claim loop's segments as X12 text with the standard delimiters.

    Files with other delimiters, including another segment terminator than "~", are
    translated. A standard delimiter inside a value of such a file would split that value
    when read back, so it becomes a space.
    """
    if element == "*" and component == ":" and terminator == "~":
        return "".join("*".join(elements) + "~\n" for elements in loop)

    # NOTE: the replacement changes such a value in the stored text. Files with other
    # delimiters rarely contain *, : or ~ in a value.
    clash = str.maketrans({"*": " ", ":": " ", "~": " "})
    lines = []
    for elements in loop:
        values = [
            ":".join(part.translate(clash) for part in value.split(component)) for value in elements
        ]
        lines.append("*".join(values) + "~\n")
    return "".join(lines)


def read_claim(loop: list[list[str]], first_number: int, component: str, text: str) -> ClaimPayment:
    """Build a ClaimPayment from one claim loop, CLP first; `first_number` is the CLP's."""
    claim = _ClaimDraft(component=component)
    number = first_number
    for elements in loop[1:]:
        number += 1
        handler = _HANDLERS.get(elements[0])
        if handler is not None:
            handler(claim, elements, number)
    return _finish_claim(claim, loop[0], first_number, text)


# --- element values ----------------------------------------------------------------------------


def fail(elements: list[str], number: int, problem: str) -> X12FormatError:
    """Build the error naming segment `number`, as `segment_error` words it."""
    return segment_error(Segment(id=elements[0], elements=elements, number=number), problem)


def value_at(elements: list[str], index: int) -> str:
    """Return element `index` without surrounding spaces, or "" when the segment is shorter."""
    return elements[index].strip() if index < len(elements) else ""


@lru_cache(maxsize=4096)
def _parse_amount(value: str) -> Decimal | None:
    # Cached because a remittance repeats the same few amounts and dates many times.
    digits = len(value) - value.count("-") - value.count(".")
    if value and not value.strip(_AMOUNT_CHARACTERS) and digits <= _MAX_AMOUNT_DIGITS:
        try:
            return Decimal(value)
        except InvalidOperation:
            return None
    return None


@lru_cache(maxsize=4096)
def _parse_date(value: str) -> date | None:
    if len(value) == 8 and value.isascii() and value.isdigit():
        try:
            return date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            return None
    return None


def amount_at(elements: list[str], index: int, number: int) -> Decimal:
    """Read element `index` as an X12 decimal number such as 150, -7.5 or .06."""
    value = elements[index].strip() if index < len(elements) else ""
    amount = _parse_amount(value)
    if amount is None:
        raise fail(
            elements, number, f"{elements[0]}{index:02d} should be an amount but is {value[:20]!r}"
        )
    return amount


def optional_amount_at(elements: list[str], index: int, number: int) -> Decimal | None:
    """Read element `index` as an amount, or None when it is empty."""
    if index >= len(elements) or not elements[index].strip():
        return None
    return amount_at(elements, index, number)


def date_at(elements: list[str], index: int, number: int) -> date:
    """Read element `index` as a CCYYMMDD date."""
    value = elements[index].strip() if index < len(elements) else ""
    day = _parse_date(value)
    if day is None:
        raise fail(
            elements,
            number,
            f"{elements[0]}{index:02d} should be a date as CCYYMMDD but is {value[:20]!r}",
        )
    return day


# --- segment handlers ----------------------------------------------------------------------------


def _on_adjustment(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    adjustments = adjustments_of(elements, number)
    if claim.lines:
        claim.lines[-1].adjustments.extend(adjustments)
    else:
        claim.adjustments.extend(adjustments)


def _on_name(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    if claim.lines:
        raise fail(elements, number, "a claim-level name (NM1) appears after the service lines")
    entity = value_at(elements, 1)
    if entity == "QC":
        claim.patient_last = value_at(elements, 3)
        claim.patient_first = value_at(elements, 4)
        claim.patient_member_id = value_at(elements, 9)
    elif entity == "IL":
        claim.insured_member_id = value_at(elements, 9)
    elif entity == "TT":
        claim.crossover_payer = value_at(elements, 3) or None


def _on_remarks(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    indexes = _MOA_REMARKS if elements[0] == "MOA" else _MIA_REMARKS
    for index in indexes:
        code = value_at(elements, index)
        if code:
            claim.remarks.append(code)


def _on_reference(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    if claim.lines and value_at(elements, 1) == "6R":
        claim.lines[-1].line_control_number = value_at(elements, 2) or None


def _on_date(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    qualifier = value_at(elements, 1)
    if claim.lines:
        line = claim.lines[-1]
        if qualifier in {"472", "150"}:
            line.service_date = date_at(elements, 2, number)
        elif qualifier == "151":
            line.service_date_to = date_at(elements, 2, number)
        elif qualifier in {"232", "233"}:
            raise fail(elements, number, f"a claim date (DTM*{qualifier}) appears after the lines")
    elif qualifier == "232":
        claim.service_date_from = date_at(elements, 2, number)
    elif qualifier == "233":
        claim.service_date_to = date_at(elements, 2, number)


def _on_amount(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    qualifier = value_at(elements, 1)
    if claim.lines:
        if qualifier == "B6":
            claim.lines[-1].allowed = amount_at(elements, 2, number)
        elif qualifier == "I":
            # Interest is claim-level only. Read as a line amount, it would be lost.
            raise fail(elements, number, "the claim interest (AMT*I) appears after the lines")
    elif qualifier == "I":
        claim.interest = amount_at(elements, 2, number)


def _on_service(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    claim.lines.append(_LineDraft(elements=elements, number=number))


def _on_line_remark(claim: _ClaimDraft, elements: list[str], number: int) -> None:
    if not claim.lines:
        raise fail(elements, number, "a service line remark (LQ) appears before any SVC")
    if value_at(elements, 1) == "HE":
        code = value_at(elements, 2)
        if not code:
            raise fail(elements, number, "LQ02 (the remark code) is missing")
        claim.lines[-1].remarks.append(code)


_HANDLERS = {
    "CAS": _on_adjustment,
    "NM1": _on_name,
    "MIA": _on_remarks,
    "MOA": _on_remarks,
    "REF": _on_reference,
    "DTM": _on_date,
    "AMT": _on_amount,
    "SVC": _on_service,
    "LQ": _on_line_remark,
}


def adjustments_of(elements: list[str], number: int) -> list[Cas]:
    """Read the up to six (reason, amount, quantity) triplets of a CAS segment."""
    group = elements[1].strip() if len(elements) > 1 else ""
    if group not in GROUP_CODES:
        raise fail(
            elements,
            number,
            f"CAS01 should be the group code CO, OA, PI or PR but is {group[:20]!r}",
        )

    if 4 <= len(elements) <= 5 and elements[2].strip():
        # One adjustment, by far the most common CAS: CAS*CO*45*30 with an optional quantity.
        reason = elements[2].strip()
        amount = amount_at(elements, 3, number)
        return [Cas(group, reason, amount, optional_amount_at(elements, 4, number))]

    if any(value.strip() for value in elements[_CAS_ELEMENTS + 1 :]):
        raise fail(
            elements,
            number,
            f"CAS has {len(elements) - 1} elements but at most {_CAS_ELEMENTS} (six "
            "adjustments), so the payer must split the adjustments over several CAS segments",
        )

    adjustments = []
    for index in range(2, min(len(elements), _CAS_ELEMENTS + 1), 3):
        reason = elements[index].strip()
        amount_present = index + 1 < len(elements) and elements[index + 1].strip()
        if not reason and not amount_present:
            if index + 2 < len(elements) and elements[index + 2].strip():
                raise fail(
                    elements,
                    number,
                    f"CAS{index + 2:02d} (a quantity) has no reason code or amount before it",
                )
            continue
        if not reason:
            raise fail(
                elements,
                number,
                f"CAS{index:02d} (the reason code for CAS{index + 1:02d}) is missing",
            )
        adjustments.append(
            Cas(
                group_code=group,
                reason_code=reason,
                amount=amount_at(elements, index + 1, number),
                quantity=optional_amount_at(elements, index + 2, number),
            )
        )
    if not adjustments:
        raise fail(elements, number, "CAS02 and CAS03 (the first adjustment) are missing")
    return adjustments


# --- finishing ---------------------------------------------------------------------------------


def _finish_claim(claim: _ClaimDraft, opener: list[str], number: int, text: str) -> ClaimPayment:
    control_number = value_at(opener, 1)
    if not control_number:
        raise fail(opener, number, "CLP01 (the patient control number) is missing")
    status = value_at(opener, 2)
    if not (1 <= len(status) <= 2 and status.isascii() and status.isdigit()):
        raise fail(opener, number, f"CLP02 should be a claim status code but is {status[:20]!r}")

    return ClaimPayment(
        patient_control_number=control_number,
        status_code=status,
        charge=amount_at(opener, 3, number),
        paid=amount_at(opener, 4, number),
        patient_responsibility=optional_amount_at(opener, 5, number) or _ZERO,
        filing_indicator=value_at(opener, 6),
        payer_claim_number=value_at(opener, 7) or None,
        frequency_code=value_at(opener, 9) or None,
        patient_last=claim.patient_last,
        patient_first=claim.patient_first,
        member_id=claim.patient_member_id or claim.insured_member_id,
        crossover_payer=claim.crossover_payer,
        service_date_from=claim.service_date_from,
        service_date_to=claim.service_date_to,
        adjustments=tuple(claim.adjustments),
        services=tuple(_finish_line(line, claim.component) for line in claim.lines),
        interest=claim.interest,
        remarks=tuple(claim.remarks),
        segment_number=number,
        text=text,
    )


def _finish_line(line: _LineDraft, component: str) -> ServicePayment:
    elements = line.elements
    number = line.number
    qualifier, code, modifiers = _procedure(elements, 1, number, component)
    submitted_code: str | None = None
    submitted_modifiers: tuple[str, ...] = ()
    if value_at(elements, 6):
        _, submitted_code, submitted_modifiers = _procedure(elements, 6, number, component)

    return ServicePayment(
        qualifier=qualifier,
        procedure_code=code,
        modifiers=modifiers,
        charge=amount_at(elements, 2, number),
        paid=amount_at(elements, 3, number),
        units_paid=optional_amount_at(elements, 5, number),
        submitted_code=submitted_code,
        submitted_modifiers=submitted_modifiers,
        submitted_units=optional_amount_at(elements, 7, number),
        service_date=line.service_date,
        service_date_to=line.service_date_to,
        line_control_number=line.line_control_number,
        allowed=line.allowed,
        adjustments=tuple(line.adjustments),
        remarks=tuple(line.remarks),
        segment_number=number,
    )


def _procedure(
    elements: list[str], index: int, number: int, component: str
) -> tuple[str, str, tuple[str, ...]]:
    """Read a procedure composite (SVC01 or SVC06): qualifier, code and modifiers.

    A qualifier longer than two characters means the composite uses another component
    separator than ISA16 declares. Reading it anyway would post to a code such as
    "HC>99213".
    """
    parts = value_at(elements, index).split(component)
    qualifier = parts[0].strip()
    code = parts[1].strip() if len(parts) > 1 else ""
    name = f"SVC{index:02d}"
    if len(qualifier) != 2 or not qualifier.isalnum():
        raise fail(
            elements,
            number,
            f"{name} should start with a 2-character qualifier such as HC, then "
            f"{component!r} (the component separator of ISA16), but it is "
            f"{value_at(elements, index)[:30]!r}",
        )
    if not code:
        raise fail(elements, number, f"{name} has no procedure code after its qualifier")
    modifiers = tuple(part.strip() for part in parts[2:6] if part.strip())
    return qualifier, code, modifiers
