"""Payments with amounts and allocations a careless caller might pass, and a locked period."""

from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.payments import Payment
from app.services.outcomes import SaveOutcome
from app.services.payments import PaymentForm, take_payment
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean


def _take(database: Database, desk: DeskPractice, form: PaymentForm) -> SaveOutcome:
    with database.transaction() as session:
        return take_payment(session, desk.desk, form)


def _assert_nothing_written(database: Database, desk: DeskPractice) -> None:
    with database.reading() as session:
        assert session.scalars(select(Payment)).all() == []
    assert_ledger_clean(database, desk)


def test_huge_amount_rejected(database: Database, desk: DeskPractice) -> None:
    form = PaymentForm(patient_id=desk.nguyen, amount=Decimal("1E+20"), method="cash")

    outcome = _take(database, desk, form)

    assert [problem.field for problem in outcome.problems] == ["amount"]
    _assert_nothing_written(database, desk)


@pytest.mark.parametrize("value", [Decimal("NaN"), Decimal("Infinity"), 10.0, "10.00", None])
def test_allocation_not_decimal(database: Database, desk: DeskPractice, value: object) -> None:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal("20.00"),
        method="cash",
        allocations={desk.first_line: value},  # type: ignore[dict-item]
    )

    outcome = _take(database, desk, form)

    assert [problem.field for problem in outcome.problems] == ["allocations"]
    _assert_nothing_written(database, desk)
