"""Attacks mixing 835s with a closed period and with paper EOBs posted by hand."""

from collections.abc import Callable
from datetime import date
from decimal import Decimal

from app.services import eob_entry
from app.services.claim_cob import AdjustmentForm
from app.services.eob_entry import EobForm
from app.services.ledger import ledger_lock_date, set_ledger_lock_date
from app.services.outcomes import SaveOutcome
from tests.helpers.era_data import (
    BuiltClaim,
    EraPractice,
    reversal_of,
    write_remittance,
    written_claim,
)
from tests.services.era.era_steps import (
    balance,
    cas,
    claim_payments,
    control,
    import_text,
    new_claim,
    new_payer,
    trace,
)
from tests.services.era_break.money_checks import assert_ledger_intact

PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]
CHECK_DATE = date(2026, 2, 2)
# After the claims' date of service, before today.
LOCKED_THROUGH = date(2026, 6, 30)


def paper_eob(
    practice: EraPractice, claim: BuiltClaim, check_number: str, paid: tuple[str, str]
) -> SaveOutcome:
    """Post a paper EOB paying the claim's two lines, the rest written off."""
    with practice.database.transaction() as session:
        form = eob_entry.eob_template(session, practice.biller, claim.claim_id)
        form.adjudicated_on = CHECK_DATE
        for line, amount, charge in zip(form.lines, paid, ("120.00", "40.00"), strict=True):
            line.paid_amount = Decimal(amount)
            line.adjustments = [
                AdjustmentForm("CO", "45", Decimal(charge) - Decimal(amount)),
            ]
        form.paid_amount = sum((Decimal(amount) for amount in paid), Decimal(0))
        eob = EobForm(
            payer_id=claim.payer_id,
            check_number=check_number,
            check_date=CHECK_DATE,
            amount=form.paid_amount,
            method="CHK",
            claims=[form],
        )
        return eob_entry.post_paper_eob(session, practice.biller, eob)


def test_remittance_posts_into_closed_period(
    new_practice: Callable[[], EraPractice],
) -> None:
    practice = new_practice()
    payer_id, payer = new_payer(practice)
    claim = new_claim(practice, payer_id)
    with practice.database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, LOCKED_THROUGH)
        assert ledger_lock_date(session) == LOCKED_THROUGH
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        paid_on=date(2026, 7, 15),
    )

    result = import_text(practice, text)

    assert result.posted == 1
    assert balance(practice, claim) == Decimal("10.00")
    assert_ledger_intact(practice, claim)


def test_paper_check_number_equals_era_trace(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    by_era, by_paper = new_claim(era_practice, payer_id), new_claim(era_practice, payer_id)
    number = trace()
    text = write_remittance(
        [written_claim(by_era, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=number,
        control_number=control(),
    )
    assert import_text(era_practice, text).posted == 1

    outcome = paper_eob(era_practice, by_paper, number, ("90.00", "20.00"))

    assert outcome.saved, outcome.problems
    assert balance(era_practice, by_paper) == Decimal("0.00")
    assert_ledger_intact(era_practice, by_era, by_paper)


def test_era_after_paper_eob_of_same_payment(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    number = trace()
    assert paper_eob(era_practice, claim, number, ("80.00", "30.00")).saved
    text = write_remittance(
        [
            written_claim(
                claim,
                paid=["80.00", "30.00"],
                adjustments=[[cas("CO", "45", "40.00")], [cas("CO", "45", "10.00")]],
            )
        ],
        payer=payer,
        trace_number=number,
        control_number=control(),
        paid_on=CHECK_DATE,
    )

    result = import_text(era_practice, text)

    assert result.posted == 0
    assert balance(era_practice, claim) == Decimal("0.00")
    assert_ledger_intact(era_practice, claim)


def test_era_reversal_of_paper_posting(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    assert paper_eob(era_practice, claim, trace(), ("70.00", "30.00")).saved
    original = written_claim(
        claim,
        paid=["70.00", "30.00"],
        adjustments=[[cas("CO", "45", "50.00")], [cas("CO", "45", "10.00")]],
    )
    corrected = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
    )
    text = write_remittance(
        [reversal_of(original), corrected],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )

    result = import_text(era_practice, text)

    states = [row.state for row in claim_payments(era_practice, result.response_id)]
    assert states == ["posted", "posted"], states
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_paper_eob_posts_into_closed_period(
    new_practice: Callable[[], EraPractice],
) -> None:
    practice = new_practice()
    payer_id, _ = new_payer(practice)
    claim = new_claim(practice, payer_id)
    with practice.database.transaction() as session:
        set_ledger_lock_date(session, practice.manager, LOCKED_THROUGH)
        assert ledger_lock_date(session) == LOCKED_THROUGH

    outcome = paper_eob(practice, claim, trace(), ("90.00", "20.00"))

    assert outcome.saved, outcome.problems
    assert balance(practice, claim) == Decimal("0.00")
    assert_ledger_intact(practice, claim)


def test_paper_eob_of_claim_paid_by_era_rejected(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    assert import_text(era_practice, text).posted == 1

    outcome = paper_eob(era_practice, claim, trace(), ("90.00", "20.00"))

    assert not outcome.saved
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_paper_eob_listing_claim_twice_rejected(era_practice: EraPractice) -> None:
    payer_id, _ = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        form = eob_entry.eob_template(session, era_practice.biller, claim.claim_id)
        form.adjudicated_on = CHECK_DATE
        for line, charge in zip(form.lines, ("120.00", "40.00"), strict=True):
            line.paid_amount = Decimal(charge)
        form.paid_amount = Decimal("160.00")
        again = eob_entry.eob_template(session, era_practice.biller, claim.claim_id)
        again.adjudicated_on = CHECK_DATE
        for line, charge in zip(again.lines, ("120.00", "40.00"), strict=True):
            line.paid_amount = Decimal(charge)
        again.paid_amount = Decimal("160.00")
        eob = EobForm(
            payer_id=payer_id,
            check_number=trace(),
            check_date=CHECK_DATE,
            amount=Decimal("320.00"),
            method="CHK",
            claims=[form, again],
        )
        outcome = eob_entry.post_paper_eob(session, era_practice.biller, eob)

    assert not outcome.saved
    assert balance(era_practice, claim) == Decimal("160.00")
    assert_ledger_intact(era_practice, claim)
