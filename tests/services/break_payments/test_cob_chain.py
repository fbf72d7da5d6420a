"""Attacks on reversals after a later payer paid, and on claims billed after a crossover.

The primary pays the era_steps `PAID` (100.00) and leaves a 10.00 deductible. A
secondary payer then settles that 10.00, on a claim of its own or on the primary's
claim by crossover, paying 8.00 and leaving 2.00 coinsurance. With a third coverage the
2.00 moves to the tertiary payer instead of the patient.
"""

import logging
import uuid
from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDeniedError, UserError
from app.models.claims import Claim, ClaimLine
from app.models.patients import Coverage
from app.models.payments import RemittanceClaim
from app.security.permissions import Actor, Role
from app.services.claim_cob import build_secondary_claim
from app.services.claim_corrections import void_claim
from app.services.claim_documents import claim_documents, submitter_for
from app.services.era_queue import post_reviewed
from app.x12.validate import pyx12_errors
from app.x12.writer_835 import WrittenClaim, WrittenPlb
from app.x12.writer_837p import write_837p
from tests.helpers.claim_data import add_clearinghouse
from tests.helpers.era_data import (
    BuiltClaim,
    EraPractice,
    reversal_of,
    write_remittance,
    written_claim,
)
from tests.services.era.era_steps import (
    ADJUSTED,
    PAID,
    SECONDARY_ADJUSTED,
    SECONDARY_PAID,
    add_secondary_coverage,
    buckets,
    cas,
    claim_payments,
    claim_to,
    control,
    forwarded_claim,
    import_text,
    ledger_findings,
    ledger_rows,
    new_claim,
    new_payer,
    reversal_remittance,
    trace,
)

# The primary's correction: 99213 paid 60.00 with a 20.00 deductible, 97110 as before.
CORRECTED_PAID = ["60.00", "30.00"]
CORRECTED_ADJUSTED = [
    [cas("CO", "45", "40.00"), cas("PR", "1", "20.00")],
    [cas("CO", "45", "10.00")],
]
Payer = tuple[uuid.UUID, tuple[str, str]]


# ---- steps -------------------------------------------------------------------------------


def add_coverage(
    practice: EraPractice, claim: BuiltClaim, payer_id: uuid.UUID, priority: int
) -> None:
    """Give the claim's patient one more coverage with `payer_id` at `priority`."""
    with practice.database.transaction() as session:
        session.add(
            Coverage(
                patient_id=claim.patient_id,
                payer_id=payer_id,
                priority=priority,
                member_id=f"COV{priority}",
            )
        )


def send(
    practice: EraPractice,
    payer: tuple[str, str],
    *claims: WrittenClaim,
    carried_forward: str | None = None,
) -> uuid.UUID | None:
    """Import a new 835 from `payer` with `claims`; return its response id.

    A file that takes back more than it pays carries the negative total forward as a
    PLB FB of `carried_forward`, so the check pays zero.
    """
    adjustments = []
    if carried_forward is not None:
        adjustments.append(WrittenPlb("FB", "CARRIED", Decimal(carried_forward)))
    text = write_remittance(
        list(claims),
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        provider_adjustments=adjustments,
    )
    return import_text(practice, text).response_id


def rows(practice: EraPractice, response_id: uuid.UUID | None) -> list[RemittanceClaim]:
    return claim_payments(practice, response_id)


def claims_to(practice: EraPractice, patient_id: uuid.UUID, payer_id: uuid.UUID) -> list[Claim]:
    """Return the patient's claims to `payer_id` (detached)."""
    with practice.database.reading() as session:
        query = select(Claim).where(Claim.patient_id == patient_id, Claim.payer_id == payer_id)
        return list(session.scalars(query))


def claim_to_id(
    practice: EraPractice, primary: BuiltClaim, claim_id: uuid.UUID, payer_id: uuid.UUID
) -> BuiltClaim:
    """Return the built claim `claim_id` to `payer_id` for some of `primary`'s services."""
    with practice.database.reading() as session:
        built = session.get(Claim, claim_id)
        assert built is not None
        lines = list(
            session.scalars(
                select(ClaimLine)
                .where(ClaimLine.claim_id == claim_id)
                .order_by(ClaimLine.line_number)
            )
        )
    return replace(
        primary,
        claim_id=built.id,
        claim_number=built.claim_number,
        payer_id=payer_id,
        line_ids=tuple(line.id for line in lines),
        control_numbers=tuple(line.line_control_number for line in lines),
    )


