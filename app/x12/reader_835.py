"""Read 835 health care claim payment and remittance advice files.

Accepts 005010X221A1 and 004010X091A1 transaction sets. A file may hold several
interchanges, each with its own delimiters, several functional groups and several
transaction sets, and each ST becomes one Remittance835. The payment header (BPR, TRN),
the payer and payee (loops 1000A and 1000B), each claim (loop 2100) with its service
lines (loop 2110) and the provider adjustments (PLB) are read. Segments the reader does
not use, such as TS3, PER or QTY, are skipped.

A damaged file raises X12FormatError naming the segment number, the segment id and the
problem before anything is returned, because a remittance read only in part would post
money to the wrong claims. Balancing is a separate step (`balance_problems`), because an
unbalanced remittance is still worth storing for review.
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from app.x12.segments import (
    STANDARD_DELIMITERS,
    Delimiters,
    Segment,
    X12FormatError,
    element_amount,
    optional_amount,
    parse_segments,
    parse_x12_date,
    segment_error,
    wrong_transaction_error,
)

# Implementation guides the reader accepts, by the start of GS08 or ST03.
_VERSIONS = ("005010X221", "004010X091")

# CAS01 group codes: the four of 5010, and CR (corrections and reversals) of 4010.
_GROUP_CODES = frozenset({"CO", "OA", "PI", "PR", "CR"})

# Segments of loops 2100 (claim) and 2110 (service line). Any other segment ends a claim.
_CLAIM_SEGMENTS = frozenset(
    {"CLP", "CAS", "NM1", "MIA", "MOA", "REF", "DTM", "PER", "AMT", "QTY", "SVC", "LQ"}
)

# Remark code elements: MOA03 to MOA07 (outpatient), MIA05 and MIA20 to MIA23 (inpatient).
_MOA_REMARKS = (3, 4, 5, 6, 7)
_MIA_REMARKS = (5, 20, 21, 22, 23)

_CENT = Decimal("0.01")


@dataclass(frozen=True, slots=True)
class Cas:
    """One adjustment of a CAS segment: CAS segments hold up to six of them."""

    group_code: str  # CO, OA, PI, PR (and CR in 4010)
    reason_code: str  # CARC
    amount: Decimal
    quantity: Decimal | None


@dataclass(frozen=True, slots=True)
class ServicePayment:
    """A service line of loop 2110 (SVC) and what the payer did with it."""

    qualifier: str  # SVC01-1, such as HC
    procedure_code: str  # SVC01-2, the code the payer adjudicated
    modifiers: tuple[str, ...]
    charge: Decimal  # SVC02
    paid: Decimal  # SVC03
    units_paid: Decimal | None  # SVC05
    submitted_code: str | None  # SVC06-2, when the payer changed the billed code
    submitted_modifiers: tuple[str, ...]
    submitted_units: Decimal | None  # SVC07
    service_date: date | None  # DTM*472, or DTM*150 of a range
    service_date_to: date | None  # DTM*151
    line_control_number: str | None  # REF*6R, our line's control number
    allowed: Decimal | None  # AMT*B6
    adjustments: tuple[Cas, ...]
    remarks: tuple[str, ...]  # LQ*HE remark codes
    segment_number: int


@dataclass(frozen=True, slots=True)
class ClaimPayment:
    """A claim of loop 2100 (CLP) with its adjustments and service lines."""

    patient_control_number: str  # CLP01, our CLM01
    status_code: str  # CLP02
    charge: Decimal  # CLP03
    paid: Decimal  # CLP04
    patient_responsibility: Decimal  # CLP05, 0 when absent
    filing_indicator: str  # CLP06
    payer_claim_number: str | None  # CLP07
    frequency_code: str | None  # CLP09
    patient_last: str  # NM1*QC
    patient_first: str
    member_id: str  # NM1*QC NM109, else NM1*IL NM109
    crossover_payer: str | None  # NM1*TT name
    service_date_from: date | None  # DTM*232
    service_date_to: date | None  # DTM*233
    adjustments: tuple[Cas, ...]  # claim-level CAS
    services: tuple[ServicePayment, ...]
    interest: Decimal | None  # AMT*I
    remarks: tuple[str, ...]  # MOA and MIA remark codes
    segment_number: int  # the CLP
    text: str  # the loop's segments as X12 text, for read_claim_loop


@dataclass(frozen=True, slots=True)
class ProviderAdjustmentItem:
    """One reason and amount pair of a PLB segment."""

    provider_identifier: str  # PLB01
    fiscal_period_date: date | None  # PLB02
    reason_code: str  # PLB03-1, such as WO or L6
    reference: str  # PLB03-2, often the payer claim number
    amount: Decimal  # positive reduces the payment, negative adds to it
    segment_number: int


@dataclass(frozen=True, slots=True)
class Remittance835:
    """One 835 transaction set: one payment or notice from one payer to one payee."""

    control_number: str  # ST02
    handling_code: str  # BPR01
    payment_amount: Decimal  # BPR02
    credit_debit: str  # BPR03, C or D
    payment_method: str  # BPR04, such as ACH, CHK or NON
    payment_date: date | None  # BPR16
    trace_number: str  # TRN02, the check or EFT trace number
    originator_id: str  # TRN03
    payer_name: str
    payer_identifier: str  # N1*PR N104, else REF*2U, else TRN03
    payee_name: str
    payee_identifier: str  # N1*PE N104
    claims: tuple[ClaimPayment, ...]
    provider_adjustments: tuple[ProviderAdjustmentItem, ...]
    segment_number: int  # the ST
    interchange_control_number: str  # ISA13


# --- the walk over a file ------------------------------------------------------------------


@dataclass(slots=True)
class _TransactionDraft:
    opener: Segment  # the ST
    interchange_control_number: str
    payment: Segment | None = None  # the BPR
    trace: Segment | None = None  # the TRN
    payer_name: str = ""
    payer_id: str = ""
    payer_reference: str = ""  # REF*2U of loop 1000A
    payee_name: str = ""
    payee_id: str = ""
    party: str = ""  # N101 of the current 1000 loop
    claims: list[ClaimPayment] = field(default_factory=list)
    provider_adjustments: list[ProviderAdjustmentItem] = field(default_factory=list)


@dataclass(slots=True)
class _FileReader:
    delimiters: Delimiters = STANDARD_DELIMITERS
    interchange_control_number: str = ""
    group_version: str = ""  # GS08
    transaction: _TransactionDraft | None = None
    claim_segments: list[Segment] = field(default_factory=list)
    remittances: list[Remittance835] = field(default_factory=list)


def read_835(text: str) -> list[Remittance835]:
    """Read every 835 transaction set in `text`, in file order.

    Raises X12FormatError naming the segment when the envelope is damaged, a transaction
    set is not an 835, or a value the reader needs is missing or invalid.
    """
    _, segments = parse_segments(text)
    reader = _FileReader()
    for segment in segments:
        if reader.claim_segments and (segment.id == "CLP" or segment.id not in _CLAIM_SEGMENTS):
            _finish_claim(reader)
        if segment.id == "CLP":
            _start_claim(reader, segment)
            continue
        if reader.claim_segments:
            reader.claim_segments.append(segment)
            continue
        handler = _HANDLERS.get(segment.id)
        if handler is not None:
            handler(reader, segment)
    return reader.remittances


def _on_interchange(reader: _FileReader, segment: Segment) -> None:
    reader.delimiters = segment.delimiters
    reader.interchange_control_number = segment.element(13).strip()


def _on_group(reader: _FileReader, segment: Segment) -> None:
    reader.group_version = segment.element(8).strip()


def _on_transaction(reader: _FileReader, segment: Segment) -> None:
    set_id = segment.element(1).strip()
    convention = segment.element(3).strip() or reader.group_version
    if set_id != "835" or not convention.startswith(_VERSIONS):
        raise wrong_transaction_error(
            segment,
            f"{set_id} {convention}",
            "an 835 remittance (835 005010X221A1 or 004010X091A1)",
        )
    reader.transaction = _TransactionDraft(
        opener=segment, interchange_control_number=reader.interchange_control_number
    )


def _transaction(reader: _FileReader, segment: Segment) -> _TransactionDraft:
    # parse_segments already rejects segments outside ST and SE, so this guards the
    # envelope segments the handlers see (ISA to ST), which carry no 835 content.
    if reader.transaction is None:
        raise segment_error(segment, "this segment appears outside an 835 transaction set")
    return reader.transaction


def _on_payment(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.payment is not None:
        raise segment_error(
            segment,
            f"a second BPR appears, but the BPR in segment {draft.payment.number} "
            "already opened this remittance",
        )
    if not segment.element(1).strip():
        raise segment_error(segment, "BPR01 (the transaction handling code) is missing")
    element_amount(segment, 2)
    if segment.element(3).strip() not in {"C", "D"}:
        raise segment_error(
            segment, f"BPR03 should be C (credit) or D (debit) but is {segment.element(3)!r}"
        )
    draft.payment = segment


def _on_trace(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.trace is None:
        if not segment.element(2).strip():
            raise segment_error(segment, "TRN02 (the check or EFT trace number) is missing")
        draft.trace = segment


def _on_party(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    draft.party = segment.element(1).strip()
    name = segment.element(2).strip()
    identifier = segment.element(4).strip()
    if draft.party == "PR":
        draft.payer_name = name
        draft.payer_id = identifier
    elif draft.party == "PE":
        draft.payee_name = name
        draft.payee_id = identifier


def _on_reference(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    if draft.party == "PR" and segment.element(1).strip() == "2U":
        draft.payer_reference = segment.element(2).strip()


def _on_header_number(reader: _FileReader, segment: Segment) -> None:
    # LX opens loop 2000, so later REF segments no longer belong to the payer or payee.
    _transaction(reader, segment).party = ""


def _on_provider_adjustment(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    draft.party = ""
    draft.provider_adjustments.extend(_provider_adjustments(segment))


def _on_end(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    reader.remittances.append(_finish_transaction(draft))
    reader.transaction = None


def _start_claim(reader: _FileReader, segment: Segment) -> None:
    draft = _transaction(reader, segment)
    draft.party = ""
    if draft.payment is None:
        raise segment_error(segment, "this claim comes before the BPR payment header")
    reader.claim_segments = [segment]


def _finish_claim(reader: _FileReader) -> None:
    segments = reader.claim_segments
    reader.claim_segments = []
    assert reader.transaction is not None  # a claim only starts inside a transaction
    reader.transaction.claims.append(_read_claim(segments, reader.delimiters))


def _finish_transaction(draft: _TransactionDraft) -> Remittance835:
    opener = draft.opener
    payment = draft.payment
    trace = draft.trace
    if payment is None:
        raise segment_error(opener, "the transaction set has no BPR payment header")
    if trace is None:
        raise segment_error(opener, "the transaction set has no TRN trace number")

    date_text = payment.element(16).strip()
    payment_date = parse_x12_date(payment, "BPR16", date_text) if date_text else None
    originator = trace.element(3).strip()
    return Remittance835(
        control_number=opener.element(2).strip(),
        handling_code=payment.element(1).strip(),
        payment_amount=element_amount(payment, 2),
        credit_debit=payment.element(3).strip(),
        payment_method=payment.element(4).strip(),
        payment_date=payment_date,
        trace_number=trace.element(2).strip(),
        originator_id=originator,
        payer_name=draft.payer_name,
        payer_identifier=draft.payer_id or draft.payer_reference or originator,
        payee_name=draft.payee_name,
        payee_identifier=draft.payee_id,
        claims=tuple(draft.claims),
        provider_adjustments=tuple(draft.provider_adjustments),
        segment_number=opener.number,
        interchange_control_number=draft.interchange_control_number,
    )


def _provider_adjustments(segment: Segment) -> list[ProviderAdjustmentItem]:
    """Read the up to six reason and amount pairs of a PLB (PLB03/04 to PLB13/14)."""
    provider = segment.element(1).strip()
    if not provider:
        raise segment_error(segment, "PLB01 (the provider identifier) is missing")
    date_text = segment.element(2).strip()
    period = parse_x12_date(segment, "PLB02", date_text) if date_text else None

    items = []
    for index in range(3, 15, 2):
        if not segment.element(index).strip() and not segment.element(index + 1).strip():
            continue
        reason = segment.component(index, 1).strip()
        if not reason:
            raise segment_error(segment, f"PLB{index:02d} (the adjustment reason code) is missing")
        items.append(
            ProviderAdjustmentItem(
                provider_identifier=provider,
                fiscal_period_date=period,
                reason_code=reason,
                reference=segment.component(index, 2).strip(),
                amount=element_amount(segment, index + 1),
                segment_number=segment.number,
            )
        )
    if not items:
        raise segment_error(segment, "PLB03 and PLB04 (the first adjustment) are missing")
    return items


_HANDLERS = {
    "ISA": _on_interchange,
    "GS": _on_group,
    "ST": _on_transaction,
    "BPR": _on_payment,
    "TRN": _on_trace,
    "N1": _on_party,
    "REF": _on_reference,
    "LX": _on_header_number,
    "PLB": _on_provider_adjustment,
    "SE": _on_end,
}


# --- one claim loop --------------------------------------------------------------------------


@dataclass(slots=True)
class _LineDraft:
    opener: Segment  # the SVC
    service_date: date | None = None
    service_date_to: date | None = None
    line_control_number: str | None = None
    allowed: Decimal | None = None
    adjustments: list[Cas] = field(default_factory=list)
    remarks: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _ClaimDraft:
    opener: Segment  # the CLP
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
    segments = []
    for number, raw in enumerate(_split_loop_text(text), start=1):
        elements = raw.split(STANDARD_DELIMITERS.element)
        segment_id = elements[0]
        if segment_id not in _CLAIM_SEGMENTS or (number == 1) != (segment_id == "CLP"):
            raise X12FormatError(
                f"Segment {number} ({segment_id[:3]}): a stored claim loop starts with one "
                "CLP and contains only claim and service line segments. Import the remittance "
                "file again."
            )
        segments.append(Segment(id=segment_id, elements=elements, number=number))
    if not segments:
        raise X12FormatError("The stored claim loop is empty. Import the remittance file again.")
    return _read_claim(segments, STANDARD_DELIMITERS)


def _split_loop_text(text: str) -> list[str]:
    terminator = STANDARD_DELIMITERS.segment
    parts = [part.strip() for part in text.split(terminator)]
    return [part for part in parts if part]


def _read_claim(segments: list[Segment], delimiters: Delimiters) -> ClaimPayment:
    """Build a ClaimPayment from the segments of one claim loop, CLP first."""
    opener = segments[0]
    claim = _ClaimDraft(opener=opener)
    for segment in segments[1:]:
        handler = _CLAIM_HANDLERS.get(segment.id)
        if handler is not None:
            handler(claim, segment)
    return _finish_claim_draft(claim, _loop_text(segments, delimiters))


def _on_claim_adjustment(claim: _ClaimDraft, segment: Segment) -> None:
    adjustments = _adjustments(segment)
    if claim.lines:
        claim.lines[-1].adjustments.extend(adjustments)
    else:
        claim.adjustments.extend(adjustments)


def _on_claim_name(claim: _ClaimDraft, segment: Segment) -> None:
    if claim.lines:
        raise segment_error(
            segment, "a claim-level name (NM1) appears after the claim's service lines"
        )
    entity = segment.element(1).strip()
    if entity == "QC":
        claim.patient_last = segment.element(3).strip()
        claim.patient_first = segment.element(4).strip()
        claim.patient_member_id = segment.element(9).strip()
    elif entity == "IL":
        claim.insured_member_id = segment.element(9).strip()
    elif entity == "TT":
        claim.crossover_payer = segment.element(3).strip() or None


def _on_claim_remarks(claim: _ClaimDraft, segment: Segment) -> None:
    indexes = _MOA_REMARKS if segment.id == "MOA" else _MIA_REMARKS
    for index in indexes:
        code = segment.element(index).strip()
        if code:
            claim.remarks.append(code)


def _on_claim_reference(claim: _ClaimDraft, segment: Segment) -> None:
    if claim.lines and segment.element(1).strip() == "6R":
        claim.lines[-1].line_control_number = segment.element(2).strip() or None


def _on_claim_date(claim: _ClaimDraft, segment: Segment) -> None:
    qualifier = segment.element(1).strip()
    value = segment.element(2).strip()
    if not value:
        raise segment_error(segment, f"DTM02 (the date for qualifier {qualifier!r}) is missing")
    name = f"DTM02 (qualifier {qualifier})"

    if claim.lines:
        line = claim.lines[-1]
        if qualifier in {"472", "150"}:
            line.service_date = parse_x12_date(segment, name, value)
        elif qualifier == "151":
            line.service_date_to = parse_x12_date(segment, name, value)
    elif qualifier == "232":
        claim.service_date_from = parse_x12_date(segment, name, value)
    elif qualifier == "233":
        claim.service_date_to = parse_x12_date(segment, name, value)


def _on_claim_amount(claim: _ClaimDraft, segment: Segment) -> None:
    qualifier = segment.element(1).strip()
    if claim.lines:
        if qualifier == "B6":
            claim.lines[-1].allowed = element_amount(segment, 2)
    elif qualifier == "I":
        claim.interest = element_amount(segment, 2)


def _on_service(claim: _ClaimDraft, segment: Segment) -> None:
    claim.lines.append(_LineDraft(opener=segment))


def _on_line_remarks(claim: _ClaimDraft, segment: Segment) -> None:
    if not claim.lines:
        raise segment_error(segment, "a service line remark (LQ) appears before any SVC")
    if segment.element(1).strip() == "HE":
        code = segment.element(2).strip()
        if not code:
            raise segment_error(segment, "LQ02 (the remark code) is missing")
        claim.lines[-1].remarks.append(code)


_CLAIM_HANDLERS = {
    "CAS": _on_claim_adjustment,
    "NM1": _on_claim_name,
    "MIA": _on_claim_remarks,
    "MOA": _on_claim_remarks,
    "REF": _on_claim_reference,
    "DTM": _on_claim_date,
    "AMT": _on_claim_amount,
    "SVC": _on_service,
    "LQ": _on_line_remarks,
}


def _adjustments(segment: Segment) -> list[Cas]:
    """Read the up to six (reason, amount, quantity) triplets of a CAS segment."""
    group = segment.element(1).strip()
    if group not in _GROUP_CODES:
        raise segment_error(
            segment, f"CAS01 should be the group code CO, OA, PI or PR but is {group[:20]!r}"
        )

    adjustments = []
    for index in range(2, 20, 3):
        reason = segment.element(index).strip()
        amount_text = segment.element(index + 1).strip()
        if not reason and not amount_text:
            continue
        if not reason:
            raise segment_error(
                segment, f"CAS{index:02d} (the reason code for CAS{index + 1:02d}) is missing"
            )
        adjustments.append(
            Cas(
                group_code=group,
                reason_code=reason,
                amount=element_amount(segment, index + 1),
                quantity=optional_amount(segment, index + 2),
            )
        )
    if not adjustments:
        raise segment_error(segment, "CAS02 and CAS03 (the first adjustment) are missing")
    return adjustments


def _finish_claim_draft(claim: _ClaimDraft, text: str) -> ClaimPayment:
    opener = claim.opener
    control_number = opener.element(1).strip()
    if not control_number:
        raise segment_error(opener, "CLP01 (the patient control number) is missing")
    status = opener.element(2).strip()
    if not (1 <= len(status) <= 2 and status.isascii() and status.isdigit()):
        raise segment_error(opener, f"CLP02 should be a claim status code but is {status[:20]!r}")

    patient_responsibility = optional_amount(opener, 5)
    return ClaimPayment(
        patient_control_number=control_number,
        status_code=status,
        charge=element_amount(opener, 3),
        paid=element_amount(opener, 4),
        patient_responsibility=patient_responsibility or Decimal(0),
        filing_indicator=opener.element(6).strip(),
        payer_claim_number=opener.element(7).strip() or None,
        frequency_code=opener.element(9).strip() or None,
        patient_last=claim.patient_last,
        patient_first=claim.patient_first,
        member_id=claim.patient_member_id or claim.insured_member_id,
        crossover_payer=claim.crossover_payer,
        service_date_from=claim.service_date_from,
        service_date_to=claim.service_date_to,
        adjustments=tuple(claim.adjustments),
        services=tuple(_finish_line(line) for line in claim.lines),
        interest=claim.interest,
        remarks=tuple(claim.remarks),
        segment_number=opener.number,
        text=text,
    )


def _finish_line(line: _LineDraft) -> ServicePayment:
    segment = line.opener
    qualifier, code, modifiers = _procedure(segment, 1)
    submitted_code: str | None = None
    submitted_modifiers: tuple[str, ...] = ()
    if segment.element(6).strip():
        _, submitted_code, submitted_modifiers = _procedure(segment, 6)

    return ServicePayment(
        qualifier=qualifier,
        procedure_code=code,
        modifiers=modifiers,
        charge=element_amount(segment, 2),
        paid=element_amount(segment, 3),
        units_paid=optional_amount(segment, 5),
        submitted_code=submitted_code,
        submitted_modifiers=submitted_modifiers,
        submitted_units=optional_amount(segment, 7),
        service_date=line.service_date,
        service_date_to=line.service_date_to,
        line_control_number=line.line_control_number,
        allowed=line.allowed,
        adjustments=tuple(line.adjustments),
        remarks=tuple(line.remarks),
        segment_number=segment.number,
    )


def _procedure(segment: Segment, index: int) -> tuple[str, str, tuple[str, ...]]:
    """Read a procedure composite (SVC01 or SVC06): qualifier, code and modifiers.

    A qualifier longer than two characters means the composite uses another component
    separator than ISA16 declares, and reading it anyway would post to a code such as
    "HC>99213".
    """
    parts = segment.components(index)
    qualifier = parts[0].strip()
    code = parts[1].strip() if len(parts) > 1 else ""
    name = f"SVC{index:02d}"
    if len(qualifier) != 2 or not qualifier.isalnum():
        raise segment_error(
            segment,
            f"{name} should start with a 2-character qualifier such as HC, then "
            f"{segment.delimiters.component!r} (the component separator of ISA16), but it is "
            f"{segment.element(index)[:30]!r}",
        )
    if not code:
        raise segment_error(segment, f"{name} has no procedure code after its qualifier")
    modifiers = tuple(part.strip() for part in parts[2:6] if part.strip())
    return qualifier, code, modifiers


def _loop_text(segments: list[Segment], delimiters: Delimiters) -> str:
    """Join a claim loop's segments as X12 text with the standard delimiters.

    Files with other delimiters are translated. A standard delimiter inside a value of
    such a file would split it when read back, so it becomes a space.
    """
    if delimiters == STANDARD_DELIMITERS or (
        delimiters.element == "*" and delimiters.component == ":" and delimiters.segment == "~"
    ):
        return "".join("*".join(segment.elements) + "~\n" for segment in segments)

    # NOTE: replacing a standard delimiter found inside a value changes that value in the
    # stored text; files with other delimiters almost never contain them.
    clash = str.maketrans({"*": " ", ":": " ", "~": " "})
    lines = []
    for segment in segments:
        elements = [
            ":".join(part.translate(clash) for part in value.split(delimiters.component))
            for value in segment.elements
        ]
        lines.append("*".join(elements) + "~\n")
    return "".join(lines)


# --- balancing ---------------------------------------------------------------------------------


def _cents(amount: Decimal) -> Decimal:
    return amount.quantize(_CENT, rounding=ROUND_HALF_UP)


def claim_balance_problems(claim: ClaimPayment) -> list[str]:
    """Check a claim's amounts: each line, then the claim, as the 835 guide requires.

    Line: SVC02 minus the line's adjustments equals SVC03. Claim: CLP03 minus the claim
    and line adjustments equals CLP04. Amounts are compared in whole cents. Returns one
    message per problem, each naming CLP01 and the segment number.
    """
    problems = []
    where = f"Claim {claim.patient_control_number} (segment {claim.segment_number})"
    line_total = Decimal(0)
    for service in claim.services:
        adjusted = sum((cas.amount for cas in service.adjustments), Decimal(0))
        line_total += adjusted
        expected = _cents(service.charge) - _cents(adjusted)
        if expected != _cents(service.paid):
            problems.append(
                f"{where}, line {service.procedure_code} (segment {service.segment_number}): "
                f"charge {_cents(service.charge)} minus adjustments {_cents(adjusted)} is "
                f"{expected} but SVC03 says {_cents(service.paid)}."
            )

    adjusted = sum((cas.amount for cas in claim.adjustments), Decimal(0)) + line_total
    expected = _cents(claim.charge) - _cents(adjusted)
    if expected != _cents(claim.paid):
        problems.append(
            f"{where}: charge {_cents(claim.charge)} minus adjustments {_cents(adjusted)} is "
            f"{expected} but CLP04 says {_cents(claim.paid)}."
        )
    return problems


def balance_problems(remittance: Remittance835) -> list[str]:
    """Check every claim, then the transaction: the claims' payments minus the PLB
    amounts equal BPR02 (negated when BPR03 is D, a debit). Returns [] when balanced.
    """
    problems = []
    for claim in remittance.claims:
        problems.extend(claim_balance_problems(claim))

    paid = sum((_cents(claim.paid) for claim in remittance.claims), Decimal(0))
    withheld = sum((_cents(item.amount) for item in remittance.provider_adjustments), Decimal(0))
    payment = _cents(remittance.payment_amount)
    if remittance.credit_debit == "D":
        payment = -payment
    if paid - withheld != payment:
        problems.append(
            f"Transaction set {remittance.control_number} (segment "
            f"{remittance.segment_number}): claim payments {paid} minus provider adjustments "
            f"{withheld} is {paid - withheld} but BPR02 says {payment}."
        )
    return problems
