"""Posting a paper EOB: a payer's check (or zero-pay notice) typed in by a biller.

A paper EOB is stored like an 835: one Remittance with source "paper" whose trace number
is the check number, and one RemittanceClaim per claim whose `segments` column contains
the typed adjudication as JSON. Each claim's adjudication is stored with
`claim_cob.record_adjudication` and its money is posted with
`era_posting.post_adjudication`, the same two steps an 835 takes, so a typed EOB and an
electronic one leave the same ledger rows.

Posting is all or nothing. A savepoint wraps the claims, so when any claim fails its
checks every claim's writes are rolled back and the outcome lists the problems of all of
them.

An EOB may come from the claim's payer or from a payer the claim's payer forwarded the
claim to (a crossover, CLP02 19, 20 or 21). The crossover payer's EOB is that payer's
adjudication of the same claim and posts to its ledger bucket, as its 835 would
(`claim_crossover`).
"""

import dataclasses
import functools
import json
import logging
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app import validators as v
from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError
from app.models.claims import Claim, ClaimLine, PayerAdjudication
from app.models.patients import Coverage, Patient
from app.models.payments import Remittance, RemittanceClaim
from app.models.practice import Payer
from app.money import ZERO, format_money, to_money
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services import era_posting
from app.services.claim_build_rows import claim_lines, get_claim, patient_coverages
from app.services.claim_cob import (
    PATIENT_GROUP,
    PROCESSED_CODES,
    SOURCE_PAPER,
    AdjudicationForm,
    LineAdjudicationForm,
    record_adjudication,
)
from app.services.claim_crossover import (
    adjudicating_payer,
    claim_payers,
    current_adjudications,
    payer_sequence_of,
)
from app.services.claim_status import status_label
from app.services.outcomes import SaveOutcome
from app.services.patient_records import display_name
from app.services.today import practice_today

log = logging.getLogger(__name__)

# BPR04 payment methods a paper EOB can carry: a check, a direct deposit, or no payment.
METHODS = {"CHK": "Check", "ACH": "Direct deposit (ACH)", "NON": "No payment"}
CHECK_NUMBER_MAX_LENGTH = 50
# CLP02 status a claim is processed as, by the claim's place in the order of payers.
STATUS_BY_SEQUENCE = {"P": "1", "S": "2", "T": "3"}
# BPR01: "C" a payment comes with the remittance, "H" a notice that pays nothing.
HANDLING_PAYMENT = "C"
HANDLING_NOTICE = "H"
SEGMENTS_FORMAT = "paper_eob"
OBJECT_TYPE = "remittance"


@dataclass(slots=True)
class EobForm:
    """A paper EOB: the payer's check and the adjudication of each claim it pays.

    `method` is CHK, ACH or NON (no payment, for an EOB that pays nothing). `amount` is
    the check's amount and must equal the sum of the claims' paid amounts.
    """

    payer_id: uuid.UUID
    check_number: str
    check_date: date
    amount: Decimal
    method: str = "CHK"
    claims: list[AdjudicationForm] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class EobLine:
    """A claim line as the EOB dialog shows it."""

    claim_line_id: uuid.UUID
    line_number: int
    service_date: date
    procedure_code: str
    modifiers: tuple[str, ...]
    units: int
    charge: Decimal


@dataclass(frozen=True, slots=True)
class EobClaim:
    """A claim as the EOB dialog shows it, with its template adjudication.

    `payer_id` and `payer_name` are the payer the claim is billed to. `payers` are the
    (id, name) of the payers whose EOB can settle the claim: that payer, then each payer
    a crossover moved the claim to. The template is the adjudication by the last of them.
    """

    claim_id: uuid.UUID
    claim_number: str
    patient_name: str
    payer_id: uuid.UUID
    payer_name: str
    status: str
    status_label: str
    service_date: date
    total_charge: Decimal
    lines: tuple[EobLine, ...]
    template: AdjudicationForm
    payers: tuple[tuple[uuid.UUID, str], ...]

    @property
    def next_payer_id(self) -> uuid.UUID:
        """The payer whose EOB settles the claim next, which is the last one it reached."""
        return self.payers[-1][0]

    def accepts(self, payer_id: uuid.UUID) -> bool:
        """Return True when an EOB from `payer_id` can settle the claim."""
        return any(candidate == payer_id for candidate, _name in self.payers)

    def payer_problem(self, eob_payer_name: str) -> str:
        """Return the reason an EOB from `eob_payer_name` cannot settle the claim."""
        names = [name for _payer_id, name in self.payers]
        return payer_mismatch_message(self.claim_number, names, eob_payer_name)


