"""Posting payer adjudications to the ledger: payments, write-offs, transfers, denials."""

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import PermissionDeniedError, UserError
from app.models.claims import (
    Claim,
    ClaimEvent,
    ClaimFinding,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.models.ledger import LedgerEntry
from app.models.payments import ProviderAdjustment, RemittanceClaim
from app.models.practice import Payer
from app.services import ledger
from app.services.claim_cob import AdjudicationForm, AdjustmentForm, LineAdjudicationForm
from app.services.era_posting import (
    apply_plans,
    post_adjudication,
    provider_account,
    reverse_posting,
)
from app.services.era_posting_plan import plan_adjudication
from app.services.line_balances import PATIENT, Bucket
from app.services.today import practice_today
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    PAID_ON,
    add_source,
    claim_buckets,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
    record,
    record_and_post,
)

D = Decimal


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


@pytest.fixture(scope="module")
def medicare_id(practice: ClaimPractice) -> uuid.UUID:
    """A third payer, for patients with three coverages."""
    with practice.database.transaction() as session:
        payer = Payer(name="Medicare", payer_code="MCR01", claim_filing_indicator="MB")
        session.add(payer)
        session.flush()
        return payer.id


def primary(practice: ClaimPractice) -> Bucket:
    return Bucket("primary", practice.aetna_id)


def line_form(
    practice: ClaimPractice, claim_id: uuid.UUID, paid: str, *adjustments: tuple[str, str, str]
) -> AdjudicationForm:
    """A one-line adjudication: paid amount and (group, reason, amount) adjustments."""
    (line,) = practice.claim_lines(claim_id)
    items = [AdjustmentForm(group, reason, D(amount)) for group, reason, amount in adjustments]
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D(paid),
        adjudicated_on=PAID_ON,
        payer_claim_number="ICN-1",
        lines=[LineAdjudicationForm(claim_line_id=line.id, paid_amount=D(paid), adjustments=items)],
    )


def claim_rows(practice: ClaimPractice, claim_id: uuid.UUID) -> list[LedgerEntry]:
    """Return the remittance rows posted on the claim's lines."""
    with practice.database.reading() as session:
        charge_lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == claim_id)
        query = select(LedgerEntry).where(
            LedgerEntry.charge_line_id.in_(charge_lines),
            LedgerEntry.source_type == "remittance_claim",
        )
        return list(session.scalars(query))


def findings(practice: ClaimPractice, claim_id: uuid.UUID) -> list[ClaimFinding]:
    with practice.database.reading() as session:
        query = select(ClaimFinding).where(
            ClaimFinding.claim_id == claim_id, ClaimFinding.archived.is_(False)
        )
        return list(session.scalars(query))


def line_statuses(practice: ClaimPractice, claim_id: uuid.UUID) -> list[str]:
    return [line.status for line in practice.claim_lines(claim_id)]


def claims_to(practice: ClaimPractice, patient_id: uuid.UUID, payer_id: uuid.UUID) -> list[Claim]:
    with practice.database.reading() as session:
        query = select(Claim).where(Claim.patient_id == patient_id, Claim.payer_id == payer_id)
        return list(session.scalars(query))


# ---- payments, write-offs and transfers -----------------------------------------------------


def test_full_payment_with_contract_write_off(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)

    adjudication_id, result = record_and_post(
        practice, line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    )

    assert result.paid == D("105.00")
    assert result.written_off == D("15.00")
    assert result.to_patient == D("0.00")
    assert result.to_next_payer == D("0.00")
    assert result.denied_lines == 0
    assert result.secondary_claim_id is None
    assert result.ledger_rows == 2
    assert claim_buckets(practice, claim_id) == [{}]
    rows = sorted((row.entry_type, row.amount) for row in claim_rows(practice, claim_id))
    assert rows == [("adjustment", D("-15.00")), ("payment", D("-105.00"))]
    assert all(row.responsible_party == "primary" for row in claim_rows(practice, claim_id))
    assert all(row.payer_id == practice.aetna_id for row in claim_rows(practice, claim_id))
    assert practice.claim(claim_id).status == "paid"
    assert line_statuses(practice, claim_id) == ["paid"]
    with practice.database.reading() as session:
        source = session.scalars(
            select(RemittanceClaim).where(RemittanceClaim.claim_id == claim_id)
        ).one()
    assert source.state == "posted"
    assert source.adjudication_id == adjudication_id
    assert source.posted_at is not None
    assert ledger_findings(practice) == []


