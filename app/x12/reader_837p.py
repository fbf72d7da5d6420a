"""Read the claims of an 837P (005010X222) file.

The reader takes what a biller and the round trip of our own writer need: the claim
header, its diagnoses, its payer and patient, and its service lines. Claims are read
under a subscriber (loop 2000B) and under a patient who is not the subscriber (2000C).
Values it relies on are checked, so a damaged file raises X12FormatError naming the
segment instead of yielding a claim with wrong codes.
"""

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.x12.segments import (
    Segment,
    X12FormatError,
    element_amount,
    parse_segments,
    period_start,
    segment_error,
    walk_segments,
    wrong_transaction_error,
)

# HI composite qualifiers: ICD-10-CM principal and other diagnoses (ABK, ABF) and their
# ICD-9 forms (BK, BF). BP, BO (anesthesia procedures) and BG (condition codes) are
# other HI segments of an 837P and are skipped.
_DIAGNOSIS_QUALIFIERS = frozenset({"ABK", "ABF", "BK", "BF"})
_OTHER_HI_QUALIFIERS = frozenset({"BP", "BO", "BG"})

# ASCII digits only: str.isdigit() and \d also accept characters such as "²" or "٣".
_PLACE_OF_SERVICE = re.compile(r"[0-9]{2}")
_FREQUENCY = re.compile(r"[0-9]")
_LINE_NUMBER = re.compile(r"[0-9]{1,6}")  # LX01 has at most 6 digits
_POINTER = re.compile(r"[0-9]{1,2}")


@dataclass(frozen=True, slots=True)
class ReadLine:
    line_number: int  # LX01
    procedure_code: str
    modifiers: tuple[str, ...]
    charge_amount: Decimal
    units: Decimal
    pointers: tuple[int, ...]  # 1-based into ReadClaim.diagnoses
    service_date: date  # DTP*472, the first day of a range
    line_control_number: str | None  # REF*6R


@dataclass(frozen=True, slots=True)
class ReadClaim:
    claim_number: str  # CLM01
    total_charge: Decimal
    frequency_code: str  # CLM05-3
    place_of_service: str  # CLM05-1
    diagnoses: tuple[str, ...]
    payer_code: str  # 2010BB NM109, "" when the file names the payer without an id
    member_id: str  # 2010BA NM109
    patient_last_name: str  # 2010CA when present, else the subscriber's
    lines: tuple[ReadLine, ...]
    payer_claim_number: str | None  # REF*F8 of loop 2300
    other_payer_codes: tuple[str, ...]  # 2330B NM109 of each other payer, in order
    transaction_number: str = ""  # ST02 of the transaction set holding the claim


@dataclass(slots=True)
class _LineDraft:
    opener: Segment  # the LX
    line_number: int
    service: Segment | None = None  # the SV1
    service_date: date | None = None
    line_control_number: str | None = None


@dataclass(slots=True)
class _ClaimDraft:
    opener: Segment  # the CLM
    patient_last_name: str
    payer_code: str
    member_id: str
    transaction_number: str
    loop: str = "2300"
    diagnoses: list[str] = field(default_factory=list)
    payer_claim_number: str | None = None
    other_payer_codes: list[str] = field(default_factory=list)
    lines: list[ReadLine] = field(default_factory=list)
    line: _LineDraft | None = None


@dataclass(slots=True)
class _Reader:
    """State of one walk over the segments: the subscriber and payer of the claims that follow."""

    claims: list[ReadClaim] = field(default_factory=list)
    transaction_number: str = ""
    level: str = ""  # HL03 of the current hierarchical level
    member_id: str = ""
    subscriber_last_name: str = ""
    payer_code: str = ""
    patient_last_name: str = ""
    claim: _ClaimDraft | None = None

    def finish_claim(self) -> None:
        if self.claim is not None:
            self.claims.append(_finish_claim(self.claim))
            self.claim = None


def read_837p(text: str) -> list[ReadClaim]:
    """Read every claim in an 837P file, in file order.

    Raises X12FormatError when the file is not an 837P or a value the reader needs is
    missing or invalid.
    """
    _, segments = parse_segments(text)
    reader = _Reader()
    walk_segments(segments, _HANDLERS, reader)
    reader.finish_claim()
    return reader.claims


