"""Recording many payer adjudications with a few statements for the whole batch.

`record_adjudications` does for many forms what `claim_cob.record_adjudication` does
for one. The claims and lines of every form load with one query per 500 claims. The
adjudications, line adjudications and adjustments go in with one INSERT each, and the
claim events and statuses with a few statements (`claim_status.record_claim_events`).
One call per claim costs some 20 statements, which an 835 of thousands of claims cannot
afford.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.db.by_id import objects_by_id
from app.db.fast_insert import insert_many
from app.gc_pause import bulk_work
from app.ids import new_id
from app.models.claims import (
    Claim,
    ClaimLine,
    PayerAdjudication,
    PayerAdjustment,
    PayerLineAdjudication,
)
from app.money import format_money, to_money
from app.problems import Problem, has_errors
from app.security.permissions import Actor, Permission, require
from app.services.claim_build_rows import chunks, get_claims
from app.services.claim_cob import (
    CROSSOVER_CODES,
    AdjudicationForm,
    AdjustmentForm,
    LineAdjudicationForm,
    adjudicated_status,
    adjudication_problems,
    is_denied,
    patient_adjustments,
)
from app.services.claim_columns import write_payer_claim_numbers
from app.services.claim_status import (
    DEAD_STATUSES,
    ClaimEventKind,
    ClaimStatus,
    NewClaimEvent,
    record_claim_events,
    status_label,
)
from app.services.era_posting_load import (
    RecordedRows,
    SettledLine,
    StoredAdjudication,
    StoredAdjustment,
    StoredLine,
)
from app.services.outcomes import SaveOutcome

log = logging.getLogger(__name__)

CHANGES = Changes.of(ChangeKind.CLAIMS)


@dataclass(slots=True)
class _Rows:
    """The rows and events of the accepted forms, in form order."""

    adjudications: list[dict[str, object]] = field(default_factory=list)
    lines: list[dict[str, object]] = field(default_factory=list)
    adjustments: list[dict[str, object]] = field(default_factory=list)
    events: list[NewClaimEvent] = field(default_factory=list)
    # The row of each (claim, payer) adjudication from an earlier form of this batch.
    latest: dict[tuple[uuid.UUID, uuid.UUID], dict[str, object]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class CheckedForm:
    """A form with the claim and lines `adjudication_problems` checked it against.

    `lines` are the claim's lines that are not archived, by id, in line order, and
    `problems` is what `adjudication_problems(form, claim, lines)` returned.
    """

    form: AdjudicationForm
    claim: Claim
    lines: dict[uuid.UUID, ClaimLine]
    problems: tuple[Problem, ...]


@bulk_work
def record_adjudications(
    session: Session,
    actor: Actor,
    forms: Sequence[AdjudicationForm],
    *,
    posting_follows: bool = False,
    recorded: RecordedRows | None = None,
) -> list[SaveOutcome]:
    """Check and store many adjudications; return one outcome per form, in order.

    Each form is checked and stored as `claim_cob.record_adjudication` stores one. A form
    with errors is rejected, and its outcome carries the problems, while the others are
    stored. The same payer's earlier adjudication of the claim is voided, also one from
    an earlier form of the batch, and the claim's status moves. Needs CLAIM_MANAGE.
    Raises NotFoundError, before writing anything, when a form names a claim that is
    missing or archived.

    Set `posting_follows` only when the caller posts every stored adjudication with
    `era_posting.apply_plans` in the same unit of work. Posting gives each claim that is
    not corrected or voided a claim-wide status, which sets every line's status again, so
    the line statuses are not written here. The events and claim statuses still are.
    The stored rows are added to `recorded` when it is given, for `plan_adjudications`.
    """
    require(actor, Permission.CLAIM_MANAGE)
    if not forms:
        return []
    claims = get_claims(session, [form.claim_id for form in forms])
    lines = _load_lines(session, list(claims))
    checked = []
    for form in forms:
        claim = claims[form.claim_id]
        problems = adjudication_problems(form, claim, lines[claim.id])
        checked.append(CheckedForm(form, claim, lines[claim.id], tuple(problems)))
    return record_checked(
        session, actor, checked, posting_follows=posting_follows, recorded=recorded
    )


@bulk_work
def record_checked(
    session: Session,
    actor: Actor,
    checked: Sequence[CheckedForm],
    *,
    posting_follows: bool = False,
    recorded: RecordedRows | None = None,
) -> list[SaveOutcome]:
    """Store forms their caller checked already, as `record_adjudications` stores them.

    The 835 import checks each claim payment while it routes it, against the claims
    and lines its matching loaded, so the batch does not load and check them again.
    Returns one outcome per form, in order. Needs CLAIM_MANAGE.
    """
    require(actor, Permission.CLAIM_MANAGE)
    rows = _Rows()
    outcomes: list[SaveOutcome] = []
    for item in checked:
        claim = item.claim
        if has_errors(list(item.problems)):
            log.info(
                "adjudication of claim %s rejected with %d problems", claim.id, len(item.problems)
            )
            outcomes.append(SaveOutcome.rejected(list(item.problems)))
            continue
        adjudication_id = _add_rows(rows, actor, claim, item.lines, item.form)
        outcomes.append(SaveOutcome(adjudication_id, True, item.problems, CHANGES))
    if not rows.adjudications:
        return outcomes

    _void_stored(session, actor, list(rows.latest))
    _insert(session, rows)
    if recorded is not None:
        _add_recorded(recorded, rows)
        for item in checked:
            recorded.lines[item.claim.id] = [
                StoredLine(
                    line.id,
                    line.charge_line_id,
                    line.charge_amount,
                    line.line_number,
                    line.procedure_code,
                )
                for line in item.lines.values()
            ]
    # A crossover payer's claim number stays on its adjudication only: the claim keeps
    # the number of the payer it was billed to, which that payer's reversals name.
    numbers = [
        (item.claim, item.form.payer_claim_number)
        for item, outcome in zip(checked, outcomes, strict=True)
        if outcome.record_id is not None
        and item.form.payer_claim_number
        and item.form.payer_id in (None, item.claim.payer_id)
    ]
    write_payer_claim_numbers(session, numbers)
    record_claim_events(
        session, rows.events, user_id=actor.user_id, update_lines=not posting_follows
    )
    session.flush()
    log.info("recorded %d adjudications of %d forms", len(rows.adjudications), len(checked))
    return outcomes


def _load_lines(
    session: Session, claim_ids: list[uuid.UUID]
) -> dict[uuid.UUID, dict[uuid.UUID, ClaimLine]]:
    """Return each claim's lines that are not archived, by id, in line order.

    Only the ids are read here, so lines already loaded in the session (the 835 import's
    matching loads them) are not read and converted again.
    """
    order: list[tuple[uuid.UUID, uuid.UUID]] = []
    for part in chunks(claim_ids):
        query = (
            select(ClaimLine.claim_id, ClaimLine.id)
            .where(ClaimLine.claim_id.in_(part), ClaimLine.archived.is_(False))
            .order_by(ClaimLine.claim_id, ClaimLine.line_number)
        )
        order += [(claim_id, line_id) for claim_id, line_id in session.execute(query)]
    loaded = objects_by_id(session, ClaimLine, [line_id for _, line_id in order])
    lines: dict[uuid.UUID, dict[uuid.UUID, ClaimLine]] = {claim_id: {} for claim_id in claim_ids}
    for claim_id, line_id in order:
        lines[claim_id][line_id] = loaded[line_id]
    return lines


def _add_rows(
    rows: _Rows,
    actor: Actor,
    claim: Claim,
    lines: dict[uuid.UUID, ClaimLine],
    form: AdjudicationForm,
) -> uuid.UUID:
    """Add the rows and events of one accepted form; return the new adjudication's id."""
    payer_id = form.payer_id or claim.payer_id
    earlier = rows.latest.get((claim.id, payer_id))
    if earlier is not None:
        # The same claim and payer earlier in the batch: this form replaces that one.
        earlier["voided"] = True

    patient_share = form.patient_responsibility
    if patient_share is None:
        patient_share = patient_adjustments(form)
    adjudication_id = new_id()
    row: dict[str, object] = {
        "id": adjudication_id,
        "claim_id": claim.id,
        "payer_id": payer_id,
        "payer_claim_number": form.payer_claim_number,
        "claim_status_code": form.claim_status_code,
        "charge_amount": claim.total_charge,
        "paid_amount": form.paid_amount,
        "patient_responsibility": patient_share,
        "adjudicated_on": form.adjudicated_on,
        "crossed_over": form.claim_status_code in CROSSOVER_CODES,
        "source": form.source,
        "response_id": form.response_id,
        "voided": False,
        "updated_by": actor.user_id,
    }
    rows.adjudications.append(row)
    rows.latest[(claim.id, payer_id)] = row
    rows.adjustments += _adjustment_rows(actor, adjudication_id, None, form.adjustments)

    for line_form in form.lines:
        line_id = new_id()
        rows.lines.append(
            _line_row(actor, adjudication_id, line_id, lines[line_form.claim_line_id], line_form)
        )
        rows.adjustments += _adjustment_rows(actor, adjudication_id, line_id, line_form.adjustments)
    rows.events += _status_events(claim, form)
    return adjudication_id


