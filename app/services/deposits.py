"""Bank deposits: the money not yet deposited, deposits, bank reconciliation and the report.

A deposit gathers front-desk payments (cash, checks, cards) and insurance remittances
(checks and EFTs) that reached the bank together. Its expected amount is the sum of its
items when it is made. Reconciling compares that with the amount on the bank statement
and keeps the difference.

Anyone who takes payments (PAYMENT_POST) makes deposits. Reconciling needs PAYMENT_VOID
(managers), so the person who compares the bank statement is one who could also void
the payments it concerns.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError
from app.models.patients import Patient
from app.models.payments import Deposit, Payment, Remittance
from app.models.practice import Payer
from app.models.security import User
from app.money import ZERO, format_money, to_money
from app.problems import Problem, Severity, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_header import BillingHeader, billing_header
from app.services.claim_build_rows import chunks
from app.services.numbering import next_number
from app.services.outcomes import SaveOutcome
from app.services.payment_checks import CARD_NUMBER_MESSAGE, is_cents, looks_like_card_number
from app.services.scheduling_settings import practice_zone
from app.services.today import practice_today

log = logging.getLogger(__name__)

OBJECT_TYPE = "deposit"
# Deposit statuses. An undone deposit keeps its row for the audit trail but carries no
# items (see app.services.deposit_undo).
OPEN = "open"
RECONCILED = "reconciled"
UNDONE = "undone"
ITEM_PAYMENT = "payment"
ITEM_REMITTANCE = "remittance"

# Deposit method → label. A deposit's method limits which kinds of money it may carry.
DEPOSIT_METHODS: dict[str, str] = {
    "cash_check": "Cash and checks",
    "card": "Card",
    "eft": "EFT",
    "mixed": "Mixed",
}
ITEM_METHOD_LABELS: dict[str, str] = {
    "cash": "Cash",
    "check": "Check",
    "card": "Card",
    "eft": "EFT",
}
_ALLOWED_ITEM_METHODS: dict[str, frozenset[str]] = {
    "cash_check": frozenset({"cash", "check"}),
    "card": frozenset({"card"}),
    "eft": frozenset({"eft"}),
    "mixed": frozenset(ITEM_METHOD_LABELS),
}

# Front-desk payments that pass through the practice's hands. EFT and "other" payments
# reach the bank without a deposit slip.
DEPOSITED_PAYMENT_METHODS = ("cash", "check", "card")
# A held remittance does not balance and a reversed one was taken back, so only
# remittances that are posted or waiting for review carry money to deposit.
DEPOSITED_REMITTANCE_STATUSES = ("posted", "review")
# BPR04 payment method → how the money arrives. BOP (the bank's choice) is treated as
# an EFT. NON moves no money, and its zero amount keeps it out of every deposit.
_REMITTANCE_METHODS = {"CHK": "check", "ACH": "eft", "FWT": "eft", "BOP": "eft"}


@dataclass(frozen=True, slots=True)
class DepositItem:
    """One payment or remittance as the deposit screens and the deposit report list it.

    `reference` is the receipt number of a payment, or the trace number (the check or
    EFT number) of a remittance. `party` is the payer's name, or the patient's account
    (chart number) for a payment the patient made.
    """

    item_id: uuid.UUID
    kind: str
    received_on: date
    reference: str
    check_number: str | None
    party: str
    method: str
    amount: Decimal
    voided: bool = False

    @property
    def method_label(self) -> str:
        """The method as printed, such as "Check"."""
        return ITEM_METHOD_LABELS.get(self.method, self.method)


@dataclass(frozen=True, slots=True)
class DepositRow:
    """One deposit in the list of deposits. `difference` is None until it is reconciled.

    `item_count` and `expected_amount` count only the items that are not voided (see
    `counted_totals`), so a payment voided after it was deposited drops out of both.
    """

    deposit_id: uuid.UUID
    deposit_number: str
    deposited_on: date
    method: str
    item_count: int
    expected_amount: Decimal
    bank_amount: Decimal | None
    difference: Decimal | None
    status: str
    note: str


@dataclass(frozen=True, slots=True)
class DepositReport:
    """Everything the printed deposit report shows.

    Voided items are in `items` but not in `totals_by_method` or `expected_amount`.
    """

    header: BillingHeader
    deposit_number: str
    deposited_on: date
    method: str
    status: str
    items: tuple[DepositItem, ...]
    totals_by_method: tuple[tuple[str, Decimal], ...]
    expected_amount: Decimal
    bank_amount: Decimal | None
    difference: Decimal | None
    note: str
    reconciled_on: date | None
    reconciled_by: str
    printed_on: date

    @property
    def method_label(self) -> str:
        """The deposit's method as printed, such as "Cash and checks"."""
        return DEPOSIT_METHODS.get(self.method, self.method)


