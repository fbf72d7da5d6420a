"""Two statement reports: the notices sent in a period, and balances overdue without a notice.

`notices_in_period` lists every statement of the chosen levels (such as second and third
notices) dated in a period, whatever became of it, so the status column distinguishes a
printed or sent notice from one still queued, failed or cancelled.

`overdue_without_notice` finds the guarantors whose patients owe money on a service
older than the cutoff and who got no statement within it. Accounts are grouped as the
statement run groups them: each patient under their guarantor, one level deep. A
guarantor may have no billing account yet (accounts are made when first billed), so
those rows carry no account number and read "never billed". Each row carries hints of
why statements skip it (a hold, a payment plan, a collection placement, a failed email),
so the biller can tell a deliberate gap from an account that slipped through.
"""

import csv
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.csv_safety import safe_row
from app.errors import ValidationError
from app.files import write_atomically
from app.models.charges import ChargeLine
from app.models.patients import Patient, Person
from app.models.statements import (
    BillingAccount,
    CollectionPlacement,
    PaymentPlan,
    Statement,
)
from app.money import ZERO
from app.problems import Problem
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.account_balances import bucket_totals, open_lines_by_patient, patient_share
from app.services.billing_accounts import (
    HOLD_LABELS,
    GuarantorKey,
    active_hold,
    full_name,
    guarantor_key,
)
from app.services.claim_build_rows import chunks
from app.services.notice_levels import PLAN_REMINDER, PLAN_REMINDER_LABEL, list_levels
from app.services.statement_settings import statement_settings

log = logging.getLogger(__name__)

# Statements that reached, or are on their way to, the guarantor. A cancelled statement
# was never sent and a failed email never arrived, so neither counts as a notice.
DELIVERED_STATUSES = ("ready", "printed", "queued", "sent")
OPEN_PLAN_STATUSES = ("current", "late", "broken")
PLACED_STATUS = "placed"
DEFAULT_OVERDUE_DAYS = 30

# The CSV columns carry the titles of the report's columns on screen, so an exported
# file reads like the table it came from.
NOTICE_CSV_HEADERS = (
    "Account",
    "Guarantor",
    "Date",
    "Level",
    "Statement",
    "Amount due",
    "Channel",
    "Status",
)
OVERDUE_CSV_HEADERS = (
    "Account",
    "Guarantor",
    "Patients",
    "Balance",
    "Oldest service",
    "Days",
    "Last statement",
    "Last level",
    "Why no notice",
)
CHANNEL_LABELS = {"print": "Print", "email": "Email"}
STATUS_LABELS = {
    "ready": "Ready",
    "printed": "Printed",
    "queued": "Queued",
    "sent": "Sent",
    "failed": "Failed",
    "cancelled": "Canceled",
}


def channel_label(code: str) -> str:
    """Return a statement channel as screens and exports show it, such as "Print"."""
    return CHANNEL_LABELS.get(code, code.capitalize())


def status_label(code: str) -> str:
    """Return a statement status as screens and exports show it, such as "Printed"."""
    return STATUS_LABELS.get(code, code.capitalize())


@dataclass(frozen=True, slots=True)
class NoticeReportRow:
    """One statement of a chosen level dated in the period."""

    statement_id: uuid.UUID
    statement_number: str
    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    statement_date: date
    level: str
    level_label: str
    amount_due: Decimal
    channel: str
    status: str


@dataclass(frozen=True, slots=True)
class OverdueRow:
    """A guarantor who owes on an old service and got no statement within the cutoff.

    `account_id` is None (and `account_number` empty) when no billing account was made
    for the guarantor yet. `balance` is the patient share of all the guarantor's
    patients together.
    """

    account_id: uuid.UUID | None
    account_number: str
    guarantor_name: str
    patient_ids: tuple[uuid.UUID, ...]
    patient_names: tuple[str, ...]
    balance: Decimal
    oldest_service_date: date
    days_outstanding: int
    last_statement_on: date | None
    last_level: str | None
    reasons: tuple[str, ...]

    @property
    def reason_text(self) -> str:
        """The reasons joined for one cell, such as "on hold: Bankruptcy; payment plan"."""
        return "; ".join(self.reasons)


