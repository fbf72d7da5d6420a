"""Posting, reversals, balances and the period lock of the ledger service."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError, PermissionDeniedError, UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.security import AuditEvent
from app.security.permissions import Actor, Role
from app.services import booking
from app.services.ledger import (
    HASH_PATTERN,
    PeriodLockedError,
    balances_by_bucket,
    entry_hash,
    ledger_lock_date,
    patient_balance,
    post_entry,
    reverse_entry,
    set_ledger_lock_date,
)
from app.services.scheduling_settings import SchedulingSettings, save_scheduling_settings
from app.services.today import practice_today
from tests.helpers.ledger_data import (
    LedgerPractice,
    build_ledger_practice,
    post_charge,
    post_payment,
)
from tests.helpers.scheduling_data import wall

DOS = date(2026, 2, 2)


@pytest.fixture
def practice(database: Database) -> LedgerPractice:
    return build_ledger_practice(database)


def _post_events(database: Database, entry_id: uuid.UUID) -> list[AuditEvent]:
    with database.session() as session:
        query = select(AuditEvent).where(
            AuditEvent.action == "post", AuditEvent.object_id == str(entry_id)
        )
        return list(session.scalars(query))


def test_post_sets_row_hash(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        entry_id = post_charge(
            session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS
        ).id

    with database.session() as session:
        stored = session.get(LedgerEntry, entry_id)
        assert stored is not None
        assert stored.row_hash is not None
        assert stored.row_hash == entry_hash(stored)


def test_post_audit_carries_hash(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        entry = post_charge(
            session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS
        )
        entry_id, row_hash = entry.id, entry.row_hash

    events = _post_events(database, entry_id)
    assert len(events) == 1
    found = HASH_PATTERN.search(events[0].detail)
    assert found is not None
    assert found.group(1) == row_hash
    assert "120" not in events[0].detail


def test_post_needs_signed_in_user(database: Database, practice: LedgerPractice) -> None:
    system = Actor(user_id=None, username="system", role=Role.ADMINISTRATOR, workstation="A1")
    with pytest.raises(UserError, match="Sign in"), database.transaction() as session:
        post_entry(
            session,
            system,
            entry_type="charge",
            amount=Decimal("10.00"),
            patient_id=practice.patient_ids[0],
            responsible_party="patient",
        )


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"entry_type": "gift"}, "entry_type"),
        ({"responsible_party": "uncle"}, "responsible_party"),
        ({"responsible_party": "primary"}, "payer_id"),
        ({"amount": Decimal("10.005")}, "whole cents"),
        ({"entry_type": "reversal"}, "reverses_id"),
    ],
)
def test_post_rejects_bad_fields(
    database: Database, practice: LedgerPractice, changes: dict[str, object], message: str
) -> None:
    fields: dict[str, object] = {
        "entry_type": "charge",
        "amount": Decimal("10.00"),
        "patient_id": practice.patient_ids[0],
        "responsible_party": "patient",
    }
    fields.update(changes)
    with pytest.raises(ValueError, match=message), database.transaction() as session:
        post_entry(session, practice.biller, **fields)  # type: ignore[arg-type]


def test_reverse_posts_opposite(database: Database, practice: LedgerPractice) -> None:
    patient = practice.patient_ids[0]
    with database.transaction() as session:
        charge = post_charge(
            session, practice, patient, "99213", "120", service_date=DOS, payer_id=practice.aetna_id
        )
        reversal = reverse_entry(session, practice.biller, charge.id, "Wrong code")
        reversal_id = reversal.id

    with database.session() as session:
        stored = session.get(LedgerEntry, reversal_id)
        assert stored is not None
        assert stored.entry_type == "reversal"
        assert stored.amount == Decimal("-120.00")
        assert stored.reverses_id == charge.id
        assert stored.responsible_party == "primary"
        assert stored.payer_id == practice.aetna_id
        assert stored.source_id == charge.source_id
        assert stored.memo == "Wrong code"
        assert patient_balance(session, patient) == Decimal("0.00")


def test_second_reversal_rejected(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        charge = post_charge(
            session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS
        )
        reverse_entry(session, practice.biller, charge.id, "Wrong code")

    with pytest.raises(UserError, match="already reversed"), database.transaction() as session:
        reverse_entry(session, practice.biller, charge.id, "Again")


def test_reversal_not_reversible(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        charge = post_charge(
            session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS
        )
        reversal_id = reverse_entry(session, practice.biller, charge.id, "Wrong code").id

    with pytest.raises(UserError, match="itself a reversal"), database.transaction() as session:
        reverse_entry(session, practice.biller, reversal_id, "Undo")


def test_reverse_needs_memo(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        charge_id = post_charge(
            session, practice, practice.patient_ids[0], "99213", "1", service_date=DOS
        ).id

    with pytest.raises(UserError, match="reason"), database.transaction() as session:
        reverse_entry(session, practice.biller, charge_id, "  ")


def test_reverse_unknown_row(database: Database, practice: LedgerPractice) -> None:
    with pytest.raises(NotFoundError), database.transaction() as session:
        reverse_entry(session, practice.biller, uuid.uuid4(), "Wrong code")


def test_reversal_amount_must_cancel(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        charge = post_charge(
            session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS
        )

    with pytest.raises(ValueError, match=r"-120\.00"), database.transaction() as session:
        post_entry(
            session,
            practice.biller,
            entry_type="reversal",
            amount=Decimal("-100.00"),
            patient_id=charge.patient_id,
            responsible_party="patient",
            reverses_id=charge.id,
        )


def test_balances_by_bucket(database: Database, practice: LedgerPractice) -> None:
    patient = practice.patient_ids[0]
    with database.transaction() as session:
        post_charge(
            session, practice, patient, "99213", "120", service_date=DOS, payer_id=practice.aetna_id
        )
        post_charge(session, practice, patient, "99000", "15", service_date=DOS)
        post_charge(
            session, practice, patient, "81002", "30", service_date=DOS, payer_id=practice.cigna_id
        )
        post_payment(session, practice, patient, "30", payer_id=practice.cigna_id)
        post_payment(session, practice, patient, "5")
        post_charge(session, practice, practice.patient_ids[1], "99213", "99", service_date=DOS)

    with database.session() as session:
        assert balances_by_bucket(session, patient) == {
            "Aetna": Decimal("120.00"),
            "patient": Decimal("10.00"),
        }
        assert patient_balance(session, patient) == Decimal("130.00")
        assert patient_balance(session, practice.patient_ids[2]) == Decimal("0.00")
        assert balances_by_bucket(session, practice.patient_ids[2]) == {}


def test_lock_date_stops_posting(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, DOS)

    locked = pytest.raises(PeriodLockedError, match="closed through 02/02/2026")
    with locked, database.transaction() as session:
        post_charge(session, practice, practice.patient_ids[0], "99213", "120", service_date=DOS)
    with database.transaction() as session:
        later = post_charge(
            session,
            practice,
            practice.patient_ids[0],
            "99213",
            "120",
            service_date=DOS + timedelta(days=1),
        )
        post_payment(session, practice, practice.patient_ids[0], "10")

    assert later.service_date == DOS + timedelta(days=1)


def test_lock_date_blocks_reversal(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        charge_id = post_charge(
            session, practice, practice.patient_ids[0], "99213", "1", service_date=DOS
        ).id
        set_ledger_lock_date(session, practice.manager, DOS + timedelta(days=3))

    with pytest.raises(PeriodLockedError), database.transaction() as session:
        reverse_entry(session, practice.biller, charge_id, "Wrong code")


def test_lock_date_needs_manager(database: Database, practice: LedgerPractice) -> None:
    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        set_ledger_lock_date(session, practice.biller, DOS)


def test_lock_date_before_today(database: Database, practice: LedgerPractice) -> None:
    with database.session() as session:
        today = practice_today(session)

    rejected = pytest.raises(ValidationError, match="not before today")
    with rejected, database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, today)


def test_lock_date_cleared(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, DOS)
    with database.transaction() as session:
        changes = set_ledger_lock_date(session, practice.manager, None)

    with database.session() as session:
        assert ledger_lock_date(session) is None
    assert changes.kinds


def test_no_show_fee_hashed(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        settings = SchedulingSettings(no_show_fee=Decimal("25"))
        save_scheduling_settings(session, practice.admin, settings)
        request = practice.base.request(wall(2026, 2, 2, 9))
        visit = booking.book(session, practice.front_desk, request).appointment_id
        assert visit is not None
        booking.set_status(session, practice.front_desk, visit, "no_show")
        booking.set_status(session, practice.manager, visit, "scheduled")

    with database.session() as session:
        entries = list(session.scalars(select(LedgerEntry).where(LedgerEntry.source_id == visit)))
        hashes_match = [entry.row_hash == entry_hash(entry) for entry in entries]
    assert hashes_match == [True, True]
    for entry in entries:
        assert len(_post_events(database, entry.id)) == 1
