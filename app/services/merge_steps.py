"""The steps of a merge that move rows from the merged record to the survivor.

Each step updates rows through a RowRecorder, so the merge snapshot has every row's
values before and after, and returns notes for the user about anything it did besides
moving a row (a coverage that changed priority, a checklist item that was combined).
"""

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from app.models.ledger import LedgerEntry
from app.models.onboarding import DuplicateDecision, PatientOnboarding
from app.models.patients import (
    Coverage,
    ExternalReference,
    Patient,
    PatientPhone,
    PatientPreviousName,
)
from app.models.practice import Payer
from app.search.folding import fold
from app.security.permissions import Actor
from app.services.coverage_checks import SELF
from app.services.ledger import MERGE_SOURCE, post_entry
from app.services.merge_rows import RowRecorder, table_named
from app.services.patient_forms import COB_ORDER

# Tables whose rows simply change owner: (table, the column naming the patient).
SIMPLE_MOVES = (
    ("appointment", "patient_id"),
    ("patient_alert", "patient_id"),
    ("patient_document", "patient_id"),
    ("patient_previous_name", "patient_id"),
    ("referral", "patient_id"),
    ("prior_authorization", "patient_id"),
    ("visit_history", "patient_id"),
    ("encounter", "patient_id"),
    # A refund draws on the patient's credit, which the merge moves to the survivor, so
    # a pending refund left on the merged record could not be issued.
    ("refund", "patient_id"),
)
MAX_PRIORITY = max(COB_ORDER)


@dataclass(frozen=True, slots=True)
class MergeContext:
    """The two records of a merge, the recorder, and the merge's id and instant."""

    session: Session
    recorder: RowRecorder
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    merge_id: uuid.UUID
    user_id: uuid.UUID
    instant: datetime
    actor: Actor


def _ids(session: Session, statement: object) -> list[uuid.UUID]:
    return list(session.scalars(statement))  # type: ignore[call-overload]


def move_simple_rows(context: MergeContext) -> None:
    """Give the survivor every row of SIMPLE_MOVES that points at the merged record."""
    for table_name, column in SIMPLE_MOVES:
        table = table_named(table_name)
        rows = _ids(
            context.session,
            select(table.c.id).where(table.c[column] == context.merged_id).order_by(table.c.id),
        )
        for row_id in rows:
            context.recorder.update(table_name, row_id, {column: context.survivor_id})


def move_phones(context: MergeContext) -> list[str]:
    """Append the merged record's phones after the survivor's; archive exact repeats."""
    session = context.session
    survivor_phones = session.execute(
        select(PatientPhone.number, PatientPhone.extension, PatientPhone.position).where(
            PatientPhone.patient_id == context.survivor_id, PatientPhone.archived.is_(False)
        )
    ).all()
    known = {(number, extension or "") for number, extension, _ in survivor_phones}
    next_position = max((position for *_, position in survivor_phones), default=-1) + 1
    moved = session.scalars(
        select(PatientPhone)
        .where(PatientPhone.patient_id == context.merged_id)
        .order_by(PatientPhone.position, PatientPhone.id)
    ).all()
    repeats = 0
    for phone in moved:
        values: dict[str, object] = {"patient_id": context.survivor_id, "position": next_position}
        next_position += 1
        if not phone.archived and (phone.number, phone.extension or "") in known:
            values["archived"] = True
            repeats += 1
        known.add((phone.number, phone.extension or ""))
        context.recorder.update("patient_phone", phone.id, values)
    if not repeats:
        return []
    if repeats == 1:
        return ["1 phone number the surviving record already had was archived."]
    return [f"{repeats} phone numbers the surviving record already had were archived."]


@dataclass(slots=True)
class _Policy:
    payer_id: uuid.UUID
    member: str
    priority: int
    starts: date
    ends: date

    def overlaps(self, other: "_Policy") -> bool:
        return self.starts <= other.ends and other.starts <= self.ends


def _policy(coverage: Coverage, priority: int | None = None) -> _Policy:
    return _Policy(
        coverage.payer_id,
        fold(coverage.member_id),
        coverage.priority if priority is None else priority,
        coverage.effective_date or date.min,
        coverage.termination_date or date.max,
    )