# Notices in a period


def notices_in_period(
    session: Session, actor: Actor, start: date, end: date, levels: Sequence[str]
) -> list[NoticeReportRow]:
    """Return the statements of `levels` dated `start` through `end`, oldest first (audited).

    Raises ValidationError when the period runs backwards, no level is chosen or a
    level code is unknown.
    """
    require(actor, Permission.STATEMENT_RUN)
    labels = level_labels(session)
    _check_period(start, end, levels, labels)

    query = (
        select(Statement, BillingAccount)
        .join(BillingAccount, BillingAccount.id == Statement.account_id)
        .where(
            Statement.statement_date >= start,
            Statement.statement_date <= end,
            Statement.level.in_(list(levels)),
            Statement.archived.is_(False),
        )
        .order_by(Statement.statement_date, Statement.statement_number)
    )
    pairs = [(row[0], row[1]) for row in session.execute(query)]
    names = guarantor_names(session, [_account_key(account) for _row, account in pairs])
    rows = [
        NoticeReportRow(
            statement_id=statement.id,
            statement_number=statement.statement_number,
            account_id=account.id,
            account_number=account.account_number,
            guarantor_name=names.get(_account_key(account), ""),
            statement_date=statement.statement_date,
            level=statement.level,
            level_label=labels.get(statement.level, statement.level),
            amount_due=statement.amount_due,
            channel=statement.channel,
            status=statement.status,
        )
        for statement, account in pairs
    ]

    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "notice_report",
        detail=f"{start.isoformat()} to {end.isoformat()}: {len(rows)} statements",
    )
    log.info("notices report lists %d statements", len(rows))
    return rows


def level_labels(session: Session) -> dict[str, str]:
    """Return each notice level's printed label by code, plus the plan reminder's."""
    labels = {row.code: row.label for row in list_levels(session)}
    labels[PLAN_REMINDER] = PLAN_REMINDER_LABEL
    return labels


def _check_period(start: date, end: date, levels: Sequence[str], labels: dict[str, str]) -> None:
    problems: list[Problem] = []
    if start > end:
        problems.append(
            Problem(
                "start",
                f"The period starts {start:%m/%d/%Y}, after it ends {end:%m/%d/%Y}; "
                "swap the two dates.",
            )
        )
    if not levels:
        problems.append(Problem("levels", "Choose at least one notice level."))
    unknown = [level for level in levels if level not in labels]
    if unknown:
        known = ", ".join(labels)
        problems.append(
            Problem("levels", f"Unknown notice level {', '.join(unknown)}; use one of {known}.")
        )
    if problems:
        raise ValidationError(problems)


# Overdue balances without a notice


@dataclass
class _Guarantor:
    """One guarantor's patients, their net patient share and oldest open service date."""

    key: GuarantorKey
    patient_ids: list[uuid.UUID]
    balance: Decimal = ZERO
    oldest: date | None = None


def overdue_without_notice(
    session: Session, actor: Actor, on: date, days: int = DEFAULT_OVERDUE_DAYS
) -> list[OverdueRow]:
    """Return guarantors owed on a service over `days` old and sent nothing in `days` (audited).

    A guarantor counts when their patients' patient share adds up above zero, their
    oldest open patient-owed line was served more than `days` days before `on`, and no
    statement dated from `on` minus `days` through `on` was printed, queued or sent.
    Oldest service first. Raises ValidationError when `days` is below 1.
    """
    require(actor, Permission.STATEMENT_RUN)
    if days < 1:
        raise ValidationError(
            [Problem("days", f"{days} days: use a cutoff of 1 day or more, such as 30.")]
        )

    guarantors = _owing_guarantors(session)
    cutoff = on - timedelta(days=days)
    overdue = {
        key: guarantor
        for key, guarantor in guarantors.items()
        if guarantor.oldest is not None and guarantor.oldest < cutoff
    }
    accounts = _accounts_of(session, list(overdue))
    statements = _statements_of(session, [account.id for account in accounts.values()], on)
    rows = _overdue_rows(session, overdue, accounts, statements, on=on, cutoff=cutoff)

    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        "overdue_report",
        detail=f"on {on.isoformat()}, {days} days: {len(rows)} accounts",
    )
    log.info("overdue-without-notice report lists %d accounts", len(rows))
    return rows