# --- the money not yet deposited ----------------------------------------------------


def undeposited(session: Session, actor: Actor) -> list[DepositItem]:
    """Return the payments and remittances that are in no deposit yet, oldest first.

    Payments count when they are cash, check or card and not voided; remittances when
    they carry money and are posted or waiting for review.
    """
    require(actor, Permission.PAYMENT_POST)
    payments = _payment_items(
        session,
        Payment.deposit_id.is_(None),
        Payment.voided_at.is_(None),
        Payment.method.in_(DEPOSITED_PAYMENT_METHODS),
    )
    remittances = _remittance_items(
        session,
        Remittance.deposit_id.is_(None),
        Remittance.status.in_(DEPOSITED_REMITTANCE_STATUSES),
        Remittance.payment_amount > ZERO,
    )
    items = sorted([*payments, *remittances], key=lambda item: (item.received_on, item.reference))
    log.info("listed %d undeposited items", len(items))
    return items


def _payment_items(session: Session, *conditions: ColumnElement[bool]) -> list[DepositItem]:
    query = (
        select(Payment, Patient.chart_number, Payer.name)
        .join(Patient, Patient.id == Payment.patient_id)
        .outerjoin(Payer, Payer.id == Payment.payer_id)
        .where(Payment.archived.is_(False), *conditions)
    )
    return [
        _payment_item(payment, chart_number, payer_name)
        for payment, chart_number, payer_name in session.execute(query)
    ]


def _payment_item(payment: Payment, chart_number: str, payer_name: str | None) -> DepositItem:
    party = payer_name if payer_name else f"Account {chart_number}"
    return DepositItem(
        item_id=payment.id,
        kind=ITEM_PAYMENT,
        received_on=payment.received_on,
        reference=payment.receipt_number,
        check_number=payment.check_number,
        party=party,
        method=payment.method,
        amount=payment.amount,
        voided=payment.voided_at is not None,
    )


def _remittance_items(session: Session, *conditions: ColumnElement[bool]) -> list[DepositItem]:
    zone = practice_zone(session)
    query = select(Remittance).where(Remittance.archived.is_(False), *conditions)
    items = []
    for remittance in session.scalars(query):
        items.append(
            DepositItem(
                item_id=remittance.id,
                kind=ITEM_REMITTANCE,
                received_on=_remittance_day(remittance, zone),
                reference=remittance.trace_number,
                check_number=(
                    remittance.trace_number if remittance.payment_method == "CHK" else None
                ),
                party=remittance.payer_name,
                method=remittance_method(remittance.payment_method),
                amount=remittance.payment_amount,
                voided=remittance.status == "reversed",
            )
        )
    return items


def _remittance_day(remittance: Remittance, zone: ZoneInfo) -> date:
    # The check or EFT date when the payer gave one, else the day it was received.
    if remittance.payment_date is not None:
        return remittance.payment_date
    return remittance.received_at.astimezone(zone).date()


def remittance_method(payment_method: str) -> str:
    """Return how a remittance's money arrives ("check" or "eft") from its BPR04 code."""
    return _REMITTANCE_METHODS.get(payment_method, "eft")


