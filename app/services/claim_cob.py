"""Coordination of benefits: a payer's adjudication of a claim, and the next payer's claim.

`record_adjudication` stores how a payer settled a claim (typed from a paper EOB here;
the 835 import reuses it) after checking that the amounts balance. It posts no money:
payment posting reads the stored adjudication. `build_secondary_claim` bills the next
payer in coordination-of-benefits order and reports the earlier payers' adjudications on it.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.errors import UserError
from app.models.claims import (
    Claim,
    ClaimLine,
    PayerAdjudication,
)
from app.models.patients import Coverage
from app.models.practice import Payer
from app.money import format_money, to_money
from app.problems import Problem, Severity
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import (
    ClaimHeader,
    bills_lines,
    claim_diagnoses,
    claim_lines,
    coverages_in_force,
    draft_from_claim_line,
    get_claim,
    patient_coverages,
    payer_sequence,
    write_claim,
)
from app.services.claim_crossover import (
    DENIED_CODE,
    claim_payers,
    current_adjudications,
    payer_place,
)
from app.services.claim_status import (
    DEAD_STATUSES,
    ClaimEventKind,
    ClaimStatus,
    record_event,
    status_label,
)
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

# CAS group codes of an 837 COB loop (CR still exists there, though the 5010 835 dropped it).
GROUP_CODES = frozenset({"CO", "CR", "OA", "PI", "PR"})
PATIENT_GROUP = "PR"
# CLP02 claim status codes this form accepts: processed as primary, secondary or
# tertiary; denied; processed and forwarded to the next payer (crossover); not our claim.
PROCESSED_CODES = frozenset({"1", "2", "3"})
CROSSOVER_CODES = frozenset({"19", "20", "21", "23"})
SOURCE_PAPER = "paper"
ZERO = Decimal("0.00")


@dataclass(slots=True)
class AdjustmentForm:
    """One CAS adjustment: group code (CO, OA, PI, PR), reason code (CARC) and amount."""

    group_code: str
    reason_code: str
    amount: Decimal
    quantity: int | None = None


@dataclass(slots=True)
class LineAdjudicationForm:
    """The payer's settlement of one claim line.

    Procedure code, modifiers, units and charge None mean as billed on the claim line.
    """

    claim_line_id: uuid.UUID
    paid_amount: Decimal
    adjustments: list[AdjustmentForm] = field(default_factory=list)
    procedure_code: str | None = None
    modifiers: tuple[str, ...] | None = None
    units: int | None = None
    charge_amount: Decimal | None = None


@dataclass(slots=True)
class AdjudicationForm:
    """A payer's settlement of a claim, as typed from a paper EOB or read from an 835.

    `claim_status_code` is the CLP02 code. `patient_responsibility` None means the sum
    of the PR adjustments. Without `lines`, the claim balances against its total charge.
    `payer_id` is the payer that adjudicated the claim: None means the claim's payer,
    and another payer is one a crossover moved the claim to (see `claim_crossover`).
    """

    claim_id: uuid.UUID
    claim_status_code: str
    paid_amount: Decimal
    adjudicated_on: date
    payer_claim_number: str | None = None
    patient_responsibility: Decimal | None = None
    adjustments: list[AdjustmentForm] = field(default_factory=list)
    lines: list[LineAdjudicationForm] = field(default_factory=list)
    source: str = SOURCE_PAPER
    response_id: uuid.UUID | None = None
    payer_id: uuid.UUID | None = None


def record_adjudication(session: Session, actor: Actor, form: AdjudicationForm) -> SaveOutcome:
    """Check and store a payer's adjudication of a claim, and move the claim's status.

    A line balances when its charge minus its adjustments equals its paid amount. The
    claim balances when its paid amount equals the lines' paid amounts minus the claim
    adjustments. Nothing is written when an amount does not balance, and the outcome's
    problems name the line and the amounts. An earlier adjudication of the
    claim by the same payer is marked voided, so the new one replaces it. This is
    `adjudication_batch.record_adjudications` for one form.
    """
    # Imported here because adjudication_batch builds on this module's forms and checks.
    from app.services.adjudication_batch import record_adjudications

    (outcome,) = record_adjudications(session, actor, [form])
    return outcome


def build_secondary_claim(session: Session, actor: Actor, claim_id: uuid.UUID) -> uuid.UUID | None:
    """Bill the next payer in order after the last payer that settled this claim.

    That payer is the claim's own payer, or a payer a crossover moved the claim to and
    whose remittance has posted. The next payer is the next coverage by priority in
    force on the date of service. The new claim has the same lines and diagnoses, and
    its document lists every payer ahead with that payer's adjudication. Returns None,
    with an event on the claim saying why, when the payer forwarded the claim itself
    (crossover). Raises UserError when no payer has adjudicated the claim, no next
    coverage is in force, or a live claim already bills the next payer.
    """
    require(actor, Permission.CLAIM_MANAGE)
    prior = get_claim(session, claim_id)
    if ClaimStatus(prior.status) in DEAD_STATUSES:
        # The replacement or void claim now bills these services, so the next payer must
        # be billed from the claim that is still live.
        raise UserError(
            f"Claim {prior.claim_number} is {status_label(prior.status).lower()}, so the next "
            "payer cannot be billed from it; open the claim that replaced it and bill the "
            "next payer from there."
        )
    coverages = patient_coverages(session, prior.patient_id)
    settled_by, adjudication = _last_settlement(session, prior, coverages)
    payer_name = _payer_name(session, settled_by)
    if adjudication is None:
        raise UserError(
            f"{payer_name} has not adjudicated claim {prior.claim_number} yet; enter its "
            "remittance or EOB first, then bill the next payer."
        )

    in_force = coverages_in_force(coverages, prior.service_date_from)
    place = payer_place(prior, in_force, settled_by)
    if place is None or place + 1 >= len(in_force):
        raise UserError(
            f"The patient has no coverage after {payer_name} in force on "
            f"{prior.service_date_from:%m/%d/%Y}; add the next coverage, or bill the patient."
        )
    coverage = in_force[place + 1]
    next_payer = session.get(Payer, coverage.payer_id)
    assert next_payer is not None, "coverage.payer_id is a foreign key"

    if adjudication.crossed_over:
        record_event(
            session,
            prior,
            ClaimEventKind.NOTE,
            user_id=actor.user_id,
            detail=(
                f"{payer_name} forwarded the claim to {next_payer.name} itself (crossover), "
                f"so no claim to {next_payer.name} was built; wait for its remittance."
            ),
        )
        session.flush()
        log.info("claim %s crossed over; no secondary claim built", prior.id)
        return None

    _check_not_billed(session, prior, next_payer)
    header = ClaimHeader(
        patient_id=prior.patient_id,
        encounter_id=prior.encounter_id,
        coverage_id=coverage.id,
        payer_id=next_payer.id,
        payer_sequence=payer_sequence(place + 1),
        rendering_provider_id=prior.rendering_provider_id,
        location_id=prior.location_id,
        place_of_service=prior.place_of_service,
        clearinghouse_id=next_payer.clearinghouse_id,
    )
    diagnoses = claim_diagnoses(session, prior.id)
    lines = [draft_from_claim_line(line, diagnoses) for line in claim_lines(session, prior.id)]
    detail = (
        f"Built for {next_payer.name} after {payer_name} adjudicated claim {prior.claim_number}"
    )
    claim = write_claim(session, actor, header, lines, diagnoses, detail=detail)
    session.flush()
    log.info("claim %s billed to the next payer as claim %s", prior.id, claim.id)
    return claim.id


def _last_settlement(
    session: Session, claim: Claim, coverages: Sequence[Coverage]
) -> tuple[uuid.UUID, PayerAdjudication | None]:
    """Return the last payer in the claim's crossover chain that adjudicated it, and how.

    A crossover payer whose remittance has not arrived yet does not count, so a claim
    only forwarded so far returns its own payer's crossover adjudication.
    """
    adjudications = current_adjudications(session, claim)
    payers = claim_payers(claim, adjudications, lambda: coverages)
    settled = [payer_id for payer_id in payers if payer_id in adjudications]
    if not settled:
        return claim.payer_id, None
    return settled[-1], adjudications[settled[-1]]


def latest_adjudication(session: Session, claim: Claim) -> PayerAdjudication | None:
    """Return the claim's current adjudication by its own payer, or None."""
    query = (
        select(PayerAdjudication)
        .where(
            PayerAdjudication.claim_id == claim.id,
            PayerAdjudication.payer_id == claim.payer_id,
            PayerAdjudication.voided.is_(False),
            PayerAdjudication.archived.is_(False),
        )
        .order_by(PayerAdjudication.adjudicated_on.desc(), PayerAdjudication.created_at.desc())
    )
    return session.scalars(query).first()