def _owing_guarantors(session: Session) -> dict[GuarantorKey, _Guarantor]:
    """Group every patient with a patient-share balance under their guarantor.

    Each guarantor gets the net patient share of their patients and the service date of
    the oldest line on which one of them still owes.
    """
    shares = {
        patient_id: patient_share(buckets)
        for patient_id, buckets in bucket_totals(session).items()
        if patient_share(buckets) != ZERO
    }
    guarantors: dict[GuarantorKey, _Guarantor] = {}
    for patient_id, key in _guarantor_keys(session, list(shares)).items():
        guarantor = guarantors.setdefault(key, _Guarantor(key, []))
        guarantor.patient_ids.append(patient_id)
        guarantor.balance += shares[patient_id]

    owing = {key: guarantor for key, guarantor in guarantors.items() if guarantor.balance > ZERO}
    patient_ids = [patient_id for item in owing.values() for patient_id in item.patient_ids]
    oldest = _oldest_open_dates(session, patient_ids)
    for guarantor in owing.values():
        dates = [oldest[pid] for pid in guarantor.patient_ids if pid in oldest]
        guarantor.oldest = min(dates) if dates else None
    return owing


def _guarantor_keys(
    session: Session, patient_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, GuarantorKey]:
    """Return each patient's guarantor, one level deep, as billing accounts resolve it."""
    keys: dict[uuid.UUID, GuarantorKey] = {}
    for part in chunks(list(patient_ids)):
        rows = session.execute(
            select(Patient.id, Patient.guarantor_patient_id, Patient.guarantor_person_id).where(
                Patient.id.in_(part)
            )
        )
        for patient_id, guarantor_patient_id, guarantor_person_id in rows:
            keys[patient_id] = guarantor_key(patient_id, guarantor_patient_id, guarantor_person_id)
    return keys


def _oldest_open_dates(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, date]:
    """Return each patient's oldest service date among lines with a patient balance."""
    first_lines = {
        patient_id: lines[0][0]
        for patient_id, lines in open_lines_by_patient(session, patient_ids).items()
        if lines
    }
    dates: dict[uuid.UUID, date] = {}
    for part in chunks(list(set(first_lines.values()))):
        rows = session.execute(
            select(ChargeLine.id, ChargeLine.service_date).where(ChargeLine.id.in_(part))
        )
        dates.update(dict(rows.all()))
    return {
        patient_id: dates[line_id]
        for patient_id, line_id in first_lines.items()
        if line_id in dates
    }


def _accounts_of(
    session: Session, keys: Sequence[GuarantorKey]
) -> dict[GuarantorKey, BillingAccount]:
    """Return the billing accounts of the guarantors that have one."""
    patient_ids = [guarantor_id for kind, guarantor_id in keys if kind == "patient"]
    person_ids = [guarantor_id for kind, guarantor_id in keys if kind == "person"]
    accounts: dict[GuarantorKey, BillingAccount] = {}
    for part in chunks(patient_ids):
        query = select(BillingAccount).where(
            BillingAccount.guarantor_patient_id.in_(part), BillingAccount.archived.is_(False)
        )
        for account in session.scalars(query):
            accounts[_account_key(account)] = account
    for part in chunks(person_ids):
        query = select(BillingAccount).where(
            BillingAccount.guarantor_person_id.in_(part), BillingAccount.archived.is_(False)
        )
        for account in session.scalars(query):
            accounts[_account_key(account)] = account
    return accounts


def _statements_of(
    session: Session, account_ids: Sequence[uuid.UUID], on: date
) -> dict[uuid.UUID, list[Statement]]:
    """Return each account's statements dated on or before `on`, oldest first."""
    by_account: dict[uuid.UUID, list[Statement]] = {}
    for part in chunks(list(account_ids)):
        query = (
            select(Statement)
            .where(
                Statement.account_id.in_(part),
                Statement.statement_date <= on,
                Statement.archived.is_(False),
            )
            .order_by(Statement.statement_date, Statement.created_at, Statement.id)
        )
        for statement in session.scalars(query):
            by_account.setdefault(statement.account_id, []).append(statement)
    return by_account


