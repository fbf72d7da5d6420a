"""Read a 277CA claim acknowledgment: which claims the payer or clearinghouse took in.

The file is a tree of HL levels: 20 the information source (payer or clearinghouse),
21 the receiver (us), 19 the billing provider and PT one patient's claim. Under a PT
level, TRN*2 carries our claim number (CLM01) and STC segments its statuses. REF*1K is
the payer's claim number, REF*D9 the clearinghouse's and DTP*472 the service date. SVC
segments open service lines with their own STC and REF*FJ (our line control number).
"""

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from app.x12.codes_277 import ACCEPTED_CATEGORIES, REJECTED_CATEGORIES, explain_status
from app.x12.segments import (
    Segment,
    optional_amount,
    parse_segments,
    period_start,
    segment_error,
    walk_segments,
    wrong_transaction_error,
)


@dataclass(frozen=True, slots=True)
class StatusCode:
    category: str  # STC01-1, such as A7
    code: str  # STC01-2, such as 562
    entity: str  # STC01-3, such as 85; "" when absent
    explanation: str  # plain English, ending with what to do next


@dataclass(frozen=True, slots=True)
class ClaimAck:
    claim_number: str  # TRN02, our CLM01
    accepted: bool | None  # None when the statuses give no verdict
    statuses: tuple[StatusCode, ...]
    action_code: str  # STC03 of the first claim status: WQ accepted, U rejected
    amount: Decimal | None  # STC04, the claim's total charge
    payer_claim_number: str | None  # REF*1K
    clearinghouse_number: str | None  # REF*D9
    service_date: date | None  # DTP*472, the first day of a range
    lines: tuple[tuple[str, tuple[StatusCode, ...]], ...]  # (REF*FJ or procedure, statuses)


@dataclass(slots=True)
class _LineDraft:
    procedure_code: str
    control_number: str | None = None
    statuses: list[StatusCode] = field(default_factory=list)


@dataclass(slots=True)
class _ClaimDraft:
    claim_number: str
    statuses: list[StatusCode] = field(default_factory=list)
    action_code: str = ""
    amount: Decimal | None = None
    payer_claim_number: str | None = None
    clearinghouse_number: str | None = None
    service_date: date | None = None
    lines: list[_LineDraft] = field(default_factory=list)


@dataclass(slots=True)
class _Reader:
    claims: list[ClaimAck] = field(default_factory=list)
    group_version: str = ""  # GS08
    level: str = ""  # HL03 of the current level
    claim: _ClaimDraft | None = None

    def finish_claim(self) -> None:
        if self.claim is not None:
            self.claims.append(_finish_claim(self.claim))
            self.claim = None


def read_277ca(text: str) -> list[ClaimAck]:
    """Read every claim acknowledged in a 277CA file, in file order.

    Raises X12FormatError when the file is not a 277CA (a 277 claim status response to
    a 276 inquiry is not) or a value it needs is invalid.
    """
    _, segments = parse_segments(text)
    reader = _Reader()
    walk_segments(segments, _HANDLERS, reader)
    reader.finish_claim()
    return reader.claims


def _on_group(reader: _Reader, segment: Segment) -> None:
    reader.group_version = segment.element(8).strip()


def _on_transaction(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()
    set_id = segment.element(1).strip()
    convention = segment.element(3).strip() or reader.group_version
    if set_id != "277" or "X214" not in convention:
        raise wrong_transaction_error(
            segment, f"{set_id} {convention}", "a 277CA claim acknowledgment (277 005010X214)"
        )
    reader.level = ""


def _on_end(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()


def _on_level(reader: _Reader, segment: Segment) -> None:
    reader.finish_claim()
    reader.level = segment.element(3).strip()


def _on_trace(reader: _Reader, segment: Segment) -> None:
    # Only a patient level's TRN*2 names a claim; the other levels trace batches.
    if reader.level != "PT" or segment.element(1).strip() != "2":
        return
    reader.finish_claim()
    claim_number = segment.element(2).strip()
    if not claim_number:
        raise segment_error(segment, "TRN02 (the claim number we sent) is missing")
    reader.claim = _ClaimDraft(claim_number=claim_number)


def _on_status(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None and reader.level == "PT":
        # Without TRN*2 the status names no claim, and skipping it would hide a rejection.
        raise segment_error(
            segment, "this claim status comes before the TRN*2 that names its claim"
        )
    if claim is None:
        return  # A batch status of the receiver or provider level, not a claim's.
    statuses = _statuses(segment)

    if claim.lines:
        claim.lines[-1].statuses.extend(statuses)
        return
    if not claim.statuses:
        claim.action_code = segment.element(3).strip()
        claim.amount = optional_amount(segment, 4)
    claim.statuses.extend(statuses)


def _on_reference(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None:
        return
    qualifier = segment.element(1).strip()
    value = segment.element(2).strip() or None
    if claim.lines:
        if qualifier == "FJ":
            claim.lines[-1].control_number = value
    elif qualifier == "1K":
        claim.payer_claim_number = value
    elif qualifier == "D9":
        claim.clearinghouse_number = value


def _on_date(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None or claim.lines or segment.element(1).strip() != "472":
        return
    claim.service_date = period_start(segment, 2)


def _on_service(reader: _Reader, segment: Segment) -> None:
    claim = reader.claim
    if claim is None:
        raise segment_error(segment, "this service line (SVC) comes before any claim (TRN*2)")
    procedure = segment.component(1, 2).strip() or segment.element(1).strip()
    claim.lines.append(_LineDraft(procedure_code=procedure))


def _statuses(segment: Segment) -> list[StatusCode]:
    """Read the STC01, STC10 and STC11 composites of a status segment."""
    if not segment.element(1).strip():
        raise segment_error(segment, "STC01 (the claim status) is missing")

    statuses = []
    for index in (1, 10, 11):
        category = segment.component(index, 1).strip()
        if not category:
            continue
        code = segment.component(index, 2).strip()
        entity = segment.component(index, 3).strip()
        statuses.append(
            StatusCode(
                category=category,
                code=code,
                entity=entity,
                explanation=explain_status(category, code, entity),
            )
        )
    return statuses


def _verdict(statuses: list[StatusCode], action_code: str) -> bool | None:
    """Decide acceptance: a rejecting category wins, then an accepting one, then STC03."""
    categories = {status.category for status in statuses}
    if categories & REJECTED_CATEGORIES:
        return False
    if categories & ACCEPTED_CATEGORIES:
        return True
    if action_code == "U":
        return False
    if action_code == "WQ":
        return True
    return None


def _finish_claim(claim: _ClaimDraft) -> ClaimAck:
    lines = tuple(
        (line.control_number or line.procedure_code, tuple(line.statuses)) for line in claim.lines
    )
    return ClaimAck(
        claim_number=claim.claim_number,
        accepted=_verdict(claim.statuses, claim.action_code),
        statuses=tuple(claim.statuses),
        action_code=claim.action_code,
        amount=claim.amount,
        payer_claim_number=claim.payer_claim_number,
        clearinghouse_number=claim.clearinghouse_number,
        service_date=claim.service_date,
        lines=lines,
    )


_HANDLERS = {
    "GS": _on_group,
    "ST": _on_transaction,
    "SE": _on_end,
    "HL": _on_level,
    "TRN": _on_trace,
    "STC": _on_status,
    "REF": _on_reference,
    "DTP": _on_date,
    "SVC": _on_service,
}
