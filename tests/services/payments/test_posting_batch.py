"""Recording and posting many adjudications at once gives what posting them one by one gives.

Each case is built twice, on claims of two patients with the same coverages: one claim is
recorded and posted with `record_adjudication` and `post_adjudication`, one claim per
case at a time, and the other with `record_adjudications`, `plan_adjudications` and
`apply_plans` for all cases in one batch. The ledger rows, adjudications, statuses,
events and findings of each pair must be the same, with the claim numbers masked.
"""

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from decimal import Decimal

import pytest
from sqlalchemy import select, update

from app.errors import NotFoundError, UserError
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
from app.problems import Problem, Severity
from app.services.adjudication_batch import CheckedForm, record_adjudications, record_checked
from app.services.claim_cob import (
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    record_adjudication,
)
from app.services.claim_status import (
    ClaimEventKind,
    ClaimStatus,
    NewClaimEvent,
    record_claim_events,
    record_event,
)
from app.services.era_posting import PostingResult, apply_plans, post_adjudication
from app.services.era_posting_load import RecordedRows, load_posting_rows
from app.services.era_posting_plan import PlanItem, plan_adjudications
from app.services.outcomes import SaveOutcome
from tests.helpers.claim_data import ClaimPractice
from tests.helpers.posting_data import (
    PAID_ON,
    add_source,
    ledger_findings,
    module_claim_practice,
    new_claim,
    new_patient,
    record,
)

D = Decimal
FormMaker = Callable[[ClaimPractice, uuid.UUID], AdjudicationForm]


@pytest.fixture(scope="module")
def practice(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClaimPractice]:
    with module_claim_practice(tmp_path_factory) as built:
        yield built


def lines_form(
    practice: ClaimPractice,
    claim_id: uuid.UUID,
    *settlements: tuple[str, list[tuple[str, str, str]]],
    status_code: str = "1",
    patient_responsibility: str | None = None,
) -> AdjudicationForm:
    """A form with one (paid, [(group, reason, amount)]) settlement per claim line, in order."""
    lines = practice.claim_lines(claim_id)
    line_forms = [
        LineAdjudicationForm(
            claim_line_id=line.id,
            paid_amount=D(paid),
            adjustments=[AdjustmentForm(group, reason, D(amount)) for group, reason, amount in cas],
        )
        for line, (paid, cas) in zip(lines, settlements, strict=True)
    ]
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code=status_code,
        paid_amount=sum((line.paid_amount for line in line_forms), D("0.00")),
        adjudicated_on=PAID_ON,
        payer_claim_number="ICN-7",
        patient_responsibility=(
            D(patient_responsibility) if patient_responsibility is not None else None
        ),
        lines=line_forms,
    )


def claim_level_form(practice: ClaimPractice, claim_id: uuid.UUID) -> AdjudicationForm:
    return AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("100.00"),
        adjudicated_on=PAID_ON,
        adjustments=[AdjustmentForm("CO", "45", D("20.00"))],
    )


@dataclass(frozen=True)
class Case:
    """A claim to build (coverages and procedure codes) and the adjudication it gets."""

    name: str
    coverages: Callable[[ClaimPractice], tuple[uuid.UUID, ...]]
    codes: tuple[str, ...]
    form: FormMaker
    adjudicated_before: bool = False


def aetna(practice: ClaimPractice) -> tuple[uuid.UUID, ...]:
    return (practice.aetna_id,)


def aetna_then_cigna(practice: ClaimPractice) -> tuple[uuid.UUID, ...]:
    return (practice.aetna_id, practice.cigna_id)