def secondary_payment(claim: BuiltClaim, status_code: str = "2") -> WrittenClaim:
    return written_claim(
        claim,
        paid=SECONDARY_PAID,
        adjustments=SECONDARY_ADJUSTED,
        status_code=status_code,
        payer_claim_number="SEC-ICN-9",
    )


def primary_paid(claim: BuiltClaim) -> WrittenClaim:
    return written_claim(claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number="PRI-ICN-9")


def secondary_claim_paid(practice: EraPractice) -> tuple[BuiltClaim, BuiltClaim, Payer, Payer]:
    """Post the primary's payment, then the secondary's payment of its own claim."""
    primary_id, primary = new_payer(practice)
    secondary_id, secondary = new_payer(practice)
    claim = new_claim(practice, primary_id)
    add_secondary_coverage(practice, claim, secondary_id)
    send(practice, primary, primary_paid(claim))
    second_claim = claim_to(practice, claim, secondary_id)
    send(practice, secondary, secondary_payment(second_claim))
    assert buckets(practice, claim) == {"patient": Decimal("2.00")}
    return claim, second_claim, (primary_id, primary), (secondary_id, secondary)


def crossover_with_third(
    practice: EraPractice,
) -> tuple[BuiltClaim, Payer, Payer, Payer]:
    """Post a primary crossover for a patient with three coverages."""
    primary_id, primary = new_payer(practice)
    secondary_id, secondary = new_payer(practice)
    tertiary_id, tertiary = new_payer(practice)
    claim = new_claim(practice, primary_id)
    add_coverage(practice, claim, secondary_id, 2)
    add_coverage(practice, claim, tertiary_id, 3)
    send(practice, primary, forwarded_claim(claim, secondary[0]))
    assert buckets(practice, claim) == {secondary[0]: Decimal("10.00")}
    return claim, (primary_id, primary), (secondary_id, secondary), (tertiary_id, tertiary)


# ---- reversal of the primary after the secondary's own claim -------------------------------


def test_reversal_and_correction_wait(era_practice: EraPractice) -> None:
    claim, second_claim, (_, primary), (_, secondary) = secondary_claim_paid(era_practice)
    rows_before = ledger_rows(era_practice)
    paid = primary_paid(claim)
    corrected = written_claim(
        claim, paid=CORRECTED_PAID, adjustments=CORRECTED_ADJUSTED, payer_claim_number="PRI-ICN-10"
    )
    response_id = send(
        era_practice, primary, reversal_of(paid), corrected, carried_forward="-10.00"
    )

    reversal, correction = rows(era_practice, response_id)
    assert reversal.state == "review"
    assert correction.state == "review"
    assert second_claim.claim_number in (reversal.review_reason or "")
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}

    # Approving the correction first raises UserError while its reversal waits.
    with (
        pytest.raises(UserError),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, correction.id)
    assert ledger_rows(era_practice) == rows_before

    # Neither a provider nor the front desk may approve it.
    admin = era_practice.admin
    provider = Actor(admin.user_id, Role.PROVIDER.value, Role.PROVIDER, admin.workstation)
    for actor in (provider, era_practice.front_desk):
        with (
            pytest.raises(PermissionDeniedError),
            era_practice.database.transaction() as session,
        ):
            post_reviewed(session, actor, reversal.id)

    taken_back = reversal_remittance(secondary_payment(second_claim), secondary, "-8.00", "S9")
    assert import_text(era_practice, taken_back).posted == 1
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, reversal.id)
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, correction.id)

    # The corrected deductible of 20.00 is the secondary's again, and its claim stays one.
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("20.00")}
    assert len(claims_to(era_practice, claim.patient_id, second_claim.payer_id)) == 1
    assert ledger_findings(era_practice) == []


def test_denied_secondary_no_wait(era_practice: EraPractice) -> None:
    primary_id, primary = new_payer(era_practice)
    secondary_id, secondary = new_payer(era_practice)
    claim = new_claim(era_practice, primary_id)
    add_secondary_coverage(era_practice, claim, secondary_id)
    paid = primary_paid(claim)
    send(era_practice, primary, paid)
    second_claim = claim_to(era_practice, claim, secondary_id)
    denial = written_claim(
        second_claim,
        paid=["0.00", "0.00"],
        adjustments=[
            [cas("OA", "23", "110.00"), cas("PR", "2", "10.00")],
            [cas("OA", "23", "40.00")],
        ],
        status_code="4",
        payer_claim_number="SEC-DENY",
    )
    denied = send(era_practice, secondary, denial)
    (denied_row,) = rows(era_practice, denied)
    assert denied_row.state == "posted", denied_row.review_reason
    # A denial keeps the balance in the secondary's bucket for a biller to work.
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("10.00")}

    response_id = send(era_practice, primary, reversal_of(paid), carried_forward="-100.00")

    # Reversing the primary takes the 10.00 back out of the secondary's bucket, which
    # leaves it at zero, since the secondary paid nothing.
    (row,) = rows(era_practice, response_id)
    assert "paid claim" not in (row.review_reason or "")
    assert row.state == "posted"
    owed = buckets(era_practice, claim)
    assert owed == {primary[0]: Decimal("160.00")}
    assert ledger_findings(era_practice) == []


