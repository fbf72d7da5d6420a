"""Merge two records of one person, and undo a merge exactly.

The survivor keeps its id and chart number and receives every row that pointed at the
merged record (see merge_steps). The merged record is archived with merged_into_id set.
For each demographic field on which the two records disagree, the caller picks which
value wins; a field empty on the survivor is filled from the merged record. Every changed
row's values before and after are kept in patient_merge.snapshot, so `undo_merge` can
restore both records and every moved row, column for column, as long as nobody changed
those rows since. Ledger rows are append-only, so the balance moves by posted rows and
moves back by posted reversals.
"""

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError, ValidationError
from app.ids import new_id
from app.models.ledger import LedgerEntry
from app.models.onboarding import PatientMerge
from app.models.patients import Patient
from app.models.security import User
from app.money import ZERO
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import merge_steps
from app.services.ledger import MERGE_SOURCE, post_entry
from app.services.merge_accounts import move_billing_account
from app.services.merge_rows import (
    RowRecorder,
    RowValues,
    Snapshot,
    read_row,
    table_named,
    write_row,
)
from app.services.merge_values import provider_names, shown_value
from app.services.patient_search import display_name

log = logging.getLogger(__name__)

Choice = Literal["survivor", "merged"]

# Demographic fields a user may take from either record: key, label, columns. Groups
# (address, emergency contact, status) move together so an address is never half one
# record and half the other.
MERGE_FIELDS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("first_name", "First name", ("first_name",)),
    ("middle_name", "Middle name", ("middle_name",)),
    ("last_name", "Last name", ("last_name",)),
    ("suffix", "Suffix", ("suffix",)),
    ("preferred_name", "Preferred name", ("preferred_name",)),
    ("date_of_birth", "Date of birth", ("date_of_birth",)),
    ("sex", "Sex", ("sex",)),
    ("gender_identity", "Gender identity", ("gender_identity",)),
    ("ssn", "SSN", ("ssn",)),
    ("email", "Email", ("email",)),
    (
        "address",
        "Address",
        ("address_line1", "address_line2", "city", "state", "zip_code"),
    ),
    ("preferred_contact", "Preferred contact", ("preferred_contact",)),
    ("preferred_language", "Preferred language", ("preferred_language",)),
    ("marital_status", "Marital status", ("marital_status",)),
    ("employer_name", "Employer", ("employer_name",)),
    (
        "emergency_contact",
        "Emergency contact",
        ("emergency_contact_name", "emergency_contact_phone", "emergency_contact_relation"),
    ),
    ("primary_provider_id", "Primary provider", ("primary_provider_id",)),
    ("referring_provider_id", "Referring provider", ("referring_provider_id",)),
    ("status", "Status", ("status", "deceased_on")),
    ("recall", "Recall", ("recall_interval_months", "recall_due_on")),
)
FIELD_KEYS = frozenset(key for key, _label, _columns in MERGE_FIELDS)

# Labels shown to the user for each table a merge touches.
KIND_LABELS = {
    "patient": "patient record",
    "appointment": "appointment",
    "coverage": "coverage",
    "patient_phone": "phone number",
    "patient_previous_name": "previous name",
    "patient_alert": "alert",
    "patient_document": "document",
    "referral": "referral",
    "prior_authorization": "prior authorization",
    "visit_history": "past visit",
    "encounter": "encounter",
    "patient_onboarding": "checklist item",
    "duplicate_decision": "duplicate decision",
    "external_reference": "import link",
    "refund": "refund",
    # The tables merge_accounts changes when the guarantor's record is merged.
    "billing_account": "billing account",
    "statement": "statement",
    "payment_plan": "payment plan",
    "collection_placement": "collection placement",
}
MERGE_CHANGES = Changes.of(
    ChangeKind.PATIENTS,
    ChangeKind.COVERAGES,
    ChangeKind.DOCUMENTS,
    ChangeKind.REFERRALS,
    ChangeKind.APPOINTMENTS,
    ChangeKind.LEDGER,
)


@dataclass(frozen=True, slots=True)
class FieldComparison:
    """One demographic field of both records, as the merge screen shows it side by side."""

    key: str
    label: str
    survivor_value: str
    merged_value: str
    conflict: bool  # both filled and different: the user picks


@dataclass(frozen=True, slots=True)
class MergePreview:
    """The effect of a merge: fields side by side, the rows and the money that would move."""

    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    survivor_name: str
    merged_name: str
    survivor_chart: str
    merged_chart: str
    fields: list[FieldComparison]
    moves: dict[str, int]  # kind label -> rows that would move
    merged_balance: Decimal


