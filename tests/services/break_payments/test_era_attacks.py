"""Attacks on 835 posting: crossover payer remittances, AMT*I interest, CO-97 write-offs.

Each is checked for money to the cent per bucket, for duplicate delivery and for the
payer's reversal, with ledger verify finding nothing afterwards.
"""

import logging
import uuid
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDeniedError, UserError
from app.models.payments import ProviderAdjustment, RemittanceClaim
from app.security.permissions import Actor, Role
from app.services.era_queue import post_reviewed
from app.services.x12_responses import AlreadyImportedError
from app.x12.writer_835 import WrittenCas
from tests.helpers.era_data import BuiltClaim, EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import (
    ADJUSTED,
    PAID,
    add_secondary_coverage,
    buckets,
    cas,
    claim_payments,
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
from tests.services.era.test_bundled import BUNDLED_ADJUSTED, BUNDLED_PAID, findings
from tests.services.era.test_crossover import crossed_over_claim, secondary_payment

INTEREST = Decimal("1.50")


def interest_total(practice: EraPractice) -> Decimal:
    """Return the sum of the interest rows (L6) on the provider account, PLB sign."""
    with practice.database.reading() as session:
        total = session.scalar(
            select(func.sum(ProviderAdjustment.amount)).where(
                ProviderAdjustment.reason_code == "L6"
            )
        )
    return total or Decimal("0.00")


def test_crossover_payer_interest(era_practice: EraPractice) -> None:
    claim, _primary, (_secondary_id, secondary) = crossed_over_claim(era_practice)
    plain = secondary_payment(claim)
    with_interest = written_claim(
        claim,
        paid=[str(service.paid) for service in plain.services],
        adjustments=[service.adjustments for service in plain.services],
        status_code="2",
        payer_claim_number="SEC-ICN-2",
        interest=INTEREST,
    )
    text = write_remittance(
        [with_interest], payer=secondary, trace_number=trace(), control_number=control()
    )

    result = import_text(era_practice, text)

    assert result.posted == 1
    assert result.paid_total == Decimal("9.50")
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    assert interest_total(era_practice) == -INTEREST
    assert ledger_findings(era_practice) == []


def test_crossover_payer_delivered_twice(era_practice: EraPractice) -> None:
    claim, _primary, (_secondary_id, secondary) = crossed_over_claim(era_practice)
    number = trace()
    text = write_remittance(
        [secondary_payment(claim)], payer=secondary, trace_number=number, control_number=control()
    )
    import_text(era_practice, text)
    rows_before = ledger_rows(era_practice)

    with pytest.raises(AlreadyImportedError):
        import_text(era_practice, text)
    again = write_remittance(
        [secondary_payment(claim)], payer=secondary, trace_number=number, control_number=control()
    )
    result = import_text(era_practice, again, "again.835")

    assert result.posted == 0
    assert result.duplicates == 1
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    assert ledger_findings(era_practice) == []


def test_crossover_payer_reversal_to_cent(era_practice: EraPractice) -> None:
    claim, _primary, (_secondary_id, secondary) = crossed_over_claim(era_practice)
    paid = secondary_payment(claim)
    first = write_remittance(
        [paid], payer=secondary, trace_number=trace(), control_number=control()
    )
    import_text(era_practice, first)
    taken_back = reversal_remittance(paid, secondary, "-8.00")

    result = import_text(era_practice, taken_back)

    assert result.posted == 1
    # The deductible goes back to the secondary payer, as before its payment.
    assert buckets(era_practice, claim) == {secondary[0]: Decimal("10.00")}
    assert ledger_findings(era_practice) == []


def test_interest_claim_twice_in_one_file(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    text = write_remittance(
        [written, written], payer=payer, trace_number=trace(), control_number=control()
    )

    result = import_text(era_practice, text)

    states = [row.state for row in claim_payments(era_practice, result.response_id)]
    # The payer paid the claim twice in one check: the repeat waits unapplied for a
    # biller, and neither its payment nor its interest posts.
    assert states == ["posted", "unapplied"]
    assert interest_total(era_practice) == -INTEREST
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    assert ledger_findings(era_practice) == []


def test_bundled_reversal_restores_payer(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=BUNDLED_PAID, adjustments=BUNDLED_ADJUSTED)
    import_text(
        era_practice,
        write_remittance([written], payer=payer, trace_number=trace(), control_number=control()),
    )
    assert buckets(era_practice, claim) == {}
    taken_back = reversal_remittance(written, payer, "-110.00")

    result = import_text(era_practice, taken_back)

    assert result.posted == 1
    # The CO-97 write-off is reversed with the payment: the whole charge is the payer's again.
    assert buckets(era_practice, claim) == {payer[0]: Decimal("160.00")}
    # The warning to resubmit with a modifier goes with the write-off it was about.
    assert findings(era_practice, claim) == []
    assert ledger_findings(era_practice) == []


def test_bundled_delivered_twice(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=BUNDLED_PAID, adjustments=BUNDLED_ADJUSTED)
    number = trace()
    import_text(
        era_practice,
        write_remittance([written], payer=payer, trace_number=number, control_number=control()),
    )
    rows_before = ledger_rows(era_practice)
    flags_before = findings(era_practice, claim)

    result = import_text(
        era_practice,
        write_remittance([written], payer=payer, trace_number=number, control_number=control()),
        "again.835",
    )

    assert result.duplicates == 1
    assert ledger_rows(era_practice) == rows_before
    assert findings(era_practice, claim) == flags_before
    assert len(flags_before) == 1
    assert buckets(era_practice, claim) == {}


def test_import_logs_no_patient_names(
    era_practice: EraPractice, caplog: pytest.LogCaptureFixture
) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, patient=("ZYLSTRA", "QUENTIN", "MZ0000001"))
    written = written_claim(
        claim, paid=BUNDLED_PAID, adjustments=BUNDLED_ADJUSTED, interest=INTEREST
    )
    caplog.set_level(logging.DEBUG)

    import_text(
        era_practice,
        write_remittance([written], payer=payer, trace_number=trace(), control_number=control()),
    )

    assert "ZYLSTRA" not in caplog.text.upper()
    assert "QUENTIN" not in caplog.text.upper()
    assert "MZ0000001" not in caplog.text


def _held_interest_claim(era_practice: EraPractice) -> tuple[BuiltClaim, uuid.UUID, str]:
    """Import a claim paid with interest from a payer whose payments wait for review.

    Returns the claim, the claim payment's id and the payer's name.
    """
    payer_id, payer = new_payer(era_practice, "review")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"
    return claim, row.id, payer[0]


def test_reviewed_interest_posted_once(era_practice: EraPractice) -> None:
    claim, row_id, _payer_name = _held_interest_claim(era_practice)
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row_id)
    rows_before = ledger_rows(era_practice)

    with era_practice.database.transaction() as session, pytest.raises(UserError) as raised:
        post_reviewed(session, era_practice.biller, row_id)

    assert str(raised.value) == (
        f"Claim payment {claim.claim_number} is posted, not waiting for review; refresh the queue."
    )
    assert interest_total(era_practice) == -INTEREST
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    assert ledger_findings(era_practice) == []