def test_unpaid_secondary_claim_no_wait(era_practice: EraPractice) -> None:
    primary_id, primary = new_payer(era_practice)
    secondary_id, secondary = new_payer(era_practice)
    claim = new_claim(era_practice, primary_id)
    add_secondary_coverage(era_practice, claim, secondary_id)
    paid = primary_paid(claim)
    send(era_practice, primary, paid)
    assert len(claims_to(era_practice, claim.patient_id, secondary_id)) == 1

    response_id = send(era_practice, primary, reversal_of(paid), carried_forward="-100.00")

    (row,) = rows(era_practice, response_id)
    assert row.state == "posted"
    assert sum(buckets(era_practice, claim).values(), Decimal("0")) == Decimal("160.00")
    assert secondary[0] not in buckets(era_practice, claim)
    assert ledger_findings(era_practice) == []


def test_voided_paid_secondary_waits(era_practice: EraPractice) -> None:
    claim, second_claim, (_, primary), (_, secondary) = secondary_claim_paid(era_practice)
    with era_practice.database.transaction() as session:
        void_claim(session, era_practice.biller, second_claim.claim_id)

    response_id = send(
        era_practice, primary, reversal_of(primary_paid(claim)), carried_forward="-100.00"
    )

    # The secondary's 8.00 payment on the voided claim is still posted.
    (row,) = rows(era_practice, response_id)
    owed = buckets(era_practice, claim)
    assert owed.get(secondary[0], Decimal("0")) >= Decimal("0")
    assert row.state == "review"
    assert second_claim.claim_number in (row.review_reason or "")


def test_paid_tertiary_claim_waits_reversals(era_practice: EraPractice) -> None:
    """A paid tertiary claim keeps the crossover secondary's and the primary's reversals waiting."""
    claim, (_, primary), (_, secondary), (tertiary_id, tertiary) = crossover_with_third(
        era_practice
    )
    second = secondary_payment(claim)
    send(era_practice, secondary, second)
    (third,) = claims_to(era_practice, claim.patient_id, tertiary_id)
    third_claim = claim_to(era_practice, claim, tertiary_id)
    tertiary_paid = written_claim(
        third_claim,
        paid=["2.00", "0.00"],
        adjustments=[[cas("OA", "23", "118.00")], [cas("OA", "23", "40.00")]],
        payer_claim_number="TER-ICN-1",
    )
    send(era_practice, tertiary, tertiary_paid)
    assert buckets(era_practice, claim) == {}
    rows_before = ledger_rows(era_practice)

    secondary_back = send(era_practice, secondary, reversal_of(second), carried_forward="-8.00")
    primary_back = send(
        era_practice,
        primary,
        reversal_of(forwarded_claim(claim, secondary[0])),
        carried_forward="-100.00",
    )

    (secondary_row,) = rows(era_practice, secondary_back)
    (primary_row,) = rows(era_practice, primary_back)
    assert secondary_row.state == "review"
    assert third.claim_number in (secondary_row.review_reason or "")
    assert tertiary[0] in (secondary_row.review_reason or "")
    assert primary_row.state == "review"
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {}

    # Reversing from the last payer back to the first posts each in turn.
    send(era_practice, tertiary, reversal_of(tertiary_paid), carried_forward="-2.00")
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, secondary_row.id)
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, primary_row.id)
    assert buckets(era_practice, claim) == {primary[0]: Decimal("160.00")}
    assert ledger_findings(era_practice) == []


