"""Refunds of a payer's overpayment on a billed claim, built through charge entry and claims."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.db.database import Database
from app.models.ledger import LedgerEntry
from app.models.payments import Refund
from app.security.permissions import Actor, Role
from app.services import ledger
from app.services.ledger import post_entry
from app.services.ledger_verify import ledger_check
from app.services.line_balances import line_balances
from app.services.refunds import (
    RefundForm,
    approve_refund,
    credit_balances,
    issue_refund,
    request_refund,
)
from app.services.users import create_user
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.helpers.deposit_data import SECOND_MANAGER_PASSWORD

ISSUED_ON = date(2026, 4, 6)


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    return build_claim_practice(database)


def _overpaid_claim(claim_practice: ClaimPractice) -> tuple[uuid.UUID, uuid.UUID]:
    """Build the insured visit's claim and post an Aetna payment $15 over the line's charge.

    Returns the claim id and its charge line id.
    """
    built = claim_practice.build([claim_practice.encounter_id])
    claim_id = built.claim_ids[0]
    line = claim_practice.claim_lines(claim_id)[0]
    with claim_practice.database.transaction() as session:
        post_entry(
            session,
            claim_practice.biller,
            entry_type="payment",
            amount=-(line.charge_amount + Decimal("15.00")),
            patient_id=claim_practice.patient_id,
            responsible_party="primary",
            payer_id=claim_practice.aetna_id,
            source_type="remittance_claim",
            source_id=uuid.uuid4(),
            charge_line_id=line.charge_line_id,
            memo="Aetna payment",
        )
    return claim_id, line.charge_line_id


def _second_manager(claim_practice: ClaimPractice) -> Actor:
    admin = claim_practice.charge.admin
    with claim_practice.database.transaction() as session:
        written = create_user(
            session, admin, "manager2", "Second Manager", Role.MANAGER, SECOND_MANAGER_PASSWORD
        )
    return Actor(written.user.id, "manager2", Role.MANAGER, admin.workstation)


def test_payer_refund_full_cycle(claim_practice: ClaimPractice) -> None:
    database = claim_practice.database
    claim_id, line_id = _overpaid_claim(claim_practice)
    claim_number = claim_practice.claim(claim_id).claim_number
    form = RefundForm(
        claim_practice.patient_id,
        Decimal("15.00"),
        "Paid twice for the same visit",
        claim_practice.aetna_id,
        claim_id,
    )
    approver = _second_manager(claim_practice)

    with database.transaction() as session:
        outcome = request_refund(session, claim_practice.biller, form)
    assert outcome.record_id is not None, outcome.problems
    with database.transaction() as session:
        approve_refund(session, approver, outcome.record_id)
        issue_refund(session, claim_practice.biller, outcome.record_id, "eft", None, ISSUED_ON)

    with database.reading() as session:
        refund = session.get(Refund, outcome.record_id)
        assert refund is not None
        rows = session.scalars(
            select(LedgerEntry).where(LedgerEntry.source_id == outcome.record_id)
        ).all()
        balances = ledger.balances_by_bucket(session, claim_practice.patient_id)
        by_line = line_balances(session, [line_id])
        findings = ledger_check(session, claim_practice.charge.manager)
    assert refund.reason == f"Claim {claim_number} overpayment: Paid twice for the same visit"
    assert refund.payer_id == claim_practice.aetna_id
    assert refund.status == "issued"
    assert refund.check_number is None
    assert [
        (row.entry_type, row.amount, row.responsible_party, row.payer_id, row.charge_line_id)
        for row in rows
    ] == [("refund", Decimal("15.00"), "primary", claim_practice.aetna_id, line_id)]
    assert "Aetna" not in balances
    assert by_line[line_id] == {}
    assert findings == []


def test_payer_credit_listed(claim_practice: ClaimPractice) -> None:
    _overpaid_claim(claim_practice)

    with claim_practice.database.reading() as session:
        rows = credit_balances(session, claim_practice.biller)

    assert [row.patient_id for row in rows] == [claim_practice.patient_id]
    assert rows[0].balance == Decimal("-15.00")
    assert rows[0].patient_credit == Decimal("0.00")
    assert [(credit.payer_name, credit.amount) for credit in rows[0].payer_credits] == [
        ("Aetna", Decimal("15.00"))
    ]


def test_payer_refund_over_payer_credit(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    form = RefundForm(
        claim_practice.patient_id, Decimal("15.01"), "Overpaid", claim_practice.aetna_id, claim_id
    )

    with claim_practice.database.transaction() as session:
        outcome = request_refund(session, claim_practice.biller, form)

    assert [problem.message for problem in outcome.problems] == [
        "The account holds $15.00 of the payer's money, so a refund of $15.01 is more than "
        "the credit; lower the amount."
    ]


def test_payer_refund_wrong_claim(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    cigna = claim_practice.cigna_id
    other_patient = claim_practice.charge.uninsured_patient_id
    cases = [
        RefundForm(claim_practice.patient_id, Decimal("1.00"), "Overpaid", cigna, claim_id),
        RefundForm(other_patient, Decimal("1.00"), "Overpaid", claim_practice.aetna_id, claim_id),
    ]

    for form in cases:
        with claim_practice.database.transaction() as session:
            outcome = request_refund(session, claim_practice.biller, form)
        assert [problem.field for problem in outcome.problems] == ["claim_id"], form
