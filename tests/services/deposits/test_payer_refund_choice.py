"""The claims and credit offered when a refund of a payer's overpayment is requested."""

from datetime import date
from decimal import Decimal

import pytest

from app.db.database import Database
from app.errors import PermissionDeniedError
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
