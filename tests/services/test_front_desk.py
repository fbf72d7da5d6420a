"""The front desk's board and the check-in checklist, over a demo practice."""

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from app.db.database import Database
from app.errors import NotFoundError
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage, Patient, PatientAlert
from app.models.practice import Location, Provider
from app.models.scheduling import Appointment, AppointmentStatusEvent, AppointmentType
from app.models.security import User
from app.security.permissions import Actor, Role, system_actor
from app.services.check_in import check_in_checklist
from app.services.demo import create_demo_database
from app.services.front_desk import (
    FLAG_NEW_PATIENT,
    FLAG_SELF_PAY,
    minutes_waiting,
    today_board,
)
from tests.conftest import PASSPHRASE

# A Sunday, so the demo week (the next Monday to Friday) leaves this day empty for the tests.
DAY = date(2025, 3, 9)
# 15:00 UTC is 10:00 in Chicago on DAY (daylight saving time began that morning).
NOW = datetime(2025, 3, 9, 15, 0, tzinfo=UTC)
ACTOR = system_actor("TST")


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Database]:
    database, _admin, _summary = create_demo_database(
        tmp_path / "d.db", PASSPHRASE, "admin", "Lakeside-desk-2024!", 60, 3, DAY
    )
    yield database
    database.close()


def _admin_id(session: Session) -> uuid.UUID:
    user_id = session.scalar(select(User.id).where(User.username == "admin"))
    assert user_id is not None
    return user_id


def _book(session: Session, patient: Patient, at: time, status: str = "scheduled") -> Appointment:
    provider = session.scalars(select(Provider).order_by(Provider.last_name)).first()
    location_id = session.scalar(select(Location.id))
    assert provider is not None and location_id is not None
    appointment = Appointment(
        patient_id=patient.id,
        provider_id=provider.id,
        location_id=location_id,
        starts_at=datetime.combine(DAY, at),
        duration_minutes=15,
        appointment_type="follow_up",
        status=status,
    )
    session.add(appointment)
    session.flush()
    return appointment


def _patients(session: Session, count: int) -> list[Patient]:
    return list(session.scalars(select(Patient).order_by(Patient.chart_number).limit(count)))


def _book_many(database: Database, count: int) -> None:
    with database.transaction() as session:
        for index, patient in enumerate(_patients(session, count)):
            at = (datetime.combine(DAY, time(8)) + timedelta(minutes=10 * index)).time()
            appointment = _book(session, patient, at, "arrived")
            session.add(
                AppointmentStatusEvent(
                    appointment_id=appointment.id,
                    status="arrived",
                    changed_at=NOW - timedelta(minutes=index),
                )
            )


@contextmanager
def _counted(database: Database) -> Iterator[list[str]]:
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    event.listen(database.engine, "before_cursor_execute", remember)
    try:
        yield statements
    finally:
        event.remove(database.engine, "before_cursor_execute", remember)


def _board_queries(database: Database) -> int:
    with database.reading() as session, _counted(database) as statements:
        rows = today_board(session, ACTOR, DAY, NOW)
    assert rows
    return len(statements)


def test_board_queries_constant(demo: Database) -> None:
    _book_many(demo, 5)
    few = _board_queries(demo)

    _book_many(demo, 50)
    many = _board_queries(demo)

    assert many == few
    assert few < 20


def test_board_row_facts(demo: Database) -> None:
    with demo.transaction() as session:
        first, second = _patients(session, 2)
        visit_type = AppointmentType(name="New patient", default_minutes=30, new_patient=True)
        session.add(visit_type)
        session.flush()
        arrived = _book(session, first, time(9, 30), "arrived")
        arrived.appointment_type_id = visit_type.id
        session.add(
            AppointmentStatusEvent(
                appointment_id=arrived.id, status="arrived", changed_at=NOW - timedelta(minutes=12)
            )
        )
        alerts_before = len(
            session.scalars(
                select(PatientAlert).where(
                    PatientAlert.patient_id == first.id, PatientAlert.archived.is_(False)
                )
            ).all()
        )
        session.add(PatientAlert(patient_id=first.id, message="Needs an interpreter"))
        _book(session, second, time(10, 45))
        for coverage in session.scalars(select(Coverage).where(Coverage.patient_id == second.id)):
            coverage.archived = True

    with demo.reading() as session:
        rows = today_board(session, ACTOR, DAY, NOW)

    assert [row.starts_at.time() for row in rows] == [time(9, 30), time(10, 45)]
    waiting, later = rows
    assert waiting.status == "arrived"
    assert waiting.arrived_at == NOW - timedelta(minutes=12)
    assert waiting.waiting_minutes == 12
    assert waiting.alert_count == alerts_before + 1
    assert FLAG_NEW_PATIENT in waiting.flags
    assert later.waiting_minutes is None
    assert later.copay_due is None
    assert FLAG_SELF_PAY in later.flags


