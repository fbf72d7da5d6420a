"""Merging two patient records and undoing the merge, over a real encrypted database."""

import random
import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import LargeBinary, func, select
from sqlalchemy.orm import Session

from app.db.base import Base
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models import (
    Appointment,
    AuditEvent,
    Coverage,
    DuplicateDecision,
    ExternalReference,
    LedgerEntry,
    Patient,
    PatientAlert,
    PatientDocument,
    PatientMerge,
    PatientOnboarding,
    PatientPreviousName,
    PriorAuthorization,
    Referral,
    VisitHistory,
)
from app.services.ledger_verify import ledger_check
from app.services.merge import merge_patients, merge_preview, recent_merges, undo_merge
from app.services.registration import load_patient_form, save_patient
from tests.helpers.duplicate_records import (
    Practice,
    add_appointment,
    add_coverage,
    add_patient,
    add_phone,
    make_practice,
    post_charge,
)

# Tables a merge may touch; the search index is derived from patient and coverage rows.
DUMPED_TABLES = (
    "patient",
    "appointment",
    "coverage",
    "patient_phone",
    "patient_previous_name",
    "patient_alert",
    "patient_document",
    "referral",
    "prior_authorization",
    "visit_history",
    "patient_onboarding",
    "duplicate_decision",
    "external_reference",
    "ledger_entry",
    "patient_search_key",
)


@pytest.fixture
def practice(tmp_path: Path) -> Iterator[Practice]:
    yield from make_practice(tmp_path / "merge" / "clinicdesk.db")


def dump(session: Session) -> dict[str, set[tuple[object, ...]]]:
    """Return every row of DUMPED_TABLES (binary content left out) as a set of tuples."""
    rows: dict[str, set[tuple[object, ...]]] = {}
    for name in DUMPED_TABLES:
        table = Base.metadata.tables[name]
        columns = [c for c in table.columns if not isinstance(c.type, LargeBinary)]
        rows[name] = {tuple(row) for row in session.execute(select(*columns))}
    return rows


def balance(session: Session, patient_id: uuid.UUID) -> Decimal:
    total = session.scalar(
        select(func.sum(LedgerEntry.amount)).where(LedgerEntry.patient_id == patient_id)
    )
    return Decimal(total or 0)


def _random_children(
    session: Session, practice: Practice, rng: random.Random, patient_id: uuid.UUID
) -> None:
    """Give one patient a random mix of every kind of row a merge moves."""
    assert practice.admin.user_id is not None
    for number in range(rng.randint(0, 3)):
        add_appointment(session, patient_id, date(2026, 5, 1 + number))
    for position in range(rng.randint(0, 2)):
        add_phone(session, patient_id, f"+1312555{rng.randint(1000, 9999)}", position)
    for _ in range(rng.randint(0, 2)):
        effective = date(2020 + rng.randint(0, 5), 1, 1)
        add_coverage(
            session,
            patient_id,
            rng.choice(practice.payers[:3]),
            f"M{rng.randint(1, 3)}",
            priority=rng.randint(1, 2),
            effective_date=effective,
            termination_date=rng.choice([None, effective + timedelta(days=400)]),
            archived=rng.random() < 0.2,
        )
    session.add_all(
        [
            PatientAlert(patient_id=patient_id, message=f"alert {n}")
            for n in range(rng.randint(0, 2))
        ]
    )
    if rng.random() < 0.5:
        session.add(PatientPreviousName(patient_id=patient_id, first_name="Old", last_name="Name"))
    if rng.random() < 0.5:
        content = b"\x89PNG\r\n\x1a\n" + bytes(rng.randrange(256) for _ in range(32))
        session.add(
            PatientDocument(
                patient_id=patient_id,
                kind="other",
                title="scan",
                media_type="image/png",
                byte_count=len(content),
                sha256="0" * 64,
                content=content,
            )
        )
    if rng.random() < 0.5:
        session.add(Referral(patient_id=patient_id, reason="knee", referred_on=date(2026, 1, 2)))
    if rng.random() < 0.5:
        session.add(
            PriorAuthorization(
                patient_id=patient_id,
                payer_id=practice.payers[0],
                authorization_number="A1",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 6, 30),
                authorized=6,
            )
        )
    if rng.random() < 0.5:
        session.add(
            VisitHistory(
                patient_id=patient_id,
                started_at=datetime(2024, 3, 1, 14, 0, tzinfo=UTC),
                source="fhir",
            )
        )
    for step in rng.sample(["forms", "photo_id", "insurance"], rng.randint(0, 3)):
        done = rng.random() < 0.5
        session.add(
            PatientOnboarding(
                patient_id=patient_id,
                step_code=step,
                completed_at=datetime(2026, 2, 1, tzinfo=UTC) if done else None,
                completed_by=practice.admin.user_id if done else None,
            )
        )
    for _ in range(rng.randint(0, 3)):
        post_charge(session, practice.admin, patient_id, Decimal(rng.randint(-5000, 20000)) / 100)
    session.flush()


