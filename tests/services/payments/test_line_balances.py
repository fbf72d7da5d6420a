"""Line balances summed from the ledger, charge rows of both kinds, and open patient lines."""

import uuid
from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest

from app.models.ledger import LedgerEntry
from app.services import ledger
from app.services.claim_cob import AdjudicationForm, AdjustmentForm, LineAdjudicationForm
from app.services.encounters import LineForm
from app.services.line_balances import line_balances, line_buckets, open_patient_lines
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    PAID_ON,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
    record_and_post,
)

D = Decimal


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def charge_lines(practice: ClaimPractice, claim_id: uuid.UUID) -> list[uuid.UUID]:
    return [line.charge_line_id for line in practice.claim_lines(claim_id)]


def deductible(practice: ClaimPractice, claim_id: uuid.UUID, amount: str) -> None:
    """Post the claim's adjudication: every line's charge minus `amount` paid, `amount` PR-1."""
    lines = practice.claim_lines(claim_id)
    line_forms = [
        LineAdjudicationForm(
            claim_line_id=line.id,
            paid_amount=line.charge_amount - D(amount),
            adjustments=[AdjustmentForm("PR", "1", D(amount))],
        )
        for line in lines
    ]
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=sum((item.paid_amount for item in line_forms), D("0.00")),
        adjudicated_on=PAID_ON,
        lines=line_forms,
    )
    record_and_post(practice, form)


def test_charge_counted_once(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id, ("99213", "99214"))
    first, second = charge_lines(practice, claim_id)

    with practice.database.reading() as session:
        balances = line_balances(session, [first, second, first])

    assert balances == {first: {"Aetna": D("120.00")}, second: {"Aetna": D("175.00")}}


def test_line_without_rows(practice: ClaimPractice) -> None:
    missing = uuid.uuid4()

    with practice.database.reading() as session:
        balances = line_balances(session, [missing])

    assert balances == {missing: {}}


def test_old_charge_rows_counted(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    (line_id,) = charge_lines(practice, claim_id)

    # A row as charges were posted before ledger rows named their line: by source only.
    with practice.database.transaction() as session:
        old = ledger.post_entry(
            session,
            practice.biller,
            entry_type="adjustment",
            amount=D("-20.00"),
            patient_id=patient_id,
            responsible_party="primary",
            payer_id=practice.aetna_id,
            source_type=ledger.CHARGE_LINE_SOURCE,
            source_id=line_id,
        )
        old_id = old.id
    with practice.database.reading() as session:
        stored = session.get(LedgerEntry, old_id)
        assert stored is not None
        assert stored.charge_line_id is None
        after_old = line_balances(session, [line_id])

    with practice.database.transaction() as session:
        ledger.reverse_entry(session, practice.biller, old_id, "Posted in error")
    with practice.database.reading() as session:
        after_reversal = line_balances(session, [line_id])

    assert after_old == {line_id: {"Aetna": D("100.00")}}
    assert after_reversal == {line_id: {"Aetna": D("120.00")}}
    assert ledger_findings(practice) == []


def test_old_charge_row_of_other_patient_ignored(practice: ClaimPractice) -> None:
    """A row naming the line by source but posted to another patient is not the line's."""
    patient_id = new_patient(practice, practice.aetna_id)
    other_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    (line_id,) = charge_lines(practice, claim_id)
    with practice.database.reading() as session:
        before = line_balances(session, [line_id])

    with practice.database.transaction() as session:
        ledger.post_entry(
            session,
            practice.biller,
            entry_type="adjustment",
            amount=D("-20.00"),
            patient_id=other_id,
            responsible_party="primary",
            payer_id=practice.aetna_id,
            source_type=ledger.CHARGE_LINE_SOURCE,
            source_id=line_id,
        )
    with practice.database.reading() as session:
        after = line_balances(session, [line_id])

    assert before == {line_id: {"Aetna": D("120.00")}}
    assert after == before


def test_buckets_by_payer_id(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    deductible(practice, claim_id, "30.00")
    (line_id,) = charge_lines(practice, claim_id)

    with practice.database.reading() as session:
        by_id = line_buckets(session, [line_id])
        by_name = line_balances(session, [line_id])

    # The payment and the transfer leave nothing with Aetna, so its bucket is left out.
    assert by_name == {line_id: {"patient": D("30.00")}}
    assert list(by_id[line_id].values()) == [D("30.00")]
    (bucket,) = by_id[line_id]
    assert bucket.responsible_party == "patient"
    assert bucket.payer_id is None


def test_open_patient_lines_oldest_first(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    later = practice.post(practice.form([LineForm(procedure_code="99214")], patient_id=patient_id))
    earlier = practice.post(
        practice.form(
            [LineForm(procedure_code="99213")], patient_id=patient_id, day=date(2026, 1, 26)
        )
    )
    claim_ids = practice.build([later, earlier]).claim_ids
    for claim_id in claim_ids:
        deductible(practice, claim_id, "25.00")
    unpaid = new_claim(practice, patient_id)

    with practice.database.reading() as session:
        lines = open_patient_lines(session, patient_id)

    assert [line.procedure_code for line in lines] == ["99213", "99214"]
    assert [line.service_date for line in lines] == [date(2026, 1, 26), date(2026, 2, 2)]
    assert [line.patient_balance for line in lines] == [D("25.00"), D("25.00")]
    assert [line.insurance_balance for line in lines] == [D("0.00"), D("0.00")]
    assert [line.charge for line in lines] == [D("120.00"), D("175.00")]
    assert charge_lines(practice, unpaid)[0] not in {line.charge_line_id for line in lines}
    assert ledger_findings(practice) == []


def test_open_line_with_insurance_left(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    (line,) = practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("70.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=D("70.00"),
                adjustments=[
                    AdjustmentForm("PR", "3", D("30.00")),
                    AdjustmentForm("OA", "94", D("20.00")),
                ],
            )
        ],
    )
    record_and_post(practice, form)

    with practice.database.reading() as session:
        (open_line,) = open_patient_lines(session, patient_id)

    assert open_line.patient_balance == D("30.00")
    assert open_line.insurance_balance == D("20.00")
