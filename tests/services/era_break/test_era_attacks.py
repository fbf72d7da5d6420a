"""Attacks on 835 posting: repeated claims, odd numbers, splits, reversals, denials, PLB."""

import uuid
from collections.abc import Sequence
from dataclasses import replace
from decimal import Decimal

import pytest
from sqlalchemy import select

from app.errors import UserError
from app.models.claims import Claim, ClaimFinding
from app.models.patients import Coverage
from app.models.payments import ProviderAdjustment
from app.models.practice import Payer
from app.services.era_import import RemittanceImport
from app.services.era_queue import post_reviewed, set_aside
from app.services.ledger_verify import ledger_check
from app.x12.writer_835 import WrittenClaim, WrittenPlb
from tests.helpers.era_data import EraPractice, reversal_of, write_remittance, written_claim
from tests.services.era.era_steps import (
    balance,
    buckets,
    cas,
    claim_payments,
    claim_status,
    control,
    import_text,
    new_claim,
    trace,
)
from tests.services.era.era_steps import (
    new_payer as _new_payer,
)
from tests.services.era_break.money_checks import assert_ledger_intact

# Each test payer's id by (name, payer id), so `remit` can add a claim of that payer.
_payer_ids: dict[tuple[str, str], uuid.UUID] = {}


def new_payer(practice: EraPractice, mode: str = "auto") -> tuple[uuid.UUID, tuple[str, str]]:
    """Add a payer of its own for one test and remember its id."""
    payer_id, payer = _new_payer(practice, mode)
    _payer_ids[payer] = payer_id
    return payer_id, payer


PAID = ["70.00", "30.00"]
ADJUSTED = [[cas("CO", "45", "40.00"), cas("PR", "1", "10.00")], [cas("CO", "45", "10.00")]]


def _remit(
    practice: EraPractice,
    payer: tuple[str, str],
    *claims: WrittenClaim,
    provider_adjustments: Sequence[WrittenPlb] = (),
) -> RemittanceImport:
    """Write the claims as one remittance from `payer` and import it as a biller."""
    if sum((claim.paid for claim in claims), Decimal(0)) < 0:
        # A payment cannot be negative, so another claim of the payer pays enough.
        filler = new_claim(practice, _payer_ids[payer], lines=(("99214", "300.00"),))
        claims = (*claims, written_claim(filler, paid=["300.00"]))
    text = write_remittance(
        list(claims),
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        provider_adjustments=provider_adjustments,
    )
    return import_text(practice, text)


