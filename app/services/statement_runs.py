"""Statement runs: preview which notice each account gets, make the statements, read them back.

A preview and a run decide alike: both load the same facts (statement_run_facts) and
ask the ladder (statement_ladder.decide). The run then numbers the statements, draws
each PDF once, stores it on its Statement row and joins the printed ones into one
batch PDF on the StatementRun row. Email statements are queued for
statement_delivery, which sends them later. The channel is email only when the
account agreed to email statements and the guarantor has an email address.

One bad account does not stop the others. An account whose figures must not be
printed (its guarantor record is missing or archived, or its figures failed) is
skipped with the reason in the preview, and a statement that fails to draw is left out
of the run. The run's outcome lists both.

Viewing and running statements needs STATEMENT_RUN (billers and managers).
"""

import hashlib
import logging
import uuid
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import cast

from sqlalchemy import Table, select
from sqlalchemy.orm import Session, undefer

from app.changes import ChangeKind, Changes
from app.db.fast_insert import insert_many
from app.errors import NotFoundError, UserError
from app.ids import new_id
from app.models.statements import BillingAccount, Statement, StatementRun
from app.money import ZERO
from app.pdf.statement import (
    StatementDocument,
    TextFitter,
    join_statement_pdfs,
    statement_pdf_bytes,
)
from app.progress import Progress
from app.security import audit
from app.security.audit import AuditAction
from app.security.permissions import Actor, Permission, require
from app.services.billing_accounts import ensure_accounts
from app.services.billing_header import BillingHeader, billing_header
from app.services.claim_build_rows import chunks
from app.services.notice_levels import (
    PLAN_REMINDER,
    NoticeLevelRow,
    level_label,
    level_message,
    list_levels,
)
from app.services.numbering import next_number, next_numbers
from app.services.payment_plans import mark_reminded
from app.services.statement_ladder import Decision, decide
from app.services.statement_run_facts import EMAIL, PRINT, Candidate, load_candidates
from app.services.statement_settings import StatementSettings, statement_settings
from app.services.today import practice_today

log = logging.getLogger(__name__)

RUN_OBJECT_TYPE = "statement_run"
STATEMENT_OBJECT_TYPE = "statement"
STATEMENT_PREFIX = "S"
RUN_PREFIX = "R"
PRINTED = "printed"
QUEUED = "queued"

# PreviewRow.skip of an account with a problem (see RunProblem), beside the ladder's codes.
SKIP_PROBLEM = "problem"
# Statements whose failed drawing is logged one by one; the rest are counted.
MAX_LOGGED_FAILURES = 10
# The reason given for a statement that failed to draw; {} is the error's type.
DRAW_FAILED = (
    "Skipped: the statement PDF could not be drawn ({}, details in the log); check the "
    "guarantor's name and address and the account's service descriptions, then run this "
    "account again"
)

CHANGES = Changes.of(ChangeKind.PAYMENTS)


@dataclass(frozen=True, slots=True)
class PreviewRow:
    """One account in a preview: the level it gets (None: skipped) and the reason.

    `level_label` is the label of the level sent, or of the level that was due but not
    sent (too soon, collections), or "" for the other skips. `last_statement_on` and
    `last_level` describe the newest statement before this run that was printed or
    sent. `skip` is a statement_ladder.SKIP_* code, or SKIP_PROBLEM for an account that
    must get no statement until something is fixed. Its `reason` then names the problem
    and the fix, and `guarantor_name` is "" when the guarantor record is missing.
    """

    account_id: uuid.UUID
    account_number: str
    guarantor_name: str
    level: str | None
    level_label: str
    reason: str
    channel: str
    amount_due: Decimal
    insurance_pending: Decimal
    balance: Decimal
    last_statement_on: date | None
    last_level: str | None
    skip: str | None = None


@dataclass(frozen=True, slots=True)
class RunProblem:
    """An account a run left out because something about it must be fixed first.

    `reason` is a sentence for the biller, such as "Skipped: the guarantor record is
    missing; open the patient (Ethan Walsh) and choose the guarantor again".
    """

    account_id: uuid.UUID
    account_number: str
    reason: str


