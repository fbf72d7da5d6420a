"""The ledger view: rows with running balances for a patient or a guarantor's family."""

import uuid
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import NotFoundError
from app.models.security import AuditEvent
from app.services.ledger_view import LedgerQuery, ledger_rows, ledger_view
from app.services.today import practice_today
from tests.helpers.ledger_data import LedgerPractice, build_family_ledger

DOS = date(2026, 2, 2)


@pytest.fixture
def practice(database: Database) -> LedgerPractice:
    return build_family_ledger(database)


def test_patient_rows_running_balance(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        rows = ledger_rows(session, practice.front_desk, LedgerQuery(practice.patient_ids[0]))

    assert [row.entry_type for row in rows] == ["charge", "charge", "reversal", "payment"]
    assert [row.running_balance for row in rows] == [
        Decimal("120.00"),
        Decimal("135.00"),
        Decimal("120.00"),
        Decimal("100.00"),
    ]
    assert [row.code for row in rows] == ["99213", "99000", "99000", ""]
    assert [row.bucket_label for row in rows] == ["Aetna", "Patient", "Patient", "Patient"]
    assert [row.reversed for row in rows] == [False, True, False, False]
    assert rows[2].reverses_id == rows[1].entry_id
    assert rows[0].service_date == DOS


def test_patient_view_totals(database: Database, practice: LedgerPractice) -> None:
    with database.transaction() as session:
        view = ledger_view(session, practice.front_desk, LedgerQuery(practice.patient_ids[0]))

    assert view.balance == Decimal("100.00")
    assert view.totals == {"Aetna": Decimal("120.00"), "Patient": Decimal("-20.00")}
    assert view.buckets == {"Aetna": "Aetna", "patient": "Patient"}
    assert view.patient_count == 1


def test_family_scope_from_dependent(database: Database, practice: LedgerPractice) -> None:
    query = LedgerQuery(practice.patient_ids[1], family=True)
    with database.transaction() as session:
        view = ledger_view(session, practice.front_desk, query)

    assert view.patient_count == 2
    assert view.balance == Decimal("190.00")
    assert view.rows[-1].running_balance == Decimal("190.00")
    assert {row.patient_name for row in view.rows} == {"Rivera, Maria", "Chen, Maria"}


def test_type_and_bucket_filters(database: Database, practice: LedgerPractice) -> None:
    rivera = practice.patient_ids[0]
    charges = LedgerQuery(rivera, entry_types=frozenset({"charge"}))
    patient_bucket = LedgerQuery(rivera, bucket="patient")
    with database.transaction() as session:
        charge_rows = ledger_rows(session, practice.front_desk, charges)
        patient_rows = ledger_rows(session, practice.front_desk, patient_bucket)

    assert [row.amount for row in charge_rows] == [Decimal("120.00"), Decimal("15.00")]
    assert [row.running_balance for row in patient_rows] == [
        Decimal("15.00"),
        Decimal("0.00"),
        Decimal("-20.00"),
    ]


def test_date_range_opening_balance(database: Database, practice: LedgerPractice) -> None:
    rivera = practice.patient_ids[0]
    with database.session() as session:
        today = practice_today(session)
    later = LedgerQuery(rivera, date_from=today + timedelta(days=1))
    earlier = LedgerQuery(rivera, date_to=today - timedelta(days=1))
    today_only = LedgerQuery(rivera, date_from=today, date_to=today)
    with database.transaction() as session:
        after = ledger_view(session, practice.front_desk, later)
        before = ledger_view(session, practice.front_desk, earlier)
        within = ledger_view(session, practice.front_desk, today_only)

    assert after.rows == []
    assert after.opening_balance == Decimal("100.00")
    assert before.rows == []
    assert before.opening_balance == Decimal("0.00")
    assert len(within.rows) == 4
    assert within.rows[0].posted_on == today


def test_view_is_audited(database: Database, practice: LedgerPractice) -> None:
    rivera = practice.patient_ids[0]
    with database.transaction() as session:
        ledger_rows(session, practice.front_desk, LedgerQuery(rivera))

    with database.session() as session:
        views = list(
            session.scalars(
                select(AuditEvent).where(
                    AuditEvent.action == "view", AuditEvent.object_type == "ledger"
                )
            )
        )
    assert len(views) == 1
    assert views[0].patient_id == rivera


def test_unknown_patient_not_found(database: Database, practice: LedgerPractice) -> None:
    for family in (False, True):
        query = LedgerQuery(uuid.uuid4(), family=family)
        with pytest.raises(NotFoundError), database.transaction() as session:
            ledger_rows(session, practice.front_desk, query)