@dataclass(frozen=True, slots=True)
class MergeOutcome:
    """A finished merge: its id (for undo), what changed, and notes for the user."""

    merge_id: uuid.UUID
    changes: Changes
    notes: list[str]


@dataclass(frozen=True, slots=True)
class MergeRecord:
    """One line of the merge history."""

    merge_id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    survivor_name: str
    merged_name: str
    survivor_chart: str
    merged_chart: str
    merged_at: datetime
    merged_by: str  # the user's display name
    undone: bool


# --- preview --------------------------------------------------------------------------


def merge_preview(
    session: Session, actor: Actor, survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> MergePreview:
    """Return what merging `merged_id` into `survivor_id` would change, writing nothing."""
    require(actor, Permission.PATIENT_VIEW)
    survivor, merged = _pair(session, survivor_id, merged_id)
    names = provider_names(session, (survivor, merged))
    return MergePreview(
        survivor_id=survivor.id,
        merged_id=merged.id,
        survivor_name=_name(survivor),
        merged_name=_name(merged),
        survivor_chart=survivor.chart_number,
        merged_chart=merged.chart_number,
        fields=[
            _compare(key, label, columns, survivor, merged, names=names)
            for key, label, columns in MERGE_FIELDS
        ],
        moves=_move_counts(session, merged.id),
        merged_balance=_balance(session, merged.id),
    )


def _name(patient: Patient) -> str:
    return display_name(patient.last_name, patient.first_name, patient.middle_name, patient.suffix)


def _values(patient: Patient, columns: tuple[str, ...]) -> tuple[object, ...]:
    return tuple(getattr(patient, column) for column in columns)


def _empty(values: tuple[object, ...]) -> bool:
    return all(value is None or value == "" for value in values)


def _compare(
    key: str,
    label: str,
    columns: tuple[str, ...],
    survivor: Patient,
    merged: Patient,
    *,
    names: Mapping[uuid.UUID, str],
) -> FieldComparison:
    kept, other = _values(survivor, columns), _values(merged, columns)
    conflict = not _empty(kept) and not _empty(other) and kept != other
    return FieldComparison(
        key, label, shown_value(key, kept, names), shown_value(key, other, names), conflict
    )


def _move_counts(session: Session, merged_id: uuid.UUID) -> dict[str, int]:
    counts: dict[str, int] = {}
    tables = [
        *merge_steps.SIMPLE_MOVES,
        ("patient_phone", "patient_id"),
        ("coverage", "patient_id"),
    ]
    tables.append(("patient_onboarding", "patient_id"))
    for table_name, column in tables:
        table = table_named(table_name)
        count = session.scalar(
            select(func.count()).select_from(table).where(table.c[column] == merged_id)
        )
        if count:
            counts[KIND_LABELS[table_name]] = int(count)
    ledger_rows = session.scalar(
        select(func.count()).select_from(LedgerEntry).where(LedgerEntry.patient_id == merged_id)
    )
    if ledger_rows:
        counts["ledger row"] = int(ledger_rows)
    return counts


def _balance(session: Session, patient_id: uuid.UUID) -> Decimal:
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.patient_id == patient_id)
    )
    return ZERO if total is None else Decimal(total)


def _pair(
    session: Session, survivor_id: uuid.UUID, merged_id: uuid.UUID
) -> tuple[Patient, Patient]:
    if survivor_id == merged_id:
        raise UserError("A record cannot be merged into itself; choose two different records.")
    records = []
    for patient_id in (survivor_id, merged_id):
        patient = session.get(Patient, patient_id)
        if patient is None or patient.archived or patient.merged_into_id is not None:
            raise NotFoundError(
                f"Patient record {patient_id} was not found or is archived or merged; "
                "reload the duplicates list."
            )
        records.append(patient)
    return records[0], records[1]


# --- merge ----------------------------------------------------------------------------