def test_deductible_goes_to_patient(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)

    _, result = record_and_post(
        practice,
        line_form(practice, claim_id, "65.00", ("CO", "45", "35.00"), ("PR", "1", "20.00")),
    )

    assert result.to_patient == D("20.00")
    assert result.written_off == D("35.00")
    assert result.secondary_claim_id is None
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("20.00")}]
    transfers = sorted(
        (row.responsible_party, row.amount)
        for row in claim_rows(practice, claim_id)
        if row.entry_type == "transfer"
    )
    assert transfers == [("patient", D("20.00")), ("primary", D("-20.00"))]
    assert ledger_findings(practice) == []


def test_zero_payment_moves_all_to_patient(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)

    _, result = record_and_post(
        practice, line_form(practice, claim_id, "0.00", ("PR", "1", "120.00"))
    )

    assert result.paid == D("0.00")
    assert result.to_patient == D("120.00")
    assert result.denied_lines == 0
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("120.00")}]
    assert practice.claim(claim_id).status == "paid"
    assert line_statuses(practice, claim_id) == ["paid"]
    assert ledger_findings(practice) == []


def test_coinsurance_to_secondary_payer(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id, practice.cigna_id)
    claim_id = new_claim(practice, patient_id)

    _, result = record_and_post(
        practice,
        line_form(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00")),
    )

    assert result.to_next_payer == D("20.00")
    assert result.to_patient == D("0.00")
    assert claim_buckets(practice, claim_id) == [
        {Bucket("secondary", practice.cigna_id): D("20.00")}
    ]
    assert result.secondary_claim_id is not None
    secondary = practice.claim(result.secondary_claim_id)
    assert secondary.payer_id == practice.cigna_id
    assert secondary.payer_sequence == "S"
    assert ledger_findings(practice) == []


def test_secondary_payment_clears_its_bucket(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id, practice.cigna_id)
    claim_id = new_claim(practice, patient_id)
    _, first = record_and_post(
        practice,
        line_form(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00")),
    )
    assert first.secondary_claim_id is not None

    # Cigna reports the primary's share as OA 23; only its own bucket's 20.00 is left.
    form = line_form(
        practice, first.secondary_claim_id, "15.00", ("OA", "23", "100.00"), ("PR", "2", "5.00")
    )
    _, second = record_and_post(practice, form)

    assert second.paid == D("15.00")
    assert second.to_patient == D("5.00")
    assert second.written_off == D("0.00")
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("5.00")}]
    assert ledger_findings(practice) == []


def test_crossover_moves_balance_without_claim(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id, practice.cigna_id)
    claim_id = new_claim(practice, patient_id)
    form = line_form(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00"))
    form.claim_status_code = "19"

    _, result = record_and_post(practice, form)

    assert result.to_next_payer == D("20.00")
    assert result.secondary_claim_id is None
    assert claims_to(practice, patient_id, practice.cigna_id) == []
    assert claim_buckets(practice, claim_id) == [
        {Bucket("secondary", practice.cigna_id): D("20.00")}
    ]
    assert practice.claim(claim_id).status == "forwarded"
    assert ledger_findings(practice) == []


def test_tertiary_payer_gets_secondary_share(
    practice: ClaimPractice, medicare_id: uuid.UUID
) -> None:
    patient_id = new_patient(practice, practice.aetna_id, practice.cigna_id, medicare_id)
    claim_id = new_claim(practice, patient_id)
    _, first = record_and_post(
        practice, line_form(practice, claim_id, "100.00", ("PR", "2", "20.00"))
    )
    assert first.secondary_claim_id is not None

    form = line_form(
        practice, first.secondary_claim_id, "10.00", ("OA", "23", "100.00"), ("PR", "3", "10.00")
    )
    _, second = record_and_post(practice, form)

    assert second.to_next_payer == D("10.00")
    assert second.secondary_claim_id is not None
    assert practice.claim(second.secondary_claim_id).payer_sequence == "T"
    assert claim_buckets(practice, claim_id) == [{Bucket("tertiary", medicare_id): D("10.00")}]
    assert ledger_findings(practice) == []


def test_claim_level_adjustments_spread(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id, ("99213", "99214"))
    first, second = practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("282.00"),
        adjudicated_on=PAID_ON,
        adjustments=[
            AdjustmentForm("CO", "45", D("10.00")),
            AdjustmentForm("PR", "2", D("3.00")),
        ],
        lines=[
            LineAdjudicationForm(claim_line_id=first.id, paid_amount=D("120.00")),
            LineAdjudicationForm(claim_line_id=second.id, paid_amount=D("175.00")),
        ],
    )

    _, result = record_and_post(practice, form)

    assert result.paid == D("282.00")
    assert result.written_off == D("10.00")
    assert result.to_patient == D("3.00")
    # 10.00 * 120/295 is 4.07 and 3.00 * 120/295 is 1.22; the last line takes the rest.
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("1.22")}, {PATIENT: D("1.78")}]
    payments = {
        row.charge_line_id: row.amount
        for row in claim_rows(practice, claim_id)
        if row.entry_type == "payment"
    }
    assert payments == {
        first.charge_line_id: D("-114.71"),
        second.charge_line_id: D("-167.29"),
    }
    write_offs = {
        row.charge_line_id: row.amount
        for row in claim_rows(practice, claim_id)
        if row.entry_type == "adjustment"
    }
    assert write_offs == {first.charge_line_id: D("-4.07"), second.charge_line_id: D("-5.93")}
    assert ledger_findings(practice) == []