def eob_template(
    session: Session, actor: Actor, claim_id: uuid.UUID, payer_id: uuid.UUID | None = None
) -> AdjudicationForm:
    """Return an adjudication of the claim with every line as billed and nothing paid.

    `payer_id` is the payer of the EOB: None for the claim's payer, or a payer a
    crossover moved the claim to. The status code is the one for that payer's place in
    the order of payers (1 primary, 2 secondary, 3 tertiary), dated today. The biller
    fills in what the EOB shows.
    """
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    lines = [
        LineAdjudicationForm(claim_line_id=line.id, paid_amount=ZERO)
        for line in claim_lines(session, claim.id)
    ]
    form = AdjudicationForm(
        claim_id=claim.id,
        claim_status_code=STATUS_BY_SEQUENCE.get(claim.payer_sequence, "1"),
        paid_amount=ZERO,
        adjudicated_on=practice_today(session),
        payer_claim_number=claim.payer_claim_number,
        lines=lines,
        source=SOURCE_PAPER,
    )
    if payer_id is None or payer_id == claim.payer_id:
        return form
    # The claim keeps the number its own payer gave it, which is not this payer's.
    form.payer_claim_number = None
    return _for_payer(form, claim, payer_id, _coverage_reader(session, claim))


def find_eob_claim(session: Session, actor: Actor, claim_number: str) -> EobClaim:
    """Return the claim with this claim number, for adding it to an EOB.

    Raises NotFoundError naming the number when no live claim has it. The read is audited
    as a view of the claim, since the result names the patient.
    """
    require(actor, Permission.CLAIM_MANAGE)
    number = claim_number.strip().upper()
    claim = session.scalars(
        select(Claim).where(Claim.claim_number == number, Claim.archived.is_(False))
    ).first()
    if claim is None:
        raise NotFoundError(
            f"No claim has the number {v.echo_for_message(number) or '(blank)'}; type the "
            "claim number as the EOB prints it (the patient account or control number)."
        )
    return eob_claim(session, actor, claim.id)


def eob_claim(session: Session, actor: Actor, claim_id: uuid.UUID) -> EobClaim:
    """Return a claim with its lines and template adjudication; audited as a view."""
    require(actor, Permission.CLAIM_MANAGE)
    claim = get_claim(session, claim_id)
    payer_ids = claim_payers(
        claim, current_adjudications(session, claim), _coverage_reader(session, claim)
    )
    payers = tuple((payer_id, _payer_name(session, payer_id)) for payer_id in payer_ids)
    template = eob_template(session, actor, claim_id, payer_ids[-1])
    patient = session.get(Patient, claim.patient_id)
    payer = session.get(Payer, claim.payer_id)
    assert patient is not None and payer is not None, "claim columns are foreign keys"
    lines = tuple(_eob_line(line) for line in claim_lines(session, claim.id))
    audit.record(session, actor, AuditAction.VIEW, "claim", claim.id, patient_id=patient.id)
    return EobClaim(
        claim_id=claim.id,
        claim_number=claim.claim_number,
        patient_name=display_name(patient),
        payer_id=payer.id,
        payer_name=payer.name,
        status=claim.status,
        status_label=status_label(claim.status),
        service_date=claim.service_date_from,
        total_charge=claim.total_charge,
        lines=lines,
        template=template,
        payers=payers,
    )


def _eob_line(line: ClaimLine) -> EobLine:
    slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
    return EobLine(
        claim_line_id=line.id,
        line_number=line.line_number,
        service_date=line.service_date,
        procedure_code=line.procedure_code,
        modifiers=tuple(modifier for modifier in slots if modifier),
        units=line.units,
        charge=line.charge_amount,
    )