CASES = (
    Case(
        "contract write-off",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("100.00", [("CO", "45", "20.00")])),
    ),
    Case(
        "deductible to patient",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("0.00", [("PR", "1", "120.00")])),
    ),
    Case(
        "coinsurance to secondary",
        aetna_then_cigna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("85.00", [("CO", "45", "15.00"), ("PR", "2", "20.00")])),
    ),
    Case(
        "unbalanced line",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("90.00", [("CO", "45", "20.00")])),
    ),
    Case(
        "partly denied",
        aetna,
        ("99213", "99214"),
        lambda p, c: lines_form(
            p, c, ("100.00", [("CO", "45", "20.00")]), ("0.00", [("CO", "50", "175.00")])
        ),
    ),
    Case(
        "denied claim",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("0.00", [("CO", "16", "120.00")]), status_code="4"),
    ),
    Case("claim-level adjustment", aetna, ("99213", "99214"), claim_level_form),
    Case(
        "crossover",
        aetna_then_cigna,
        ("99213",),
        lambda p, c: lines_form(
            p, c, ("85.00", [("CO", "45", "15.00"), ("PR", "2", "20.00")]), status_code="19"
        ),
    ),
    Case(
        "patient share warning",
        aetna,
        ("99213",),
        lambda p, c: lines_form(
            p, c, ("100.00", [("CO", "45", "20.00")]), patient_responsibility="5.00"
        ),
    ),
    Case(
        "review adjustment",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("100.00", [("OA", "94", "20.00")])),
    ),
    Case(
        "flagged write-off",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("100.00", [("CO", "97", "20.00")])),
    ),
    Case(
        "replaces an earlier adjudication",
        aetna,
        ("99213",),
        lambda p, c: lines_form(p, c, ("110.00", [("CO", "45", "10.00")])),
        adjudicated_before=True,
    ),
)