@dataclass(frozen=True, slots=True)
class RunOutcome:
    """A finished run: its number, how many statements were printed or queued, the batch.

    `batch_pdf` contains every printed statement, None when all went to email. `skipped`
    counts the accounts looked at that got no statement, `problems` among them.
    `problems` lists the accounts left out because of a problem: one found before the
    run (as the preview shows it) or a statement that failed to draw.
    """

    run_id: uuid.UUID
    run_number: str
    printed: int
    queued: int
    total_due: Decimal
    batch_pdf: bytes | None
    skipped: int = 0
    changes: Changes = field(default_factory=lambda: CHANGES)
    problems: tuple[RunProblem, ...] = ()


@dataclass(frozen=True, slots=True)
class HistoryRow:
    """One statement sent to an account, as the account's history lists it."""

    statement_id: uuid.UUID
    statement_number: str
    statement_date: date
    level: str
    level_label: str
    amount_due: Decimal
    insurance_pending: Decimal
    channel: str
    status: str
    sent_at: datetime | None
    last_error: str | None
    reason: str = ""


@dataclass(frozen=True, slots=True)
class _Decided:
    candidate: Candidate
    decision: Decision


# --- deciding -----------------------------------------------------------------------


def preview_run(
    session: Session, actor: Actor, run_on: date, progress: Progress | None = None
) -> list[PreviewRow]:
    """Return what a run dated `run_on` would send to every account with a balance.

    Writes nothing but the billing accounts of patients who have none yet (flushed).
    Rows are sorted by guarantor name, then account number.
    """
    require(actor, Permission.STATEMENT_RUN)
    account_ids = _accounts_to_consider(session, actor, None)
    decided = _decide_all(session, account_ids, run_on, progress)
    rows = [_preview_row(item) for item in decided]
    rows.sort(key=lambda row: (row.guarantor_name.casefold(), row.account_number))
    sending = sum(1 for row in rows if row.level is not None)
    log.info("previewed a statement run: %d of %d accounts get a statement", sending, len(rows))
    return rows


def _accounts_to_consider(
    session: Session, actor: Actor, account_ids: Sequence[uuid.UUID] | None
) -> list[uuid.UUID]:
    if account_ids is None:
        return list(dict.fromkeys(ensure_accounts(session, actor).values()))
    wanted = list(dict.fromkeys(account_ids))
    found: set[uuid.UUID] = set()
    for part in chunks(wanted):
        found.update(
            session.scalars(
                select(BillingAccount.id).where(
                    BillingAccount.id.in_(part), BillingAccount.archived.is_(False)
                )
            )
        )
    missing = [account_id for account_id in wanted if account_id not in found]
    if missing:
        raise NotFoundError(
            f"{len(missing)} of the chosen billing accounts were not found (first: "
            f"{missing[0]}); preview the run again and choose from its list."
        )
    return wanted


def _decide_all(
    session: Session,
    account_ids: Sequence[uuid.UUID],
    run_on: date,
    progress: Progress | None,
) -> list[_Decided]:
    levels = list_levels(session)
    settings = statement_settings(session)
    decided = []
    for candidate in load_candidates(session, account_ids, run_on, progress):
        if candidate.problem is not None:
            decision = Decision(None, "", f"Skipped: {candidate.problem}", SKIP_PROBLEM)
        else:
            decision = decide(candidate.facts, levels, settings, run_on)
        decided.append(_Decided(candidate, decision))
    return decided


def _preview_row(item: _Decided) -> PreviewRow:
    figures = item.candidate.figures
    facts = item.candidate.facts
    return PreviewRow(
        account_id=item.candidate.account.id,
        account_number=item.candidate.account.account_number,
        guarantor_name=figures.guarantor.name,
        level=item.decision.level,
        level_label=item.decision.label,
        reason=item.decision.reason,
        channel=item.candidate.channel,
        amount_due=figures.amount_due,
        insurance_pending=figures.insurance_pending,
        balance=figures.balance,
        last_statement_on=facts.last_statement_on,
        last_level=facts.last_statement_level,
        skip=item.decision.skip,
    )


