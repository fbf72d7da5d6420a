"""Importing 835 files: posting by mode, duplicates, held remittances, reversals, PLB."""

from decimal import Decimal

import pytest
from sqlalchemy import func, select

from app.errors import PermissionDeniedError
from app.models.claims import Claim, X12Response
from app.models.patients import Coverage
from app.models.payments import ProviderAdjustment, Remittance
from app.services.era_import import import_835_file
from app.services.ledger_verify import ledger_check
from app.services.x12_responses import AlreadyImportedError, import_response
from app.x12.segments import X12FormatError
from app.x12.writer_835 import WrittenPlb
from tests.helpers.era_data import EraPractice, reversal_of, write_remittance, written_claim
from tests.services.era.era_steps import (
    adjudications,
    balance,
    buckets,
    cas,
    claim_notes,
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

# 99213 at 120.00: paid 70, 40 written off, 10 deductible. 97110 at 40.00: paid 30, 10 off.
PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]


def test_auto_posts_payment(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )

    result = import_text(era_practice, text)

    assert result.remittances == 1
    assert result.claims == 1
    assert result.posted == 1
    assert result.paid_total == Decimal("100.00")
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    assert claim_status(era_practice, claim) == "paid"
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "posted"
    assert row.match_method == "control_number"
    assert row.claim_id == claim.claim_id
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "posted"
    assert remittance.payer_id == payer_id


def test_posted_claim_payment_linked(era_practice: EraPractice) -> None:
    """The import stores a posted claim payment as posting would link it."""
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
    (adjudication,) = adjudications(era_practice, claim)
    user_id = era_practice.biller.user_id
    assert row.state == "posted"
    assert row.adjudication_id == adjudication.id
    assert row.claim_id == claim.claim_id
    assert row.posted_at is not None
    assert row.posted_by == user_id
    assert row.updated_by == user_id