def test_claim_level_only_remittance(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id, ("99213", "99214"))
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("200.00"),
        adjudicated_on=PAID_ON,
        adjustments=[AdjustmentForm("CO", "45", D("95.00"))],
    )

    _, result = record_and_post(practice, form)

    assert result.paid == D("200.00")
    assert result.written_off == D("95.00")
    assert claim_buckets(practice, claim_id) == [{}, {}]
    assert ledger_findings(practice) == []


# ---- denials and review ---------------------------------------------------------------------


def test_denied_line_becomes_work_item(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    loop = (
        "CLP*PCN*1*120*0**12*ICN77~MOA***MA130~SVC*HC:99213*120*0**1~DTM*472*20260202~"
        "CAS*CO*197*120~LQ*HE*N54~"
    )

    _, result = record_and_post(
        practice, line_form(practice, claim_id, "0.00", ("CO", "197", "120.00")), loop
    )

    assert result.denied_lines == 1
    assert result.ledger_rows == 0
    claim = practice.claim(claim_id)
    assert claim.status == "denied"
    assert line_statuses(practice, claim_id) == ["denied"]
    with practice.database.reading() as session:
        today = practice_today(session)
    assert claim.follow_up_on == today + timedelta(days=7)
    (finding,) = findings(practice, claim_id)
    assert finding.rule == "era.denial"
    assert finding.severity == "error"
    assert finding.field == "claim"
    assert "CO-197" in finding.message
    assert "MA130" in finding.message
    assert "N54" in finding.message
    assert "authorization" in finding.message
    with practice.database.reading() as session:
        details = session.scalars(
            select(ClaimEvent.detail).where(
                ClaimEvent.claim_id == claim_id, ClaimEvent.event == "denied"
            )
        ).all()
    follow_up = f"Follow up by {today + timedelta(days=7):%m/%d/%Y}."
    assert any(follow_up in (detail or "") for detail in details)
    assert claim_buckets(practice, claim_id) == [{primary(practice): D("120.00")}]
    assert ledger_findings(practice) == []


def test_denied_claim_keeps_balance(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="4",
        paid_amount=D("0.00"),
        adjudicated_on=PAID_ON,
        adjustments=[AdjustmentForm("PR", "27", D("120.00"))],
    )

    _, result = record_and_post(practice, form)

    # CLP02 4: even the PR amount stays with the payer until a biller checks eligibility.
    assert result.to_patient == D("0.00")
    assert result.denied_lines == 1
    assert practice.claim(claim_id).status == "denied"
    (finding,) = findings(practice, claim_id)
    assert "PR-27" in finding.message
    assert claim_buckets(practice, claim_id) == [{primary(practice): D("120.00")}]
    assert ledger_findings(practice) == []


def test_partly_denied_claim(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id, ("99213", "99214"))
    first, second = practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("100.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=first.id,
                paid_amount=D("100.00"),
                adjustments=[AdjustmentForm("CO", "45", D("20.00"))],
            ),
            LineAdjudicationForm(
                claim_line_id=second.id,
                paid_amount=D("0.00"),
                adjustments=[AdjustmentForm("CO", "50", D("175.00"))],
            ),
        ],
    )

    _, result = record_and_post(practice, form)

    assert result.denied_lines == 1
    assert practice.claim(claim_id).status == "partial"
    assert line_statuses(practice, claim_id) == ["paid", "denied"]
    assert claim_buckets(practice, claim_id) == [{}, {primary(practice): D("175.00")}]
    (finding,) = findings(practice, claim_id)
    assert "CO-50" in finding.message
    assert ledger_findings(practice) == []