# --- running ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Shared:
    """The values every statement of one run shares."""

    run_id: uuid.UUID
    run_on: date
    levels: list[NoticeLevelRow]
    settings: StatementSettings
    header: BillingHeader
    created_by: uuid.UUID


def run_statements(
    session: Session,
    actor: Actor,
    run_on: date,
    account_ids: Sequence[uuid.UUID] | None = None,
    progress: Progress | None = None,
) -> RunOutcome:
    """Make the statements a preview dated `run_on` lists, and store the run.

    `account_ids` None considers every account with a balance; otherwise only those
    accounts, and any of them the ladder now skips is left out. Each statement gets a
    number, a PDF and a Statement row: printed ones with status "printed" and inside
    the run's batch PDF, email ones with status "queued" for statement_delivery. Plan
    reminders are recorded on their plans. An account with a problem, or whose statement
    fails to draw, is left out and listed in the outcome's `problems`. Raises UserError
    when `run_on` is after today or no statement is made, and NotFoundError for an
    unknown account id.
    """
    require(actor, Permission.STATEMENT_RUN)
    assert actor.user_id is not None, "statement runs are made only by a signed-in user"
    _check_run_date(session, run_on)
    decided = _decide_all(
        session, _accounts_to_consider(session, actor, account_ids), run_on, progress
    )
    sending = [item for item in decided if item.decision.sends]
    if not sending:
        raise UserError(
            f"No account gets a statement on {run_on:%m/%d/%Y}, so no run was made; "
            "preview the run to see why each account is skipped."
        )

    shared = _Shared(
        new_id(),
        run_on,
        list_levels(session),
        statement_settings(session),
        billing_header(session),
        actor.user_id,
    )
    rendered = _render(session, shared, sending, progress)
    if not rendered.made:
        first = rendered.failed[0]
        raise UserError(
            f"None of the {len(sending)} statements could be drawn, so no run was made. "
            f"Account {first.account_number}: {first.reason}"
        )
    run = _store_run(session, shared, rendered, progress)
    _mark_plan_reminders(session, actor, rendered.made, run_on)
    session.flush()

    problems = [_problem(item) for item in decided if item.decision.skip == SKIP_PROBLEM]
    problems += rendered.failed
    counts = _Counts(
        printed=len(rendered.printed),
        queued=len(rendered.made) - len(rendered.printed),
        skipped=len(decided) - len(rendered.made),
        problems=len(problems),
    )
    _audit_run(session, actor, run, rendered.made, counts)
    log.info(
        "statement run %s made %d statements: %d printed, %d queued for email, "
        "%d accounts left out with a problem",
        run.id,
        len(rendered.made),
        counts.printed,
        counts.queued,
        counts.problems,
    )
    return RunOutcome(
        run_id=run.id,
        run_number=run.run_number,
        printed=counts.printed,
        queued=counts.queued,
        total_due=run.total_due,
        batch_pdf=run.batch_pdf,
        skipped=counts.skipped,
        problems=tuple(problems),
    )


def _check_run_date(session: Session, run_on: date) -> None:
    today = practice_today(session)
    if run_on > today:
        raise UserError(
            f"The statement date {run_on:%m/%d/%Y} is after today ({today:%m/%d/%Y}); "
            "run statements dated today or earlier."
        )


@dataclass(slots=True)
class _Rendered:
    """The statements a run drew: their rows, the accounts, the printed PDFs, the failures."""

    rows: list[dict[str, object]] = field(default_factory=list)
    made: list[_Decided] = field(default_factory=list)
    printed: list[bytes] = field(default_factory=list)
    failed: list[RunProblem] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class _Counts:
    """How many statements a run printed and queued, and how many accounts it left out."""

    printed: int
    queued: int
    skipped: int
    problems: int


