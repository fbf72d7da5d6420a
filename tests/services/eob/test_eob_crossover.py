"""A paper EOB from the payer a crossover moved the claim to settles that payer's bucket.

Aetna processes the $120 visit and forwards it to Cigna itself (CLP02 19, see
`forwarded_claim`), which leaves the 20.00 coinsurance in Cigna's bucket. Cigna's paper
EOB then names the claim billed to Aetna.
"""

import itertools
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.models.claims import Claim, ClaimLine, PayerAdjudication
from app.models.payments import RemittanceClaim
from app.models.practice import Payer
from app.services import eob_entry
from app.services.claim_cob import AdjudicationForm
from app.services.claim_document_cob import load_other_payers
from app.services.eob_entry import EobForm
from app.services.line_balances import PATIENT, Bucket
from app.services.outcomes import SaveOutcome
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    claim_buckets,
    forwarded_claim,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
    paid_template,
)

CHECK_DATE = date(2026, 3, 2)
_checks = itertools.count(81001)


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


@pytest.fixture(scope="module")
def humana_id(practice: ClaimPractice) -> uuid.UUID:
    """A payer that is the patient's tertiary coverage, after Cigna."""
    with practice.database.transaction() as session:
        payer = Payer(name="Humana", payer_code="HUM01", claim_filing_indicator="CI")
        session.add(payer)
        session.flush()
        return payer.id


def eob(
    practice: ClaimPractice, payer_id: uuid.UUID, amount: str, claim: AdjudicationForm
) -> EobForm:
    return EobForm(
        payer_id=payer_id,
        check_number=f"XO{next(_checks)}",
        check_date=CHECK_DATE,
        amount=Decimal(amount),
        claims=[claim],
    )


def post(practice: ClaimPractice, form: EobForm) -> SaveOutcome:
    with practice.database.transaction() as session:
        return eob_entry.post_paper_eob(session, practice.biller, form)


def cigna_paid(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    """Cigna's EOB: 16.00 of the 20.00 coinsurance paid, 4.00 left to the patient."""
    return paid_template(practice, claim_id, "16.00", ("OA", "23", "100.00"), ("PR", "2", "4.00"))


def adjudications(practice: ClaimPractice, claim_id: uuid.UUID) -> list[PayerAdjudication]:
    with practice.database.reading() as session:
        query = (
            select(PayerAdjudication)
            .where(PayerAdjudication.claim_id == claim_id)
            .order_by(PayerAdjudication.created_at)
        )
        return list(session.scalars(query))


def test_crossover_payer_eob_posts(practice: ClaimPractice) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id)
    assert practice.claim(claim_id).status == "forwarded"
    assert claim_buckets(practice, claim_id) == [
        {Bucket("secondary", practice.cigna_id): Decimal("20.00")}
    ]
    form = eob(practice, practice.cigna_id, "16.00", cigna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert outcome.saved, outcome.problems
    # Cigna's bucket is settled, with 16.00 paid and 4.00 moved to the patient.
    assert claim_buckets(practice, claim_id) == [{PATIENT: Decimal("4.00")}]
    aetna, cigna = adjudications(practice, claim_id)
    assert aetna.payer_id == practice.aetna_id
    assert aetna.crossed_over
    assert not aetna.voided
    assert cigna.payer_id == practice.cigna_id
    assert cigna.paid_amount == Decimal("16.00")
    # A paper EOB has no status code, so Cigna's is the one for a secondary payer.
    assert cigna.claim_status_code == "2"
    assert not cigna.voided
    with practice.database.reading() as session:
        source = session.scalars(
            select(RemittanceClaim).where(RemittanceClaim.remittance_id == outcome.record_id)
        ).one()
    assert source.adjudication_id == cigna.id
    assert source.state == "posted"
    assert practice.claim(claim_id).status == "paid"
    # The caller's form still names no payer, because the service works on a copy.
    assert form.claims[0].payer_id is None
    assert ledger_findings(practice) == []


def test_crossover_template_for_payer(practice: ClaimPractice) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id)

    with practice.database.transaction() as session:
        claim = eob_entry.eob_claim(session, practice.biller, claim_id)

    assert claim.payer_id == practice.aetna_id
    assert claim.payers == ((practice.aetna_id, "Aetna"), (practice.cigna_id, "Cigna"))
    assert claim.next_payer_id == practice.cigna_id
    assert claim.accepts(practice.cigna_id)
    assert claim.template.payer_id == practice.cigna_id
    assert claim.template.claim_status_code == "2"
    assert claim.template.payer_claim_number is None


def test_crossover_payer_posts_once(practice: ClaimPractice) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id)
    first = eob(practice, practice.cigna_id, "16.00", cigna_paid(practice, claim_id))
    assert post(practice, first).saved

    again = eob(practice, practice.cigna_id, "16.00", cigna_paid(practice, claim_id))
    outcome = post(practice, again)

    assert not outcome.saved
    (message,) = [problem.message for problem in outcome.problems]
    assert "already has a posted payment of $16.00" in message
    assert claim_buckets(practice, claim_id) == [{PATIENT: Decimal("4.00")}]


def test_crossover_payer_bills_third_payer(practice: ClaimPractice, humana_id: uuid.UUID) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id, humana_id)
    form = eob(practice, practice.cigna_id, "16.00", cigna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert outcome.saved, outcome.problems
    # Cigna's 4.00 coinsurance moves on to Humana, the third coverage, and Humana is billed.
    assert claim_buckets(practice, claim_id) == [{Bucket("tertiary", humana_id): Decimal("4.00")}]
    forwarded = practice.claim(claim_id)
    with practice.database.reading() as session:
        built = session.scalars(
            select(Claim).where(
                Claim.patient_id == forwarded.patient_id, Claim.payer_id == humana_id
            )
        ).one()
        others = load_other_payers(session, [built])[built.id]
        ahead = [(source.payer.name, source.adjudication is not None) for source in others]
        billed = list(
            session.scalars(select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == built.id))
        )
        original = list(
            session.scalars(select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim_id))
        )
    assert built.payer_sequence == "T"
    assert billed == original
    # The 837 to Humana reports both payers ahead of it with their adjudications.
    assert ahead == [("Aetna", True), ("Cigna", True)]
    assert ledger_findings(practice) == []


def test_other_payer_after_crossover_rejected(
    practice: ClaimPractice, humana_id: uuid.UUID
) -> None:
    claim_id = forwarded_claim(practice, practice.cigna_id, humana_id)
    number = practice.claim(claim_id).claim_number
    form = eob(practice, humana_id, "16.00", cigna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert not outcome.saved
    (problem,) = outcome.problems
    assert problem.field == "claims[0]"
    assert problem.message == (
        f"Claim {number} is billed to Aetna, which forwarded it to Cigna (crossover), not "
        "to Humana; post it on an EOB from Aetna or Cigna, or choose the payer that issued "
        "the check."
    )
    assert len(adjudications(practice, claim_id)) == 1
    assert claim_buckets(practice, claim_id) == [
        {Bucket("secondary", practice.cigna_id): Decimal("20.00")}
    ]


def test_secondary_without_crossover_rejected(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id, practice.cigna_id))
    number = practice.claim(claim_id).claim_number
    form = eob(practice, practice.cigna_id, "16.00", cigna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert not outcome.saved
    (problem,) = outcome.problems
    assert problem.message == (
        f"Claim {number} is billed to Aetna, not Cigna; post it on an EOB from Aetna, or "
        "choose the payer that issued the check."
    )
    assert adjudications(practice, claim_id) == []
