"""The remittance queues: listing, the review detail, approving, manual matching, set aside."""

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import update

from app.errors import UserError
from app.models.payments import RemarkCode, Remittance
from app.models.practice import Payer
from app.services.era_queue import (
    QueueRow,
    post_reviewed,
    queue,
    remittance_list,
    review_detail,
    set_aside,
)
from app.services.ledger_verify import ledger_check
from app.services.scheduling_settings import practice_zone
from tests.helpers.era_data import (
    EraPractice,
    WrittenClaim,
    reversal_of,
    write_remittance,
    written_claim,
)
from tests.services.era.era_steps import (
    balance,
    cas,
    claim_payments,
    claim_status,
    control,
    import_text,
    ledger_rows,
    new_claim,
    new_payer,
    remittances,
    trace,
)

PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]
DENIED = [[cas("CO", "50", "120.00")], [cas("CO", "45", "10.00")]]


def test_review_detail_side_by_side(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="matched")
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        session.add(RemarkCode(kind="carc", code="50", description="Wording of 50", source="t"))
    written = written_claim(claim, paid=["0.00", "30.00"], adjustments=DENIED)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)

    with era_practice.database.reading() as session:
        detail = review_detail(session, era_practice.biller, row.id)

    assert detail.state == "review"
    assert detail.claim_number == claim.claim_number
    assert detail.patient_name == f"{claim.patient[0]}, {claim.patient[1]}"
    assert detail.claim_patient_name == f"{claim.patient[0]}, {claim.patient[1]}"
    assert [line.procedure_code for line in detail.billed_lines] == ["99213", "97110"]
    assert [line.charge for line in detail.billed_lines] == [Decimal("120.00"), Decimal("40.00")]
    assert [service.matched_line_number for service in detail.services] == [1, 2]
    first, second = (service.adjustments[0] for service in detail.services)
    assert first.group_label == "Contractual obligation"
    assert first.reason_code == "50"
    assert first.description == "Wording of 50"
    assert first.action == "denial"
    assert second.description == ""
    assert second.action == "write_off"
    assert detail.status_label == "Processed as primary"
    assert detail.balance_problems == ()
    assert "CO 50" in detail.reason


def test_approve_review_posts(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="matched")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=["0.00", "30.00"], adjustments=DENIED)
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    with era_practice.database.reading() as session:
        waiting = [
            item.remittance_claim_id for item in queue(session, era_practice.biller, "review")
        ]
    assert row.id in waiting

    with era_practice.database.transaction() as session:
        posted = post_reviewed(session, era_practice.biller, row.id)

    assert posted.paid == Decimal("30.00")
    assert posted.denied_lines == 1
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert row.review_reason is None
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "posted"
    assert balance(era_practice, claim) == Decimal("120.00")
    assert claim_status(era_practice, claim) in ("partial", "denied")
    with era_practice.database.reading() as session:
        waiting = [
            item.remittance_claim_id for item in queue(session, era_practice.biller, "review")
        ]
    assert row.id not in waiting


def test_manual_match_unapplied(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO-123",
        payer_claim_number="NOT-KNOWN",
    )
    written.patient_last = "MISSPELT"
    written.member_id = "WRONG0001"
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    with era_practice.database.reading() as session:
        unapplied = queue(session, era_practice.biller, "unapplied")
    assert row.id in [item.remittance_claim_id for item in unapplied]

    with (
        pytest.raises(UserError, match="matched no claim"),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, row.id)
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row.id, claim_id=claim.claim_id)

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert row.match_method == "manual"
    assert row.claim_id == claim.claim_id
    assert balance(era_practice, claim) == Decimal("10.00")


def test_manual_match_wrong_claim(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    other = new_claim(era_practice, payer_id, lines=(("99214", "175.00"),))
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, patient_control_number="LOST-9")
    written.payer_claim_number = "NOT-KNOWN"
    written.patient_last = "NOBODY"
    written.member_id = "NONE0001"
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    rows_before = ledger_rows(era_practice)

    with (
        pytest.raises(UserError, match="match no line"),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, row.id, claim_id=other.claim_id)

    assert ledger_rows(era_practice) == rows_before
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "unapplied"


def test_set_aside_leaves_unapplied(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)

    with (
        pytest.raises(UserError, match="Write why"),
        era_practice.database.transaction() as session,
    ):
        set_aside(session, era_practice.biller, row.id, "  ")
    with era_practice.database.transaction() as session:
        set_aside(session, era_practice.biller, row.id, "Payer called, check reissued")

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "unapplied"
    assert row.review_reason == "Set aside: Payer called, check reissued"
    assert balance(era_practice, claim) == Decimal("160.00")