def build_claims(practice: ClaimPractice) -> list[uuid.UUID]:
    """Build each case's claim for a new patient; record the earlier adjudication if any."""
    claim_ids = []
    for case in CASES:
        patient_id = new_patient(practice, *case.coverages(practice))
        claim_id = new_claim(practice, patient_id, case.codes)
        if case.adjudicated_before:
            record(practice, lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")])))
        claim_ids.append(claim_id)
    return claim_ids


def post_one_by_one(
    practice: ClaimPractice, forms: list[AdjudicationForm]
) -> tuple[list[SaveOutcome], list[PostingResult]]:
    outcomes, results = [], []
    for form in forms:
        with practice.database.transaction() as session:
            outcome = record_adjudication(session, practice.biller, form)
        outcomes.append(outcome)
        if outcome.record_id is None:
            continue
        source_id = add_source(practice, form.claim_id, form)
        with practice.database.transaction() as session:
            results.append(
                post_adjudication(session, practice.biller, outcome.record_id, source_id=source_id)
            )
    return outcomes, results


def post_in_one_batch(
    practice: ClaimPractice, forms: list[AdjudicationForm]
) -> tuple[list[SaveOutcome], list[PostingResult]]:
    with practice.database.transaction() as session:
        outcomes = record_adjudications(session, practice.biller, forms)
    items = [
        PlanItem(outcome.record_id, add_source(practice, form.claim_id, form))
        for form, outcome in zip(forms, outcomes, strict=True)
        if outcome.record_id is not None
    ]
    with practice.database.transaction() as session:
        plans = plan_adjudications(session, items)
        results = apply_plans(session, practice.biller, plans)
    return outcomes, results


def post_in_one_unit_of_work(
    practice: ClaimPractice, forms: list[AdjudicationForm]
) -> tuple[list[SaveOutcome], list[PostingResult]]:
    """Record, plan and apply in one transaction, as the 835 import does."""
    sources = [add_source(practice, form.claim_id, form) for form in forms]
    # The claim payments have posted nothing yet, as the import's new ones.
    recorded = RecordedRows(new_sources=set(sources))
    with practice.database.transaction() as session:
        outcomes = record_adjudications(
            session, practice.biller, forms, posting_follows=True, recorded=recorded
        )
        items = [
            PlanItem(outcome.record_id, source_id)
            for source_id, outcome in zip(sources, outcomes, strict=True)
            if outcome.record_id is not None
        ]
        plans = plan_adjudications(session, items, recorded=recorded)
        results = apply_plans(session, practice.biller, plans)
    return outcomes, results


def masked(text: str | None, numbers: list[str]) -> str | None:
    """Return the text with the claim numbers replaced, so two claims' texts compare."""
    if text is None:
        return None
    for number in numbers:
        text = text.replace(number, "<claim>")
    return text


def snapshot(practice: ClaimPractice, claim_id: uuid.UUID) -> dict[str, object]:
    """Return what posting left on the claim, with nothing that names this claim or patient."""
    with practice.database.reading() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        others = list(
            session.scalars(
                select(Claim)
                .where(Claim.patient_id == claim.patient_id, Claim.id != claim.id)
                .order_by(Claim.created_at)
            )
        )
        numbers = [claim.claim_number] + [other.claim_number for other in others]
        lines = list(
            session.scalars(
                select(ClaimLine)
                .where(ClaimLine.claim_id == claim_id)
                .order_by(ClaimLine.line_number)
            )
        )
        number_of = {line.id: line.line_number for line in lines}
        by_charge = {line.charge_line_id: line.line_number for line in lines}

        ledger = sorted(
            (
                by_charge[row.charge_line_id],
                row.entry_type,
                row.amount,
                row.responsible_party,
                row.payer_id,
                masked(row.memo, numbers),
            )
            for row in session.scalars(
                select(LedgerEntry).where(
                    LedgerEntry.charge_line_id.in_(list(by_charge)),
                    LedgerEntry.source_type == "remittance_claim",
                )
            )
            if row.charge_line_id is not None
        )
        events = [
            (
                event.event,
                event.status,
                masked(event.detail, numbers),
                number_of.get(event.claim_line_id) if event.claim_line_id else None,
            )
            for event in session.scalars(
                select(ClaimEvent)
                .where(ClaimEvent.claim_id == claim_id)
                .order_by(ClaimEvent.occurred_at, ClaimEvent.id)
            )
            # The build event names the visit, which differs between the two claims.
            if event.event != ClaimEventKind.BUILT
        ]
        findings = sorted(
            (finding.rule, finding.severity, masked(finding.message, numbers), finding.why)
            for finding in session.scalars(
                select(ClaimFinding).where(
                    ClaimFinding.claim_id == claim_id, ClaimFinding.archived.is_(False)
                )
            )
        )
        adjudications = []
        for adjudication in session.scalars(
            select(PayerAdjudication)
            .where(PayerAdjudication.claim_id == claim_id)
            .order_by(PayerAdjudication.created_at)
        ):
            settled = session.scalars(
                select(PayerLineAdjudication)
                .where(PayerLineAdjudication.adjudication_id == adjudication.id)
                .order_by(PayerLineAdjudication.created_at, PayerLineAdjudication.id)
            )
            line_of = {}
            settled_rows = []
            for row in settled:
                line_of[row.id] = number_of[row.claim_line_id]
                settled_rows.append(
                    (
                        number_of[row.claim_line_id],
                        row.procedure_code,
                        row.modifiers,
                        row.units,
                        row.charge_amount,
                        row.paid_amount,
                    )
                )
            adjustments = [
                (
                    line_of.get(item.line_adjudication_id) if item.line_adjudication_id else None,
                    item.group_code,
                    item.reason_code,
                    item.amount,
                    item.quantity,
                )
                for item in session.scalars(
                    select(PayerAdjustment)
                    .where(PayerAdjustment.adjudication_id == adjudication.id)
                    .order_by(PayerAdjustment.created_at, PayerAdjustment.id)
                )
            ]
            adjudications.append(
                (
                    adjudication.payer_id,
                    adjudication.claim_status_code,
                    adjudication.charge_amount,
                    adjudication.paid_amount,
                    adjudication.patient_responsibility,
                    adjudication.crossed_over,
                    adjudication.voided,
                    adjudication.source,
                    tuple(settled_rows),
                    tuple(adjustments),
                )
            )
        return {
            "claim": (claim.status, claim.payer_claim_number, claim.follow_up_on),
            "lines": [line.status for line in lines],
            "ledger": ledger,
            "events": events,
            "findings": findings,
            "adjudications": adjudications,
            "other claims": [
                (other.payer_id, other.payer_sequence, other.status, other.total_charge)
                for other in others
            ],
        }


def result_amounts(result: PostingResult) -> tuple[object, ...]:
    return (
        result.paid,
        result.written_off,
        result.to_patient,
        result.to_next_payer,
        result.denied_lines,
        result.secondary_claim_id is not None,
        result.ledger_rows,
    )


def problem_texts(outcome: SaveOutcome, claim_id: uuid.UUID, practice: ClaimPractice) -> list[str]:
    number = practice.claim(claim_id).claim_number
    return [masked(problem.message, [number]) or "" for problem in outcome.problems]


@pytest.fixture(scope="module")
def posted_pairs(
    practice: ClaimPractice,
) -> tuple[
    list[uuid.UUID],
    list[uuid.UUID],
    tuple[list[SaveOutcome], list[PostingResult]],
    tuple[list[SaveOutcome], list[PostingResult]],
]:
    """Post every case one by one on one set of claims and in one batch on another."""
    single_claims = build_claims(practice)
    batch_claims = build_claims(practice)
    single = post_one_by_one(
        practice, [case.form(practice, c) for case, c in zip(CASES, single_claims, strict=True)]
    )
    batch = post_in_one_batch(
        practice, [case.form(practice, c) for case, c in zip(CASES, batch_claims, strict=True)]
    )
    return single_claims, batch_claims, single, batch


@pytest.fixture(scope="module")
def posted_together(
    practice: ClaimPractice, posted_pairs: tuple
) -> tuple[list[uuid.UUID], tuple[list[SaveOutcome], list[PostingResult]]]:
    """Post every case on a third set of claims, recorded and posted in one transaction."""
    claims = build_claims(practice)
    forms = [case.form(practice, claim_id) for case, claim_id in zip(CASES, claims, strict=True)]
    return claims, post_in_one_unit_of_work(practice, forms)


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.name for case in CASES])
def test_batch_posts_like_one_by_one(
    practice: ClaimPractice, posted_pairs: tuple, index: int
) -> None:
    single_claims, batch_claims, _, _ = posted_pairs

    single = snapshot(practice, single_claims[index])
    batch = snapshot(practice, batch_claims[index])

    for key in single:
        assert batch[key] == single[key], key