def _overdue_rows(
    session: Session,
    overdue: dict[GuarantorKey, _Guarantor],
    accounts: dict[GuarantorKey, BillingAccount],
    statements: dict[uuid.UUID, list[Statement]],
    *,
    on: date,
    cutoff: date,
) -> list[OverdueRow]:
    """Build the rows of the guarantors with no delivered statement since `cutoff`."""
    account_ids = [account.id for account in accounts.values()]
    plans = _open_plan_accounts(session, account_ids)
    placed = _placed_accounts(session, account_ids)
    minimum = statement_settings(session).minimum_balance
    labels = level_labels(session)
    names = guarantor_names(session, list(overdue))
    patient_names = _patient_names(
        session, [pid for guarantor in overdue.values() for pid in guarantor.patient_ids]
    )

    rows: list[OverdueRow] = []
    for key, guarantor in overdue.items():
        account = accounts.get(key)
        history = statements.get(account.id, []) if account is not None else []
        delivered = [row for row in history if row.status in DELIVERED_STATUSES]
        if any(row.statement_date >= cutoff for row in delivered):
            continue
        last = delivered[-1] if delivered else None
        hints = _hints(
            account,
            history,
            on,
            has_plan=account is not None and account.id in plans,
            placed=account is not None and account.id in placed,
            below_minimum=guarantor.balance < minimum,
        )
        assert guarantor.oldest is not None
        ordered = sorted(guarantor.patient_ids, key=lambda pid: patient_names.get(pid, ""))
        rows.append(
            OverdueRow(
                account_id=account.id if account is not None else None,
                account_number=account.account_number if account is not None else "",
                guarantor_name=names.get(key, ""),
                patient_ids=tuple(ordered),
                patient_names=tuple(patient_names.get(pid, "") for pid in ordered),
                balance=guarantor.balance,
                oldest_service_date=guarantor.oldest,
                days_outstanding=(on - guarantor.oldest).days,
                last_statement_on=last.statement_date if last is not None else None,
                last_level=labels.get(last.level, last.level) if last is not None else None,
                reasons=hints,
            )
        )
    rows.sort(key=lambda row: (row.oldest_service_date, row.guarantor_name, row.account_number))
    return rows


def _hints(
    account: BillingAccount | None,
    history: Sequence[Statement],
    on: date,
    *,
    has_plan: bool,
    placed: bool,
    below_minimum: bool,
) -> tuple[str, ...]:
    """Return why statements may have skipped the account, most telling first."""
    hints: list[str] = []
    hold = active_hold(account, on) if account is not None else None
    if hold is not None:
        hints.append(f"on hold: {HOLD_LABELS.get(hold, hold)}")
    if has_plan:
        hints.append("payment plan")
    if placed:
        hints.append("placed with collections")
    if below_minimum:
        hints.append("below the minimum balance")
    if not any(row.status in DELIVERED_STATUSES for row in history):
        hints.append("never billed" if account is not None else "never billed (no account yet)")
    if history and history[-1].status == "failed":
        hints.append("last email failed")
    if history and history[-1].status == "cancelled":
        hints.append("last statement canceled")
    return tuple(hints)