def _payer_name(session: Session, payer_id: uuid.UUID) -> str:
    payer = session.get(Payer, payer_id)
    return payer.name if payer is not None else "The payer"


def _check_not_billed(session: Session, prior: Claim, payer: Payer) -> None:
    charge_lines = select(ClaimLine.charge_line_id).where(ClaimLine.claim_id == prior.id)
    query = (
        select(Claim.claim_number)
        .join(ClaimLine, ClaimLine.claim_id == Claim.id)
        .where(
            ClaimLine.charge_line_id.in_(charge_lines),
            Claim.payer_id == payer.id,
            bills_lines(),
        )
    )
    existing = session.scalars(query).first()
    if existing is not None:
        raise UserError(
            f"Claim {existing} already bills these services to {payer.name}; open that claim "
            "instead of building another."
        )


def _adjustment_problems(adjustments: list[AdjustmentForm], where: str) -> list[Problem]:
    problems: list[Problem] = []
    for adjustment in adjustments:
        if adjustment.group_code not in GROUP_CODES:
            problems.append(
                Problem(
                    "adjustments",
                    f"{where}: group code {adjustment.group_code or '(blank)'} is not valid; "
                    "use CO, OA, PI or PR.",
                )
            )
        code = adjustment.reason_code.strip()
        if not code or len(code) > 5:
            problems.append(
                Problem(
                    "adjustments",
                    f"{where}: reason code {code or '(blank)'} is not valid; enter the claim "
                    "adjustment reason code (CARC) from the EOB, such as 45.",
                )
            )
    return problems