def test_same_codes_and_amounts(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("SAME", "PAT", "SAME0001")
    claims = [new_claim(era_practice, payer_id, patient=patient) for _ in range(3)]
    # The payer pays each claim differently, so a claim matched twice would show.
    paid = [["70.00", "30.00"], ["60.00", "30.00"], ["50.00", "30.00"]]
    written = [
        written_claim(
            claim,
            paid=amounts,
            adjustments=[
                [cas("CO", "45", str(120 - Decimal(amounts[0])))],
                [cas("CO", "45", "10.00")],
            ],
            control_numbers=False,
        )
        for claim, amounts in zip(claims, paid, strict=True)
    ]
    text = write_remittance(written, payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    assert result.posted == 3
    rows = claim_payments(era_practice, result.response_id)
    assert [row.claim_id for row in rows] == [claim.claim_id for claim in claims]
    for claim in claims:
        assert balance(era_practice, claim) == Decimal("0.00")


def test_same_claims_matched_by_patient(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("TWIN", "PAT", "TWIN0001")
    claims = [new_claim(era_practice, payer_id, patient=patient) for _ in range(2)]
    written = [
        written_claim(
            claim,
            paid=PAID,
            adjustments=ADJUSTED,
            patient_control_number=f"LOST{index}",
            payer_claim_number=f"UNKNOWN{index}",
            control_numbers=False,
        )
        for index, claim in enumerate(claims)
    ]
    text = write_remittance(written, payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    rows = claim_payments(era_practice, result.response_id)
    assert {row.claim_id for row in rows} == {claim.claim_id for claim in claims}
    assert [row.match_method for row in rows] == ["patient_service", "patient_service"]
    for claim in claims:
        assert balance(era_practice, claim) == Decimal("10.00")


def test_duplicate_file_rejected(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    import_text(era_practice, text, "first.835")
    rows_before = ledger_rows(era_practice)

    with pytest.raises(AlreadyImportedError, match=r"first\.835"):
        import_text(era_practice, text, "again.835")

    assert ledger_rows(era_practice) == rows_before
    assert balance(era_practice, claim) == Decimal("10.00")


def test_duplicate_payment_new_file(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = [written_claim(claim, paid=PAID, adjustments=ADJUSTED)]
    number = trace()
    first = write_remittance(written, payer=payer, trace_number=number, control_number=control())
    # The clearinghouse delivers the same payment again in a new interchange.
    second = write_remittance(written, payer=payer, trace_number=number, control_number=control())
    import_text(era_practice, first)
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, second)

    assert result.duplicates == 1
    assert result.remittances == 0
    assert result.posted == 0
    assert number in result.messages[0]
    assert remittances(era_practice, result.response_id) == []
    assert ledger_rows(era_practice) == rows_before


def test_unbalanced_remittance_held(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        payment_amount=Decimal("101.00"),
    )
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.held == 1
    assert result.posted == 0
    assert result.review == 1
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "held"
    assert "BPR02" in (remittance.problem or "")
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"
    assert row.claim_id == claim.claim_id
    assert ledger_rows(era_practice) == rows_before
    assert balance(era_practice, claim) == Decimal("160.00")


def test_matched_mode_routes_doubts(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="matched")
    clean, denied, by_patient, loose = (new_claim(era_practice, payer_id) for _ in range(4))
    written = [
        written_claim(clean, paid=PAID, adjustments=ADJUSTED),
        written_claim(
            denied,
            paid=["0.00", "30.00"],
            adjustments=[[cas("CO", "50", "120.00")], [cas("CO", "45", "10.00")]],
        ),
        written_claim(
            by_patient,
            paid=PAID,
            adjustments=ADJUSTED,
            patient_control_number="NOT-OURS",
            payer_claim_number="NOT-KNOWN",
        ),
        written_claim(loose, paid=PAID, adjustments=ADJUSTED, control_numbers=False),
    ]
    # The payer reports the second line's modifier, which was not billed.
    written[3].services[1].modifiers = ("GP",)
    text = write_remittance(written, payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    rows = claim_payments(era_practice, result.response_id)
    assert [row.state for row in rows] == ["posted", "review", "review", "review"]
    assert "CO 50" in (rows[1].review_reason or "")
    assert "patient, date of service and charge" in (rows[2].review_reason or "")
    assert "procedure code and date only" in (rows[3].review_reason or "")
    assert [row.claim_id for row in rows] == [
        clean.claim_id,
        denied.claim_id,
        by_patient.claim_id,
        loose.claim_id,
    ]
    assert balance(era_practice, clean) == Decimal("10.00")
    assert balance(era_practice, denied) == Decimal("160.00")
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.status == "review"


def test_auto_mode_posts_denial(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="auto")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=["0.00", "30.00"],
        adjustments=[[cas("CO", "50", "120.00")], [cas("CO", "45", "10.00")]],
    )
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    assert result.posted == 1
    # The denied line stays with the payer; the paid line is settled.
    assert balance(era_practice, claim) == Decimal("120.00")
    assert claim_status(era_practice, claim) in ("partial", "denied")


def test_review_mode_posts_nothing(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.review == 1
    assert result.posted == 0
    (row,) = claim_payments(era_practice, result.response_id)
    assert "wait for a biller's approval" in (row.review_reason or "")
    assert ledger_rows(era_practice) == rows_before


def test_unknown_payer_goes_to_review(era_practice: EraPractice) -> None:
    payer_id, _ = new_payer(era_practice, mode="auto")
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=("NOBODY MUTUAL", "NOBODY1"),
        trace_number=trace(),
        control_number=control(),
    )

    result = import_text(era_practice, text)

    assert result.review == 1
    assert "NOBODY MUTUAL" in result.messages[0]
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.claim_id == claim.claim_id
    assert "not in ClinicDesk" in (row.review_reason or "")


def test_unmatched_claim_unapplied(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="auto")
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="NOT-OURS",
        payer_claim_number="NOT-KNOWN",
    )
    written.patient_last = "SOMEONE"
    written.member_id = "ELSE0001"
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    assert result.unapplied == 1
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "unapplied"
    assert row.claim_id is None
    assert "NOT-OURS" in (row.review_reason or "")


def test_reversal_then_correction(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    original = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    first = import_text(
        era_practice,
        write_remittance([original], payer=payer, trace_number=trace(), control_number=control()),
    )
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

    assert result.posted == 2
    reversal, correction = claim_payments(era_practice, result.response_id)
    assert reversal.status_code == "22"
    assert reversal.state == "posted"
    assert correction.state == "posted"
    (earlier,) = claim_payments(era_practice, first.response_id)
    assert earlier.state == "reversed"
    assert [item.voided for item in adjudications(era_practice, claim)] == [True, False]
    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    with era_practice.database.transaction() as session:
        assert ledger_check(session, era_practice.manager) == []


def test_reversal_without_posting_is_info(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    original = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    corrected = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    text = write_remittance(
        [reversal_of(original), corrected],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )

    result = import_text(era_practice, text)

    reversal, correction = claim_payments(era_practice, result.response_id)
    assert reversal.state == "info"
    assert "nothing to reverse" in (reversal.review_reason or "")
    assert correction.state == "posted"
    assert balance(era_practice, claim) == Decimal("10.00")


def test_crossover_moves_share(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    next_id, (next_name, _) = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        session.add(
            Coverage(patient_id=claim.patient_id, payer_id=next_id, priority=2, member_id="SEC1")
        )
    written = written_claim(
        claim, paid=PAID, adjustments=ADJUSTED, status_code="19", crossover_payer=next_name
    )
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())

    result = import_text(era_practice, text)

    assert result.posted == 1
    (adjudication,) = adjudications(era_practice, claim)
    assert adjudication.crossed_over
    assert buckets(era_practice, claim) == {next_name: Decimal("10.00")}
    assert any("crossover" in note for note in claim_notes(era_practice, claim))
    with era_practice.database.reading() as session:
        billed_next = session.scalar(
            select(func.count()).select_from(Claim).where(Claim.payer_id == next_id)
        )
    assert billed_next == 0


@pytest.mark.parametrize(("code", "words"), [("25", "priced"), ("23", "not its claim")])
def test_info_statuses_post_nothing(era_practice: EraPractice, code: str, words: str) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=["0.00", "0.00"],
        adjustments=[[cas("CO", "45", "120.00")], [cas("CO", "45", "40.00")]],
        status_code=code,
    )
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, text)

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "info"
    assert words in (row.review_reason or "")
    assert ledger_rows(era_practice) == rows_before
    assert any(words in note for note in claim_notes(era_practice, claim))


def test_provider_adjustments_stored(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number="ICN7788")
    plb = [
        WrittenPlb("WO", "FCN#ICN7788", Decimal("15.00")),
        WrittenPlb("L6", "", Decimal("-2.50")),
    ]
    text = write_remittance(
        [written],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        provider_adjustments=plb,
    )

    result = import_text(era_practice, text)

    assert result.held == 0
    (remittance,) = remittances(era_practice, result.response_id)
    assert remittance.payment_amount == Decimal("87.50")
    with era_practice.database.reading() as session:
        rows = list(
            session.scalars(
                select(ProviderAdjustment)
                .where(ProviderAdjustment.remittance_id == remittance.id)
                .order_by(ProviderAdjustment.reason_code)
            )
        )
    assert [(row.reason_code, row.amount) for row in rows] == [
        ("L6", Decimal("-2.50")),
        ("WO", Decimal("15.00")),
    ]
    assert rows[0].claim_id is None
    assert rows[1].claim_id == claim.claim_id
    # Provider adjustments never touch a claim's balance.
    assert balance(era_practice, claim) == Decimal("10.00")


def test_malformed_file_posts_nothing(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    damaged = text.replace("*1*160*", "*1*1X0*", 1)
    with era_practice.database.reading() as session:
        files_before = session.scalar(select(func.count()).select_from(X12Response))
    rows_before = ledger_rows(era_practice)

    with pytest.raises(X12FormatError, match=r"^Segment \d+ \(CLP\)"):
        import_text(era_practice, damaged)

    with era_practice.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(X12Response)) == files_before
    assert ledger_rows(era_practice) == rows_before
    assert balance(era_practice, claim) == Decimal("160.00")


def test_import_file_from_disk(era_practice: EraPractice, tmp_path: object) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )
    path = tmp_path / "from-disk.835"  # type: ignore[operator]
    path.write_text(text, encoding="utf-8")

    with era_practice.database.transaction() as session:
        result = import_835_file(session, era_practice.biller, path)

    assert result.file_name == "from-disk.835"
    assert result.posted == 1


def test_response_import_routes_835(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )

    with era_practice.database.transaction() as session:
        result = import_response(session, era_practice.biller, text, "routed.835")

    assert result.kind == "835"
    assert result.accepted == 1
    assert "1 posted" in result.summary
    with era_practice.database.reading() as session:
        stored = session.get(X12Response, result.response_id)
        assert stored is not None
        assert stored.kind == "835"
    assert balance(era_practice, claim) == Decimal("10.00")


def test_front_desk_cannot_import(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    text = write_remittance(
        [written_claim(claim, paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
    )

    with pytest.raises(PermissionDeniedError):
        import_text(era_practice, text, actor=era_practice.front_desk)

    with era_practice.database.reading() as session:
        assert (
            session.scalars(select(Remittance).where(Remittance.payer_id == payer_id)).all() == []
        )


def test_claim_charge_unlike_lines_reviewed(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    # CLP03 is 10.00 above the lines, and a claim-level CAS makes the 835 balance anyway.
    written.charge = Decimal("170.00")
    written.adjustments = [cas("CO", "45", "10.00")]
    text = write_remittance([written], payer=payer, trace_number=trace(), control_number=control())
    rows_before = ledger_rows(era_practice)

    result = import_text(era_practice, text)

    assert result.held == 0
    assert result.review == 1
    (row,) = claim_payments(era_practice, result.response_id)
    assert "does not balance" in (row.review_reason or "")
    assert ledger_rows(era_practice) == rows_before
    assert adjudications(era_practice, claim) == []