def test_desk_cannot_post_reviewed(era_practice: EraPractice) -> None:
    claim, row_id, payer_name = _held_interest_claim(era_practice)
    rows_before = ledger_rows(era_practice)
    desk = Actor(
        era_practice.biller.user_id,
        "desk",
        Role.FRONT_DESK,
        era_practice.biller.workstation,
    )

    with era_practice.database.transaction() as session, pytest.raises(PermissionDeniedError):
        post_reviewed(session, desk, row_id)

    assert interest_total(era_practice) == Decimal("0.00")
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {payer_name: Decimal("160.00")}


def test_unapplied_repeat_posted_by_hand(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, interest=INTEREST)
    text = write_remittance(
        [written, written], payer=payer, trace_number=trace(), control_number=control()
    )
    result = import_text(era_practice, text)
    _posted, repeat = claim_payments(era_practice, result.response_id)
    rows_before = ledger_rows(era_practice)

    with era_practice.database.transaction() as session, pytest.raises(UserError) as raised:
        post_reviewed(session, era_practice.biller, repeat.id, claim.claim_id)

    message = str(raised.value)
    assert message.startswith(f"Claim {claim.claim_number} already has a posted era payment")
    assert "$100.00" in message
    assert "set this claim payment aside" in message
    assert interest_total(era_practice) == -INTEREST
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}


@pytest.mark.parametrize(
    ("paid", "adjusted", "left"),
    [
        # Part of the 97110 line paid, the rest bundled.
        (["110.00", "15.00"], [[cas("CO", "45", "10.00")], [cas("CO", "97", "25.00")]], {}),
        # PI is written off by contract as CO is.
        (["110.00", "0.00"], [[cas("CO", "45", "10.00")], [cas("PI", "97", "40.00")]], {}),
        # The deductible on the bundled line still goes to the patient.
        (
            ["110.00", "0.00"],
            [[cas("CO", "45", "10.00")], [cas("CO", "97", "30.00"), cas("PR", "1", "10.00")]],
            {"patient": Decimal("10.00")},
        ),
    ],
)
def test_bundled_variants_to_cent(
    era_practice: EraPractice,
    paid: list[str],
    adjusted: list[list[WrittenCas]],
    left: dict[str, Decimal],
) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=paid, adjustments=adjusted)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert buckets(era_practice, claim) == left
    assert [finding[0] for finding in findings(era_practice, claim)] == ["era.write_off_flag"]
    assert ledger_findings(era_practice) == []


