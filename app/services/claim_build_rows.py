"""Pieces the claim builders share: coverage order, line packing and writing claim rows.

A line to bill first becomes a `LineDraft`, which carries diagnosis codes instead of
pointers. Lines from an encounter, an older claim or several encounters can then be
packed into claims, and each claim gets pointers into its own diagnosis list.
"""

import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar, cast

from sqlalchemy import ColumnElement, Table, and_, select
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.db.base import Base
from app.db.by_id import objects_by_id
from app.db.fast_insert import insert_many
from app.errors import NotFoundError
from app.ids import new_id
from app.models.charges import ChargeLine
from app.models.claims import Claim, ClaimDiagnosis, ClaimEvent, ClaimLine
from app.models.patients import Coverage
from app.security.permissions import Actor
from app.services.claim_status import DEAD_STATUSES, ClaimEventKind, ClaimStatus
from app.services.numbering import next_number

# An 837P claim carries at most 50 service lines and 12 diagnoses (HI01 to HI12).
MAX_CLAIM_LINES = 50
MAX_CLAIM_DIAGNOSES = 12
# Ids per IN list: well under SQLite's limit on bound parameters, and small enough that
# one query never builds a huge statement.
IN_CHUNK = 500
CLAIM_NUMBER_KIND = "claim"
# CLM05-3 claim frequency codes.
FREQUENCY_ORIGINAL = "1"
FREQUENCY_REPLACEMENT = "7"
FREQUENCY_VOID = "8"
# SBR01 letters for the first three payers in coordination-of-benefits order.
PAYER_SEQUENCES = ("P", "S", "T")

T = TypeVar("T")


def chunks(values: Sequence[T], size: int = IN_CHUNK) -> Iterator[Sequence[T]]:
    """Yield `values` in slices of at most `size`."""
    for start in range(0, len(values), size):
        yield values[start : start + size]


@dataclass(frozen=True, slots=True)
class LineDraft:
    """A line to put on a claim, with its diagnoses as codes (in pointer order)."""

    charge_line_id: uuid.UUID
    service_date: date
    procedure_code: str
    modifiers: tuple[str | None, str | None, str | None, str | None]
    units: int
    charge_amount: Decimal
    codes: tuple[str, ...]
    place_of_service: str
    ndc_code: str | None
    ndc_quantity: str | None
    ndc_unit: str | None


@dataclass(frozen=True, slots=True)
class ClaimHeader:
    """The fields every part of a claim shares: patient, payer, provider, place and source."""

    patient_id: uuid.UUID
    encounter_id: uuid.UUID
    coverage_id: uuid.UUID
    payer_id: uuid.UUID
    payer_sequence: str
    rendering_provider_id: uuid.UUID
    location_id: uuid.UUID
    place_of_service: str
    clearinghouse_id: uuid.UUID | None


def draft_from_charge(line: ChargeLine, diagnoses: Sequence[str], place: str) -> LineDraft:
    """Turn a posted charge line into a draft; `diagnoses` is its encounter's list."""
    return _draft(line, line.id, diagnoses, place)


def draft_from_claim_line(line: ClaimLine, diagnoses: Sequence[str]) -> LineDraft:
    """Turn a line of an existing claim into a draft; `diagnoses` is that claim's list."""
    return _draft(line, line.charge_line_id, diagnoses, line.place_of_service)


def _draft(
    line: ChargeLine | ClaimLine,
    charge_line_id: uuid.UUID,
    diagnoses: Sequence[str],
    place: str,
) -> LineDraft:
    pointers = (line.pointer1, line.pointer2, line.pointer3, line.pointer4)
    codes = (
        diagnoses[pointer - 1]
        for pointer in pointers
        if pointer is not None and 0 < pointer <= len(diagnoses)
    )
    return LineDraft(
        charge_line_id=charge_line_id,
        service_date=line.service_date,
        procedure_code=line.procedure_code,
        modifiers=(line.modifier1, line.modifier2, line.modifier3, line.modifier4),
        units=line.units,
        charge_amount=line.charge_amount,
        # Two pointers at the same code would become repeated pointers on the claim.
        codes=tuple(dict.fromkeys(codes)),
        place_of_service=place,
        ndc_code=line.ndc_code,
        ndc_quantity=line.ndc_quantity,
        ndc_unit=line.ndc_unit,
    )


def pack_lines(lines: Sequence[LineDraft]) -> list[list[LineDraft]]:
    """Pack lines, in their order, into claims of at most 50 lines and 12 diagnoses.

    A line never leaves its diagnoses behind: a new part starts when the next line would
    bring the part past 50 lines or its diagnoses past 12.
    """
    parts: list[list[LineDraft]] = []
    current: list[LineDraft] = []
    current_codes: set[str] = set()
    for line in lines:
        codes = current_codes | set(line.codes)
        if current and (len(current) >= MAX_CLAIM_LINES or len(codes) > MAX_CLAIM_DIAGNOSES):
            parts.append(current)
            current = []
            codes = set(line.codes)
        current.append(line)
        current_codes = codes
    if current:
        parts.append(current)
    return parts