def post_paper_eob(session: Session, actor: Actor, form: EobForm) -> SaveOutcome:
    """Store a paper EOB and post every claim on it, or nothing when anything is wrong.

    The check's amount must equal the sum of the claims' paid amounts, every claim must
    be billed to the EOB's payer or forwarded to it by crossover and balance line by
    line, and the same check must not have been posted before. A crossover payer's EOB
    is stored as that payer's adjudication with the status code of its place in the
    order of payers, whatever processed code (1, 2 or 3) the form has. The outcome's
    record id is the Remittance's id. Raises what posting raises (a closed period, for
    one) and the caller's rollback then discards everything.
    """
    require(actor, Permission.PAYMENT_POST)
    require(actor, Permission.CLAIM_MANAGE)
    payer = session.get(Payer, form.payer_id)
    problems = _header_problems(session, form, payer)
    if has_errors(problems):
        log.info("paper EOB rejected before posting with %d problems", len(problems))
        return SaveOutcome.rejected(problems)
    assert payer is not None, "_header_problems reports a missing payer"

    claims, adjudications, claim_problems = _load_claims(session, form, payer)
    problems += claim_problems
    if has_errors(problems):
        log.info("paper EOB rejected before posting with %d problems", len(problems))
        return SaveOutcome.rejected(problems)

    savepoint = session.begin_nested()
    remittance = _add_remittance(session, actor, form, payer)
    changes: list[Changes] = []
    for position, (adjudication, claim) in enumerate(zip(adjudications, claims, strict=True), 1):
        outcome = record_adjudication(session, actor, adjudication)
        problems += _claim_problems(outcome.problems, claim, position)
        if outcome.record_id is None or has_errors(problems):
            # This claim or an earlier one failed, so everything is rolled back and
            # posting is skipped. The remaining claims are still checked, so the outcome
            # lists every problem at once.
            continue
        source = _add_remittance_claim(
            session, actor, remittance, position, claim, adjudication, outcome.record_id
        )
        posted = era_posting.post_adjudication(
            session, actor, outcome.record_id, source_id=source.id
        )
        changes.append(posted.changes)

    if has_errors(problems):
        savepoint.rollback()
        log.info("paper EOB rolled back: %d problems", len(problems))
        return SaveOutcome.rejected(problems)
    savepoint.commit()

    audit.record(
        session, actor, AuditAction.POST, OBJECT_TYPE, remittance.id,
        detail=f"paper EOB: {len(claims)} claims, paid {remittance.payment_amount}",
    )  # fmt: skip
    log.info("posted paper EOB %s with %d claims", remittance.id, len(claims))
    kinds = {ChangeKind.CLAIMS, ChangeKind.PAYMENTS, ChangeKind.LEDGER}
    for change in changes:
        kinds |= change.kinds
    return SaveOutcome(remittance.id, True, tuple(problems), Changes(frozenset(kinds)))


# ---- checks -------------------------------------------------------------------------


def _header_problems(session: Session, form: EobForm, payer: Payer | None) -> list[Problem]:
    problems: list[Problem] = []
    if payer is None or payer.archived:
        problems.append(Problem("payer_id", "The payer is missing; choose the payer of the EOB."))
    problems += v.text_problems(
        form.check_number, "check_number", "Check number", CHECK_NUMBER_MAX_LENGTH
    )
    if form.method not in METHODS:
        problems.append(
            Problem(
                "method",
                f"Payment method {v.echo_for_message(form.method) or '(blank)'} is not valid; "
                "choose check, direct deposit or no payment.",
            )
        )
    if form.check_date > practice_today(session):
        problems.append(
            Problem(
                "check_date",
                f"Check date {form.check_date:%m/%d/%Y} is after today; type the date printed "
                "on the check or EOB.",
            )
        )
    problems += _amount_problems(form)
    if not form.claims:
        problems.append(
            Problem("claims", "The EOB has no claims; add each claim it pays by claim number.")
        )
    if payer is not None and not has_errors(problems):
        problems += _duplicate_problems(session, form, payer)
    return problems


def _amount_problems(form: EobForm) -> list[Problem]:
    try:
        valid = to_money(form.amount) == form.amount
    except (TypeError, ValueError):
        valid = False
    if not valid or form.amount < ZERO:
        return [
            Problem(
                "amount",
                f"Check amount {form.amount} is not an amount in dollars and cents; type it as "
                "the check shows it, such as 1,240.00.",
            )
        ]
    if form.method == "NON" and form.amount != ZERO:
        return [
            Problem(
                "amount",
                f"The check amount is {format_money(form.amount)} but the method is no payment; "
                "choose check or direct deposit, or set the amount to 0.00.",
            )
        ]
    paid = sum((claim.paid_amount for claim in form.claims), ZERO)
    if form.claims and paid != form.amount:
        return [
            Problem(
                "amount",
                f"The claims' paid amounts add up to {format_money(paid)} but the check amount "
                f"is {format_money(form.amount)}; check each claim's paid amount against the "
                "EOB, or correct the check amount.",
            )
        ]
    return []


