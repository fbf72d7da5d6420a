"""Collections: placing unpaid accounts with an agency, its recoveries, and recalls.

An account becomes a placement candidate once its newest statement is the final notice
and the collections level's wait (30 days unless an administrator changed it) has passed
since. The guarantor must still owe money, with no payment since that notice, no hold,
no open placement and no payment plan in good standing (current or late). Only printed
or sent statements count as the newest statement: a plan reminder, a canceled statement
and one not delivered yet (queued for email, email failed, waiting to be printed) do not.

A manager places ticked candidates with a named agency. The guarantor balance is
written off as bad debt, so the practice's receivables no longer count it, and the
agency file lists the placed accounts.

When the agency collects, it sends the practice the money less its fee. Recording that
recovery reinstates the gross amount of the write-off, posts the money received as a
patient payment and the agency's fee as a fee adjustment, so the guarantor balance is
unchanged while the ledger shows the money in and the fee. Recalling a placement takes
the account back and, unless the manager keeps it written off, reinstates what the
agency has not recovered, so statements resume.

Permissions: viewing candidates and placements needs STATEMENT_RUN (billers and
managers). Placing, exporting the agency file, recording recoveries and recalling need
PAYMENT_VOID (managers).
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import NotFoundError, UserError, ValidationError
from app.models.statements import (
    BillingAccount,
    CollectionPlacement,
    CollectionRecovery,
)
from app.money import ZERO, format_money
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.account_balances import open_lines_by_patient
from app.services.billing_accounts import (
    account_patient_ids,
    active_hold,
    guarantor_contacts,
    patients_by_account,
)
from app.services.claim_build_rows import chunks
from app.services.collections_checks import (
    agency_problems,
    posting_date_problems,
    reason_problems,
    recovery_problems,
)
from app.services.collections_export import export_placement_csv, placement_csv
from app.services.collections_facts import (
    FINAL_LEVEL,
    collections_wait_days,
    last_payment_dates,
    latest_statements,
    newest,
    oldest_open_service,
    patient_names,
)
from app.services.collections_ledger import (
    FEE_KIND,
    RECOVERY_KIND,
    LineShare,
    guarantor_balances,
    outstanding_write_offs,
    post_line_adjustments,
    post_write_off,
    split_payment_and_fee,
    take_in_order,
    write_off_amounts,
)
from app.services.payment_plans import plan_states
from app.services.payments import PaymentForm, take_payment
from app.services.today import practice_today

log = logging.getLogger(__name__)

__all__ = [
    "CandidateRow",
    "PlacementOutcome",
    "PlacementRow",
    "export_placement_csv",
    "list_placements",
    "place_accounts",
    "placement_candidates",
    "placement_csv",
    "recall_placement",
    "record_recovery",
]

OBJECT_TYPE = "collection_placement"
RECOVERY_OBJECT_TYPE = "collection_recovery"
PLACED = "placed"
RECALLED = "recalled"
CLOSED = "closed"
STATUS_LABELS = {PLACED: "With the agency", RECALLED: "Recalled", CLOSED: "Paid in full"}
# Plans in good standing stop collections, but a broken plan does not.
ACTIVE_PLAN_STATUSES = ("current", "late")
CHANGES = Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)


@dataclass(frozen=True, slots=True)
class CandidateRow:
    """An account that may be placed with a collection agency."""

    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    patient_names: tuple[str, ...]
    balance: Decimal
    last_statement_on: date
    last_statement_level: str
    last_payment_on: date | None
    oldest_service_on: date | None


@dataclass(frozen=True, slots=True)
class PlacementOutcome:
    """The placements made by one `place_accounts` call and the balance written off."""

    placement_ids: tuple[uuid.UUID, ...]
    total: Decimal
    changes: Changes


@dataclass(frozen=True, slots=True)
class PlacementRow:
    """One placement with what the agency has recovered and kept so far."""

    placement_id: uuid.UUID
    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    agency: str
    placed_on: date
    placed_amount: Decimal
    recovered: Decimal
    fees: Decimal
    status: str
    exported_at: datetime | None

    @property
    def outstanding(self) -> Decimal:
        """The placed amount the agency has not recovered."""
        return self.placed_amount - self.recovered


# --- candidates -------------------------------------------------------------------------


def placement_candidates(session: Session, actor: Actor, on: date) -> list[CandidateRow]:
    """Return the accounts that may be placed on `on`, largest balance first.

    It only reads, so no account is created or changed.
    """
    require(actor, Permission.STATEMENT_RUN)
    wait_days = collections_wait_days(session)
    statements = latest_statements(session, on)
    due = [
        account_id
        for account_id, statement in statements.items()
        if statement.level == FINAL_LEVEL and (on - statement.statement_date).days >= wait_days
    ]
    accounts = [account for account in _accounts(session, due) if active_hold(account, on) is None]
    blocked = _open_placements(session) | _active_plans(session, on)
    accounts = [account for account in accounts if account.id not in blocked]

    patients = patients_by_account(session, [account.id for account in accounts])
    contacts = guarantor_contacts(session, accounts)
    every_patient = [patient_id for ids in patients.values() for patient_id in ids]
    balances = guarantor_balances(session, every_patient)
    paid_on = last_payment_dates(session, every_patient, on)
    oldest = oldest_open_service(session, open_lines_by_patient(session, every_patient))
    names = patient_names(session, every_patient)

    rows = []
    for account in accounts:
        ids = patients[account.id]
        balance = sum((balances.get(patient_id, ZERO) for patient_id in ids), ZERO)
        statement = statements[account.id]
        last_paid = newest(paid_on, ids)
        # A payment after the final notice restarts the ladder, as the statement run does.
        if balance <= ZERO or (last_paid is not None and last_paid > statement.statement_date):
            continue
        oldest_dates = [oldest[patient_id] for patient_id in ids if patient_id in oldest]
        rows.append(
            CandidateRow(
                account_id=account.id,
                account_number=account.account_number,
                guarantor_name=contacts[account.id].name,
                patient_names=tuple(sorted(names[patient_id] for patient_id in ids)),
                balance=balance,
                last_statement_on=statement.statement_date,
                last_statement_level=statement.level,
                last_payment_on=last_paid,
                oldest_service_on=min(oldest_dates, default=None),
            )
        )
    rows.sort(key=lambda row: (-row.balance, row.account_number))
    log.info("%d accounts may be placed with collections", len(rows))
    return rows


def _accounts(session: Session, account_ids: Sequence[uuid.UUID]) -> list[BillingAccount]:
    found: list[BillingAccount] = []
    for part in chunks(list(account_ids)):
        found.extend(
            session.scalars(
                select(BillingAccount).where(
                    BillingAccount.id.in_(part), BillingAccount.archived.is_(False)
                )
            )
        )
    return found


def _open_placements(session: Session) -> set[uuid.UUID]:
    return set(
        session.scalars(
            select(CollectionPlacement.account_id).where(
                CollectionPlacement.status == PLACED, CollectionPlacement.archived.is_(False)
            )
        )
    )


def _active_plans(session: Session, on: date) -> set[uuid.UUID]:
    """Return the accounts whose open plan is in good standing on `on`.

    The standing is computed from the payments, as statement runs compute it, because
    the stored status changes only when someone refreshes the plans.
    """
    states = plan_states(session, None, on)
    return {
        account_id for account_id, state in states.items() if state.status in ACTIVE_PLAN_STATUSES
    }


# --- placing ----------------------------------------------------------------------------


def place_accounts(
    session: Session,
    actor: Actor,
    account_ids: Sequence[uuid.UUID],
    agency: str,
    placed_on: date,
) -> PlacementOutcome:
    """Place each account with `agency` and write off its guarantor balance as bad debt.

    All or nothing. Raises ValidationError for an invalid agency name or date, and
    UserError, placing nothing, when an account is no longer a candidate on `placed_on`
    (a payment, a hold, a plan or another placement since the list was made).
    """
    require(actor, Permission.PAYMENT_VOID)
    chosen = list(dict.fromkeys(account_ids))
    problems = agency_problems(agency) + posting_date_problems(
        session, "placed_on", placed_on, "placement date"
    )
    if problems:
        raise ValidationError(problems)
    if not chosen:
        return PlacementOutcome((), ZERO, Changes())

    candidates = {row.account_id: row for row in placement_candidates(session, actor, placed_on)}
    _check_still_candidates(session, chosen, candidates)

    name = agency.strip()
    reason = f"Placed with {name} on {placed_on:%m/%d/%Y}"
    placements: list[CollectionPlacement] = []
    with session.begin_nested():
        for account_id in chosen:
            placements.append(
                _place(session, actor, account_id, agency=name, placed_on=placed_on, reason=reason)
            )
    total = sum((placement.placed_amount for placement in placements), ZERO)
    log.info("placed %d accounts with collections", len(placements))
    return PlacementOutcome(tuple(placement.id for placement in placements), total, CHANGES)


def _check_still_candidates(
    session: Session, chosen: list[uuid.UUID], candidates: dict[uuid.UUID, CandidateRow]
) -> None:
    missing = [account_id for account_id in chosen if account_id not in candidates]
    if not missing:
        return
    numbers = sorted(account.account_number for account in _accounts(session, missing[:20]))
    listed = ", ".join(numbers) if numbers else str(missing[0])
    raise UserError(
        f"{len(missing)} of the chosen accounts ({listed}) may not be placed: the account "
        "was paid down, put on hold or on a payment plan, is placed already, or has no "
        "final notice old enough. Refresh the list and choose again. Nothing was placed."
    )


def _place(
    session: Session,
    actor: Actor,
    account_id: uuid.UUID,
    *,
    agency: str,
    placed_on: date,
    reason: str,
) -> CollectionPlacement:
    assert actor.user_id is not None, "PAYMENT_VOID is granted only to signed-in users"
    amounts = write_off_amounts(session, account_patient_ids(session, account_id))
    post_write_off(session, actor, amounts, reason, placed_on)
    placement = CollectionPlacement(
        account_id=account_id,
        agency=agency,
        placed_on=placed_on,
        placed_amount=sum(amounts.values(), ZERO),
        status=PLACED,
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(placement)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        OBJECT_TYPE,
        placement.id,
        detail=f"account {account_id} placed; {len(amounts)} write-off adjustments",
    )
    return placement


# --- recoveries -------------------------------------------------------------------------


def record_recovery(  # noqa: PLR0917 (the signature the statements contract fixes)
    session: Session,
    actor: Actor,
    placement_id: uuid.UUID,
    gross: Decimal,
    fee: Decimal,
    received_on: date,
    check_number: str,
) -> Changes:
    """Record money the agency collected (`gross`) of which it kept `fee`.

    Reinstates `gross` of the write-off on the lines it lowered. Posts `gross - fee` as a
    payment from the agency (a check when `check_number` is given, else "other") and
    `fee` as a collection agency fee adjustment, so the guarantor balance does not
    change. A placement recovered in full is closed. Raises ValidationError for amounts
    or a date that do not fit the placement, and NotFoundError for an unknown id.
    """
    require(actor, Permission.PAYMENT_VOID)
    placement = get_placement(session, placement_id)
    recovered = _recovered(session, placement.id)
    problems = recovery_problems(placement, recovered, gross, fee, check_number)
    problems += _received_problems(session, placement, received_on)
    if problems:
        raise ValidationError(problems)

    patient_ids = account_patient_ids(session, placement.account_id)
    shares = take_in_order(outstanding_write_offs(session, patient_ids, placement.placed_on), gross)
    available = sum((share.amount for share in shares), ZERO)
    if available != gross:
        raise UserError(
            f"Only {format_money(available)} of this account's collections write-off is "
            f"still off the books, less than the {format_money(gross)} collected; a "
            "write-off was probably reversed by hand. Post the money as a patient payment "
            "instead."
        )

    with session.begin_nested():
        _post_recovery(
            session,
            actor,
            placement,
            shares,
            fee=fee,
            received_on=received_on,
            check_number=check_number,
        )
    log.info("recovery recorded on placement %s", placement.id)
    return CHANGES


def _received_problems(
    session: Session, placement: CollectionPlacement, received_on: date
) -> list[Problem]:
    if received_on < placement.placed_on:
        return [
            Problem(
                "received_on",
                f"The date received {received_on:%m/%d/%Y} is before the account was placed "
                f"on {placement.placed_on:%m/%d/%Y}; type the day the agency's money arrived.",
            )
        ]
    return posting_date_problems(session, "received_on", received_on, "date received")


def _post_recovery(
    session: Session,
    actor: Actor,
    placement: CollectionPlacement,
    shares: list[LineShare],
    *,
    fee: Decimal,
    received_on: date,
    check_number: str,
) -> None:
    gross = sum((share.amount for share in shares), ZERO)
    agency = placement.agency
    post_line_adjustments(
        session,
        actor,
        RECOVERY_KIND,
        shares,
        sign=1,
        reason=f"{agency} collected {format_money(gross)}",
        posted_on=received_on,
    )
    paid, fees = split_payment_and_fee(shares, fee)
    _post_payments(
        session,
        actor,
        paid,
        agency=agency,
        received_on=received_on,
        check_number=check_number,
    )
    if fees:
        post_line_adjustments(
            session,
            actor,
            FEE_KIND,
            fees,
            sign=-1,
            reason=f"{agency} kept {format_money(fee)} of {format_money(gross)} collected",
            posted_on=received_on,
        )

    assert actor.user_id is not None, "PAYMENT_VOID is granted only to signed-in users"
    recovered = _recovered(session, placement.id) + gross
    recovery = CollectionRecovery(
        placement_id=placement.id,
        received_on=received_on,
        gross_amount=gross,
        fee_amount=fee,
        check_number=check_number.strip(),
        created_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(recovery)
    if recovered >= placement.placed_amount:
        placement.status = CLOSED
        placement.updated_by = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        RECOVERY_OBJECT_TYPE,
        recovery.id,
        detail=f"placement {placement.id}; status {placement.status}",
    )


def _post_payments(
    session: Session,
    actor: Actor,
    paid: list[LineShare],
    *,
    agency: str,
    received_on: date,
    check_number: str,
) -> None:
    """Post one payment per patient with the money received, on the reinstated lines.

    The part reinstated on no line stays on the account as the payment's credit, which
    offsets it there.
    """
    by_patient: dict[uuid.UUID, list[LineShare]] = {}
    for share in paid:
        by_patient.setdefault(share.patient_id, []).append(share)
    number = check_number.strip()
    for patient_id, shares in by_patient.items():
        form = PaymentForm(
            patient_id=patient_id,
            amount=sum((share.amount for share in shares), ZERO),
            method="check" if number else "other",
            check_number=number or None,
            allocations={
                share.charge_line_id: share.amount
                for share in shares
                if share.charge_line_id is not None
            },
            memo=f"Collections recovery from {agency}",
            received_on=received_on,
        )
        outcome = take_payment(session, actor, form)
        outcome.raise_if_rejected()


def _recovered(session: Session, placement_id: uuid.UUID) -> Decimal:
    total = session.scalar(
        select(func.sum(CollectionRecovery.gross_amount)).where(
            CollectionRecovery.placement_id == placement_id,
            CollectionRecovery.archived.is_(False),
        )
    )
    return ZERO if total is None else Decimal(total)


# --- recalls ----------------------------------------------------------------------------


def recall_placement(
    session: Session,
    actor: Actor,
    placement_id: uuid.UUID,
    reason: str,
    *,
    reinstate_balance: bool = True,
) -> Changes:
    """Take a placement back from the agency, with the reason.

    With `reinstate_balance` the part of the write-off the agency has not recovered is
    put back on the account (today's date), so statements resume. Without it the
    balance stays written off as bad debt. Raises ValidationError without a reason,
    UserError for a placement that is not with the agency, and NotFoundError for an
    unknown id.
    """
    require(actor, Permission.PAYMENT_VOID)
    placement = get_placement(session, placement_id)
    problems = reason_problems(reason)
    today = practice_today(session)
    if reinstate_balance:
        problems += posting_date_problems(session, "reason", today, "recall date")
    if problems:
        raise ValidationError(problems)
    if placement.status != PLACED:
        raise UserError(
            f"The placement with {placement.agency} of {placement.placed_on:%m/%d/%Y} is "
            f"{STATUS_LABELS.get(placement.status, placement.status).lower()}, not with the "
            "agency, so it cannot be recalled; refresh the list of placements."
        )

    with session.begin_nested():
        reinstated = ZERO
        if reinstate_balance:
            reinstated = _reinstate_rest(session, actor, placement, reason.strip(), today)
        placement.status = RECALLED
        placement.updated_by = actor.user_id
        session.flush()
        audit.record(
            session,
            actor,
            AuditAction.UPDATE,
            OBJECT_TYPE,
            placement.id,
            detail=f"recalled; balance {'reinstated' if reinstated else 'kept written off'}",
        )
    log.info("placement %s recalled", placement.id)
    return CHANGES


def _reinstate_rest(
    session: Session, actor: Actor, placement: CollectionPlacement, reason: str, today: date
) -> Decimal:
    rest = placement.placed_amount - _recovered(session, placement.id)
    if rest <= ZERO:
        return ZERO
    patient_ids = account_patient_ids(session, placement.account_id)
    shares = take_in_order(outstanding_write_offs(session, patient_ids, placement.placed_on), rest)
    if not shares:
        return ZERO
    post_line_adjustments(
        session,
        actor,
        RECOVERY_KIND,
        shares,
        sign=1,
        reason=f"Recalled from {placement.agency}: {reason}",
        posted_on=today,
    )
    return sum((share.amount for share in shares), ZERO)


# --- lists ------------------------------------------------------------------------------


def get_placement(session: Session, placement_id: uuid.UUID) -> CollectionPlacement:
    """Return the placement row, or raise NotFoundError."""
    placement = session.get(CollectionPlacement, placement_id)
    if placement is None or placement.archived:
        raise NotFoundError(
            f"Collection placement {placement_id} was not found; refresh the list of placements."
        )
    return placement


def list_placements(
    session: Session, actor: Actor, include_closed: bool = False
) -> list[PlacementRow]:
    """Return the placements with the agency, newest first.

    `include_closed` adds the recalled placements and those recovered in full.
    """
    require(actor, Permission.STATEMENT_RUN)
    query = (
        select(CollectionPlacement, BillingAccount)
        .join(BillingAccount, BillingAccount.id == CollectionPlacement.account_id)
        .where(CollectionPlacement.archived.is_(False))
        .order_by(
            CollectionPlacement.placed_on.desc(),
            BillingAccount.account_number,
            CollectionPlacement.id,
        )
    )
    if not include_closed:
        query = query.where(CollectionPlacement.status == PLACED)
    found = [(placement, account) for placement, account in session.execute(query)]
    totals = _recovery_totals(session, [placement.id for placement, _account in found])
    contacts = guarantor_contacts(session, [account for _placement, account in found])
    rows = []
    for placement, account in found:
        recovered, fees = totals.get(placement.id, (ZERO, ZERO))
        rows.append(
            PlacementRow(
                placement_id=placement.id,
                account_id=account.id,
                account_number=account.account_number,
                guarantor_name=contacts[account.id].name,
                agency=placement.agency,
                placed_on=placement.placed_on,
                placed_amount=placement.placed_amount,
                recovered=recovered,
                fees=fees,
                status=placement.status,
                exported_at=placement.exported_at,
            )
        )
    return rows


def _recovery_totals(
    session: Session, placement_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[Decimal, Decimal]]:
    totals: dict[uuid.UUID, tuple[Decimal, Decimal]] = {}
    for part in chunks(list(placement_ids)):
        rows = session.execute(
            select(
                CollectionRecovery.placement_id,
                func.sum(CollectionRecovery.gross_amount),
                func.sum(CollectionRecovery.fee_amount),
            )
            .where(
                CollectionRecovery.placement_id.in_(part),
                CollectionRecovery.archived.is_(False),
            )
            .group_by(CollectionRecovery.placement_id)
        )
        for placement_id, gross, fee in rows:
            totals[placement_id] = (Decimal(gross), Decimal(fee))
    return totals
