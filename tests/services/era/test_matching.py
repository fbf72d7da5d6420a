"""Matching 835 claim payments to claims and service payments to claim lines."""

import uuid
from datetime import date
from decimal import Decimal

from app.models.claims import Claim
from app.services.era_matching import (
    ClaimMatcher,
    adjudication_form,
    match_claim,
    match_lines,
)
from app.x12.reader_835 import ClaimPayment, read_835
from app.x12.writer_835 import WrittenClaim
from tests.helpers.era_data import EraPractice, write_remittance, written_claim
from tests.services.era.era_steps import cas, new_claim, new_payer

PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]
TWO_VISITS = (("99213", "120.00"), ("99213", "120.00"))
TWO_PAID = ["80.00", "80.00"]
TWO_ADJUSTED = [[cas("CO", "45", "40.00")], [cas("CO", "45", "40.00")]]


def _payment(written: WrittenClaim, payer: tuple[str, str]) -> ClaimPayment:
    text = write_remittance([written], payer=payer, trace_number="T1", control_number=1)
    return read_835(text)[0].claims[0]


def _match(
    practice: EraPractice,
    payment: ClaimPayment,
    payer_id: uuid.UUID,
    taken: tuple[uuid.UUID, ...] = (),
) -> tuple[uuid.UUID | None, str | None]:
    with practice.database.reading() as session:
        claim, method = match_claim(session, payment, payer_id, taken=taken)
    return (claim.id if claim is not None else None), method


