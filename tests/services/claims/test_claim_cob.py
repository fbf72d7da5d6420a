"""Payer adjudications with their balancing checks, and secondary and tertiary claims."""

import uuid
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import event, func, select

from app.errors import UserError
from app.models.claims import (
    ClaimEvent,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.models.practice import Payer
from app.problems import Severity
from app.services.claim_build import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    build_secondary_claim,
    record_adjudication,
)
from app.services.claim_documents import claim_documents, submitter_for
from app.services.encounters import LineForm
from app.services.outcomes import SaveOutcome
from app.x12.claim_data import Adjustment, ClaimDocument
from app.x12.validate import pyx12_errors
from app.x12.writer_837p import write_837p
from tests.helpers.charge_data import VISIT_DAY
from tests.helpers.claim_data import ClaimPractice, add_clearinghouse

PAID_ON = date(2026, 3, 2)


def record(practice: ClaimPractice, form: AdjudicationForm) -> SaveOutcome:
    with practice.database.transaction() as session:
        return record_adjudication(session, practice.biller, form)


def paid_form(practice: ClaimPractice, claim_id: uuid.UUID, **changes: object) -> AdjudicationForm:
    """Aetna's usual settlement of the $120 visit: $15 contract write-off, $20 coinsurance."""
    (line,) = practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=Decimal("85.00"),
        adjudicated_on=PAID_ON,
        payer_claim_number="AET-7781",
        lines=[
            LineAdjudicationForm(
                claim_line_id=line.id,
                paid_amount=Decimal("85.00"),
                adjustments=[
                    AdjustmentForm("CO", "45", Decimal("15.00")),
                    AdjustmentForm("PR", "2", Decimal("20.00")),
                ],
            )
        ],
    )
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def secondary(practice: ClaimPractice, claim_id: uuid.UUID) -> uuid.UUID | None:
    with practice.database.transaction() as session:
        return build_secondary_claim(session, practice.biller, claim_id)


def document(practice: ClaimPractice, claim_id: uuid.UUID) -> ClaimDocument:
    with practice.database.reading() as session:
        return claim_documents(session, [claim_id])[claim_id]


def add_payer(practice: ClaimPractice, name: str, code: str) -> uuid.UUID:
    with practice.database.transaction() as session:
        payer = Payer(name=name, payer_code=code, claim_filing_indicator="MC")
        session.add(payer)
        session.flush()
        return payer.id


# ---- recording an adjudication -------------------------------------------------------------


