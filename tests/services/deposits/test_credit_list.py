"""The list of accounts in credit when insurance still owes on the same account."""

import uuid
from datetime import date
from decimal import Decimal

from app.db.database import Database
from app.services.outcomes import SaveOutcome
from app.services.refunds import RefundForm, credit_balances, request_refund
from tests.helpers.deposit_data import DepositPractice, add_payment, post_line_charge

FEB = date(2026, 2, 2)
MAR = date(2026, 3, 2)


def _prepaid_while_aetna_owes(
    database: Database, practice: DepositPractice, patient_id: uuid.UUID, owed: str, paid: str
) -> None:
    """Post a visit Aetna owes `owed` on, then a prepayment of `paid` by the patient."""
    with database.transaction() as session:
        post_line_charge(
            session, practice, patient_id, owed, service_date=FEB, payer_id=practice.aetna_id
        )
        add_payment(session, practice, patient_id, paid, received_on=MAR, kind="prepayment")


def _request(database: Database, practice: DepositPractice, amount: str) -> SaveOutcome:
    form = RefundForm(practice.patient_ids[0], Decimal(amount), "Prepaid more than the visit")
    with database.transaction() as session:
        return request_refund(session, practice.front_desk, form)


def test_credit_listed_while_insurance_owes(database: Database, practice: DepositPractice) -> None:
    rivera, chen, _nguyen = practice.patient_ids
    _prepaid_while_aetna_owes(database, practice, rivera, "100.00", "30.00")
    # Chen has no credit of her own: only Aetna owes, so she is not listed.
    with database.transaction() as session:
        post_line_charge(
            session, practice, chen, "80.00", service_date=FEB, payer_id=practice.aetna_id
        )

    with database.reading() as session:
        rows = credit_balances(session, practice.front_desk)

    assert [row.patient_id for row in rows] == [rivera]
    row = rows[0]
    assert row.balance == Decimal("70.00")
    assert row.patient_credit == Decimal("30.00")
    assert row.insurance_pending == Decimal("100.00")
    assert row.payer_credits == ()
    assert row.refundable_after_insurance == Decimal("0.00")


def test_credit_above_insurance_owed(database: Database, practice: DepositPractice) -> None:
    _prepaid_while_aetna_owes(database, practice, practice.patient_ids[0], "100.00", "150.00")
    outcome = _request(database, practice, "20.00")
    assert outcome.saved, outcome.problems

    with database.reading() as session:
        row = credit_balances(session, practice.front_desk)[0]

    assert row.balance == Decimal("-50.00")
    assert row.patient_credit == Decimal("150.00")
    assert row.insurance_pending == Decimal("100.00")
    assert row.pending_refunds == Decimal("20.00")
    # $150 less the $20 requested, less the $100 Aetna may leave to the patient.
    assert row.refundable_after_insurance == Decimal("30.00")


def test_refund_limit_ignores_insurance_owed(database: Database, practice: DepositPractice) -> None:
    _prepaid_while_aetna_owes(database, practice, practice.patient_ids[0], "100.00", "30.00")

    over = _request(database, practice, "30.01")
    whole = _request(database, practice, "30.00")

    # The service limits a refund to the patient's credit less pending refunds. What
    # insurance owes is shown in the list for the person asking, and is not a limit.
    assert [problem.field for problem in over.problems] == ["amount"]
    assert not over.saved
    assert whole.saved, whole.problems


def test_credit_list_largest_first(database: Database, practice: DepositPractice) -> None:
    rivera, chen, nguyen = practice.patient_ids
    _prepaid_while_aetna_owes(database, practice, rivera, "500.00", "40.00")
    with database.transaction() as session:
        add_payment(session, practice, chen, "10.00", received_on=MAR, kind="prepayment")
        add_payment(session, practice, nguyen, "25.00", received_on=MAR, kind="prepayment")

    with database.reading() as session:
        rows = credit_balances(session, practice.front_desk)

    # Ordered by the credit held, although Rivera's balance is $460 owed.
    assert [row.patient_id for row in rows] == [rivera, nguyen, chen]
    assert [row.credit_total for row in rows] == [
        Decimal("40.00"),
        Decimal("25.00"),
        Decimal("10.00"),
    ]