def part_diagnoses(lines: Iterable[LineDraft], order: Sequence[str]) -> list[str]:
    """Return the diagnoses the lines point at, in the order of `order`."""
    used = {code for line in lines for code in line.codes}
    return [code for code in order if code in used]


def coverages_in_force(coverages: Iterable[Coverage], day: date) -> list[Coverage]:
    """Return the coverages in force on `day` in payment order (priority, then newest).

    A coverage is in force from its effective date through its termination date; a
    blank date leaves that end open.
    """
    in_force = [
        coverage
        for coverage in coverages
        if not coverage.archived
        and (coverage.effective_date is None or coverage.effective_date <= day)
        and (coverage.termination_date is None or coverage.termination_date >= day)
    ]
    # Newest effective date first among equal priorities, as primary_coverage_on does.
    in_force.sort(key=lambda coverage: coverage.effective_date or date.min, reverse=True)
    in_force.sort(key=lambda coverage: coverage.priority)
    return in_force


def patient_coverages(session: Session, patient_id: uuid.UUID) -> list[Coverage]:
    """Return the patient's coverages that are not archived."""
    query = select(Coverage).where(Coverage.patient_id == patient_id, Coverage.archived.is_(False))
    return list(session.scalars(query))


def payer_sequence(position: int) -> str:
    """Return the SBR01 letter for a 0-based place in the payment order."""
    return PAYER_SEQUENCES[position] if position < len(PAYER_SEQUENCES) else "U"


def bills_lines() -> ColumnElement[bool]:
    """Return the condition for a claim that still bills its lines.

    Voided, corrected and archived (rebuilt) claims no longer bill their lines, and
    neither does a void claim (frequency 8), which cancels them at the payer.
    """
    return and_(
        Claim.archived.is_(False),
        Claim.status.not_in([status.value for status in DEAD_STATUSES]),
        Claim.frequency_code != FREQUENCY_VOID,
    )


def get_claim(session: Session, claim_id: uuid.UUID) -> Claim:
    """Return the claim, or raise NotFoundError when it is missing or archived."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.archived:
        raise NotFoundError(
            f"Claim {claim_id} was not found or was rebuilt; refresh the claims list and "
            "open it again."
        )
    return claim


def get_claims(session: Session, claim_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, Claim]:
    """Return the claims by id, loading those the session does not hold 500 per query.

    Raises NotFoundError, as `get_claim` does, for the first id in order whose claim is
    missing or archived.
    """
    found = objects_by_id(session, Claim, claim_ids)
    for claim_id in claim_ids:
        claim = found.get(claim_id)
        if claim is None or claim.archived:
            raise NotFoundError(
                f"Claim {claim_id} was not found or was rebuilt; refresh the claims list and "
                "open it again."
            )
    return found


def claim_lines(session: Session, claim_id: uuid.UUID) -> list[ClaimLine]:
    """Return the claim's lines in line order."""
    query = (
        select(ClaimLine)
        .where(ClaimLine.claim_id == claim_id, ClaimLine.archived.is_(False))
        .order_by(ClaimLine.line_number)
    )
    return list(session.scalars(query))


def claim_diagnoses(session: Session, claim_id: uuid.UUID) -> list[str]:
    """Return the claim's diagnosis codes in claim order."""
    query = (
        select(ClaimDiagnosis.code)
        .where(ClaimDiagnosis.claim_id == claim_id, ClaimDiagnosis.archived.is_(False))
        .order_by(ClaimDiagnosis.position)
    )
    return list(session.scalars(query))


@dataclass(frozen=True, slots=True)
class ClaimLink:
    """The link of a new claim to an earlier one: frequency, original and payer number."""

    frequency_code: str = FREQUENCY_ORIGINAL
    original_claim_id: uuid.UUID | None = None
    payer_claim_number: str | None = None
    split_part: int = 1
    split_count: int = 1


@dataclass(frozen=True, slots=True)
class ClaimRows:
    """The column values of one new claim, its diagnoses, its lines and its BUILT event."""

    claim_id: uuid.UUID
    claim: dict[str, object]
    diagnoses: list[dict[str, object]]
    lines: list[dict[str, object]]
    event: dict[str, object]