# --- envelope and hierarchy --------------------------------------------------------------


def _on_transaction(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()
    set_id = segment.element(1).strip()
    convention = segment.element(3).strip()
    if set_id != "837" or (convention and not convention.startswith("005010X222")):
        raise wrong_transaction_error(
            segment, f"{set_id} {convention}", "an 837P professional claim (837 005010X222)"
        )
    reader.transaction_number = segment.element(2).strip()
    reader.level = ""


def _on_end(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()


def _on_level(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()
    reader.level = segment.element(3).strip()
    if reader.level in {"20", "22"}:
        reader.member_id = ""
        reader.subscriber_last_name = ""
        reader.payer_code = ""
    reader.patient_last_name = ""


def _on_name(reader: _Reader, segment: Segment) -> None:
    entity = segment.element(1).strip()
    if not entity:
        raise segment_error(
            segment,
            "NM101 (the entity identifier code, such as 85 for the billing provider or IL "
            "for the subscriber) is missing, so the name cannot be placed",
        )

    claim = reader.claim
    if claim is None:
        _on_header_name(reader, segment, entity)
    elif claim.line is not None:
        claim.loop = "2420"
    elif claim.loop.startswith(("2320", "2330")):
        claim.loop = "2330B" if entity == "PR" else "2330"
        if entity == "PR":
            claim.other_payer_codes.append(segment.element(9).strip())
    else:
        claim.loop = "2310"


def _on_header_name(reader: _Reader, segment: Segment, entity: str) -> None:
    if entity == "IL":
        reader.member_id = segment.element(9).strip()
        reader.subscriber_last_name = segment.element(3).strip()
    elif entity == "PR":
        reader.payer_code = segment.element(9).strip()
    elif entity == "QC":
        reader.patient_last_name = segment.element(3).strip()


def _on_subscriber(reader: _Reader, segment: Segment) -> None:
    # Inside a claim, SBR opens loop 2320: a payer other than the one billed.
    if reader.claim is not None:
        _close_line(reader.claim)
        reader.claim.loop = "2320"


# --- claim ---------------------------------------------------------------------------------


def _on_claim(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()
    if not segment.element(1).strip():
        raise segment_error(segment, "CLM01 (the claim number) is missing")

    patient = reader.patient_last_name if reader.level == "23" else ""
    reader.claim = _ClaimDraft(
        opener=segment,
        patient_last_name=patient or reader.subscriber_last_name,
        payer_code=reader.payer_code,
        member_id=reader.member_id,
        transaction_number=reader.transaction_number,
    )


def _on_diagnoses(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None or claim.loop != "2300":
        return
    for index in range(1, len(segment.elements)):
        qualifier = segment.component(index, 1).strip()
        code = segment.component(index, 2).strip()
        if qualifier in _DIAGNOSIS_QUALIFIERS and code:
            claim.diagnoses.append(code)
        elif qualifier not in _OTHER_HI_QUALIFIERS and segment.element(index):
            raise segment_error(
                segment,
                f"HI{index:02d} is {segment.element(index)!r}, which does not start with a "
                "diagnosis qualifier such as ABK or ABF followed by the component "
                f"separator {segment.delimiters.component!r} declared in ISA16",
            )


def _on_reference(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None:
        return
    qualifier = segment.element(1).strip()
    value = segment.element(2).strip() or None
    if claim.line is not None and claim.loop == "2400" and qualifier == "6R":
        claim.line.line_control_number = value
    elif claim.line is None and claim.loop == "2300" and qualifier == "F8":
        claim.payer_claim_number = value


def _finish_claim(claim: _ClaimDraft) -> ReadClaim:
    _close_line(claim)
    segment = claim.opener
    if not claim.lines:
        raise segment_error(
            segment, "this claim has no service lines (LX and SV1 segments) after it"
        )

    place_of_service = segment.component(5, 1).strip()
    if not _PLACE_OF_SERVICE.fullmatch(place_of_service):
        raise segment_error(
            segment,
            f"CLM05-1 (place of service) is {place_of_service!r} instead of a two-digit "
            f"code; CLM05 must be split by the component separator "
            f"{segment.delimiters.component!r} that ISA16 declares",
        )
    frequency = segment.component(5, 3).strip()
    if not _FREQUENCY.fullmatch(frequency):
        raise segment_error(
            segment, f"CLM05-3 (claim frequency code) is {frequency!r} instead of one digit"
        )

    return ReadClaim(
        claim_number=segment.element(1).strip(),
        total_charge=element_amount(segment, 2),
        frequency_code=frequency,
        place_of_service=place_of_service,
        diagnoses=tuple(claim.diagnoses),
        payer_code=claim.payer_code,
        member_id=claim.member_id,
        patient_last_name=claim.patient_last_name,
        lines=tuple(claim.lines),
        payer_claim_number=claim.payer_claim_number,
        other_payer_codes=tuple(claim.other_payer_codes),
        transaction_number=claim.transaction_number,
    )


# --- service lines -------------------------------------------------------------------------


def _on_line(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None:
        raise segment_error(segment, "this service line (LX) comes before any claim (CLM)")
    _close_line(claim)

    number = segment.element(1).strip()
    if not _LINE_NUMBER.fullmatch(number):
        raise segment_error(
            segment, f"LX01 (line number) is {number[:20]!r} instead of a number of 1 to 6 digits"
        )
    claim.loop = "2400"
    claim.line = _LineDraft(opener=segment, line_number=int(number))


def _on_service(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None or claim.line is None or claim.loop != "2400":
        raise segment_error(segment, "SV1 must follow the LX of a service line")
    claim.line.service = segment


def _on_date(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None or claim.line is None or claim.loop != "2400":
        return
    if segment.element(1).strip() == "472":
        claim.line.service_date = period_start(segment, 2)


def _on_line_adjudication(reader: _Reader, segment: Segment) -> None:
    # SVD opens loop 2430, a prior payer's settlement of the line.
    if reader.claim is not None and reader.claim.line is not None:
        reader.claim.loop = "2430"


def _close_line(claim: _ClaimDraft) -> None:
    draft = claim.line
    if draft is None:
        return
    claim.line = None
    claim.lines.append(_finish_line(draft))


def _finish_line(draft: _LineDraft) -> ReadLine:
    service = draft.service
    if service is None:
        raise segment_error(draft.opener, "this service line has no SV1 segment")
    if draft.service_date is None:
        raise segment_error(draft.opener, "this service line has no service date (DTP*472)")

    procedure = service.components(1)
    code = procedure[1].strip() if len(procedure) > 1 else ""
    if not code:
        raise segment_error(
            service,
            f"SV101 is {service.element(1)!r}, which holds no procedure code after the "
            f"qualifier and the component separator {service.delimiters.component!r}",
        )
    modifiers = tuple(part.strip() for part in procedure[2:6] if part.strip())

    return ReadLine(
        line_number=draft.line_number,
        procedure_code=code,
        modifiers=modifiers,
        charge_amount=element_amount(service, 2),
        units=element_amount(service, 4),
        pointers=_pointers(service),
        service_date=draft.service_date,
        line_control_number=draft.line_control_number,
    )


def _pointers(service: Segment) -> tuple[int, ...]:
    pointers: list[int] = []
    for part in service.components(7):
        value = part.strip()
        if not value:
            continue
        if not _POINTER.fullmatch(value) or not 1 <= int(value) <= 12:
            raise segment_error(
                service,
                f"SV107 (diagnosis pointers) holds {value[:20]!r}; each pointer must be a number "
                "from 1 to 12",
            )
        pointers.append(int(value))
    return tuple(pointers)


_HANDLERS = {
    "ST": _on_transaction,
    "SE": _on_end,
    "HL": _on_level,
    "NM1": _on_name,
    "SBR": _on_subscriber,
    "CLM": _on_claim,
    "HI": _on_diagnoses,
    "REF": _on_reference,
    "LX": _on_line,
    "SV1": _on_service,
    "DTP": _on_date,
    "SVD": _on_line_adjudication,
}

__all__ = ["ReadClaim", "ReadLine", "X12FormatError", "read_837p"]