def merge_patients(
    session: Session,
    actor: Actor,
    survivor_id: uuid.UUID,
    merged_id: uuid.UUID,
    field_choices: Mapping[str, Choice],
) -> MergeOutcome:
    """Merge `merged_id` into `survivor_id` and return the merge id, for undo.

    `field_choices` names, for fields the two records disagree on, which record's value
    wins ("survivor" or "merged"); a conflicting field not named keeps the survivor's.
    Requires the patient-merge permission (managers and administrators).
    """
    require(actor, Permission.PATIENT_MERGE)
    user_id = _user_id(actor)
    _check_choices(field_choices)
    survivor, merged = _pair(session, survivor_id, merged_id)
    instant = utc_now()
    context = merge_steps.MergeContext(
        session=session,
        recorder=RowRecorder(session, user_id, instant),
        survivor_id=survivor.id,
        merged_id=merged.id,
        merge_id=new_id(),
        user_id=user_id,
        instant=instant,
        actor=actor,
    )

    notes = _apply_steps(context, survivor, merged, field_choices)
    ledger_rows = merge_steps.transfer_ledger(context, merged.chart_number)
    snapshot = Snapshot(
        list(context.recorder.changes.values()), context.recorder.created, ledger_rows, notes
    )
    merge = PatientMerge(
        id=context.merge_id,
        survivor_id=context.survivor_id,
        merged_id=context.merged_id,
        merged_by=user_id,
        snapshot=snapshot.to_json(),
        created_at=context.instant,
        updated_at=context.instant,
        updated_by=user_id,
    )
    session.add(merge)
    session.flush()
    _audit(session, actor, merge, "merged", len(snapshot.changes))
    session.expire_all()
    log.info(
        "merged patient %s into %s (merge %s, %d rows changed, %d ledger rows posted)",
        context.merged_id,
        context.survivor_id,
        context.merge_id,
        len(snapshot.changes),
        len(ledger_rows),
    )
    return MergeOutcome(context.merge_id, MERGE_CHANGES, notes)


def _apply_steps(
    context: merge_steps.MergeContext,
    survivor: Patient,
    merged: Patient,
    field_choices: Mapping[str, Choice],
) -> list[str]:
    recorder = context.recorder
    recorder.update("patient", survivor.id, _survivor_values(survivor, merged, field_choices))
    recorder.update("patient", merged.id, {"archived": True, "merged_into_id": survivor.id})
    merge_steps.move_simple_rows(context)
    notes = merge_steps.move_phones(context)
    notes += merge_steps.move_coverages(context)
    merge_steps.repoint_references(context)
    notes += move_billing_account(context)
    merge_steps.combine_onboarding(context)
    merge_steps.move_decisions(context)
    context.session.expire_all()
    refreshed = context.session.get(Patient, survivor.id)
    assert refreshed is not None
    merge_steps.add_previous_name(context, merged, refreshed)
    return notes


def _survivor_values(
    survivor: Patient, merged: Patient, field_choices: Mapping[str, Choice]
) -> dict[str, object]:
    """Return the survivor's new values: chosen ones, and blanks filled from the merged record."""
    values: dict[str, object] = {}
    for key, _label, columns in MERGE_FIELDS:
        kept, other = _values(survivor, columns), _values(merged, columns)
        take_merged = (_empty(kept) and not _empty(other)) or field_choices.get(key) == "merged"
        if take_merged:
            values.update(zip(columns, other, strict=True))
    if survivor.phone is None and merged.phone:
        values["phone"] = merged.phone
    return values


def _check_choices(field_choices: Mapping[str, str]) -> None:
    problems = [
        Problem(key, f"Field {key!r} cannot be chosen in a merge; use one of the listed fields.")
        for key in field_choices
        if key not in FIELD_KEYS
    ]
    problems += [
        Problem(key, f"Choice {choice!r} is invalid; use survivor or merged.")
        for key, choice in field_choices.items()
        if choice not in ("survivor", "merged")
    ]
    if problems:
        raise ValidationError(problems)


def _user_id(actor: Actor) -> uuid.UUID:
    if actor.user_id is None:
        raise UserError("Merging records needs a signed-in user; sign in and try again.")
    return actor.user_id


def _audit(session: Session, actor: Actor, merge: PatientMerge, verb: str, row_count: int) -> None:
    detail = f"{verb}: record {merge.merged_id} into {merge.survivor_id}; {row_count} rows changed"
    merge_id = merge.id
    for patient_id in (merge.survivor_id, merge.merged_id):
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            "patient_merge",
            merge_id,
            patient_id=patient_id,
            detail=detail,
        )


# --- undo -----------------------------------------------------------------------------


