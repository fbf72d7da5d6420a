"""Hostile values on service lines: pointers, modifiers, units and codes as typed."""

from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.services import encounters
from app.services.encounters import LineForm
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import ledger_amounts, line_ids, posted, save


@pytest.mark.parametrize("units", [10_000, 10**15, 10**19])
def test_units_past_limit_rejected(
    database: Database, practice: ChargePractice, units: int
) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=units)])

    outcome = save(database, practice.biller, form)

    assert outcome.record_id is None
    assert "lines[0].units" in [problem.field for problem in outcome.problems]


def test_most_units_post(database: Database, practice: ChargePractice) -> None:
    form = practice.form([LineForm(procedure_code="99213", units=9999)])

    posted(database, practice, form)

    assert ledger_amounts(database) == [Decimal("1199880.00")]


def test_correction_units_past_limit(database: Database, practice: ChargePractice) -> None:
    encounter_id = posted(database, practice, practice.form())
    (line_id,) = line_ids(database, encounter_id)
    huge = LineForm(procedure_code="99213", units=10**19)

    with pytest.raises(ValidationError) as error, database.transaction() as session:
        encounters.correct_line(session, practice.biller, line_id, huge, "Wrong units")

    assert [problem.field for problem in error.value.problems] == ["lines[0].units"]
    assert ledger_amounts(database) == [Decimal("120.00")]