def test_split_claims_do_not_block(era_practice: EraPractice) -> None:
    """Two claims of one patient: the secondary paid one, the primary reverses the other."""
    primary_id, primary = new_payer(era_practice)
    secondary_id, secondary = new_payer(era_practice)
    first = new_claim(era_practice, primary_id, (("99213", "120.00"),))
    second = new_claim(era_practice, primary_id, (("97110", "40.00"),), patient=first.patient)
    assert second.patient_id == first.patient_id
    add_secondary_coverage(era_practice, first, secondary_id)
    first_paid = written_claim(
        first,
        paid=["70.00"],
        adjustments=[[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")]],
        payer_claim_number="PRI-A",
    )
    second_paid = written_claim(
        second,
        paid=["30.00"],
        adjustments=[[cas("CO", "45", "5.00"), cas("PR", "1", "5.00")]],
        payer_claim_number="PRI-B",
    )
    send(era_practice, primary, first_paid, second_paid)
    to_secondary = claims_to(era_practice, first.patient_id, secondary_id)
    assert len(to_secondary) == 2
    (second_to_secondary,) = [
        built for built in to_secondary if built.total_charge == Decimal("40.00")
    ]
    second_claim = claim_to_id(era_practice, second, second_to_secondary.id, secondary_id)
    send(
        era_practice,
        secondary,
        written_claim(
            second_claim,
            paid=["5.00"],
            adjustments=[[cas("OA", "23", "35.00")]],
            payer_claim_number="SEC-B",
        ),
    )
    assert buckets(era_practice, second) == {}

    response_id = send(era_practice, primary, reversal_of(first_paid), carried_forward="-70.00")

    (row,) = rows(era_practice, response_id)
    assert row.state == "posted", row.review_reason
    assert buckets(era_practice, first) == {primary[0]: Decimal("120.00")}
    assert buckets(era_practice, second) == {}
    assert ledger_findings(era_practice) == []


# ---- claims billed after a crossover --------------------------------------------------------


def test_crossover_bills_tertiary_once(era_practice: EraPractice) -> None:
    claim, _, (_, secondary), (tertiary_id, tertiary) = crossover_with_third(era_practice)
    second = secondary_payment(claim)

    send(era_practice, secondary, second)

    assert buckets(era_practice, claim) == {tertiary[0]: Decimal("2.00")}
    (third,) = claims_to(era_practice, claim.patient_id, tertiary_id)
    assert third.payer_sequence == "T"

    # The same payment again, then its reversal and a correction, bill no second claim.
    again = send(era_practice, secondary, second)
    (again_row,) = rows(era_practice, again)
    assert again_row.state == "review"
    assert "already has a posted" in (again_row.review_reason or "")
    send(era_practice, secondary, reversal_of(second), carried_forward="-8.00")
    corrected = written_claim(
        claim,
        paid=["6.00", "0.00"],
        adjustments=[
            [cas("OA", "23", "110.00"), cas("PR", "2", "4.00")],
            [cas("OA", "23", "40.00")],
        ],
        payer_claim_number="SEC-ICN-10",
    )
    send(era_practice, secondary, corrected)
    (third_after,) = claims_to(era_practice, claim.patient_id, tertiary_id)
    assert third_after.id == third.id
    assert buckets(era_practice, claim) == {tertiary[0]: Decimal("4.00")}
    # The tertiary claim's 837 reports the correction, not the reversed payment.
    with era_practice.database.reading() as session:
        built = claim_documents(session, [third.id])[third.id]
    assert [other.paid_amount for other in built.other_payers] == [
        Decimal("100.00"),
        Decimal("6.00"),
    ]
    assert ledger_findings(era_practice) == []


def test_secondary_crossover_builds_nothing(era_practice: EraPractice) -> None:
    claim, _, (_, secondary), (tertiary_id, tertiary) = crossover_with_third(era_practice)

    send(era_practice, secondary, secondary_payment(claim, status_code="19"))

    assert buckets(era_practice, claim) == {tertiary[0]: Decimal("2.00")}
    assert claims_to(era_practice, claim.patient_id, tertiary_id) == []

    # The tertiary payer's own remittance then settles the same claim.
    third = written_claim(
        claim,
        paid=["2.00", "0.00"],
        adjustments=[[cas("OA", "23", "118.00")], [cas("OA", "23", "40.00")]],
        payer_claim_number="TER-ICN-2",
    )
    response_id = send(era_practice, tertiary, third)
    (row,) = rows(era_practice, response_id)
    assert row.state == "posted"
    assert buckets(era_practice, claim) == {}
    assert ledger_findings(era_practice) == []


def test_forwarded_only_bills_nothing(era_practice: EraPractice) -> None:
    claim, _, _, (tertiary_id, _) = crossover_with_third(era_practice)

    with era_practice.database.transaction() as session:
        built = build_secondary_claim(session, era_practice.biller, claim.claim_id)

    # The secondary has the claim by crossover and has not settled it yet.
    assert built is None
    assert claims_to(era_practice, claim.patient_id, tertiary_id) == []
    assert claims_to(era_practice, claim.patient_id, claim.payer_id)[0].id == claim.claim_id


def test_bill_next_after_tertiary_rejected(era_practice: EraPractice) -> None:
    claim, _, (_, secondary), (tertiary_id, _) = crossover_with_third(era_practice)
    send(era_practice, secondary, secondary_payment(claim))
    (third,) = claims_to(era_practice, claim.patient_id, tertiary_id)

    with (
        pytest.raises(UserError) as raised,
        era_practice.database.transaction() as session,
    ):
        build_secondary_claim(session, era_practice.biller, claim.claim_id)

    assert third.claim_number in str(raised.value)
    assert len(claims_to(era_practice, claim.patient_id, tertiary_id)) == 1


def test_no_third_coverage_patient_owes(era_practice: EraPractice) -> None:
    primary_id, primary = new_payer(era_practice)
    secondary_id, secondary = new_payer(era_practice)
    claim = new_claim(era_practice, primary_id)
    add_secondary_coverage(era_practice, claim, secondary_id)
    send(era_practice, primary, forwarded_claim(claim, secondary[0]))

    send(era_practice, secondary, secondary_payment(claim))

    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    with era_practice.database.reading() as session:
        count = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.patient_id == claim.patient_id)
        )
    assert count == 1
    with (
        pytest.raises(UserError, match="no coverage after") as raised,
        era_practice.database.transaction() as session,
    ):
        build_secondary_claim(session, era_practice.biller, claim.claim_id)
    assert secondary[0] in str(raised.value)


