"""Emailed statements: sending the queued ones, retrying failures, printing them instead.

A statement run queues an email statement with its PDF. Sending happens later, so the
account is looked at again first. The figures are rebuilt, and when the amount due or
the amount pending with insurance changed, the PDF is drawn again and the row updated.
A statement still unsent on a later day than its date takes that day as its statement
date, so payments posted since the run count. Nothing owed anymore, a hold or a
collection placement cancels the statement. A guarantor who withdrew consent or has no
email address, or whose PDF password cannot be formed, is moved to print. Each failed
attempt waits retry_minutes times the attempts so far, and after max_attempts the
statement is marked failed and listed for printing.

Sending runs in two passes. The first rebuilds and renders every due statement, so an
error there stops the call before any email leaves. The second only sends and records
each result, and a mail failure is recorded on its statement rather than raised. So a
bad statement cannot roll back the record of emails already sent and get them sent
again at the next pass.
"""

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.changes import ChangeKind, Changes
from app.clock import utc_now
from app.errors import NotFoundError, UserError
from app.models.statements import BillingAccount, CollectionPlacement, Statement
from app.money import ZERO, format_money
from app.pdf.statement import StatementDocument, statement_pdf_bytes
from app.progress import OperationCancelledError, Progress
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_accounts import HOLD_LABELS, active_hold
from app.services.billing_header import BillingHeader, billing_header
from app.services.mailer import MailError, MailTransport, SmtpTransport, smtp_password
from app.services.mailer import smtp_settings as load_smtp_settings
from app.services.notice_levels import NoticeLevelRow, level_label, level_message, list_levels
from app.services.payment_plans import plan_states
from app.services.statement_email import EmailFacts, attachment_password, build_message, lock_pdf
from app.services.statement_figures import StatementFigures, statement_figures
from app.services.statement_settings import StatementSettings, statement_settings
from app.services.today import practice_today

log = logging.getLogger(__name__)

OBJECT_TYPE = "statement"
CHANGES = Changes.of(ChangeKind.PAYMENTS)

# A server that is down can take the mail timeout per attempt, so a pass gives up after
# this many failures in a row instead of waiting on every queued statement.
MAX_FAILURES_IN_A_ROW = 3

# Statuses of a statement that has not gone out yet, by email or on paper.
UNDELIVERED = ("queued", "failed", "ready")


@dataclass(frozen=True, slots=True)
class DeliverySummary:
    """Counts from one sending pass, and what it changed.

    `sent`: accepted by the mail server. `failed`: reached the attempt limit in this
    pass, now status "failed" and to be printed. `waiting`: still queued for email
    afterwards, because an attempt failed and will be retried, the next attempt was not
    due yet, or the pass was canceled first. `cancelled`: nothing owed anymore, or a
    hold or collection placement. `moved_to_print`: no email consent, no email address,
    or no way to form the PDF password (status "ready", channel "print").
    """

    sent: int = 0
    failed: int = 0
    waiting: int = 0
    cancelled: int = 0
    moved_to_print: int = 0
    changes: Changes = field(default_factory=Changes)


@dataclass(frozen=True, slots=True)
class _Shared:
    """Values read once per pass and used for every statement."""

    settings: StatementSettings
    levels: list[NoticeLevelRow]
    header: BillingHeader
    today: date


@dataclass(slots=True)
class _Pass:
    """One sending pass: who sends and when, the shared values, and the counts so far."""

    session: Session
    actor: Actor
    now: datetime
    shared: _Shared
    counts: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class _Outgoing:
    """A statement rendered and locked, ready to hand to the mail transport."""

    statement: Statement
    message: EmailMessage


# --- sending ------------------------------------------------------------------------


