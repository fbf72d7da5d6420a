"""The figures printed on a guarantor's statement, read from the ledger as of a day.

Every figure counts the ledger rows of the account's patients posted before the end of
the statement date in the practice's zone (posted_at before the next local midnight).
Only the patient bucket (responsible_party "patient") is what the guarantor owes.
Insurance buckets appear as "insurance pending" and on each visit line: the positive
buckets of each line, so a payer's credit on one line does not lower what it still owes
on another.

Summary, for the rows posted after the last statement was drawn:
- previous_balance: the patient bucket when the last statement was drawn (0 when the
  account never had a statement that was not cancelled). That is the end of the last
  statement's day, or the moment its row was last written when that came first. A
  payment taken at the desk after the morning's run, on the run's own day, was not on
  that statement, so it belongs to the next one's activity.
- new_charges: charge rows, and transfers that move an amount onto the patient (the
  share insurance left to the patient, or a balance a merge moved in).
- payments: patient payment rows (negative), a voided payment's reversal included.
- adjustments: every other patient row: write-offs, refunds and transfers that move an
  amount from the patient to insurance.
A reversal counts as the kind of row it reverses. Every patient row falls in exactly one
group, so previous_balance + new_charges + payments + adjustments == balance.

Aging splits the patient bucket by the age of each service line on the statement date
(0-30, 31-60, 61-90, 91-120, over 120 days since the service). Money on no line (a
payment left as credit, an account-level adjustment) is aged by its own service date.
When some of those amounts are negative (a credit), the credit pays the oldest positive
buckets first, as a payment at the desk does, and negative buckets become zero. So the
five buckets always add up to amount_due, and they are all zero when nothing is due.

Descriptions come from the practice's own ProcedureCode labels, or the code itself when
the practice has none. Diagnoses are never read.
"""

import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Row, func, select
from sqlalchemy.orm import Session, aliased

from app.errors import NotFoundError
from app.models.charges import ChargeLine, Encounter
from app.models.ledger import LedgerEntry
from app.models.patients import Patient
from app.models.payments import AccountAdjustment, Payment
from app.models.practice import Provider
from app.models.statements import BillingAccount, Statement
from app.money import ZERO, to_money
from app.services.billing_accounts import (
    GuarantorContact,
    found_guarantor_contacts,
    full_name,
    guarantor_contacts,
    patients_by_account,
)
from app.services.claim_build_rows import chunks
from app.services.front_desk import day_bounds_utc, practice_zone_or_utc
from app.services.ledger import (
    CHARGE_LINE_SOURCE,
    MERGE_SOURCE,
    RESPONSIBLE_PATIENT,
    REVERSAL,
)
from app.services.line_balances import Bucket
from app.services.procedure_codes import codes_by_value

log = logging.getLogger(__name__)

CANCELLED = "cancelled"
ACCOUNT_ADJUSTMENT_SOURCE = "account_adjustment"
REFUND = "refund"

# Values of ActivityRow.kind.
CHARGE = "charge"
PAYMENT = "payment"
ADJUSTMENT = "adjustment"
# An amount insurance left to the patient (a transfer to the patient bucket) is
# PATIENT_SHARE, and an amount moved from the patient to insurance is INSURANCE.
PATIENT_SHARE = "patient_share"
INSURANCE = "insurance"

# The summary group each patient row falls in.
NEW_CHARGES = "new_charges"
PAYMENTS = "payments"
ADJUSTMENTS = "adjustments"

# Statement wording of each account adjustment kind.
ADJUSTMENT_WORDING = {
    "small_balance": "Small balance write-off",
    "bad_debt": "Bad debt write-off",
    "courtesy": "Courtesy discount",
    "administrative": "Administrative adjustment",
    "collections": "Sent to collections",
}

# Accounts whose failed figures are logged one by one; the rest are counted.
MAX_LOGGED_ERRORS = 10