def test_same_claim_paid_twice_in_one_file(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    paid = written_claim(claim, paid=PAID, adjustments=ADJUSTED)

    result = _remit(era_practice, payer, paid, paid)

    assert result.posted == 1
    first, second = claim_payments(era_practice, result.response_id)
    assert first.state == "posted"
    assert second.state in {"review", "unapplied"}
    assert second.adjudication_id is None
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_claim_number_case_and_spaces(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claims = [new_claim(era_practice, payer_id, claim_number=f"TCCASE{n}") for n in (1, 2)]
    written = [
        written_claim(claim, paid=PAID, adjustments=ADJUSTED, payer_claim_number=f"P{n}X")
        for n, claim in enumerate(claims)
    ]
    text = write_remittance(written, payer=payer, trace_number=trace(), control_number=control())
    text = text.replace("CLP*TCCASE1*", "CLP*tccase1*").replace("CLP*TCCASE2*", "CLP* TCCASE2 *")

    result = import_text(era_practice, text)

    rows = claim_payments(era_practice, result.response_id)
    assert [row.claim_id for row in rows] == [claim.claim_id for claim in claims]
    assert [row.match_method for row in rows] == ["control_number", "control_number"]
    assert_ledger_intact(era_practice, *claims)


def test_split_line(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=(("99213", "120.00"),))
    base = written_claim(claim, paid=["70.00"], adjustments=[[cas("CO", "45", "50.00")]])
    (service,) = base.services
    halves = [
        replace(
            service,
            charge=Decimal("60.00"),
            paid=Decimal("35.00"),
            adjustments=[cas("CO", "45", "25.00")],
        ),
        replace(
            service,
            charge=Decimal("60.00"),
            paid=Decimal("35.00"),
            adjustments=[cas("CO", "45", "25.00")],
        ),
    ]

    result = _remit(era_practice, payer, replace(base, services=halves))

    assert result.posted == 1
    assert balance(era_practice, claim) == Decimal("0.00")
    assert_ledger_intact(era_practice, claim)


def test_bundled_line(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    paid = written_claim(
        claim,
        paid=["110.00", "0.00"],
        adjustments=[[cas("CO", "45", "10.00")], [cas("CO", "97", "40.00")]],
    )

    result = _remit(era_practice, payer, paid)

    # The bundled line's charge is written off by contract, flagged for a biller to check.
    assert result.posted == 1
    assert buckets(era_practice, claim) == {}
    assert claim_status(era_practice, claim) == "paid"
    with era_practice.database.reading() as session:
        messages = session.scalars(
            select(ClaimFinding.message).where(ClaimFinding.claim_id == claim.claim_id)
        ).all()
    assert any("CO-97" in message and "written off" in message for message in messages), messages
    assert_ledger_intact(era_practice, claim)


def test_code_changed_and_units(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    paid = written_claim(claim, paid=PAID, adjustments=ADJUSTED, control_numbers=False)
    first, second = paid.services
    changed = replace(first, procedure_code="99212", submitted_code="99213", units=2)
    result = _remit(era_practice, payer, replace(paid, services=[changed, second]))

    assert result.posted == 1
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_reversal_without_posting(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    paid = written_claim(claim, paid=PAID, adjustments=ADJUSTED)

    result = _remit(era_practice, payer, reversal_of(paid))

    # Only the other claim of the file posts; the reversal is kept as information.
    assert result.posted == 1
    assert claim_payments(era_practice, result.response_id)[0].state == "info"
    assert balance(era_practice, claim) == Decimal("160.00")
    assert_ledger_intact(era_practice, claim)


def test_reversal_after_correction(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    first = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    _remit(era_practice, payer, first)
    corrected = written_claim(
        claim,
        paid=["80.00", "30.00"],
        adjustments=[[cas("CO", "45", "40.00")], [cas("CO", "45", "10.00")]],
    )
    correction = _remit(era_practice, payer, corrected)
    (waiting,) = claim_payments(era_practice, correction.response_id)
    assert waiting.state == "review"

    _remit(era_practice, payer, reversal_of(first))
    assert balance(era_practice, claim) == Decimal("160.00")
    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, waiting.id)

    assert balance(era_practice, claim) == Decimal("0.00")
    assert claim_status(era_practice, claim) == "paid"
    assert_ledger_intact(era_practice, claim)


def test_payment_of_voided_claim_waits(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        found = session.get(Claim, claim.claim_id)
        assert found is not None
        found.status = "voided"

    result = _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"
    assert "voided" in (row.review_reason or "")
    assert balance(era_practice, claim) == Decimal("160.00")
    assert_ledger_intact(era_practice, claim)


def test_denial_then_paid(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    denied = written_claim(
        claim,
        paid=["0.00", "0.00"],
        adjustments=[[cas("CO", "16", "120.00")], [cas("CO", "16", "40.00")]],
        status_code="4",
    )
    _remit(era_practice, payer, denied)
    assert balance(era_practice, claim) == Decimal("160.00")

    result = _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))
    assert result.posted == 1

    assert balance(era_practice, claim) == Decimal("10.00")
    assert claim_status(era_practice, claim) == "paid"
    assert_ledger_intact(era_practice, claim)


def test_unknown_payer_goes_to_review(era_practice: EraPractice) -> None:
    payer_id, _ = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id)
    result = _remit(
        era_practice,
        ("NOBODY KNOWN", "ZZ99999"),
        written_claim(claim, paid=PAID, adjustments=ADJUSTED),
    )

    assert result.posted == 0
    assert balance(era_practice, claim) == Decimal("160.00")
    assert_ledger_intact(era_practice, claim)


def test_negative_payment_recovery(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))
    recovery = written_claim(
        claim,
        paid=["-20.00", "0.00"],
        adjustments=[[cas("CO", "45", "20.00")], []],
        status_code="1",
    )
    recovery = replace(
        recovery,
        charge=Decimal("0.00"),
        services=[replace(recovery.services[0], charge=Decimal("0.00"))],
    )

    result = _remit(era_practice, payer, recovery)

    # The recovery waits for a biller; only the other claim of the file posts.
    assert result.review == 1
    assert result.posted == 1
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_plb_unknown_claim(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    result = _remit(
        era_practice,
        payer,
        written_claim(claim, paid=PAID, adjustments=ADJUSTED),
        provider_adjustments=[WrittenPlb("WO", "NOSUCHCLAIM99", Decimal("5.00"))],
    )

    assert result.posted == 1
    with era_practice.database.reading() as session:
        rows = session.scalars(
            select(ProviderAdjustment).where(ProviderAdjustment.reference == "NOSUCHCLAIM99")
        ).all()
    assert [row.claim_id for row in rows] == [None]
    assert_ledger_intact(era_practice, claim)


def test_patient_share_to_secondary_without_clearinghouse(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    second_id, _ = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        session.add(
            Coverage(patient_id=claim.patient_id, payer_id=second_id, priority=2, member_id="S1")
        )
        secondary = session.get(Payer, second_id)
        assert secondary is not None
        secondary.clearinghouse_id = None

    result = _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))

    assert result.posted == 1
    owed = buckets(era_practice, claim)
    assert sum(owed.values(), Decimal(0)) == Decimal("10.00")
    assert "patient" not in owed
    with era_practice.database.reading() as session:
        built = session.scalars(
            select(Claim).where(Claim.patient_id == claim.patient_id, Claim.payer_id == second_id)
        ).all()
    assert len(built) == 1
    assert_ledger_intact(era_practice, claim)


def test_same_claim_paid_again_in_later_file(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    paid = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    _remit(era_practice, payer, paid)

    result = _remit(era_practice, payer, paid)

    assert result.posted == 0
    assert result.review == 1
    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_paid_after_denial_posts_on_review(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    denied = written_claim(
        claim,
        paid=["0.00", "0.00"],
        adjustments=[[cas("CO", "16", "120.00")], [cas("CO", "16", "40.00")]],
        status_code="4",
    )
    denial = _remit(era_practice, payer, denied)
    # In review mode the later payment waits for a biller, who then replaces the denial.
    with era_practice.database.transaction() as session:
        session.get_one(Payer, payer_id).era_posting_mode = "review"
    result = _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))
    (waiting,) = claim_payments(era_practice, result.response_id)
    assert waiting.state == "review"

    with era_practice.database.transaction() as session:
        posted = post_reviewed(session, era_practice.biller, waiting.id)

    assert posted.paid == Decimal("100.00")
    assert balance(era_practice, claim) == Decimal("10.00")
    assert claim_status(era_practice, claim) == "paid"
    (denial_row,) = claim_payments(era_practice, denial.response_id)
    assert denial_row.state == "reversed"
    assert_ledger_intact(era_practice, claim)


def test_claim_level_adjustment_spread_to_the_cent(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(
        era_practice, payer_id, lines=(("99213", "33.33"), ("97110", "33.33"), ("97112", "33.34"))
    )
    paid = written_claim(claim, paid=["0", "0", "0"])
    spread = replace(
        paid,
        services=[],
        paid=Decimal("70.00"),
        patient_responsibility=Decimal("20.00"),
        adjustments=[cas("CO", "45", "10.00"), cas("PR", "2", "20.00")],
    )

    result = _remit(era_practice, payer, spread)

    assert result.posted == 1
    assert buckets(era_practice, claim) == {"patient": Decimal("20.00")}
    assert_ledger_intact(era_practice, claim)


def test_claim_paid_without_service_lines(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(
        era_practice, payer_id, lines=(("99213", "100.01"), ("97110", "50.00"), ("97112", "0.01"))
    )
    paid = written_claim(claim, paid=["0", "0", "0"])
    whole = replace(
        paid,
        services=[],
        paid=Decimal("100.00"),
        patient_responsibility=Decimal("10.01"),
        adjustments=[cas("CO", "45", "40.01"), cas("PR", "1", "10.01")],
    )

    result = _remit(era_practice, payer, whole)

    assert result.posted == 1
    assert balance(era_practice, claim) == Decimal("10.01")
    assert buckets(era_practice, claim) == {"patient": Decimal("10.01")}
    assert_ledger_intact(era_practice, claim)


def test_paid_more_than_charged(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=(("99213", "100.00"),))
    paid = written_claim(claim, paid=["110.00"], adjustments=[[cas("CO", "45", "-10.00")]])

    result = _remit(era_practice, payer, paid)

    assert result.posted + result.review == 1
    with era_practice.database.transaction() as session:
        assert ledger_check(session, era_practice.manager) == []


def test_plb_names_claim_in_lower_case(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    result = _remit(
        era_practice,
        payer,
        written_claim(claim, paid=PAID, adjustments=ADJUSTED),
        provider_adjustments=[WrittenPlb("L6", "PLBCASE", Decimal("-1.25"))],
    )
    assert result.posted == 1
    text = write_remittance(
        [written_claim(new_claim(era_practice, payer_id), paid=PAID, adjustments=ADJUSTED)],
        payer=payer,
        trace_number=trace(),
        control_number=control(),
        provider_adjustments=[WrittenPlb("L6", "PLBCASE", Decimal("-1.25"))],
    )
    text = text.replace(":PLBCASE*", f":{claim.claim_number.lower()}*")

    import_text(era_practice, text)

    with era_practice.database.reading() as session:
        rows = session.scalars(
            select(ProviderAdjustment).where(
                ProviderAdjustment.reference == claim.claim_number.lower()
            )
        ).all()
    assert [row.claim_id for row in rows] == [claim.claim_id]


def test_unknown_payer_posts_after_review_once(era_practice: EraPractice) -> None:
    payer_id, _ = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    result = _remit(
        era_practice,
        ("NOBODY KNOWN", "ZZ99998"),
        written_claim(claim, paid=PAID, adjustments=ADJUSTED),
    )
    (waiting,) = claim_payments(era_practice, result.response_id)

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, waiting.id)
    with pytest.raises(UserError), era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, waiting.id)

    assert buckets(era_practice, claim) == {"patient": Decimal("10.00")}
    assert_ledger_intact(era_practice, claim)


def test_set_aside_payment_cannot_post_twice(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id)
    result = _remit(era_practice, payer, written_claim(claim, paid=PAID, adjustments=ADJUSTED))
    (waiting,) = claim_payments(era_practice, result.response_id)
    with era_practice.database.transaction() as session:
        set_aside(session, era_practice.biller, waiting.id, "Asked the payer")

    with era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, waiting.id, claim.claim_id)
    with pytest.raises(UserError), era_practice.database.transaction() as session:
        post_reviewed(session, era_practice.biller, waiting.id, claim.claim_id)

    assert balance(era_practice, claim) == Decimal("10.00")
    assert_ledger_intact(era_practice, claim)


def test_patient_match_skips_the_twin_already_paid(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("TWINPAID", "PAT", "TWP0001")
    paid_twin, open_twin = (new_claim(era_practice, payer_id, patient=patient) for _ in range(2))
    _remit(era_practice, payer, written_claim(paid_twin, paid=PAID, adjustments=ADJUSTED))
    lost = written_claim(
        open_twin,
        paid=PAID,
        adjustments=ADJUSTED,
        patient_control_number="LOSTTWIN",
        payer_claim_number="UNKNOWNTWIN",
        control_numbers=False,
    )

    result = _remit(era_practice, payer, lost)

    (row,) = claim_payments(era_practice, result.response_id)
    assert row.claim_id == open_twin.claim_id
    assert row.state == "posted"
    assert balance(era_practice, paid_twin) == Decimal("10.00")
    assert balance(era_practice, open_twin) == Decimal("10.00")
    assert_ledger_intact(era_practice, paid_twin, open_twin)


def test_lost_numbers_reversal_and_correction_of_twin(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    patient = ("TWINREV", "PAT", "TWR0001")
    paid_twin, open_twin = (new_claim(era_practice, payer_id, patient=patient) for _ in range(2))
    first = written_claim(paid_twin, paid=PAID, adjustments=ADJUSTED)
    _remit(era_practice, payer, first)

    def lost(claim: WrittenClaim) -> WrittenClaim:
        services = [replace(service, line_control_number=None) for service in claim.services]
        return replace(
            claim,
            patient_control_number="LOSTREV",
            payer_claim_number="UNKNOWNREV",
            services=services,
        )

    corrected = written_claim(
        paid_twin,
        paid=["80.00", "30.00"],
        adjustments=[[cas("CO", "45", "40.00")], [cas("CO", "45", "10.00")]],
    )
    result = _remit(era_practice, payer, lost(reversal_of(first)), lost(corrected))

    rows = claim_payments(era_practice, result.response_id)
    assert [row.claim_id for row in rows] == [paid_twin.claim_id, paid_twin.claim_id]
    assert [row.state for row in rows] == ["posted", "posted"]
    assert balance(era_practice, paid_twin) == Decimal("0.00")
    assert balance(era_practice, open_twin) == Decimal("160.00")
    assert_ledger_intact(era_practice, paid_twin, open_twin)


def test_review_payer_named_with_unknown_id(era_practice: EraPractice) -> None:
    payer_id, (name, _) = new_payer(era_practice, mode="review")
    claim = new_claim(era_practice, payer_id)

    result = _remit(
        era_practice,
        (name, "ZZ99997"),
        written_claim(claim, paid=PAID, adjustments=ADJUSTED),
    )

    assert result.posted == 0
    (row,) = claim_payments(era_practice, result.response_id)
    assert row.state == "review"
    assert balance(era_practice, claim) == Decimal("160.00")
    assert_ledger_intact(era_practice, claim)


def test_split_line_without_control_numbers(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id, lines=(("99213", "120.00"), ("97110", "40.00")))
    base = written_claim(
        claim,
        paid=["70.00", "30.00"],
        adjustments=[[cas("CO", "45", "50.00")], [cas("CO", "45", "10.00")]],
        control_numbers=False,
    )
    whole, other = base.services
    half = replace(
        whole,
        charge=Decimal("60.00"),
        paid=Decimal("35.00"),
        adjustments=[cas("CO", "45", "25.00")],
    )

    result = _remit(era_practice, payer, replace(base, services=[half, half, other]))

    assert result.posted == 1
    assert balance(era_practice, claim) == Decimal("0.00")
    assert_ledger_intact(era_practice, claim)


def test_reversal_after_secondary_was_billed(era_practice: EraPractice) -> None:
    payer_id, payer = new_payer(era_practice)
    second_id, _ = new_payer(era_practice)
    claim = new_claim(era_practice, payer_id)
    with era_practice.database.transaction() as session:
        session.add(
            Coverage(patient_id=claim.patient_id, payer_id=second_id, priority=2, member_id="S2")
        )
    first = written_claim(claim, paid=PAID, adjustments=ADJUSTED)
    _remit(era_practice, payer, first)
    corrected = written_claim(
        claim,
        paid=["60.00", "30.00"],
        adjustments=[
            [cas("CO", "45", "40.00"), cas("PR", "1", "20.00")],
            [cas("CO", "45", "10.00")],
        ],
    )

    result = _remit(era_practice, payer, reversal_of(first), corrected)

    states = [row.state for row in claim_payments(era_practice, result.response_id)]
    assert states[:2] == ["posted", "posted"]
    assert sum(buckets(era_practice, claim).values(), Decimal(0)) == Decimal("20.00")
    assert "patient" not in buckets(era_practice, claim)
    with era_practice.database.reading() as session:
        built = session.scalars(
            select(Claim).where(
                Claim.patient_id == claim.patient_id,
                Claim.payer_id == second_id,
                Claim.status != "voided",
            )
        ).all()
    # One claim bills the secondary, even though the primary paid twice.
    assert len(built) == 1
    assert_ledger_intact(era_practice, claim)