def send_queued_statements(
    session: Session,
    actor: Actor,
    transport: MailTransport,
    now: datetime,
    progress: Progress | None = None,
) -> DeliverySummary:
    """Send every queued email statement whose next attempt is due at `now` (aware UTC).

    Cancelling through `progress` while emails are being sent stops after the current
    one and keeps what was sent. The rest stay queued.
    """
    require(actor, Permission.STATEMENT_RUN)
    due = _due_statements(session, now)
    counts: Counter[str] = Counter()
    if due:
        run = _Pass(session, actor, now, _shared(session, now), counts)
        outgoing = _prepare_all(run, due, progress)
        _send_all(run, outgoing, transport, progress)
    session.flush()

    # Statements that failed in this pass now wait for a later attempt, so they are counted
    # with those not due, and only the ones a cancel left unsent are added.
    later = _count_not_due(session, now)
    summary = DeliverySummary(
        sent=counts["sent"],
        failed=counts["failed"],
        waiting=counts["unsent"] + later,
        cancelled=counts["cancelled"],
        moved_to_print=counts["moved"],
        changes=CHANGES if due else Changes(),
    )
    log.info(
        "statement email: %d sent, %d failed, %d waiting, %d cancelled, %d moved to print",
        summary.sent,
        summary.failed,
        summary.waiting,
        summary.cancelled,
        summary.moved_to_print,
    )
    return summary


def send_with_practice_smtp(
    session: Session, actor: Actor, now: datetime, progress: Progress | None = None
) -> DeliverySummary:
    """Send the due email statements through the SMTP server set up in Admin.

    Raises UserError when no SMTP server is set up. The mail server is reached inside
    the caller's unit of work, so other writers wait for it (at most the mail timeout
    per connection step).
    """
    require(actor, Permission.STATEMENT_RUN)
    settings = load_smtp_settings(session)
    if not settings.configured:
        raise UserError(
            "Email is not set up, so no statement was sent. Enter the SMTP host and from "
            "address in Admin, Reminders tab, then send again."
        )
    with SmtpTransport(settings, smtp_password(settings.username)) as transport:
        return send_queued_statements(session, actor, transport, now, progress)


def _due_statements(session: Session, now: datetime) -> list[Statement]:
    query = (
        select(Statement)
        .where(
            Statement.channel == "email",
            Statement.status == "queued",
            Statement.archived.is_(False),
            Statement.next_attempt_at.is_(None) | (Statement.next_attempt_at <= now),
        )
        .order_by(Statement.statement_number)
    )
    return list(session.scalars(query))


def _count_not_due(session: Session, now: datetime) -> int:
    query = select(func.count(Statement.id)).where(
        Statement.channel == "email",
        Statement.status == "queued",
        Statement.archived.is_(False),
        Statement.next_attempt_at > now,
    )
    return int(session.scalar(query) or 0)


def _shared(session: Session, now: datetime) -> _Shared:
    return _Shared(
        settings=statement_settings(session),
        levels=list_levels(session),
        header=billing_header(session),
        today=practice_today(session, now),
    )


def _prepare_all(
    run: _Pass, due: Sequence[Statement], progress: Progress | None
) -> list[_Outgoing]:
    """Rebuild each due statement, and cancel or move to print those that cannot be emailed."""
    outgoing: list[_Outgoing] = []
    for index, statement in enumerate(due):
        if progress is not None:
            # Nothing has been sent yet, so cancelling here rolls back cleanly.
            progress.report(index, len(due), "Checking balances of emailed statements")
        prepared = _prepare_one(run.session, run.actor, statement, run.shared)
        if isinstance(prepared, _Outgoing):
            outgoing.append(prepared)
        else:
            run.counts[prepared] += 1
    return outgoing


