"""Account adjustments: write-offs a person posts on what a patient owes, with the reason.

An adjustment lowers the patient bucket only, never what insurance still owes. Naming a
service line adjusts that line. Without a line, the amount is spread over the patient's
open lines oldest first, so line balances stay right. Only an amount beyond what the
lines carry (patient charges posted without a line) stays on the account.

Permissions: small-balance and administrative adjustments up to the practice's
small-balance threshold need PAYMENT_POST. Larger ones, and every bad-debt, courtesy
and collections adjustment, need PAYMENT_VOID (managers). Managers set the threshold.
"""

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.errors import PermissionDeniedError, UserError, ValidationError
from app.ids import new_id
from app.models.patients import Patient
from app.models.payments import AccountAdjustment
from app.models.system import Setting
from app.money import ZERO, format_money, to_money
from app.problems import Problem, has_errors
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Denial, Permission, require
from app.services.account_balances import (
    bucket_totals,
    insurance_buckets,
    open_lines_by_patient,
    patient_line_ids,
    patient_share,
)
from app.services.claim_build_rows import chunks
from app.services.ledger import RESPONSIBLE_PATIENT, PeriodLockedError, _check_period_open
from app.services.ledger_bulk import NewEntry, post_entries
from app.services.line_balances import PATIENT, Bucket, line_buckets, open_patient_lines
from app.services.outcomes import SaveOutcome
from app.services.patient_records import display_name, get_patient
from app.services.payment_checks import CARD_NUMBER_MESSAGE, is_cents, looks_like_card_number
from app.services.settings import store_setting
from app.services.today import practice_today

log = logging.getLogger(__name__)

OBJECT_TYPE = "account_adjustment"
SOURCE_TYPE = "account_adjustment"
ENTRY_TYPE = "adjustment"

ADJUSTMENT_KINDS = ("small_balance", "bad_debt", "courtesy", "administrative", "collections")
ADJUSTMENT_LABELS: dict[str, str] = {
    "small_balance": "Small balance",
    "bad_debt": "Bad debt",
    "courtesy": "Courtesy",
    "administrative": "Administrative",
    "collections": "Sent to collections",
    # Posted only by the collections service for an agency's recovery or a recall, so
    # they have labels for the ledger memo but are not kinds a person may choose.
    "collections_recovery": "Collections recovery",
    "collections_fee": "Collection agency fee",
}
# Kinds that PAYMENT_POST may post up to the threshold; the rest always need PAYMENT_VOID.
THRESHOLD_KINDS = frozenset({"small_balance", "administrative"})

# Adjustments listed in one audit event of a small-balance write-off.
AUDIT_CHUNK = 1000

SMALL_BALANCE_KEY = "payments.small_balance_threshold"
DEFAULT_SMALL_BALANCE_THRESHOLD = Decimal("5.00")


@dataclass(slots=True)
class AdjustmentForm:
    """An adjustment as typed: `amount` is positive and lowers the patient's balance.

    `charge_line_id` None spreads the amount over the open lines. `posted_on` None means
    the practice's today. The ledger rows carry this date, so the period lock applies to
    the day the adjustment is posted, not to the date of service.
    """

    kind: str
    patient_id: uuid.UUID
    amount: Decimal
    reason: str
    charge_line_id: uuid.UUID | None = None
    posted_on: date | None = None


@dataclass(frozen=True, slots=True)
class SmallBalanceRow:
    """A patient whose own balance is at or under the threshold and whose insurance owes nothing."""

    patient_id: uuid.UUID
    chart_number: str
    patient_name: str
    balance: Decimal


# --- the threshold ------------------------------------------------------------------


def small_balance_threshold(session: Session) -> Decimal:
    """Return the small-balance threshold (5.00 until a manager sets it)."""
    value = session.scalar(select(Setting.value).where(Setting.key == SMALL_BALANCE_KEY))
    if not isinstance(value, str):
        return DEFAULT_SMALL_BALANCE_THRESHOLD
    try:
        return to_money(value)
    except ValueError:
        log.error("stored small-balance threshold %r is not an amount; using the default", value)
        return DEFAULT_SMALL_BALANCE_THRESHOLD


