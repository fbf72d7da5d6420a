"""Adjudications of replaced claims, secondary claims from them, and amounts that are not money."""

import uuid
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import UserError
from app.models.claims import Claim, PayerAdjudication
from app.services.claim_build import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    build_claims,
    build_secondary_claim,
    record_adjudication,
    replace_claim,
    void_claim,
)
from app.services.outcomes import SaveOutcome
from tests.helpers.claim_data import ClaimPractice


def paid_form(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    """Aetna's settlement of the $120 visit: $85 paid, $15 contract write-off, $20 coinsurance."""
    (line,) = practice.claim_lines(claim_id)
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=Decimal("85.00"),
        adjudicated_on=date(2026, 3, 2),
        payer_claim_number="AET-7781",
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=Decimal("85.00"),
                adjustments=[
                    AdjustmentForm("CO", "45", Decimal("15.00")),
                    AdjustmentForm("PR", "2", Decimal("20.00")),
                ],
            )
        ],
    )


def record(practice: ClaimPractice, form: AdjudicationForm) -> SaveOutcome:
    with practice.database.transaction() as session:
        return record_adjudication(session, practice.biller, form)


def paid_then_corrected(practice: ClaimPractice, correction: object) -> uuid.UUID:
    """Build the visit's claim, record Aetna's payment, then replace or void the claim."""
    (claim_id,) = practice.build().claim_ids
    record(practice, paid_form(practice, claim_id)).raise_if_rejected()
    with practice.database.transaction() as session:
        correction(session, practice.biller, claim_id)  # type: ignore[operator]
    return claim_id


def adjudication_count(practice: ClaimPractice, claim_id: uuid.UUID) -> int:
    with practice.database.reading() as session:
        query = select(func.count(PayerAdjudication.id))
        return session.scalar(query.where(PayerAdjudication.claim_id == claim_id)) or 0


@pytest.mark.parametrize(
    ("correction", "status"), [(replace_claim, "corrected"), (void_claim, "voided")]
)
def test_late_eob_keeps_claim_dead(
    claim_practice: ClaimPractice, correction: object, status: str
) -> None:
    claim_id = paid_then_corrected(claim_practice, correction)

    outcome = record(claim_practice, paid_form(claim_practice, claim_id))

    assert outcome.record_id is not None
    assert claim_practice.claim(claim_id).status == status
    assert adjudication_count(claim_practice, claim_id) == 2


def test_secondary_from_replaced_claim_rejected(claim_practice: ClaimPractice) -> None:
    claim_id = paid_then_corrected(claim_practice, replace_claim)
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    number = claim_practice.claim(claim_id).claim_number

    with (
        pytest.raises(UserError, match=f"Claim {number} is corrected, so the next payer"),
        claim_practice.database.transaction() as session,
    ):
        build_secondary_claim(session, claim_practice.biller, claim_id)

    with claim_practice.database.reading() as session:
        cigna = select(func.count(Claim.id)).where(Claim.payer_id == claim_practice.cigna_id)
        assert session.scalar(cigna) == 0


@pytest.mark.parametrize(
    ("field", "value", "words"),
    [
        ("paid_amount", Decimal("sNaN"), "Paid amount sNaN"),
        ("paid_amount", Decimal("Infinity"), "Paid amount Infinity"),
        ("paid_amount", Decimal("85.001"), "Paid amount 85.001"),
        ("patient_responsibility", Decimal("NaN"), "Patient responsibility NaN"),
    ],
)
def test_amount_not_money_is_problem(
    claim_practice: ClaimPractice, field: str, value: Decimal, words: str
) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id)
    setattr(form, field, value)

    outcome = record(claim_practice, form)

    assert outcome.record_id is None
    assert any(words in problem.message for problem in outcome.problems)
    assert adjudication_count(claim_practice, claim_id) == 0
    assert claim_practice.claim(claim_id).status == "hold"


def test_line_adjustment_not_money_is_problem(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id)
    form.lines[0].adjustments[0].amount = Decimal("-Infinity")

    outcome = record(claim_practice, form)

    assert outcome.record_id is None
    assert any("Line adjustment -Infinity" in problem.message for problem in outcome.problems)


def test_build_ignores_adjudicated_dead_claim(claim_practice: ClaimPractice) -> None:
    claim_id = paid_then_corrected(claim_practice, replace_claim)
    record(claim_practice, paid_form(claim_practice, claim_id)).raise_if_rejected()

    with claim_practice.database.transaction() as session:
        result = build_claims(session, claim_practice.biller)

    assert result.claim_ids == []
