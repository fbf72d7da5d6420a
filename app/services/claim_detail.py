"""One claim in full for the Claims page, and the worklist actions that write claim events.

`claim_detail` returns the header, diagnoses, lines, the last scrub's findings, the
history with user names and the batches the claim was sent in, and audits the view.
`assign_claims`, `set_follow_up` and `add_claim_note` write ASSIGNED, FOLLOW_UP and NOTE
events through claim_status.record_event, so the history shows who did what and when.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError, ValidationError
from app.models.claims import (
    Claim,
    ClaimBatch,
    ClaimBatchItem,
    ClaimDiagnosis,
    ClaimEvent,
    ClaimFinding,
    ClaimLine,
    Clearinghouse,
)
from app.models.patients import Patient
from app.models.practice import Location, Payer, Provider
from app.models.security import User
from app.problems import Problem, Severity
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import ROLE_PERMISSIONS, Actor, Permission, Role, require
from app.services import icd10
from app.services.claim_scrub_business import filing_days_left
from app.services.claim_scrub_rules import Finding
from app.services.claim_status import ClaimEventKind, ClaimStatus, record_event, status_label
from app.services.payer_rules import (
    PayerRuleBook,
    PayerRulesError,
    TimelyFiling,
    load_payer_rules,
)
from app.services.today import practice_today
from app.validators import text_problems

log = logging.getLogger(__name__)

OBJECT_TYPE = "claim"
MAX_NOTE_LENGTH = 2000
FREQUENCY_LABELS = {"1": "Original", "7": "Replacement", "8": "Void"}
# Name shown for an event with no user, which a file from the clearinghouse caused.
NO_USER_NAME = "Clearinghouse file"
# Statuses in which the filing deadline still matters: the payer has not accepted the
# claim, or denied it so that a corrected claim must still reach it in time.
FILING_STATUSES = frozenset(
    {
        ClaimStatus.HOLD,
        ClaimStatus.READY,
        ClaimStatus.SUBMITTED,
        ClaimStatus.REJECTED,
        ClaimStatus.DENIED,
    }
)


@dataclass(frozen=True, slots=True)
class DetailDiagnosis:
    """A diagnosis on the claim, with its description in the date of service's edition."""

    position: int
    code: str  # stored form, "E119"
    display_code: str  # "E11.9"
    description: str  # "" when the edition does not list the code


@dataclass(frozen=True, slots=True)
class DetailLine:
    """A service line of the claim."""

    line_id: uuid.UUID
    line_number: int
    service_date: date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge_amount: Decimal
    pointers: tuple[int, ...]
    place_of_service: str
    ndc_code: str | None
    status: str
    status_label: str


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One event in the claim's history, with the name of the user who caused it."""

    occurred_at: datetime
    event: str
    event_label: str
    status: str | None
    status_label: str
    user_name: str
    detail: str
    line_number: int | None


@dataclass(frozen=True, slots=True)
class BatchEntry:
    """A claim file the claim was sent in."""

    batch_id: uuid.UUID
    batch_number: str
    clearinghouse_name: str
    file_name: str
    transaction_control_number: str
    status: str
    created_at: datetime
    sent_at: datetime | None


@dataclass(frozen=True, slots=True)
class ClaimDetail:
    """Everything the claim detail pane shows."""

    claim_id: uuid.UUID
    claim_number: str
    status: str
    status_label: str
    patient_id: uuid.UUID
    patient_name: str
    chart_number: str
    payer_id: uuid.UUID
    payer_name: str
    payer_sequence: str
    provider_name: str
    location_name: str
    place_of_service: str
    service_date_from: date
    service_date_to: date
    total_charge: Decimal
    frequency_code: str
    frequency_label: str
    payer_claim_number: str | None
    original_claim_number: str | None
    assigned_to_name: str
    follow_up_on: date | None
    filing_days_left: int | None
    last_scrubbed_at: datetime | None
    sent_at: datetime | None
    diagnoses: tuple[DetailDiagnosis, ...]
    lines: tuple[DetailLine, ...]
    findings: tuple[Finding, ...]  # errors first, then warnings
    events: tuple[TimelineEntry, ...]  # oldest first
    batches: tuple[BatchEntry, ...]  # oldest first


def person_name(last: str, first: str) -> str:
    """Return a name as lists sort it: "Lopez, Ana"."""
    return f"{last}, {first}" if first else last


def provider_name(first: str, last: str, credentials: str | None) -> str:
    """Return a provider's name as screens show it: "Ana Lopez, MD"."""
    suffix = f", {credentials}" if credentials else ""
    return f"{first} {last}{suffix}"