def test_review_adjustment_stays_and_warns(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)

    _, result = record_and_post(
        practice, line_form(practice, claim_id, "100.00", ("OA", "94", "20.00"))
    )

    assert result.written_off == D("0.00")
    assert result.denied_lines == 0
    assert claim_buckets(practice, claim_id) == [{primary(practice): D("20.00")}]
    # The 20.00 stays with the payer, so neither the claim nor its line reads paid.
    claim = practice.claim(claim_id)
    assert claim.status == "partial"
    assert line_statuses(practice, claim_id) == ["partial"]
    with practice.database.reading() as session:
        today = practice_today(session)
    assert claim.follow_up_on == today + timedelta(days=7)
    (line,) = practice.claim_lines(claim_id)
    (finding,) = findings(practice, claim_id)
    assert finding.rule == "era.review"
    assert finding.severity == "warning"
    assert finding.claim_line_id == line.id
    assert finding.message.startswith("Line 1 (99213): OA-94 of $20.00 was held for review")
    assert "stays with Aetna" in finding.message
    assert "write the amount off" in finding.message
    assert ledger_findings(practice) == []


# ---- reversal, batches and guards -----------------------------------------------------------


def test_reversal_restores_charge(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    adjudication_id, _ = record_and_post(
        practice,
        line_form(practice, claim_id, "65.00", ("CO", "45", "35.00"), ("PR", "1", "20.00")),
    )

    with practice.database.transaction() as session:
        reverse_posting(session, practice.biller, adjudication_id, "Payer reversed (CLP02 22)")

    assert claim_buckets(practice, claim_id) == [{primary(practice): D("120.00")}]
    rows = claim_rows(practice, claim_id)
    assert sum((row.amount for row in rows), D("0.00")) == D("0.00")
    assert sum(1 for row in rows if row.entry_type == "reversal") == 4
    with practice.database.reading() as session:
        adjudication = session.get(PayerAdjudication, adjudication_id)
        assert adjudication is not None
        assert adjudication.voided
        source = session.scalars(
            select(RemittanceClaim).where(RemittanceClaim.adjudication_id == adjudication_id)
        ).one()
    assert source.state == "reversed"
    assert practice.claim(claim_id).status == "pending"
    assert ledger_findings(practice) == []

    with practice.database.transaction() as session, pytest.raises(UserError):
        reverse_posting(session, practice.biller, adjudication_id, "Again")


def test_reversal_then_corrected_payment(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    adjudication_id, _ = record_and_post(
        practice, line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    )
    with practice.database.transaction() as session:
        reverse_posting(session, practice.biller, adjudication_id, "Payer reversed (CLP02 22)")

    _, result = record_and_post(
        practice,
        line_form(practice, claim_id, "95.00", ("CO", "45", "15.00"), ("PR", "2", "10.00")),
    )

    assert result.paid == D("95.00")
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("10.00")}]
    assert ledger_findings(practice) == []


def test_posting_twice_is_rejected(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    form = line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)
    with practice.database.transaction() as session:
        post_adjudication(session, practice.biller, adjudication_id, source_id=source_id)

    with practice.database.transaction() as session, pytest.raises(UserError) as raised:
        post_adjudication(session, practice.biller, adjudication_id, source_id=source_id)

    assert "already posted" in str(raised.value)
    assert claim_buckets(practice, claim_id) == [{}]


def test_front_desk_cannot_post(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    form = line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)

    with practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        post_adjudication(session, practice.charge.front_desk, adjudication_id, source_id=source_id)


def test_batch_of_plans_posts_once(practice: ClaimPractice) -> None:
    plans = []
    claim_ids = []
    for _ in range(3):
        patient_id = new_patient(practice, practice.aetna_id)
        claim_id = new_claim(practice, patient_id)
        form = line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
        adjudication_id = record(practice, form)
        source_id = add_source(practice, claim_id, form)
        claim_ids.append(claim_id)
        plans.append((adjudication_id, source_id))

    with practice.database.transaction() as session:
        planned = [plan_adjudication(session, adj, source) for adj, source in plans]
        results = apply_plans(session, practice.biller, planned)

    assert [result.claim_id for result in results] == claim_ids
    assert all(result.ledger_rows == 2 for result in results)
    for claim_id in claim_ids:
        assert claim_buckets(practice, claim_id) == [{}]
    assert ledger_findings(practice) == []