def _random_pair(practice: Practice, seed: int) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """Create a survivor, a merged record and a relative pointing at the merged record."""
    rng = random.Random(seed)
    with practice.database.transaction() as session:
        survivor = add_patient(
            session, "Robert", "Smith", date(1981, 3, 4), phone="+13125550101", ssn="123456789"
        )
        merged = add_patient(
            session,
            rng.choice(["Bob", "Robert"]),
            rng.choice(["Smyth", "Smith"]),
            date(1981, 3, 4),
            email="bob@example.com",
            address="12 Oak St",
        )
        relative = add_patient(
            session, "Ann", "Smith", date(2015, 1, 1), guarantor_patient_id=merged
        )
        add_coverage(
            session,
            relative,
            practice.payers[0],
            "FAM1",
            subscriber_patient_id=merged,
            relationship_code="19",
        )
        session.add(DuplicateDecision(
            first_patient_id=min(merged, relative),
            second_patient_id=max(merged, relative),
            decided_by=practice.admin.user_id,
        ))  # fmt: skip
        session.add(
            ExternalReference(
                system="urn:test", value=str(seed), resource_type="Patient",
                local_table="patient", local_id=merged,
            )
        )  # fmt: skip
        _random_children(session, practice, rng, survivor)
        _random_children(session, practice, rng, merged)
    return survivor, merged, relative


@pytest.mark.parametrize("seed", range(12))
def test_merge_undo_restores_all(practice: Practice, seed: int) -> None:
    survivor, merged, _relative = _random_pair(practice, seed)
    with practice.database.transaction() as session:
        before = dump(session)
        balances = (balance(session, survivor), balance(session, merged))
    choices = random.Random(seed).choice([{}, {"first_name": "merged", "last_name": "merged"}])

    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, choices)
    with practice.database.transaction() as session:
        merged_balances = (balance(session, survivor), balance(session, merged))
        assert session.get(Patient, merged).merged_into_id == survivor  # type: ignore[union-attr]
    with practice.database.transaction() as session:
        undo_merge(session, practice.manager, outcome.merge_id)

    with practice.database.transaction() as session:
        after = dump(session)
        restored = (balance(session, survivor), balance(session, merged))
        merge_rows = session.scalars(
            select(LedgerEntry.id).where(
                LedgerEntry.source_id == outcome.merge_id, LedgerEntry.source_type == "merge"
            )
        ).all()
        created_names = session.scalars(
            select(PatientPreviousName).where(PatientPreviousName.patient_id == survivor)
        ).all()

    assert merged_balances == (balances[0] + balances[1], Decimal(0))
    assert restored == balances
    new_ledger = {row for row in after["ledger_entry"] if row not in before["ledger_entry"]}
    assert before["ledger_entry"] <= after["ledger_entry"]
    assert len(new_ledger) == 2 * len(merge_rows)  # the merge's rows and their reversals
    new_names = after["patient_previous_name"] - before["patient_previous_name"]
    assert all(name.archived for name in created_names if name.first_name != "Old")
    assert len(new_names) <= 1
    for table in DUMPED_TABLES:
        if table in ("ledger_entry", "patient_previous_name"):
            continue
        assert after[table] == before[table], table
    assert before["patient_previous_name"] <= after["patient_previous_name"]


def test_merge_twice_keeps_ledger_intact(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Robert", "Smith", date(1981, 3, 4))
        merged = add_patient(session, "Bob", "Smyth", date(1981, 3, 4))
        post_charge(session, practice.admin, merged, Decimal("125.00"))

    with practice.database.transaction() as session:
        first = merge_patients(session, practice.manager, survivor, merged, {})
    with practice.database.transaction() as session:
        undo_merge(session, practice.manager, first.merge_id)
    with practice.database.transaction() as session:
        merge_patients(session, practice.manager, survivor, merged, {})

    with practice.database.transaction() as session:
        findings = ledger_check(session, practice.admin)
        assert balance(session, survivor) == Decimal("125.00")
        assert balance(session, merged) == Decimal(0)
    assert findings == []


def _two_records(practice: Practice) -> tuple[uuid.UUID, uuid.UUID]:
    """Create two records of one person, Ann Lee, with nothing attached."""
    with practice.database.transaction() as session:
        first = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        second = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
    return first, second


def test_merge_moves_rows(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Robert", "Smith", date(1981, 3, 4))
        merged = add_patient(session, "Bob", "Smyth", date(1981, 3, 4), email="bob@example.com")
        appointment = add_appointment(session, merged, date(2026, 5, 4))
        post_charge(session, practice.admin, merged, Decimal("125.00"))

    with practice.database.transaction() as session:
        merge_patients(session, practice.manager, survivor, merged, {})

    with practice.database.transaction() as session:
        moved = session.get(Appointment, appointment)
        kept = session.get(Patient, survivor)
        gone = session.get(Patient, merged)
        names = session.scalars(
            select(PatientPreviousName).where(PatientPreviousName.patient_id == survivor)
        ).all()
        transfers = session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_type == "merge")
        ).all()
        assert moved is not None
        assert kept is not None
        assert gone is not None
        assert moved.patient_id == survivor
        assert kept.email == "bob@example.com"  # blank on the survivor, filled from the other
        assert kept.first_name == "Robert"
        assert gone.archived
        assert gone.merged_into_id == survivor
        assert [(n.first_name, n.last_name) for n in names] == [("Bob", "Smyth")]
        assert sorted(t.amount for t in transfers) == [Decimal("-125.00"), Decimal("125.00")]
        assert all(t.entry_type == "transfer" for t in transfers)
        assert balance(session, survivor) == Decimal("125.00")
        assert balance(session, merged) == Decimal(0)