def test_claim_by_control_number(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    payment = _payment(written_claim(claim, paid=PAID, adjustments=ADJUSTED), payer)

    assert _match(era_practice, payment, payer_id) == (claim.claim_id, "control_number")


def test_claim_by_payer_claim_number(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        session.get_one(Claim, claim.claim_id).payer_claim_number = "ICN-555"
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO",
        payer_claim_number="ICN-555",
    )

    assert _match(era_practice, _payment(written, payer), payer_id) == (
        claim.claim_id,
        "payer_claim_number",
    )


def test_claim_by_patient_date_charge(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO",
        payer_claim_number="X",
    )

    assert _match(era_practice, _payment(written, payer), payer_id) == (
        claim.claim_id,
        "patient_service",
    )


def test_patient_match_needs_charge(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO",
        payer_claim_number="X",
    )
    written.charge = Decimal("161.00")
    written.adjustments = [cas("CO", "45", "1.00")]

    assert _match(era_practice, _payment(written, payer), payer_id) == (None, None)


def test_patient_match_needs_same_payer(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    other_id, _ = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(
        claim,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="TYPO",
        payer_claim_number="X",
    )

    assert _match(era_practice, _payment(written, payer), other_id) == (None, None)


def test_control_number_beats_patient(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("ORDER", "PAT", "ORDER0001")
    first = new_claim(era_practice, payer_id, patient=patient)
    second = new_claim(era_practice, payer_id, patient=patient)
    payment = _payment(written_claim(second, paid=PAID, adjustments=ADJUSTED), payer)

    assert _match(era_practice, payment, payer_id) == (second.claim_id, "control_number")
    assert first.claim_id != second.claim_id


def test_taken_claim_not_matched_twice(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("TAKEN", "PAT", "TAKEN0001")
    first = new_claim(era_practice, payer_id, patient=patient)
    second = new_claim(era_practice, payer_id, patient=patient)
    # The payer repeats the first claim's number for the second claim.
    payment = _payment(written_claim(first, paid=PAID, adjustments=ADJUSTED), payer)

    assert _match(era_practice, payment, payer_id, taken=(first.claim_id,)) == (
        second.claim_id,
        "patient_service",
    )
    assert _match(era_practice, payment, payer_id, taken=(first.claim_id, second.claim_id)) == (
        None,
        None,
    )


def test_reversal_may_name_taken_claim(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    payment = _payment(written_claim(claim, paid=PAID, adjustments=ADJUSTED), payer)

    with era_practice.database.reading() as session:
        matcher = ClaimMatcher(session, payer_id, {claim.claim_id})
        found = matcher.match_claim(payment, reversal=True)

    assert found.claim is not None
    assert found.claim.id == claim.claim_id


def test_lines_by_control_number(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=TWO_VISITS)
    written = written_claim(
        claim,
        paid=["80.00", "70.00"],
        adjustments=[[cas("CO", "45", "40.00")], [cas("CO", "45", "50.00")]],
    )
    # The payer lists the lines in the other order; REF*6R still names each one.
    written.services.reverse()
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        lines = match_lines(session, session.get_one(Claim, claim.claim_id), payment)

    assert lines is not None
    assert lines[0].id == claim.line_ids[1]
    assert lines[1].id == claim.line_ids[0]


def test_identical_lines_each_matched(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=TWO_VISITS)
    written = written_claim(claim, paid=TWO_PAID, adjustments=TWO_ADJUSTED, control_numbers=False)
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        matcher = ClaimMatcher(session, payer_id)
        found = matcher.match_lines(session.get_one(Claim, claim.claim_id), payment)

    assert found.lines is not None
    assert [found.lines[index].id for index in (0, 1)] == list(claim.line_ids)
    assert found.clean


def test_line_by_submitted_code(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=(("99214", "175.00"),))
    written = written_claim(
        claim, paid=["85.00"], adjustments=[[cas("CO", "45", "90.00")]], control_numbers=False
    )
    # The payer paid the visit as a 99213 and names the billed code in SVC06.
    written.services[0].submitted_code = "99214"
    written.services[0].procedure_code = "99213"
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        stored = session.get_one(Claim, claim.claim_id)
        found = ClaimMatcher(session, payer_id).match_lines(stored, payment)
        assert found.lines is not None
        form = adjudication_form(stored, payment, found.lines, adjudicated_on=date(2026, 2, 1))

    assert found.clean
    assert form.source == "era"
    assert form.lines[0].procedure_code == "99213"
    assert form.lines[0].paid_amount == Decimal("85.00")
    assert form.lines[0].charge_amount == Decimal("175.00")
    assert form.payer_claim_number == f"PCN{claim.claim_number}"


def test_other_modifier_is_loose(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, modifiers=[("25",)])
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, control_numbers=False)
    written.services[0].modifiers = ("59",)
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        found = ClaimMatcher(session, payer_id).match_lines(
            session.get_one(Claim, claim.claim_id), payment
        )

    assert found.lines is not None
    assert found.loose == (0,)
    assert not found.clean


def test_unknown_service_unmatched(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    written = written_claim(claim, paid=PAID, adjustments=ADJUSTED, control_numbers=False)
    written.services[1].procedure_code = "97112"
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        stored = session.get_one(Claim, claim.claim_id)
        found = ClaimMatcher(session, payer_id).match_lines(stored, payment)
        assert match_lines(session, stored, payment) is None

    assert found.lines is None
    assert found.unmatched == (1,)


def test_split_line_adds_up(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=(("97110", "80.00"),))
    written = written_claim(claim, paid=["30.00"], adjustments=[[cas("CO", "45", "10.00")]])
    # The payer split the billed line in two halves, both echoing its REF*6R.
    half = written.services[0]
    half.charge = Decimal("40.00")
    written.services.append(
        type(half)(
            procedure_code=half.procedure_code,
            modifiers=half.modifiers,
            charge=Decimal("40.00"),
            paid=Decimal("25.00"),
            units=1,
            service_date=half.service_date,
            line_control_number=half.line_control_number,
            adjustments=[cas("CO", "45", "15.00")],
        )
    )
    written.paid = Decimal("55.00")
    payment = _payment(written, payer)

    with era_practice.database.reading() as session:
        stored = session.get_one(Claim, claim.claim_id)
        lines = match_lines(session, stored, payment)
        assert lines is not None
        form = adjudication_form(stored, payment, lines, adjudicated_on=date(2026, 2, 1))

    (line,) = form.lines
    assert line.claim_line_id == claim.line_ids[0]
    assert line.charge_amount == Decimal("80.00")
    assert line.paid_amount == Decimal("55.00")
    assert [item.amount for item in line.adjustments] == [Decimal("10.00"), Decimal("15.00")]