def _duplicate_problems(session: Session, form: EobForm, payer: Payer) -> list[Problem]:
    # A payer that sends both an 835 and a paper EOB for one payment must not be posted
    # twice, so remittances from either source count.
    earlier = session.scalars(
        select(Remittance).where(
            Remittance.payer_id == payer.id,
            Remittance.trace_number == form.check_number.strip(),
            Remittance.payment_amount == form.amount,
            Remittance.status != "reversed",
            Remittance.archived.is_(False),
        )
    ).first()
    if earlier is None:
        return []
    source = "an 835 remittance" if earlier.source == "era" else "a paper EOB"
    return [
        Problem(
            "check_number",
            f"Check {form.check_number.strip()} from {payer.name} for "
            f"{format_money(form.amount)} was already posted from {source} on "
            f"{earlier.received_at:%m/%d/%Y}; open it under Payments → Remittances instead of "
            "posting it again.",
        )
    ]


def _load_claims(
    session: Session, form: EobForm, payer: Payer
) -> tuple[list[Claim], list[AdjudicationForm], list[Problem]]:
    """Load the EOB's claims with a problem for each one that cannot take this EOB.

    Returns the claims, each claim's adjudication as the EOB's payer's (see
    `_for_payer`), and the problems.
    """
    claims: list[Claim] = []
    adjudications: list[AdjudicationForm] = []
    problems: list[Problem] = []
    seen: set[uuid.UUID] = set()
    for position, adjudication in enumerate(form.claims, 1):
        claim = get_claim(session, adjudication.claim_id)
        claims.append(claim)
        where = f"claims[{position - 1}]"
        if claim.id in seen:
            problems.append(
                Problem(
                    where,
                    f"Claim {claim.claim_number} is on the EOB twice; remove the second entry.",
                )
            )
        seen.add(claim.id)

        current = current_adjudications(session, claim)
        coverages = _coverage_reader(session, claim)
        payer_id = adjudicating_payer(claim, payer.id, current, coverages)
        if payer_id is None:
            payer_ids = claim_payers(claim, current, coverages)
            names = [_payer_name(session, candidate) for candidate in payer_ids]
            message = payer_mismatch_message(claim.claim_number, names, payer.name)
            problems.append(Problem(where, message))
            adjudications.append(adjudication)
            continue

        adjudications.append(_for_payer(adjudication, claim, payer_id, coverages))
        problems += _posted_problems(session, claim, current.get(payer_id), where)
    return claims, adjudications, problems


def payer_mismatch_message(claim_number: str, payer_names: Sequence[str], eob_payer: str) -> str:
    """Return the reason an EOB from `eob_payer` cannot settle a claim, and the fix.

    `payer_names` are the claim's payer, then each payer a crossover moved it to.
    """
    billed, *forwarded = payer_names
    if not forwarded:
        return (
            f"Claim {claim_number} is billed to {billed}, not {eob_payer}; post it on an EOB "
            f"from {billed}, or choose the payer that issued the check."
        )
    return (
        f"Claim {claim_number} is billed to {billed}, which forwarded it to "
        f"{' and '.join(forwarded)} (crossover), not to {eob_payer}; post it on an EOB from "
        f"{' or '.join(payer_names)}, or choose the payer that issued the check."
    )


def _for_payer(
    form: AdjudicationForm,
    claim: Claim,
    payer_id: uuid.UUID,
    coverages: Callable[[], Sequence[Coverage]],
) -> AdjudicationForm:
    """Return a copy of the form as `payer_id`'s adjudication, or the form for the claim's payer.

    A paper EOB has no claim status code of its own, so a crossover payer's processed
    claim takes the code of that payer's place in the order of payers.
    """
    if payer_id == claim.payer_id:
        return form
    code = form.claim_status_code
    if code in PROCESSED_CODES:
        code = STATUS_BY_SEQUENCE.get(payer_sequence_of(claim, coverages(), payer_id), code)
    return dataclasses.replace(form, payer_id=payer_id, claim_status_code=code)


def _coverage_reader(session: Session, claim: Claim) -> Callable[[], list[Coverage]]:
    """Return a function that reads the patient's coverages once, when first called."""
    return functools.cache(lambda: patient_coverages(session, claim.patient_id))