def _prepare_one(
    session: Session, actor: Actor, statement: Statement, shared: _Shared
) -> "_Outgoing | str":
    """Return the email to send, or "cancelled" or "moved" after recording why."""
    account = _account(session, statement)
    stop = _stop_reason(session, account, shared.today)
    if stop is not None:
        _cancel(session, actor, statement, stop)
        return "cancelled"

    figures = _refresh(session, actor, statement, shared)
    if figures.amount_due <= ZERO:
        _cancel(session, actor, statement, _nothing_owed(figures))
        return "cancelled"

    address = figures.guarantor.email
    if not account.email_statements or not address:
        _move_to_print(session, actor, statement, _no_email_reason(account))
        return "moved"
    rule = shared.settings.email_password
    password, reason = attachment_password(
        rule, figures.guarantor.date_of_birth, figures.account_number
    )
    if password is None:
        _move_to_print(session, actor, statement, reason)
        return "moved"

    facts = EmailFacts(
        practice_name=shared.header.practice.name,
        practice_phone=shared.header.practice.phone,
        statement_number=statement.statement_number,
        statement_date=statement.statement_date,
        due_on=statement.due_on,
        amount_due=figures.amount_due,
        insurance_pending=figures.insurance_pending,
    )
    locked = lock_pdf(_stored_pdf(statement), password)
    return _Outgoing(statement, build_message(address, facts, rule, password, locked))


def _send_all(
    run: _Pass, outgoing: Sequence[_Outgoing], transport: MailTransport, progress: Progress | None
) -> None:
    """Send each prepared email and record the attempt.

    Stops early, leaving the rest queued and due, when the pass is cancelled or after
    MAX_FAILURES_IN_A_ROW failed attempts in a row.
    """
    total = len(outgoing)
    failures_in_a_row = 0
    for index, item in enumerate(outgoing):
        if failures_in_a_row >= MAX_FAILURES_IN_A_ROW:
            log.warning(
                "statement email stopped after %d failures in a row, so %d are left queued",
                failures_in_a_row,
                total - index,
            )
            run.counts["unsent"] += total - index
            return
        if progress is not None:
            try:
                progress.report(index, total, "Sending emailed statements")
            except OperationCancelledError:
                # Raising would roll back the record of the emails already sent, and the
                # next pass would send them again, so the rest just stay queued.
                log.info("statement email cancelled with %d of %d sent", index, total)
                run.counts["unsent"] += total - index
                return

        outcome = _send_one(run, item, transport)
        run.counts[outcome] += 1
        failures_in_a_row = 0 if outcome == "sent" else failures_in_a_row + 1


def _send_one(run: _Pass, item: _Outgoing, transport: MailTransport) -> str:
    """Send one email and return "sent", "retry" (to try again later) or "failed" (for good)."""
    statement = item.statement
    statement.attempts += 1
    statement.updated_by = run.actor.user_id
    try:
        transport.send(item.message)
    except MailError as error:
        return _record_failure(statement, run.now, run.shared.settings, str(error))

    statement.status = "sent"
    statement.sent_at = run.now
    statement.next_attempt_at = None
    statement.last_error = None
    detail = f"emailed on attempt {statement.attempts}"
    _audit(run.session, run.actor, AuditAction.EXPORT, statement, detail)
    return "sent"


def _record_failure(
    statement: Statement, now: datetime, settings: StatementSettings, reason: str
) -> str:
    statement.last_error = reason
    log.warning(
        "statement %s email attempt %d failed: %s", statement.id, statement.attempts, reason
    )
    if statement.attempts >= settings.max_attempts:
        statement.status = "failed"
        statement.next_attempt_at = None
        statement.last_error = (
            f"{reason} Gave up after {statement.attempts} attempts: print this statement "
            "and mail it, or fix the email settings and send it again."
        )
        return "failed"
    statement.next_attempt_at = now + timedelta(minutes=settings.retry_minutes * statement.attempts)
    return "retry"


# --- rebuilding the figures ---------------------------------------------------------