# --- making a deposit ---------------------------------------------------------------


def create_deposit(
    session: Session, actor: Actor, item_ids: list[uuid.UUID], deposited_on: date, method: str
) -> SaveOutcome:
    """Gather the payments and remittances `item_ids` into a new deposit.

    The deposit gets the next deposit number, and its expected amount is the sum of the
    items. Nothing is written when a problem is found: an unknown method, a date after
    today, no items, or an item that is unknown, voided, held, already in a deposit,
    received after the deposit date or of a method the deposit does not carry. Each
    problem names the receipt or trace number.
    """
    require(actor, Permission.PAYMENT_POST)
    unique_ids = list(dict.fromkeys(item_ids))
    problems = _deposit_header_problems(session, deposited_on, method, unique_ids)
    payments: list[Payment] = []
    remittances: list[Remittance] = []
    for item_id in unique_ids:
        payment = session.get(Payment, item_id)
        if payment is not None:
            payments.append(payment)
            problems.extend(_payment_problems(session, payment, deposited_on, method))
            continue
        remittance = session.get(Remittance, item_id)
        if remittance is not None:
            remittances.append(remittance)
            problems.extend(_remittance_problems(session, remittance, deposited_on, method))
            continue
        problems.append(
            Problem(
                "items",
                f"Item {item_id} is neither a payment nor a remittance; refresh the list "
                "of undeposited money and choose again.",
            )
        )
    if has_errors(problems):
        log.info("deposit of %d items rejected with %d problems", len(unique_ids), len(problems))
        return SaveOutcome.rejected(problems)

    expected = sum((payment.amount for payment in payments), ZERO) + sum(
        (remittance.payment_amount for remittance in remittances), ZERO
    )
    deposit = Deposit(
        deposit_number=next_number(session, "deposit"),
        deposited_on=deposited_on,
        method=method,
        expected_amount=to_money(expected),
        bank_amount=None,
        status=OPEN,
        note="",
        updated_by=actor.user_id,
    )
    session.add(deposit)
    session.flush()
    for payment in payments:
        payment.deposit_id = deposit.id
        payment.updated_by = actor.user_id
    for remittance in remittances:
        remittance.deposit_id = deposit.id
        remittance.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        OBJECT_TYPE,
        deposit.id,
        detail=f"{len(payments)} payments, {len(remittances)} remittances",
    )
    log.info(
        "deposit %s made with %d payments and %d remittances",
        deposit.id,
        len(payments),
        len(remittances),
    )
    return SaveOutcome(deposit.id, True, tuple(problems), Changes.of(ChangeKind.PAYMENTS))


def _deposit_header_problems(
    session: Session, deposited_on: date, method: str, item_ids: list[uuid.UUID]
) -> list[Problem]:
    problems = []
    if method not in DEPOSIT_METHODS:
        problems.append(
            Problem(
                "method",
                f"The deposit method {method!r} is not one of {', '.join(DEPOSIT_METHODS)}; "
                "choose one of them.",
            )
        )
    today = practice_today(session)
    if deposited_on > today:
        problems.append(
            Problem(
                "deposited_on",
                f"The deposit date {deposited_on:%m/%d/%Y} is after today ({today:%m/%d/%Y}); "
                "enter the day the money went to the bank.",
            )
        )
    if not item_ids:
        problems.append(
            Problem("items", "No payments or remittances are chosen; choose what you deposit.")
        )
    return problems


def _deposit_number(session: Session, deposit_id: uuid.UUID | None) -> str:
    if deposit_id is None:
        return ""
    number = session.scalar(select(Deposit.deposit_number).where(Deposit.id == deposit_id))
    return number or str(deposit_id)