def set_small_balance_threshold(session: Session, actor: Actor, amount: Decimal) -> Changes:
    """Store the small-balance threshold. Managers and administrators only (PAYMENT_VOID).

    Raises ValidationError for an amount that is not above zero or has fractions of a cent.
    """
    require(actor, Permission.PAYMENT_VOID)
    if amount <= ZERO or amount != to_money(amount):
        raise ValidationError(
            [
                Problem(
                    "threshold",
                    f"The small-balance threshold {amount} is not a positive amount in "
                    "dollars and cents; type an amount such as 5.00.",
                )
            ]
        )
    if amount == small_balance_threshold(session):
        return Changes()
    store_setting(session, actor, SMALL_BALANCE_KEY, str(amount))
    log.info("small-balance threshold set to %s", amount)
    return Changes.of(ChangeKind.SETTINGS)


# --- one adjustment -----------------------------------------------------------------


def post_account_adjustment(session: Session, actor: Actor, form: AdjustmentForm) -> SaveOutcome:
    """Check and post an adjustment that lowers what the patient owes.

    The amount may not exceed the patient's own balance on the named line, or on the
    account when no line is named. Nothing is written when a problem is found. Raises
    PermissionDeniedError when the kind or amount needs a manager, and NotFoundError for
    an unknown patient.
    """
    require(actor, Permission.PAYMENT_POST)
    patient = get_patient(session, form.patient_id)
    posted_on = form.posted_on or practice_today(session)
    problems = _form_problems(session, form, posted_on)
    if has_errors(problems):
        log.info("adjustment for patient %s rejected with %d problems", patient.id, len(problems))
        return SaveOutcome.rejected(problems)
    _check_authority(session, actor, form)

    adjustment = _write_adjustment(
        session,
        actor,
        kind=form.kind,
        patient_id=patient.id,
        amount=to_money(form.amount),
        reason=form.reason.strip(),
        charge_line_id=form.charge_line_id,
        posted_on=posted_on,
    )
    open_lines = [] if form.charge_line_id else _open_lines(session, patient.id)
    entries = _spread(adjustment, form.charge_line_id, open_lines)
    post_entries(session, actor, entries, detail=f"account adjustment {adjustment.id}")
    log.info("adjustment %s posted in %d ledger rows", adjustment.id, len(entries))
    return SaveOutcome(
        adjustment.id, True, tuple(problems), Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)
    )


def _form_problems(session: Session, form: AdjustmentForm, posted_on: date) -> list[Problem]:
    problems = []
    if form.kind not in ADJUSTMENT_KINDS:
        problems.append(
            Problem(
                "kind",
                f"The adjustment kind {form.kind!r} is not one of {', '.join(ADJUSTMENT_KINDS)}; "
                "choose one of them.",
            )
        )
    if not form.reason.strip():
        problems.append(
            Problem("reason", "Give the reason for the adjustment; it is kept on the account.")
        )
    if looks_like_card_number(form.reason):
        problems.append(Problem("reason", CARD_NUMBER_MESSAGE))
    problems.extend(_date_problems(session, posted_on))
    if not is_cents(form.amount) or form.amount <= ZERO:
        problems.append(
            Problem(
                "amount",
                f"The amount {form.amount} is not a positive amount in dollars and cents; "
                "type the amount to write off, such as 12.50.",
            )
        )
    else:
        problems.extend(_balance_problems(session, form))
    return problems


def _date_problems(session: Session, posted_on: date) -> list[Problem]:
    today = practice_today(session)
    if posted_on > today:
        return [
            Problem(
                "posted_on",
                f"The date {posted_on:%m/%d/%Y} is after today ({today:%m/%d/%Y}); post the "
                "adjustment today or on an earlier day.",
            )
        ]
    try:
        _check_period_open(session, posted_on)
    except PeriodLockedError as error:
        return [Problem("posted_on", str(error))]
    return []


def _balance_problems(session: Session, form: AdjustmentForm) -> list[Problem]:
    if form.charge_line_id is None:
        owed = patient_share(bucket_totals(session, [form.patient_id]).get(form.patient_id, {}))
        if form.amount <= owed:
            return []
        return [
            Problem(
                "amount",
                f"The adjustment of {format_money(form.amount)} is more than the patient's "
                f"own balance of {format_money(owed)}; lower the amount.",
            )
        ]
    if form.charge_line_id not in patient_line_ids(session, form.patient_id):
        return [
            Problem(
                "charge_line_id",
                f"Service line {form.charge_line_id} is not on this patient's account; "
                "choose one of the patient's lines.",
            )
        ]
    owed = line_buckets(session, [form.charge_line_id])[form.charge_line_id].get(PATIENT, ZERO)
    if form.amount <= owed:
        return []
    return [
        Problem(
            "amount",
            f"The adjustment of {format_money(form.amount)} is more than the patient's balance "
            f"of {format_money(owed)} on that service line; lower the amount or adjust the "
            "account instead.",
        )
    ]