def _line_row(
    actor: Actor,
    adjudication_id: uuid.UUID,
    line_id: uuid.UUID,
    line: ClaimLine,
    form: LineAdjudicationForm,
) -> dict[str, object]:
    """Return the settlement of one line, with the claim line's values where the form has none."""
    modifiers = form.modifiers
    if modifiers is None:
        slots = (line.modifier1, line.modifier2, line.modifier3, line.modifier4)
        modifiers = tuple(modifier for modifier in slots if modifier)
    return {
        "id": line_id,
        "adjudication_id": adjudication_id,
        "claim_line_id": line.id,
        "procedure_code": form.procedure_code or line.procedure_code,
        "modifiers": " ".join(modifiers),
        "units": form.units if form.units is not None else line.units,
        "charge_amount": (
            form.charge_amount if form.charge_amount is not None else line.charge_amount
        ),
        "paid_amount": form.paid_amount,
        "updated_by": actor.user_id,
    }


def _adjustment_rows(
    actor: Actor,
    adjudication_id: uuid.UUID,
    line_id: uuid.UUID | None,
    adjustments: list[AdjustmentForm],
) -> list[dict[str, object]]:
    return [
        {
            "id": new_id(),
            "adjudication_id": adjudication_id,
            "line_adjudication_id": line_id,
            "group_code": adjustment.group_code,
            "reason_code": adjustment.reason_code.strip(),
            "amount": adjustment.amount,
            "quantity": adjustment.quantity,
            "updated_by": actor.user_id,
        }
        for adjustment in adjustments
    ]