def _method_problem(label: str, item_method: str, deposit_method: str) -> Problem | None:
    allowed = _ALLOWED_ITEM_METHODS.get(deposit_method)
    if allowed is None or item_method in allowed:
        return None
    method_label = ITEM_METHOD_LABELS.get(item_method, item_method).lower()
    deposit_label = DEPOSIT_METHODS[deposit_method].lower()
    return Problem(
        "items",
        f"{label} was paid by {method_label}, which does not go into a deposit of "
        f"{deposit_label}; leave it out or choose the mixed method.",
    )


def _date_problem(label: str, received_on: date, deposited_on: date) -> Problem | None:
    if received_on <= deposited_on:
        return None
    return Problem(
        "items",
        f"{label} was received on {received_on:%m/%d/%Y}, after the deposit date "
        f"{deposited_on:%m/%d/%Y}; leave it out or correct the deposit date.",
    )


def _payment_problems(
    session: Session, payment: Payment, deposited_on: date, method: str
) -> list[Problem]:
    label = f"Receipt {payment.receipt_number}"
    if payment.archived or payment.voided_at is not None:
        return [Problem("items", f"{label} is voided, so it cannot be deposited; leave it out.")]
    if payment.deposit_id is not None:
        number = _deposit_number(session, payment.deposit_id)
        return [Problem("items", f"{label} is already in deposit {number}; leave it out.")]
    if payment.method not in DEPOSITED_PAYMENT_METHODS:
        return [
            Problem(
                "items",
                f"{label} was paid by {payment.method}, which reaches the bank without a "
                "deposit; only cash, check and card payments are deposited.",
            )
        ]
    found = [
        _method_problem(label, payment.method, method),
        _date_problem(label, payment.received_on, deposited_on),
    ]
    return [problem for problem in found if problem is not None]


def _remittance_problems(
    session: Session, remittance: Remittance, deposited_on: date, method: str
) -> list[Problem]:
    label = f"The {remittance.payer_name} remittance with trace number {remittance.trace_number}"
    if remittance.deposit_id is not None:
        number = _deposit_number(session, remittance.deposit_id)
        return [Problem("items", f"{label} is already in deposit {number}; leave it out.")]
    if remittance.archived or remittance.status not in DEPOSITED_REMITTANCE_STATUSES:
        return [
            Problem(
                "items",
                f"{label} is {remittance.status}, so it cannot be deposited; post or release "
                "it first, or leave it out.",
            )
        ]
    if remittance.payment_amount <= 0:
        return [Problem("items", f"{label} carries no money to deposit; leave it out.")]
    received_on = _remittance_day(remittance, practice_zone(session))
    found = [
        _method_problem(label, remittance_method(remittance.payment_method), method),
        _date_problem(label, received_on, deposited_on),
    ]
    return [problem for problem in found if problem is not None]


# --- reconciling --------------------------------------------------------------------


def get_deposit(session: Session, deposit_id: uuid.UUID) -> Deposit:
    """Return the deposit, or raise NotFoundError."""
    deposit = session.get(Deposit, deposit_id)
    if deposit is None or deposit.archived:
        raise NotFoundError(
            f"Deposit {deposit_id} was not found; refresh the list of deposits and try again."
        )
    return deposit


def reconcile_deposit(
    session: Session, actor: Actor, deposit_id: uuid.UUID, bank_amount: Decimal, note: str
) -> SaveOutcome:
    """Record the amount the bank statement shows for the deposit and mark it reconciled.

    PAYMENT_VOID (managers). A bank amount that differs from the expected amount needs
    a note saying why (a bank fee, a returned check), and the saved outcome carries a
    warning with the difference. Nothing is written for a deposit already reconciled or
    a bank amount that is negative or has fractions of a cent.
    """
    require(actor, Permission.PAYMENT_VOID)
    deposit = get_deposit(session, deposit_id)
    expected = counted_totals(session, [deposit.id]).get(deposit.id, NO_ITEMS).amount
    problems = _reconcile_problems(deposit, expected, bank_amount, note)
    if has_errors(problems):
        log.info("reconciliation of deposit %s rejected", deposit.id)
        return SaveOutcome.rejected(problems)

    difference = bank_amount - expected
    if difference != ZERO:
        problems.append(
            Problem(
                "bank_amount",
                f"The bank shows {format_money(bank_amount)} for deposit "
                f"{deposit.deposit_number}, {format_money(difference)} against the "
                f"expected {format_money(expected)}.",
                Severity.WARNING,
            )
        )
    deposit.bank_amount = bank_amount
    deposit.note = note.strip()
    deposit.status = RECONCILED
    deposit.reconciled_at = utc_now()
    deposit.reconciled_by = actor.user_id
    deposit.updated_by = actor.user_id
    session.flush()

    audit.record(
        session,
        actor,
        AuditAction.UPDATE,
        OBJECT_TYPE,
        deposit.id,
        detail=f"reconciled; difference {difference}",
    )
    log.info("deposit %s reconciled with a difference of %s", deposit.id, difference)
    return SaveOutcome(deposit.id, False, tuple(problems), Changes.of(ChangeKind.PAYMENTS))