def test_record_adjudication_paid(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    outcome = record(claim_practice, paid_form(claim_practice, claim_id))

    assert outcome.saved
    assert outcome.problems == ()
    claim = claim_practice.claim(claim_id)
    assert claim.status == "paid"
    assert claim.payer_claim_number == "AET-7781"
    with claim_practice.database.reading() as session:
        stored = session.get(PayerAdjudication, outcome.record_id)
        assert stored is not None
        line_rows = list(session.scalars(select(PayerLineAdjudication)))
        adjustments = list(session.scalars(select(PayerAdjustment)))
        event = session.scalars(
            select(ClaimEvent).where(ClaimEvent.claim_id == claim_id, ClaimEvent.event == "paid")
        ).one()
    assert stored.paid_amount == Decimal("85.00")
    assert stored.charge_amount == Decimal("120.00")
    assert stored.patient_responsibility == Decimal("20.00")
    assert stored.claim_status_code == "1"
    assert not stored.crossed_over
    assert stored.source == "paper"
    assert stored.payer_id == claim_practice.aetna_id
    (line_row,) = line_rows
    assert line_row.procedure_code == "99213"
    assert line_row.units == 1
    assert line_row.paid_amount == Decimal("85.00")
    assert sorted((row.group_code, row.amount) for row in adjustments) == [
        ("CO", Decimal("15.00")),
        ("PR", Decimal("20.00")),
    ]
    assert all(row.line_adjudication_id == line_row.id for row in adjustments)
    assert event.status == "paid"


def test_record_adjudication_line_unbalanced(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id)
    form.lines[0].paid_amount = Decimal("80.00")
    form.paid_amount = Decimal("80.00")

    outcome = record(claim_practice, form)

    assert not outcome.saved
    (problem,) = outcome.problems
    assert problem.message.startswith("Line 1 does not balance")
    assert "charge $120.00 minus adjustments $35.00 is $85.00" in problem.message
    assert "paid is $80.00" in problem.message
    with claim_practice.database.reading() as session:
        assert session.scalar(select(func.count()).select_from(PayerAdjudication)) == 0
    assert claim_practice.claim(claim_id).status == "hold"


def test_record_adjudication_claim_unbalanced(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id, paid_amount=Decimal("90.00"))

    outcome = record(claim_practice, form)

    assert not outcome.saved
    (problem,) = outcome.problems
    assert problem.field == "paid_amount"
    assert "does not balance" in problem.message
    assert "$85.00 minus claim adjustments $0.00 is $85.00, but paid is $90.00" in problem.message


def test_record_adjudication_claim_level_only(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="4",
        paid_amount=Decimal("0.00"),
        adjudicated_on=PAID_ON,
        adjustments=[AdjustmentForm("CO", "27", Decimal("120.00"))],
    )

    outcome = record(claim_practice, form)

    assert outcome.saved
    assert claim_practice.claim(claim_id).status == "denied"


def test_record_adjudication_bad_codes(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id, claim_status_code="22")
    form.lines[0].adjustments[0] = AdjustmentForm("XX", "", Decimal("15.00"))

    outcome = record(claim_practice, form)

    messages = [problem.message for problem in outcome.problems]
    assert not outcome.saved
    assert any("Claim status code 22 is not one this form records" in text for text in messages)
    assert any("group code XX is not valid" in text for text in messages)
    assert any("reason code (blank) is not valid" in text for text in messages)


def test_record_adjudication_foreign_line(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id)
    form.lines[0].claim_line_id = uuid.uuid4()

    outcome = record(claim_practice, form)

    assert not outcome.saved
    assert any("is not on claim" in problem.message for problem in outcome.problems)


def test_record_adjudication_warns_patient_share(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    form = paid_form(claim_practice, claim_id, patient_responsibility=Decimal("25.00"))

    outcome = record(claim_practice, form)

    assert outcome.saved
    (problem,) = outcome.problems
    assert problem.severity is Severity.WARNING
    assert "add up to $20.00" in problem.message


def test_record_adjudication_partial(claim_practice: ClaimPractice) -> None:
    encounter_id = claim_practice.post(
        claim_practice.form(
            [LineForm(procedure_code="99213"), LineForm(procedure_code="99214")],
            day=date(2026, 2, 4),
        )
    )
    (claim_id,) = claim_practice.build([encounter_id]).claim_ids
    first, second = claim_practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=Decimal("120.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(first.id, Decimal("120.00")),
            LineAdjudicationForm(
                second.id, Decimal("0.00"), [AdjustmentForm("CO", "97", Decimal("175.00"))]
            ),
        ],
    )

    outcome = record(claim_practice, form)

    assert outcome.saved
    assert claim_practice.claim(claim_id).status == "partial"
    statuses = [line.status for line in claim_practice.claim_lines(claim_id)]
    assert statuses == ["partial", "denied"]


def test_record_adjudication_deductible_not_denied(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    (line,) = claim_practice.claim_lines(claim_id)
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=Decimal("0.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                line.id,
                Decimal("0.00"),
                [
                    AdjustmentForm("CO", "45", Decimal("35.00")),
                    AdjustmentForm("PR", "1", Decimal("85.00")),
                ],
            )
        ],
    )

    outcome = record(claim_practice, form)

    assert outcome.saved
    assert claim_practice.claim(claim_id).status == "paid"