def test_board_copay_until_paid(demo: Database) -> None:
    with demo.transaction() as session:
        patient = _patients(session, 1)[0]
        for coverage in session.scalars(select(Coverage).where(Coverage.patient_id == patient.id)):
            coverage.archived = True
        session.add(
            Coverage(
                patient_id=patient.id,
                payer_id=session.scalar(select(Coverage.payer_id)),
                priority=1,
                member_id="XKT4471",
                copay_office=Decimal("25.00"),
            )
        )
        _book(session, patient, time(11))
        admin = _admin_id(session)
        session.add(
            LedgerEntry(
                posted_by=admin,
                entry_type="charge",
                amount=Decimal("140.00"),
                patient_id=patient.id,
                responsible_party="patient",
                posted_at=NOW - timedelta(days=30),
            )
        )

    with demo.reading() as session:
        (row,) = today_board(session, ACTOR, DAY, NOW)
    assert row.copay_due == Decimal("25.00")
    assert row.balance == Decimal("140.00")

    with demo.transaction() as session:
        session.add(
            LedgerEntry(
                posted_by=_admin_id(session),
                entry_type="payment",
                amount=Decimal("-25.00"),
                patient_id=patient.id,
                responsible_party="patient",
                posted_at=NOW - timedelta(hours=1),
            )
        )
    with demo.reading() as session:
        (row,) = today_board(session, ACTOR, DAY, NOW)
    assert row.copay_due is None
    assert row.balance == Decimal("115.00")


def test_board_payment_yesterday_not_collected(demo: Database) -> None:
    with demo.transaction() as session:
        patient = _patients(session, 1)[0]
        session.add(
            Coverage(
                patient_id=patient.id,
                payer_id=session.scalar(select(Coverage.payer_id)),
                priority=1,
                member_id="XKT4472",
                copay_office=Decimal("30.00"),
            )
        )
        for coverage in session.scalars(select(Coverage).where(Coverage.patient_id == patient.id)):
            coverage.archived = coverage.member_id != "XKT4472"
        _book(session, patient, time(11))
        # 04:00 UTC on DAY is 22:00 on the day before in Chicago.
        session.add(
            LedgerEntry(
                posted_by=_admin_id(session),
                entry_type="payment",
                amount=Decimal("-30.00"),
                patient_id=patient.id,
                responsible_party="patient",
                posted_at=datetime(2025, 3, 9, 4, 0, tzinfo=UTC),
            )
        )

    with demo.reading() as session:
        (row,) = today_board(session, ACTOR, DAY, NOW)
    assert row.copay_due == Decimal("30.00")


def test_board_empty_day(demo: Database) -> None:
    with demo.reading() as session:
        assert today_board(session, ACTOR, DAY, NOW) == []


def test_minutes_waiting_cases() -> None:
    arrived = datetime(2025, 3, 9, 14, 0, tzinfo=UTC)

    assert minutes_waiting("arrived", arrived, arrived + timedelta(minutes=17, seconds=59)) == 17
    assert minutes_waiting("arrived", arrived, arrived - timedelta(minutes=2)) == 0
    assert minutes_waiting("in_room", arrived, arrived + timedelta(minutes=5)) is None
    assert minutes_waiting("arrived", None, arrived) is None


def test_check_in_checklist_contents(demo: Database) -> None:
    with demo.transaction() as session:
        patient = _patients(session, 1)[0]
        patient.zip_code = None
        # The demo records checks on most coverages; this patient's are cleared.
        for coverage in patient.coverages:
            coverage.eligibility_checked_on = None
        appointment_id = _book(session, patient, time(9)).id

    with demo.reading() as session:
        checklist = check_in_checklist(session, ACTOR, appointment_id)

    assert checklist.can_check_in
    assert not checklist.demographics_complete
    assert "ZIP code" in checklist.missing_demographics
    assert checklist.address
    assert all(line.eligibility == "never checked" for line in checklist.coverages)
    assert "Demographics complete for billing" in checklist.intake_not_done


def test_check_in_unknown_appointment(demo: Database) -> None:
    with demo.reading() as session, pytest.raises(NotFoundError):
        check_in_checklist(session, ACTOR, uuid.uuid4())


def test_provider_role_sees_board(demo: Database) -> None:
    provider = Actor(user_id=None, username="doc", role=Role.PROVIDER, workstation="TST")
    _book_many(demo, 2)

    with demo.reading() as session:
        assert len(today_board(session, provider, DAY, NOW)) == 2