def test_batch_outcomes_match(practice: ClaimPractice, posted_pairs: tuple) -> None:
    single_claims, batch_claims, (single_outcomes, single_results), batch = posted_pairs
    batch_outcomes, batch_results = batch

    assert [outcome.saved for outcome in batch_outcomes] == [
        outcome.saved for outcome in single_outcomes
    ]
    for single_outcome, batch_outcome, single_id, batch_id in zip(
        single_outcomes, batch_outcomes, single_claims, batch_claims, strict=True
    ):
        assert problem_texts(batch_outcome, batch_id, practice) == problem_texts(
            single_outcome, single_id, practice
        )
    assert [result_amounts(result) for result in batch_results] == [
        result_amounts(result) for result in single_results
    ]


@pytest.mark.parametrize("index", range(len(CASES)), ids=[case.name for case in CASES])
def test_posting_follows_like_one_by_one(
    practice: ClaimPractice, posted_pairs: tuple, posted_together: tuple, index: int
) -> None:
    """Skipping the line statuses while recording leaves what recording them leaves."""
    single_claims = posted_pairs[0]
    together_claims, _ = posted_together

    single = snapshot(practice, single_claims[index])
    together = snapshot(practice, together_claims[index])

    for key in single:
        assert together[key] == single[key], key


def test_posting_follows_results_match(posted_pairs: tuple, posted_together: tuple) -> None:
    _, _, (single_outcomes, single_results), _ = posted_pairs
    _, (outcomes, results) = posted_together

    assert [outcome.saved for outcome in outcomes] == [outcome.saved for outcome in single_outcomes]
    assert [result_amounts(result) for result in results] == [
        result_amounts(result) for result in single_results
    ]


def test_failed_form_stores_nothing(practice: ClaimPractice, posted_pairs: tuple) -> None:
    _, batch_claims, _, (outcomes, _) = posted_pairs
    failed = [case.name for case in CASES].index("unbalanced line")

    assert outcomes[failed].record_id is None
    assert "does not balance" in outcomes[failed].problems[0].message
    assert snapshot(practice, batch_claims[failed])["adjudications"] == []
    assert ledger_findings(practice) == []