def move_coverages(context: MergeContext) -> list[str]:
    """Move the merged record's coverages, keeping coordination of benefits sane.

    A coverage whose payer and member id the survivor already has is archived. One that
    would overlap a survivor coverage of the same priority takes the next free priority,
    or is archived when primary to tertiary are all taken for its dates.
    """
    session = context.session
    held = [
        _policy(coverage)
        for coverage in session.scalars(
            select(Coverage).where(
                Coverage.patient_id == context.survivor_id, Coverage.archived.is_(False)
            )
        )
    ]
    moved = session.scalars(
        select(Coverage)
        .where(Coverage.patient_id == context.merged_id)
        .order_by(Coverage.priority, Coverage.id)
    ).all()
    notes: list[str] = []
    for coverage in moved:
        values: dict[str, object] = {"patient_id": context.survivor_id}
        if not coverage.archived:
            note = _place_coverage(session, coverage, held, values)
            if note:
                notes.append(note)
        context.recorder.update("coverage", coverage.id, values)
    return notes


def _place_coverage(
    session: Session, coverage: Coverage, held: list[_Policy], values: dict[str, object]
) -> str:
    """Choose the moved coverage's priority (or archive it) and return a note, if any."""
    payer = session.get(Payer, coverage.payer_id)
    payer_name = payer.name if payer else "the payer"
    policy = _policy(coverage)
    if any(p.payer_id == policy.payer_id and p.member == policy.member for p in held):
        values["archived"] = True
        return f"The {payer_name} coverage was already on the surviving record, so it was archived."
    for priority in range(coverage.priority, MAX_PRIORITY + 1):
        candidate = _policy(coverage, priority)
        if not any(p.priority == priority and p.overlaps(candidate) for p in held):
            held.append(candidate)
            if priority == coverage.priority:
                return ""
            values["priority"] = priority
            return (
                f"The {payer_name} coverage became {COB_ORDER[priority].lower()}, because the "
                f"surviving record already has a {COB_ORDER[coverage.priority].lower()} "
                "coverage for those dates."
            )
    values["archived"] = True
    return (
        f"The {payer_name} coverage was archived, because the surviving record already has "
        "primary, secondary and tertiary coverages for those dates."
    )


def repoint_references(context: MergeContext) -> None:
    """Point guarantors, subscribers and import links at the survivor instead.

    The survivor's own guarantor becomes "self" (none) when it was the merged record.
    """
    session, recorder = context.session, context.recorder
    guarantor_of = _ids(
        session, select(Patient.id).where(Patient.guarantor_patient_id == context.merged_id)
    )
    for patient_id in guarantor_of:
        if patient_id == context.merged_id:
            continue
        new_value = None if patient_id == context.survivor_id else context.survivor_id
        recorder.update("patient", patient_id, {"guarantor_patient_id": new_value})

    subscribed = _ids(
        session, select(Coverage.id).where(Coverage.subscriber_patient_id == context.merged_id)
    )
    for coverage_id in subscribed:
        recorder.update("coverage", coverage_id, {"subscriber_patient_id": context.survivor_id})
    _make_self_subscribed(context)

    links = _ids(
        session,
        select(ExternalReference.id).where(
            ExternalReference.local_table == Patient.__tablename__,
            ExternalReference.local_id == context.merged_id,
        ),
    )
    for link_id in links:
        recorder.update("external_reference", link_id, {"local_id": context.survivor_id})


def _make_self_subscribed(context: MergeContext) -> None:
    """Turn the survivor's coverages subscribed by the survivor into "self" (code 18).

    Either record may have held a policy through the other. After the merge that
    coverage names its own patient as subscriber, which the registration check
    rejects, so the survivor could not be saved again.
    """
    own = _ids(
        context.session,
        select(Coverage.id).where(
            Coverage.patient_id == context.survivor_id,
            Coverage.subscriber_patient_id == context.survivor_id,
        ),
    )
    for coverage_id in own:
        context.recorder.update(
            "coverage", coverage_id, {"subscriber_patient_id": None, "relationship_code": SELF}
        )


def combine_onboarding(context: MergeContext) -> None:
    """Move checklist items; where both records have an item, a completed one wins."""
    session = context.session
    survivor_steps = {
        step.step_code: step
        for step in session.scalars(
            select(PatientOnboarding).where(PatientOnboarding.patient_id == context.survivor_id)
        )
    }
    merged_steps = session.scalars(
        select(PatientOnboarding)
        .where(PatientOnboarding.patient_id == context.merged_id)
        .order_by(PatientOnboarding.step_code)
    ).all()
    for step in merged_steps:
        kept = survivor_steps.get(step.step_code)
        if kept is None:
            context.recorder.update(
                "patient_onboarding", step.id, {"patient_id": context.survivor_id}
            )
            continue
        if step.completed_at is not None and kept.completed_at is None:
            context.recorder.update(
                "patient_onboarding",
                kept.id,
                {
                    "completed_at": step.completed_at,
                    "completed_by": step.completed_by,
                    "note": kept.note or step.note,
                },
            )
        # The unique (patient, step) pair keeps this row on the merged record, archived.
        context.recorder.update("patient_onboarding", step.id, {"archived": True})