def test_held_claim_posts_when_balanced(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        payment_amount=Decimal("99.00"),
    )
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)
    with era_practice.database.reading() as session:
        held = [item.remittance_claim_id for item in queue(session, era_practice.biller, "held")]
        review = [
            item.remittance_claim_id for item in queue(session, era_practice.biller, "review")
        ]
        listed = remittance_list(session, era_practice.biller, status="held")
    assert row.id in held
    assert row.id not in review
    (remittance_id,) = [item.remittance_id for item in listed if item.trace_number in text]
    assert remittance_id == row.remittance_id

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, row.id)

    assert balance(era_practice, claim) == Decimal("10.00")
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "posted"


def test_reversal_approved_before_correction(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    original = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    import_text(
        era_practice,
        write_remittance([original], payer=payer, trace_number=trace(), control_number=control()),
    )
    with era_practice.database.transaction() as session:
        session.get_one(Payer, payer_id).era_posting_mode = "review"
    corrected = written_claim(
        claim,
        paid=["80.00", "30.00"],
        adjustments=[
            [cas("CO", "45", "30.00"), cas("PR", "1", "10.00")],
            [cas("CO", "45", "10.00")],
        ],
    )
    text = write_remittance(
        [reversal_of(original), corrected],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    result = import_text(era_practice, text)
    reversal, correction = claim_payments(era_practice, result.response_id)
    assert (reversal.state, correction.state) == ("review", "review")
    assert "waits for review" in (correction.review_reason or "")

    with (
        pytest.raises(UserError, match="already has a posted"),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, correction.id)
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, reversal.id)
    assert balance(era_practice, claim) == Decimal("160.00")
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, correction.id)

    assert balance(era_practice, claim) == Decimal("10.00")
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "posted"
    with era_practice.database.transaction() as session:
        assert ledger_check(session, era_practice.manager) == []


def test_posted_claim_cannot_post_again(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    result = import_text(era_practice, text)
    (row,) = claim_payments(era_practice, result.response_id)

    with (
        pytest.raises(UserError, match="not waiting"),
        era_practice.database.transaction() as session,
    ):
        post_reviewed(session, era_practice.biller, row.id)


def test_unknown_queue_rejected(era_practice: EraPractice) -> None:
    with pytest.raises(ValueError, match="posted"), era_practice.database.reading() as session:
        queue(session, era_practice.biller, "posted")


def queued_row(
    era_practice: EraPractice, written: WrittenClaim, payer: tuple[str, str], state: str
) -> QueueRow:
    """Import one claim payment from `payer` and return its row in queue `state`."""
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    result = import_text(era_practice, text)
    (payment,) = claim_payments(era_practice, result.response_id)
    with era_practice.database.reading() as session:
        rows = queue(session, era_practice.biller, state)
    return next(row for row in rows if row.remittance_claim_id == payment.id)


def test_queue_names_matched_patient(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id, patient=("Lopez", "Ana", "M7654321"))
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number="PAYER-77")
    written.patient_last = "LOPEZ"
    written.patient_first = "ANA"

    row = queued_row(era_practice, written, payer, "review")

    assert row.claim_id == claim.claim_id
    assert row.patient_name == "Lopez, Ana"
    assert row.claim_number == claim.claim_number
    assert row.patient_control_number == claim.claim_number
    assert row.payer_claim_number == "PAYER-77"


def test_queue_unmatched_keeps_835_name(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, patient=("Lopez", "Ana", "M7654322"))
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO-124",
        payer_claim_number="NOT-KNOWN-2",
    )
    written.patient_last = "MISSPELT"
    written.member_id = "WRONG0002"

    row = queued_row(era_practice, written, payer, "unapplied")

    assert row.claim_id is None
    assert row.claim_number is None
    assert row.patient_name.startswith("MISSPELT")
    assert row.patient_control_number == "TYPO-124"
    assert row.payer_claim_number == "NOT-KNOWN-2"


def test_list_dates_import_in_practice_zone(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="auto")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    number = trace()
    text = write_remittance([written], payer=payer, trace_number=number, control_number=control())
    import_text(era_practice, text)
    # 02:30 UTC on March 10 is still the evening of March 9 anywhere in the United States.
    late_evening = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    with era_practice.database.transaction() as session:
        session.execute(
            update(Remittance)
            .where(Remittance.trace_number == number)
            .values(received_at=late_evening)
        )
        zone = practice_zone(session)

    with era_practice.database.reading() as session:
        (listed,) = [
            row
            for row in remittance_list(session, era_practice.biller)
            if row.trace_number == number
        ]

    assert zone.key.startswith("America/")
    assert listed.received_at.date() == date(2026, 3, 9)
    assert listed.received_at == late_evening