def _refresh(
    session: Session, actor: Actor, statement: Statement, shared: _Shared
) -> StatementFigures:
    """Rebuild the statement's figures and store them, drawing the PDF again when they changed.

    A statement still unsent on a later day than its statement date takes that day as
    its statement date, and the due date moves with it. So payments posted since the run
    are counted, and the PDF agrees with the figures it prints.
    """
    on = max(statement.statement_date, shared.today)
    moved = on != statement.statement_date
    if moved:
        # Moved before the figures are read: they take the newest statement dated before
        # `on` as the previous one, and that must not be this statement.
        statement.statement_date = on
        statement.due_on = on + timedelta(days=shared.settings.due_days)
        session.flush()
    figures = statement_figures(session, statement.account_id, on)
    changed = (
        moved
        or figures.amount_due != statement.amount_due
        or figures.insurance_pending != statement.insurance_pending
        or figures.balance != statement.account_balance
        or statement.pdf is None
    )
    if not changed:
        return figures

    statement.amount_due = figures.amount_due
    statement.insurance_pending = figures.insurance_pending
    statement.account_balance = figures.balance
    statement.updated_by = actor.user_id
    if figures.amount_due > ZERO:
        _store_pdf(statement, statement_pdf_bytes(_document(session, statement, figures, shared)))
    log.info("statement %s figures rebuilt before delivery", statement.id)
    return figures


def _document(
    session: Session, statement: Statement, figures: StatementFigures, shared: _Shared
) -> StatementDocument:
    # The plan line is drawn as statement runs draw it: from the open plan, if any.
    plan = plan_states(session, [statement.account_id], figures.statement_date).get(
        statement.account_id
    )
    return StatementDocument(
        figures=figures,
        header=shared.header,
        statement_number=statement.statement_number,
        level_label=level_label(shared.levels, statement.level),
        message=level_message(shared.levels, statement.level),
        due_on=statement.due_on,
        plan_line=None if plan is None else plan.summary,
        payment_options=shared.settings.payment_options,
        assistance_notice=shared.settings.assistance_notice,
    )


def _store_pdf(statement: Statement, pdf: bytes) -> None:
    statement.pdf = pdf
    statement.pdf_sha256 = hashlib.sha256(pdf).hexdigest()


def _stored_pdf(statement: Statement) -> bytes:
    pdf = statement.pdf
    if pdf is None:
        # _refresh draws a missing PDF whenever something is owed.
        raise RuntimeError(f"statement {statement.id} has no PDF after it was rebuilt")
    return pdf


# --- why a statement does not go out ------------------------------------------------


def _account(session: Session, statement: Statement) -> BillingAccount:
    account = session.get(BillingAccount, statement.account_id)
    if account is None:
        raise NotFoundError(
            f"The billing account of statement {statement.statement_number} was not found."
        )
    return account


def _stop_reason(session: Session, account: BillingAccount, today: date) -> str | None:
    """Return why no statement may go to the account now (a hold or a placement), or None."""
    hold = active_hold(account, today)
    if hold is not None:
        label = HOLD_LABELS.get(hold, hold)
        return f"The account went on hold ({label}) before the statement was sent."
    placed = session.scalar(
        select(CollectionPlacement.id).where(
            CollectionPlacement.account_id == account.id,
            CollectionPlacement.status == "placed",
            CollectionPlacement.archived.is_(False),
        )
    )
    if placed is not None:
        return "The account was placed with a collection agency before the statement was sent."
    return None


def _nothing_owed(figures: StatementFigures) -> str:
    on = f"{figures.statement_date:%m/%d/%Y}"
    if figures.credit > ZERO:
        return (
            f"Nothing is owed anymore: the account has a credit of "
            f"{format_money(figures.credit)} on {on}, so the statement was not sent."
        )
    return f"Nothing is owed anymore on {on}, so the statement was not sent."


def _no_email_reason(account: BillingAccount) -> str:
    if not account.email_statements:
        return (
            "The guarantor no longer agrees to statements by email, so this statement "
            "is to be printed and mailed."
        )
    return (
        "The guarantor has no email address on file, so this statement is to be printed and mailed."
    )