def _open_plan_accounts(session: Session, account_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for part in chunks(list(account_ids)):
        query = select(PaymentPlan.account_id).where(
            PaymentPlan.account_id.in_(part),
            PaymentPlan.status.in_(OPEN_PLAN_STATUSES),
            PaymentPlan.archived.is_(False),
        )
        found.update(session.scalars(query))
    return found


def _placed_accounts(session: Session, account_ids: Sequence[uuid.UUID]) -> set[uuid.UUID]:
    found: set[uuid.UUID] = set()
    for part in chunks(list(account_ids)):
        query = select(CollectionPlacement.account_id).where(
            CollectionPlacement.account_id.in_(part),
            CollectionPlacement.status == PLACED_STATUS,
            CollectionPlacement.archived.is_(False),
        )
        found.update(session.scalars(query))
    return found


# Names


def guarantor_names(session: Session, keys: Iterable[GuarantorKey]) -> dict[GuarantorKey, str]:
    """Return each guarantor's name as statements print it, such as "Ana Lopez"."""
    unique_keys = set(keys)
    patient_ids = [guarantor_id for kind, guarantor_id in unique_keys if kind == "patient"]
    person_ids = [guarantor_id for kind, guarantor_id in unique_keys if kind == "person"]
    names: dict[GuarantorKey, str] = {}
    for part in chunks(patient_ids):
        rows = session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name, Patient.suffix).where(
                Patient.id.in_(part)
            )
        )
        names.update({("patient", row[0]): full_name(*row[1:]) for row in rows})
    for part in chunks(person_ids):
        rows = session.execute(
            select(Person.id, Person.first_name, Person.last_name, Person.suffix).where(
                Person.id.in_(part)
            )
        )
        names.update({("person", row[0]): full_name(*row[1:]) for row in rows})
    return names


def _patient_names(session: Session, patient_ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, str]:
    names: dict[uuid.UUID, str] = {}
    for part in chunks(list(set(patient_ids))):
        rows = session.execute(
            select(Patient.id, Patient.first_name, Patient.last_name, Patient.suffix).where(
                Patient.id.in_(part)
            )
        )
        names.update({row[0]: full_name(*row[1:]) for row in rows})
    return names


def _account_key(account: BillingAccount) -> GuarantorKey:
    if account.guarantor_person_id is not None:
        return ("person", account.guarantor_person_id)
    assert account.guarantor_patient_id is not None
    return ("patient", account.guarantor_patient_id)


# CSV exports


def export_notices_csv(
    session: Session,
    actor: Actor,
    path: Path,
    *,
    start: date,
    end: date,
    levels: Sequence[str],
) -> int:
    """Write the notices report to the CSV file `path` (complete or absent); return the count.

    The export is audited with the row count.
    """
    rows = notices_in_period(session, actor, start, end, levels)
    _write_csv(path, NOTICE_CSV_HEADERS, [notice_csv_cells(row) for row in rows])
    audit.record(
        session, actor, AuditAction.EXPORT, "notice_report", detail=f"{len(rows)} statements"
    )
    return len(rows)


def export_overdue_csv(
    session: Session, actor: Actor, path: Path, on: date, days: int = DEFAULT_OVERDUE_DAYS
) -> int:
    """Write the overdue report to the CSV file `path` (complete or absent); return the count.

    The export is audited with the row count.
    """
    rows = overdue_without_notice(session, actor, on, days)
    _write_csv(path, OVERDUE_CSV_HEADERS, [overdue_csv_cells(row) for row in rows])
    audit.record(
        session, actor, AuditAction.EXPORT, "overdue_report", detail=f"{len(rows)} accounts"
    )
    return len(rows)


def notice_csv_cells(row: NoticeReportRow) -> list[str]:
    """Return one notice's CSV cells, in NOTICE_CSV_HEADERS order."""
    return [
        row.account_number,
        row.guarantor_name,
        row.statement_date.isoformat(),
        row.level_label,
        row.statement_number,
        f"{row.amount_due:.2f}",
        channel_label(row.channel),
        status_label(row.status),
    ]


def overdue_csv_cells(row: OverdueRow) -> list[str]:
    """Return one overdue account's CSV cells, in OVERDUE_CSV_HEADERS order."""
    return [
        row.account_number,
        row.guarantor_name,
        "; ".join(row.patient_names),
        f"{row.balance:.2f}",
        row.oldest_service_date.isoformat(),
        str(row.days_outstanding),
        row.last_statement_on.isoformat() if row.last_statement_on is not None else "",
        row.last_level or "",
        row.reason_text,
    ]


def _write_csv(path: Path, headers: Sequence[str], rows: Sequence[Sequence[str]]) -> None:
    def write(target: Path) -> None:
        with target.open("w", encoding="utf-8", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(headers)
            writer.writerows(safe_row(cells) for cells in rows)

    write_atomically(path, write)
