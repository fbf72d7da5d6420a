"""Credit left on a service line whose paid charge was reversed or corrected."""

import uuid
from decimal import Decimal

from sqlalchemy import select

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.services.ledger import patient_balance, reverse_entry
from app.services.line_balances import open_patient_lines
from app.services.payments import PaymentForm, apply_credit, take_payment, void_payment
from tests.services.payments_desk.desk_data import DeskPractice, assert_ledger_clean


def _pay_first_line(database: Database, desk: DeskPractice) -> uuid.UUID:
    form = PaymentForm(
        patient_id=desk.nguyen,
        amount=Decimal("120.00"),
        method="cash",
        allocations={desk.first_line: Decimal("120.00")},
    )
    with database.transaction() as session:
        outcome = take_payment(session, desk.desk, form)
    outcome.raise_if_rejected()
    assert outcome.record_id is not None
    return outcome.record_id


def _reverse_first_charge(database: Database, desk: DeskPractice) -> None:
    with database.transaction() as session:
        charge = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.charge_line_id == desk.first_line, LedgerEntry.entry_type == "charge"
            )
        ).one()
        reverse_entry(session, desk.manager, charge.id, "Billed the wrong code")


def _open(database: Database, desk: DeskPractice) -> dict[uuid.UUID, Decimal]:
    with database.reading() as session:
        return {
            line.charge_line_id: line.patient_balance
            for line in open_patient_lines(session, desk.nguyen)
        }


def test_reversed_line_credit_applied(database: Database, desk: DeskPractice) -> None:
    _pay_first_line(database, desk)
    _reverse_first_charge(database, desk)
    assert _open(database, desk) == {desk.second_line: Decimal("80.00")}

    with database.transaction() as session:
        changes = apply_credit(session, desk.desk, desk.nguyen)

    assert changes.kinds
    assert _open(database, desk) == {}
    with database.reading() as session:
        assert patient_balance(session, desk.nguyen) == Decimal("-40.00")
    assert_ledger_clean(database, desk)


def test_moved_credit_twice_and_void(database: Database, desk: DeskPractice) -> None:
    payment_id = _pay_first_line(database, desk)
    _reverse_first_charge(database, desk)
    with database.transaction() as session:
        apply_credit(session, desk.desk, desk.nguyen)

    with database.transaction() as session:
        second = apply_credit(session, desk.desk, desk.nguyen)
    assert second.kinds == frozenset()

    with database.transaction() as session:
        void_payment(session, desk.manager, payment_id, "Check returned")
    assert _open(database, desk) == {desk.second_line: Decimal("80.00")}
    with database.reading() as session:
        assert patient_balance(session, desk.nguyen) == Decimal("80.00")
    assert_ledger_clean(database, desk)