def _check_authority(session: Session, actor: Actor, form: AdjustmentForm) -> None:
    """Raise PermissionDeniedError unless the actor may post this kind and amount."""
    if actor.can(Permission.PAYMENT_VOID):
        return
    label = ADJUSTMENT_LABELS[form.kind]
    denial = Denial(actor, Permission.PAYMENT_VOID, form.patient_id)
    if form.kind not in THRESHOLD_KINDS:
        raise PermissionDeniedError(
            f"{label} adjustments need a manager (permission {Permission.PAYMENT_VOID.value}); "
            "ask a manager to post it.",
            denial,
        )
    threshold = small_balance_threshold(session)
    if form.amount > threshold:
        raise PermissionDeniedError(
            f"The {label.lower()} adjustment of {format_money(form.amount)} is over the "
            f"small-balance threshold of {format_money(threshold)}, so it needs a manager "
            f"(permission {Permission.PAYMENT_VOID.value}); ask a manager to post it.",
            denial,
        )


def _write_adjustment(
    session: Session,
    actor: Actor,
    *,
    kind: str,
    patient_id: uuid.UUID,
    amount: Decimal,
    reason: str,
    charge_line_id: uuid.UUID | None,
    posted_on: date,
) -> AccountAdjustment:
    assert actor.user_id is not None, "post_account_adjustment runs only for a signed-in user"
    adjustment = AccountAdjustment(
        patient_id=patient_id,
        kind=kind,
        amount=-amount,
        charge_line_id=charge_line_id,
        reason=reason,
        posted_on=posted_on,
        posted_by=actor.user_id,
        updated_by=actor.user_id,
    )
    session.add(adjustment)
    session.flush()
    audit.record(
        session,
        actor,
        AuditAction.CREATE,
        OBJECT_TYPE,
        adjustment.id,
        patient_id=patient_id,
        detail=f"kind {kind}",
    )
    return adjustment


def _spread(
    adjustment: AccountAdjustment,
    charge_line_id: uuid.UUID | None,
    open_lines: Sequence[tuple[uuid.UUID, Decimal]],
) -> list[NewEntry]:
    """Return the ledger rows of an adjustment: one per line it lowers.

    A named line takes it all. Otherwise `open_lines` (line id and patient balance,
    oldest first) take it in order, each up to its balance, and a remainder beyond the
    lines stays on the account.
    """
    remaining = -adjustment.amount
    shares: list[tuple[uuid.UUID | None, Decimal]] = []
    if charge_line_id is not None:
        shares.append((charge_line_id, remaining))
        remaining = ZERO
    else:
        for line_id, balance in open_lines:
            if remaining == ZERO:
                break
            share = min(remaining, balance)
            shares.append((line_id, share))
            remaining -= share
    if remaining > ZERO:
        shares.append((None, remaining))

    memo = f"{ADJUSTMENT_LABELS[adjustment.kind]} adjustment: {adjustment.reason}"
    return [
        NewEntry(
            entry_type=ENTRY_TYPE,
            amount=-share,
            patient_id=adjustment.patient_id,
            responsible_party=RESPONSIBLE_PATIENT,
            service_date=adjustment.posted_on,
            source_type=SOURCE_TYPE,
            source_id=adjustment.id,
            memo=memo,
            charge_line_id=line_id,
        )
        for line_id, share in shares
    ]


def _open_lines(session: Session, patient_id: uuid.UUID) -> list[tuple[uuid.UUID, Decimal]]:
    return [
        (line.charge_line_id, line.patient_balance)
        for line in open_patient_lines(session, patient_id)
    ]


# --- small balances -----------------------------------------------------------------


def small_balance_candidates(
    session: Session, actor: Actor, threshold: Decimal | None = None
) -> list[SmallBalanceRow]:
    """Return the patients who owe more than zero and at most `threshold` themselves.

    `threshold` None means the practice's setting. A patient whose insurance still owes
    money or has a credit is left out, because that must settle first. Archived
    (merged) records are left out. Rows are sorted by name.
    """
    require(actor, Permission.PAYMENT_POST)
    limit = small_balance_threshold(session) if threshold is None else threshold
    return _candidates(session, bucket_totals(session), limit)