def event_label(event: str) -> str:
    """Return an event kind in plain words: "follow_up" becomes "Follow up"."""
    return event.replace("_", " ").capitalize()


def describe_event(event: str | None, occurred_at: datetime | None) -> str:
    """Return an event as lists show it, such as "Scrubbed 12/01/2026"; "" for none."""
    if event is None:
        return ""
    label = event_label(event)
    return f"{label} {occurred_at:%m/%d/%Y}" if occurred_at is not None else label


def get_claim(session: Session, claim_id: uuid.UUID) -> Claim:
    """Return the claim, or raise NotFoundError when it is missing or archived."""
    claim = session.get(Claim, claim_id)
    if claim is None or claim.archived:
        raise NotFoundError(
            f"Claim {claim_id} was not found; it may have been rebuilt. Refresh the claim list "
            "and open it again."
        )
    return claim


# ---- the detail view ------------------------------------------------------------------


def claim_detail(session: Session, actor: Actor, claim_id: uuid.UUID) -> ClaimDetail:
    """Return one claim in full and record the view in the audit log."""
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    patient = session.get(Patient, claim.patient_id)
    payer = session.get(Payer, claim.payer_id)
    provider = session.get(Provider, claim.rendering_provider_id)
    location = session.get(Location, claim.location_id)
    assert patient is not None
    assert payer is not None
    assert provider is not None
    assert location is not None
    assignee = session.get(User, claim.assigned_to) if claim.assigned_to else None
    original = session.get(Claim, claim.original_claim_id) if claim.original_claim_id else None
    lines = _lines(session, claim.id)

    detail = ClaimDetail(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        status=claim.status,
        status_label=status_label(claim.status),
        patient_id=patient.id,
        patient_name=person_name(patient.last_name, patient.first_name),
        chart_number=patient.chart_number,
        payer_id=payer.id,
        payer_name=payer.name,
        payer_sequence=claim.payer_sequence,
        provider_name=provider_name(provider.first_name, provider.last_name, provider.credentials),
        location_name=location.name,
        place_of_service=claim.place_of_service,
        service_date_from=claim.service_date_from,
        service_date_to=claim.service_date_to,
        total_charge=claim.total_charge,
        frequency_code=claim.frequency_code,
        frequency_label=FREQUENCY_LABELS.get(claim.frequency_code, claim.frequency_code),
        payer_claim_number=claim.payer_claim_number,
        original_claim_number=original.claim_number if original is not None else None,
        assigned_to_name=assignee.display_name if assignee is not None else "",
        follow_up_on=claim.follow_up_on,
        filing_days_left=claim_filing_days_left(
            filing_rule_book(), claim, payer, practice_today(session)
        ),
        last_scrubbed_at=claim.last_scrubbed_at,
        sent_at=claim.sent_at,
        diagnoses=_diagnoses(session, claim),
        lines=tuple(lines),
        findings=_findings(session, claim.id, lines),
        events=_events(session, claim.id, lines),
        batches=_batches(session, claim.id),
    )
    audit.record(session, actor, AuditAction.VIEW, OBJECT_TYPE, claim.id, patient_id=patient.id)
    return detail


def filing_rule_book() -> PayerRuleBook | None:
    """Return the payer rules, or None when a rule file is invalid.

    A broken rule file must not hide the claims, because the scrub reports the file.
    Until it is fixed, filing deadlines use the payer's timely filing days.
    """
    try:
        return load_payer_rules()
    except PayerRulesError:
        log.warning("payer rule files could not be read; filing days use payer days", exc_info=True)
        return None


def claim_filing_days_left(
    book: PayerRuleBook | None, claim: Claim, payer: Payer, today: date
) -> int | None:
    """Return the days left to file the claim, or None when its status no longer needs it."""
    if claim.status not in FILING_STATUSES:
        return None
    rule = TimelyFiling.PAYER_DAYS
    if book is not None:
        rule = book.rules_for(payer.payer_code, payer.claim_filing_indicator).timely_filing
    return filing_days_left(claim.service_date_from, payer.timely_filing_days, rule, today)


def _diagnoses(session: Session, claim: Claim) -> tuple[DetailDiagnosis, ...]:
    query = (
        select(ClaimDiagnosis)
        .where(ClaimDiagnosis.claim_id == claim.id, ClaimDiagnosis.archived.is_(False))
        .order_by(ClaimDiagnosis.position)
    )
    return tuple(
        DetailDiagnosis(
            position=row.position,
            code=row.code,
            display_code=icd10.display_code(row.code),
            description=icd10.describe_code(session, row.code, claim.service_date_from) or "",
        )
        for row in session.scalars(query)
    )


