"""The ledger lock date on its boundary: the locked day, the day after, and later changes."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.services import encounters, ledger
from app.services.encounters import LineForm
from app.services.ledger import PeriodLockedError
from tests.helpers.charge_data import VISIT_DAY, ChargePractice
from tests.services.charges_break.flows import ledger_amounts, line_ids, post, posted, saved


def lock_through(database: Database, practice: ChargePractice, day: date) -> None:
    with database.transaction() as session:
        ledger.set_ledger_lock_date(session, practice.manager, day)


def test_locked_day_not_posted(database: Database, practice: ChargePractice) -> None:
    encounter_id = saved(database, practice.biller, practice.form())
    lock_through(database, practice, VISIT_DAY)

    with pytest.raises(ValidationError) as error:
        post(database, practice.biller, encounter_id)

    assert [problem.field for problem in error.value.problems] == ["service_date"]
    assert ledger_amounts(database) == []


def test_day_after_lock_posted(database: Database, practice: ChargePractice) -> None:
    lock_through(database, practice, VISIT_DAY - timedelta(days=1))

    posted(database, practice, practice.form())

    assert ledger_amounts(database) == [Decimal("120.00")]


def test_line_on_locked_day_not_posted(database: Database, practice: ChargePractice) -> None:
    lock_through(database, practice, VISIT_DAY)
    early = LineForm(procedure_code="99213", service_date=VISIT_DAY)
    form = practice.form([early], day=VISIT_DAY + timedelta(days=1))
    encounter_id = saved(database, practice.biller, form)

    with pytest.raises(ValidationError) as error:
        post(database, practice.biller, encounter_id)

    assert [problem.field for problem in error.value.problems] == ["lines[0].service_date"]
    assert ledger_amounts(database) == []


def test_locked_line_not_reversed(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    lock_through(database, practice, VISIT_DAY)

    with pytest.raises(PeriodLockedError), database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")
    with pytest.raises(PeriodLockedError), database.transaction() as session:
        encounters.correct_line(
            session, practice.biller, line_id, LineForm(procedure_code="99214"), "Wrong level"
        )

    assert ledger_amounts(database) == [Decimal("120.00")]


def test_reopened_period_reversed(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    lock_through(database, practice, VISIT_DAY)
    lock_through(database, practice, VISIT_DAY - timedelta(days=1))

    with database.transaction() as session:
        encounters.reverse_line(session, practice.biller, line_id, "Not done")

    assert ledger_amounts(database) == [Decimal("120.00"), Decimal("-120.00")]