def adjudication_problems(
    form: AdjudicationForm, claim: Claim, lines: dict[uuid.UUID, ClaimLine]
) -> list[Problem]:
    """Return the form's problems: errors when it cannot be stored, warnings otherwise."""
    problems = _amount_problems(form)
    if problems:
        # Balancing cannot compare amounts that are not money.
        return problems
    code = form.claim_status_code
    if code not in PROCESSED_CODES | CROSSOVER_CODES | {DENIED_CODE}:
        problems.append(
            Problem(
                "claim_status_code",
                f"Claim status code {code or '(blank)'} is not one this form records; use 1, "
                "2 or 3 (processed), 4 (denied) or 19, 20, 21 or 23 (forwarded).",
            )
        )
    problems += _adjustment_problems(form.adjustments, "Claim adjustment")
    seen: set[uuid.UUID] = set()
    for line_form in form.lines:
        line = lines.get(line_form.claim_line_id)
        if line is None or line.id in seen:
            problems.append(
                Problem(
                    "lines",
                    f"A line entered is not on claim {claim.claim_number} or is entered "
                    "twice; reopen the claim and enter each line once.",
                )
            )
            continue
        seen.add(line.id)
        problems += _line_problems(line_form, line)
    problems += _claim_balance_problems(form, claim, lines)
    problems += _patient_share_problems(form)
    return problems


def _form_amounts(form: AdjudicationForm) -> list[tuple[str, Decimal | None]]:
    amounts: list[tuple[str, Decimal | None]] = [
        ("Paid amount", form.paid_amount),
        ("Patient responsibility", form.patient_responsibility),
    ]
    amounts += [("Claim adjustment", item.amount) for item in form.adjustments]
    for line in form.lines:
        amounts += [("Line paid amount", line.paid_amount), ("Line charge", line.charge_amount)]
        amounts += [("Line adjustment", item.amount) for item in line.adjustments]
    return amounts


