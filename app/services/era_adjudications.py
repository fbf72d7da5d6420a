"""Storing the adjudications of a whole remittance at once.

`claim_cob.record_adjudication` stores one adjudication with several flushes and a
claim event that updates the claim's lines, some 20 statements per claim. A remittance
of thousands of claims instead checks every form here and inserts the adjudications,
their lines and adjustments, and one history event per claim, with a few statements.
The checks and the rows are those of `record_adjudication`. The claim's status is left
to posting (`era_posting.apply_plans`), which moves it right after, so the event
written here records the payer's amounts without a status.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import insert
from sqlalchemy.orm import Session

from app.clock import utc_now
from app.ids import new_id
from app.models.claims import (
    Claim,
    ClaimEvent,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.money import ZERO, format_money
from app.security.permissions import Actor
from app.services.claim_cob import (
    CROSSOVER_CODES,
    DENIED_CODE,
    GROUP_CODES,
    PATIENT_GROUP,
    PROCESSED_CODES,
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
)
from app.services.claim_status import ClaimEventKind

log = logging.getLogger(__name__)

_RECORDED_CODES = PROCESSED_CODES | CROSSOVER_CODES | {DENIED_CODE}
_MAX_REASON_LENGTH = 5


@dataclass(frozen=True, slots=True)
class NewAdjudication:
    """A checked adjudication form with the claim and lines it settles."""

    claim: Claim
    lines: dict[uuid.UUID, ClaimLine]
    form: AdjudicationForm


def form_problems(
    form: AdjudicationForm, claim: Claim, lines: dict[uuid.UUID, ClaimLine]
) -> list[str]:
    """Return why `record_adjudication` would reject the form; empty when it is valid.

    The amounts of a remittance that balances are whole cents and balance line by line,
    but the claim's amounts also balance against the lines' charges (or the claim's
    charge without lines), which an 835 does not require.
    """
    problems = []
    if form.claim_status_code not in _RECORDED_CODES:
        problems.append(f"Claim status code {form.claim_status_code} is not one that posts.")
    every = list(form.adjustments) + [item for line in form.lines for item in line.adjustments]
    problems += [_adjustment_problem(item) for item in every if _adjustment_problem(item)]
    seen: set[uuid.UUID] = set()
    for line_form in form.lines:
        line = lines.get(line_form.claim_line_id)
        if line is None or line.id in seen:
            problems.append(
                f"A service line is not on claim {claim.claim_number} or is paid twice."
            )
            continue
        seen.add(line.id)
        charge = (
            line_form.charge_amount if line_form.charge_amount is not None else line.charge_amount
        )
        adjusted = sum((item.amount for item in line_form.adjustments), ZERO)
        if charge - adjusted != line_form.paid_amount:
            problems.append(
                f"Line {line.line_number} does not balance: charge {format_money(charge)} minus "
                f"adjustments {format_money(adjusted)} is not the paid "
                f"{format_money(line_form.paid_amount)}."
            )

    if form.lines:
        base = sum((line.paid_amount for line in form.lines), ZERO)
        base_name = "the service lines' payments"
    else:
        base, base_name = (
            claim.total_charge,
            f"the claim's charge {format_money(claim.total_charge)}",
        )
    adjusted = sum((item.amount for item in form.adjustments), ZERO)
    if base - adjusted != form.paid_amount:
        problems.append(
            f"Claim {claim.claim_number} does not balance: {base_name} minus the claim "
            f"adjustments {format_money(adjusted)} is {format_money(base - adjusted)}, but the "
            f"payer paid {format_money(form.paid_amount)}. The remittance's claim charge "
            "differs from the lines it lists; check it against the claim."
        )
    return problems


def _adjustment_problem(item: AdjustmentForm) -> str:
    if item.group_code not in GROUP_CODES:
        return f"Adjustment group code {item.group_code or '(blank)'} is not valid."
    code = item.reason_code.strip()
    if not code or len(code) > _MAX_REASON_LENGTH:
        return f"Adjustment reason code {code or '(blank)'} is not valid."
    return ""


def write_adjudications(
    session: Session, actor: Actor, items: Sequence[NewAdjudication]
) -> list[uuid.UUID]:
    """Insert the adjudications, their lines and adjustments; return their ids in order.

    The caller has checked each form with `form_problems` and made sure no claim has a
    current adjudication, because this does not void earlier ones. Sets each claim's
    payer claim number and adds one history event per claim.
    """
    if not items:
        return []
    now = utc_now()
    adjudications: list[dict[str, object]] = []
    line_rows: list[dict[str, object]] = []
    adjustment_rows: list[dict[str, object]] = []
    events: list[dict[str, object]] = []
    ids = []
    for item in items:
        adjudication_id = new_id()
        ids.append(adjudication_id)
        adjudications.append(_adjudication_row(item, adjudication_id, actor))
        adjustment_rows += _adjustment_rows(adjudication_id, None, item.form.adjustments, actor)
        for line_form in item.form.lines:
            line = item.lines[line_form.claim_line_id]
            line_id = new_id()
            line_rows.append(_line_row(line, line_form, adjudication_id, line_id, actor))
            adjustment_rows += _adjustment_rows(
                adjudication_id, line_id, line_form.adjustments, actor
            )
        if item.form.payer_claim_number:
            item.claim.payer_claim_number = item.form.payer_claim_number
        events.append(_event_row(item, actor, now))

    session.execute(insert(PayerAdjudication), adjudications)
    if line_rows:
        session.execute(insert(PayerLineAdjudication), line_rows)
    if adjustment_rows:
        session.execute(insert(PayerAdjustment), adjustment_rows)
    session.execute(insert(ClaimEvent), events)
    session.flush()
    log.info("recorded %d adjudications in one batch", len(ids))
    return ids


def _adjudication_row(
    item: NewAdjudication, adjudication_id: uuid.UUID, actor: Actor
) -> dict[str, object]:
    form = item.form
    patient_share = form.patient_responsibility
    if patient_share is None:
        every = form.adjustments + [entry for line in form.lines for entry in line.adjustments]
        patient_share = sum(
            (entry.amount for entry in every if entry.group_code == PATIENT_GROUP), ZERO
        )
    return {
        "id": adjudication_id,
        "claim_id": item.claim.id,
        "payer_id": item.claim.payer_id,
        "payer_claim_number": form.payer_claim_number,
        "claim_status_code": form.claim_status_code,
        "charge_amount": item.claim.total_charge,
        "paid_amount": form.paid_amount,
        "patient_responsibility": patient_share,
        "adjudicated_on": form.adjudicated_on,
        "crossed_over": form.claim_status_code in CROSSOVER_CODES,
        "source": form.source,
        "response_id": form.response_id,
        "voided": False,
        "updated_by": actor.user_id,
    }


def _line_row(
    line: ClaimLine,
    line_form: LineAdjudicationForm,
    adjudication_id: uuid.UUID,
    line_id: uuid.UUID,
    actor: Actor,
) -> dict[str, object]:
    modifiers = line_form.modifiers
    if modifiers is None:
        slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
        modifiers = tuple(modifier for modifier in slots if modifier)
    return {
        "id": line_id,
        "adjudication_id": adjudication_id,
        "claim_line_id": line.id,
        "procedure_code": line_form.procedure_code or line.procedure_code,
        "modifiers": " ".join(modifiers),
        "units": line_form.units if line_form.units is not None else line.units,
        "charge_amount": (
            line_form.charge_amount if line_form.charge_amount is not None else line.charge_amount
        ),
        "paid_amount": line_form.paid_amount,
        "updated_by": actor.user_id,
    }


def _adjustment_rows(
    adjudication_id: uuid.UUID,
    line_id: uuid.UUID | None,
    adjustments: list[AdjustmentForm],
    actor: Actor,
) -> list[dict[str, object]]:
    return [
        {
            "id": new_id(),
            "adjudication_id": adjudication_id,
            "line_adjudication_id": line_id,
            "group_code": item.group_code,
            "reason_code": item.reason_code.strip(),
            "amount": item.amount,
            "quantity": item.quantity,
            "updated_by": actor.user_id,
        }
        for item in adjustments
    ]


def _event_row(item: NewAdjudication, actor: Actor, now: datetime) -> dict[str, object]:
    form = item.form
    kind = ClaimEventKind.DENIED if form.claim_status_code == DENIED_CODE else ClaimEventKind.PAID
    return {
        "id": new_id(),
        "claim_id": item.claim.id,
        "occurred_at": now,
        "user_id": actor.user_id,
        "event": kind.value,
        "status": None,
        "detail": (
            f"Payer paid {format_money(form.paid_amount)} of "
            f"{format_money(item.claim.total_charge)} (claim status code "
            f"{form.claim_status_code}, from {form.source})"
        ),
        "response_id": form.response_id,
        "updated_by": actor.user_id,
    }
