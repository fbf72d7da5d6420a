"""The claims and credit offered when a refund of a payer's overpayment is requested."""

import uuid
from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import PermissionDeniedError
from app.models.claims import Claim
from app.services.ledger import post_entry
from app.services.payer_refunds import payer_refund_choice
from app.services.refunds import RefundForm, request_refund
from tests.helpers.claim_data import ClaimPractice, build_claim_practice
from tests.services.deposits.test_payer_refunds import _overpaid_claim

SECOND_VISIT = date(2026, 3, 9)


@pytest.fixture
def claim_practice(database: Database) -> ClaimPractice:
    return build_claim_practice(database)


def test_choice_lists_overpaid_claim(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    claim = claim_practice.claim(claim_id)

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session, claim_practice.biller, claim_practice.patient_id, claim_practice.aetna_id,
            "primary",
        )  # fmt: skip

    assert choice.payer_id == claim_practice.aetna_id
    assert choice.payer_name == "Aetna"
    assert choice.available == Decimal("15.00")
    assert [(offered.claim_id, offered.credit) for offered in choice.claims] == [
        (claim_id, Decimal("15.00"))
    ]
    assert choice.claims[0].claim_number == claim.claim_number
    assert choice.claims[0].service_date == claim.service_date_from


def test_overpaid_claim_listed_first(claim_practice: ClaimPractice) -> None:
    second = claim_practice.post(claim_practice.form(day=SECOND_VISIT))
    later_claim = claim_practice.build([second]).claim_ids[0]
    claim_id, _line_id = _overpaid_claim(claim_practice)

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session, claim_practice.biller, claim_practice.patient_id, claim_practice.aetna_id,
            "primary",
        )  # fmt: skip

    # The later visit's claim carries no credit, so it follows the overpaid one.
    assert [(offered.claim_id, offered.credit) for offered in choice.claims] == [
        (claim_id, Decimal("15.00")),
        (later_claim, Decimal("0")),
    ]


def test_pending_refund_lowers_available(claim_practice: ClaimPractice) -> None:
    claim_id, _line_id = _overpaid_claim(claim_practice)
    form = RefundForm(
        claim_practice.patient_id, Decimal("10.00"), "Paid twice", claim_practice.aetna_id, claim_id
    )
    with claim_practice.database.transaction() as session:
        request_refund(session, claim_practice.biller, form).raise_if_rejected()

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session, claim_practice.biller, claim_practice.patient_id, claim_practice.aetna_id,
            "primary",
        )  # fmt: skip

    assert choice.available == Decimal("5.00")
    assert [offered.claim_id for offered in choice.claims] == [claim_id]


def test_other_payer_place_has_no_claims(claim_practice: ClaimPractice) -> None:
    _overpaid_claim(claim_practice)

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session, claim_practice.biller, claim_practice.patient_id, claim_practice.aetna_id,
            "secondary",
        )  # fmt: skip

    # The claim bills Aetna as primary, so it cannot name Aetna's secondary bucket.
    assert choice.claims == ()
    assert choice.available == Decimal("0")


def test_provider_cannot_list_choice(claim_practice: ClaimPractice) -> None:
    _overpaid_claim(claim_practice)

    with (
        claim_practice.database.reading() as session,
        pytest.raises(PermissionDeniedError),
    ):
        payer_refund_choice(
            session, claim_practice.charge.provider, claim_practice.patient_id,
            claim_practice.aetna_id, "primary",
        )  # fmt: skip


def _aetna_secondary_credit(claim_practice: ClaimPractice) -> uuid.UUID:
    """Bill a second visit to Aetna as secondary and leave Aetna a 20.00 credit there.

    Aetna is primary on the first visit's claim, so the patient has one credit for each
    of Aetna's places in the payment order. Returns the second claim.
    """
    second = claim_practice.post(claim_practice.form(day=SECOND_VISIT))
    claim_id = claim_practice.build([second]).claim_ids[0]
    line = claim_practice.claim_lines(claim_id)[0]
    with claim_practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        # Aetna follows another payer on this visit (its coverage order changed), so the
        # charge moves to Aetna's secondary bucket before Aetna pays 20.00 over it.
        claim.payer_sequence = "S"
        for party, amount in (("primary", -line.charge_amount), ("secondary", line.charge_amount)):
            post_entry(
                session,
                claim_practice.biller,
                entry_type="transfer",
                amount=amount,
                patient_id=claim_practice.patient_id,
                responsible_party=party,
                payer_id=claim_practice.aetna_id,
                source_type="remittance_claim",
                source_id=uuid.uuid4(),
                charge_line_id=line.charge_line_id,
                memo="Aetna is secondary on this visit",
            )
        post_entry(
            session,
            claim_practice.biller,
            entry_type="payment",
            amount=-(line.charge_amount + Decimal("20.00")),
            patient_id=claim_practice.patient_id,
            responsible_party="secondary",
            payer_id=claim_practice.aetna_id,
            source_type="remittance_claim",
            source_id=uuid.uuid4(),
            charge_line_id=line.charge_line_id,
            memo="Aetna payment as secondary",
        )
    return claim_id


def test_pending_refund_reserves_own_place(claim_practice: ClaimPractice) -> None:
    primary_claim, _line_id = _overpaid_claim(claim_practice)
    secondary_claim = _aetna_secondary_credit(claim_practice)
    primary_refund = RefundForm(
        claim_practice.patient_id,
        Decimal("10.00"),
        "Paid twice",
        claim_practice.aetna_id,
        primary_claim,
    )
    with claim_practice.database.transaction() as session:
        request_refund(session, claim_practice.biller, primary_refund).raise_if_rejected()

    with claim_practice.database.reading() as session:
        choice = payer_refund_choice(
            session, claim_practice.biller, claim_practice.patient_id, claim_practice.aetna_id,
            "secondary",
        )  # fmt: skip
    # The pending refund draws on Aetna's primary credit, so all 20.00 as secondary is free.
    assert choice.available == Decimal("20.00")

    secondary_refund = RefundForm(
        claim_practice.patient_id,
        Decimal("20.00"),
        "Paid as secondary in error",
        claim_practice.aetna_id,
        secondary_claim,
    )
    with claim_practice.database.transaction() as session:
        outcome = request_refund(session, claim_practice.biller, secondary_refund)
    assert outcome.saved, outcome.problems