def _status_events(claim: Claim, form: AdjudicationForm) -> list[NewClaimEvent]:
    """Return the claim's events: its new status, then each denied line of a partial payment."""
    status = adjudicated_status(form)
    kind = ClaimEventKind.DENIED if status is ClaimStatus.DENIED else ClaimEventKind.PAID
    detail = (
        f"Payer paid {format_money(form.paid_amount)} of {format_money(claim.total_charge)} "
        f"(claim status code {form.claim_status_code}, from {form.source})"
    )
    if ClaimStatus(claim.status) in DEAD_STATUSES:
        # A late remittance for a replaced or voided claim is stored for posting, but
        # must not make the claim bill its lines again next to its replacement.
        detail += f"; the claim stays {status_label(claim.status).lower()}"
        return [NewClaimEvent(claim, kind, detail=detail)]

    events = [NewClaimEvent(claim, kind, status=status, detail=detail)]
    if status is not ClaimStatus.PARTIAL:
        return events
    events += [
        NewClaimEvent(
            claim,
            ClaimEventKind.DENIED,
            status=ClaimStatus.DENIED,
            detail="The payer paid nothing for this line",
            line_id=line.claim_line_id,
        )
        for line in form.lines
        if is_denied(line.paid_amount, line.adjustments)
    ]
    return events


def _void_stored(session: Session, actor: Actor, pairs: list[tuple[uuid.UUID, uuid.UUID]]) -> None:
    """Void the current stored adjudications of each (claim id, payer id) pair.

    A crossover payer's adjudication voids only that payer's earlier one, so the
    adjudication of the payer that forwarded the claim stays current.
    """
    to_void = set(pairs)
    for part in chunks(list(dict.fromkeys(claim_id for claim_id, _ in pairs))):
        query = select(PayerAdjudication).where(
            PayerAdjudication.claim_id.in_(part),
            PayerAdjudication.voided.is_(False),
            PayerAdjudication.archived.is_(False),
        )
        for adjudication in session.scalars(query):
            if (adjudication.claim_id, adjudication.payer_id) in to_void:
                adjudication.voided = True
                adjudication.updated_by = actor.user_id


def _add_recorded(recorded: RecordedRows, rows: _Rows) -> None:
    """Add the stored rows as planning reads them; amounts as the money columns return them."""
    for row in rows.adjudications:
        adjudication_id = cast(uuid.UUID, row["id"])
        recorded.adjudications[adjudication_id] = StoredAdjudication(
            id=adjudication_id,
            claim_id=cast(uuid.UUID, row["claim_id"]),
            payer_id=cast(uuid.UUID, row["payer_id"]),
            claim_status_code=cast(str, row["claim_status_code"]),
            crossed_over=cast(bool, row["crossed_over"]),
            voided=cast(bool, row["voided"]),
        )
        recorded.settled[adjudication_id] = []
        recorded.adjustments[adjudication_id] = []
    # The rows are in the order they were made, which is their (created_at, id) order.
    for line in rows.lines:
        recorded.settled[cast(uuid.UUID, line["adjudication_id"])].append(
            SettledLine(
                id=cast(uuid.UUID, line["id"]),
                claim_line_id=cast(uuid.UUID, line["claim_line_id"]),
                paid_amount=to_money(cast(Decimal, line["paid_amount"])),
            )
        )
    for adjustment in rows.adjustments:
        recorded.adjustments[cast(uuid.UUID, adjustment["adjudication_id"])].append(
            StoredAdjustment(
                line_adjudication_id=cast(uuid.UUID | None, adjustment["line_adjudication_id"]),
                group_code=cast(str, adjustment["group_code"]),
                reason_code=cast(str, adjustment["reason_code"]),
                amount=to_money(cast(Decimal, adjustment["amount"])),
            )
        )


def _insert(session: Session, rows: _Rows) -> None:
    insert_many(session, cast(Table, PayerAdjudication.__table__), rows.adjudications)
    insert_many(session, cast(Table, PayerLineAdjudication.__table__), rows.lines)
    insert_many(session, cast(Table, PayerAdjustment.__table__), rows.adjustments)