def _reconcile_problems(
    deposit: Deposit, expected: Decimal, bank_amount: Decimal, note: str
) -> list[Problem]:
    if deposit.status == UNDONE:
        return [
            Problem(
                "bank_amount",
                f"Deposit {deposit.deposit_number} was undone, so there is nothing to "
                "reconcile; reconcile the deposit that now carries its items.",
            )
        ]
    if deposit.status == RECONCILED:
        when = deposit.reconciled_at.date() if deposit.reconciled_at else None
        day = f" on {when:%m/%d/%Y}" if when else ""
        return [
            Problem(
                "bank_amount",
                f"Deposit {deposit.deposit_number} was already reconciled{day}; "
                "nothing was changed.",
            )
        ]
    if not is_cents(bank_amount) or bank_amount < 0:
        return [
            Problem(
                "bank_amount",
                f"The bank amount {bank_amount} is not an amount of money the bank could "
                "show; type it in dollars and cents, such as 1234.50.",
            )
        ]
    if looks_like_card_number(note):
        return [Problem("note", CARD_NUMBER_MESSAGE)]
    difference = bank_amount - expected
    if difference != ZERO and not note.strip():
        return [
            Problem(
                "note",
                f"The bank amount {format_money(bank_amount)} differs from the expected "
                f"{format_money(expected)} by {format_money(difference)}; "
                "say why in the note (such as a bank fee or a returned check).",
            )
        ]
    return []


# --- lists and the report -----------------------------------------------------------


def deposit_list(session: Session, actor: Actor, since: date | None = None) -> list[DepositRow]:
    """Return the deposits made on or after `since` (all when None), newest first."""
    require(actor, Permission.PAYMENT_POST)
    query = select(Deposit).where(Deposit.archived.is_(False))
    if since is not None:
        query = query.where(Deposit.deposited_on >= since)
    query = query.order_by(Deposit.deposited_on.desc(), Deposit.deposit_number.desc())
    found = list(session.scalars(query))
    totals = counted_totals(session, [deposit.id for deposit in found])
    rows = []
    for deposit in found:
        total = totals.get(deposit.id, NO_ITEMS)
        difference = None if deposit.bank_amount is None else deposit.bank_amount - total.amount
        rows.append(
            DepositRow(
                deposit_id=deposit.id,
                deposit_number=deposit.deposit_number,
                deposited_on=deposit.deposited_on,
                method=deposit.method,
                item_count=total.count,
                expected_amount=total.amount,
                bank_amount=deposit.bank_amount,
                difference=difference,
                status=deposit.status,
                note=deposit.note,
            )
        )
    return rows


@dataclass(frozen=True, slots=True)
class ItemTotal:
    """How many items of a deposit count toward its total, and their sum."""

    count: int
    amount: Decimal


NO_ITEMS = ItemTotal(0, ZERO)


