"""The payer simulator: deterministic, balanced 835s that echo the claims' own numbers."""

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import select, update

from app.db.database import Database
from app.models.claims import Claim, ClaimLine
from app.services.claim_cob import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    record_adjudication,
)
from app.services.claim_status import ClaimStatus
from app.services.encounters import LineForm
from app.services.payer_simulator import SimulationPlan, simulate_remittances
from app.x12.reader_835 import balance_problems, read_835
from app.x12.validate import pyx12_errors
from app.x12.writer_835 import write_835
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice, build_claim_practice

PAID_ON = date(2026, 3, 20)
WHEN = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)


def _practice_with_sent_claims(database: Database) -> tuple[ClaimPractice, list[uuid.UUID]]:
    """Post six more visits of one or two lines, build every claim and mark them accepted."""
    practice = build_claim_practice(database)
    for offset in range(6):
        lines = [LineForm(procedure_code="99213")]
        if offset % 2:
            lines.append(LineForm(procedure_code="99214"))
        practice.post(practice.form(lines, day=VISIT_DAY - timedelta(days=offset + 1)))
    claim_ids = practice.build().claim_ids
    with database.transaction() as session:
        session.execute(
            update(Claim)
            .where(Claim.id.in_(claim_ids))
            .values(status=ClaimStatus.ACCEPTED.value, sent_at=WHEN)
        )
    return practice, claim_ids


def _file(practice: ClaimPractice, claim_ids: list[uuid.UUID], plan: SimulationPlan) -> str:
    with practice.database.session() as session:
        simulated = simulate_remittances(session, claim_ids, plan)
    return write_835(
        [item.remittance for item in simulated],
        control_number=7,
        sender_id="TESTHOUSE",
        receiver_id="LAKESIDE",
        when=WHEN,
    )


def test_simulator_file_echoes_claims(database: Database) -> None:
    practice, claim_ids = _practice_with_sent_claims(database)
    text = _file(practice, claim_ids, SimulationPlan(seed=4, payment_date=PAID_ON))
    again = _file(practice, claim_ids, SimulationPlan(seed=4, payment_date=PAID_ON))
    other = _file(practice, claim_ids, SimulationPlan(seed=5, payment_date=PAID_ON))
    with database.session() as session:
        numbers = set(session.scalars(select(Claim.claim_number)))
        line_numbers = set(session.scalars(select(ClaimLine.line_control_number)))
    (remittance,) = read_835(text)
    services = [service for claim in remittance.claims for service in claim.services]
    statuses = {claim.status_code for claim in remittance.claims}
    reasons = {
        cas.reason_code
        for claim in remittance.claims
        for service in claim.services
        for cas in service.adjustments
    }

    assert text == again
    assert text != other
    assert pyx12_errors(text) == []
    assert balance_problems(remittance) == []
    assert {claim.patient_control_number for claim in remittance.claims} == numbers
    assert {service.line_control_number for service in services} == line_numbers
    assert all(claim.payer_claim_number for claim in remittance.claims)
    assert statuses <= {"1", "4"}
    assert "45" in reasons
    assert reasons & {"197", "16"}
    assert [item.reason_code for item in remittance.provider_adjustments] == ["L6"]


def test_simulator_skips_unsent_claims(database: Database) -> None:
    practice, claim_ids = _practice_with_sent_claims(database)
    with database.transaction() as session:
        session.execute(
            update(Claim).where(Claim.id == claim_ids[0]).values(status=ClaimStatus.READY.value)
        )
        skipped = session.get_one(Claim, claim_ids[0]).claim_number
    text = _file(practice, claim_ids, SimulationPlan(seed=4, payment_date=PAID_ON))
    (remittance,) = read_835(text)

    assert skipped not in {claim.patient_control_number for claim in remittance.claims}
    assert len(remittance.claims) == len(claim_ids) - 1


def _paid_form(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    """Settle every line with a $15 contractual write-off and $20 coinsurance."""
    lines = [
        LineAdjudicationForm(
            claim_line_id=line.id,
            paid_amount=line.charge_amount - Decimal("35.00"),
            adjustments=[
                AdjustmentForm("CO", "45", Decimal("15.00")),
                AdjustmentForm("PR", "2", Decimal("20.00")),
            ],
        )
        for line in practice.claim_lines(claim_id)
    ]
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=sum((line.paid_amount for line in lines), Decimal("0.00")),
        adjudicated_on=PAID_ON - timedelta(days=10),
        payer_claim_number="AET-7781",
        lines=lines,
    )


def test_reprocessed_claim_reversed_then_paid(database: Database) -> None:
    practice, claim_ids = _practice_with_sent_claims(database)
    form = _paid_form(practice, claim_ids[0])
    with database.transaction() as session:
        record_adjudication(session, practice.biller, form).raise_if_rejected()

    plan = SimulationPlan(seed=4, payment_date=PAID_ON, reprocess_claim_ids=(claim_ids[0],))
    text = _file(practice, [], plan)
    (remittance,) = read_835(text)
    reversal, correction = remittance.claims

    assert pyx12_errors(text) == []
    assert balance_problems(remittance) == []
    assert reversal.status_code == "22"
    assert reversal.paid == -form.paid_amount
    assert reversal.payer_claim_number == "AET-7781"
    assert [cas.amount for cas in reversal.services[0].adjustments] == [
        Decimal("-15.00"),
        Decimal("-20.00"),
    ]
    assert correction.status_code == "1"
    assert correction.patient_control_number == reversal.patient_control_number
    assert correction.payer_claim_number != reversal.payer_claim_number
    assert remittance.payment_amount >= Decimal("0.00")