def undo_merge(session: Session, actor: Actor, merge_id: uuid.UUID) -> Changes:
    """Restore both records and every row the merge changed, and move the balance back.

    Raises UserError when the merge was already undone, or when a row it changed was
    changed again since (undoing would lose that change). Rows the survivor gained after
    the merge stay with the survivor.
    """
    require(actor, Permission.PATIENT_MERGE)
    user_id = _user_id(actor)
    merge = session.get(PatientMerge, merge_id)
    if merge is None:
        raise NotFoundError(f"Merge {merge_id} was not found; reload the merge history.")
    if merge.undone_at is not None:
        raise UserError(
            f"Merge {merge_id} was already undone on {merge.undone_at:%m/%d/%Y}; "
            "there is nothing left to undo."
        )
    snapshot = Snapshot.from_json(merge.snapshot)
    _check_unchanged(session, snapshot)

    instant = utc_now()
    for change in reversed(snapshot.changes):
        write_row(session, table_named(change.table), change.row_id, change.before)
    for table_name, row_id in snapshot.created:
        write_row(
            session,
            table_named(table_name),
            row_id,
            {"archived": True, "updated_at": instant.isoformat(), "updated_by": str(user_id)},
        )
    moved_since = _moved_since(session, merge_id, snapshot.ledger_rows)
    _reverse_ledger(session, actor, merge_id, [*snapshot.ledger_rows, *moved_since])

    merge.undone_at = instant
    merge.undone_by = user_id
    merge.updated_by = user_id
    session.flush()
    _audit(session, actor, merge, "undone", len(snapshot.changes))
    session.expire_all()
    log.info("undid merge %s (%d rows restored)", merge_id, len(snapshot.changes))
    return MERGE_CHANGES


def _check_unchanged(session: Session, snapshot: Snapshot) -> None:
    for change in snapshot.changes:
        current = read_row(session, table_named(change.table), change.row_id)
        if current == change.after:
            continue
        kind = KIND_LABELS.get(change.table, change.table)
        article = "An" if kind[0] in "aeiou" else "A"
        when = _changed_on(current)
        raise UserError(
            f"{article} {kind} that this merge changed was changed again afterwards{when}. "
            f"Undoing the merge would lose that change, so nothing was undone. Review the {kind} "
            "on the surviving record; to separate the records, register the change again "
            "after a manager undoes the merge."
        )


def _changed_on(current: RowValues | None) -> str:
    """Return " on MM/DD/YYYY" for the day a row was last changed, or "" when unknown."""
    if not current:
        return ""
    try:
        day = date.fromisoformat(str(current.get("updated_at"))[:10])
    except ValueError:
        return ""
    return f" on {day:%m/%d/%Y}"


def _moved_since(
    session: Session, merge_id: uuid.UUID, merge_rows: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Return the transfers that moved reversals to the survivor after the merge.

    A reversal of a row the merge moved is moved to the survivor in the same way
    (ledger.reverse_entry), tagged with the merge, so undoing the merge moves it back.
    """
    return list(
        session.scalars(
            select(LedgerEntry.id)
            .where(
                LedgerEntry.source_type == MERGE_SOURCE,
                LedgerEntry.source_id == merge_id,
                LedgerEntry.id.not_in(merge_rows),
            )
            .order_by(LedgerEntry.posted_at, LedgerEntry.id)
        )
    )


def _reverse_ledger(
    session: Session, actor: Actor, merge_id: uuid.UUID, posted: list[uuid.UUID]
) -> None:
    for row_id in posted:
        original = session.get(LedgerEntry, row_id)
        assert original is not None
        post_entry(
            session,
            actor,
            entry_type="reversal",
            amount=-original.amount,
            patient_id=original.patient_id,
            responsible_party=original.responsible_party,
            payer_id=original.payer_id,
            service_date=original.service_date,
            reverses_id=original.id,
            source_type="merge_undo",
            source_id=merge_id,
            memo=f"Reverses ledger row {original.id}: merge {merge_id} was undone.",
            # Undoing a merge moves amounts back between two records: no period total changes.
            check_period=False,
        )


# --- history --------------------------------------------------------------------------


def recent_merges(session: Session, actor: Actor, limit: int = 50) -> list[MergeRecord]:
    """Return the latest merges, newest first, with whether each was undone."""
    require(actor, Permission.PATIENT_VIEW)
    rows = session.execute(
        select(PatientMerge, User.display_name)
        .join(User, User.id == PatientMerge.merged_by)
        .order_by(PatientMerge.created_at.desc(), PatientMerge.id.desc())
        .limit(max(0, limit))
    ).all()
    records: list[MergeRecord] = []
    for merge, user_name in rows:
        survivor = session.get(Patient, merge.survivor_id)
        merged = session.get(Patient, merge.merged_id)
        assert survivor is not None and merged is not None
        records.append(
            MergeRecord(
                merge_id=merge.id,
                survivor_id=merge.survivor_id,
                merged_id=merge.merged_id,
                survivor_name=_name(survivor),
                merged_name=_name(merged),
                survivor_chart=survivor.chart_number,
                merged_chart=merged.chart_number,
                merged_at=merge.created_at,
                merged_by=user_name,
                undone=merge.undone_at is not None,
            )
        )
    return records