def test_field_choice_merged_wins(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Robert", "Smith", date(1981, 3, 4), address="1 Elm St")
        merged = add_patient(
            session, "Robert", "Smith", date(1981, 4, 3), address="9 Oak St", city="Skokie"
        )

    with practice.database.transaction() as session:
        preview = merge_preview(session, practice.manager, survivor, merged)
        merge_patients(
            session,
            practice.manager,
            survivor,
            merged,
            {"date_of_birth": "merged", "address": "merged"},
        )

    conflicts = {field.key for field in preview.fields if field.conflict}
    assert conflicts == {"date_of_birth", "address"}
    with practice.database.transaction() as session:
        kept = session.get(Patient, survivor)
        assert kept is not None
        assert kept.date_of_birth == date(1981, 4, 3)
        assert (kept.address_line1, kept.city) == ("9 Oak St", "Skokie")


def test_unknown_choice_rejected(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        with pytest.raises(ValidationError, match="chart_number"):
            merge_patients(session, practice.manager, survivor, merged, {"chart_number": "merged"})


def test_preview_counts_and_ssn_masked(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4), ssn="123456789")
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4), ssn="987654321")
        add_appointment(session, merged, date(2026, 5, 4))
        add_appointment(session, merged, date(2026, 5, 5))
        post_charge(session, practice.admin, merged, Decimal("40.00"))

    with practice.database.transaction() as session:
        preview = merge_preview(session, practice.front_desk, survivor, merged)

    ssn = next(field for field in preview.fields if field.key == "ssn")
    assert (ssn.survivor_value, ssn.merged_value) == ("***-**-6789", "***-**-4321")
    assert ssn.conflict
    assert preview.moves["appointment"] == 2
    assert preview.moves["ledger row"] == 1
    assert preview.merged_balance == Decimal("40.00")


def test_coverage_priority_adjusted(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        add_coverage(session, survivor, practice.payers[0], "XOF1", priority=1)
        same = add_coverage(session, merged, practice.payers[0], "xof-1", priority=1)
        other = add_coverage(session, merged, practice.payers[3], "W2", priority=1)

    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})

    with practice.database.transaction() as session:
        duplicate = session.get(Coverage, same)
        moved = session.get(Coverage, other)
        assert duplicate is not None and moved is not None
        assert duplicate.archived
        assert moved.patient_id == survivor
        assert moved.priority == 2
    assert any("became secondary" in note for note in outcome.notes)
    assert any("already on the surviving record" in note for note in outcome.notes)


def test_onboarding_completed_wins(practice: Practice) -> None:
    done_at = datetime(2026, 2, 1, tzinfo=UTC)
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        session.add_all([
            PatientOnboarding(patient_id=survivor, step_code="forms"),
            PatientOnboarding(
                patient_id=merged, step_code="forms", completed_at=done_at,
                completed_by=practice.admin.user_id,
            ),
            PatientOnboarding(patient_id=merged, step_code="photo_id"),
        ])  # fmt: skip

    with practice.database.transaction() as session:
        merge_patients(session, practice.manager, survivor, merged, {})

    with practice.database.transaction() as session:
        steps = {
            step.step_code: step
            for step in session.scalars(
                select(PatientOnboarding).where(PatientOnboarding.patient_id == survivor)
            )
        }
    assert steps["forms"].completed_at == done_at
    assert "photo_id" in steps