def _lines(session: Session, claim_id: uuid.UUID) -> list[DetailLine]:
    query = (
        select(ClaimLine)
        .where(ClaimLine.claim_id == claim_id, ClaimLine.archived.is_(False))
        .order_by(ClaimLine.line_number)
    )
    return [
        DetailLine(
            line_id=line.id,
            line_number=line.line_number,
            service_date=line.service_date,
            procedure_code=line.procedure_code,
            modifiers=tuple(
                modifier
                for modifier in (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
                if modifier
            ),
            units=line.units,
            charge_amount=line.charge_amount,
            pointers=tuple(
                pointer
                for pointer in (line.pointer1, line.pointer2, line.pointer3, line.pointer4)
                if pointer is not None
            ),
            place_of_service=line.place_of_service,
            ndc_code=line.ndc_code,
            status=line.status,
            status_label=status_label(line.status),
        )
        for line in session.scalars(query)
    ]


def _findings(
    session: Session, claim_id: uuid.UUID, lines: Sequence[DetailLine]
) -> tuple[Finding, ...]:
    numbers = {line.line_id: line.line_number for line in lines}
    query = select(ClaimFinding).where(
        ClaimFinding.claim_id == claim_id, ClaimFinding.archived.is_(False)
    )
    findings = [
        Finding(
            rule=row.rule,
            severity=Severity(row.severity),
            message=row.message,
            why=row.why,
            field=row.field,
            record_id=row.record_id,
            line_number=numbers.get(row.claim_line_id) if row.claim_line_id else None,
        )
        for row in session.scalars(query.order_by(ClaimFinding.created_at, ClaimFinding.id))
    ]
    findings.sort(key=lambda item: item.severity is not Severity.ERROR)
    return tuple(findings)


def _events(
    session: Session, claim_id: uuid.UUID, lines: Sequence[DetailLine]
) -> tuple[TimelineEntry, ...]:
    numbers = {line.line_id: line.line_number for line in lines}
    query = (
        select(ClaimEvent, User.display_name)
        .outerjoin(User, User.id == ClaimEvent.user_id)
        .where(ClaimEvent.claim_id == claim_id, ClaimEvent.archived.is_(False))
        .order_by(ClaimEvent.occurred_at, ClaimEvent.id)
    )
    return tuple(
        TimelineEntry(
            occurred_at=event.occurred_at,
            event=event.event,
            event_label=event_label(event.event),
            status=event.status,
            status_label=status_label(event.status) if event.status else "",
            user_name=user_name or ("" if event.user_id else NO_USER_NAME),
            detail=event.detail or "",
            line_number=numbers.get(event.claim_line_id) if event.claim_line_id else None,
        )
        for event, user_name in session.execute(query)
    )


def _batches(session: Session, claim_id: uuid.UUID) -> tuple[BatchEntry, ...]:
    query = (
        select(ClaimBatch, ClaimBatchItem.transaction_control_number, Clearinghouse.name)
        .join(ClaimBatchItem, ClaimBatchItem.batch_id == ClaimBatch.id)
        .join(Clearinghouse, Clearinghouse.id == ClaimBatch.clearinghouse_id)
        .where(ClaimBatchItem.claim_id == claim_id, ClaimBatchItem.archived.is_(False))
        .order_by(ClaimBatch.created_at)
    )
    return tuple(
        BatchEntry(
            batch_id=batch.id,
            batch_number=batch.batch_number,
            clearinghouse_name=clearinghouse_name,
            file_name=batch.file_name,
            transaction_control_number=control_number,
            status=batch.status,
            created_at=batch.created_at,
            sent_at=batch.sent_at,
        )
        for batch, control_number, clearinghouse_name in session.execute(query)
    )


# ---- actions ---------------------------------------------------------------------------


def _can_manage_claims(role: str) -> bool:
    try:
        return Permission.CLAIM_MANAGE in ROLE_PERMISSIONS[Role(role)]
    except ValueError:
        return False


def assignable_users(session: Session, actor: Actor) -> list[tuple[uuid.UUID, str]]:
    """Return (id, display name) of each active user who may work claims, by name."""
    require(actor, Permission.CLAIM_MANAGE)
    rows = session.execute(
        select(User.id, User.display_name, User.role).where(User.archived.is_(False))
    )
    users = [(user_id, name) for user_id, name, role in rows if _can_manage_claims(role)]
    return sorted(users, key=lambda user: user[1].lower())


def _assignee(session: Session, user_id: uuid.UUID) -> User:
    user = session.get(User, user_id)
    if user is None or user.archived:
        raise NotFoundError(
            f"User {user_id} was not found or is archived; choose someone from the list."
        )
    if not _can_manage_claims(user.role):
        raise UserError(
            f"{user.display_name} cannot work claims in the {Role(user.role).label} role; "
            "choose a biller or manager."
        )
    return user


def assign_claims(
    session: Session, actor: Actor, claim_ids: Sequence[uuid.UUID], user_id: uuid.UUID | None
) -> Changes:
    """Assign the claims to a user (None clears the assignment) and record an ASSIGNED event.

    A claim already assigned to that user gets no new event.
    """
    require(actor, Permission.CLAIM_MANAGE)
    user = _assignee(session, user_id) if user_id is not None else None
    detail = f"Assigned to {user.display_name}" if user is not None else "Assignment cleared"
    changed = 0
    for claim_id in dict.fromkeys(claim_ids):
        claim = get_claim(session, claim_id)
        if claim.assigned_to == user_id:
            continue
        claim.assigned_to = user_id
        claim.updated_by = actor.user_id
        record_event(session, claim, ClaimEventKind.ASSIGNED, user_id=actor.user_id, detail=detail)
        changed += 1
    log.info("assigned %d claims to user %s", changed, user_id)
    return Changes.of(ChangeKind.CLAIMS)


def _note_text(note: str, *, required: bool) -> str:
    text = note.strip()
    problems: list[Problem] = text_problems(
        text, "note", "The note", MAX_NOTE_LENGTH, required=required
    )
    if problems:
        raise ValidationError(problems)
    return text


def set_follow_up(
    session: Session, actor: Actor, claim_id: uuid.UUID, on: date | None, note: str
) -> Changes:
    """Set (or clear, with None) the claim's follow-up date and record a FOLLOW_UP event.

    Raises UserError for a date before today, and ValidationError for a note that is
    too long or contains control characters.
    """
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    text = _note_text(note, required=False)
    today = practice_today(session)
    if on is not None and on < today:
        raise UserError(
            f"The follow-up date {on:%m/%d/%Y} is before today ({today:%m/%d/%Y}); choose "
            "today or a later day."
        )

    claim.follow_up_on = on
    claim.updated_by = actor.user_id
    when = f"Follow up on {on:%m/%d/%Y}" if on is not None else "Follow-up cleared"
    detail = f"{when}: {text}" if text else when
    record_event(session, claim, ClaimEventKind.FOLLOW_UP, user_id=actor.user_id, detail=detail)
    log.info("set the follow-up of claim %s", claim.id)
    return Changes.of(ChangeKind.CLAIMS)


def add_claim_note(session: Session, actor: Actor, claim_id: uuid.UUID, note: str) -> Changes:
    """Add a note to the claim's history; raises ValidationError for an empty or long note."""
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    text = _note_text(note, required=True)
    record_event(session, claim, ClaimEventKind.NOTE, user_id=actor.user_id, detail=text)
    log.info("added a note to claim %s", claim.id)
    return Changes.of(ChangeKind.CLAIMS)


# The payer's claim number (ICN/DCN): letters, digits and hyphens, as REF*F8 carries it.
PAYER_CLAIM_NUMBER_MAX = 50


def _payer_claim_number_problems(number: str) -> list[Problem]:
    if not number:
        return [
            Problem(
                "claim.payer_claim_number",
                "The payer's claim number is missing; copy it from the remittance or EOB, "
                "where it may be called ICN, DCN or claim control number.",
            )
        ]
    if len(number) > PAYER_CLAIM_NUMBER_MAX or not number.replace("-", "").isalnum():
        return [
            Problem(
                "claim.payer_claim_number",
                f"The payer's claim number {number[:60]!r} is not valid; it has up to "
                f"{PAYER_CLAIM_NUMBER_MAX} letters, digits and hyphens, such as 22123456789000.",
            )
        ]
    return []


def set_payer_claim_number(
    session: Session, actor: Actor, claim_id: uuid.UUID, number: str
) -> Changes:
    """Store the payer's claim number typed from a paper remittance or EOB.

    Replacement and void claims send it back to the payer (REF*F8). A 277CA or a
    remittance that carries one sets it too. Raises ValidationError for an empty or
    invalid number.
    """
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    cleaned = number.strip().upper()
    problems = _payer_claim_number_problems(cleaned)
    if problems:
        raise ValidationError(problems)

    previous = claim.payer_claim_number
    claim.payer_claim_number = cleaned
    detail = f"Payer's claim number set to {cleaned}" + (
        f" (was {previous})" if previous and previous != cleaned else ""
    )
    record_event(session, claim, ClaimEventKind.NOTE, user_id=actor.user_id, detail=detail)
    audit.record(session, actor, AuditAction.UPDATE, "claim", claim.id, detail="payer claim number")
    log.info("set the payer's claim number of claim %s", claim.id)
    return Changes.of(ChangeKind.CLAIMS)