def test_same_claim_twice_in_batch(practice: ClaimPractice) -> None:
    single_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    batch_id = new_claim(practice, new_patient(practice, practice.aetna_id))

    def forms(claim_id: uuid.UUID) -> list[AdjudicationForm]:
        return [
            lines_form(practice, claim_id, ("0.00", [("CO", "50", "120.00")])),
            lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")])),
        ]

    for form in forms(single_id):
        record(practice, form)
    with practice.database.transaction() as session:
        outcomes = record_adjudications(session, practice.biller, forms(batch_id))

    assert all(outcome.saved for outcome in outcomes)
    single = snapshot(practice, single_id)
    batch = snapshot(practice, batch_id)
    assert [row[6] for row in batch["adjudications"]] == [True, False]
    assert batch["adjudications"] == single["adjudications"]
    assert batch["events"] == single["events"]
    assert batch["lines"] == single["lines"] == ["paid"]


def test_unknown_claim_writes_nothing(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    forms = [
        lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")])),
        AdjudicationForm(
            claim_id=uuid.uuid4(),
            claim_status_code="1",
            paid_amount=D("0.00"),
            adjudicated_on=PAID_ON,
        ),
    ]

    with (
        pytest.raises(NotFoundError, match="was not found"),
        practice.database.transaction() as session,
    ):
        record_adjudications(session, practice.biller, forms)

    assert snapshot(practice, claim_id)["adjudications"] == []


def test_plan_batch_rejects_posted_source(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")]))
    adjudication_id = record(practice, form)
    source_id = add_source(practice, claim_id, form)
    with practice.database.transaction() as session:
        post_adjudication(session, practice.biller, adjudication_id, source_id=source_id)
    number = practice.claim(claim_id).claim_number

    with (
        pytest.raises(UserError, match=f"claim {number} is already posted"),
        practice.database.reading() as session,
    ):
        plan_adjudications(session, [PlanItem(adjudication_id, source_id)])


def test_plan_batch_rejects_shared_lines(practice: ClaimPractice) -> None:
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    form = lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")]))
    adjudication_id = record(practice, form)
    items = [
        PlanItem(adjudication_id, add_source(practice, claim_id, form)),
        PlanItem(adjudication_id, add_source(practice, claim_id, form)),
    ]

    with (
        pytest.raises(ValueError, match="separate batches"),
        practice.database.reading() as session,
    ):
        plan_adjudications(session, items)


def test_claim_events_batch_like_one_by_one(practice: ClaimPractice) -> None:
    """A claim-wide status after a line status overrides it, as it does in order."""
    patient_id = new_patient(practice, practice.aetna_id)
    single_id = new_claim(practice, patient_id, ("99213", "99214"))
    batch_id = new_claim(practice, patient_id, ("99213", "99214"))

    def steps(claim: Claim, line_ids: list[uuid.UUID]) -> list[NewClaimEvent]:
        return [
            NewClaimEvent(claim, ClaimEventKind.PAID, status=ClaimStatus.PARTIAL, detail="a"),
            NewClaimEvent(
                claim, ClaimEventKind.DENIED, status=ClaimStatus.DENIED, line_id=line_ids[1]
            ),
            NewClaimEvent(claim, ClaimEventKind.NOTE, status=ClaimStatus.PENDING, detail="b"),
            NewClaimEvent(claim, ClaimEventKind.PAID, status=ClaimStatus.PAID, line_id=line_ids[0]),
            NewClaimEvent(claim, ClaimEventKind.NOTE, detail="c"),
        ]

    single_lines = [line.id for line in practice.claim_lines(single_id)]
    batch_lines = [line.id for line in practice.claim_lines(batch_id)]
    with practice.database.transaction() as session:
        single = session.get(Claim, single_id)
        assert single is not None
        for step in steps(single, single_lines):
            record_event(
                session,
                single,
                step.kind,
                user_id=practice.biller.user_id,
                status=step.status,
                detail=step.detail,
                line_id=step.line_id,
            )
    with practice.database.transaction() as session:
        batch = session.get(Claim, batch_id)
        assert batch is not None
        record_claim_events(session, steps(batch, batch_lines), user_id=practice.biller.user_id)

    assert practice.claim(batch_id).status == practice.claim(single_id).status == "pending"
    assert [line.status for line in practice.claim_lines(batch_id)] == ["paid", "pending"]
    assert snapshot(practice, batch_id)["events"] == snapshot(practice, single_id)["events"]


def test_claim_events_without_lines(practice: ClaimPractice) -> None:
    """With update_lines False the claim takes its status and the lines keep theirs."""
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id), ("99213", "99214"))
    line_ids = [line.id for line in practice.claim_lines(claim_id)]
    before = [line.status for line in practice.claim_lines(claim_id)]

    with practice.database.transaction() as session:
        claim = session.get(Claim, claim_id)
        assert claim is not None
        events = [
            NewClaimEvent(claim, ClaimEventKind.PAID, status=ClaimStatus.PARTIAL, detail="a"),
            NewClaimEvent(
                claim, ClaimEventKind.DENIED, status=ClaimStatus.DENIED, line_id=line_ids[1]
            ),
        ]
        record_claim_events(session, events, user_id=practice.biller.user_id, update_lines=False)

    assert practice.claim(claim_id).status == "partial"
    assert [line.status for line in practice.claim_lines(claim_id)] == before
    events = snapshot(practice, claim_id)["events"]
    assert isinstance(events, list)
    assert [row[:2] for row in events] == [("paid", "partial"), ("denied", "denied")]


