"""The facts a statement run reads for each account, loaded in batches.

A run covers thousands of accounts, so nothing here queries per account. Accounts are
read in chunks of CHUNK. Per chunk there is one batched figures call, one query for the
accounts, one for their statements, one for open collection placements and one
batched call for payment plans.

An account whose figures must not be printed (its guarantor record is missing, say)
is still a candidate, with the problem stated, so a preview lists it and a run skips it.
"""

import dataclasses
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.models.statements import BillingAccount, CollectionPlacement, Statement
from app.progress import Progress
from app.services.billing_accounts import HOLD_LABELS, active_hold
from app.services.notice_levels import LEVEL_CODES
from app.services.payment_plans import PlanState, plan_states
from app.services.statement_figures import StatementFigures, figures_with_problems
from app.services.statement_ladder import (
    DELIVERED_STATUSES,
    AccountFacts,
    UndeliveredStatement,
)

# Accounts read together: small enough for SQLite's bound-parameter limit and for the
# progress bar to move, large enough that the per-query cost is shared.
CHUNK = 500

PRINT = "print"
EMAIL = "email"


@dataclass(frozen=True, slots=True)
class Candidate:
    """One account in a run: its figures on the run date, the ladder's facts, its plan.

    `problem` is why the account must get no statement, such as "the guarantor record is
    missing; ..." (see statement_figures.FiguresBatch), or None when nothing is wrong.
    """

    account: BillingAccount
    figures: StatementFigures
    facts: AccountFacts
    plan: PlanState | None
    channel: str
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class _LastStatements:
    """An account's newest delivered statement and its newest statement when undelivered.

    The delivered fields are None when no statement was delivered yet.
    """

    newest_on: date | None = None
    newest_level: str | None = None
    ladder_level: str | None = None
    undelivered: UndeliveredStatement | None = None


def load_candidates(
    session: Session,
    account_ids: Sequence[uuid.UUID],
    run_on: date,
    progress: Progress | None = None,
) -> list[Candidate]:
    """Return the candidate of every account in `account_ids` on `run_on`, in that order.

    Unknown account ids are left out. Reports progress as accounts read.
    """
    wanted = list(dict.fromkeys(account_ids))
    candidates: list[Candidate] = []
    for start in range(0, len(wanted), CHUNK):
        part = wanted[start : start + CHUNK]
        candidates.extend(_chunk_candidates(session, part, run_on))
        if progress is not None:
            progress.report(min(start + CHUNK, len(wanted)), len(wanted), "Reading accounts")
    return candidates


def _chunk_candidates(
    session: Session, account_ids: Sequence[uuid.UUID], run_on: date
) -> list[Candidate]:
    accounts = {
        account.id: account
        for account in session.scalars(
            select(BillingAccount).where(
                BillingAccount.id.in_(account_ids), BillingAccount.archived.is_(False)
            )
        )
    }
    known = [account_id for account_id in account_ids if account_id in accounts]
    batch = figures_with_problems(session, known, run_on)
    figures = batch.figures
    statements = _last_statements(session, known)
    placements = _open_placements(session, known)
    plans = plan_states(session, known, run_on)

    candidates = []
    for account_id in known:
        account = accounts[account_id]
        account_figures = figures[account_id]
        plan = plans.get(account_id)
        facts = _facts(
            account,
            account_figures,
            statements.get(account_id),
            placements.get(account_id),
            plan,
            run_on,
        )
        candidates.append(
            Candidate(
                account,
                account_figures,
                facts,
                plan,
                _channel(account, account_figures),
                batch.problems.get(account_id),
            )
        )
    return candidates


def _facts(  # noqa: PLR0917 (one account's pieces, each loaded in its own batch)
    account: BillingAccount,
    figures: StatementFigures,
    last: _LastStatements | None,
    placement: tuple[date, str] | None,
    plan: PlanState | None,
    run_on: date,
) -> AccountFacts:
    hold = active_hold(account, run_on)
    last = last or _LastStatements()
    return AccountFacts(
        balance=figures.balance,
        insurance_pending=figures.insurance_pending,
        last_statement_on=last.newest_on,
        last_statement_level=last.newest_level,
        last_ladder_level=last.ladder_level,
        undelivered=last.undelivered,
        last_payment_on=figures.last_payment_on,
        hold_label=None if hold is None else HOLD_LABELS.get(hold, hold),
        hold_until=None if hold is None else account.hold_until,
        placed_on=None if placement is None else placement[0],
        placed_with=None if placement is None else placement[1],
        plan_status=None if plan is None else plan.status,
        plan_needs_reminder=False if plan is None else plan.needs_reminder,
        plan_missed_since=None if plan is None else plan.missed_since,
    )


def _channel(account: BillingAccount, figures: StatementFigures) -> str:
    """Return email when the guarantor agreed to email statements and has an address."""
    if account.email_statements and figures.guarantor.email:
        return EMAIL
    return PRINT


def _last_statements(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, _LastStatements]:
    """Return each account's newest delivered statement and levels, canceled ones left out.

    The account's newest statement is also returned as `undelivered` when it is queued,
    failed or waiting to be printed, because the ladder waits until it goes out.
    """
    query = (
        select(Statement.account_id, Statement.statement_date, Statement.level, Statement.status)
        .where(
            Statement.account_id.in_(account_ids),
            Statement.status != "cancelled",
            Statement.archived.is_(False),
        )
        .order_by(Statement.statement_date, Statement.created_at)
    )
    found: dict[uuid.UUID, _LastStatements] = {}
    # Rows come oldest first, so each row replaces what an older one stored.
    for account_id, statement_date, level, status in session.execute(query):
        previous = found.get(account_id, _LastStatements())
        if status not in DELIVERED_STATUSES:
            waiting = UndeliveredStatement(statement_date, level, status)
            found[account_id] = dataclasses.replace(previous, undelivered=waiting)
            continue
        ladder_level = level if level in LEVEL_CODES else previous.ladder_level
        found[account_id] = _LastStatements(statement_date, level, ladder_level)
    return found


def _open_placements(
    session: Session, account_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, tuple[date, str]]:
    """Return the date and agency of each account's open collection placement."""
    query = (
        select(
            CollectionPlacement.account_id,
            CollectionPlacement.placed_on,
            CollectionPlacement.agency,
        )
        .where(
            CollectionPlacement.account_id.in_(account_ids),
            CollectionPlacement.status == "placed",
            CollectionPlacement.archived.is_(False),
        )
        .order_by(CollectionPlacement.placed_on)
    )
    return {
        account_id: (placed_on, agency) for account_id, placed_on, agency in session.execute(query)
    }