def _render(
    session: Session,
    shared: _Shared,
    sending: Sequence[_Decided],
    progress: Progress | None,
) -> _Rendered:
    """Draw each statement's PDF once, leaving out (and logging) any that fails to draw.

    A failed statement's number goes to the next account, so numbers stay consecutive.
    NOTE: the numbers left over at the end of the block are not issued again, so a
    failure leaves a gap after the run's last statement number.
    """
    numbers = next_numbers(session, "statement", len(sending))
    rendered = _Rendered()
    # One fitter for the run: names, descriptions and notices are wrapped once.
    text = TextFitter()
    for index, item in enumerate(sending):
        number = STATEMENT_PREFIX + numbers[len(rendered.made)]
        try:
            document = _document(shared, item, number)
            pdf = statement_pdf_bytes(document, text=text)
        except Exception as error:  # one statement that fails to draw must not stop the others
            # The first MAX_LOGGED_FAILURES are logged; the run's log line counts them all.
            if len(rendered.failed) < MAX_LOGGED_FAILURES:
                log.exception(
                    "statement of billing account %s failed to draw", item.candidate.account.id
                )
            rendered.failed.append(_problem(item, DRAW_FAILED.format(type(error).__name__)))
        else:
            rendered.rows.append(_statement_row(shared, item, document, pdf))
            rendered.made.append(item)
            if item.candidate.channel == PRINT:
                rendered.printed.append(pdf)
        if progress is not None:
            progress.report(index + 1, len(sending), "Making statements")
    return rendered


def _problem(item: _Decided, reason: str | None = None) -> RunProblem:
    return RunProblem(
        account_id=item.candidate.account.id,
        account_number=item.candidate.account.account_number,
        reason=reason or item.decision.reason,
    )


def _store_run(
    session: Session, shared: _Shared, rendered: _Rendered, progress: Progress | None
) -> StatementRun:
    """Insert the run, with its printed batch, and then its statements."""
    run = StatementRun(
        id=shared.run_id,
        run_number=RUN_PREFIX + next_number(session, "statement_run"),
        run_on=shared.run_on,
        created_by=shared.created_by,
        statement_count=len(rendered.made),
        total_due=sum((item.candidate.figures.amount_due for item in rendered.made), ZERO),
        updated_by=shared.created_by,
    )
    if rendered.printed:
        if progress is not None:
            total = len(rendered.made) + len(rendered.failed)
            progress.report(total, total, "Making the print batch")
        run.batch_pdf = join_statement_pdfs(rendered.printed)
    session.add(run)
    session.flush()
    insert_many(session, cast(Table, Statement.__table__), rendered.rows)
    return run


def _document(shared: _Shared, item: _Decided, statement_number: str) -> StatementDocument:
    code = item.decision.level
    assert code is not None, "only accounts that get a statement are drawn"
    plan = item.candidate.plan
    return StatementDocument(
        figures=item.candidate.figures,
        header=shared.header,
        statement_number=statement_number,
        level_label=level_label(shared.levels, code),
        message=level_message(shared.levels, code),
        due_on=shared.run_on + timedelta(days=shared.settings.due_days),
        plan_line=None if plan is None else plan.summary,
        payment_options=shared.settings.payment_options,
        assistance_notice=shared.settings.assistance_notice,
    )


def _statement_row(
    shared: _Shared, item: _Decided, document: StatementDocument, pdf: bytes
) -> dict[str, object]:
    figures = item.candidate.figures
    channel = item.candidate.channel
    return {
        "id": new_id(),
        "statement_number": document.statement_number,
        "run_id": shared.run_id,
        "account_id": item.candidate.account.id,
        "statement_date": shared.run_on,
        "level": item.decision.level,
        "channel": channel,
        "status": QUEUED if channel == EMAIL else PRINTED,
        "amount_due": figures.amount_due,
        "insurance_pending": figures.insurance_pending,
        "account_balance": figures.balance,
        "due_on": document.due_on,
        "reason": item.decision.reason,
        "pdf": pdf,
        "pdf_sha256": hashlib.sha256(pdf).hexdigest(),
        "attempts": 0,
        "last_error": None,
        "next_attempt_at": None,
        "sent_at": None,
        "created_by": shared.created_by,
        "updated_by": shared.created_by,
    }


def _mark_plan_reminders(
    session: Session, actor: Actor, sending: Sequence[_Decided], run_on: date
) -> None:
    for item in sending:
        plan = item.candidate.plan
        if item.decision.level == PLAN_REMINDER and plan is not None:
            mark_reminded(session, actor, plan.plan_id, run_on)


