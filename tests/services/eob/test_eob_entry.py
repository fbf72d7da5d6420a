"""Posting a paper EOB: the check, each claim's adjudication and its ledger rows, all or nothing."""

import json
import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import NotFoundError, PermissionDeniedError
from app.models.claims import PayerAdjudication
from app.models.ledger import LedgerEntry
from app.models.payments import Remittance, RemittanceClaim
from app.services import eob_entry
from app.services.claim_cob import AdjudicationForm, AdjustmentForm
from app.services.eob_entry import EobForm
from app.services.line_balances import PATIENT, Bucket
from app.services.outcomes import SaveOutcome
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    claim_buckets,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
)

CHECK_DATE = date(2026, 3, 2)
_checks = iter(range(70001, 79999))


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def template(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    with practice.database.transaction() as session:
        return eob_entry.eob_template(session, practice.biller, claim_id)


def aetna_paid(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    """Aetna's usual settlement of the $120 visit: $15 contract write-off, $20 coinsurance."""
    form = template(practice, claim_id)
    form.adjudicated_on = CHECK_DATE
    form.lines[0].paid_amount = Decimal("85.00")
    form.lines[0].adjustments = [
        AdjustmentForm("CO", "45", Decimal("15.00")),
        AdjustmentForm("PR", "2", Decimal("20.00")),
    ]
    form.paid_amount = Decimal("85.00")
    return form


def eob(practice: ClaimPractice, amount: str, *claims: AdjudicationForm) -> EobForm:
    return EobForm(
        payer_id=practice.aetna_id,
        check_number=f"CHK{next(_checks)}",
        check_date=CHECK_DATE,
        amount=Decimal(amount),
        method="CHK",
        claims=list(claims),
    )


def post(practice: ClaimPractice, form: EobForm) -> SaveOutcome:
    with practice.database.transaction() as session:
        return eob_entry.post_paper_eob(session, practice.biller, form)


def written_for(practice: ClaimPractice, form: EobForm) -> tuple[int, int, int]:
    """Count the remittances with the EOB's check number, adjudications and posted rows."""
    claim_ids = [claim.claim_id for claim in form.claims]
    with practice.database.reading() as session:
        remittances = session.scalar(
            select(func.count())
            .select_from(Remittance)
            .where(Remittance.trace_number == form.check_number)
        )
        adjudications = session.scalar(
            select(func.count())
            .select_from(PayerAdjudication)
            .where(PayerAdjudication.claim_id.in_(claim_ids))
        )
        rows = session.scalar(
            select(func.count())
            .select_from(LedgerEntry)
            .join(RemittanceClaim, RemittanceClaim.id == LedgerEntry.source_id)
            .where(RemittanceClaim.claim_id.in_(claim_ids))
        )
    return int(remittances or 0), int(adjudications or 0), int(rows or 0)


def messages(outcome: SaveOutcome) -> list[str]:
    return [problem.message for problem in outcome.problems]


def test_template_lists_lines_unpaid(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id), ("99213", "99214"))

    form = template(practice, claim_id)

    assert form.claim_id == claim_id
    assert form.claim_status_code == "1"
    assert form.paid_amount == Decimal("0.00")
    assert form.source == "paper"
    assert len(form.lines) == 2
    assert all(line.paid_amount == Decimal("0.00") for line in form.lines)
    assert all(line.adjustments == [] for line in form.lines)
    assert all(line.procedure_code is None for line in form.lines)


def test_balanced_eob_posts(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = eob(practice, "85.00", aetna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert outcome.saved, outcome.problems
    with practice.database.reading() as session:
        remittance = session.get(Remittance, outcome.record_id)
        assert remittance is not None
        (source,) = session.scalars(
            select(RemittanceClaim).where(RemittanceClaim.remittance_id == remittance.id)
        ).all()
    assert remittance.source == "paper"
    assert remittance.trace_number == form.check_number
    assert remittance.payment_method == "CHK"
    assert remittance.payment_amount == Decimal("85.00")
    assert remittance.status == "posted"
    assert source.claim_id == claim_id
    assert source.state == "posted"
    assert source.patient_responsibility == Decimal("20.00")
    assert source.adjudication_id is not None
    stored = json.loads(source.segments)
    assert stored["format"] == "paper_eob"
    assert stored["adjudication"]["paid_amount"] == "85.00"
    assert practice.claim(claim_id).status == "paid"
    (line,) = claim_buckets(practice, claim_id)
    assert line == {PATIENT: Decimal("20.00")}
    assert ledger_findings(practice) == []


def test_two_claims_on_one_check(practice: ClaimPractice) -> None:
    first = new_claim(practice, new_patient(practice, practice.aetna_id))
    second = new_claim(practice, new_patient(practice, practice.aetna_id))
    denied = template(practice, second)
    denied.claim_status_code = "4"
    denied.lines[0].adjustments = [AdjustmentForm("CO", "50", Decimal("120.00"))]
    form = eob(practice, "85.00", aetna_paid(practice, first), denied)

    outcome = post(practice, form)

    assert outcome.saved, outcome.problems
    assert written_for(practice, form)[:2] == (1, 2)
    assert practice.claim(first).status == "paid"
    assert practice.claim(second).status == "denied"
    (line,) = claim_buckets(practice, second)
    assert line == {Bucket("primary", practice.aetna_id): Decimal("120.00")}
    assert ledger_findings(practice) == []


def test_check_total_mismatch_rejected(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = eob(practice, "90.00", aetna_paid(practice, claim_id))

    outcome = post(practice, form)

    assert not outcome.saved
    assert messages(outcome) == [
        "The claims' paid amounts add up to $85.00 but the check amount is $90.00; check "
        "each claim's paid amount against the EOB, or correct the check amount."
    ]
    assert written_for(practice, form) == (0, 0, 0)


def test_unbalanced_line_rejects_everything(practice: ClaimPractice) -> None:
    first = new_claim(practice, new_patient(practice, practice.aetna_id))
    second = new_claim(practice, new_patient(practice, practice.aetna_id))
    wrong = aetna_paid(practice, second)
    wrong.lines[0].adjustments[0].amount = Decimal("10.00")
    form = eob(practice, "170.00", aetna_paid(practice, first), wrong)
    number = practice.claim(second).claim_number

    outcome = post(practice, form)

    assert not outcome.saved
    (message,) = messages(outcome)
    assert message.startswith(f"Claim {number}: Line 1 does not balance")
    assert "charge $120.00 minus adjustments $30.00 is $90.00" in message
    assert outcome.problems[0].field == "claims[1].lines"
    assert written_for(practice, form) == (0, 0, 0)
    assert practice.claim(first).status != "paid"


def test_other_payer_claim_rejected(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.cigna_id))
    form = eob(practice, "85.00", aetna_paid(practice, claim_id))
    number = practice.claim(claim_id).claim_number

    outcome = post(practice, form)

    assert not outcome.saved
    assert messages(outcome)[0].startswith(f"Claim {number} is billed to Cigna, not Aetna")
    assert written_for(practice, form) == (0, 0, 0)


def test_same_check_rejected_twice(practice: ClaimPractice) -> None:
    first = new_claim(practice, new_patient(practice, practice.aetna_id))
    second = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = eob(practice, "85.00", aetna_paid(practice, first))
    assert post(practice, form).saved
    again = eob(practice, "85.00", aetna_paid(practice, second))
    again.check_number = form.check_number

    outcome = post(practice, again)

    assert not outcome.saved
    assert messages(outcome)[0].startswith(
        f"Check {form.check_number} from Aetna for $85.00 was already posted from a paper EOB"
    )


def test_posted_claim_rejected_again(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    assert post(practice, eob(practice, "85.00", aetna_paid(practice, claim_id))).saved

    outcome = post(practice, eob(practice, "85.00", aetna_paid(practice, claim_id)))

    assert not outcome.saved
    assert "already has a posted payment of $85.00" in messages(outcome)[0]


def test_header_problems_listed(practice: ClaimPractice) -> None:
    form = eob(practice, "5.00")
    form.check_number = " "
    form.method = "NON"
    form.check_date = date(2099, 1, 1)

    outcome = post(practice, form)

    fields = [problem.field for problem in outcome.problems]
    assert fields == ["check_number", "check_date", "amount", "claims"]


def test_find_claim_by_number(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    number = practice.claim(claim_id).claim_number

    with practice.database.transaction() as session:
        found = eob_entry.find_eob_claim(session, practice.biller, f" {number.lower()} ")
        with pytest.raises(NotFoundError, match="No claim has the number NOPE-1"):
            eob_entry.find_eob_claim(session, practice.biller, "nope-1")

    assert found.claim_id == claim_id
    assert found.payer_name == "Aetna"
    assert found.total_charge == Decimal("120.00")
    assert [line.procedure_code for line in found.lines] == ["99213"]


def test_posting_needs_claim_permission(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = eob(practice, "85.00", aetna_paid(practice, claim_id))

    with pytest.raises(PermissionDeniedError), practice.database.transaction() as session:
        eob_entry.post_paper_eob(session, practice.charge.front_desk, form)