def claim_rows(
    actor: Actor,
    header: ClaimHeader,
    lines: Sequence[LineDraft],
    diagnoses: Sequence[str],
    *,
    claim_number: str,
    link: ClaimLink = ClaimLink(),
    detail: str,
) -> ClaimRows:
    """Return the rows of one claim on hold, with its diagnoses, lines and BUILT event.

    `diagnoses` must contain every code the lines point at. Pointers are renumbered
    into `diagnoses`, and line control numbers are the claim number plus the line number.
    """
    claim_id = new_id()
    claim = {
        "id": claim_id,
        "claim_number": claim_number,
        "patient_id": header.patient_id,
        "encounter_id": header.encounter_id,
        "coverage_id": header.coverage_id,
        "payer_id": header.payer_id,
        "payer_sequence": header.payer_sequence,
        "rendering_provider_id": header.rendering_provider_id,
        "location_id": header.location_id,
        "place_of_service": header.place_of_service,
        "service_date_from": min(line.service_date for line in lines),
        "service_date_to": max(line.service_date for line in lines),
        "total_charge": sum((line.charge_amount for line in lines), Decimal("0.00")),
        "frequency_code": link.frequency_code,
        "original_claim_id": link.original_claim_id,
        "payer_claim_number": link.payer_claim_number,
        "split_part": link.split_part,
        "split_count": link.split_count,
        "status": ClaimStatus.HOLD.value,
        "clearinghouse_id": header.clearinghouse_id,
        "updated_by": actor.user_id,
    }
    positions = {code: index for index, code in enumerate(diagnoses, start=1)}
    diagnosis_rows: list[dict[str, object]] = [
        {
            "id": new_id(),
            "claim_id": claim_id,
            "position": position,
            "code": code,
            "updated_by": actor.user_id,
        }
        for code, position in positions.items()
    ]
    line_rows = [
        _line_row(
            line,
            claim_id=claim_id,
            control_number=f"{claim_number}-{number}",
            number=number,
            positions=positions,
            actor=actor,
        )
        for number, line in enumerate(lines, start=1)
    ]
    event: dict[str, object] = {
        "id": new_id(),
        "claim_id": claim_id,
        "occurred_at": utc_now(),
        "user_id": actor.user_id,
        "event": ClaimEventKind.BUILT.value,
        "status": ClaimStatus.HOLD.value,
        "detail": detail,
        "updated_by": actor.user_id,
    }
    return ClaimRows(claim_id, claim, diagnosis_rows, line_rows, event)


def write_claim(
    session: Session,
    actor: Actor,
    header: ClaimHeader,
    lines: Sequence[LineDraft],
    diagnoses: Sequence[str],
    *,
    link: ClaimLink = ClaimLink(),
    detail: str,
) -> Claim:
    """Add one claim on hold, as `claim_rows` describes it, with the next claim number.

    The rows are added to the session, not flushed.
    """
    rows = claim_rows(
        actor,
        header,
        lines,
        diagnoses,
        claim_number=next_number(session, CLAIM_NUMBER_KIND),
        link=link,
        detail=detail,
    )
    claim = Claim(**rows.claim)
    session.add(claim)
    session.add_all(ClaimDiagnosis(**row) for row in rows.diagnoses)
    session.add_all(ClaimLine(**row) for row in rows.lines)
    session.add(ClaimEvent(**rows.event))
    return claim


def insert_rows(session: Session, model: type[Base], rows: Sequence[dict[str, object]]) -> None:
    """Insert rows of `model` with one prepared statement, bypassing the unit of work.

    The ORM bulk path spends more time sorting the rows into mapper order than SQLite
    spends storing them, and Core still builds each parameter set one by one, so
    `insert_many` hands plain tuples to the driver. Column defaults (id, created_at,
    archived and the rest) still apply. Every row must have the same keys.
    """
    insert_many(session, cast(Table, model.__table__), rows)


def insert_claims(session: Session, claims: Sequence[ClaimRows]) -> None:
    """Insert many new claims with one multi-row INSERT per table, bypassing the unit of work."""
    insert_rows(session, Claim, [rows.claim for rows in claims])
    insert_rows(session, ClaimDiagnosis, [row for rows in claims for row in rows.diagnoses])
    insert_rows(session, ClaimLine, [row for rows in claims for row in rows.lines])
    insert_rows(session, ClaimEvent, [rows.event for rows in claims])


def _line_row(
    line: LineDraft,
    *,
    claim_id: uuid.UUID,
    control_number: str,
    number: int,
    positions: dict[str, int],
    actor: Actor,
) -> dict[str, object]:
    pointers = [positions[code] for code in line.codes][:4]
    if not pointers:
        # Posting requires a pointer on every line, so only a programming error gets here.
        raise ValueError(f"charge line {line.charge_line_id} points at no diagnosis")
    extra: list[int | None] = [*pointers[1:], None, None, None]
    return {
        "id": new_id(),
        "claim_id": claim_id,
        "charge_line_id": line.charge_line_id,
        "line_number": number,
        "line_control_number": control_number,
        "service_date": line.service_date,
        "procedure_code": line.procedure_code,
        "modifier1": line.modifiers[0],
        "modifier2": line.modifiers[1],
        "modifier3": line.modifiers[2],
        "modifier4": line.modifiers[3],
        "units": line.units,
        "charge_amount": line.charge_amount,
        "pointer1": pointers[0],
        "pointer2": extra[0],
        "pointer3": extra[1],
        "pointer4": extra[2],
        "place_of_service": line.place_of_service,
        "ndc_code": line.ndc_code,
        "ndc_quantity": line.ndc_quantity,
        "ndc_unit": line.ndc_unit,
        "status": ClaimStatus.HOLD.value,
        "updated_by": actor.user_id,
    }