def _amount_problems(form: AdjudicationForm) -> list[Problem]:
    """Return a problem for each amount that is not a finite amount in whole cents."""
    problems: list[Problem] = []
    for label, amount in _form_amounts(form):
        if amount is None:
            continue
        try:
            valid = to_money(amount) == amount
        except ValueError:
            valid = False
        if not valid:
            problems.append(
                Problem(
                    "amounts",
                    f"{label} {amount} is not an amount in dollars and cents; enter it as "
                    "the EOB shows it, such as 85.00.",
                )
            )
    return problems


def _line_problems(form: LineAdjudicationForm, line: ClaimLine) -> list[Problem]:
    where = f"Line {line.line_number}"
    problems = _adjustment_problems(form.adjustments, where)
    charge = form.charge_amount if form.charge_amount is not None else line.charge_amount
    adjusted = sum((adjustment.amount for adjustment in form.adjustments), ZERO)
    if charge - adjusted != form.paid_amount:
        problems.append(
            Problem(
                "lines",
                f"{where} does not balance: charge {format_money(charge)} minus adjustments "
                f"{format_money(adjusted)} is {format_money(charge - adjusted)}, but paid is "
                f"{format_money(form.paid_amount)}; check the amounts against the EOB.",
            )
        )
    return problems


def _claim_balance_problems(
    form: AdjudicationForm, claim: Claim, lines: dict[uuid.UUID, ClaimLine]
) -> list[Problem]:
    adjusted = sum((adjustment.amount for adjustment in form.adjustments), ZERO)
    if form.lines:
        base = sum((line.paid_amount for line in form.lines), ZERO)
        base_name = "the lines' paid amounts"
    else:
        base = claim.total_charge
        base_name = "the claim's charge"
    if base - adjusted == form.paid_amount:
        return []
    return [
        Problem(
            "paid_amount",
            f"Claim {claim.claim_number} does not balance: {base_name} {format_money(base)} minus "
            f"claim adjustments {format_money(adjusted)} is {format_money(base - adjusted)}, "
            f"but paid is {format_money(form.paid_amount)}; check the amounts against the EOB.",
        )
    ]


def patient_adjustments(form: AdjudicationForm) -> Decimal:
    """Return the sum of the form's PR adjustments, claim and lines."""
    every = form.adjustments + [item for line in form.lines for item in line.adjustments]
    return sum((item.amount for item in every if item.group_code == PATIENT_GROUP), ZERO)


def _patient_share_problems(form: AdjudicationForm) -> list[Problem]:
    if form.patient_responsibility is None:
        return []
    expected = patient_adjustments(form)
    if form.patient_responsibility == expected:
        return []
    return [
        Problem(
            "patient_responsibility",
            f"Patient responsibility {format_money(form.patient_responsibility)} differs from "
            f"the PR adjustments, which add up to {format_money(expected)}; check the EOB.",
            Severity.WARNING,
        )
    ]


def is_denied(paid: Decimal, adjustments: list[AdjustmentForm]) -> bool:
    """Return True when the payer paid nothing and left nothing to the patient.

    Then the payer refused the service. A zero payment that went to the deductible (a
    PR adjustment) is not a denial.
    """
    return paid == ZERO and not any(item.group_code == PATIENT_GROUP for item in adjustments)


def adjudicated_status(form: AdjudicationForm) -> ClaimStatus:
    """Return the status the adjudication moves the claim to."""
    code = form.claim_status_code
    if code == DENIED_CODE:
        return ClaimStatus.DENIED
    if code in CROSSOVER_CODES:
        return ClaimStatus.FORWARDED
    if not form.lines:
        denied = is_denied(form.paid_amount, form.adjustments)
        return ClaimStatus.DENIED if denied else ClaimStatus.PAID
    denied_lines = [line for line in form.lines if is_denied(line.paid_amount, line.adjustments)]
    if len(denied_lines) == len(form.lines):
        return ClaimStatus.DENIED
    return ClaimStatus.PARTIAL if denied_lines else ClaimStatus.PAID
