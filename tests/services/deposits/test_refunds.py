"""Patient refunds from request to issue, approval by a second person, and credit balances."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.models.ledger import LedgerEntry
from app.models.payments import Refund
from app.security.permissions import Actor
from app.services import ledger
from app.services.ledger import set_ledger_lock_date
from app.services.line_balances import line_balances
from app.services.outcomes import SaveOutcome
from app.services.refunds import (
    RefundForm,
    approve_refund,
    cancel_refund,
    credit_balances,
    issue_refund,
    refund_list,
    request_refund,
)
from tests.helpers.deposit_data import (
    DepositPractice,
    add_payment,
    assert_ledger_clean,
    insurance_settles,
    patient_bucket,
    payer_raises_payment,
    post_line_charge,
)

FEB = date(2026, 2, 2)
MAR = date(2026, 3, 2)
ISSUED_ON = date(2026, 4, 6)


def _overpaid(database: Database, practice: DepositPractice) -> uuid.UUID:
    """Give Nguyen a $25 credit: $10 on a line Aetna paid more of after she paid her share,
    and a $15 prepayment. Return the line.
    """
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        line = post_line_charge(
            session, practice, nguyen, "100.00", service_date=FEB, payer_id=practice.aetna_id
        )
        insurance_settles(session, practice, nguyen, line, paid="70.00", to_patient="30.00")
        add_payment(session, practice, nguyen, "30.00", received_on=FEB)
        payer_raises_payment(session, practice, nguyen, line, "10.00")
        add_payment(session, practice, nguyen, "15.00", received_on=MAR, kind="prepayment")
    return line


def _request(
    database: Database, actor: Actor, patient_id: uuid.UUID, amount: str, **extra: object
) -> SaveOutcome:
    form = RefundForm(patient_id, Decimal(amount), "Overpaid at check-out", **extra)  # type: ignore[arg-type]
    with database.transaction() as session:
        return request_refund(session, actor, form)


def _requested(database: Database, practice: DepositPractice, amount: str = "25.00") -> uuid.UUID:
    outcome = _request(database, practice.front_desk, practice.patient_ids[2], amount)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def _approved(database: Database, practice: DepositPractice, amount: str = "25.00") -> uuid.UUID:
    refund_id = _requested(database, practice, amount)
    with database.transaction() as session:
        approve_refund(session, practice.other_manager, refund_id)
    return refund_id


def _refund(database: Database, refund_id: uuid.UUID) -> Refund:
    with database.reading() as session:
        refund = session.get(Refund, refund_id)
        assert refund is not None
        return refund


def test_patient_refund_full_cycle(database: Database, practice: DepositPractice) -> None:
    line = _overpaid(database, practice)
    nguyen = practice.patient_ids[2]
    refund_id = _approved(database, practice)

    with database.transaction() as session:
        changes = issue_refund(session, practice.biller, refund_id, "check", "5001", ISSUED_ON)

    assert changes.touches(ledger.ChangeKind.LEDGER)
    refund = _refund(database, refund_id)
    assert (refund.status, refund.method, refund.check_number) == ("issued", "check", "5001")
    assert refund.issued_on == ISSUED_ON
    assert refund.approved_by == practice.other_manager.user_id
    with database.reading() as session:
        rows = session.scalars(select(LedgerEntry).where(LedgerEntry.source_id == refund_id)).all()
        assert ledger.patient_balance(session, nguyen) == Decimal("0.00")
        balances = line_balances(session, [line])
    assert sorted((row.charge_line_id is None, row.amount) for row in rows) == [
        (False, Decimal("10.00")),
        (True, Decimal("15.00")),
    ]
    assert {(row.entry_type, row.source_type, row.responsible_party) for row in rows} == {
        ("refund", "refund", "patient")
    }
    assert {row.memo for row in rows} == {"Refund by check, check 5001"}
    assert {row.service_date for row in rows} == {ISSUED_ON}
    assert balances[line] == {}
    assert_ledger_clean(database, practice)


def test_refund_over_credit(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)

    outcome = _request(database, practice.front_desk, practice.patient_ids[2], "25.01")

    assert [(problem.field, problem.message) for problem in outcome.problems] == [
        (
            "amount",
            "The account holds $25.00 of the patient's money, so a refund of $25.01 is more "
            "than the credit; lower the amount.",
        )
    ]
    with database.reading() as session:
        assert session.scalars(select(Refund)).all() == []


def test_pending_refunds_reserve_credit(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    _requested(database, practice, "20.00")

    outcome = _request(database, practice.front_desk, practice.patient_ids[2], "5.01")

    assert [problem.message for problem in outcome.problems] == [
        "The account holds $25.00 of the patient's money, and $20.00 of it is already in "
        "pending refunds, so a refund of $5.01 is more than the credit; lower the amount."
    ]
    assert _request(database, practice.front_desk, practice.patient_ids[2], "5.00").saved


def test_refund_without_credit(database: Database, practice: DepositPractice) -> None:
    rivera = practice.patient_ids[0]
    with database.transaction() as session:
        post_line_charge(session, practice, rivera, "30.00", service_date=FEB)

    outcome = _request(database, practice.front_desk, rivera, "1.00")

    assert outcome.problems[0].message.startswith("The account holds $0.00 of the patient's")


def test_refund_request_problems(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    nguyen = practice.patient_ids[2]
    cases = [
        (RefundForm(nguyen, Decimal("0.00"), "x"), ["amount"]),
        (RefundForm(nguyen, Decimal("1.001"), "x"), ["amount"]),
        (RefundForm(nguyen, Decimal("1.00"), " "), ["reason"]),
        (RefundForm(nguyen, Decimal("1.00"), "x", practice.aetna_id), ["claim_id"]),
        (RefundForm(nguyen, Decimal("1.00"), "x", None, uuid.uuid4()), ["payer_id"]),
        (RefundForm(nguyen, Decimal("1.00"), "x", uuid.uuid4(), uuid.uuid4()), ["payer_id"]),
    ]
    for form, fields in cases:
        with database.transaction() as session:
            outcome = request_refund(session, practice.front_desk, form)
        assert [problem.field for problem in outcome.problems] == fields, form


def test_requester_cannot_approve(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _requested(database, practice)

    with database.transaction() as session, pytest.raises(UserError) as raised:
        approve_refund(session, practice.manager, refund_id)

    assert str(raised.value).startswith("You requested this refund, so another manager")
    assert _refund(database, refund_id).status == "requested"


def test_biller_cannot_approve(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _requested(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        approve_refund(session, practice.biller, refund_id)


def test_issue_needs_approval(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _requested(database, practice)

    with database.transaction() as session, pytest.raises(UserError) as raised:
        issue_refund(session, practice.biller, refund_id, "check", "5001", ISSUED_ON)

    assert str(raised.value) == (
        "The refund is requested, so it cannot be issued; only a refund that is approved "
        "can be. Refresh the list of refunds."
    )


def test_issue_problems(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _approved(database, practice)

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        issue_refund(session, practice.biller, refund_id, "cash", None, date(2099, 1, 1))
    assert [problem.field for problem in raised.value.problems] == ["method", "issued_on"]
    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        issue_refund(session, practice.biller, refund_id, "check", " ", ISSUED_ON)
    assert [problem.field for problem in raised.value.problems] == ["check_number"]

    assert _refund(database, refund_id).status == "approved"


def test_issue_in_closed_period(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _approved(database, practice)
    with database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, date(2026, 4, 30))

    with database.transaction() as session, pytest.raises(ValidationError) as raised:
        issue_refund(session, practice.biller, refund_id, "eft", None, ISSUED_ON)

    assert [problem.message for problem in raised.value.problems] == [
        "The ledger is closed through 04/30/2026, so nothing can be posted with the date "
        "04/06/2026. Ask a manager to move the ledger lock date back, or post with a date "
        "in the open period."
    ]
    assert _refund(database, refund_id).status == "approved"


def test_issue_after_credit_used(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    nguyen = practice.patient_ids[2]
    refund_id = _approved(database, practice)
    with database.transaction() as session:
        post_line_charge(session, practice, nguyen, "20.00", service_date=MAR)

    with database.transaction() as session, pytest.raises(UserError) as raised:
        issue_refund(session, practice.biller, refund_id, "eft", None, ISSUED_ON)

    assert str(raised.value).startswith(
        "The account holds $5.00 of the patient's money, so a refund of $25.00 is more "
        "than the credit; lower the amount. The credit changed since the refund was requested"
    )
    with database.reading() as session:
        assert patient_bucket(session, nguyen) == Decimal("-5.00")


def test_requester_cancels_own_request(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _requested(database, practice)

    with database.transaction() as session:
        cancel_refund(session, practice.front_desk, refund_id, "Patient keeps the credit")

    refund = _refund(database, refund_id)
    assert refund.status == "cancelled"
    assert refund.reason == "Overpaid at check-out\nCancelled: Patient keeps the credit"
    assert _request(database, practice.front_desk, practice.patient_ids[2], "25.00").saved


def test_cancel_approved_needs_manager(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _approved(database, practice)

    with database.transaction() as session, pytest.raises(PermissionDeniedError):
        cancel_refund(session, practice.front_desk, refund_id, "Changed mind")
    with database.transaction() as session, pytest.raises(ValidationError):
        cancel_refund(session, practice.manager, refund_id, "")
    with database.transaction() as session:
        cancel_refund(session, practice.manager, refund_id, "Applied to a new visit")

    assert _refund(database, refund_id).status == "cancelled"


def test_cancel_issued_rejected(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    refund_id = _approved(database, practice)
    with database.transaction() as session:
        issue_refund(session, practice.biller, refund_id, "card", None, ISSUED_ON)

    with database.transaction() as session, pytest.raises(UserError, match="already issued"):
        cancel_refund(session, practice.manager, refund_id, "Too late")


def test_refund_list(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    first = _approved(database, practice, "10.00")
    second = _requested(database, practice, "5.00")

    with database.reading() as session:
        every = refund_list(session, practice.front_desk)
        waiting = refund_list(session, practice.front_desk, "requested")

    assert [row.refund_id for row in every] == [second, first]
    assert [row.refund_id for row in waiting] == [second]
    assert every[1].approved_by == "Second Manager"
    assert every[1].requested_by == "Office Admin"
    assert every[1].chart_number == "T-000003"
    assert every[1].amount == Decimal("10.00")


def test_credit_balances_split(database: Database, practice: DepositPractice) -> None:
    _overpaid(database, practice)
    rivera, chen, nguyen = practice.patient_ids
    with database.transaction() as session:
        line = post_line_charge(
            session, practice, chen, "100.00", service_date=FEB, payer_id=practice.aetna_id
        )
        insurance_settles(session, practice, chen, line, paid="110.00")
        post_line_charge(session, practice, rivera, "30.00", service_date=FEB)
    _requested(database, practice, "10.00")

    with database.reading() as session:
        rows = credit_balances(session, practice.front_desk)

    assert [row.patient_id for row in rows] == [nguyen, chen]
    patient_row, payer_row = rows
    assert patient_row.balance == Decimal("-25.00")
    assert patient_row.patient_credit == Decimal("25.00")
    assert patient_row.payer_credits == ()
    assert patient_row.pending_refunds == Decimal("10.00")
    assert payer_row.balance == Decimal("-10.00")
    assert payer_row.patient_credit == Decimal("0.00")
    assert [
        (credit.payer_name, credit.responsible_party, credit.amount)
        for credit in payer_row.payer_credits
    ] == [("Aetna", "primary", Decimal("10.00"))]
    assert payer_row.chart_number == "T-000002"