def _payer_name(session: Session, payer_id: uuid.UUID) -> str:
    payer = session.get(Payer, payer_id)
    return payer.name if payer is not None else "another payer"


def _posted_problems(
    session: Session, claim: Claim, current: PayerAdjudication | None, where: str
) -> list[Problem]:
    """Return a problem when the EOB's payer already has a posted adjudication of the claim.

    A new adjudication replaces the current one, but the money posted from the current
    one would stay on the ledger and be counted twice.
    """
    if current is None:
        return []
    posted = session.scalars(
        select(RemittanceClaim).where(
            RemittanceClaim.adjudication_id == current.id,
            RemittanceClaim.state == "posted",
            RemittanceClaim.archived.is_(False),
        )
    ).first()
    if posted is None:
        return []
    return [
        Problem(
            where,
            f"Claim {claim.claim_number} already has a posted payment of "
            f"{format_money(current.paid_amount)} adjudicated {current.adjudicated_on:%m/%d/%Y}; "
            "reverse that posting first if this EOB corrects it.",
        )
    ]


def _claim_problems(found: tuple[Problem, ...], claim: Claim, position: int) -> list[Problem]:
    """Name the claim in each of its problems, since one EOB can carry many claims."""
    return [
        Problem(
            f"claims[{position - 1}].{problem.field}",
            f"Claim {claim.claim_number}: {problem.message}",
            problem.severity,
        )
        for problem in found
    ]


# ---- writes -------------------------------------------------------------------------


def _add_remittance(session: Session, actor: Actor, form: EobForm, payer: Payer) -> Remittance:
    now = utc_now()
    remittance = Remittance(
        source=SOURCE_PAPER,
        response_id=None,
        transaction_control_number=None,
        payer_id=payer.id,
        payer_name=payer.name[:60],
        payer_identifier=payer.payer_code,
        trace_number=form.check_number.strip(),
        handling_code=HANDLING_NOTICE if form.method == "NON" else HANDLING_PAYMENT,
        payment_method=form.method,
        payment_amount=form.amount,
        payment_date=form.check_date,
        status="posted",
        problem=None,
        received_at=now,
        received_by=actor.user_id,
        posted_at=now,
        updated_by=actor.user_id,
    )
    session.add(remittance)
    session.flush()
    return remittance


def _add_remittance_claim(  # noqa: PLR0917 (one row from the pieces posting has)
    session: Session,
    actor: Actor,
    remittance: Remittance,
    position: int,
    claim: Claim,
    form: AdjudicationForm,
    adjudication_id: uuid.UUID,
) -> RemittanceClaim:
    patient = session.get(Patient, claim.patient_id)
    coverage = session.get(Coverage, claim.coverage_id)
    row = RemittanceClaim(
        remittance_id=remittance.id,
        position=position,
        claim_id=claim.id,
        patient_control_number=claim.claim_number,
        status_code=form.claim_status_code,
        charge_amount=claim.total_charge,
        paid_amount=form.paid_amount,
        patient_responsibility=_patient_share(form),
        payer_claim_number=form.payer_claim_number or _own_number(claim, form),
        patient_name=display_name(patient)[:120] if patient is not None else "",
        member_id=coverage.member_id if coverage is not None else "",
        service_date=claim.service_date_from,
        match_method="manual",
        state="posted",
        review_reason=None,
        adjudication_id=adjudication_id,
        segments=form_json(form),
        posted_at=remittance.posted_at,
        posted_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(row)
    session.flush()
    return row


def _own_number(claim: Claim, form: AdjudicationForm) -> str | None:
    """Return the claim's payer claim number when the claim's own payer adjudicated it."""
    if form.payer_id in (None, claim.payer_id):
        return claim.payer_claim_number
    return None


def _patient_share(form: AdjudicationForm) -> Decimal:
    if form.patient_responsibility is not None:
        return form.patient_responsibility
    every = form.adjustments + [item for line in form.lines for item in line.adjustments]
    return sum((item.amount for item in every if item.group_code == PATIENT_GROUP), ZERO)


def form_json(form: AdjudicationForm) -> str:
    """Return the typed adjudication as JSON, amounts, ids and dates as strings."""
    body = {"format": SEGMENTS_FORMAT, "version": 1, "adjudication": dataclasses.asdict(form)}
    return json.dumps(body, default=str, sort_keys=True)