def _audit(
    session: Session, actor: Actor, action: AuditAction, statement: Statement, detail: str
) -> None:
    """Record one event on the statement, under the guarantor when they are a patient."""
    account = session.get(BillingAccount, statement.account_id)
    patient_id = None if account is None else account.guarantor_patient_id
    number = statement.statement_number
    audit.record(
        session,
        actor,
        action,
        OBJECT_TYPE,
        statement.id,
        patient_id=patient_id,
        detail=f"statement {number} {detail}",
    )


def _cancel(session: Session, actor: Actor, statement: Statement, reason: str) -> None:
    statement.status = "cancelled"
    statement.next_attempt_at = None
    statement.last_error = reason
    statement.updated_by = actor.user_id
    _audit(session, actor, AuditAction.UPDATE, statement, "cancelled before delivery")
    log.info("statement %s cancelled before delivery", statement.id)


def _move_to_print(session: Session, actor: Actor, statement: Statement, reason: str) -> None:
    statement.channel = "print"
    statement.status = "ready"
    statement.next_attempt_at = None
    statement.last_error = reason
    statement.updated_by = actor.user_id
    _audit(session, actor, AuditAction.UPDATE, statement, "moved from email to print")
    log.info("statement %s moved from email to print", statement.id)


# --- acting on one statement --------------------------------------------------------


def _statement(session: Session, statement_id: uuid.UUID) -> Statement:
    statement = session.get(Statement, statement_id)
    if statement is None or statement.archived:
        raise NotFoundError("The statement was not found. Reload the statement list.")
    return statement


def retry_statement(session: Session, actor: Actor, statement_id: uuid.UUID) -> Changes:
    """Queue a failed, queued or to-be-printed statement for email at the next send.

    The attempt count starts again at zero. Consent, the email address and the balance
    are checked again when it is sent.
    """
    require(actor, Permission.STATEMENT_RUN)
    statement = _statement(session, statement_id)
    if statement.status not in UNDELIVERED:
        raise UserError(
            f"Statement {statement.statement_number} is {statement.status}, so it cannot be "
            "emailed again. Only queued, failed or to-be-printed statements can."
        )

    statement.channel = "email"
    statement.status = "queued"
    statement.attempts = 0
    statement.next_attempt_at = None
    statement.last_error = None
    statement.updated_by = actor.user_id
    session.flush()
    _audit(session, actor, AuditAction.UPDATE, statement, "queued for email again")
    log.info("statement %s queued for email again", statement.id)
    return CHANGES


def print_instead(
    session: Session, actor: Actor, statement_id: uuid.UUID, now: datetime | None = None
) -> bytes | None:
    """Mark a statement not yet delivered as printed and return its PDF to print.

    The figures are rebuilt first, as for sending. Returns None, and cancels the
    statement with the reason, when nothing is owed anymore or a hold or collection
    placement now stops it.
    """
    require(actor, Permission.STATEMENT_RUN)
    statement = _statement(session, statement_id)
    if statement.status not in UNDELIVERED:
        raise UserError(
            f"Statement {statement.statement_number} is {statement.status}, so there is "
            "nothing to print instead. Open it from the account's statement history to "
            "print a copy."
        )

    instant = now or utc_now()
    shared = _shared(session, instant)
    stop = _stop_reason(session, _account(session, statement), shared.today)
    figures = None if stop else _refresh(session, actor, statement, shared)
    if stop is None and figures is not None and figures.amount_due <= ZERO:
        stop = _nothing_owed(figures)
    if stop is not None:
        _cancel(session, actor, statement, stop)
        session.flush()
        return None

    statement.channel = "print"
    statement.status = "printed"
    statement.sent_at = instant
    statement.next_attempt_at = None
    statement.updated_by = actor.user_id
    session.flush()
    _audit(session, actor, AuditAction.PRINT, statement, "printed instead of emailed")
    log.info("statement %s printed instead of emailed", statement.id)
    return _stored_pdf(statement)
