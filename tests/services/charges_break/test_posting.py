"""Posting, reversing and correcting twice, at once, from stale sessions or out of order."""

import threading
import uuid
from collections.abc import Callable
from decimal import Decimal

import pytest
from sqlalchemy import select, text

from app.db.database import Database
from app.errors import NotFoundError, UserError
from app.models.charges import ChargeLine
from app.models.ledger import LedgerEntry
from app.services import encounters, ledger
from app.services.encounters import LineForm
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import (
    ledger_amounts,
    line_ids,
    post,
    posted,
    save,
    saved,
)


def run_together(*steps: Callable[[], None]) -> list[str]:
    """Run each step on its own thread, released at the same moment; return the outcomes."""
    barrier = threading.Barrier(len(steps))
    outcomes: list[str] = []

    def run(step: Callable[[], None]) -> None:
        barrier.wait()
        try:
            step()
        except UserError as error:
            outcomes.append(f"rejected: {error}")
        else:
            outcomes.append("done")

    threads = [threading.Thread(target=run, args=(step,)) for step in steps]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


def test_second_post_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())

    with pytest.raises(UserError, match="already posted"):
        post(database, practice.biller, encounter_id)

    assert ledger_amounts(database) == [Decimal("120.00")]


def test_concurrent_posts_charge_once(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())

    def post_it() -> None:
        post(database, practice.biller, encounter_id)

    outcomes = run_together(post_it, post_it)

    assert outcomes[0] == "done"
    assert "already posted" in outcomes[1]
    assert ledger_amounts(database) == [Decimal("120.00")]


def test_stale_session_post_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.session() as stale:
        with stale.begin():
            encounters.encounter_status(stale, practice.biller, encounter_id)
        post(database, practice.biller, encounter_id)

        with pytest.raises(UserError, match="already posted"), stale.begin():
            encounters.post_encounter(stale, practice.biller, encounter_id)

    assert ledger_amounts(database) == [Decimal("120.00")]


def test_flipped_status_not_reposted(database: Database, tampered_practice: ChargePractice) -> None:
    practice = tampered_practice
    encounter_id = posted(database, practice, practice.form())
    with database.transaction() as session:
        session.execute(
            text("UPDATE encounter SET status = 'draft' WHERE id = :id"),
            {"id": encounter_id.bytes},
        )

    with pytest.raises(UserError, match="already"):
        post(database, practice.biller, encounter_id)

    assert ledger_amounts(database) == [Decimal("120.00")]


def test_concurrent_reversals_once(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)

    def reverse_it() -> None:
        with database.transaction() as session:
            encounters.reverse_line(session, practice.biller, line_id, "Not done")

    outcomes = run_together(reverse_it, reverse_it)

    assert outcomes[0] == "done"
    assert "already reversed" in outcomes[1]
    assert ledger_amounts(database) == [Decimal("120.00"), Decimal("-120.00")]


def test_reversal_row_not_reversed(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")
        reversal_id = session.scalars(
            select(LedgerEntry.id).where(LedgerEntry.entry_type == "reversal")
        ).one()

    with pytest.raises(UserError, match="itself a reversal"), database.transaction() as session:
        ledger.reverse_entry(session, practice.biller, reversal_id, "Undo the reversal")

    assert ledger_amounts(database) == [Decimal("120.00"), Decimal("-120.00")]


def test_reversed_line_not_corrected(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")
    higher = LineForm(procedure_code="99214")

    with pytest.raises(UserError, match="already reversed"), database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, higher, "Wrong level")

    assert ledger_amounts(database) == [Decimal("120.00"), Decimal("-120.00")]


def test_corrected_line_not_corrected_twice(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    higher = LineForm(procedure_code="99214")
    with database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, higher, "Wrong level")

    with pytest.raises(UserError, match="already reversed"), database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, higher, "Again")

    assert ledger_amounts(database) == [Decimal("120.00"), Decimal("-120.00"), Decimal("175.00")]


def test_posted_lines_not_reused(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    copy = practice.form([LineForm(id=line_id, procedure_code="99214")])

    with pytest.raises(NotFoundError, match="not on this encounter"):
        save(database, practice.biller, copy)

    with database.reading() as session:
        line = session.get(ChargeLine, line_id)
    assert line is not None
    assert line.procedure_code == "99213"
    assert line.encounter_id == encounter_id


def test_posted_form_not_saved(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.lines[0].units = 3
    form.diagnoses.append("I10")

    outcome = save(database, practice.biller, form)

    assert outcome.record_id is None
    assert "is posted" in outcome.problems[0].message
    with database.reading() as session:
        reloaded = encounters.load_encounter(session, practice.biller, encounter_id)
    assert reloaded.lines[0].units == 1
    assert reloaded.diagnoses == ["E119"]


def test_stale_draft_after_post(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.reading() as session:
        stale = encounters.load_encounter(session, practice.biller, encounter_id)
    post(database, practice.biller, encounter_id)
    stale.lines.append(LineForm(procedure_code="99214"))

    outcome = save(database, practice.biller, stale)

    assert outcome.record_id is None
    assert ledger_amounts(database) == [Decimal("120.00")]


def test_stale_draft_after_other_save(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.reading() as session:
        first = encounters.load_encounter(session, practice.biller, encounter_id)
        second = encounters.load_encounter(session, practice.provider, encounter_id)
    first.lines = [LineForm(procedure_code="99214")]
    saved(database, practice.biller, first)
    second.lines[0].units = 2

    outcome = save(database, practice.provider, second)

    assert outcome.record_id is None
    assert "Someone else saved" in outcome.problems[0].message


def test_line_of_other_draft_rejected(database: Database, practice: ChargePractice) -> None:
    other_id = saved(
        database, practice.biller, practice.form(patient_id=practice.uninsured_patient_id)
    )
    (other_line,) = line_ids(database, other_id)
    encounter_id = saved(database, practice.biller, practice.form())
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.lines.append(LineForm(id=other_line, procedure_code="99214"))

    with pytest.raises(NotFoundError):
        save(database, practice.biller, form)

    assert line_ids(database, other_id) == [other_line]


def test_unknown_line_not_reversed(database: Database, practice: ChargePractice) -> None:
    with pytest.raises(NotFoundError), database.transaction() as session:
        encounters.reverse_line(session, practice.biller, uuid.uuid4(), "Not done")