def test_tertiary_837_lists_both_payers(era_practice: EraPractice) -> None:
    claim, (_, primary), (_, secondary), (tertiary_id, _) = crossover_with_third(era_practice)
    send(era_practice, secondary, secondary_payment(claim))
    (third,) = claims_to(era_practice, claim.patient_id, tertiary_id)
    clearinghouse_id = add_clearinghouse(era_practice.database)

    with era_practice.database.reading() as session:
        built = claim_documents(session, [third.id])[third.id]
        submitter = submitter_for(session, clearinghouse_id)
    written = write_837p(
        submitter,
        [built],
        interchange_number=9,
        group_number=9,
        created_at=datetime(2026, 3, 21, 9, 30, tzinfo=UTC),
    )

    assert pyx12_errors(written.text) == []
    assert [other.payer_sequence for other in built.other_payers] == ["P", "S"]
    assert [other.paid_amount for other in built.other_payers] == [
        Decimal("100.00"),
        Decimal("8.00"),
    ]
    text = written.text
    assert "SBR*T*" in text
    assert "AMT*D*100~" in text
    assert "AMT*D*8~" in text
    assert f"SVD*{primary[1]}*70*" in text
    assert f"SVD*{secondary[1]}*8*" in text
    assert "CAS*PR*2*2~" in text


def test_secondary_837_lists_primary_only(era_practice: EraPractice) -> None:
    """An ordinary secondary claim lists only the primary, with a third coverage on file."""
    claim, second_claim, (_, primary), _ = secondary_claim_paid(era_practice)
    tertiary_id, _ = new_payer(era_practice)
    add_coverage(era_practice, claim, tertiary_id, 3)

    with era_practice.database.reading() as session:
        built = claim_documents(session, [second_claim.claim_id])[second_claim.claim_id]

    assert [other.payer_sequence for other in built.other_payers] == ["P"]
    assert [other.paid_amount for other in built.other_payers] == [Decimal("100.00")]
    assert built.other_payers[0].payer.payer_code == primary[1]


# ---- permissions and logs ------------------------------------------------------------------


def test_front_desk_cannot_bill_next(era_practice: EraPractice) -> None:
    claim, _, _, _ = crossover_with_third(era_practice)
    with (
        pytest.raises(PermissionDeniedError),
        era_practice.database.transaction() as session,
    ):
        build_secondary_claim(session, era_practice.front_desk, claim.claim_id)


def test_reversal_logs_no_patient(
    era_practice: EraPractice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    claim, (_, primary), (_, secondary), _ = crossover_with_third(era_practice)
    second = secondary_payment(claim)
    send(era_practice, secondary, second)
    send(
        era_practice,
        primary,
        reversal_of(forwarded_claim(claim, secondary[0])),
        carried_forward="-100.00",
    )

    last, _, member_id = claim.patient
    for record in caplog.records:
        message = record.getMessage()
        assert last not in message
        assert member_id not in message