def move_decisions(context: MergeContext) -> None:
    """Carry "different person" decisions over to the survivor, smaller id still first.

    A decision between the two merged records, or one the survivor already has for the
    same other record, is archived instead.
    """
    session = context.session
    decisions = session.scalars(
        select(DuplicateDecision)
        .where(
            or_(
                DuplicateDecision.first_patient_id == context.merged_id,
                DuplicateDecision.second_patient_id == context.merged_id,
            )
        )
        .order_by(DuplicateDecision.id)
    ).all()
    for decision in decisions:
        other = (
            decision.second_patient_id
            if decision.first_patient_id == context.merged_id
            else decision.first_patient_id
        )
        first, second = sorted((context.survivor_id, other))
        taken = session.scalar(
            select(func.count())
            .select_from(DuplicateDecision)
            .where(
                DuplicateDecision.first_patient_id == first,
                DuplicateDecision.second_patient_id == second,
            )
        )
        if other == context.survivor_id or taken:
            context.recorder.update("duplicate_decision", decision.id, {"archived": True})
        else:
            context.recorder.update(
                "duplicate_decision",
                decision.id,
                {"first_patient_id": first, "second_patient_id": second},
            )


def add_previous_name(context: MergeContext, merged: Patient, survivor: Patient) -> None:
    """Keep the merged record's name as a previous name of the survivor when it differs."""
    merged_name = (fold(merged.first_name), fold(merged.last_name))
    if merged_name == (fold(survivor.first_name), fold(survivor.last_name)):
        return
    known = context.session.execute(
        select(PatientPreviousName.first_name, PatientPreviousName.last_name).where(
            PatientPreviousName.patient_id == context.survivor_id,
            PatientPreviousName.archived.is_(False),
        )
    ).all()
    if any((fold(first), fold(last)) == merged_name for first, last in known):
        return
    name = PatientPreviousName(
        patient_id=context.survivor_id,
        first_name=merged.first_name,
        middle_name=merged.middle_name,
        last_name=merged.last_name,
        suffix=merged.suffix,
        created_at=context.instant,
        updated_at=context.instant,
        updated_by=context.user_id,
    )
    context.session.add(name)
    context.session.flush()
    context.recorder.note_created("patient_previous_name", name.id)


def transfer_ledger(context: MergeContext, merged_chart: str) -> list[uuid.UUID]:
    """Move each of the merged record's ledger rows to the survivor and return the ids posted.

    Each row gets a transfer out of the merged record and a transfer into the survivor, in
    the same bucket and with the same service date, so aging and period totals stay as
    they were. Ledger rows are never updated.
    """
    session = context.session
    originals = session.scalars(
        select(LedgerEntry)
        .where(LedgerEntry.patient_id == context.merged_id)
        .order_by(LedgerEntry.posted_at, LedgerEntry.id)
    ).all()
    posted: list[uuid.UUID] = []
    for original in originals:
        moved_out = _transfer(
            context,
            original,
            context.merged_id,
            -original.amount,
            f"Moved to the surviving record by merge {context.merge_id} "
            f"(ledger row {original.id}).",
        )
        moved_in = _transfer(
            context,
            original,
            context.survivor_id,
            original.amount,
            f"Moved from merged record {merged_chart} by merge {context.merge_id} "
            f"(ledger row {original.id}).",
        )
        posted.extend([moved_out.id, moved_in.id])
    return posted


def _transfer(
    context: MergeContext,
    original: LedgerEntry,
    patient_id: uuid.UUID,
    amount: Decimal,
    memo: str,
) -> LedgerEntry:
    # The pair nets to zero in every period, so a closed period does not stop a merge.
    return post_entry(
        context.session,
        context.actor,
        entry_type="transfer",
        amount=amount,
        patient_id=patient_id,
        responsible_party=original.responsible_party,
        payer_id=original.payer_id,
        service_date=original.service_date,
        source_type=MERGE_SOURCE,
        source_id=context.merge_id,
        memo=memo,
        check_period=False,
    )