def _candidates(
    session: Session, totals: dict[uuid.UUID, dict[Bucket, Decimal]], limit: Decimal
) -> list[SmallBalanceRow]:
    chosen = {
        patient_id: patient_share(buckets)
        for patient_id, buckets in totals.items()
        if ZERO < patient_share(buckets) <= limit and not insurance_buckets(buckets)
    }
    rows = []
    for patient in _patients(session, list(chosen)):
        rows.append(
            SmallBalanceRow(
                patient_id=patient.id,
                chart_number=patient.chart_number,
                patient_name=display_name(patient),
                balance=chosen[patient.id],
            )
        )
    rows.sort(key=lambda row: (row.patient_name.casefold(), row.chart_number))
    return rows


def _patients(session: Session, patient_ids: Sequence[uuid.UUID]) -> list[Patient]:
    found: list[Patient] = []
    for part in chunks(patient_ids):
        found.extend(
            session.scalars(
                select(Patient).where(Patient.id.in_(part), Patient.archived.is_(False))
            )
        )
    return found


def write_off_small_balances(
    session: Session, actor: Actor, patient_ids: Sequence[uuid.UUID], threshold: Decimal
) -> Changes:
    """Write off the whole own balance of each patient, as small-balance adjustments.

    A threshold above the practice's setting needs PAYMENT_VOID. Raises UserError, and
    writes nothing, when a patient is no longer a candidate at `threshold` (a payment or
    charge arrived since the list was made), naming the chart number.
    """
    require(actor, Permission.PAYMENT_POST)
    setting = small_balance_threshold(session)
    if threshold > setting and not actor.can(Permission.PAYMENT_VOID):
        raise PermissionDeniedError(
            f"Writing off balances up to {format_money(threshold)} is over the small-balance "
            f"threshold of {format_money(setting)}, so it needs a manager (permission "
            f"{Permission.PAYMENT_VOID.value}).",
            Denial(actor, Permission.PAYMENT_VOID),
        )
    chosen = list(dict.fromkeys(patient_ids))
    if not chosen:
        return Changes()
    posted_on = practice_today(session)
    problems = _date_problems(session, posted_on)
    if problems:
        raise ValidationError(problems)

    candidates = {
        row.patient_id: row
        for row in _candidates(session, bucket_totals(session, chosen), threshold)
    }
    _check_still_candidates(session, chosen, candidates, threshold)

    reason = f"Small balance at or under {format_money(threshold)} written off"
    open_lines = open_lines_by_patient(session, chosen)
    assert actor.user_id is not None, "write-offs run only for a signed-in user"
    adjustments = [
        AccountAdjustment(
            id=new_id(),
            patient_id=patient_id,
            kind="small_balance",
            amount=-candidates[patient_id].balance,
            charge_line_id=None,
            reason=reason,
            posted_on=posted_on,
            posted_by=actor.user_id,
            updated_by=actor.user_id,
        )
        for patient_id in chosen
    ]
    # One flush inserts the rows together, and one audit event per chunk lists their
    # ids, because an event per account would cost more than the write-off itself.
    session.add_all(adjustments)
    session.flush()
    for start in range(0, len(adjustments), AUDIT_CHUNK):
        chunk = adjustments[start : start + AUDIT_CHUNK]
        audit.record(
            session,
            actor,
            AuditAction.CREATE,
            OBJECT_TYPE,
            detail=f"small-balance write-off, {len(chunk)} adjustments: "
            + " ".join(str(adjustment.id) for adjustment in chunk),
        )
    entries = [
        entry
        for adjustment in adjustments
        for entry in _spread(adjustment, None, open_lines.get(adjustment.patient_id, []))
    ]
    post_entries(session, actor, entries, detail=f"small-balance write-off of {len(chosen)}")
    log.info("wrote off small balances of %d patients", len(chosen))
    return Changes.of(ChangeKind.PAYMENTS, ChangeKind.LEDGER)


def _check_still_candidates(
    session: Session,
    chosen: list[uuid.UUID],
    candidates: dict[uuid.UUID, SmallBalanceRow],
    threshold: Decimal,
) -> None:
    missing = [patient_id for patient_id in chosen if patient_id not in candidates]
    if not missing:
        return
    charts = sorted(
        patient.chart_number
        for patient in session.scalars(select(Patient).where(Patient.id.in_(missing[:20])))
    )
    shown = ", ".join(charts) if charts else str(missing[0])
    raise UserError(
        f"{len(missing)} of the chosen accounts ({shown}) no longer have a balance of their "
        f"own above zero and at most {format_money(threshold)} with nothing owed by "
        "insurance; refresh the list and choose again. Nothing was written off."
    )