def primary_reversal(claim: BuiltClaim, primary_name: str, secondary: tuple[str, str]) -> str:
    """Return the primary payer's 835 reversing the payment it forwarded to `secondary`."""
    primary = (primary_name, f"TP{int(primary_name.rsplit(maxsplit=1)[-1]):05d}")
    return reversal_remittance(forwarded_claim(claim, secondary[0]), primary, "-100.00")


def claim_payment(practice: EraPractice, row_id: uuid.UUID) -> RemittanceClaim:
    """Return one claim payment by id (detached, for reading columns)."""
    with practice.database.reading() as session:
        row = session.get(RemittanceClaim, row_id)
        assert row is not None
        return row


def crossover_paid_then_primary_reversed(
    practice: EraPractice,
) -> tuple[BuiltClaim, str, tuple[str, str], uuid.UUID]:
    """Post a crossover and the crossover payer's payment, then import the primary's reversal.

    Returns the claim, the primary's name, the secondary payer and the reversal's row id.
    """
    claim, (_primary_id, primary_name), (_secondary_id, secondary) = crossed_over_claim(practice)
    import_text(
        practice,
        write_remittance(
            [secondary_payment(claim)],
            payer=secondary,
            trace_number=trace(),
            control_number=control(),
        ),
    )
    result = import_text(practice, primary_reversal(claim, primary_name, secondary))
    (row,) = claim_payments(practice, result.response_id)
    return claim, primary_name, secondary, row.id


def test_primary_reversal_after_crossover_paid(era_practice: EraPractice) -> None:
    claim, primary_name, secondary, row_id = crossover_paid_then_primary_reversed(era_practice)

    row = claim_payment(era_practice, row_id)
    assert row.state == "review"
    reason = row.review_reason or ""
    assert (
        f"{primary_name} reversed its payment of claim {claim.claim_number} after "
        f"{secondary[0]} paid as the crossover payer." in reason
    )
    assert f"Post this reversal after {secondary[0]}'s reversal is posted" in reason
    # Nothing is posted: the crossover payer's 8.00 and the patient's 2.00 stand.
    owed = buckets(era_practice, claim)
    assert owed == {"patient": Decimal("2.00")}
    assert ledger_findings(era_practice) == []
    # A payer's credit is never more than it paid, or a payer refund would overpay it.
    assert owed.get(secondary[0], Decimal("0")) >= Decimal("-8.00")


def test_primary_reversal_approval_rejected(era_practice: EraPractice) -> None:
    claim, _primary_name, secondary, row_id = crossover_paid_then_primary_reversed(era_practice)
    rows_before = ledger_rows(era_practice)

    rejected = f"after {secondary[0]}'s reversal is posted"
    with (
        pytest.raises(UserError, match=rejected),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, row_id)

    assert claim_payment(era_practice, row_id).state == "review"
    assert ledger_rows(era_practice) == rows_before
    assert buckets(era_practice, claim) == {"patient": Decimal("2.00")}
    assert ledger_findings(era_practice) == []


def test_primary_reversal_after_crossover_reversal(era_practice: EraPractice) -> None:
    claim, _primary_name, secondary, row_id = crossover_paid_then_primary_reversed(era_practice)
    taken_back = reversal_remittance(secondary_payment(claim), secondary, "-8.00", "SEC-ICN-1")
    assert import_text(era_practice, taken_back).posted == 1

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row_id)

    owed = buckets(era_practice, claim)
    # Both payments are taken back, so the primary payer owes the whole charge again.
    assert sum(owed.values(), Decimal("0")) == Decimal("160.00")
    assert owed.get(secondary[0], Decimal("0")) >= Decimal("-8.00")
    assert owed.get("patient", Decimal("0")) == Decimal("0.00")
    assert ledger_findings(era_practice) == []


def test_unapplied_interest_follows_chosen_claim(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        interest=INTEREST,
        patient_control_number="NOSUCH1",
        payer_claim_number="ICN-X",
    )
    written = replace(written, patient_last="OTHER", member_id="ZZ999")
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "unapplied"
    # Nothing is stored for the interest until a biller chooses the claim.
    assert interest_total(era_practice) == Decimal("0.00")

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row.id, claim.claim_id)

    with era_practice.database.reading() as session:
        stored = [
            (item.amount, item.claim_id, item.reference)
            for item in session.scalars(select(ProviderAdjustment))
        ]
    assert stored == [(-INTEREST, claim.claim_id, "ICN-X")]
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    assert ledger_findings(era_practice) == []


def test_crossover_with_interest_from_primary(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    next_id, next_payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    add_secondary_coverage(era_practice, claim, next_id)
    forwarded = forwarded_claim(claim, next_payer[0], payer_claim_number="", interest=INTEREST)
    text = write_remittance(
        [forwarded], payer=payer, trace_number=trace(), control_number=control()
    )

    result = import_text(era_practice, text)

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert result.paid_total == Decimal("101.50")
    assert buckets(era_practice, claim) == {next_payer[0]: Decimal("10.00")}
    assert interest_total(era_practice) == -INTEREST
    assert ledger_findings(era_practice) == []