def test_checked_form_with_error_rejected(practice: ClaimPractice) -> None:
    """record_checked rejects a form by the problems its caller found, and stores the rest."""
    bad_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    good_id = new_claim(practice, new_patient(practice, practice.aetna_id))
    error = Problem("paid_amount", "The claim does not balance.")
    warning = Problem("lines", "Check the lines.", Severity.WARNING)

    with practice.database.transaction() as session:
        checked = []
        for claim_id, problem in ((bad_id, error), (good_id, warning)):
            claim = session.get(Claim, claim_id)
            assert claim is not None
            lines = {line.id: line for line in practice.claim_lines(claim_id)}
            form = lines_form(practice, claim_id, ("100.00", [("CO", "45", "20.00")]))
            checked.append(CheckedForm(form, claim, lines, (problem,)))
        outcomes = record_checked(session, practice.biller, checked)

    assert outcomes[0].record_id is None
    assert outcomes[0].problems == (error,)
    assert outcomes[1].record_id is not None
    assert outcomes[1].problems == (warning,)
    assert snapshot(practice, bad_id)["adjudications"] == []
    stored = snapshot(practice, good_id)["adjudications"]
    assert isinstance(stored, list)
    assert len(stored) == 1


def test_recorded_rows_load_like_stored(practice: ClaimPractice) -> None:
    """Planning rows taken from a RecordedRows equal those read back, archived lines too."""
    claim_id = new_claim(practice, new_patient(practice, practice.aetna_id), ("99213", "99214"))
    kept, dropped = practice.claim_lines(claim_id)
    with practice.database.transaction() as session:
        session.execute(update(ClaimLine).where(ClaimLine.id == dropped.id).values(archived=True))
    form = AdjudicationForm(
        claim_id=claim_id,
        claim_status_code="1",
        paid_amount=D("100.00"),
        adjudicated_on=PAID_ON,
        lines=[
            LineAdjudicationForm(
                claim_line_id=kept.id,
                paid_amount=D("100.00"),
                adjustments=[AdjustmentForm("CO", "45", D("20.00"))],
            )
        ],
    )
    source_id = add_source(practice, claim_id, form)

    recorded = RecordedRows()
    with practice.database.transaction() as session:
        (outcome,) = record_adjudications(session, practice.biller, [form], recorded=recorded)
        assert outcome.record_id is not None
        items = [PlanItem(outcome.record_id, source_id)]
        taken = load_posting_rows(session, items, recorded)
        read = load_posting_rows(session, items)

    assert taken.lines == read.lines
    assert taken.charge_lines == read.charge_lines
    assert taken.charge_lines[claim_id] == {kept.charge_line_id, dropped.charge_line_id}
    assert [line.id for line in taken.lines[claim_id]] == [kept.id]
    assert taken.adjudications == read.adjudications
    assert taken.settled == read.settled
    assert taken.adjustments == read.adjustments
