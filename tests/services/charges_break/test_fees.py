"""Fees on service lines: who may type them, the values they may take, and schedule dates."""

from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import ValidationError
from app.services import encounters, fee_schedules
from app.services.encounters import LineForm
from app.services.fee_schedules import FeeScheduleForm
from tests.helpers.charge_data import ChargePractice
from tests.services.charges_break.flows import (
    balance,
    ledger_amounts,
    line_ids,
    post,
    posted,
    save,
    saved,
)


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


def test_zero_fee_posts_and_reverses(database: Database, practice: ChargePractice) -> None:
    free = LineForm(procedure_code="99213", unit_fee=Decimal("0"))
    encounter_id = saved(database, practice.manager, practice.form([free]))
    post(database, practice.manager, encounter_id)
    (line_id,) = line_ids(database, encounter_id)

    with database.transaction() as session:
        encounters.reverse_line(session, practice.manager, line_id, "Billed by mistake")

    assert ledger_amounts(database) == [Decimal("0.00"), Decimal("0.00")]
    assert balance(database, practice.patient_id) == Decimal("0.00")


def test_negative_fee_not_posted(database: Database, practice: ChargePractice) -> None:
    refund = LineForm(procedure_code="99213", unit_fee=Decimal("-120.00"))
    encounter_id = saved(database, practice.manager, practice.form([refund]))

    with pytest.raises(ValidationError) as error:
        post(database, practice.manager, encounter_id)

    assert [problem.field for problem in error.value.problems] == ["lines[0].unit_fee"]
    assert ledger_amounts(database) == []


@pytest.mark.parametrize(
    ("typed", "charged"),
    [("120.004", "240.00"), ("120.005", "240.02"), ("0.004", "0.00"), ("33.333", "66.66")],
)
def test_fee_cents_rounded_half_up(
    database: Database, practice: ChargePractice, typed: str, charged: str
) -> None:
    line = LineForm(procedure_code="99213", units=2, unit_fee=Decimal(typed))

    encounter_id = saved(database, practice.manager, practice.form([line]))
    post(database, practice.manager, encounter_id)

    assert ledger_amounts(database) == [Decimal(charged)]


@pytest.mark.parametrize(
    ("day", "fee"),
    [(date(2025, 12, 31), "110.00"), (date(2026, 1, 1), "120.00")],
)
def test_schedule_last_and_next_day(
    database: Database, practice: ChargePractice, day: date, fee: str
) -> None:
    posted(database, practice, practice.form(day=day))

    assert ledger_amounts(database) == [Decimal(fee)]


def test_fee_after_schedule_ends(database: Database, practice: ChargePractice) -> None:
    with database.transaction() as session:
        schedule = fee_schedules.find_fee_schedule(session, "Charges 2026")
        assert schedule is not None
        form = FeeScheduleForm(
            schedule.name, schedule.kind, None, schedule.effective_from, date(2026, 2, 1)
        )
        form.id = schedule.id
        fee_schedules.save_fee_schedule(session, practice.manager, form).raise_if_rejected()
    encounter_id = saved(database, practice.biller, practice.form())

    with pytest.raises(ValidationError) as error:
        post(database, practice.biller, encounter_id)

    assert [problem.field for problem in error.value.problems] == ["lines[0].unit_fee"]
    assert "has no fee for 99213" in error.value.problems[0].message
