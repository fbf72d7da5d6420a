"""The check-out hook: exactly one draft per visit, however often check-out runs."""

import threading
import uuid
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import UserError
from app.models.charges import Encounter
from app.services import booking, encounters
from tests.helpers.charge_data import ChargePractice, book_visit, check_in_and_out
from tests.services.charges_break.flows import ledger_amounts, post, saved


def encounter_count(database: Database) -> int:
    with database.reading() as session:
        return session.scalar(select(func.count()).select_from(Encounter)) or 0


def visit_draft(
    database: Database, practice: ChargePractice, appointment_id: uuid.UUID
) -> uuid.UUID:
    with database.transaction() as session:
        return encounters.encounter_for_appointment(session, practice.biller, appointment_id)


def undo_to_scheduled(database: Database, practice: ChargePractice, visit: uuid.UUID) -> None:
    with database.transaction() as session:
        booking.set_status(session, practice.manager, visit, "scheduled")


def code_and_post(database: Database, practice: ChargePractice, encounter_id: uuid.UUID) -> None:
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.diagnoses = ["J06.9"]
    saved(database, practice.biller, form)
    post(database, practice.biller, encounter_id)


def test_second_checkout_rejected(database: Database, practice: ChargePractice) -> None:
    visit = book_visit(database, practice)
    check_in_and_out(database, practice, visit)

    with pytest.raises(UserError), database.transaction() as session:
        booking.checkout(session, practice.front_desk, visit)

    assert encounter_count(database) == 1


def test_concurrent_checkouts_one_draft(database: Database, practice: ChargePractice) -> None:
    visit = book_visit(database, practice)
    with database.transaction() as session:
        booking.set_status(session, practice.front_desk, visit, "arrived")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def check_out() -> None:
        barrier.wait()
        try:
            with database.transaction() as session:
                booking.checkout(session, practice.front_desk, visit)
        except UserError:
            outcomes.append("rejected")
        else:
            outcomes.append("done")

    threads = [threading.Thread(target=check_out) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(outcomes) == ["done", "rejected"]
    assert encounter_count(database) == 1


def test_undo_keeps_edited_draft(database: Database, practice: ChargePractice) -> None:
    visit = book_visit(database, practice)
    check_in_and_out(database, practice, visit)
    draft_id = visit_draft(database, practice, visit)
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, draft_id)
    form.diagnoses = ["J06.9"]
    saved(database, practice.biller, form)

    undo_to_scheduled(database, practice, visit)
    check_in_and_out(database, practice, visit)

    assert encounter_count(database) == 1
    assert visit_draft(database, practice, visit) == draft_id
    with database.reading() as session:
        assert encounters.load_encounter(session, practice.biller, draft_id).diagnoses == [
            "J063"[:3] + "9"
        ]


def test_undo_after_posting_no_new_draft(database: Database, practice: ChargePractice) -> None:
    visit = book_visit(database, practice)
    check_in_and_out(database, practice, visit)
    encounter_id = visit_draft(database, practice, visit)
    code_and_post(database, practice, encounter_id)

    undo_to_scheduled(database, practice, visit)
    check_in_and_out(database, practice, visit)

    assert encounter_count(database) == 1
    assert visit_draft(database, practice, visit) == encounter_id
    assert ledger_amounts(database) == [Decimal("120.00")]


def test_typed_encounter_blocks_draft(database: Database, practice: ChargePractice) -> None:
    visit = book_visit(database, practice)
    with database.reading() as session:
        form = encounters.new_encounter_form(
            session, practice.biller, practice.patient_id, practice.form().service_date
        )
    form.diagnoses = ["J06.9"]
    typed_id = saved(database, practice.biller, form)

    check_in_and_out(database, practice, visit)

    assert form.appointment_id == visit
    assert encounter_count(database) == 1
    assert visit_draft(database, practice, visit) == typed_id
