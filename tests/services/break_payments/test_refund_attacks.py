"""Attacks on Accounts in credit and on refunds when a payer and the patient both hold credit."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.db.database import Database
from app.errors import PermissionDeniedError, UserError
from app.models.ledger import LedgerEntry
from app.models.payments import Refund
from app.services import ledger
from app.services.ledger import post_entry
from app.services.ledger_verify import ledger_check
from app.services.payer_refunds import payer_refund_choice
from app.services.payments import PaymentForm, take_payment
from app.services.refunds import (
    RefundForm,
    approve_refund,
    credit_balances,
    issue_refund,
    request_refund,
)
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.deposit_data import DepositPractice, insurance_settles, post_line_charge
from tests.services.deposits.test_payer_refunds import _overpaid_claim, _second_manager

FEB = date(2026, 2, 2)
ISSUED_ON = date(2026, 4, 6)
PREPAID = Decimal("40.00")


def _prepay(claim_practice: ClaimPractice, amount: Decimal) -> None:
    """Take a cash prepayment from the insured patient, left on the account as credit."""
    form = PaymentForm(
        patient_id=claim_practice.patient_id,
        amount=amount,
        method="cash",
        kind="prepayment",
        received_on=ISSUED_ON,
    )
    with claim_practice.database.transaction() as session:
        outcome = take_payment(session, claim_practice.charge.front_desk, form)
    assert outcome.saved, outcome.problems


def _request(claim_practice: ClaimPractice, form: RefundForm) -> uuid.UUID:
    with claim_practice.database.transaction() as session:
        outcome = request_refund(session, claim_practice.biller, form)
    assert outcome.record_id is not None, outcome.problems
    return outcome.record_id


def _payer_refund_form(claim_practice: ClaimPractice, claim_id: uuid.UUID) -> RefundForm:
    return RefundForm(
        claim_practice.patient_id,
        Decimal("15.00"),
        "Paid over the allowed amount",
        claim_practice.aetna_id,
        claim_id,
    )


def _patient_refund_form(claim_practice: ClaimPractice, amount: Decimal) -> RefundForm:
    return RefundForm(claim_practice.patient_id, amount, "Prepaid more than the visit")


def _refund_rows(claim_practice: ClaimPractice) -> int:
    with claim_practice.database.reading() as session:
        query = (
            select(func.count()).select_from(LedgerEntry).where(LedgerEntry.entry_type == "refund")
        )
        return session.scalar(query) or 0


def test_payer_refund_leaves_patient_safe(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    _prepay(claim_practice, PREPAID)
    _request(claim_practice, _payer_refund_form(claim_practice, claim_id))

    with claim_practice.database.reading() as session:
        (row,) = credit_balances(session, claim_practice.biller)

    assert row.patient_credit == PREPAID
    assert row.insurance_pending == Decimal("0")
    assert [credit.amount for credit in row.payer_credits] == [Decimal("15.00")]
    assert row.pending_refunds == Decimal("15.00")
    # Aetna's refund draws on Aetna's credit, so all of the patient's money stays refundable.
    assert row.refundable_after_insurance == PREPAID


def test_both_refunds_settle_to_cent(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    _prepay(claim_practice, PREPAID)
    approver = _second_manager(claim_practice)
    payer_refund = _request(claim_practice, _payer_refund_form(claim_practice, claim_id))
    # The payer's pending refund does not reserve any of the patient's own credit.
    patient_refund = _request(claim_practice, _patient_refund_form(claim_practice, PREPAID))

    with claim_practice.database.transaction() as session:
        for refund_id in (payer_refund, patient_refund):
            approve_refund(session, approver, refund_id)
            issue_refund(session, claim_practice.biller, refund_id, "check", "5521", ISSUED_ON)

    with claim_practice.database.transaction() as session:
        balances = ledger.balances_by_bucket(session, claim_practice.patient_id)
        rows = credit_balances(session, claim_practice.biller)
        findings = ledger_check(session, claim_practice.charge.manager)
        amounts = sorted(
            session.scalars(select(LedgerEntry.amount).where(LedgerEntry.entry_type == "refund"))
        )
    assert sum(balances.values(), Decimal("0")) == Decimal("0")
    assert rows == []
    assert amounts == [Decimal("15.00"), PREPAID]
    assert findings == []


def test_issue_after_payer_credit_used(claim_practice: ClaimPractice) -> None:
    claim_id, line_id = _overpaid_claim(claim_practice)
    refund_id = _request(claim_practice, _payer_refund_form(claim_practice, claim_id))
    approver = _second_manager(claim_practice)
    with claim_practice.database.transaction() as session:
        approve_refund(session, approver, refund_id)
        # Aetna recoups $10.00 of its overpayment on a later remittance.
        post_entry(
            session,
            claim_practice.biller,
            entry_type="payment",
            amount=Decimal("10.00"),
            patient_id=claim_practice.patient_id,
            responsible_party="primary",
            payer_id=claim_practice.aetna_id,
            source_type="remittance_claim",
            source_id=uuid.uuid4(),
            charge_line_id=line_id,
            memo="Aetna recoupment",
        )

    with claim_practice.database.transaction() as session, pytest.raises(UserError) as raised:
        issue_refund(session, claim_practice.biller, refund_id, "eft", None, ISSUED_ON)

    message = str(raised.value)
    assert "$5.00 of the payer's money" in message
    assert "$15.00" in message
    assert "cancel the refund or request a smaller one" in message
    assert _refund_rows(claim_practice) == 0
    with claim_practice.database.reading() as session:
        refund = session.get(Refund, refund_id)
        assert refund is not None
        assert refund.status == "approved"


def test_second_payer_request_over_pending(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    _request(claim_practice, _payer_refund_form(claim_practice, claim_id))

    with claim_practice.database.transaction() as session:
        outcome = request_refund(
            session, claim_practice.biller, _payer_refund_form(claim_practice, claim_id)
        )
        choice = payer_refund_choice(
            session,
            claim_practice.charge.front_desk,
            claim_practice.patient_id,
            claim_practice.aetna_id,
            "primary",
        )

    assert not outcome.saved
    assert [problem.message for problem in outcome.problems] == [
        "The account holds $15.00 of the payer's money, and $15.00 of it is already in "
        "pending refunds, so a refund of $15.00 is more than the credit; lower the amount."
    ]
    assert choice.available == Decimal("0")
    with claim_practice.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(Refund)) == 1


def test_choice_other_place_offers_nothing(claim_practice: ClaimPractice) -> None:
    _overpaid_claim(claim_practice)

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session,
            claim_practice.biller,
            claim_practice.patient_id,
            claim_practice.aetna_id,
            "secondary",
        )

    assert choice.available == Decimal("0")
    assert choice.claims == ()


def test_provider_cannot_list_credits(claim_practice: ClaimPractice) -> None:
    with claim_practice.database.reading() as session, pytest.raises(PermissionDeniedError):
        credit_balances(session, claim_practice.charge.provider)


def test_payer_credit_listed_while_patient_owes(
    database: Database, practice: DepositPractice
) -> None:
    nguyen = practice.patient_ids[2]
    with database.transaction() as session:
        insured_line = post_line_charge(
            session, practice, nguyen, "100.00", service_date=FEB, payer_id=practice.aetna_id
        )
        # Aetna pays $15.00 over the charge, while Nguyen owes $40.00 on a self-pay visit.
        insurance_settles(session, practice, nguyen, insured_line, paid="115.00")
        post_line_charge(session, practice, nguyen, "40.00", service_date=FEB)
        buckets = ledger.balances_by_bucket(session, nguyen)

    with database.reading() as session:
        rows = credit_balances(session, practice.biller)

    assert buckets["Aetna"] == Decimal("-15.00")
    listed = [row for row in rows if row.patient_id == nguyen]
    # Aetna's money goes back to Aetna whatever the patient owes, so it must be listed.
    assert len(listed) == 1
    assert [(credit.payer_name, credit.amount) for credit in listed[0].payer_credits] == [
        ("Aetna", Decimal("15.00"))
    ]
    assert listed[0].patient_credit == Decimal("0")