def _audit_run(
    session: Session, actor: Actor, run: StatementRun, made: Sequence[_Decided], counts: _Counts
) -> None:
    """Record one event for the run, with counts only: no names, no amounts."""
    by_level = Counter(item.decision.level for item in made)
    levels = ", ".join(f"{code} {count}" for code, count in sorted(by_level.items()) if code)
    detail = (
        f"run {run.run_number} dated {run.run_on.isoformat()}: {len(made)} statements "
        f"({counts.printed} printed, {counts.queued} queued for email; {levels}), "
        f"{counts.skipped} accounts skipped"
    )
    if counts.problems:
        detail += f" ({counts.problems} with a problem)"
    audit.record(session, actor, AuditAction.CREATE, RUN_OBJECT_TYPE, run.id, detail=detail)


# --- reading back -------------------------------------------------------------------


def statement_history(session: Session, actor: Actor, account_id: uuid.UUID) -> list[HistoryRow]:
    """Return every statement made for the account, newest first.

    Raises NotFoundError for an unknown account.
    """
    require(actor, Permission.STATEMENT_RUN)
    account = session.get(BillingAccount, account_id)
    if account is None or account.archived:
        raise NotFoundError(
            f"Billing account {account_id} was not found; refresh the list of accounts."
        )
    levels = list_levels(session)
    statements = session.scalars(
        select(Statement)
        .where(Statement.account_id == account_id, Statement.archived.is_(False))
        .order_by(Statement.statement_date.desc(), Statement.created_at.desc())
    )
    return [
        HistoryRow(
            statement_id=statement.id,
            statement_number=statement.statement_number,
            statement_date=statement.statement_date,
            level=statement.level,
            level_label=level_label(levels, statement.level),
            amount_due=statement.amount_due,
            insurance_pending=statement.insurance_pending,
            channel=statement.channel,
            status=statement.status,
            sent_at=statement.sent_at,
            last_error=statement.last_error,
            reason=statement.reason,
        )
        for statement in statements
    ]


def statement_pdf(session: Session, actor: Actor, statement_id: uuid.UUID) -> bytes:
    """Return a statement's PDF exactly as it was made or sent, and audit the viewing.

    Raises NotFoundError for an unknown statement.
    """
    require(actor, Permission.STATEMENT_RUN)
    statement = session.scalar(
        select(Statement).options(undefer(Statement.pdf)).where(Statement.id == statement_id)
    )
    if statement is None or statement.archived:
        raise NotFoundError(
            f"Statement {statement_id} was not found; refresh the account's statement history."
        )
    if statement.pdf is None:
        raise UserError(
            f"Statement {statement.statement_number} has no stored PDF; make a new "
            "statement for the account in the next run."
        )
    account = session.get(BillingAccount, statement.account_id)
    audit.record(
        session,
        actor,
        AuditAction.VIEW,
        STATEMENT_OBJECT_TYPE,
        statement.id,
        patient_id=None if account is None else account.guarantor_patient_id,
        detail=f"statement {statement.statement_number} PDF opened",
    )
    return statement.pdf


def run_batch_pdf(session: Session, actor: Actor, run_id: uuid.UUID) -> bytes:
    """Return the run's printed statements as one PDF, and audit the printing.

    Raises NotFoundError for an unknown run, and UserError when every statement of the
    run went to email.
    """
    require(actor, Permission.STATEMENT_RUN)
    run = session.scalar(
        select(StatementRun)
        .options(undefer(StatementRun.batch_pdf))
        .where(StatementRun.id == run_id)
    )
    if run is None or run.archived:
        raise NotFoundError(f"Statement run {run_id} was not found; refresh the list of runs.")
    if run.batch_pdf is None:
        raise UserError(
            f"Statement run {run.run_number} has nothing to print: all its statements were "
            "queued for email. Open a statement from the account's history to print it."
        )
    audit.record(
        session,
        actor,
        AuditAction.PRINT,
        RUN_OBJECT_TYPE,
        run.id,
        detail=f"batch PDF of run {run.run_number} opened",
    )
    return run.batch_pdf