def test_record_adjudication_again_voids_first(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    first = record(claim_practice, paid_form(claim_practice, claim_id))

    second = record(claim_practice, paid_form(claim_practice, claim_id))

    with claim_practice.database.reading() as session:
        rows = {row.id: row.voided for row in session.scalars(select(PayerAdjudication))}
    assert rows == {first.record_id: True, second.record_id: False}


def test_record_adjudication_crossover(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids

    outcome = record(claim_practice, paid_form(claim_practice, claim_id, claim_status_code="19"))

    assert outcome.saved
    assert claim_practice.claim(claim_id).status == "forwarded"
    with claim_practice.database.reading() as session:
        stored = session.get(PayerAdjudication, outcome.record_id)
        assert stored is not None
        assert stored.crossed_over


# ---- secondary and tertiary claims --------------------------------------------------------


def test_secondary_claim_reports_primary(claim_practice: ClaimPractice) -> None:
    cigna_coverage = claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))

    secondary_id = secondary(claim_practice, claim_id)

    assert secondary_id is not None
    claim = claim_practice.claim(secondary_id)
    assert claim.payer_id == claim_practice.cigna_id
    assert claim.coverage_id == cigna_coverage
    assert claim.payer_sequence == "S"
    assert claim.frequency_code == "1"
    assert claim.status == "hold"
    (line,) = claim_practice.claim_lines(secondary_id)
    (primary_line,) = claim_practice.claim_lines(claim_id)
    assert line.charge_line_id == primary_line.charge_line_id

    built = document(claim_practice, secondary_id)
    assert built.payer.name == "Cigna"
    assert built.payer_sequence == "S"
    (other,) = built.other_payers
    assert other.payer_sequence == "P"
    assert other.payer.payer_code == "60054"
    assert other.member_id == "W123456789"
    assert other.paid_amount == Decimal("85.00")
    assert other.remaining_patient_liability == Decimal("20.00")
    assert other.adjudicated_on == PAID_ON
    assert other.payer_claim_number == "AET-7781"
    assert other.claim_adjustments == ()
    (adjudication,) = built.lines[0].adjudications
    assert adjudication.payer_code == "60054"
    assert adjudication.paid_amount == Decimal("85.00")
    assert adjudication.procedure_code == "99213"
    assert adjudication.units == 1
    assert adjudication.adjudicated_on == PAID_ON
    assert adjudication.adjustments == (
        Adjustment("CO", "45", Decimal("15.00")),
        Adjustment("PR", "2", Decimal("20.00")),
    )


def test_secondary_claim_needs_adjudication(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids

    with pytest.raises(UserError, match="Aetna has not adjudicated claim"):
        secondary(claim_practice, claim_id)


def test_secondary_claim_needs_next_coverage(claim_practice: ClaimPractice) -> None:
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))

    with pytest.raises(UserError, match="no coverage after Aetna in force on 02/02/2026"):
        secondary(claim_practice, claim_id)


def test_secondary_claim_skips_lapsed_coverage(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2, terminated=date(2026, 1, 31))
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))

    with pytest.raises(UserError, match="no coverage after Aetna"):
        secondary(claim_practice, claim_id)


def test_secondary_claim_not_built_twice(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))
    first = secondary(claim_practice, claim_id)
    assert first is not None
    number = claim_practice.claim(first).claim_number

    with pytest.raises(UserError, match=f"Claim {number} already bills these services"):
        secondary(claim_practice, claim_id)


def test_secondary_claim_after_crossover(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id, claim_status_code="19"))

    assert secondary(claim_practice, claim_id) is None

    with claim_practice.database.reading() as session:
        details = list(
            session.scalars(
                select(ClaimEvent.detail).where(
                    ClaimEvent.claim_id == claim_id, ClaimEvent.event == "note"
                )
            )
        )
    assert details == [
        "Aetna forwarded the claim to Cigna itself (crossover), so no claim to Cigna was "
        "built; wait for its remittance."
    ]


def test_tertiary_claim_reports_both(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    medicaid_id = add_payer(claim_practice, "State Medicaid", "SKIL0")
    claim_practice.add_coverage(medicaid_id, 3)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))
    secondary_id = secondary(claim_practice, claim_id)
    assert secondary_id is not None
    (line,) = claim_practice.claim_lines(secondary_id)
    cigna_form = AdjudicationForm(
        claim_id=secondary_id,
        claim_status_code="2",
        paid_amount=Decimal("10.00"),
        adjudicated_on=date(2026, 3, 20),
        payer_claim_number="CIG-55",
        adjustments=[AdjustmentForm("OA", "23", Decimal("5.00"))],
        lines=[
            LineAdjudicationForm(
                line.id,
                Decimal("15.00"),
                [
                    AdjustmentForm("OA", "23", Decimal("100.00")),
                    AdjustmentForm("PR", "2", Decimal("5.00")),
                ],
            )
        ],
    )
    assert record(claim_practice, cigna_form).saved

    tertiary_id = secondary(claim_practice, secondary_id)

    assert tertiary_id is not None
    claim = claim_practice.claim(tertiary_id)
    assert claim.payer_id == medicaid_id
    assert claim.payer_sequence == "T"
    built = document(claim_practice, tertiary_id)
    assert [other.payer_sequence for other in built.other_payers] == ["P", "S"]
    assert [other.paid_amount for other in built.other_payers] == [
        Decimal("85.00"),
        Decimal("10.00"),
    ]
    assert built.other_payers[1].claim_adjustments == (Adjustment("OA", "23", Decimal("5.00")),)
    payer_codes = [item.payer_code for item in built.lines[0].adjudications]
    assert payer_codes == ["60054", "62308"]
    assert built.claim_filing_indicator == "MC"


