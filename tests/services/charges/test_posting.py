"""Posting encounters to the ledger, the frozen rows after posting, and line corrections."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from app.changes import ChangeKind
from app.db.database import Database
from app.errors import PermissionDeniedError, StorageError, UserError, ValidationError
from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.models.patients import Coverage
from app.models.security import AuditEvent
from app.security.permissions import Actor
from app.services import encounters, ledger
from app.services.encounters import EncounterForm, LineForm
from tests.helpers.charge_data import VISIT_DAY, ChargePractice, build_charge_practice


@pytest.fixture
def practice(database: Database) -> ChargePractice:
    return build_charge_practice(database)


def saved(database: Database, actor: Actor, form: EncounterForm) -> uuid.UUID:
    with database.transaction() as session:
        outcome = encounters.save_encounter(session, actor, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def posted(database: Database, practice: ChargePractice, form: EncounterForm) -> uuid.UUID:
    encounter_id = saved(database, practice.biller, form)
    with database.transaction() as session:
        encounters.post_encounter(session, practice.biller, encounter_id)
    return encounter_id


def ledger_rows(database: Database) -> list[LedgerEntry]:
    with database.reading() as session:
        query = select(LedgerEntry).order_by(LedgerEntry.posted_at, LedgerEntry.id)
        return list(session.scalars(query))


def balance(database: Database, patient_id: uuid.UUID) -> Decimal:
    with database.reading() as session:
        return ledger.patient_balance(session, patient_id)


def status_of(database: Database, encounter_id: uuid.UUID) -> str:
    with database.reading() as session:
        encounter = session.get(Encounter, encounter_id)
        assert encounter is not None
        return encounter.status


def three_lines() -> list[LineForm]:
    return [
        LineForm(procedure_code="99214"),
        LineForm(procedure_code="97110", modifiers=["GP"], units=2),
        LineForm(
            procedure_code="J1100",
            units=4,
            ndc_code="0777-3105-02",
            ndc_quantity="4",
            ndc_unit="ME",
        ),
    ]


# ---- posting --------------------------------------------------------------------------------


def test_post_writes_row_per_line(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form(three_lines()))

    with database.transaction() as session:
        changes = encounters.post_encounter(session, practice.biller, encounter_id)
        line_ids = session.scalars(
            select(ChargeLine.id)
            .where(ChargeLine.encounter_id == encounter_id)
            .order_by(ChargeLine.position)
        ).all()

    rows = ledger_rows(database)
    assert changes.touches(ChangeKind.ENCOUNTERS)
    assert changes.touches(ChangeKind.LEDGER)
    assert [row.amount for row in rows] == [
        Decimal("175.00"),
        Decimal("80.00"),
        Decimal("60.00"),
    ]
    assert [row.source_id for row in rows] == list(line_ids)
    assert {row.source_type for row in rows} == {"charge_line"}
    assert {row.entry_type for row in rows} == {"charge"}
    assert {row.responsible_party for row in rows} == {"primary"}
    assert {row.payer_id for row in rows} == {practice.aetna_id}
    assert {row.service_date for row in rows} == {VISIT_DAY}
    assert all(row.row_hash for row in rows)
    assert balance(database, practice.patient_id) == Decimal("315.00")
    assert status_of(database, encounter_id) == "posted"


def test_posted_encounter_stamped(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())

    with database.reading() as session:
        encounter = session.get(Encounter, encounter_id)
        events = session.scalars(
            select(AuditEvent.action).where(
                AuditEvent.object_type == "encounter",
                AuditEvent.object_id == str(encounter_id),
            )
        ).all()
    assert encounter is not None

    assert encounter.posted_at is not None
    assert encounter.posted_by == practice.biller.user_id
    assert "post" in events


def test_uninsured_patient_owes_charge(database: Database, practice: ChargePractice) -> None:
    posted(database, practice, practice.form(patient_id=practice.uninsured_patient_id))

    rows = ledger_rows(database)

    assert [row.responsible_party for row in rows] == ["patient"]
    assert [row.payer_id for row in rows] == [None]


def test_ended_coverage_not_billed(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        coverage = session.get(Coverage, practice.scheduling.base.aetna_coverage_id)
        assert coverage is not None
        coverage.termination_date = date(2026, 1, 31)

    posted(database, practice, practice.form())

    assert [row.responsible_party for row in ledger_rows(database)] == ["patient"]


def test_post_with_errors_writes_nothing(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", pointers=[2])])
    encounter_id = saved(database, practice.biller, form)

    with (
        pytest.raises(ValidationError) as raised,
        database.transaction() as session,
    ):
        encounters.post_encounter(session, practice.biller, encounter_id)

    assert [problem.field for problem in raised.value.problems] == ["lines[0].pointers"]
    assert ledger_rows(database) == []
    assert status_of(database, encounter_id) == "draft"


def test_failure_midway_writes_nothing(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form(three_lines()))
    with database.transaction() as session:
        # The database itself rejects the second line's ledger row, after the first is written.
        session.execute(
            text(
                "CREATE TRIGGER fail_second_charge BEFORE INSERT ON ledger_entry "
                "WHEN NEW.memo LIKE '% line 2' "
                "BEGIN SELECT RAISE(ABORT, 'second charge refused'); END"
            )
        )

    with (
        pytest.raises((IntegrityError, StorageError)),
        database.transaction() as session,
    ):
        encounters.post_encounter(session, practice.biller, encounter_id)

    assert ledger_rows(database) == []
    assert status_of(database, encounter_id) == "draft"


def test_closed_period_not_posted(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.transaction() as session:
        ledger.set_ledger_lock_date(session, practice.manager, date(2026, 2, 28))

    with pytest.raises(ValidationError) as raised, database.transaction() as session:
        encounters.post_encounter(session, practice.biller, encounter_id)

    assert [problem.field for problem in raised.value.problems] == ["service_date"]
    assert ledger_rows(database) == []


def test_post_twice_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())

    with pytest.raises(UserError, match="already posted"), database.transaction() as session:
        encounters.post_encounter(session, practice.biller, encounter_id)

    assert len(ledger_rows(database)) == 1


def test_posted_encounter_not_saved(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.lines[0].units = 3

    with database.transaction() as session:
        outcome = encounters.save_encounter(session, practice.biller, form)

    assert not outcome.saved
    assert [problem.field for problem in outcome.problems] == ["record"]


def test_front_desk_cannot_post(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        encounters.post_encounter(session, practice.front_desk, encounter_id)

    assert ledger_rows(database) == []


def test_provider_can_post(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.provider, practice.form())

    with database.transaction() as session:
        encounters.post_encounter(session, practice.provider, encounter_id)

    assert status_of(database, encounter_id) == "posted"


def test_manager_fee_posted_by_biller(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", unit_fee=Decimal("99.00"))
    encounter_id = saved(database, practice.manager, practice.form([line]))

    with database.transaction() as session:
        encounters.post_encounter(session, practice.biller, encounter_id)

    assert [row.amount for row in ledger_rows(database)] == [Decimal("99.00")]


def test_no_charge_line_posts_zero(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", unit_fee=Decimal("0.00"))
    encounter_id = saved(database, practice.manager, practice.form([line]))

    with database.transaction() as session:
        encounters.post_encounter(session, practice.manager, encounter_id)

    assert [row.amount for row in ledger_rows(database)] == [Decimal("0.00")]


# ---- immutability at the database -----------------------------------------------------------


def test_ledger_row_update_fails(database: Database, practice: ChargePractice) -> None:
    posted(database, practice, practice.form())

    with pytest.raises((IntegrityError, StorageError)), database.transaction() as session:
        session.execute(text("UPDATE ledger_entry SET amount = 1"))

    assert [row.amount for row in ledger_rows(database)] == [Decimal("120.00")]


def test_posted_line_update_fails(database: Database, practice: ChargePractice) -> None:
    posted(database, practice, practice.form())

    with pytest.raises((IntegrityError, StorageError)), database.transaction() as session:
        session.execute(text("UPDATE charge_line SET units = 5"))

    with database.reading() as session:
        units = session.scalars(select(ChargeLine.units)).all()
    assert units == [1]


def test_posted_line_delete_fails(database: Database, practice: ChargePractice) -> None:
    posted(database, practice, practice.form())

    with pytest.raises((IntegrityError, StorageError)), database.transaction() as session:
        session.execute(text("DELETE FROM charge_line"))

    with database.reading() as session:
        count = session.scalar(select(func.count()).select_from(ChargeLine))
    assert count == 1


def test_draft_line_update_allowed(database: Database, practice: ChargePractice) -> None:
    saved(database, practice.biller, practice.form())

    with database.transaction() as session:
        session.execute(text("UPDATE charge_line SET units = 5"))
        units = session.scalars(select(ChargeLine.units)).all()

    assert units == [5]


# ---- reversal and correction ----------------------------------------------------------------


def test_reverse_line(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form(three_lines()))
    with database.reading() as session:
        line_id = encounters.posted_lines(session, practice.biller, encounter_id)[1].id

    with database.transaction() as session:
        changes = encounters.reverse_line(session, practice.biller, line_id, "Wrong units")
    with database.reading() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
        form = encounters.load_encounter(session, practice.biller, encounter_id)
        queue = encounters.encounter_queue(session, practice.biller, "posted")

    rows = ledger_rows(database)
    assert changes.touches(ChangeKind.LEDGER)
    assert [line.reversed for line in lines] == [False, True, False]
    assert [row.entry_type for row in rows] == ["charge", "charge", "charge", "reversal"]
    assert rows[3].amount == Decimal("-80.00")
    assert rows[3].memo == "Wrong units"
    assert rows[3].reverses_id == rows[1].id
    assert balance(database, practice.patient_id) == Decimal("235.00")
    assert [line.procedure_code for line in form.lines] == ["99214", "J1100"]
    assert queue[0].total == Decimal("235.00")
    assert queue[0].line_count == 2


def test_reverse_needs_reason(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        line_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id

    with pytest.raises(UserError, match="reason is missing"), database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "  ")

    assert len(ledger_rows(database)) == 1


def test_reverse_twice_rejected(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        line_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id
    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Billed in error")

    with pytest.raises(UserError, match="already reversed"), database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Again")

    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_draft_line_not_reversed(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    with database.reading() as session:
        line_id = encounters.load_encounter(session, practice.biller, encounter_id).lines[0].id
    assert line_id is not None

    with pytest.raises(UserError, match="not posted yet"), database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Wrong code")


def test_front_desk_cannot_reverse(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        line_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id

    with pytest.raises(PermissionDeniedError), database.transaction() as session:
        encounters.reverse_line(session, practice.front_desk, line_id, "Wrong code")


def test_correct_line(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        old_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id
    replacement = LineForm(procedure_code="99214")

    with database.transaction() as session:
        encounters.correct_line(session, practice.biller, old_id, replacement, "Level 4 visit")
    with database.reading() as session:
        lines = encounters.posted_lines(session, practice.biller, encounter_id)
        form = encounters.load_encounter(session, practice.biller, encounter_id)
        events = session.scalars(
            select(AuditEvent.detail).where(AuditEvent.object_type == "charge_line")
        ).all()

    rows = ledger_rows(database)
    assert [(line.procedure_code, line.reversed) for line in lines] == [
        ("99213", True),
        ("99214", False),
    ]
    assert lines[1].replaces_id == old_id
    assert lines[1].position == 2
    assert [row.entry_type for row in rows] == ["charge", "reversal", "charge"]
    assert [row.amount for row in rows] == [
        Decimal("120.00"),
        Decimal("-120.00"),
        Decimal("175.00"),
    ]
    assert rows[2].source_id == lines[1].id
    assert balance(database, practice.patient_id) == Decimal("175.00")
    assert [line.procedure_code for line in form.lines] == ["99214"]
    assert len(events) == 2
    assert all("Level 4 visit" in detail for detail in events)


def test_invalid_correction_writes_nothing(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        old_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id
    replacement = LineForm(procedure_code="99214", pointers=[3])

    with pytest.raises(ValidationError) as raised, database.transaction() as session:
        encounters.correct_line(session, practice.biller, old_id, replacement, "Level 4 visit")

    assert [problem.field for problem in raised.value.problems] == ["lines[0].pointers"]
    assert len(ledger_rows(database)) == 1
    assert balance(database, practice.patient_id) == Decimal("120.00")


def test_corrected_line_corrected_again(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    with database.reading() as session:
        first_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id
    with database.transaction() as session:
        encounters.correct_line(
            session, practice.biller, first_id, LineForm(procedure_code="99214"), "Level 4"
        )
    with database.reading() as session:
        second_id = encounters.posted_lines(session, practice.biller, encounter_id)[1].id

    with database.transaction() as session:
        encounters.correct_line(
            session,
            practice.biller,
            second_id,
            LineForm(procedure_code="99213", modifiers=["25"]),
            "Separate visit",
        )
    with pytest.raises(UserError, match="already reversed"), database.transaction() as session:
        encounters.correct_line(
            session, practice.biller, first_id, LineForm(procedure_code="99213"), "Again"
        )

    assert balance(database, practice.patient_id) == Decimal("130.00")


def test_correction_keeps_manager_fee(database: Database, practice: ChargePractice) -> None:
    line = LineForm(procedure_code="99213", unit_fee=Decimal("99.00"))
    encounter_id = saved(database, practice.manager, practice.form([line]))
    with database.transaction() as session:
        encounters.post_encounter(session, practice.manager, encounter_id)
    with database.reading() as session:
        old_id = encounters.posted_lines(session, practice.biller, encounter_id)[0].id
    same_fee = LineForm(procedure_code="99213", units=2, unit_fee=Decimal("99.00"))
    other_fee = LineForm(procedure_code="99213", units=2, unit_fee=Decimal("98.00"))

    with pytest.raises(ValidationError) as raised, database.transaction() as session:
        encounters.correct_line(session, practice.biller, old_id, other_fee, "Two units")
    with database.transaction() as session:
        encounters.correct_line(session, practice.biller, old_id, same_fee, "Two units")

    assert [problem.field for problem in raised.value.problems] == ["lines[0].unit_fee"]
    assert balance(database, practice.patient_id) == Decimal("198.00")
