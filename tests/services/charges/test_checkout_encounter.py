"""Checking a patient out creates the visit's draft encounter, once."""

from sqlalchemy import func, select

from app.changes import ChangeKind
from app.db.database import Database
from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.services import booking, encounters
from tests.helpers.charge_data import (
    VISIT_DAY,
    ChargePractice,
    book_visit,
    build_charge_practice,
    check_in_and_out,
)
from tests.helpers.scheduling_data import wall


def test_checkout_creates_draft(database: Database) -> None:
    practice = build_charge_practice(database)
    appointment_id = book_visit(database, practice)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, appointment_id, "arrived")
        changes = booking.checkout(session, practice.front_desk, appointment_id)

    with database.reading() as session:
        encounter = session.scalars(select(Encounter)).one()
        lines = session.scalars(
            select(ChargeLine).where(ChargeLine.encounter_id == encounter.id)
        ).all()
        ledger_rows = session.scalar(select(func.count()).select_from(LedgerEntry))

    assert changes.touches(ChangeKind.ENCOUNTERS)
    assert encounter.appointment_id == appointment_id
    assert encounter.status == "draft"
    assert encounter.service_date == VISIT_DAY
    assert encounter.rendering_provider_id == practice.provider_id
    assert encounter.location_id == practice.location_id
    assert [line.procedure_code for line in lines] == ["99213"]
    assert ledger_rows == 0


def test_draft_created_only_once(database: Database) -> None:
    practice = build_charge_practice(database)
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)

    with database.transaction() as session:
        found = encounters.encounter_for_appointment(session, practice.biller, appointment_id)
    with database.reading() as session:
        stored = session.scalars(select(Encounter.id)).all()

    assert stored == [found]


def test_checkout_again_after_undo(database: Database) -> None:
    practice = build_charge_practice(database)
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    with database.transaction() as session:
        booking.set_status(session, practice.manager, appointment_id, "scheduled")
    check_in_and_out(database, practice, appointment_id)

    with database.reading() as session:
        count = session.scalar(select(func.count()).select_from(Encounter))

    assert count == 1


def test_visit_without_type_gets_empty_draft(database: Database) -> None:
    practice = build_charge_practice(database)
    request = practice.scheduling.request(wall(2026, 2, 2, 11))
    with database.transaction() as session:
        appointment_id = booking.book(session, practice.front_desk, request).appointment_id
    assert appointment_id is not None
    check_in_and_out(database, practice, appointment_id)

    with database.reading() as session:
        form = encounters.load_encounter(
            session,
            practice.front_desk,
            session.scalars(select(Encounter.id)).one(),
        )

    assert form.appointment_id == appointment_id
    assert form.lines == []
    assert form.diagnoses == []


def test_checkout_draft_can_be_posted(database: Database) -> None:
    practice: ChargePractice = build_charge_practice(database)
    appointment_id = book_visit(database, practice)
    check_in_and_out(database, practice, appointment_id)
    with database.transaction() as session:
        encounter_id = encounters.encounter_for_appointment(
            session, practice.biller, appointment_id
        )
        form = encounters.load_encounter(session, practice.biller, encounter_id)
        form.diagnoses = ["J06.9"]
        encounters.save_encounter(session, practice.biller, form).raise_if_rejected()
        encounters.post_encounter(session, practice.biller, encounter_id)

    with database.reading() as session:
        status, _number = encounters.encounter_status(session, practice.biller, encounter_id)
        charges = session.scalars(select(LedgerEntry.amount)).all()

    assert status == "posted"
    assert [str(amount) for amount in charges] == ["120.00"]