def counted_totals(
    session: Session, deposit_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, ItemTotal]:
    """Return the count and sum of the items of each deposit that are not voided.

    A payment voided after it was deposited, or a reversed remittance, stays linked to
    its deposit (and listed as voided) but never counts toward the deposit's total, the
    rule `DepositItem.voided` marks. Deposits without counted items are left out.
    """
    sources = (
        (
            Payment.deposit_id,
            Payment.amount,
            (Payment.voided_at.is_(None), Payment.archived.is_(False)),
        ),
        (
            Remittance.deposit_id,
            Remittance.payment_amount,
            (Remittance.status != "reversed", Remittance.archived.is_(False)),
        ),
    )
    totals: dict[uuid.UUID, ItemTotal] = {}
    for part in chunks(list(dict.fromkeys(deposit_ids))):
        for deposit_column, amount_column, counted in sources:
            query = (
                select(deposit_column, func.count(), func.sum(amount_column))
                .where(deposit_column.in_(part), *counted)
                .group_by(deposit_column)
            )
            for deposit_id, count, amount in session.execute(query):
                if deposit_id is None:  # The IN condition excludes None; this narrows the type.
                    continue
                before = totals.get(deposit_id, NO_ITEMS)
                totals[deposit_id] = ItemTotal(
                    before.count + count, to_money(before.amount + to_money(amount))
                )
    return totals


def deposit_items(session: Session, deposit_id: uuid.UUID) -> list[DepositItem]:
    """Return the payments and remittances of a deposit, by date and reference."""
    payments = _payment_items(session, Payment.deposit_id == deposit_id)
    remittances = _remittance_items(session, Remittance.deposit_id == deposit_id)
    return sorted([*payments, *remittances], key=lambda item: (item.received_on, item.reference))


def deposit_report(session: Session, actor: Actor, deposit_id: uuid.UUID) -> DepositReport:
    """Return the contents of the deposit report: items, totals by method and the bank's amount.

    Voided items are listed but left out of the totals and the expected amount.
    """
    require(actor, Permission.PAYMENT_POST)
    deposit = get_deposit(session, deposit_id)
    items = tuple(deposit_items(session, deposit.id))
    totals: dict[str, Decimal] = {}
    for item in items:
        if not item.voided:
            totals[item.method_label] = totals.get(item.method_label, ZERO) + item.amount
    expected = sum(totals.values(), ZERO)
    difference = None if deposit.bank_amount is None else deposit.bank_amount - expected
    return DepositReport(
        header=billing_header(session),
        deposit_number=deposit.deposit_number,
        deposited_on=deposit.deposited_on,
        method=deposit.method,
        status=deposit.status,
        items=items,
        totals_by_method=tuple(sorted(totals.items())),
        expected_amount=expected,
        bank_amount=deposit.bank_amount,
        difference=difference,
        note=deposit.note,
        reconciled_on=local_day(session, deposit.reconciled_at),
        reconciled_by=user_name(session, deposit.reconciled_by),
        printed_on=practice_today(session),
    )


def local_day(session: Session, instant: datetime | None) -> date | None:
    """Return the practice-local day of `instant` (None for None)."""
    return None if instant is None else instant.astimezone(practice_zone(session)).date()


def user_name(session: Session, user_id: uuid.UUID | None) -> str:
    """Return the user's display name, or "" for None or an unknown user."""
    if user_id is None:
        return ""
    return session.scalar(select(User.display_name).where(User.id == user_id)) or ""


def write_deposit_report_pdf(
    session: Session, actor: Actor, deposit_id: uuid.UUID, path: Path
) -> Path:
    """Write the deposit report to the PDF `path` (atomically) and audit the print.

    Raises FileWriteError when `path` cannot be written.
    """
    from app.pdf.deposit_report import render_deposit_report

    report = deposit_report(session, actor, deposit_id)
    render_deposit_report(report, path)
    audit.record(
        session, actor, AuditAction.PRINT, OBJECT_TYPE, deposit_id, detail="deposit report PDF"
    )
    log.info("deposit report printed for deposit %s with %d items", deposit_id, len(report.items))
    return path
