"""Fees on service lines: who may type them, the values they may take, and schedule dates."""

from decimal import Decimal

import pytest

from app.db.database import Database
from app.services import encounters
from app.services.encounters import LineForm
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import ledger_amounts, post, save, saved


def test_biller_typed_fee_not_saved(database: Database, practice: ChargePractice) -> None:
    cheap = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("5.00"))])

    outcome = save(database, practice.biller, cheap)

    assert outcome.record_id is None
    assert [problem.field for problem in outcome.problems] == ["lines[0].unit_fee"]
    assert "does not allow changing fees" in outcome.problems[0].message
    assert ledger_amounts(database) == []


def test_biller_keeps_manager_fee(database: Database, practice: ChargePractice) -> None:
    discounted = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("90.00"))])
    encounter_id = saved(database, practice.manager, discounted)
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.biller, encounter_id)
    form.note = "Coded by the biller"

    saved(database, practice.biller, form)
    post(database, practice.biller, encounter_id)

    assert ledger_amounts(database) == [Decimal("90.00")]


def test_provider_fee_change_rejected(database: Database, practice: ChargePractice) -> None:
    discounted = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal("90.00"))])
    encounter_id = saved(database, practice.manager, discounted)
    with database.reading() as session:
        form = encounters.load_encounter(session, practice.provider, encounter_id)
    form.lines[0].unit_fee = Decimal("1.00")

    outcome = save(database, practice.provider, form)

    assert outcome.record_id is None
    assert [problem.field for problem in outcome.problems] == ["lines[0].unit_fee"]


@pytest.mark.parametrize("fee", ["1000000.00", "1e14", "1e20"])
def test_fee_past_limit_rejected(database: Database, practice: ChargePractice, fee: str) -> None:
    form = practice.form([LineForm(procedure_code="99213", unit_fee=Decimal(fee))])

    outcome = save(database, practice.manager, form)

    assert outcome.record_id is None
    assert [problem.field for problem in outcome.problems] == ["lines[0].unit_fee"]
    assert "999,999.99" in outcome.problems[0].message


def test_most_fee_and_units_post(database: Database, practice: ChargePractice) -> None:
    most = LineForm(procedure_code="99213", units=9999, unit_fee=Decimal("999999.99"))
    encounter_id = saved(database, practice.manager, practice.form([most]))

    post(database, practice.manager, encounter_id)

    assert ledger_amounts(database) == [Decimal("9998999900.01")]