def test_batch_rejects_shared_lines(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    form = line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    adjudication_id = record(practice, form)
    first = add_source(practice, claim_id, form)
    second = add_source(practice, claim_id, form)

    with practice.database.transaction() as session, pytest.raises(ValueError):
        plans = [
            plan_adjudication(session, adjudication_id, first),
            plan_adjudication(session, adjudication_id, second),
        ]
        apply_plans(session, practice.biller, plans)


# ---- the provider account -------------------------------------------------------------------


def test_provider_account_totals(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    source_id = add_source(practice, claim_id, line_form(practice, claim_id, "120.00"))
    with practice.database.transaction() as session:
        source = session.get(RemittanceClaim, source_id)
        assert source is not None
        remittance_id = source.remittance_id
        for reason, amount in (("L6", "-2.50"), ("WO", "40.00"), ("WO", "10.00")):
            session.add(
                ProviderAdjustment(
                    remittance_id=remittance_id,
                    provider_identifier="1234567893",
                    reason_code=reason,
                    reference="ICN-1",
                    amount=D(amount),
                )
            )

    with practice.database.reading() as session:
        accounts = provider_account(session, practice.biller)
        later = provider_account(session, practice.biller, since=PAID_ON + timedelta(days=1))

    totals = {account.reason_code: account.total for account in accounts}
    assert totals == {"WO": D("50.00"), "L6": D("-2.50")}
    assert [account.reason_code for account in accounts] == ["WO", "L6"]
    assert len(accounts[0].rows) == 2
    assert accounts[0].rows[0].claim_id is None
    assert accounts[1].label != "L6"
    assert later == []


def test_crossover_without_next_coverage(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    form = line_form(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00"))
    form.claim_status_code = "19"

    _, result = record_and_post(practice, form)

    assert result.to_patient == D("20.00")
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("20.00")}]
    (finding,) = findings(practice, claim_id)
    assert finding.rule == "era.review"
    assert "forwarded" in finding.message
    assert ledger_findings(practice) == []


def test_payment_beyond_bucket_warns(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id)
    claim_id = new_claim(practice, patient_id)
    (line,) = practice.claim_lines(claim_id)
    # Someone moved the charge to the patient before the payer paid.
    with practice.database.transaction() as session:
        for party, payer_id, amount in (
            ("primary", practice.aetna_id, "-120.00"),
            ("patient", None, "120.00"),
        ):
            ledger.post_entry(
                session,
                practice.biller,
                entry_type="transfer",
                amount=D(amount),
                patient_id=patient_id,
                responsible_party=party,
                payer_id=payer_id,
                charge_line_id=line.charge_line_id,
            )

    _, result = record_and_post(
        practice, line_form(practice, claim_id, "105.00", ("CO", "45", "15.00"))
    )

    # Nothing is left to write off, so the credit with Aetna is the payment alone.
    assert result.written_off == D("0.00")
    assert claim_buckets(practice, claim_id) == [
        {primary(practice): D("-105.00"), PATIENT: D("120.00")}
    ]
    (finding,) = findings(practice, claim_id)
    assert finding.rule == "era.balance"
    assert ledger_findings(practice) == []


def test_split_line_limits_write_off(practice: ClaimPractice) -> None:
    patient_id = new_patient(practice, practice.aetna_id, practice.cigna_id)
    claim_id = new_claim(practice, patient_id)
    _, first = record_and_post(
        practice,
        line_form(practice, claim_id, "85.00", ("CO", "45", "15.00"), ("PR", "2", "20.00")),
    )
    assert first.secondary_claim_id is not None
    form = line_form(
        practice, first.secondary_claim_id, "10.00", ("OA", "23", "100.00"), ("PR", "2", "10.00")
    )
    adjudication_id = record(practice, form)
    # A second service line for the same billed line, as a payer splitting it would send.
    (line,) = practice.claim_lines(first.secondary_claim_id)
    with practice.database.transaction() as session:
        split = PayerLineAdjudication(
            adjudication_id=adjudication_id,
            claim_line_id=line.id,
            procedure_code=line.procedure_code,
            units=1,
            charge_amount=D("30.00"),
            paid_amount=D("0.00"),
        )
        session.add(split)
        session.flush()
        session.add(
            PayerAdjustment(
                adjudication_id=adjudication_id,
                line_adjudication_id=split.id,
                group_code="OA",
                reason_code="23",
                amount=D("30.00"),
            )
        )
    source_id = add_source(practice, first.secondary_claim_id, form)

    with practice.database.transaction() as session:
        result = post_adjudication(session, practice.biller, adjudication_id, source_id=source_id)

    assert result.written_off == D("0.00")
    assert claim_buckets(practice, claim_id) == [{PATIENT: D("10.00")}]
    assert ledger_findings(practice) == []