# Oldest age in days of each aging bucket but the last. Older amounts go to "over 120".
AGING_LIMITS = (30, 60, 90, 120)


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One service line as the visits table prints it."""

    charge_line_id: uuid.UUID
    service_date: date
    patient_name: str
    provider_name: str
    description: str
    charge: Decimal
    insurance_paid: Decimal
    adjustments: Decimal
    patient_paid: Decimal
    balance: Decimal
    insurance_pending: Decimal


@dataclass(frozen=True, slots=True)
class ActivityRow:
    """One change to what the guarantor owes since the last statement.

    `kind` is one of CHARGE, PAYMENT, ADJUSTMENT, PATIENT_SHARE or INSURANCE, and
    `amount` the signed change to what the guarantor owes.
    """

    posted_on: date
    patient_name: str
    kind: str
    description: str
    amount: Decimal


@dataclass(frozen=True, slots=True)
class Aging:
    """The amount due split by the age of the services (see the module docstring)."""

    current: Decimal
    days_31_60: Decimal
    days_61_90: Decimal
    days_91_120: Decimal
    over_120: Decimal

    @property
    def total(self) -> Decimal:
        """The sum of the five buckets (equal to amount_due)."""
        return self.current + self.days_31_60 + self.days_61_90 + self.days_91_120 + self.over_120


@dataclass(frozen=True, slots=True)
class StatementFigures:
    """Everything a statement prints about the money on one account."""

    account_id: uuid.UUID
    account_number: str
    statement_date: date
    guarantor: GuarantorContact
    patient_names: tuple[str, ...]
    last_statement_on: date | None
    previous_balance: Decimal
    new_charges: Decimal
    payments: Decimal
    adjustments: Decimal
    balance: Decimal
    amount_due: Decimal
    credit: Decimal
    insurance_pending: Decimal
    aging: Aging
    lines: tuple[StatementLine, ...]
    activity: tuple[ActivityRow, ...]
    last_payment_on: date | None


# --- loaded ledger rows ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Row:
    """A ledger row reduced to what the figures need, with its reversal resolved."""

    entry_id: uuid.UUID
    posted_at: datetime
    kind: str  # the entry type, or for a reversal the type of the row it reverses
    reversal: bool
    amount: Decimal
    patient_id: uuid.UUID
    bucket: Bucket
    service_date: date | None
    source_type: str | None
    source_id: uuid.UUID | None
    line_id: uuid.UUID | None

    @property
    def for_patient(self) -> bool:
        """True for a row in the patient bucket."""
        return self.bucket.responsible_party == RESPONSIBLE_PATIENT

    @property
    def original_amount(self) -> Decimal:
        """The amount of the row as first posted (a reversal's is the opposite)."""
        return -self.amount if self.reversal else self.amount


def _ledger_rows(
    session: Session, patient_ids: Sequence[uuid.UUID], cutoff: datetime
) -> list[_Row]:
    """Return the patients' rows posted before `cutoff`, 500 patients per query."""
    original = aliased(LedgerEntry)
    columns = (
        LedgerEntry.id,
        LedgerEntry.posted_at,
        LedgerEntry.entry_type,
        LedgerEntry.amount,
        LedgerEntry.patient_id,
        LedgerEntry.responsible_party,
        LedgerEntry.payer_id,
        LedgerEntry.service_date,
        LedgerEntry.source_type,
        LedgerEntry.source_id,
        LedgerEntry.charge_line_id,
        original.entry_type.label("original_type"),
    )
    rows: list[_Row] = []
    for part in chunks(list(patient_ids)):
        query = (
            select(*columns)
            .outerjoin(original, original.id == LedgerEntry.reverses_id)
            .where(LedgerEntry.patient_id.in_(part), LedgerEntry.posted_at < cutoff)
        )
        rows.extend(_to_row(values) for values in session.execute(query))
    return rows


def _to_row(values: Row[*tuple[Any, ...]]) -> _Row:
    entry_type: str = values.entry_type
    source_type: str | None = values.source_type
    reversal = entry_type == REVERSAL
    # Charge rows posted before rows named their line carry it only as their source.
    line_id = values.charge_line_id
    if line_id is None and source_type == CHARGE_LINE_SOURCE:
        line_id = values.source_id
    return _Row(
        entry_id=values.id,
        posted_at=values.posted_at,
        kind=(values.original_type or entry_type) if reversal else entry_type,
        reversal=reversal,
        amount=to_money(values.amount),
        patient_id=values.patient_id,
        bucket=Bucket(values.responsible_party, values.payer_id),
        service_date=values.service_date,
        source_type=source_type,
        source_id=values.source_id,
        line_id=line_id,
    )


def summary_group(row: _Row) -> str:
    """Return the summary figure a patient row adds to: new charges, payments or adjustments."""
    if row.kind == "charge":
        return NEW_CHARGES
    if row.kind == "payment":
        return PAYMENTS
    if row.kind == "transfer" and row.original_amount > ZERO:
        return NEW_CHARGES
    return ADJUSTMENTS


def _activity_kind(row: _Row) -> str:
    if row.kind == "charge":
        return CHARGE
    if row.kind == "transfer" and row.source_type != MERGE_SOURCE:
        return PATIENT_SHARE if row.original_amount > ZERO else INSURANCE
    if row.kind == "transfer":
        return CHARGE if row.original_amount > ZERO else ADJUSTMENT
    if row.kind == "payment":
        return PAYMENT
    return ADJUSTMENT


# --- per-account totals ---------------------------------------------------------------------


@dataclass(slots=True)
class _LineTotals:
    """Sums of one service line's rows, by column of the visits table."""

    patient_id: uuid.UUID
    charge: Decimal = ZERO
    insurance_paid: Decimal = ZERO
    patient_paid: Decimal = ZERO
    balance: Decimal = ZERO
    insurance: dict[Bucket, Decimal] = field(default_factory=dict)
    recent: bool = False

    @property
    def insurance_pending(self) -> Decimal:
        """The positive insurance buckets of the line."""
        return sum((amount for amount in self.insurance.values() if amount > ZERO), ZERO)


@dataclass(slots=True)
class _ActivityTotals:
    """One activity row being summed: rows of one source, kind and day."""

    posted_at: datetime
    posted_on: date
    patient_id: uuid.UUID
    kind: str
    reversal: bool
    row: _Row
    amount: Decimal = ZERO


@dataclass(slots=True)
class _Totals:
    """Running totals of one account while its rows are read."""

    previous: Decimal = ZERO
    groups: dict[str, Decimal] = field(
        default_factory=lambda: {NEW_CHARGES: ZERO, PAYMENTS: ZERO, ADJUSTMENTS: ZERO}
    )
    balance: Decimal = ZERO
    # Insurance buckets per patient and service line (None: rows on no line). Each line
    # counts apart, so a payer's overpayment on one line does not hide what it still
    # owes on another, and the total agrees with the lines' "Insurance pending" flags.
    insurance: dict[tuple[uuid.UUID, Bucket, uuid.UUID | None], Decimal] = field(
        default_factory=dict
    )
    loose: list[tuple[date, Decimal]] = field(default_factory=list)
    lines: dict[uuid.UUID, _LineTotals] = field(default_factory=dict)
    activity: dict[tuple[object, ...], _ActivityTotals] = field(default_factory=dict)


def _add_row(totals: _Totals, row: _Row, since: datetime | None, local_day: date) -> None:
    """Add one row to the account's summary, insurance, line and activity totals."""
    recent = since is None or row.posted_at >= since
    if row.line_id is not None:
        _add_to_line(totals, row, recent)
    if not row.for_patient:
        key = (row.patient_id, row.bucket, row.line_id)
        totals.insurance[key] = totals.insurance.get(key, ZERO) + row.amount
        return

    totals.balance += row.amount
    if row.line_id is None:
        totals.loose.append((row.service_date or local_day, row.amount))
    if not recent:
        totals.previous += row.amount
        return
    totals.groups[summary_group(row)] += row.amount
    _add_activity(totals, row, local_day)


def _add_to_line(totals: _Totals, row: _Row, recent: bool) -> None:
    assert row.line_id is not None
    line = totals.lines.get(row.line_id)
    if line is None:
        line = totals.lines[row.line_id] = _LineTotals(patient_id=row.patient_id)
    line.recent = line.recent or recent
    if row.kind == "charge":
        line.charge += row.amount
    if row.for_patient:
        line.balance += row.amount
        if row.kind == "payment":
            line.patient_paid -= row.amount
    else:
        line.insurance[row.bucket] = line.insurance.get(row.bucket, ZERO) + row.amount
        if row.kind == "payment":
            line.insurance_paid -= row.amount


def _add_activity(totals: _Totals, row: _Row, local_day: date) -> None:
    """Sum the row into its activity row: one per source, kind, patient and day.

    A payment spread over three lines is one row. A credit applied to a line (a pair of
    rows of the same payment that cancel out) adds nothing and is dropped later.
    """
    kind = _activity_kind(row)
    per_line = row.line_id if kind in {CHARGE, PATIENT_SHARE, INSURANCE} else None
    source = row.source_id if row.source_id is not None else row.entry_id
    key = (local_day, row.patient_id, kind, summary_group(row), row.reversal, source, per_line)
    entry = totals.activity.get(key)
    if entry is None:
        entry = totals.activity[key] = _ActivityTotals(
            posted_at=row.posted_at,
            posted_on=local_day,
            patient_id=row.patient_id,
            kind=kind,
            reversal=row.reversal,
            row=row,
        )
    entry.amount += row.amount


# --- the public functions -------------------------------------------------------------------


def statement_figures(session: Session, account_id: uuid.UUID, on: date) -> StatementFigures:
    """Return the account's statement figures as of the end of `on`.

    Checks no permission: the calling service checks the one its action needs. Raises
    NotFoundError for an unknown account.
    """
    return figures_for_accounts(session, [account_id], on)[account_id]


def figures_for_accounts(
    session: Session, account_ids: Sequence[uuid.UUID], on: date
) -> dict[uuid.UUID, StatementFigures]:
    """Return `statement_figures` for many accounts with a fixed number of queries per 500.

    Checks no permission, as `statement_figures`. Raises NotFoundError naming the first
    unknown account id, or the first account whose guarantor record is missing.
    """
    return _compute(session, account_ids, on, lenient=False).figures


@dataclass(frozen=True, slots=True)
class FiguresBatch:
    """Statement figures of many accounts, and why some of them must not be printed.

    `problems` maps an account id to a sentence fragment saying what is wrong and what to
    do, such as "the guarantor record is missing; open the patient (Ethan Walsh) and
    choose the guarantor again". An account with a problem still has figures, so a
    preview can list it: the real amounts with an empty guarantor contact when only the
    guarantor record is missing or archived, otherwise all amounts zero.
    """

    figures: dict[uuid.UUID, StatementFigures]
    problems: dict[uuid.UUID, str]


def figures_with_problems(
    session: Session, account_ids: Sequence[uuid.UUID], on: date
) -> FiguresBatch:
    """Return `figures_for_accounts`, but report a bad account as a problem instead of raising.

    A statement run covers thousands of accounts, and one whose guarantor record is
    missing or archived, or whose figures fail to compute, must not stop the others.
    Raises NotFoundError naming the first unknown account id.
    """
    return _compute(session, account_ids, on, lenient=True)


def _compute(
    session: Session, account_ids: Sequence[uuid.UUID], on: date, *, lenient: bool
) -> FiguresBatch:
    """Compute the figures; `lenient` turns a bad account into a problem instead of an error."""
    requested = list(dict.fromkeys(account_ids))
    if not requested:
        return FiguresBatch({}, {})
    accounts = _load_accounts(session, requested)
    zone = practice_zone_or_utc(session)
    cutoff = day_bounds_utc(on, zone)[1]

    patients = patients_by_account(session, requested)
    owner = {patient_id: account_id for account_id, ids in patients.items() for patient_id in ids}
    names = _patient_names(session, list(owner))
    last_statements = _last_statements(session, requested, on, zone)
    last_on = {account_id: day for account_id, (day, _drawn) in last_statements.items()}
    since = {account_id: drawn for account_id, (_day, drawn) in last_statements.items()}

    totals = {account_id: _Totals() for account_id in requested}
    rows = _ledger_rows(session, list(owner), cutoff)
    failed = _sum_rows(rows, totals, owner, since, zone, lenient=lenient)

    context = _Context(
        on=on,
        names=names,
        lines=_line_details(session, _all_line_ids(totals.values())),
        adjustment_kinds=_adjustment_kinds(session, totals.values()),
    )
    if lenient:
        contacts = found_guarantor_contacts(session, list(accounts.values()))
    else:
        contacts = guarantor_contacts(session, list(accounts.values()))
    paid_on = _last_payment_days(session, list(owner), on)
    batch = FiguresBatch({}, {})
    for account_id in requested:
        ids = patients.get(account_id, [])
        patient_names = tuple(names.get(patient_id, "") for patient_id in ids)
        parts = _AccountParts(
            account=accounts[account_id],
            totals=totals[account_id],
            guarantor=contacts.get(account_id, NO_CONTACT),
            patient_names=patient_names,
            last_statement_on=last_on.get(account_id),
            last_payment_on=max((paid_on[pid] for pid in ids if pid in paid_on), default=None),
        )
        assembly_error = _add_figures(
            batch, parts, context, failed.get(account_id), lenient=lenient
        )
        if assembly_error is not None:
            failed[account_id] = assembly_error
    _log_problems(batch.problems, failed)
    return batch


def _sum_rows(
    rows: Iterable[_Row],
    totals: dict[uuid.UUID, _Totals],
    owner: dict[uuid.UUID, uuid.UUID],
    since: dict[uuid.UUID, datetime],
    zone: ZoneInfo,
    *,
    lenient: bool,
) -> dict[uuid.UUID, Exception]:
    """Add each row to its account's totals; return the errors `lenient` kept, by account.

    The rows of an account that failed are not summed any further.
    """
    failed: dict[uuid.UUID, Exception] = {}
    for row in rows:
        account_id = owner[row.patient_id]
        if account_id in failed:
            continue
        local_day = row.posted_at.astimezone(zone).date()
        try:
            # Without an earlier statement every row is new activity.
            _add_row(totals[account_id], row, since.get(account_id), local_day)
        except Exception as error:  # one bad account must not stop the others
            if not lenient:
                raise
            failed[account_id] = error
    return failed


# A guarantor contact that prints nothing, for an account whose guarantor record is missing.
NO_CONTACT = GuarantorContact(name="", address_lines=(), phone=None, email=None, date_of_birth=None)


@dataclass(frozen=True, slots=True)
class _AccountParts:
    """The inputs of one account's figures, besides the context every account shares."""

    account: BillingAccount
    totals: _Totals
    guarantor: GuarantorContact
    patient_names: tuple[str, ...]
    last_statement_on: date | None
    last_payment_on: date | None


def _add_figures(
    batch: FiguresBatch,
    parts: _AccountParts,
    context: "_Context",
    error: Exception | None,
    *,
    lenient: bool,
) -> Exception | None:
    """Assemble one account's figures into `batch`, and record any reason not to print them.

    `error` is one raised while the account's rows were summed. Returns the error that
    kept the figures from being computed, if any.
    """
    account_id = parts.account.id
    if error is None:
        try:
            batch.figures[account_id] = _assemble(parts, context)
        except Exception as assembly_error:  # one bad account must not stop the others
            if not lenient:
                raise
            error = assembly_error
    if error is not None:
        batch.figures[account_id] = _placeholder(parts, context.on)
        batch.problems[account_id] = (
            f"its statement figures could not be computed ({type(error).__name__}, "
            "details in the log); tell your ClinicDesk support contact the account number"
        )
        return error
    problem = _guarantor_problem(parts)
    if problem is not None:
        batch.problems[account_id] = problem
    return None


def _placeholder(parts: _AccountParts, on: date) -> StatementFigures:
    """Return figures with every amount zero and no contact, for an account that failed.

    Built from the parts' ids, names and dates only, not by _assemble, so an error in the
    account's totals or in assembling them is not met again here.
    """
    return StatementFigures(
        account_id=parts.account.id,
        account_number=parts.account.account_number,
        statement_date=on,
        guarantor=NO_CONTACT,
        patient_names=parts.patient_names,
        last_statement_on=parts.last_statement_on,
        previous_balance=ZERO,
        new_charges=ZERO,
        payments=ZERO,
        adjustments=ZERO,
        balance=ZERO,
        amount_due=ZERO,
        credit=ZERO,
        insurance_pending=ZERO,
        aging=Aging(ZERO, ZERO, ZERO, ZERO, ZERO),
        lines=(),
        activity=(),
        last_payment_on=parts.last_payment_on,
    )


def _guarantor_problem(parts: _AccountParts) -> str | None:
    """Return why the account's guarantor cannot get a statement, or None when it can."""
    if parts.guarantor is NO_CONTACT:
        state = "missing"
    elif parts.guarantor.archived:
        state = "archived"
    else:
        return None
    names = [name for name in parts.patient_names if name]
    if not names:
        patient = "a patient on the account"
    elif len(names) == 1:
        patient = f"the patient ({names[0]})"
    else:
        patient = f"one of the patients ({', '.join(names)})"
    return f"the guarantor record is {state}; open {patient} and choose the guarantor again"


def _log_problems(problems: dict[uuid.UUID, str], errors: dict[uuid.UUID, Exception]) -> None:
    """Log the accounts left out by id, and each error with its traceback."""
    for account_id, error in list(errors.items())[:MAX_LOGGED_ERRORS]:
        log.error("statement figures of billing account %s failed", account_id, exc_info=error)
    if len(errors) > MAX_LOGGED_ERRORS:
        log.error("statement figures failed for %d more accounts", len(errors) - MAX_LOGGED_ERRORS)
    guarantors = [account_id for account_id in problems if account_id not in errors]
    if guarantors:
        log.warning(
            "%d billing accounts have a missing or archived guarantor record (first: %s)",
            len(guarantors),
            guarantors[0],
        )


def _load_accounts(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, BillingAccount]:
    accounts: dict[uuid.UUID, BillingAccount] = {}
    for part in chunks(list(account_ids)):
        query = select(BillingAccount).where(BillingAccount.id.in_(part))
        accounts.update({account.id: account for account in session.scalars(query)})
    for account_id in account_ids:
        if account_id not in accounts:
            raise NotFoundError(
                f"Billing account {account_id} was not found; refresh the list of accounts."
            )
    return accounts


def _patient_names(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for part in chunks(list(patient_ids)):
        query = select(Patient.id, Patient.first_name, Patient.last_name, Patient.suffix).where(
            Patient.id.in_(part)
        )
        for patient_id, first, last, suffix in session.execute(query):
            names[patient_id] = full_name(first, last, suffix)
    return names


def _last_statements(
    session: Session, account_ids: Sequence[uuid.UUID], on: date, zone: ZoneInfo
) -> dict[uuid.UUID, tuple[date, datetime]]:
    """Return the date of each account's newest statement before `on`, and when it was drawn.

    Cancelled statements are left out. "Drawn" is the latest time a statement row of
    that day was written (made by a run, or drawn again when emailed or printed
    later), but never after the end of that day.
    """
    found: dict[uuid.UUID, tuple[date, datetime]] = {}
    for part in chunks(list(account_ids)):
        query = select(Statement.account_id, Statement.statement_date, Statement.updated_at).where(
            Statement.account_id.in_(part),
            Statement.status != CANCELLED,
            Statement.statement_date < on,
            Statement.archived.is_(False),
        )
        for account_id, day, written_at in session.execute(query):
            drawn = min(written_at, day_bounds_utc(day, zone)[1])
            newest = found.get(account_id)
            if newest is None or (day, drawn) > newest:
                found[account_id] = (day, drawn)
    return found


def _last_payment_days(
    session: Session, patient_ids: Sequence[uuid.UUID], on: date
) -> dict[uuid.UUID, date]:
    """Return the day each patient's newest payment that is not voided was received."""
    days: dict[uuid.UUID, date] = {}
    for part in chunks(list(patient_ids)):
        query = (
            select(Payment.patient_id, func.max(Payment.received_on))
            .where(
                Payment.patient_id.in_(part),
                Payment.received_on <= on,
                Payment.voided_at.is_(None),
                Payment.archived.is_(False),
            )
            .group_by(Payment.patient_id)
        )
        days.update(dict(session.execute(query).all()))
    return days


# --- line details and descriptions ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _LineDetail:
    service_date: date
    provider_name: str
    description: str


@dataclass(frozen=True, slots=True)
class _Context:
    """Facts every account's assembly reads: the date, names, lines and adjustment kinds."""

    on: date
    names: dict[uuid.UUID, str]
    lines: dict[uuid.UUID, _LineDetail]
    adjustment_kinds: dict[uuid.UUID, str]


def _all_line_ids(totals: Iterable[_Totals]) -> list[uuid.UUID]:
    return [line_id for account in totals for line_id in account.lines]


def _line_details(session: Session, line_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, _LineDetail]:
    """Return each line's service date, rendering provider and the practice's label."""
    found: list[tuple[uuid.UUID, date, str, uuid.UUID]] = []
    for part in chunks(list(line_ids)):
        query = (
            select(
                ChargeLine.id,
                ChargeLine.service_date,
                ChargeLine.procedure_code,
                Encounter.rendering_provider_id,
            )
            .join(Encounter, Encounter.id == ChargeLine.encounter_id)
            .where(ChargeLine.id.in_(part))
        )
        found.extend((row[0], row[1], row[2], row[3]) for row in session.execute(query))

    labels = {
        code: row.description.strip()
        for code, row in codes_by_value(session, {code for _, _, code, _ in found}).items()
    }
    providers = _provider_names(session, {provider for *_, provider in found})
    return {
        line_id: _LineDetail(
            service_date=service_date,
            provider_name=providers.get(provider_id, ""),
            description=labels.get(code) or code,
        )
        for line_id, service_date, code, provider_id in found
    }


def _provider_names(session: Session, provider_ids: set[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for part in chunks(list(provider_ids)):
        for provider in session.scalars(select(Provider).where(Provider.id.in_(part))):
            names[provider.id] = provider.display_name
    return names


def _adjustment_kinds(session: Session, totals: Iterable[_Totals]) -> dict[uuid.UUID, str]:
    """Return the kind of each account adjustment that has an activity row."""
    ids = [
        entry.row.source_id
        for account in totals
        for entry in account.activity.values()
        if entry.row.source_type == ACCOUNT_ADJUSTMENT_SOURCE and entry.row.source_id is not None
    ]
    kinds: dict[uuid.UUID, str] = {}
    for part in chunks(list(dict.fromkeys(ids))):
        query = select(AccountAdjustment.id, AccountAdjustment.kind).where(
            AccountAdjustment.id.in_(part)
        )
        kinds.update(dict(session.execute(query).all()))
    return kinds


def _describe(entry: _ActivityTotals, context: _Context) -> str:
    """Return the activity row's text, without memos (they may name people or codes)."""
    row = entry.row
    detail = context.lines.get(row.line_id) if row.line_id is not None else None
    label = detail.description if detail is not None else None
    if entry.kind == PAYMENT:
        return "Payment reversed" if entry.reversal else "Payment received"
    if entry.kind == PATIENT_SHARE:
        text = "Your share after insurance"
    elif entry.kind == INSURANCE:
        text = "Billed to insurance"
    elif entry.kind == CHARGE and row.kind == "charge":
        text = label or "Charge"
    elif entry.kind == CHARGE:
        text = "Balance moved from a merged record"
    elif row.kind == REFUND:
        text = "Refund"
    elif row.kind == "transfer":
        text = "Balance moved to a merged record"
    else:
        kind = context.adjustment_kinds.get(row.source_id) if row.source_id else None
        text = ADJUSTMENT_WORDING.get(kind or "", "Adjustment")
    if entry.kind in {PATIENT_SHARE, INSURANCE} and label:
        text = f"{text}: {label}"
    return f"{text} (reversed)" if entry.reversal else text


# --- assembling one account's figures -------------------------------------------------------


def _assemble(parts: _AccountParts, context: _Context) -> StatementFigures:
    totals = parts.totals
    balance = totals.balance
    lines = _statement_lines(totals, context)
    return StatementFigures(
        account_id=parts.account.id,
        account_number=parts.account.account_number,
        statement_date=context.on,
        guarantor=parts.guarantor,
        patient_names=parts.patient_names,
        last_statement_on=parts.last_statement_on,
        previous_balance=totals.previous,
        new_charges=totals.groups[NEW_CHARGES],
        payments=totals.groups[PAYMENTS],
        adjustments=totals.groups[ADJUSTMENTS],
        balance=balance,
        amount_due=max(balance, ZERO),
        credit=max(-balance, ZERO),
        insurance_pending=sum(
            (amount for amount in totals.insurance.values() if amount > ZERO), ZERO
        ),
        aging=_aging(totals, context),
        lines=lines,
        activity=_activity(totals, context),
        last_payment_on=parts.last_payment_on,
    )


def _statement_lines(totals: _Totals, context: _Context) -> tuple[StatementLine, ...]:
    """Return the lines with a balance, insurance pending, or activity since the last statement."""
    lines = []
    for line_id, line in totals.lines.items():
        detail = context.lines.get(line_id)
        if detail is None:
            # A row names a line that no longer exists. Its money still counts above.
            log.warning("ledger rows name service line %s, which was not found", line_id)
            continue
        pending = line.insurance_pending
        if line.balance == ZERO and pending == ZERO and not line.recent:
            continue
        lines.append(
            StatementLine(
                charge_line_id=line_id,
                service_date=detail.service_date,
                patient_name=context.names.get(line.patient_id, ""),
                provider_name=detail.provider_name,
                description=detail.description,
                charge=line.charge,
                insurance_paid=line.insurance_paid,
                # Whatever else moved the line, so the row adds up across its columns.
                adjustments=line.balance
                + pending
                + line.insurance_paid
                + line.patient_paid
                - line.charge,
                patient_paid=line.patient_paid,
                balance=line.balance,
                insurance_pending=pending,
            )
        )
    lines.sort(key=lambda item: (item.service_date, item.patient_name, item.charge_line_id))
    return tuple(lines)


def _activity(totals: _Totals, context: _Context) -> tuple[ActivityRow, ...]:
    entries = [entry for entry in totals.activity.values() if entry.amount != ZERO]
    entries.sort(key=lambda entry: (entry.posted_at, entry.row.entry_id))
    return tuple(
        ActivityRow(
            posted_on=entry.posted_on,
            patient_name=context.names.get(entry.patient_id, ""),
            kind=entry.kind,
            description=_describe(entry, context),
            amount=entry.amount,
        )
        for entry in entries
    )


def _aging(totals: _Totals, context: _Context) -> Aging:
    """Split the patient bucket by age, with every credit paying the oldest buckets first."""
    amounts: list[tuple[int, Decimal]] = []
    for line_id, line in totals.lines.items():
        detail = context.lines.get(line_id)
        if detail is not None and line.balance != ZERO:
            amounts.append((aging_index(context.on, detail.service_date), line.balance))
    amounts += [(aging_index(context.on, day), amount) for day, amount in totals.loose]
    # Rows on lines that no longer exist are left out above, so they count as current.
    amounts.append((0, totals.balance - sum((amount for _, amount in amounts), ZERO)))
    return Aging(*net_credit(amounts, len(AGING_LIMITS) + 1))


def aging_index(on: date, service_date: date) -> int:
    """Return the aging bucket of a service: 0 for 0-30 days old, up to 4 for over 120."""
    age = (on - service_date).days
    for index, limit in enumerate(AGING_LIMITS):
        if age <= limit:
            return index
    return len(AGING_LIMITS)


def net_credit(amounts: Iterable[tuple[int, Decimal]], size: int) -> list[Decimal]:
    """Sum (bucket index, amount) pairs into `size` buckets, negatives paying the oldest first.

    Every negative amount joins one credit, which pays the positive buckets from the
    last (oldest) one down. The result has no negative bucket and sums to the larger
    of the amounts' total and zero.
    """
    buckets = [ZERO] * size
    credit = ZERO
    for index, amount in amounts:
        if amount < ZERO:
            credit -= amount
        else:
            buckets[index] += amount
    for index in reversed(range(size)):
        used = min(credit, buckets[index])
        buckets[index] -= used
        credit -= used
    return buckets