def test_undo_rejected_after_change(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        appointment = add_appointment(session, merged, date(2026, 5, 4))
    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})
    with practice.database.transaction() as session:
        moved = session.get(Appointment, appointment)
        assert moved is not None
        moved.status = "cancelled"

    with practice.database.transaction() as session, pytest.raises(UserError) as raised:
        undo_merge(session, practice.manager, outcome.merge_id)

    assert "appointment" in str(raised.value)
    assert "would lose that change" in str(raised.value)
    with practice.database.transaction() as session:
        gone = session.get(Patient, merged)
        assert gone is not None
        assert gone.archived


def test_undo_twice_rejected(practice: Practice) -> None:
    survivor, merged = _two_records(practice)
    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})
    with practice.database.transaction() as session:
        undo_merge(session, practice.manager, outcome.merge_id)

    with practice.database.transaction() as session, pytest.raises(UserError, match="already"):
        undo_merge(session, practice.manager, outcome.merge_id)


def test_undo_keeps_new_rows(practice: Practice) -> None:
    survivor, merged = _two_records(practice)
    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})
    with practice.database.transaction() as session:
        later = add_appointment(session, survivor, date(2026, 6, 1))

    with practice.database.transaction() as session:
        undo_merge(session, practice.manager, outcome.merge_id)

    with practice.database.transaction() as session:
        appointment = session.get(Appointment, later)
        merge = session.get(PatientMerge, outcome.merge_id)
        assert appointment is not None and merge is not None
        assert appointment.patient_id == survivor
        assert merge.undone_by == practice.manager.user_id
        history = recent_merges(session, practice.front_desk)
    assert [(record.merge_id, record.undone) for record in history] == [(outcome.merge_id, True)]


def test_front_desk_cannot_merge(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Ann", "Lee", date(1981, 3, 4))

    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        merge_patients(session, practice.front_desk, survivor, merged, {})
    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.admin, survivor, merged, {})
    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        undo_merge(session, practice.front_desk, outcome.merge_id)


def test_merge_into_itself_rejected(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        with pytest.raises(UserError, match="itself"):
            merge_patients(session, practice.manager, survivor, survivor, {})


def test_merge_audited_without_names(practice: Practice) -> None:
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Ann", "Lee", date(1981, 3, 4))
        merged = add_patient(session, "Anna", "Lee", date(1981, 3, 4))
    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})

    with practice.database.transaction() as session:
        events = session.scalars(
            select(AuditEvent).where(AuditEvent.object_id == str(outcome.merge_id))
        ).all()
    assert {event.patient_id for event in events} == {survivor, merged}
    assert all(str(merged) in event.detail for event in events)
    assert all("Lee" not in event.detail for event in events)


@pytest.mark.parametrize("holder", ["survivor", "merged"])
def test_coverage_subscribed_by_other_record_becomes_self(practice: Practice, holder: str) -> None:
    # One record holds a policy with the other record as its subscriber: after the merge
    # both are one patient, so the policy is the survivor's own (relationship 18).
    survivor, merged = _two_records(practice)
    patient_id, subscriber_id = (survivor, merged) if holder == "survivor" else (merged, survivor)
    with practice.database.transaction() as session:
        coverage_id = add_coverage(
            session,
            patient_id,
            practice.payers[0],
            "W100",
            subscriber_patient_id=subscriber_id,
            relationship_code="01",
        )
        before = dump(session)

    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.manager, survivor, merged, {})
    with practice.database.transaction() as session:
        coverage = session.get(Coverage, coverage_id)
        assert coverage is not None
        assert coverage.patient_id == survivor
        assert coverage.subscriber_patient_id is None
        assert coverage.subscriber_person_id is None
        assert coverage.relationship_code == "18"
        form = load_patient_form(session, practice.manager, survivor)
        saved = save_patient(session, practice.manager, form, date(2026, 3, 10))
        coverage_problems = [p for p in saved.problems if p.field.startswith("coverages")]
        assert coverage_problems == []

    with practice.database.transaction() as session:
        undo_merge(session, practice.manager, outcome.merge_id)
    with practice.database.transaction() as session:
        assert dump(session)["coverage"] == before["coverage"]


@pytest.mark.parametrize(
    ("shared", "note"),
    [
        (1, "1 phone number the surviving record already had was archived."),
        (2, "2 phone numbers the surviving record already had were archived."),
    ],
)
def test_repeated_phones_note_plural(practice: Practice, shared: int, note: str) -> None:
    numbers = ["+13125550101", "+13125550102"][:shared]
    with practice.database.transaction() as session:
        survivor = add_patient(session, "Robert", "Smith", date(1981, 3, 4))
        merged = add_patient(session, "Bob", "Smith", date(1981, 3, 4))
        for position, number in enumerate(numbers):
            add_phone(session, survivor, number, position)
            add_phone(session, merged, number, position)

    with practice.database.transaction() as session:
        outcome = merge_patients(session, practice.admin, survivor, merged, {})

    assert note in outcome.notes