def test_tertiary_claim_after_crossover(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    medicaid_id = add_payer(claim_practice, "State Medicaid", "SKIL1")
    claim_practice.add_coverage(medicaid_id, 3)
    clearinghouse_id = add_clearinghouse(claim_practice.database)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id, claim_status_code="19"))
    (line,) = claim_practice.claim_lines(claim_id)
    # Cigna, reached by crossover, settles the same claim and leaves 5.00 for Medicaid.
    cigna_form = AdjudicationForm(
        claim_id=claim_id,
        payer_id=claim_practice.cigna_id,
        claim_status_code="2",
        paid_amount=Decimal("15.00"),
        adjudicated_on=date(2026, 3, 20),
        payer_claim_number="CIG-56",
        lines=[
            LineAdjudicationForm(
                line.id,
                Decimal("15.00"),
                [
                    AdjustmentForm("OA", "23", Decimal("100.00")),
                    AdjustmentForm("PR", "2", Decimal("5.00")),
                ],
            )
        ],
    )
    assert record(claim_practice, cigna_form).saved

    tertiary_id = secondary(claim_practice, claim_id)

    assert tertiary_id is not None
    claim = claim_practice.claim(tertiary_id)
    assert claim.payer_id == medicaid_id
    assert claim.payer_sequence == "T"
    built = document(claim_practice, tertiary_id)
    assert [other.payer_sequence for other in built.other_payers] == ["P", "S"]
    assert [other.paid_amount for other in built.other_payers] == [
        Decimal("85.00"),
        Decimal("15.00"),
    ]
    with claim_practice.database.reading() as session:
        submitter = submitter_for(session, clearinghouse_id)
    written = write_837p(
        submitter,
        [built],
        interchange_number=8,
        group_number=8,
        created_at=datetime(2026, 3, 21, 9, 30, tzinfo=UTC),
    )
    assert pyx12_errors(written.text) == []
    assert "SBR*T*" in written.text
    assert "AMT*D*15~" in written.text


def test_secondary_document_without_adjudication(claim_practice: ClaimPractice) -> None:
    """A secondary claim lists the primary even before the primary's remittance is stored."""
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))
    secondary_id = secondary(claim_practice, claim_id)
    assert secondary_id is not None
    with claim_practice.database.transaction() as session:
        adjudication = session.scalars(select(PayerAdjudication)).one()
        adjudication.voided = True

    built = document(claim_practice, secondary_id)

    (other,) = built.other_payers
    assert other.payer.name == "Aetna"
    assert other.paid_amount is None
    assert other.adjudicated_on is None
    assert built.lines[0].adjudications == ()
    assert built.lines[0].service_date == VISIT_DAY


def test_documents_pass_pyx12(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    clearinghouse_id = add_clearinghouse(claim_practice.database)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))
    secondary_id = secondary(claim_practice, claim_id)
    assert secondary_id is not None

    with claim_practice.database.reading() as session:
        documents = claim_documents(session, [claim_id, secondary_id])
        submitter = submitter_for(session, clearinghouse_id)
    written = write_837p(
        submitter,
        list(documents.values()),
        interchange_number=7,
        group_number=7,
        created_at=datetime(2026, 3, 3, 9, 30, tzinfo=UTC),
    )

    assert pyx12_errors(written.text) == []
    assert "SBR*S*18*GRP-77" in written.text
    assert "AMT*D*85~" in written.text
    assert "SVD*60054*85*HC:99213**1~" in written.text
    assert "DTP*573*D8*20260302~" in written.text


def test_secondary_documents_query_count(claim_practice: ClaimPractice) -> None:
    claim_practice.add_coverage(claim_practice.cigna_id, 2)
    (claim_id,) = claim_practice.build().claim_ids
    record(claim_practice, paid_form(claim_practice, claim_id))
    secondary_id = secondary(claim_practice, claim_id)
    assert secondary_id is not None
    statements: list[str] = []

    def remember(*args: object) -> None:
        statements.append(str(args[2]))

    engine = claim_practice.database.engine
    event.listen(engine, "before_cursor_execute", remember)
    try:
        with claim_practice.database.reading() as session:
            found = claim_documents(session, [claim_id, secondary_id])
    finally:
        event.remove(engine, "before_cursor_execute", remember)

    assert len(found) == 2
    selects = [text for text in statements if text.lstrip().upper().startswith("SELECT")]
    assert len(selects) <= 14
